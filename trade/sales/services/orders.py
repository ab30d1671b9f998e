"""Sales orders: create, change, confirm (re-price, credit, FEFO reservation), cancel, close.

Reservations are keyed ``("sales.order", order id, line id)`` while the order holds
them and handed to the delivery that picks them (``deliveries.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from comptoir.exceptions import DomainError, InvalidTransition, ValidationFailed
from comptoir.numbering import number_next_gap_tolerant
from logistics import allocation as engine
from logistics.models import Warehouse
from logistics.services.reservations import (
    ReserveLine,
    min_shelf_life_of,
    reservations_release,
    reserved_quantities,
    stock_reserve,
)
from trade.models import BackorderPolicy, CustomerNode
from trade.selectors import (
    EffectiveSettings,
    customer_node_effective_settings,
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
from ..signals import order_confirmed
from .common import (
    LineInput,
    caller_price_off,
    customer_check,
    date_check,
    event_record,
    line_fill,
    line_label,
    lines_check,
    lines_price,
    parties_resolve,
    priced_lines_insert,
    transition,
    unpriced_check,
)
from .stock import held_units, units_release

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
    date_check(requested_date)
    parties = parties_resolve(ordering_node, delivery_node=delivery_node, invoicing_node=invoicing_node)
    # The lineage the settings were read from, with current flags: no second read.
    customer_check(ordering_node, read=parties.settings.lineage_read if parties.settings else None)
    numbered = list(enumerate(lines, start=1))
    sizes = lines_check(numbered, ordering_node=ordering_node, settings=parties.settings)
    rows = [line_fill(SalesOrderLine(), data, position=position,
                      per_unit=sizes[(data.article.pk, data.packaging_level or "")])
            for position, data in numbered]
    lines_price(rows, node=ordering_node, on_date=timezone.localdate(), settings=parties.settings)
    for row in rows:
        row.caller_price_flagged = caller_price_off(row, tolerance_percent=price_tolerance_percent)
    # Priced before the order is written: it is inserted with its total.
    order = SalesOrder.objects.create(
        ordering_node=ordering_node, delivery_node=parties.delivery_node, invoicing_node=parties.invoicing_node,
        customer_reference=customer_reference, requested_date=requested_date, origin=origin,
        warehouse=warehouse or default_warehouse(), salesperson=salesperson or parties.salesperson, notes=notes,
        created_by=user if getattr(user, "is_authenticated", False) else None, quote=quote, source=source,
        total_amount=sum((row.line_amount for row in rows), Decimal(0)),
    )
    for row in rows:
        row.order = order
    priced_lines_insert(SalesOrderLine, rows)
    event_record(order, kind=SalesEvent.Kind.TRANSITION, user=user, to_state=OrderState.DRAFT,
                 message=_("Created (%(origin)s).") % {"origin": OrderOrigin(origin).label})
    return order


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
def order_line_add(order: SalesOrder, data: LineInput, *, user=None) -> SalesOrderLine:  # noqa: ANN001
    """Add a priced line; on a confirmed order it is reserved at once."""
    order = _locked(order)
    if order.state not in (OrderState.DRAFT, OrderState.CONFIRMED, OrderState.PARTIALLY_DELIVERED):
        raise InvalidTransition(_("Lines cannot be added to a %(state)s order.")
                                % {"state": order.get_state_display()})
    position = (order.lines.aggregate(top=Max("position"))["top"] or 0) + 1
    sizes = lines_check([(position, data)], ordering_node=order.ordering_node)
    line = line_fill(SalesOrderLine(order=order), data, position=position,
                     per_unit=sizes[(data.article.pk, data.packaging_level or "")])
    lines_price([line], node=order.ordering_node, on_date=timezone.localdate())
    line.caller_price_flagged = caller_price_off(line)
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
def order_line_change(line: SalesOrderLine, *, quantity: Decimal | None = None,
                      requested_date: date | None = None, user=None) -> SalesOrderLine:  # noqa: ANN001
    """Change a line's quantity or date. After confirmation the reservation follows
    (less: the latest-expiring lots go back; more: FEFO reserves the rest); the
    quantity can never go below what is delivered or being picked."""
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
    queryset = SalesOrder.objects.filter(invoicing_node=invoicing_node, state__in=EXPOSED_STATES)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset.aggregate(total=Sum("total_amount"))["total"] or Decimal(0)


def credit_check(order: SalesOrder, *, settings: EffectiveSettings | None = None) -> None:
    """``settings``: the invoicing node's effective settings when the caller has them."""
    limit = (settings or customer_node_effective_settings(order.invoicing_node)).value("credit_limit")
    if limit is None:
        return
    exposure = credit_exposure(order.invoicing_node, exclude=order)
    if exposure + order.total_amount > limit:
        raise ValidationFailed({"credit_limit": [
            _("Credit limit exceeded for %(node)s: %(exposure)s already on order + %(total)s for this order "
              "> limit %(limit)s.") % {"node": order.invoicing_node, "exposure": exposure,
                                       "total": order.total_amount, "limit": limit}]})


