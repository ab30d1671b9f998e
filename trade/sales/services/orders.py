"""Sales orders: create, change, confirm (re-price, credit, FEFO reservation), cancel, close.

Reservations are keyed ``("sales.order", order id, line id)`` while the order holds
them and handed to the delivery that picks them (``deliveries.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from comptoir.bulk import instances_update
from comptoir.exceptions import DomainError, InvalidTransition, ValidationFailed
from comptoir.numbering import numbers_next_gap_tolerant
from logistics import allocation as engine
from logistics.models import Warehouse
from logistics.services.reservations import (
    ReserveLine,
    ReserveRequest,
    min_shelf_life_of,
    reservations_release,
    reserved_quantities,
    reserved_quantities_many,
    stocks_reserve,
)
from trade.models import BackorderPolicy, CustomerNode
from trade.selectors import (
    EffectiveSettings,
    customer_nodes_effective_settings,
)

from ..models import (
    DeliveryLine,
    DeliveryState,
    LineState,
    OrderOrigin,
    OrderState,
    SalesEvent,
    SalesOrder,
    SalesOrderLine,
)
from ..signals import orders_confirmed
from .common import (
    LineInput,
    Parties,
    PricingGroup,
    caller_price_off,
    customer_check,
    date_check,
    event_record,
    events_save,
    line_fill,
    line_label,
    lines_check,
    lines_price,
    lines_price_many,
    packaging_sizes,
    parties_resolve,
    priced_lines_insert,
    transition,
    transitions,
    unpriced_check,
)
from .stock import held_units, units_release

T = TypeVar("T")
ORDER_DOCUMENT = "sales.order"
ORDER_PREFIX = "CDE"
EXPOSED_STATES = (OrderState.CONFIRMED, OrderState.PARTIALLY_DELIVERED, OrderState.DELIVERED)


def default_warehouse() -> Warehouse:
    warehouse = Warehouse.objects.filter(is_active=True).order_by("code").first()
    if warehouse is None:
        raise DomainError(_("No active warehouse: create one before taking orders."), code="no_warehouse")
    return warehouse


def _locked(order: SalesOrder) -> SalesOrder:
    return SalesOrder.objects.select_for_update(of=("self",)).select_related(
        "ordering_node", "delivery_node", "invoicing_node", "warehouse").get(pk=order.pk)


def _open_lines(order: SalesOrder, *, breakdown: bool = True) -> list[SalesOrderLine]:
    """The open lines with their article. ``breakdown=False``: without the price
    breakdown (kilobytes of JSON a line) for a caller that only moves quantities."""
    queryset = order.lines.filter(state=LineState.OPEN).select_related("article").order_by("position")
    return list(queryset if breakdown else queryset.defer("breakdown"))


def _total_refresh(order: SalesOrder, lines: Sequence[SalesOrderLine] | None = None) -> None:
    """The order's total from its open lines; ``lines``: all of them, in memory (no query)."""
    if lines is None:
        order.total_amount = order.lines.filter(state=LineState.OPEN).aggregate(
            total=Sum("line_amount"))["total"] or Decimal(0)
    else:
        order.total_amount = sum((line.line_amount for line in lines), Decimal(0))
    order.save(update_fields=["total_amount", "updated_at"])


# ------------------------------------------------------------------ create / edit


@dataclass(frozen=True)
class OrderSpec:
    """One order to create: ``order_create``'s arguments."""

    ordering_node: CustomerNode
    lines: Sequence[LineInput]
    requested_date: date
    delivery_node: CustomerNode | None = None
    invoicing_node: CustomerNode | None = None
    customer_reference: str = ""
    origin: str = OrderOrigin.BACK_OFFICE
    warehouse: Warehouse | None = None
    salesperson: object | None = None
    notes: str = ""
    quote: object | None = None
    source: str = ""
    price_tolerance_percent: Decimal = Decimal(0)


class OrdersRefused(DomainError):
    """Orders of a batch were refused and nothing was written: ``refusals`` maps the
    position of each refused one in the batch to why (a ``DomainError``). The others
    would pass: the caller may try again without the refused ones."""

    code = "orders_refused"

    def __init__(self, refusals: dict[int, DomainError]) -> None:
        super().__init__("; ".join(f"#{index}: {error.message}" for index, error in sorted(refusals.items())),
                         refusals={index: error.as_dict() for index, error in sorted(refusals.items())})
        self.refusals = refusals


def _refusal(refusals: dict[int, DomainError]) -> None:
    """Raise what a batch refused: for a batch of one, the error itself."""
    if refusals:
        raise OrdersRefused(refusals)


def _single(batch: Callable[[], list[T]]) -> T:
    """The one result of a batch of one; its refusal raised as it is."""
    try:
        return batch()[0]
    except OrdersRefused as exc:
        raise exc.refusals[0] from None


