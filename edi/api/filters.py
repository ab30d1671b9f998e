"""django-filter FilterSets of the EDI API (query parameters of the list endpoints)."""

from __future__ import annotations

import django_filters

from edi.models import EdiMessage, Interchange, TradingPartner


class TradingPartnerFilter(django_filters.FilterSet):
    class Meta:
        model = TradingPartner
        fields = ("transport", "is_active", "customer_node", "supplier", "gln")


class ExchangeFilter(django_filters.FilterSet):
    """What both exchange lists (interchanges, messages) filter by: direction, state,
    partner and when they were created."""

    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )

    class Meta:
        fields: tuple[str, ...] = ("direction", "state", "partner")


class InterchangeFilter(ExchangeFilter):
    class Meta:
        model = Interchange
        fields = (
            *ExchangeFilter.Meta.fields,
            "transport",
            "control_reference",
            "sender_id",
            "parent",
        )


class EdiMessageFilter(ExchangeFilter):
    class Meta:
        model = EdiMessage
        fields = (
            *ExchangeFilter.Meta.fields,
            "message_type",
            "interchange",
            "reference",
            "document_type",
            "document_id",
        )
