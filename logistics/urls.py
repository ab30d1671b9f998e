"""Browser routes of logistics (namespace ``logistics``), under /stock/."""

from django.urls import path

from .views import assemblies, counts, lots, recalls, receipts, reports, stock, transfers

app_name = "logistics"

urlpatterns = [
    path("stock/", stock.StockByArticleView.as_view(), name="stock_by_article"),
    path("stock/locations/", stock.StockByLocationView.as_view(), name="stock_by_location"),
    path("stock/lots/", stock.LotListView.as_view(), name="lot_list"),
    path("stock/lots/<int:pk>/", lots.LotCardView.as_view(), name="lot_detail"),
    path(
        "stock/lots/<int:pk>/status/<slug:action>/",
        lots.LotStatusView.as_view(),
        name="lot_status",
    ),
    path("stock/lots/<int:pk>/recall.csv", lots.lot_recall_csv, name="lot_recall_csv"),
    path("stock/moves/", stock.MoveJournalView.as_view(), name="move_list"),
    path("stock/adjustments/new/", stock.AdjustmentView.as_view(), name="adjustment_create"),
    path("stock/recalls/", recalls.RecallListView.as_view(), name="recall_list"),
    path("stock/recalls/new/", recalls.RecallCreateView.as_view(), name="recall_create"),
    path("stock/recalls/<int:pk>/", recalls.RecallDetailView.as_view(), name="recall_detail"),
    path("stock/recalls/<int:pk>/customers.csv", recalls.recall_csv, name="recall_csv"),
    path("stock/receipts/", receipts.ReceiptListView.as_view(), name="receipt_list"),
    path("stock/receipts/new/", receipts.ReceiptCreateView.as_view(), name="receipt_create"),
    path("stock/receipts/<int:pk>/", receipts.ReceiptDetailView.as_view(), name="receipt_detail"),
    path(
        "stock/receipts/<int:pk>/edit/", receipts.ReceiptUpdateView.as_view(), name="receipt_update"
    ),
    path("stock/receipts/<int:pk>/post/", receipts.ReceiptPostView.as_view(), name="receipt_post"),
    path("stock/transfers/", transfers.TransferListView.as_view(), name="transfer_list"),
    path("stock/transfers/new/", transfers.TransferCreateView.as_view(), name="transfer_create"),
    path(
        "stock/transfers/<int:pk>/", transfers.TransferDetailView.as_view(), name="transfer_detail"
    ),
    path(
        "stock/transfers/<int:pk>/edit/",
        transfers.TransferUpdateView.as_view(),
        name="transfer_update",
    ),
    path(
        "stock/transfers/<int:pk>/ship/", transfers.TransferShipView.as_view(), name="transfer_ship"
    ),
    path(
        "stock/transfers/<int:pk>/receive/",
        transfers.TransferReceiveView.as_view(),
        name="transfer_receive",
    ),
    path("stock/counts/", counts.CountListView.as_view(), name="count_list"),
    path("stock/counts/new/", counts.CountOpenView.as_view(), name="count_open"),
    path("stock/counts/<int:pk>/", counts.CountDetailView.as_view(), name="count_detail"),
    path("stock/counts/<int:pk>/submit/", counts.CountSubmitView.as_view(), name="count_submit"),
    path("stock/counts/<int:pk>/approve/", counts.CountApproveView.as_view(), name="count_approve"),
    path("stock/assemblies/", assemblies.AssemblyListView.as_view(), name="assembly_list"),
    path("stock/assemblies/new/", assemblies.AssemblyCreateView.as_view(), name="assembly_create"),
    path(
        "stock/assemblies/<int:pk>/",
        assemblies.AssemblyDetailView.as_view(),
        name="assembly_detail",
    ),
    path(
        "stock/assemblies/<int:pk>/post/",
        assemblies.AssemblyPostView.as_view(),
        name="assembly_post",
    ),
    path("stock/valuation/", reports.ValuationView.as_view(), name="valuation"),
    path("stock/anomalies/", reports.AnomaliesView.as_view(), name="anomalies"),
    path("stock/replenishment/", reports.ReplenishmentView.as_view(), name="replenishment"),
]
