"""django-filter FilterSets of the sales API (query parameters of the list endpoints)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from trade.models import CustomerNode

from ..models import Delivery, DeliveryState, OrderOrigin, OrderState, Quote, QuoteState, SalesOrder

OPEN_STATES = (OrderState.CONFIRMED, OrderState.PARTIALLY_DELIVERED)


def day_start(day: date) -> datetime:
    """Midnight (local time) starting ``day``, so date ranges use the timestamp index."""
    return timezone.make_aware(datetime.combine(day, time.min))


def late_orders() -> Q:
    """Open orders whose requested delivery date has passed."""
    return Q(state__in=OPEN_STATES, requested_date__lt=timezone.localdate())


def in_subtree(queryset: QuerySet, field: str, node: CustomerNode | None) -> QuerySet:
    """Rows whose ``field`` node is ``node`` or below it (one indexed prefix query)."""
    if node is None:
        return queryset
    return queryset.filter(**{f"{field}__path__startswith": node.path})


class CreatedRangeMixin(django_filters.FilterSet):
    created_after = django_filters.DateFilter(
        method="filter_created_after", help_text="Created on or after this date."
    )
    created_before = django_filters.DateFilter(
        method="filter_created_before", help_text="Created on or before this date."
    )

    def filter_created_after(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(created_at__gte=day_start(value))

    def filter_created_before(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(created_at__lt=day_start(value + timedelta(days=1)))


class SalesOrderFilter(CreatedRangeMixin):
    state = django_filters.MultipleChoiceFilter(
        choices=OrderState.choices, help_text="One or more states (repeat the parameter)."
    )
    origin = django_filters.ChoiceFilter(choices=OrderOrigin.choices)
    customer = django_filters.ModelChoiceFilter(
        queryset=CustomerNode.objects.all(),
        method="filter_customer",
        help_text="Orders placed by this node or any node below it (a chain's stores).",
    )
    requested_after = django_filters.DateFilter(field_name="requested_date", lookup_expr="gte")
    requested_before = django_filters.DateFilter(field_name="requested_date", lookup_expr="lte")
    late = django_filters.BooleanFilter(
        method="filter_late",
        help_text="true: confirmed or partly delivered orders past their requested date; "
        "false: the others.",
    )
    customer_reference = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = SalesOrder
        fields = (
            "state",
            "origin",
            "ordering_node",
            "delivery_node",
            "invoicing_node",
            "customer",
            "warehouse",
            "number",
            "customer_reference",
            "quote",
            "requested_after",
            "requested_before",
            "created_after",
            "created_before",
            "late",
        )

    def filter_customer(
        self, queryset: QuerySet, name: str, value: CustomerNode | None
    ) -> QuerySet:
        return in_subtree(queryset, "ordering_node", value)

    def filter_late(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(late_orders()) if value else queryset.exclude(late_orders())


class DeliveryFilter(CreatedRangeMixin):
    state = django_filters.MultipleChoiceFilter(choices=DeliveryState.choices)
    planned_after = django_filters.DateFilter(field_name="planned_date", lookup_expr="gte")
    planned_before = django_filters.DateFilter(field_name="planned_date", lookup_expr="lte")

    class Meta:
        model = Delivery
        fields = (
            "state",
            "order",
            "warehouse",
            "delivery_node",
            "number",
            "planned_after",
            "planned_before",
            "created_after",
            "created_before",
        )


class QuoteFilter(CreatedRangeMixin):
    state = django_filters.MultipleChoiceFilter(choices=QuoteState.choices)
    customer = django_filters.ModelChoiceFilter(
        queryset=CustomerNode.objects.all(),
        method="filter_customer",
        help_text="Quotes for this node or any node below it.",
    )
    valid_on = django_filters.DateFilter(
        field_name="valid_until", lookup_expr="gte", help_text="Still valid on this date."
    )

    class Meta:
        model = Quote
        fields = (
            "state",
            "ordering_node",
            "customer",
            "number",
            "valid_on",
            "created_after",
            "created_before",
        )

    def filter_customer(
        self, queryset: QuerySet, name: str, value: CustomerNode | None
    ) -> QuerySet:
        return in_subtree(queryset, "ordering_node", value)
