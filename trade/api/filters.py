"""django-filter FilterSets of the trade API (query parameters of the list endpoints)."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from comptoir.identifiers import compact_digits, gtin_lookup_forms
from trade.models import (
    Article,
    ArticleFamily,
    CustomerArticleReference,
    CustomerNode,
    DocumentTemplate,
    PaymentTerms,
    PriceList,
    Supplier,
    SupplierArticle,
)


class CustomerFilter(django_filters.FilterSet):
    gln = django_filters.CharFilter(method="filter_gln", help_text="Exact GLN (spaces ignored).")
    is_root = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", help_text="true: top-level nodes (chains) only."
    )
    descendant_of = django_filters.ModelChoiceFilter(
        queryset=CustomerNode.objects.all(),
        method="filter_descendant_of",
        help_text="Nodes anywhere below this node id (the node itself excluded).",
    )

    class Meta:
        model = CustomerNode
        fields = ("kind", "parent", "is_active", "is_blocked", "gln", "is_root", "descendant_of")

    def filter_gln(
        self, queryset: QuerySet[CustomerNode], name: str, value: str
    ) -> QuerySet[CustomerNode]:
        return queryset.filter(gln=compact_digits(value))

    def filter_descendant_of(
        self, queryset: QuerySet[CustomerNode], name: str, value: CustomerNode
    ) -> QuerySet[CustomerNode]:
        return queryset.filter(path__startswith=value.path).exclude(pk=value.pk)


class SupplierFilter(django_filters.FilterSet):
    gln = django_filters.CharFilter(method="filter_gln", help_text="Exact GLN (spaces ignored).")

    class Meta:
        model = Supplier
        fields = ("is_active", "currency", "gln", "payment_terms")

    def filter_gln(self, queryset: QuerySet[Supplier], name: str, value: str) -> QuerySet[Supplier]:
        return queryset.filter(gln=compact_digits(value))


class ArticleFamilyFilter(django_filters.FilterSet):
    is_root = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", help_text="true: top-level families only."
    )

    class Meta:
        model = ArticleFamily
        fields = ("parent", "depth", "is_root")


class ArticleFilter(django_filters.FilterSet):
    family = django_filters.ModelChoiceFilter(
        queryset=ArticleFamily.objects.all(),
        method="filter_family",
        help_text="Articles of this family and of all its sub-families.",
    )
    is_kit = django_filters.BooleanFilter(
        method="filter_is_kit", help_text="true: kits only; false: no kits."
    )
    gtin = django_filters.CharFilter(
        method="filter_gtin",
        help_text="Articles with a packaging of this GTIN (GTIN-13 and its zero-padded GTIN-14 both match).",
    )

    class Meta:
        model = Article
        fields = (
            "family",
            "brand",
            "status",
            "tracking_mode",
            "kit_kind",
            "vat_rate",
            "is_kit",
            "gtin",
        )

    def filter_family(
        self, queryset: QuerySet[Article], name: str, value: ArticleFamily
    ) -> QuerySet[Article]:
        return queryset.filter(family__path__startswith=value.path)

    def filter_is_kit(
        self, queryset: QuerySet[Article], name: str, value: bool
    ) -> QuerySet[Article]:
        return queryset.exclude(kit_kind="") if value else queryset.filter(kit_kind="")

    def filter_gtin(self, queryset: QuerySet[Article], name: str, value: str) -> QuerySet[Article]:
        return queryset.filter(packagings__gtin__in=gtin_lookup_forms(value)).distinct()


class SupplierArticleFilter(django_filters.FilterSet):
    class Meta:
        model = SupplierArticle
        fields = ("supplier", "article", "is_preferred", "currency")


class CustomerArticleReferenceFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(
        method="filter_code", help_text="Exact customer article number (surrounding spaces ignored)."
    )
    applies_to = django_filters.ModelChoiceFilter(
        queryset=CustomerNode.objects.all(),
        method="filter_applies_to",
        help_text="References held by this node or one of its ancestors (where one code is held "
        "at several levels, the nearest applies).",
    )

    class Meta:
        model = CustomerArticleReference
        fields = ("customer_node", "code", "article", "packaging_level", "applies_to")

    def filter_code(
        self, queryset: QuerySet[CustomerArticleReference], name: str, value: str
    ) -> QuerySet[CustomerArticleReference]:
        return queryset.filter(code=value.strip())

    def filter_applies_to(
        self, queryset: QuerySet[CustomerArticleReference], name: str, value: CustomerNode
    ) -> QuerySet[CustomerArticleReference]:
        return queryset.filter(customer_node_id__in=value.lineage_ids)


class PaymentTermsFilter(django_filters.FilterSet):
    class Meta:
        model = PaymentTerms
        fields = ("end_of_month",)


class PriceListFilter(django_filters.FilterSet):
    class Meta:
        model = PriceList
        fields = ("is_active", "currency")


class DocumentTemplateFilter(django_filters.FilterSet):
    class Meta:
        model = DocumentTemplate
        fields = ("show_lots", "show_discount_breakdown", "show_gtin")
