"""Deliveries: take what an order holds, pick it, ship it.

Creating a delivery hands the order lines' reservations to the delivery lines (same
lots, same places); picking records what was found (a short pick gives the rest
back); shipping posts the stock moves with lots and serials through
``logistics.reservations_ship`` and updates the order. Shipping twice ships once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.exceptions import DomainError, InvalidTransition, ValidationFailed
from comptoir.numbering import number_next_gap_tolerant
from logistics.services.reservations import (
    reservations_reassign_many,
    reservations_release,
    reservations_ship,
    reserved_quantities,
)
from trade.models import BackorderPolicy

from ..models import (
    Delivery,
    DeliveryLine,
    DeliveryState,
    OrderState,
    SalesEvent,
    SalesOrder,
    SalesOrderLine,
)
from ..signals import delivery_shipped
from .common import event_record, events_save, line_label, transition
from .orders import ORDER_DOCUMENT, _locked, _open_lines, _reserve, _state_follow
from .stock import held_units, units_release

DELIVERY_DOCUMENT = "sales.delivery"
DELIVERY_PREFIX = "BL"


def _locked_delivery(delivery: Delivery) -> Delivery:
    return Delivery.objects.select_for_update(of=("self",)).select_related("order", "delivery_node").get(
        pk=delivery.pk)


@transaction.atomic
def delivery_create(order: SalesOrder, *, planned_date: date | None = None, user=None) -> Delivery:  # noqa: ANN001
    """A delivery of everything the order holds now (backorders are tried again
    first). Refused when nothing is reserved."""
    order = _locked(order)
    if order.state not in (OrderState.CONFIRMED, OrderState.PARTIALLY_DELIVERED):
        raise InvalidTransition(_("Only a confirmed order can be delivered (this one is %(state)s).")
                                % {"state": order.get_state_display()})
    lines = _open_lines(order, breakdown=False)
    if order.backorder_policy == BackorderPolicy.BACKORDER:
        _reserve(order, lines, user=user, record=False)  # backorders: stock may have come
    held = reserved_quantities(document_type=ORDER_DOCUMENT, document_id=str(order.pk))
    to_pick = [(line, held_units(held, line)) for line in lines]
    to_pick = [(line, units) for line, units in to_pick if units > 0]
    if not to_pick:
        raise DomainError(_("Nothing is reserved for order %(order)s: there is nothing to deliver yet.")
                          % {"order": order.display_number}, code="nothing_to_deliver")
    delivery = Delivery.objects.create(
        number=number_next_gap_tolerant(prefix=DELIVERY_PREFIX, on_date=timezone.localdate()),
        order=order, warehouse=order.warehouse, delivery_node=order.delivery_node,
        planned_date=planned_date or max(order.requested_date, timezone.localdate()),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    delivery_lines = DeliveryLine.objects.bulk_create([
        DeliveryLine(delivery=delivery, order_line=line, article=line.article, quantity=units)
        for line, units in to_pick
    ])
    reservations_reassign_many([
        ((ORDER_DOCUMENT, str(order.pk), str(line.pk)), (DELIVERY_DOCUMENT, str(delivery.pk), str(delivery_line.pk)))
        for delivery_line, (line, _units) in zip(delivery_lines, to_pick, strict=True)
    ])
    events: list[SalesEvent] = []
    event_record(delivery, kind=SalesEvent.Kind.TRANSITION, user=user, to_state=DeliveryState.PICKING,
                 message=_("Created from order %(order)s.") % {"order": order.display_number}, pending=events)
    event_record(order, kind=SalesEvent.Kind.CHANGE, user=user,
                 message=_("Delivery %(delivery)s created.") % {"delivery": delivery.number}, pending=events)
    events_save(events)
    return delivery


@transaction.atomic
def delivery_pick(delivery: Delivery, *, picked: Mapping[int, Decimal], user=None) -> Delivery:  # noqa: ANN001
    """Record the quantities picked per delivery line id (lines not given: picked in
    full). A short pick is allowed and recorded; it is given back when shipping."""
    delivery = _locked_delivery(delivery)
    if delivery.state not in (DeliveryState.PICKING, DeliveryState.PICKED):
        raise InvalidTransition(_("Delivery %(number)s is %(state)s: picking is over.")
                                % {"number": delivery.number, "state": delivery.get_state_display()})
    lines = {line.pk: line for line in delivery.lines.select_related("article", "order_line")}
    errors = []
    unknown = set(picked) - set(lines)
    if unknown:
        errors.append(_("Unknown delivery lines: %(ids)s.") % {"ids": ", ".join(map(str, sorted(unknown)))})
    for pk, quantity in picked.items():
        line = lines.get(pk)
        if line is None:
            continue
        if quantity is None or quantity < 0 or quantity > line.quantity:
            errors.append(_("%(line)s: the picked quantity must be between 0 and %(max)s.") % {
                "line": line_label(line.order_line.position, line.article), "max": line.quantity})
    if errors:
        raise ValidationFailed({"lines": errors})
    shorts = []
    for pk, line in lines.items():
        line.picked_quantity = picked.get(pk, line.quantity)
        line.save(update_fields=["picked_quantity"])
        if line.picked_quantity < line.quantity:
            shorts.append(_("%(line)s: %(picked)s picked of %(quantity)s.") % {
                "line": line_label(line.order_line.position, line.article), "picked": line.picked_quantity,
                "quantity": line.quantity})
    if delivery.state == DeliveryState.PICKING:
        transition(delivery, DeliveryState.PICKED, user=user, message=" ".join(shorts))
    else:
        event_record(delivery, kind=SalesEvent.Kind.CHANGE, user=user,
                     message=_("Picked quantities changed. %(shorts)s") % {"shorts": " ".join(shorts)})
    return delivery


@transaction.atomic
def delivery_ship(delivery: Delivery, *, user=None) -> Delivery:  # noqa: ANN001
    """Ship: short picks go back to stock, the rest leaves with its lots and serials
    (stock moves out, traceable to the delivered store), the order line counts it
    delivered; what the order still misses stays as backorder or is cut, per the
    customer's rule. Idempotent: a shipped delivery is returned as it is."""
    order = _locked(SalesOrder(pk=delivery.order_id))  # order before delivery, as order_cancel does
    delivery = _locked_delivery(delivery)
    if delivery.state == DeliveryState.SHIPPED:
        return delivery
    if delivery.state not in (DeliveryState.PICKING, DeliveryState.PICKED):
        raise InvalidTransition(_("Delivery %(number)s is %(state)s: it cannot ship.")
                                % {"number": delivery.number, "state": delivery.get_state_display()})
    lines = list(delivery.lines.select_related("article", "order_line__article").defer("order_line__breakdown"))
    for line in lines:
        picked = line.quantity if line.picked_quantity is None else line.picked_quantity
        if picked < line.quantity:
            units_release(document_type=DELIVERY_DOCUMENT, document_id=str(delivery.pk), line_key=str(line.pk),
                          line=line.order_line, units=line.quantity - picked)
        line.picked_quantity = picked
        line.shipped_quantity = picked
    # What the loop above set, in one plain UPDATE (a bulk_update's CASE per row costs
    # more than shipping itself): a line not picked ships in full.
    shipped = Coalesce(F("picked_quantity"), F("quantity"))
    delivery.lines.update(picked_quantity=shipped, shipped_quantity=shipped)
    reservations_ship(document_type=DELIVERY_DOCUMENT, document_id=str(delivery.pk),
                      customer_node=order.ordering_node, user=user,
                      shipped_document=(DELIVERY_DOCUMENT, delivery.number))
    delivery.shipped_at = timezone.now()
    # The events of this shipment are saved together at the end, in this order.
    events: list[SalesEvent] = []
    transition(delivery, DeliveryState.SHIPPED, user=user, save_fields=("shipped_at",), pending=events)
    # Each order line counts what its delivery lines shipped: one UPDATE … + (subquery).
    shipped_here = (DeliveryLine.objects.filter(delivery=delivery, order_line=OuterRef("pk"))
                    .values("order_line").annotate(total=Sum("shipped_quantity")).values("total"))
    SalesOrderLine.objects.filter(pk__in={line.order_line_id for line in lines}).update(
        delivered_quantity=F("delivered_quantity") + Subquery(shipped_here))
    open_lines = _open_lines(order, breakdown=False)  # with the quantities just delivered
    if order.backorder_policy == BackorderPolicy.CUT:
        for order_line in open_lines:
            if order_line.remaining and not _in_open_delivery(order_line):
                reservations_release(document_type=ORDER_DOCUMENT, document_id=str(order.pk),
                                     document_line=str(order_line.pk))
                cut = order_line.remaining
                order_line.cut_quantity += cut
                order_line.save(update_fields=["cut_quantity"])
                event_record(order, kind=SalesEvent.Kind.STOCK, user=user,
                             message=_("%(line)s: %(cut)s not shipped, cut.") % {
                                 "line": line_label(order_line.position, order_line.article), "cut": cut},
                             pending=events)
    event_record(order, kind=SalesEvent.Kind.CHANGE, user=user,
                 message=_("Delivery %(delivery)s shipped.") % {"delivery": delivery.number}, pending=events)
    # The open lines read above are current: the cut ones were saved from them.
    _state_follow(order, user=user, lines=open_lines, pending=events)
    events_save(events)
    delivery_shipped.send(sender=Delivery, delivery=delivery)
    return delivery


def _in_open_delivery(line: SalesOrderLine) -> bool:
    return line.delivery_lines.filter(delivery__state__in=(DeliveryState.PICKING, DeliveryState.PICKED)).exists()


@transaction.atomic
def delivery_cancel(delivery: Delivery, *, user=None) -> Delivery:  # noqa: ANN001
    """A delivery not shipped gives its reservations back to the order lines."""
    delivery = _locked_delivery(delivery)
    if delivery.state not in (DeliveryState.PICKING, DeliveryState.PICKED):
        raise InvalidTransition(_("Delivery %(number)s is %(state)s: it cannot be cancelled.")
                                % {"number": delivery.number, "state": delivery.get_state_display()})
    order = delivery.order
    reservations_reassign_many([
        ((DELIVERY_DOCUMENT, str(delivery.pk), str(line.pk)), (ORDER_DOCUMENT, str(order.pk), str(line.order_line_id)))
        for line in delivery.lines.all()
    ])
    transition(delivery, DeliveryState.CANCELLED, user=user)
    event_record(order, kind=SalesEvent.Kind.CHANGE, user=user,
                 message=_("Delivery %(delivery)s cancelled.") % {"delivery": delivery.number})
    return delivery
