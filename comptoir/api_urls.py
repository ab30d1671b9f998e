"""The REST API under /api/ (the schema and the docs are mounted by comptoir.urls).

Every endpoint needs an authenticated user, by session (with CSRF on writes) or by
``Authorization: Token <key>``; the token comes from ``POST /api/auth/token/``.
"""

from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("", include("trade.api.urls")),
    path("", include("pricing.api.urls")),
    path("", include("logistics.api.urls")),
    path("", include("trade.sales.api.urls")),
    path("", include("edi.api.urls")),
]
