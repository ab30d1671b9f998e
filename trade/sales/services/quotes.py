"""Quotes: draft → sent → accepted (it becomes an order) / refused / expired."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.exceptions import InvalidTransition, ValidationFailed
from comptoir.numbering import number_next_gap_tolerant
from trade.models import CustomerNode

from ..models import OrderOrigin, Quote, QuoteLine, QuoteState, SalesEvent, SalesOrder
from .common import (
    LineInput,
    customer_check,
    date_check,
    event_record,
    line_fill,
    lines_check,
    lines_price,
    parties_resolve,
    priced_lines_insert,
    transition,
    unpriced_check,
)
from .orders import order_create

QUOTE_PREFIX = "DEV"
QUOTE_VALIDITY_DAYS = 30


def _locked(quote: Quote) -> Quote:
    return Quote.objects.select_for_update(of=("self",)).select_related("ordering_node").get(pk=quote.pk)


@transaction.atomic
def quote_create(
    *, ordering_node: CustomerNode, lines: Sequence[LineInput], requested_date: date,
    valid_until: date | None = None, delivery_node: CustomerNode | None = None,
    invoicing_node: CustomerNode | None = None, customer_reference: str = "", notes: str = "",
    salesperson=None, user=None,  # noqa: ANN001
) -> Quote:
    date_check(requested_date)
    customer_check(ordering_node)
    today = timezone.localdate()
    valid_until = valid_until or today + timedelta(days=QUOTE_VALIDITY_DAYS)
    if valid_until < today:
        raise ValidationFailed({"valid_until": [_("A quote cannot be valid until a past date.")]})
    parties = parties_resolve(ordering_node, delivery_node=delivery_node, invoicing_node=invoicing_node)
    numbered = list(enumerate(lines, start=1))
    if not numbered:
        raise ValidationFailed({"lines": [_("A quote needs at least one line.")]})
    sizes = lines_check(numbered, ordering_node=ordering_node, settings=parties.settings)
    quote = Quote.objects.create(
        ordering_node=ordering_node, delivery_node=parties.delivery_node, invoicing_node=parties.invoicing_node,
        customer_reference=customer_reference, requested_date=requested_date, valid_until=valid_until,
        salesperson=salesperson or parties.salesperson, notes=notes,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    rows = [line_fill(QuoteLine(quote=quote), data, position=position,
                      per_unit=sizes[(data.article.pk, data.packaging_level or "")]) for position, data in numbered]
    lines_price(rows, node=ordering_node, on_date=today, settings=parties.settings)
    priced_lines_insert(QuoteLine, rows)
    quote.total_amount = sum((row.line_amount for row in rows), start=Decimal(0))
    quote.save(update_fields=["total_amount"])
    event_record(quote, kind=SalesEvent.Kind.TRANSITION, user=user, to_state=QuoteState.DRAFT,
                 message=_("Created."))
    return quote


@transaction.atomic
def quote_send(quote: Quote, *, user=None) -> Quote:  # noqa: ANN001
    """Draft → sent: numbered, prices checked once more (a quote is a promise)."""
    quote = _locked(quote)
    if quote.state != QuoteState.DRAFT:
        raise InvalidTransition(_("Only a draft quote can be sent."))
    lines = list(quote.lines.select_related("article"))
    lines_price(lines, node=quote.ordering_node, on_date=timezone.localdate())
    unpriced_check(lines)
    QuoteLine.objects.bulk_update(lines, ["gross_unit_price", "net_unit_price", "line_amount", "cost_unit_price",
                                          "margin_amount", "free_base_quantity", "breakdown", "priced_on"])
    quote.total_amount = quote.lines.aggregate(total=Sum("line_amount"))["total"] or 0
    quote.number = number_next_gap_tolerant(prefix=QUOTE_PREFIX, on_date=timezone.localdate())
    quote.sent_at = timezone.now()
    quote.save(update_fields=["number", "sent_at", "total_amount", "updated_at"])
    transition(quote, QuoteState.SENT, user=user)
    return quote


@transaction.atomic
def quote_accept(quote: Quote, *, requested_date: date | None = None, user=None) -> SalesOrder:  # noqa: ANN001
    """Sent → accepted, and the draft order made of it (priced today, to confirm)."""
    quote = _locked(quote)
    if quote.state == QuoteState.SENT and quote.valid_until < timezone.localdate():
        raise InvalidTransition(_("Quote %(number)s expired on %(date)s.") % {
            "number": quote.number, "date": quote.valid_until.strftime("%d/%m/%Y")})
    transition(quote, QuoteState.ACCEPTED, user=user)
    quote_lines = list(quote.lines.select_related("article").order_by("position"))
    lines = [LineInput(article=line.article, quantity=line.quantity, packaging_level=line.packaging_level,
                       quoted_unit_price=line.net_unit_price) for line in quote_lines]
    order = order_create(
        ordering_node=quote.ordering_node, delivery_node=quote.delivery_node, invoicing_node=quote.invoicing_node,
        lines=lines, requested_date=max(requested_date or quote.requested_date, timezone.localdate()),
        customer_reference=quote.customer_reference, origin=OrderOrigin.BACK_OFFICE, notes=quote.notes,
        salesperson=quote.salesperson, user=user, quote=quote,
    )
    event_record(quote, kind=SalesEvent.Kind.CHANGE, user=user,
                 message=_("Order %(order)s created from this quote.") % {"order": order.display_number})
    return order


@transaction.atomic
def quote_refuse(quote: Quote, *, user=None, reason: str = "") -> Quote:  # noqa: ANN001
    quote = _locked(quote)
    transition(quote, QuoteState.REFUSED, user=user, message=reason)
    return quote


def quotes_expire(*, today: date | None = None) -> int:
    """Sent quotes past their validity become expired (daily task). Returns how many."""
    today = today or timezone.localdate()
    count = 0
    for pk in Quote.objects.filter(state=QuoteState.SENT, valid_until__lt=today).values_list("pk", flat=True):
        with transaction.atomic():
            quote = Quote.objects.select_for_update().get(pk=pk)
            if quote.state == QuoteState.SENT and quote.valid_until < today:
                transition(quote, QuoteState.EXPIRED, message=_("Validity date passed."))
                count += 1
    return count
