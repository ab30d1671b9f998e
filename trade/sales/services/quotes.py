"""Quotes: draft → sent → accepted (it becomes an order) / refused / expired."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.exceptions import InvalidTransition, ValidationFailed
from comptoir.money import round_amount
from comptoir.numbering import number_next_gap_tolerant
from trade.models import CustomerNode

from ..models import OrderOrigin, Quote, QuoteLine, QuoteState, SalesEvent, SalesOrder
from .common import (
    LineInput,
    Parties,
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


@dataclass(frozen=True)
class _CheckedQuote:
    """What ``_quote_check`` accepted: the parties, the validity date and the
    numbered lines with their base units per unit."""

    parties: Parties
    valid_until: date
    lines: list[tuple[int, LineInput]]
    sizes: dict[tuple[int, str], Decimal]


def _quote_check(*, ordering_node: CustomerNode, lines: Sequence[LineInput], requested_date: date,
                 valid_until: date, delivery_node: CustomerNode | None, invoicing_node: CustomerNode | None,
                 today: date) -> _CheckedQuote:
    """The checks of a quote's content before anything is written (creation and
    change): the date, the customer, the validity, at least one line, each line."""
    date_check(requested_date)
    customer_check(ordering_node)
    if valid_until < today:
        raise ValidationFailed({"valid_until": [_("A quote cannot be valid until a past date.")]})
    parties = parties_resolve(ordering_node, delivery_node=delivery_node, invoicing_node=invoicing_node)
    numbered = list(enumerate(lines, start=1))
    if not numbered:
        raise ValidationFailed({"lines": [_("A quote needs at least one line.")]})
    sizes = lines_check(numbered, ordering_node=ordering_node, settings=parties.settings)
    return _CheckedQuote(parties=parties, valid_until=valid_until, lines=numbered, sizes=sizes)


def _lines_insert(quote: Quote, checked: _CheckedQuote, *, today: date) -> None:
    """Insert the checked lines priced today and set (not save) the quote's total."""
    rows = [line_fill(QuoteLine(quote=quote), data, position=position,
                      per_unit=checked.sizes[(data.article.pk, data.packaging_level or "")])
            for position, data in checked.lines]
    lines_price(rows, node=quote.ordering_node, on_date=today, settings=checked.parties.settings)
    priced_lines_insert(QuoteLine, rows)
    quote.total_amount = sum((row.line_amount for row in rows), start=Decimal(0))