@transaction.atomic
def order_confirm(order: SalesOrder, *, user=None) -> ConfirmResult:  # noqa: ANN001
    """Draft → confirmed: re-price every line (a price that moved since keying is kept
    visible on the line and in the history), check the customers and the credit
    limit, number the order, reserve FEFO with the delivered store's minimum
    remaining shelf life; short lines stay as backorder or are cut."""
    order = _locked(order)
    if order.state != OrderState.DRAFT:
        raise InvalidTransition(_("Only a draft order can be confirmed (this one is %(state)s).")
                                % {"state": order.get_state_display()})
    lines = _open_lines(order)
    if not lines:
        raise ValidationFailed({"lines": [_("An order needs at least one line.")]})
    # Both customers' settings in one read, used by the customer, line and credit
    # checks and the backorder rule.
    effective = customer_nodes_effective_settings([order.ordering_node, order.invoicing_node])
    settings = effective[order.ordering_node_id]
    customer_check(order.ordering_node, order.delivery_node, order.invoicing_node,
                   read={pk: row for one in effective.values() for pk, row in one.lineage_read.items()})
    date_check(order.requested_date)
    lines_check([(line.position, LineInput(article=line.article, quantity=line.quantity,
                                           packaging_level=line.packaging_level, requested_date=line.requested_date))
                 for line in lines], ordering_node=order.ordering_node, settings=settings)
    result = ConfirmResult(order=order)
    stored = {line.pk: _price_fields(line) for line in lines}
    before = lines_price(lines, node=order.ordering_node, on_date=timezone.localdate(), settings=settings)
    unpriced_check(lines)
    for line in lines:
        previous = before[line.position]
        if previous is not None and previous != line.net_unit_price:
            line.keyed_net_unit_price = previous
            result.price_changes.append(line)
            event_record(order, kind=SalesEvent.Kind.PRICE, user=user,
                         message=_("%(line)s: net price %(old)s → %(new)s at confirmation.") % {
                             "line": line_label(line.position, line.article), "old": previous,
                             "new": line.net_unit_price},
                         data={"line": line.pk, "old": str(previous), "new": str(line.net_unit_price)})
    # Only the lines whose snapshot moved are written: confirming on the day of keying
    # with unchanged prices writes none (a bulk UPDATE of 20 snapshots costs more than
    # the pricing itself).
    repriced = [line for line in lines if _price_fields(line) != stored[line.pk]]
    if repriced:
        SalesOrderLine.objects.bulk_update(repriced, _PRICE_FIELDS)
    # The total of the re-priced open lines, saved below with the number (a refusal
    # of the credit check rolls everything back).
    order.total_amount = sum((line.line_amount for line in lines), Decimal(0))
    credit_check(order, settings=effective[order.invoicing_node_id])
    order.number = number_next_gap_tolerant(prefix=ORDER_PREFIX, on_date=timezone.localdate())
    order.confirmed_at = timezone.now()
    order.backorder_policy = settings.value("backorder_policy") or BackorderPolicy.BACKORDER
    transition(order, OrderState.CONFIRMED, user=user,
               save_fields=("total_amount", "number", "confirmed_at", "backorder_policy"))
    result.short_lines = _reserve(order, lines, user=user, settings=settings)
    order_confirmed.send(sender=SalesOrder, order=order, result=result)
    return result


def _reserve(order: SalesOrder, lines: Sequence[SalesOrderLine], *, user=None,  # noqa: ANN001
             record: bool = True, settings: EffectiveSettings | None = None,
             ) -> list[tuple[SalesOrderLine, Decimal, str]]:
    """Reserve what the lines still need (remaining minus already held); apply the
    backorder policy to what is short. Returns (line, short quantity, reason).
    ``record=False``: a retry whose shortfalls the history already tells.
    ``settings``: the ordering node's effective settings when the caller has them."""
    held = reserved_quantities(document_type=ORDER_DOCUMENT, document_id=str(order.pk))
    wanted: list[tuple[SalesOrderLine, Decimal]] = []
    in_deliveries = _in_deliveries_by_line(lines)
    for line in lines:
        need = line.remaining - held_units(held, line) - in_deliveries.get(line.pk, Decimal(0))
        if need > 0:
            wanted.append((line, need))
    if not wanted:
        return []
    batch = stock_reserve(
        document_type=ORDER_DOCUMENT, document_id=str(order.pk),
        lines=[ReserveLine(line_id=str(line.pk), article=line.article, quantity=need) for line, need in wanted],
        warehouse=order.warehouse, delivery_date=order.requested_date, customer_node=order.ordering_node, user=user,
        min_shelf_life=min_shelf_life_of(order.ordering_node, settings=settings),
    )
    plans = {str(plan.line_id): plan for plan in batch.plans}
    short: list[tuple[SalesOrderLine, Decimal, str]] = []
    for line, _need in wanted:
        plan = plans[str(line.pk)]
        if plan.quantity_short <= 0:
            continue
        reason = shortfall_text(plan)
        short.append((line, plan.quantity_short, reason))
        cut = order.backorder_policy == BackorderPolicy.CUT
        if cut:
            line.cut_quantity += plan.quantity_short
            line.save(update_fields=["cut_quantity"])
        if not record and not cut:
            continue
        event_record(order, kind=SalesEvent.Kind.STOCK, user=user,
                     message=(_("%(line)s: %(short)s short, cut.") if cut else
                              _("%(line)s: %(short)s short, kept as backorder.")) % {
                         "line": line_label(line.position, line.article), "short": plan.quantity_short},
                     data={"line": line.pk, "short": str(plan.quantity_short), "reasons": reason, "cut": cut})
    return short


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
