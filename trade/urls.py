"""Browser routes of the trade master data (namespace ``trade``)."""

from django.urls import path

from .views import articles, customers, suppliers

app_name = "trade"

urlpatterns = [
    path("customers/", customers.CustomerTreeView.as_view(), name="customer_tree"),
    path("customers/list/", customers.CustomerListView.as_view(), name="customer_list"),
    path("customers/new/", customers.CustomerCreateView.as_view(), name="customer_create"),
    path("customers/<int:pk>/", customers.CustomerDetailView.as_view(), name="customer_detail"),
    path(
        "customers/<int:pk>/edit/", customers.CustomerUpdateView.as_view(), name="customer_update"
    ),
    path("customers/<int:pk>/children/", customers.customer_children, name="customer_children"),
    path("customers/<int:pk>/card/", customers.customer_card, name="customer_card"),
    path(
        "customers/<int:pk>/article-references/new/",
        customers.CustomerReferenceCreateView.as_view(),
        name="customer_reference_create",
    ),
    path(
        "customers/<int:pk>/article-references/<int:reference_pk>/edit/",
        customers.CustomerReferenceUpdateView.as_view(),
        name="customer_reference_update",
    ),
    path(
        "customers/<int:pk>/article-references/<int:reference_pk>/delete/",
        customers.CustomerReferenceDeleteView.as_view(),
        name="customer_reference_delete",
    ),
    path("articles/lookup/", customers.article_lookup, name="article_lookup"),
    path("suppliers/", suppliers.SupplierListView.as_view(), name="supplier_list"),
    path("suppliers/new/", suppliers.SupplierCreateView.as_view(), name="supplier_create"),
    path("suppliers/<int:pk>/", suppliers.SupplierDetailView.as_view(), name="supplier_detail"),
    path(
        "suppliers/<int:pk>/edit/", suppliers.SupplierUpdateView.as_view(), name="supplier_update"
    ),
    path("articles/", articles.ArticleListView.as_view(), name="article_list"),
    path("articles/new/", articles.ArticleCreateView.as_view(), name="article_create"),
    path("articles/<int:pk>/", articles.ArticleDetailView.as_view(), name="article_detail"),
    path("articles/<int:pk>/edit/", articles.ArticleUpdateView.as_view(), name="article_update"),
]
