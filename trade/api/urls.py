"""Routes of the trade API, mounted under /api/ by comptoir.api_urls."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

app_name = "trade_api"

router = SimpleRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register(
    "customer-article-references",
    views.CustomerArticleReferenceViewSet,
    basename="customer-article-reference",
)
router.register("suppliers", views.SupplierViewSet, basename="supplier")
router.register("supplier-articles", views.SupplierArticleViewSet, basename="supplier-article")
router.register("articles", views.ArticleViewSet, basename="article")
router.register("families", views.ArticleFamilyViewSet, basename="family")
router.register("brands", views.BrandViewSet, basename="brand")
router.register("payment-terms", views.PaymentTermsViewSet, basename="payment-terms")
router.register("price-lists", views.PriceListViewSet, basename="price-list")
router.register("document-templates", views.DocumentTemplateViewSet, basename="document-template")

urlpatterns = [
    *router.urls,
    path("company/", views.CompanyView.as_view(), name="company"),
    path("search/", views.SearchView.as_view(), name="search"),
]
