"""Explicit permission checks for API endpoints that model permissions alone do not cover.

``comptoir.permissions.RoleModelPermissions`` maps the HTTP method to the permission
of the view's queryset model. Actions that read or write other models (kit
components through an article, nested addresses through a customer, search over
several models) state what they need here, by method.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db.models import Model
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

# Token first: DRF answers an unauthenticated request with the WWW-Authenticate
# challenge of the *first* authenticator. SessionAuthentication has none, which
# would turn every 401 into a 403. A request carrying no token header still falls
# through to the session (with its CSRF check) as before.
API_AUTHENTICATION = (TokenAuthentication, SessionAuthentication)

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def has_permissions(request: Request, permissions: Iterable[str]) -> bool:
    user = request.user
    return bool(user and user.is_authenticated and user.has_perms(list(permissions)))


def require_permissions(
    by_method: Mapping[str, Iterable[str]], *, name: str = "RequiredPermissions"
) -> type[BasePermission]:
    """A permission class demanding, for each HTTP method, every listed permission.

    ``by_method`` maps methods (``"GET"``, ``"PUT"``…) or ``"*"`` (any method) to
    permission names such as ``"trade.view_customernode"``. A method absent from the
    map and without ``"*"`` is refused.
    """
    table = {method.upper(): tuple(perms) for method, perms in by_method.items()}

    class RequiredPermissions(BasePermission):
        def has_permission(self, request: Request, view: APIView) -> bool:
            if request.method in table:
                wanted = table[request.method]
            elif request.method in ("HEAD", "OPTIONS") and "GET" in table:
                wanted = table["GET"]
            elif "*" in table:
                wanted = table["*"]
            else:
                return False
            return has_permissions(request, wanted)

    RequiredPermissions.__name__ = RequiredPermissions.__qualname__ = name
    return RequiredPermissions


def model_permissions(model: type[Model], actions: Iterable[str]) -> list[str]:
    """``(CustomerAddress, ["add", "change"])`` → ``["trade.add_customeraddress", …]``."""
    meta = model._meta
    return [f"{meta.app_label}.{action}_{meta.model_name}" for action in actions]