@transaction.atomic
def quote_create(
    *, ordering_node: CustomerNode, lines: Sequence[LineInput], requested_date: date,
    valid_until: date | None = None, delivery_node: CustomerNode | None = None,
    invoicing_node: CustomerNode | None = None, customer_reference: str = "", notes: str = "",
    salesperson=None, user=None,  # noqa: ANN001
) -> Quote:
    today = timezone.localdate()
    checked = _quote_check(
        ordering_node=ordering_node, lines=lines, requested_date=requested_date,
        valid_until=valid_until or today + timedelta(days=QUOTE_VALIDITY_DAYS),
        delivery_node=delivery_node, invoicing_node=invoicing_node, today=today,
    )
    parties = checked.parties
    quote = Quote.objects.create(
        ordering_node=ordering_node, delivery_node=parties.delivery_node, invoicing_node=parties.invoicing_node,
        customer_reference=customer_reference, requested_date=requested_date, valid_until=checked.valid_until,
        salesperson=salesperson or parties.salesperson, notes=notes,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    _lines_insert(quote, checked, today=today)
    quote.save(update_fields=["total_amount"])
    event_record(quote, kind=SalesEvent.Kind.TRANSITION, user=user, to_state=QuoteState.DRAFT,
                 message=_("Created."))
    return quote


# The header fields a change can touch, as the history records them.
_HEADER_FIELDS = ("ordering_node", "delivery_node", "invoicing_node", "customer_reference", "requested_date",
                  "valid_until", "notes", "salesperson", "total_amount")


def _header_values(quote: Quote) -> dict[str, str]:
    """The header as the history shows it: nodes by code, dates in ISO, amounts with
    2 places, the salesperson by login."""
    values: dict[str, str] = {}
    for name in _HEADER_FIELDS:
        value = getattr(quote, name)
        if isinstance(value, CustomerNode):
            values[name] = value.code
        elif isinstance(value, date):
            values[name] = value.isoformat()
        elif isinstance(value, Decimal):
            values[name] = str(round_amount(value))
        elif name == "salesperson":
            values[name] = value.get_username() if value is not None else ""
        else:
            values[name] = str(value)
    return values


def _draft_locked(quote: Quote) -> Quote:
    quote = _locked(quote)
    if quote.state != QuoteState.DRAFT:
        raise InvalidTransition(_("Only a draft quote can be changed."), from_state=quote.state)
    return quote


@transaction.atomic
def quote_update(
    quote: Quote, *, lines: Sequence[LineInput], requested_date: date, valid_until: date | None = None,
    delivery_node: CustomerNode | None = None, invoicing_node: CustomerNode | None = None,
    customer_reference: str = "", notes: str = "", ordering_node: CustomerNode | None = None,
    user=None,  # noqa: ANN001
) -> Quote:
    """A draft quote's content replaced: header and lines, as ``quote_create`` takes them.

    Precondition: the quote is a draft (``InvalidTransition`` otherwise), checked on
    the row locked first. ``ordering_node`` and ``valid_until`` left out keep the
    quote's; delivery and invoicing nodes left out come from the hierarchy, as at
    creation (and the salesperson when the customer changes). The checks are
    creation's; a refusal (``ValidationFailed`` naming every bad line) writes
    nothing. The old lines are deleted, the new ones inserted priced today, the
    total is theirs. Recorded as a ``change`` event: the header fields changed,
    before and after, and the line counts."""
    quote = _draft_locked(quote)
    today = timezone.localdate()
    ordering_node = ordering_node or quote.ordering_node
    checked = _quote_check(
        ordering_node=ordering_node, lines=lines, requested_date=requested_date,
        valid_until=valid_until or quote.valid_until, delivery_node=delivery_node,
        invoicing_node=invoicing_node, today=today,
    )
    before: dict[str, str | int] = {**_header_values(quote), "lines": quote.lines.count()}
    parties = checked.parties
    if ordering_node.pk != quote.ordering_node_id:
        quote.salesperson = parties.salesperson
    quote.ordering_node = ordering_node
    quote.delivery_node, quote.invoicing_node = parties.delivery_node, parties.invoicing_node
    quote.customer_reference, quote.notes = customer_reference, notes
    quote.requested_date, quote.valid_until = requested_date, checked.valid_until
    quote.lines.all().delete()
    _lines_insert(quote, checked, today=today)
    quote.save(update_fields=[*_HEADER_FIELDS, "updated_at"])
    after: dict[str, str | int] = {**_header_values(quote), "lines": len(checked.lines)}
    changed = [name for name in after if name == "lines" or before[name] != after[name]]
    event_record(quote, kind=SalesEvent.Kind.CHANGE, user=user, message=_("Quote changed."),
                 data={"before": {name: before[name] for name in changed},
                       "after": {name: after[name] for name in changed}})
    return quote


def quote_line_inputs(quote: Quote) -> list[LineInput]:
    """A quote's lines as ``quote_create`` and ``quote_update`` take them, in order
    (what a change keeps when it gives no lines; the edit page starts from them)."""
    return [LineInput(article=line.article, quantity=line.quantity, packaging_level=line.packaging_level,
                      requested_date=line.requested_date, caller_unit_price=line.caller_unit_price)
            for line in quote.lines.select_related("article").order_by("position")]


@transaction.atomic
def quote_patch(quote: Quote, *, user=None, **changes: Any) -> Quote:  # noqa: ANN001
    """``quote_update`` given only what changes (an API ``PATCH``): the rest, lines
    included, keeps the quote's values, read under the row lock so that a change
    made meanwhile is not undone. Another customer without delivery or invoicing
    node takes them from its hierarchy."""
    quote = _draft_locked(quote)
    unknown = set(changes) - {"ordering_node", "delivery_node", "invoicing_node", "customer_reference",
                              "requested_date", "valid_until", "notes", "lines"}
    if unknown:
        raise ValidationFailed({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    current: dict[str, Any] = {
        "ordering_node": quote.ordering_node, "customer_reference": quote.customer_reference,
        "requested_date": quote.requested_date, "valid_until": quote.valid_until, "notes": quote.notes,
    }
    new_customer = changes.get("ordering_node")
    if new_customer is None or new_customer.pk == quote.ordering_node_id:
        current.update(delivery_node=quote.delivery_node, invoicing_node=quote.invoicing_node)
    if "lines" not in changes:
        current["lines"] = quote_line_inputs(quote)
    return quote_update(quote, **{**current, **changes}, user=user)


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
