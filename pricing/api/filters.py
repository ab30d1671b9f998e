"""django-filter FilterSets of the pricing API (query parameters of the list endpoints)."""

from __future__ import annotations

from datetime import date

import django_filters
from django.db.models import Q, QuerySet

from pricing.models import (
    Condition,
    Contract,
    CustomerSegment,
    PriceListItem,
    RebateAgreement,
)
from trade.models import CustomerNode


def _valid_on(queryset: QuerySet, start: str, end: str, day: date) -> QuerySet:
    """Rows whose inclusive ``[start, end]`` dates contain ``day`` (an empty date is open)."""
    return queryset.filter(Q(**{f"{start}__isnull": True}) | Q(**{f"{start}__lte": day})).filter(
        Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": day})
    )


class PriceListItemFilter(django_filters.FilterSet):
    per_base_unit = django_filters.BooleanFilter(
        method="filter_per_base_unit",
        help_text="true: prices per base unit only; false: prices per packaging only.",
    )
    valid_on = django_filters.DateFilter(
        method="filter_valid_on", help_text="Prices valid on this date (YYYY-MM-DD)."
    )

    class Meta:
        model = PriceListItem
        fields = ("price_list", "article", "packaging_level", "per_base_unit", "valid_on")

    def filter_per_base_unit(
        self, queryset: QuerySet[PriceListItem], name: str, value: bool
    ) -> QuerySet[PriceListItem]:
        return (
            queryset.filter(packaging_level="") if value else queryset.exclude(packaging_level="")
        )

    def filter_valid_on(
        self, queryset: QuerySet[PriceListItem], name: str, value: date
    ) -> QuerySet[PriceListItem]:
        return _valid_on(queryset, "valid_from", "valid_to", value)


class CustomerSegmentFilter(django_filters.FilterSet):
    node = django_filters.ModelChoiceFilter(
        queryset=CustomerNode.objects.all(),
        field_name="nodes",
        help_text="Segments this customer node belongs to.",
    )

    class Meta:
        model = CustomerSegment
        fields = ("node",)


class ContractFilter(django_filters.FilterSet):
    valid_on = django_filters.DateFilter(
        method="filter_valid_on",
        help_text="Contracts whose validity contains this date (YYYY-MM-DD), whatever their status.",
    )

    class Meta:
        model = Contract
        fields = ("status", "node", "segment", "owner", "valid_on")

    def filter_valid_on(
        self, queryset: QuerySet[Contract], name: str, value: date
    ) -> QuerySet[Contract]:
        return queryset.filter(valid_from__lte=value).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=value)
        )


class ConditionFilter(django_filters.FilterSet):
    class Meta:
        model = Condition
        fields = ("contract", "kind", "level", "scope_kind", "family", "brand", "article")


class RebateAgreementFilter(django_filters.FilterSet):
    active_on = django_filters.DateFilter(
        method="filter_active_on",
        help_text="Agreements whose period contains this date (YYYY-MM-DD).",
    )

    class Meta:
        model = RebateAgreement
        fields = ("node", "base", "method", "family", "active_on")

    def filter_active_on(
        self, queryset: QuerySet[RebateAgreement], name: str, value: date
    ) -> QuerySet[RebateAgreement]:
        return queryset.filter(period_start__lte=value, period_end__gte=value)
