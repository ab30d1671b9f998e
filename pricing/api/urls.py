"""Routes of the pricing API, mounted under /api/ by comptoir.api_urls."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "pricing_api"

router = SimpleRouter()
router.register("price-list-items", views.PriceListItemViewSet, basename="price-list-item")
router.register("discount-levels", views.DiscountLevelViewSet, basename="discount-level")
router.register("segments", views.CustomerSegmentViewSet, basename="segment")
router.register("contracts", views.ContractViewSet, basename="contract")
router.register("conditions", views.ConditionViewSet, basename="condition")
router.register("rebate-agreements", views.RebateAgreementViewSet, basename="rebate-agreement")

urlpatterns = [
    *router.urls,
    path("pricing/quote/", views.QuoteView.as_view(), name="quote"),
]
