"""Routes of the EDI API, mounted under /api/ by comptoir.api_urls."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "edi_api"

router = SimpleRouter()
router.register("edi/partners", views.TradingPartnerViewSet, basename="edi-partner")
router.register("edi/interchanges", views.InterchangeViewSet, basename="edi-interchange")
router.register("edi/messages", views.EdiMessageViewSet, basename="edi-message")

urlpatterns = [
    *router.urls,
    path("edi/inbound/", views.InboundView.as_view(), name="edi-inbound"),
    path("edi/outbound/", views.OutboundListView.as_view(), name="edi-outbound"),
    path("edi/outbound/<int:pk>/", views.OutboundDetailView.as_view(), name="edi-outbound-detail"),
    path(
        "edi/outbound/<int:pk>/collected/",
        views.OutboundCollectedView.as_view(),
        name="edi-outbound-collected",
    ),
]
