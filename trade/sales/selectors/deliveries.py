"""Reads of deliveries: the filtered list, the picking list (what to take, where,
which lot or serial) and the lines of a delivery note (what left, with its lots).

Before shipping, the picking list comes from the delivery's active reservations
(``sales.delivery``, the delivery id, the delivery line id); once shipped it comes
from the stock moves the shipment wrote (``sales.delivery``, the delivery number).
Both give the same shape, so a shipped delivery still prints what was taken where.
Everything here counts in base units unless a name says otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from logistics.models import (
    Location,
    Lot,
    MoveReason,
    Reservation,
    ReservationStatus,
    StockMove,
    Warehouse,
)
from trade.models import Article, CustomerNode, Packaging, PackagingLevel

from ..models import Delivery, DeliveryLine, DeliveryState
from ..services import DELIVERY_DOCUMENT

ZERO = Decimal(0)


# ---------------------------------------------------------------- list


@dataclass(frozen=True)
class DeliveryFilters:
    """What the delivery list is narrowed to; every field is optional.

    ``customer_node`` matches deliveries ordered by or delivered to the node or any
    node under it; ``number`` matches the order number, the delivery number or the
    customer's reference (their PO number), in part."""

    state: str = ""
    planned_from: date | None = None
    planned_to: date | None = None
    customer_node: CustomerNode | None = None
    warehouse: Warehouse | None = None
    number: str = ""


def delivery_list(filters: DeliveryFilters | None = None) -> QuerySet[Delivery]:
    """Deliveries with their order, parties and warehouse, and ``line_count``; the
    latest planned first."""
    filters = filters or DeliveryFilters()
    queryset = Delivery.objects.select_related(
        "order", "order__ordering_node", "delivery_node", "warehouse",
    ).annotate(line_count=Count("lines"))
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    if filters.planned_from is not None:
        queryset = queryset.filter(planned_date__gte=filters.planned_from)
    if filters.planned_to is not None:
        queryset = queryset.filter(planned_date__lte=filters.planned_to)
    if filters.customer_node is not None:
        # The subtree is a prefix query on the materialised path (indexed).
        path = filters.customer_node.path
        queryset = queryset.filter(
            Q(order__ordering_node__path__startswith=path) | Q(delivery_node__path__startswith=path)
        )
    if filters.warehouse is not None:
        queryset = queryset.filter(warehouse=filters.warehouse)
    number = filters.number.strip()
    if number:
        queryset = queryset.filter(
            Q(order__number__icontains=number) | Q(number__icontains=number)
            | Q(order__customer_reference__icontains=number)
        )
    return queryset.order_by("-planned_date", "-pk")


# ---------------------------------------------------------------- picking list


@dataclass(frozen=True)
class PickingRow:
    """One thing to take at a location: an article, from a lot (with its DLC/DDM) or
    one serial, ``quantity`` base units, for one delivery line (for a kit stocked as
    components, ``article`` is the component and ``line_article`` the kit)."""

    location: Location
    article: Article
    lot: Lot | None
    serial_number: str
    quantity: Decimal
    delivery_line_id: int
    line_position: int
    line_article: Article

    @property
    def lot_number(self) -> str:
        return self.lot.number if self.lot is not None else ""

    @property
    def expiry_date(self) -> date | None:
        return self.lot.expiry_date if self.lot is not None else None

    @property
    def expiry_kind(self) -> str:
        return self.lot.expiry_kind if self.lot is not None else ""

    @property
    def is_component(self) -> bool:
        return self.article.pk != self.line_article.pk


@dataclass(frozen=True)
class PickingLocation:
    """A stop of the picker's walk: a location and what to take there."""

    location: Location
    rows: tuple[PickingRow, ...]

    @property
    def quantity(self) -> Decimal:
        return sum((row.quantity for row in self.rows), start=ZERO)


@dataclass(frozen=True)
class _Source:
    """A reservation or a shipment move, reduced to what the picking list shows."""

    location: Location
    article: Article
    lot: Lot | None
    serial_number: str
    quantity: Decimal
    delivery_line_key: str