@transaction.atomic
def order_create(
    *, ordering_node: CustomerNode, lines: Sequence[LineInput], requested_date: date,
    delivery_node: CustomerNode | None = None, invoicing_node: CustomerNode | None = None,
    customer_reference: str = "", origin: str = OrderOrigin.BACK_OFFICE, warehouse: Warehouse | None = None,
    salesperson=None, notes: str = "", user=None, quote=None, source: str = "",  # noqa: ANN001
    price_tolerance_percent: Decimal = Decimal(0),
) -> SalesOrder:
    """A draft order with its lines priced by the engine. Every line is checked
    first: one bad line refuses the whole order, naming the line and the reason.
    A price sent by the customer is only compared: beyond ``price_tolerance_percent``
    of ours the line is flagged."""
    spec = OrderSpec(
        ordering_node=ordering_node, lines=lines, requested_date=requested_date, delivery_node=delivery_node,
        invoicing_node=invoicing_node, customer_reference=customer_reference, origin=origin, warehouse=warehouse,
        salesperson=salesperson, notes=notes, quote=quote, source=source,
        price_tolerance_percent=price_tolerance_percent)
    return _single(lambda: orders_create([spec], user=user))


@transaction.atomic
def orders_create(specs: Sequence[OrderSpec], *, user=None) -> list[SalesOrder]:  # noqa: ANN001
    """Many draft orders at once (``order_create`` of each, in a fixed number of
    queries: EDI receives a thousand at a time). All or nothing: when any is refused,
    ``OrdersRefused`` says which and why, and nothing is written."""
    today = timezone.localdate()
    effective = customer_nodes_effective_settings(
        list({spec.ordering_node.pk: spec.ordering_node for spec in specs}.values()))
    packagings = packaging_sizes(line.article.pk for spec in specs for line in spec.lines)
    refusals: dict[int, DomainError] = {}
    prepared: list[tuple[OrderSpec, Parties, list[SalesOrderLine]]] = []
    for index, spec in enumerate(specs):
        node = spec.ordering_node
        settings = effective[node.pk]
        try:
            date_check(spec.requested_date, today=today)
            parties = parties_resolve(node, delivery_node=spec.delivery_node, invoicing_node=spec.invoicing_node,
                                      settings=settings)
            # The lineage the settings were read from, with current flags: no second read.
            customer_check(node, read=settings.lineage_read)
            numbered = list(enumerate(spec.lines, start=1))
            sizes = lines_check(numbered, ordering_node=node, today=today, settings=settings, packagings=packagings)
        except ValidationFailed as exc:
            refusals[index] = exc
            continue
        rows = [line_fill(SalesOrderLine(), data, position=position,
                          per_unit=sizes[(data.article.pk, data.packaging_level or "")])
                for position, data in numbered]
        prepared.append((spec, parties, rows))
    _refusal(refusals)
    lines_price_many([PricingGroup(rows, spec.ordering_node, parties.settings) for spec, parties, rows in prepared],
                     on_date=today)
    warehouse = None if all(spec.warehouse for spec in specs) else default_warehouse()
    created_by = user if getattr(user, "is_authenticated", False) else None
    orders: list[SalesOrder] = []
    for spec, parties, rows in prepared:
        for row in rows:
            row.caller_price_flagged = caller_price_off(row, tolerance_percent=spec.price_tolerance_percent)
        # Priced before the order is written: it is inserted with its total.
        orders.append(SalesOrder(
            ordering_node=spec.ordering_node, delivery_node=parties.delivery_node,
            invoicing_node=parties.invoicing_node, customer_reference=spec.customer_reference,
            requested_date=spec.requested_date, origin=spec.origin, warehouse=spec.warehouse or warehouse,
            salesperson=spec.salesperson or parties.salesperson, notes=spec.notes, created_by=created_by,
            quote=spec.quote, source=spec.source, total_amount=sum((row.line_amount for row in rows), Decimal(0)),
        ))
    SalesOrder.objects.bulk_create(orders)
    pending: list[SalesEvent] = []
    all_rows: list[SalesOrderLine] = []
    for order, (spec, _parties, rows) in zip(orders, prepared, strict=True):
        for row in rows:
            row.order = order
        all_rows += rows
        event_record(order, kind=SalesEvent.Kind.TRANSITION, user=user, to_state=OrderState.DRAFT,
                     message=_("Created (%(origin)s).") % {"origin": OrderOrigin(spec.origin).label}, pending=pending)
    priced_lines_insert(SalesOrderLine, all_rows)
    events_save(pending)
    for order, (_spec, _parties, rows) in zip(orders, prepared, strict=True):
        # The lines as ``prefetch_related("lines")`` would give them: ``order.lines.all()``
        # answers without a query (``orders_confirm(…, just_created=True)`` takes them).
        lines = order.lines.all()
        lines._result_cache, lines._prefetch_done = list(rows), True
        order._prefetched_objects_cache = {"lines": lines}
    return orders


