from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from comptoir import views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Switching language must work on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("comptoir.api_urls")),
    path("", include("trade.urls")),
    path("pricing/", include("pricing.urls")),
    path("", include("logistics.urls")),
    path("edi/", include("edi.urls")),
    path("sales/", include("trade.sales.urls")),
]
