"""django-filter FilterSets of the EDI API (query parameters of the list endpoints)."""

from __future__ import annotations

import django_filters

from edi.models import EdiMessage, Interchange, TradingPartner


class TradingPartnerFilter(django_filters.FilterSet):
    class Meta:
        model = TradingPartner
        fields = ("transport", "is_active", "customer_node", "supplier", "gln")


class InterchangeFilter(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )

    class Meta:
        model = Interchange
        fields = (
            "direction",
            "state",
            "partner",
            "transport",
            "control_reference",
            "sender_id",
            "parent",
            "created_after",
            "created_before",
        )


class EdiMessageFilter(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )

    class Meta:
        model = EdiMessage
        fields = (
            "direction",
            "state",
            "message_type",
            "partner",
            "interchange",
            "reference",
            "document_type",
            "document_id",
            "created_after",
            "created_before",
        )