def _reserved_sources(delivery: Delivery) -> list[_Source]:
    rows = (Reservation.objects
            .filter(document_type=DELIVERY_DOCUMENT, document_id=str(delivery.pk),
                    status=ReservationStatus.ACTIVE)
            .select_related("article", "balance__location", "balance__lot", "serial"))
    return [_Source(location=row.balance.location, article=row.article, lot=row.balance.lot,
                    serial_number=row.serial.number if row.serial is not None else "",
                    quantity=row.quantity, delivery_line_key=row.document_line) for row in rows]


def _shipment_moves(delivery: Delivery) -> QuerySet[StockMove]:
    return (StockMove.objects
            .filter(document_type=DELIVERY_DOCUMENT, document_id=delivery.number, reason=MoveReason.SHIPMENT)
            .select_related("article", "from_location", "lot", "serial")
            .order_by("pk"))


def _shipped_sources(delivery: Delivery) -> list[_Source]:
    return [_Source(location=move.from_location, article=move.article, lot=move.lot,
                    serial_number=move.serial.number if move.serial is not None else "",
                    quantity=move.quantity, delivery_line_key=move.document_line)
            for move in _shipment_moves(delivery) if move.from_location is not None]


def picking_list(delivery: Delivery) -> list[PickingLocation]:
    """What to pick for ``delivery``, one stop per location in the warehouse's
    picking order (``Location.picking_order``, then code); within a stop by article,
    expiry date, lot and serial. Rows of the same line, article, lot and serial at
    one place are added up. Shipped: what the shipment took, from its moves;
    cancelled: nothing. Three queries."""
    if delivery.state == DeliveryState.CANCELLED:
        return []
    if delivery.state == DeliveryState.SHIPPED:
        sources = _shipped_sources(delivery)
    else:
        sources = _reserved_sources(delivery)
    lines = {str(line.pk): line for line in delivery.lines.select_related("order_line", "article")}
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    samples: dict[tuple, _Source] = {}
    for source in sources:
        key = (source.location.pk, source.article.pk, source.lot.pk if source.lot else None,
               source.serial_number, source.delivery_line_key)
        totals[key] += source.quantity
        samples.setdefault(key, source)
    rows = []
    for key, quantity in totals.items():
        source = samples[key]
        line = lines.get(source.delivery_line_key)
        rows.append(PickingRow(
            location=source.location, article=source.article, lot=source.lot,
            serial_number=source.serial_number, quantity=quantity,
            delivery_line_id=line.pk if line is not None else 0,
            line_position=line.order_line.position if line is not None else 0,
            line_article=line.article if line is not None else source.article,
        ))
    rows.sort(key=_walk_order)
    stops: dict[int, list[PickingRow]] = {}
    for row in rows:
        stops.setdefault(row.location.pk, []).append(row)
    return [PickingLocation(location=group[0].location, rows=tuple(group)) for group in stops.values()]


def _walk_order(row: PickingRow) -> tuple:
    return (row.location.picking_order, row.location.code, row.location.pk, row.article.code,
            row.expiry_date or date.max, row.lot_number, row.serial_number, row.line_position)


# ---------------------------------------------------------------- delivery note


@dataclass(frozen=True)
class ShippedLot:
    """What left of one lot (or without lot) for a delivery line; ``article`` is a
    component when the line is a kit stocked as components."""

    article: Article
    lot_number: str
    expiry_date: date | None
    expiry_kind: str
    quantity: Decimal
    serial_numbers: tuple[str, ...] = ()