@transaction.atomic
def order_header_update(order: SalesOrder, *, user=None, **changes) -> SalesOrder:  # noqa: ANN001, ANN003
    """Change the header of an order: parties and customer reference while in draft;
    requested date and notes while it is open."""
    order = _locked(order)
    draft_only = {"ordering_node", "delivery_node", "invoicing_node", "customer_reference", "warehouse",
                  "salesperson"}
    allowed = draft_only | {"requested_date", "notes"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed({name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    if order.state != OrderState.DRAFT and set(changes) & draft_only:
        raise InvalidTransition(_("Only a draft order's parties and references can be changed."))
    if order.state not in (OrderState.DRAFT, OrderState.CONFIRMED, OrderState.PARTIALLY_DELIVERED):
        raise InvalidTransition(_("A %(state)s order cannot be changed.") % {"state": order.get_state_display()})
    if "requested_date" in changes and changes["requested_date"] != order.requested_date:
        date_check(changes["requested_date"])
    before = {name: str(getattr(order, name)) for name in changes}
    for name, value in changes.items():
        setattr(order, name, value)
    if "ordering_node" in changes:
        customer_check(order.ordering_node)
    order.save()
    if "ordering_node" in changes:  # another customer: other prices
        lines = list(order.lines.select_related("article"))
        lines_price(lines, node=order.ordering_node, on_date=timezone.localdate())
        SalesOrderLine.objects.bulk_update(lines, _PRICE_FIELDS)
        _total_refresh(order)
    event_record(order, kind=SalesEvent.Kind.CHANGE, user=user, message=_("Header changed."),
                 data={"before": before, "after": {name: str(getattr(order, name)) for name in changes}})
    return order


_PRICE_FIELDS = ["gross_unit_price", "net_unit_price", "line_amount", "cost_unit_price", "margin_amount",
                 "free_base_quantity", "breakdown", "priced_on", "keyed_net_unit_price"]


def _price_fields(line: SalesOrderLine) -> list[object]:
    return [getattr(line, name) for name in _PRICE_FIELDS]


@transaction.atomic
def order_line_add(order: SalesOrder, data: LineInput, *, user=None,  # noqa: ANN001
                   price_tolerance_percent: Decimal = Decimal(0)) -> SalesOrderLine:
    """Add a priced line; on a confirmed order it is reserved at once. A price sent
    by the customer is flagged beyond ``price_tolerance_percent`` of ours."""
    order = _locked(order)
    if order.state not in (OrderState.DRAFT, OrderState.CONFIRMED, OrderState.PARTIALLY_DELIVERED):
        raise InvalidTransition(_("Lines cannot be added to a %(state)s order.")
                                % {"state": order.get_state_display()})
    position = (order.lines.aggregate(top=Max("position"))["top"] or 0) + 1
    sizes = lines_check([(position, data)], ordering_node=order.ordering_node)
    line = line_fill(SalesOrderLine(order=order), data, position=position,
                     per_unit=sizes[(data.article.pk, data.packaging_level or "")])
    lines_price([line], node=order.ordering_node, on_date=timezone.localdate())
    line.caller_price_flagged = caller_price_off(line, tolerance_percent=price_tolerance_percent)
    if order.state != OrderState.DRAFT:
        unpriced_check([line])
    line.save()
    if order.state != OrderState.DRAFT:
        _reserve(order, [line], user=user)
    _total_refresh(order)
    event_record(order, kind=SalesEvent.Kind.CHANGE, user=user,
                 message=_("%(line)s added: %(quantity)s %(unit)s.") % {
                     "line": line_label(position, line.article), "quantity": line.quantity, "unit": line.unit})
    return line


@transaction.atomic
def order_lines_add(order: SalesOrder, lines: Sequence[LineInput], *, user=None) -> list[SalesOrderLine]:  # noqa: ANN001
    """Add several lines (an assortment, a paste): all or none."""
    return [order_line_add(order, data, user=user) for data in lines]


@transaction.atomic
def order_line_change(line: SalesOrderLine, *, quantity: Decimal | None = None,  # noqa: PLR0913
                      requested_date: date | None = None, user=None,  # noqa: ANN001
                      caller_unit_price: Decimal | None = None,
                      price_tolerance_percent: Decimal = Decimal(0)) -> SalesOrderLine:
    """Change a line's quantity or date. After confirmation the reservation follows
    (less: the latest-expiring lots go back; more: FEFO reserves the rest); the
    quantity can never go below what is delivered or being picked. A new price sent
    by the customer (``caller_unit_price``) is compared again, like a new line's."""
    order = _locked(line.order)
    line = SalesOrderLine.objects.select_for_update().select_related("article").get(pk=line.pk)
    if order.state not in (OrderState.DRAFT, OrderState.CONFIRMED, OrderState.PARTIALLY_DELIVERED):
        raise InvalidTransition(_("A %(state)s order cannot be changed.") % {"state": order.get_state_display()})
    if line.state != LineState.OPEN:
        raise InvalidTransition(_("A cancelled line cannot be changed."))
    label = line_label(line.position, line.article)
    before = {"quantity": str(line.quantity), "requested_date": str(line.requested_date)}
    if requested_date is not None and requested_date != line.requested_date:
        date_check(requested_date)
        line.requested_date = requested_date
    if quantity is not None and quantity != line.quantity:
        data = LineInput(article=line.article, quantity=quantity, packaging_level=line.packaging_level)
        lines_check([(line.position, data)], ordering_node=order.ordering_node)
        new_base = quantity * line.base_units_per_unit
        floor = line.delivered_quantity + _in_deliveries(line)
        if new_base + line.free_base_quantity < floor:
            raise ValidationFailed({"lines": [
                _("%(line)s: %(quantity)s is less than what is delivered or being picked (%(floor)s base units).")
                % {"line": label, "quantity": quantity, "floor": floor}]})
        line.quantity = quantity
        line.base_quantity = new_base
        lines_price([line], node=order.ordering_node, on_date=timezone.localdate())
        if order.state != OrderState.DRAFT:
            unpriced_check([line])
            line.cut_quantity = min(line.cut_quantity, max(line.to_ship - line.delivered_quantity, Decimal(0)))
    if caller_unit_price is not None:
        line.caller_unit_price = caller_unit_price
    if caller_unit_price is not None or quantity is not None:
        line.caller_price_flagged = caller_price_off(line, tolerance_percent=price_tolerance_percent)
    line.save()
    if order.state != OrderState.DRAFT:
        _reservation_fit(order, line, user=user)
    _total_refresh(order)
    event_record(order, kind=SalesEvent.Kind.CHANGE, user=user, message=_("%(line)s changed.") % {"line": label},
                 data={"before": before, "after": {"quantity": str(line.quantity),
                                                   "requested_date": str(line.requested_date)}})
    if order.state != OrderState.DRAFT:
        _state_follow(order, user=user)
    return line


@transaction.atomic
def order_line_cancel(line: SalesOrderLine, *, user=None) -> None:  # noqa: ANN001
    """Remove a line: deleted from a draft; on a confirmed order its reservation is
    released and the line is cancelled (or, if part of it was delivered, the rest
    is cut)."""
    order = _locked(line.order)
    line = SalesOrderLine.objects.select_for_update().select_related("article").get(pk=line.pk)
    label = line_label(line.position, line.article)
    if order.state == OrderState.DRAFT:
        line.delete()
        _total_refresh(order)
        event_record(order, kind=SalesEvent.Kind.CHANGE, user=user, message=_("%(line)s removed.") % {"line": label})
        return
    if order.state not in (OrderState.CONFIRMED, OrderState.PARTIALLY_DELIVERED):
        raise InvalidTransition(_("A %(state)s order cannot be changed.") % {"state": order.get_state_display()})
    if _in_deliveries(line):
        raise InvalidTransition(_("%(line)s is being picked: cancel or ship the delivery first.") % {"line": label})
    reservations_release(document_type=ORDER_DOCUMENT, document_id=str(order.pk), document_line=str(line.pk))
    if line.delivered_quantity:
        line.cut_quantity = line.to_ship - line.delivered_quantity
        line.save(update_fields=["cut_quantity"])
    else:
        line.state = LineState.CANCELLED
        line.save(update_fields=["state"])
    _total_refresh(order)
    event_record(order, kind=SalesEvent.Kind.CHANGE, user=user, message=_("%(line)s cancelled.") % {"line": label})
    _state_follow(order, user=user)


def _in_deliveries(line: SalesOrderLine) -> Decimal:
    """Base units of the line in deliveries not yet shipped."""
    return line.delivery_lines.filter(
        delivery__state__in=(DeliveryState.PICKING, DeliveryState.PICKED)
    ).aggregate(total=Sum("quantity"))["total"] or Decimal(0)


def _in_deliveries_by_line(lines: Sequence[SalesOrderLine]) -> dict[int, Decimal]:
    """``_in_deliveries`` of many lines in one query: {line id: base units}."""
    rows = (DeliveryLine.objects
            .filter(order_line__in=[line.pk for line in lines],
                    delivery__state__in=(DeliveryState.PICKING, DeliveryState.PICKED))
            .values("order_line_id").annotate(total=Sum("quantity")).order_by())
    return {row["order_line_id"]: row["total"] for row in rows}


# ------------------------------------------------------------------ confirm


@dataclass
class ConfirmResult:
    order: SalesOrder
    price_changes: list[SalesOrderLine] = field(default_factory=list)
    short_lines: list[tuple[SalesOrderLine, Decimal, str]] = field(default_factory=list)  # line, short, reason


def credit_exposure(invoicing_node: CustomerNode, *, exclude: SalesOrder | None = None) -> Decimal:
    """What the invoiced customer owes us or has on order: open and delivered orders
    not yet closed (invoices and payments will replace the delivered part)."""
    return credit_exposures({invoicing_node.pk}, exclude=[exclude.pk] if exclude is not None else [])[
        invoicing_node.pk]


def _credit_refusal(order: SalesOrder, exposure: Decimal, limit: Decimal) -> ValidationFailed | None:
    if exposure + order.total_amount <= limit:
        return None
    return ValidationFailed({"credit_limit": [
        _("Credit limit exceeded for %(node)s: %(exposure)s already on order + %(total)s for this order "
          "> limit %(limit)s.") % {"node": order.invoicing_node, "exposure": exposure,
                                   "total": order.total_amount, "limit": limit}]})


def credit_exposures(node_ids: set[int], *, exclude: Sequence[int] = ()) -> dict[int, Decimal]:
    """``credit_exposure`` of many invoiced nodes (by id) in one query."""
    if not node_ids:
        return {}
    rows = (SalesOrder.objects.filter(invoicing_node_id__in=node_ids, state__in=EXPOSED_STATES)
            .exclude(pk__in=exclude).values("invoicing_node_id").annotate(total=Sum("total_amount")).order_by())
    found = {row["invoicing_node_id"]: row["total"] for row in rows}
    return {pk: found.get(pk) or Decimal(0) for pk in node_ids}


@transaction.atomic
def order_confirm(order: SalesOrder, *, user=None) -> ConfirmResult:  # noqa: ANN001
    """Draft → confirmed: re-price every line (a price that moved since keying is kept
    visible on the line and in the history), check the customers and the credit
    limit, number the order, reserve FEFO with the delivered store's minimum
    remaining shelf life; short lines stay as backorder or are cut."""
    return _single(lambda: orders_confirm([order], user=user))


@transaction.atomic
def orders_confirm(orders: Sequence[SalesOrder], *, user=None,  # noqa: ANN001
                   just_created: bool = False) -> list[ConfirmResult]:
    """``order_confirm`` of many orders in a fixed number of queries (EDI confirms a
    thousand at a time), in the order given: each one's credit check counts the ones
    before it, and FEFO serves them in that order. All or nothing: when any is
    refused, ``OrdersRefused`` says which and why, and nothing is written.

    ``just_created``: the orders are ``orders_create``'s, in this transaction: their
    lines, priced a moment ago, are taken as they are in memory rather than read and
    priced again (nothing can have moved a price in between that a re-price now
    would not equally miss)."""
    if not orders:
        return []
    ids = [order.pk for order in orders]
    locked = {row.pk: row for row in SalesOrder.objects.select_for_update(of=("self",)).select_related(
        "ordering_node", "delivery_node", "invoicing_node", "warehouse").filter(pk__in=ids).order_by("pk")}
    lines_of: dict[int, list[SalesOrderLine]] = defaultdict(list)
    if just_created:
        for order in orders:
            lines = list(order._prefetched_objects_cache["lines"])
            for line in lines:
                line.order = locked[order.pk]
            lines_of[order.pk] = [line for line in lines if line.state == LineState.OPEN]
    else:
        for line in (SalesOrderLine.objects.filter(order_id__in=ids, state=LineState.OPEN).select_related("article")
                     .order_by("order_id", "position")):
            line.order = locked[line.order_id]
            lines_of[line.order_id].append(line)
    orders = [locked[pk] for pk in ids]
    # Every customer's settings in one read, used by the customer, line and credit
    # checks and the backorder rule.
    effective = customer_nodes_effective_settings(list({node.pk: node for order in orders for node in (
        order.ordering_node, order.invoicing_node)}.values()))
    read = {pk: row for one in effective.values() for pk, row in one.lineage_read.items()}
    packagings = packaging_sizes(line.article_id for lines in lines_of.values() for line in lines)
    today = timezone.localdate()
    refusals: dict[int, DomainError] = {}
    checked: list[tuple[int, SalesOrder, list[SalesOrderLine]]] = []
    seen: set[int] = set()
    for index, order in enumerate(orders):
        lines = lines_of[order.pk]
        try:
            if order.pk in seen:
                raise InvalidTransition(_("Order %(order)s is twice in the batch.") % {"order": order.display_number})
            seen.add(order.pk)
            if order.state != OrderState.DRAFT:
                raise InvalidTransition(_("Only a draft order can be confirmed (this one is %(state)s).")
                                        % {"state": order.get_state_display()})
            if not lines:
                raise ValidationFailed({"lines": [_("An order needs at least one line.")]})
            customer_check(order.ordering_node, order.delivery_node, order.invoicing_node, read=read)
            date_check(order.requested_date, today=today)
            lines_check([(line.position, LineInput(article=line.article, quantity=line.quantity,
                                                   packaging_level=line.packaging_level,
                                                   requested_date=line.requested_date)) for line in lines],
                        ordering_node=order.ordering_node, today=today,
                        settings=effective[order.ordering_node_id], packagings=packagings)
        except DomainError as exc:
            refusals[index] = exc
            continue
        checked.append((index, order, lines))
    stored = {line.pk: _price_fields(line) for _index, _order, lines in checked for line in lines}
    if just_created:
        befores = [{line.position: line.net_unit_price for line in lines} for _index, _order, lines in checked]
    else:
        befores = lines_price_many([PricingGroup(lines, order.ordering_node, effective[order.ordering_node_id])
                                    for _index, order, lines in checked], on_date=today)
    limits = {order.invoicing_node_id: effective[order.invoicing_node_id].value("credit_limit")
              for _index, order, _lines in checked}
    exposures = credit_exposures({pk for pk, limit in limits.items() if limit is not None}, exclude=ids)
    confirmed: list[tuple[SalesOrder, list[SalesOrderLine], dict[int, Decimal | None]]] = []
    for (index, order, lines), before in zip(checked, befores, strict=True):
        try:
            unpriced_check(lines)
        except ValidationFailed as exc:
            refusals[index] = exc
            continue
        # The total of the re-priced open lines, saved below with the number.
        order.total_amount = sum((line.line_amount for line in lines), Decimal(0))
        limit = limits[order.invoicing_node_id]
        if limit is not None:
            refusal = _credit_refusal(order, exposures[order.invoicing_node_id], limit)
            if refusal is not None:
                refusals[index] = refusal
                continue
            exposures[order.invoicing_node_id] += order.total_amount
        confirmed.append((order, lines, before))
    _refusal(refusals)

    pending: list[SalesEvent] = []
    results: list[ConfirmResult] = []
    repriced: list[SalesOrderLine] = []
    numbers = numbers_next_gap_tolerant(prefix=ORDER_PREFIX, on_date=today, count=len(confirmed))
    now = timezone.now()
    for (order, lines, before), number in zip(confirmed, numbers, strict=True):
        result = ConfirmResult(order=order)
        for line in lines:
            previous = before[line.position]
            if previous is not None and previous != line.net_unit_price:
                line.keyed_net_unit_price = previous
                result.price_changes.append(line)
                event_record(order, kind=SalesEvent.Kind.PRICE, user=user, pending=pending,
                             message=_("%(line)s: net price %(old)s → %(new)s at confirmation.") % {
                                 "line": line_label(line.position, line.article), "old": previous,
                                 "new": line.net_unit_price},
                             data={"line": line.pk, "old": str(previous), "new": str(line.net_unit_price)})
        # Only the lines whose snapshot moved are written: confirming on the day of
        # keying with unchanged prices writes none.
        repriced += [line for line in lines if _price_fields(line) != stored[line.pk]]
        order.number = number
        order.confirmed_at = now
        order.backorder_policy = (effective[order.ordering_node_id].value("backorder_policy")
                                  or BackorderPolicy.BACKORDER)
        results.append(result)
    if repriced:
        instances_update(SalesOrderLine, repriced, _PRICE_FIELDS)
    transitions(results and [result.order for result in results], OrderState.CONFIRMED, user=user, pending=pending,
                save_fields=("total_amount", "number", "confirmed_at", "backorder_policy"))
    shorts = _reserve_many([(result.order, lines, effective[result.order.ordering_node_id])
                            for result, (_order, lines, _before) in zip(results, confirmed, strict=True)],
                           user=user, pending=pending)
    for result, short in zip(results, shorts, strict=True):
        result.short_lines = short
    events_save(pending)
    orders_confirmed.send(sender=SalesOrder, results=results)
    return results


def _reserve(order: SalesOrder, lines: Sequence[SalesOrderLine], *, user=None,  # noqa: ANN001
             record: bool = True, settings: EffectiveSettings | None = None,
             ) -> list[tuple[SalesOrderLine, Decimal, str]]:
    """Reserve what the lines still need (remaining minus already held); apply the
    backorder policy to what is short. Returns (line, short quantity, reason).
    ``record=False``: a retry whose shortfalls the history already tells.
    ``settings``: the ordering node's effective settings when the caller has them."""
    return _reserve_many([(order, lines, settings)], user=user, record=record)[0]


def _reserve_many(
    items: Sequence[tuple[SalesOrder, Sequence[SalesOrderLine], EffectiveSettings | None]], *, user=None,  # noqa: ANN001
    record: bool = True, pending: list[SalesEvent] | None = None,
) -> list[list[tuple[SalesOrderLine, Decimal, str]]]:
    """``_reserve`` of many orders in one FEFO pass per warehouse, served in the order
    given; one answer per order. ``pending``: as for ``event_record``."""
    if not items:
        return []
    held_of = reserved_quantities_many(document_type=ORDER_DOCUMENT,
                                       document_ids=[str(order.pk) for order, _lines, _settings in items])
    in_deliveries = _in_deliveries_by_line([line for _order, lines, _settings in items for line in lines])
    requests: dict[int, list[ReserveRequest]] = defaultdict(list)  # by warehouse, in order
    wanted_of: list[list[tuple[SalesOrderLine, Decimal]]] = []
    for order, lines, settings in items:
        held = held_of.get(str(order.pk), {})
        wanted: list[tuple[SalesOrderLine, Decimal]] = []
        for line in lines:
            need = line.remaining - held_units(held, line) - in_deliveries.get(line.pk, Decimal(0))
            if need > 0:
                wanted.append((line, need))
        wanted_of.append(wanted)
        if wanted:
            requests[order.warehouse_id].append(ReserveRequest(
                document_type=ORDER_DOCUMENT, document_id=str(order.pk),
                lines=[ReserveLine(line_id=str(line.pk), article=line.article, quantity=need)
                       for line, need in wanted],
                delivery_date=order.requested_date, customer_node=order.ordering_node,
                min_shelf_life=min_shelf_life_of(order.ordering_node, settings=settings)))
    warehouses = {order.warehouse_id: order.warehouse for order, _lines, _settings in items}
    batches = {request.document_id: batch for warehouse_id, batch_requests in requests.items()
               for request, batch in zip(batch_requests, stocks_reserve(
                   batch_requests, warehouse=warehouses[warehouse_id], user=user), strict=True)}
    answers: list[list[tuple[SalesOrderLine, Decimal, str]]] = []
    cut_lines: list[SalesOrderLine] = []
    for (order, _lines, _settings), wanted in zip(items, wanted_of, strict=True):
        short: list[tuple[SalesOrderLine, Decimal, str]] = []
        answers.append(short)
        if not wanted:
            continue
        plans = {str(plan.line_id): plan for plan in batches[str(order.pk)].plans}
        for line, _need in wanted:
            plan = plans[str(line.pk)]
            if plan.quantity_short <= 0:
                continue
            reason = shortfall_text(plan)
            short.append((line, plan.quantity_short, reason))
            cut = order.backorder_policy == BackorderPolicy.CUT
            if cut:
                line.cut_quantity += plan.quantity_short
                cut_lines.append(line)
            if not record and not cut:
                continue
            event_record(order, kind=SalesEvent.Kind.STOCK, user=user, pending=pending,
                         message=(_("%(line)s: %(short)s short, cut.") if cut else
                                  _("%(line)s: %(short)s short, kept as backorder.")) % {
                             "line": line_label(line.position, line.article), "short": plan.quantity_short},
                         data={"line": line.pk, "short": str(plan.quantity_short), "reasons": reason, "cut": cut})
    if cut_lines:
        instances_update(SalesOrderLine, cut_lines, ["cut_quantity"])
    return answers


SHORTFALL_LABELS = {
    engine.ShortfallReason.KIT_INCOMPLETE: _lazy("another component of the kit is short"),
    engine.ShortfallReason.RATIONED: _lazy("shared out between stores"),
    engine.ShortfallReason.PARTIAL_PACKAGE: _lazy("less than a whole package left"),
    engine.ShortfallReason.TAKEN_BY_EARLIER_LINES: _lazy("taken by earlier lines"),
    engine.ShortfallReason.TOO_SHORT_DATED: _lazy("lots too short-dated for this customer"),
    engine.ShortfallReason.DDM_PAST: _lazy("best-before date passed"),
    engine.ShortfallReason.EXPIRED: _lazy("use-by date passed"),
    engine.ShortfallReason.QUARANTINED: _lazy("in quarantine"),
    engine.ShortfallReason.BLOCKED: _lazy("blocked lots"),
    engine.ShortfallReason.RECALLED: _lazy("recalled lots"),
    engine.ShortfallReason.NO_STOCK: _lazy("no stock"),
}


def shortfall_text(plan: engine.AnyPlan) -> str:
    """Why a plan is short, for people: "12 too short-dated, 3 no stock"."""
    plans = [c.plan for c in plan.components] if isinstance(plan, engine.KitPlan) else [plan]
    totals: dict[engine.ShortfallReason, Decimal] = {}
    for sub in plans:
        for detail in sub.shortfall:
            totals[detail.reason] = totals.get(detail.reason, Decimal(0)) + detail.quantity
    return ", ".join(f"{quantity.normalize():f} {SHORTFALL_LABELS[reason]}" for reason, quantity in totals.items())


def _reservation_fit(order: SalesOrder, line: SalesOrderLine, *, user=None) -> None:  # noqa: ANN001
    """Make what the order holds for a line match what it still needs."""
    held = held_units(reserved_quantities(document_type=ORDER_DOCUMENT, document_id=str(order.pk)), line)
    need = line.remaining - _in_deliveries(line)
    if held > need:
        units_release(document_type=ORDER_DOCUMENT, document_id=str(order.pk), line_key=str(line.pk), line=line,
                      units=held - need)
    elif held < need:
        _reserve(order, [line], user=user)


@transaction.atomic
def order_backorders_reserve(order: SalesOrder, *, user=None) -> list[tuple[SalesOrderLine, Decimal, str]]:  # noqa: ANN001
    """Try again to reserve what open lines still miss (stock has arrived)."""
    order = _locked(order)
    if order.state not in (OrderState.CONFIRMED, OrderState.PARTIALLY_DELIVERED):
        raise InvalidTransition(_("Only an open order holds backorders."))
    policy, order.backorder_policy = order.backorder_policy, BackorderPolicy.BACKORDER
    try:
        return _reserve(order, _open_lines(order), user=user)
    finally:
        order.backorder_policy = policy


# ------------------------------------------------------------------ cancel / close


@transaction.atomic
def order_cancel(order: SalesOrder, *, user=None, reason: str = "") -> SalesOrder:  # noqa: ANN001
    """Cancel a draft or confirmed order that has shipped nothing: every reservation
    is released, deliveries not yet shipped are cancelled."""
    from .deliveries import delivery_cancel  # same package: deliveries build on orders

    order = _locked(order)
    if order.lines.filter(delivered_quantity__gt=0).exists():
        raise InvalidTransition(_("Part of this order has shipped: close it instead of cancelling it."))
    for delivery in order.deliveries.filter(state__in=(DeliveryState.PICKING, DeliveryState.PICKED)):
        delivery_cancel(delivery, user=user)
    transition(order, OrderState.CANCELLED, user=user, message=reason)
    reservations_release(document_type=ORDER_DOCUMENT, document_id=str(order.pk))
    return order


@transaction.atomic
def order_close(order: SalesOrder, *, user=None, reason: str = "") -> SalesOrder:  # noqa: ANN001
    """Close an order: what is still open is cut and its reservations released."""
    order = _locked(order)
    if order.deliveries.filter(state__in=(DeliveryState.PICKING, DeliveryState.PICKED)).exists():
        raise InvalidTransition(_("A delivery of this order is being picked: ship or cancel it first."))
    if order.state == OrderState.CONFIRMED and not order.lines.filter(delivered_quantity__gt=0).exists():
        raise InvalidTransition(_("Nothing of this order has shipped: cancel it instead of closing it."))
    for line in _open_lines(order):
        if line.remaining:
            line.cut_quantity += line.remaining
            line.save(update_fields=["cut_quantity"])
    reservations_release(document_type=ORDER_DOCUMENT, document_id=str(order.pk))
    transition(order, OrderState.CLOSED, user=user, message=reason)
    return order


def _state_follow(order: SalesOrder, *, user=None, lines: Sequence[SalesOrderLine] | None = None,  # noqa: ANN001
                  pending: list[SalesEvent] | None = None) -> None:
    """After shipping or cutting: delivered when nothing remains, else partially.
    ``lines``: the open lines as they are now, when the caller has just read them;
    ``pending``: as for ``event_record``."""
    if lines is None:
        lines = _open_lines(order)
    remaining = any(line.remaining > 0 for line in lines)
    shipped = any(line.delivered_quantity > 0 for line in lines)
    target = order.state
    if not remaining and order.state in (OrderState.CONFIRMED, OrderState.PARTIALLY_DELIVERED):
        target = OrderState.DELIVERED if shipped else OrderState.CLOSED
    elif remaining and shipped and order.state == OrderState.CONFIRMED:
        target = OrderState.PARTIALLY_DELIVERED
    if target != order.state:
        transition(order, target, user=user, pending=pending)


@transaction.atomic
def order_copy(order: SalesOrder, *, requested_date: date, user=None) -> SalesOrder:  # noqa: ANN001
    """A new draft with the same customer and lines, priced today."""
    lines = [LineInput(article=line.article, quantity=line.quantity, packaging_level=line.packaging_level)
             for line in order.lines.filter(state=LineState.OPEN).select_related("article").order_by("position")]
    return order_create(ordering_node=order.ordering_node, delivery_node=order.delivery_node,
                        invoicing_node=order.invoicing_node, lines=lines, requested_date=requested_date,
                        warehouse=order.warehouse, user=user, notes=order.notes)
