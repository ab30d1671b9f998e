"""django-filter FilterSets of the logistics API (query parameters of the list endpoints)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from logistics.models import (
    AssemblyOrder,
    InventoryCount,
    Location,
    Lot,
    Recall,
    Receipt,
    Reservation,
    SerialNumber,
    StockBalance,
    StockMove,
    Transfer,
    Warehouse,
)


def day_start(day: date) -> datetime:
    """Midnight (local time) starting ``day``, so date ranges use the timestamp index."""
    return timezone.make_aware(datetime.combine(day, time.min))


class WarehouseFilter(django_filters.FilterSet):
    class Meta:
        model = Warehouse
        fields = ("is_active",)


class LocationFilter(django_filters.FilterSet):
    class Meta:
        model = Location
        fields = ("warehouse", "kind", "zone", "is_active")


class LotFilter(django_filters.FilterSet):
    expiry_before = django_filters.DateFilter(
        field_name="expiry_date", lookup_expr="lte", help_text="Expiring on or before this date."
    )
    expiry_after = django_filters.DateFilter(
        field_name="expiry_date", lookup_expr="gte", help_text="Expiring on or after this date."
    )
    received_before = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")
    received_after = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")

    class Meta:
        model = Lot
        fields = (
            "article",
            "status",
            "supplier",
            "number",
            "expiry_kind",
            "expiry_before",
            "expiry_after",
            "received_before",
            "received_after",
        )


class SerialNumberFilter(django_filters.FilterSet):
    warehouse = django_filters.ModelChoiceFilter(
        field_name="location__warehouse", queryset=Warehouse.objects.all()
    )

    class Meta:
        model = SerialNumber
        fields = ("article", "number", "lot", "location", "warehouse", "status")


class StockBalanceFilter(django_filters.FilterSet):
    warehouse = django_filters.ModelChoiceFilter(
        field_name="location__warehouse", queryset=Warehouse.objects.all()
    )
    lot_status = django_filters.ChoiceFilter(
        field_name="lot__status", choices=Lot._meta.get_field("status").choices
    )
    only_positive = django_filters.BooleanFilter(
        method="filter_only_positive",
        help_text="Default true: only balances holding, reserving or blocking something.",
    )

    class Meta:
        model = StockBalance
        fields = ("article", "warehouse", "location", "lot", "lot_status", "only_positive")

    def filter_queryset(self, queryset: QuerySet[StockBalance]) -> QuerySet[StockBalance]:
        if self.form.cleaned_data.get("only_positive") is None:
            queryset = self.filter_only_positive(queryset, "only_positive", True)
        return super().filter_queryset(queryset)

    def filter_only_positive(
        self, queryset: QuerySet[StockBalance], name: str, value: bool
    ) -> QuerySet[StockBalance]:
        if not value:
            return queryset
        return queryset.filter(Q(on_hand__gt=0) | Q(reserved__gt=0) | Q(blocked__gt=0))


class StockMoveFilter(django_filters.FilterSet):
    """The movement journal: by article, lot, reason, document, place and date range."""

    location = django_filters.ModelChoiceFilter(
        queryset=Location.objects.all(),
        method="filter_location",
        help_text="Moves into or out of this location.",
    )
    warehouse = django_filters.ModelChoiceFilter(
        queryset=Warehouse.objects.all(),
        method="filter_warehouse",
        help_text="Moves into or out of this warehouse.",
    )
    date_from = django_filters.DateFilter(
        method="filter_date_from", help_text="On or after this day."
    )
    date_to = django_filters.DateFilter(method="filter_date_to", help_text="On or before this day.")

    class Meta:
        model = StockMove
        fields = (
            "article",
            "lot",
            "serial",
            "reason",
            "document_type",
            "document_id",
            "customer_node",
            "supplier",
            "location",
            "warehouse",
            "date_from",
            "date_to",
        )

    def filter_location(
        self, queryset: QuerySet[StockMove], name: str, value: Location
    ) -> QuerySet[StockMove]:
        return queryset.filter(Q(from_location=value) | Q(to_location=value))

    def filter_warehouse(
        self, queryset: QuerySet[StockMove], name: str, value: Warehouse
    ) -> QuerySet[StockMove]:
        return queryset.filter(Q(from_location__warehouse=value) | Q(to_location__warehouse=value))

    def filter_date_from(
        self, queryset: QuerySet[StockMove], name: str, value: date
    ) -> QuerySet[StockMove]:
        return queryset.filter(created_at__gte=day_start(value))

    def filter_date_to(
        self, queryset: QuerySet[StockMove], name: str, value: date
    ) -> QuerySet[StockMove]:
        return queryset.filter(created_at__lt=day_start(value + timedelta(days=1)))


class ReceiptFilter(django_filters.FilterSet):
    received_after = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_before = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")

    class Meta:
        model = Receipt
        fields = ("warehouse", "supplier", "status", "number", "received_after", "received_before")


class TransferFilter(django_filters.FilterSet):
    class Meta:
        model = Transfer
        fields = ("from_warehouse", "to_warehouse", "status", "number")


class InventoryCountFilter(django_filters.FilterSet):
    class Meta:
        model = InventoryCount
        fields = ("warehouse", "kind", "status", "number")


class AssemblyOrderFilter(django_filters.FilterSet):
    class Meta:
        model = AssemblyOrder
        fields = ("kind", "kit", "location", "status", "number")


class ReservationFilter(django_filters.FilterSet):
    class Meta:
        model = Reservation
        fields = (
            "document_type",
            "document_id",
            "document_line",
            "article",
            "customer_node",
            "status",
        )


class RecallFilter(django_filters.FilterSet):
    lot = django_filters.ModelChoiceFilter(field_name="lots", queryset=Lot.objects.all())

    class Meta:
        model = Recall
        fields = ("reference", "lot")
