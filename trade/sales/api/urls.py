"""Routes of the sales API, mounted under /api/ by comptoir.api_urls."""

from rest_framework.routers import SimpleRouter

from . import views

app_name = "sales_api"

router = SimpleRouter()
router.register("sales/orders", views.SalesOrderViewSet, basename="sales-order")
router.register("sales/order-lines", views.SalesOrderLineViewSet, basename="sales-order-line")
router.register("sales/deliveries", views.DeliveryViewSet, basename="delivery")
router.register("sales/quotes", views.SalesQuoteViewSet, basename="sales-quote")

urlpatterns = router.urls
