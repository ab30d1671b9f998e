"""Browser routes of pricing (namespace ``pricing``), under /pricing/."""

from django.urls import path

from .views import contracts, levels, lookups, price_lists, rebates, simulator

app_name = "pricing"

urlpatterns = [
    path("contracts/", contracts.ContractListView.as_view(), name="contract_list"),
    path("contracts/new/", contracts.ContractCreateView.as_view(), name="contract_create"),
    path("contracts/<int:pk>/", contracts.ContractDetailView.as_view(), name="contract_detail"),
    path(
        "contracts/<int:pk>/edit/", contracts.ContractUpdateView.as_view(), name="contract_update"
    ),
    path(
        "contracts/<int:pk>/activate/",
        contracts.ContractActivateView.as_view(),
        name="contract_activate",
    ),
    path(
        "contracts/<int:pk>/terminate/",
        contracts.ContractTerminateView.as_view(),
        name="contract_terminate",
    ),
    path(
        "contracts/<int:pk>/what-if/",
        contracts.ContractWhatIfView.as_view(),
        name="contract_what_if",
    ),
    path("simulator/", simulator.PriceSimulatorView.as_view(), name="simulator"),
    path("price-lists/", price_lists.PriceListListView.as_view(), name="price_list_list"),
    path("price-lists/new/", price_lists.PriceListCreateView.as_view(), name="price_list_create"),
    path(
        "price-lists/<int:pk>/", price_lists.PriceListDetailView.as_view(), name="price_list_detail"
    ),
    path(
        "price-lists/<int:pk>/edit/",
        price_lists.PriceListUpdateView.as_view(),
        name="price_list_update",
    ),
    path(
        "price-lists/<int:pk>/lines/",
        price_lists.PriceListItemsView.as_view(),
        name="price_list_items",
    ),
    path("discount-levels/", levels.DiscountLevelsView.as_view(), name="discount_levels"),
    path("rebates/", rebates.RebateListView.as_view(), name="rebate_list"),
    path("rebates/new/", rebates.RebateCreateView.as_view(), name="rebate_create"),
    path("rebates/<int:pk>/", rebates.RebateDetailView.as_view(), name="rebate_detail"),
    path("rebates/<int:pk>/edit/", rebates.RebateUpdateView.as_view(), name="rebate_update"),
    path("rebates/<int:pk>/settle/", rebates.RebateSettleView.as_view(), name="rebate_settle"),
    path("lookup/customers/", lookups.lookup_customers, name="lookup_customers"),
    path("lookup/articles/", lookups.lookup_articles, name="lookup_articles"),
]
