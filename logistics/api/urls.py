"""Routes of the logistics API, mounted under /api/ by comptoir.api_urls."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "logistics_api"

router = SimpleRouter()
router.register("warehouses", views.WarehouseViewSet, basename="warehouse")
router.register("locations", views.LocationViewSet, basename="location")
router.register("lots", views.LotViewSet, basename="lot")
router.register("serials", views.SerialNumberViewSet, basename="serial")
router.register("stock/balances", views.StockBalanceViewSet, basename="stock-balance")
router.register("stock/moves", views.StockMoveViewSet, basename="stock-move")
router.register("receipts", views.ReceiptViewSet, basename="receipt")
router.register("transfers", views.TransferViewSet, basename="transfer")
router.register("counts", views.InventoryCountViewSet, basename="count")
router.register("assembly-orders", views.AssemblyOrderViewSet, basename="assembly-order")
router.register("recalls", views.RecallViewSet, basename="recall")
router.register("reservations", views.ReservationViewSet, basename="reservation")

urlpatterns = [
    *router.urls,
    path("lots/<int:pk>/recall-list.csv", views.LotRecallListView.as_view(), name="lot-recall-csv"),
    path(
        "recalls/<int:pk>/recall-list.csv", views.RecallListView.as_view(), name="recall-recall-csv"
    ),
    path("stock/by-article/", views.StockByArticleView.as_view(), name="stock-by-article"),
    path("stock/available/", views.StockAvailableView.as_view(), name="stock-available"),
    path("stock/adjustments/", views.StockAdjustmentView.as_view(), name="stock-adjustment"),
    path("stock/valuation/", views.StockValuationView.as_view(), name="stock-valuation"),
    path("stock/anomalies/", views.StockAnomaliesView.as_view(), name="stock-anomalies"),
    path(
        "stock/replenishment/", views.StockReplenishmentView.as_view(), name="stock-replenishment"
    ),
]