@dataclass(frozen=True)
class DeliveryNoteLine:
    """A line of the delivery note: ordered and shipped quantities in base units and
    in the unit ordered (a case, a layer… or the base unit), with the lots (DLC/DDM)
    and serials that left."""

    delivery_line: DeliveryLine
    position: int
    article: Article
    gtin: str  # of the consumer unit
    ordered_unit_gtin: str  # of the packaging ordered, when it is not the base unit
    unit: str  # the packaging level ordered ('' = base unit)
    unit_label: str
    base_unit_label: str
    base_units_per_unit: Decimal
    ordered_quantity: Decimal  # in the unit ordered
    ordered_base_quantity: Decimal
    free_base_quantity: Decimal
    to_pick_base_quantity: Decimal
    shipped_base_quantity: Decimal
    shipped_quantity: Decimal  # in the unit ordered
    customer_line_reference: str
    lots: tuple[ShippedLot, ...] = field(default_factory=tuple)

    @property
    def short_base_quantity(self) -> Decimal:
        return self.to_pick_base_quantity - self.shipped_base_quantity

    @property
    def serial_numbers(self) -> tuple[str, ...]:
        return tuple(number for lot in self.lots for number in lot.serial_numbers)

    @property
    def has_traceability(self) -> bool:
        """Whether anything that left carries a lot or a serial number."""
        return any(lot.lot_number or lot.serial_numbers for lot in self.lots)

    @property
    def is_in_base_unit(self) -> bool:
        return self.base_units_per_unit == 1 and self.unit in ("", PackagingLevel.CONSUMER_UNIT)


def _gtins(article_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    return {(row.article_id, row.level): row.gtin
            for row in Packaging.objects.filter(article_id__in=set(article_ids)).exclude(gtin="")}


def _plain(value: Decimal) -> Decimal:
    """3.000 → 3, 2.500 → 2.5 (and never the 3E+1 that ``normalize`` gives 30)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _in_unit(base_quantity: Decimal, per_unit: Decimal) -> Decimal:
    """Base units in the unit ordered, to the thousandth, without trailing zeros."""
    if not per_unit:
        return _plain(base_quantity)
    return _plain((base_quantity / per_unit).quantize(Decimal("0.001")))


def delivery_note_lines(delivery: Delivery) -> list[DeliveryNoteLine]:
    """The delivery note's lines, in order-line order: ordered quantity (the order
    line's), shipped quantity (the delivery line's), and the lots with DLC/DDM and the
    serials that left, from the shipment moves (none before shipping). Three queries."""
    lines = list(delivery.lines.select_related("order_line", "article").order_by("order_line__position", "pk"))
    gtins = _gtins(line.article_id for line in lines)
    moved: dict[str, dict[tuple, list]] = defaultdict(dict)
    if delivery.state == DeliveryState.SHIPPED:
        for move in _shipment_moves(delivery):
            entry = moved[move.document_line].setdefault((move.article_id, move.lot_id),
                                                         [move.article, move.lot, ZERO, []])
            entry[2] += move.quantity
            if move.serial is not None:
                entry[3].append(move.serial.number)
    result = []
    for line in lines:
        order_line = line.order_line
        article = line.article
        level = order_line.packaging_level
        per_unit = order_line.base_units_per_unit or Decimal(1)
        lots = sorted(
            (ShippedLot(article=lot_article, lot_number=lot.number if lot else "",
                        expiry_date=lot.expiry_date if lot else None, expiry_kind=lot.expiry_kind if lot else "",
                        quantity=quantity, serial_numbers=tuple(sorted(serials)))
             for lot_article, lot, quantity, serials in moved.get(str(line.pk), {}).values()),
            key=lambda lot: (lot.article.code, lot.expiry_date or date.max, lot.lot_number),
        )
        result.append(DeliveryNoteLine(
            delivery_line=line, position=order_line.position, article=article,
            gtin=gtins.get((article.pk, PackagingLevel.CONSUMER_UNIT), ""),
            ordered_unit_gtin=gtins.get((article.pk, level), "") if level else "",
            unit=level, unit_label=str(PackagingLevel(level).label) if level else article.get_base_unit_display(),
            base_unit_label=article.get_base_unit_display(),
            base_units_per_unit=per_unit,
            ordered_quantity=order_line.quantity, ordered_base_quantity=order_line.base_quantity,
            free_base_quantity=order_line.free_base_quantity,
            to_pick_base_quantity=line.quantity,
            shipped_base_quantity=line.shipped_quantity,
            shipped_quantity=_in_unit(line.shipped_quantity, per_unit),
            customer_line_reference=order_line.customer_line_reference,
            lots=tuple(lots),
        ))
    return result
