"""One API exception handler: every error leaves as ``{code, message, details}``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from comptoir.exceptions import DomainError, ValidationFailed


def _django_validation_details(exc: DjangoValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        return {"errors": {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}}
    return {"errors": {"non_field_errors": [str(m) for m in exc.messages]}}


def _first_error(errors: Any, prefix: str = "") -> str:
    """The first message of a (possibly nested) DRF error structure, with its path:
    ``addresses[0].city: This field is required.``"""
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key in ("non_field_errors", "__all__"):
                path = prefix
            elif isinstance(key, int):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            found = _first_error(value, path)
            if found:
                return found
        return ""
    if isinstance(errors, list):
        for position, value in enumerate(errors):
            if isinstance(value, dict):
                found = _first_error(value, f"{prefix}[{position}]")
            else:
                found = _first_error(value, prefix)
            if found:
                return found
        return ""
    return f"{prefix}: {errors}" if prefix else str(errors)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ValidationFailed):
        return Response(exc.as_dict(), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        details = _django_validation_details(exc)
        first = next(iter(details["errors"].items()))
        return Response(
            {"code": "validation_failed", "message": f"{first[0]}: {first[1][0]}", "details": details},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {
            "code": "validation_failed",
            "message": _first_error(errors),
            "details": {"errors": errors},
        }
    elif isinstance(exc, exceptions.APIException):
        response.data = {
            "code": exc.get_codes() if isinstance(exc.get_codes(), str) else "error",
            "message": str(exc.detail),
            "details": {},
        }
    return response
