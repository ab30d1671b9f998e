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
        first_field, first_messages = next(iter(errors.items()), ("", [""]))
        first_message = first_messages[0] if isinstance(first_messages, list) and first_messages else first_messages
        response.data = {
            "code": "validation_failed",
            "message": f"{first_field}: {first_message}",
            "details": {"errors": errors},
        }
    elif isinstance(exc, exceptions.APIException):
        response.data = {
            "code": exc.get_codes() if isinstance(exc.get_codes(), str) else "error",
            "message": str(exc.detail),
            "details": {},
        }
    return response
