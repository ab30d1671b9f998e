"""Reads of sales orders and quotes for the back-office screens: the filtered list,
what a line will get (availability, the lots FEFO would take), what a confirmed line
holds, the customer's recent orders and usual assortment, and the type-ahead lookups.

Quantities named ``*_base`` or read from stock are in the article's base units (kits:
kits); a line's ``quantity`` is in the unit it was ordered in.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from comptoir.identifiers import compact_digits, gtin_lookup_forms
from logistics.allocation import MinShelfLife
from logistics.models import Reservation, ReservationStatus, Warehouse
from logistics.selectors import FefoPreview, fefo_preview
from logistics.services.reservations import (
    available_to_promise,
    min_shelf_life_of,
    reserved_quantities,
)
from trade.models import Article, CustomerNode, Packaging, PackagingLevel
from trade.selectors import article_by_gtin

from ..models import (
    DeliveryLine,
    DeliveryState,
    LineState,
    OrderState,
    PricedLine,
    Quote,
    QuoteLine,
    SalesEvent,
    SalesOrder,
    SalesOrderLine,
)
from ..services import DELIVERY_DOCUMENT, ORDER_DOCUMENT, LineInput
from ..services.common import line_fill, lines_check, lines_price
from ..services.orders import shortfall_text
from ..services.stock import held_units

ZERO = Decimal(0)
OPEN_STATES = (OrderState.CONFIRMED, OrderState.PARTIALLY_DELIVERED)
# Reasons that mean "there is stock, but too old for this customer or this date".
DATED_REASONS = frozenset({"too_short_dated", "ddm_past", "expired"})
SUGGESTIONS = 12
MIN_QUERY = 2


def next_working_day(today: date | None = None) -> date:
    """The first Monday-to-Friday day after ``today`` (the default requested delivery
    date). Public holidays are not known to the application yet."""
    day = (today or timezone.localdate()) + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


# ---------------------------------------------------------------- lists


def orders_filter(
    *, search: str = "", state: str = "", node: CustomerNode | None = None, origin: str = "",
    created_from: date | None = None, created_to: date | None = None, requested_from: date | None = None,
    requested_to: date | None = None, late: bool = False, today: date | None = None,
) -> QuerySet[SalesOrder]:
    """Orders matching the list filters, newest first. ``node`` matches the ordering,
    delivered or invoiced customer; ``late`` = still open and the requested date passed;
    ``search`` looks in the number and the customer's reference."""
    today = today or timezone.localdate()
    queryset = SalesOrder.objects.select_related("ordering_node", "delivery_node", "warehouse").annotate(
        line_count=Count("lines", filter=Q(lines__state=LineState.OPEN)))
    if search:
        queryset = queryset.filter(Q(number__icontains=search) | Q(customer_reference__icontains=search))
    if state:
        queryset = queryset.filter(state=state)
    if node is not None:
        queryset = queryset.filter(Q(ordering_node=node) | Q(delivery_node=node) | Q(invoicing_node=node))
    if origin:
        queryset = queryset.filter(origin=origin)
    if created_from:
        queryset = queryset.filter(created_at__gte=_day_start(created_from))
    if created_to:
        queryset = queryset.filter(created_at__lt=_day_start(created_to + timedelta(days=1)))
    if requested_from:
        queryset = queryset.filter(requested_date__gte=requested_from)
    if requested_to:
        queryset = queryset.filter(requested_date__lte=requested_to)
    if late:
        queryset = queryset.filter(state__in=OPEN_STATES, requested_date__lt=today)
    return queryset.order_by("-pk")


def quotes_filter(*, search: str = "", state: str = "", node: CustomerNode | None = None) -> QuerySet[Quote]:
    queryset = Quote.objects.select_related("ordering_node").annotate(line_count=Count("lines"))
    if search:
        queryset = queryset.filter(Q(number__icontains=search) | Q(customer_reference__icontains=search))
    if state:
        queryset = queryset.filter(state=state)
    if node is not None:
        queryset = queryset.filter(Q(ordering_node=node) | Q(delivery_node=node) | Q(invoicing_node=node))
    return queryset.order_by("-pk")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def recent_orders(node: CustomerNode, *, limit: int = 6) -> list[SalesOrder]:
    """The customer's latest orders (not cancelled), to copy one."""
    return list(
        SalesOrder.objects.filter(ordering_node=node).exclude(state=OrderState.CANCELLED)
        .annotate(line_count=Count("lines", filter=Q(lines__state=LineState.OPEN)))
        .order_by("-created_at", "-pk")[:limit]
    )


@dataclass(frozen=True)
class AssortmentItem:
    """An article the customer orders: how many orders had it, and the last line."""

    article: Article
    times_ordered: int
    last_quantity: Decimal
    last_packaging_level: str
    last_unit: str
    last_ordered_at: datetime


def _months_back(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def usual_assortment(node: CustomerNode, months: int = 6, *, today: date | None = None) -> list[AssortmentItem]:
    """Articles this node ordered in the last ``months`` months (confirmed orders and
    later, cancelled lines left out), most often ordered first, with the last quantity
    and unit it took. One query for the lines, one for the articles."""
    since = _day_start(_months_back(today or timezone.localdate(), months))
    rows = (
        SalesOrderLine.objects.filter(order__ordering_node=node, order__created_at__gte=since,
                                      state=LineState.OPEN)
        .exclude(order__state__in=(OrderState.DRAFT, OrderState.CANCELLED))
        .order_by("-order__created_at", "-order_id", "position")
        .values_list("article_id", "quantity", "packaging_level", "unit", "order_id", "order__created_at")
    )
    orders_of: dict[int, set[int]] = defaultdict(set)
    last: dict[int, tuple[Decimal, str, str, datetime]] = {}
    for article_id, quantity, level, unit, order_id, created_at in rows:
        orders_of[article_id].add(order_id)
        last.setdefault(article_id, (quantity, level, unit, created_at))
    articles = Article.objects.in_bulk(list(last))
    items = [
        AssortmentItem(article=articles[article_id], times_ordered=len(orders_of[article_id]),
                       last_quantity=quantity, last_packaging_level=level, last_unit=unit,
                       last_ordered_at=created_at)
        for article_id, (quantity, level, unit, created_at) in last.items()
    ]
    items.sort(key=lambda item: (-item.times_ordered, item.article.code))
    return items


# ---------------------------------------------------------------- lookups


@dataclass(frozen=True)
class ArticleHit:
    """An article found by code, GTIN or designation; ``level`` is the packaging the
    GTIN identifies ('' for the base unit or when not found by GTIN)."""

    article: Article
    level: str = ""
    exact: bool = False
    packagings: tuple[tuple[str, str, Decimal], ...] = ()  # (level, label, base units)

    def as_json(self) -> dict:
        article = self.article
        return {
            "id": article.pk, "value": article.code, "code": article.code, "label": article.designation,
            "designation": article.designation, "level": self.level, "exact": self.exact,
            "base_unit": article.base_unit, "base_unit_label": article.get_base_unit_display(),
            "blocked": not article.is_sellable,
            "packagings": [{"level": level, "label": label, "quantity": f"{quantity.normalize():f}"}
                           for level, label, quantity in self.packagings],
        }


def _with_packagings(hits: list[ArticleHit]) -> list[ArticleHit]:
    packagings: dict[int, list[tuple[str, str, Decimal]]] = defaultdict(list)
    for article_id, level, quantity in Packaging.objects.filter(
            article_id__in=[hit.article.pk for hit in hits]).order_by("quantity").values_list(
            "article_id", "level", "quantity"):
        packagings[article_id].append((level, str(PackagingLevel(level).label), quantity))
    return [ArticleHit(hit.article, hit.level, hit.exact, tuple(packagings[hit.article.pk])) for hit in hits]


def article_resolve(text: str) -> ArticleHit | None:
    """The one article a keyed code or scanned GTIN names (code first, case-insensitive),
    with the GTIN's packaging level."""
    text = text.strip()
    if not text:
        return None
    article = Article.objects.filter(code__iexact=text).first()
    if article is not None:
        return _with_packagings([ArticleHit(article, "", True)])[0]
    digits = compact_digits(text)
    if digits.isdigit() and len(digits) >= 8:
        packaging = article_by_gtin(digits)
        if packaging is not None:
            return _with_packagings([ArticleHit(packaging.article, packaging.level, True)])[0]
    return None


def articles_lookup(query: str, *, limit: int = SUGGESTIONS) -> list[ArticleHit]:
    """Type-ahead: the exact code or GTIN first, then codes starting with the query,
    then designations containing it (sellable articles before blocked ones)."""
    query = query.strip()
    if len(query) < MIN_QUERY:
        return []
    exact = article_resolve(query)
    hits: list[ArticleHit] = [exact] if exact else []
    seen = {hit.article.pk for hit in hits}
    condition = Q(code__istartswith=query) | Q(designation__icontains=query)
    digits = compact_digits(query)
    if digits.isdigit() and len(digits) >= 8:
        condition |= Q(pk__in=Packaging.objects.filter(gtin__in=gtin_lookup_forms(digits)).values("article_id"))
    candidates = Article.objects.filter(condition).exclude(pk__in=seen)
    ranked = sorted(candidates[: limit * 3], key=lambda a: (
        not a.is_sellable, not a.code.lower().startswith(query.lower()), a.code))
    hits += [ArticleHit(article) for article in ranked[: limit - len(hits)]]
    return _with_packagings(hits)


def customers_lookup(query: str, *, limit: int = SUGGESTIONS) -> list[CustomerNode]:
    """Type-ahead over customer nodes by code, name or GLN: exact code first, then the
    shallower nodes, then by code."""
    query = query.strip()
    if len(query) < MIN_QUERY:
        return []
    condition = Q(code__icontains=query) | Q(name__icontains=query)
    digits = compact_digits(query)
    if digits.isdigit():
        condition |= Q(gln=digits)
    nodes = list(CustomerNode.objects.filter(condition).select_related("parent").order_by("depth", "code")[:limit * 3])
    nodes.sort(key=lambda n: (n.code.lower() != query.lower(), not n.is_active, n.depth, n.code))
    return nodes[:limit]


# ---------------------------------------------------------------- lines being keyed


@dataclass(frozen=True)
class LineOutlook:
    """What a keyed line will get: the base units available in the warehouse, the
    lots FEFO would reserve now, and the warnings to show next to it."""

    available: Decimal | None
    preview: FefoPreview | None
    wanted: Decimal
    short_text: str = ""
    warnings: tuple[str, ...] = ()  # codes: no_price, below_cost, short_dated, no_stock

    @property
    def is_short(self) -> bool:
        return self.preview is not None and self.preview.quantity_short > 0


def line_outlook(line: PricedLine, *, warehouse: Warehouse, customer_node: CustomerNode, delivery_date: date,
                 min_shelf_life: MinShelfLife | None) -> LineOutlook:
    """Availability, FEFO preview and warnings of one line (read-only).
    ``min_shelf_life`` is the customer's (``min_shelf_life_of``), read once per page."""
    wanted = line.base_quantity + (line.free_base_quantity or ZERO)
    available = available_to_promise(line.article, warehouse=warehouse)
    preview = fefo_preview(line.article, wanted, warehouse=warehouse, customer_node=customer_node,
                           delivery_date=delivery_date, min_shelf_life=min_shelf_life)
    warnings: list[str] = []
    if line.net_unit_price is None:
        warnings.append("no_price")
    if (line.breakdown or {}).get("flags", {}).get("below_cost"):
        warnings.append("below_cost")
    short_text = ""
    if preview is not None and preview.quantity_short > 0:
        short_text = shortfall_text(preview.plan)
        dated = DATED_REASONS & set(preview.shortfall_reasons)
        warnings.append("short_dated" if dated else "no_stock")
    return LineOutlook(available=available, preview=preview, wanted=wanted, short_text=short_text,
                       warnings=tuple(warnings))


def order_lines_for_entry(order: SalesOrder, *, line_ids: Iterable[int] | None = None) -> list[SalesOrderLine]:
    """The open lines of an order (or only ``line_ids``) with their outlook (``line.outlook``)."""
    queryset = order.lines.filter(state=LineState.OPEN)
    if line_ids is not None:
        queryset = queryset.filter(pk__in=list(line_ids))
    lines = list(queryset.select_related("article").prefetch_related("article__components__component")
                 .order_by("position"))
    min_shelf_life = min_shelf_life_of(order.ordering_node)
    for line in lines:
        line.outlook = line_outlook(line, warehouse=order.warehouse, customer_node=order.ordering_node,
                                    delivery_date=line.requested_date or order.requested_date,
                                    min_shelf_life=min_shelf_life)
    return lines


def quote_line_preview(*, node: CustomerNode, data: LineInput, position: int, warehouse: Warehouse | None,
                       delivery_date: date, on_date: date | None = None) -> QuoteLine:
    """A quote line checked and priced as ``quote_create`` would, without saving it
    (the quote entry keeps its lines on the page until the quote is created). Raises
    ``ValidationFailed`` naming the line, as the service does."""
    sizes = lines_check([(position, data)], ordering_node=node)
    line = line_fill(QuoteLine(), data, position=position, per_unit=sizes[(data.article.pk, data.packaging_level or "")])
    lines_price([line], node=node, on_date=on_date or timezone.localdate())
    if warehouse is not None:
        line.outlook = line_outlook(line, warehouse=warehouse, customer_node=node, delivery_date=delivery_date,
                                    min_shelf_life=min_shelf_life_of(node))
    return line


# ---------------------------------------------------------------- a confirmed order


@dataclass(frozen=True)
class HeldLot:
    """What an order line holds in one lot or serial (base units)."""

    quantity: Decimal
    lot_number: str = ""
    expiry_date: date | None = None
    expiry_kind: str = ""
    serial_number: str = ""
    article_code: str = ""  # a kit component's code
    in_delivery: bool = False


@dataclass
class OrderLineStatus:
    """A line of a confirmed order as the detail page shows it (base units)."""

    line: SalesOrderLine
    reserved: Decimal = ZERO
    in_deliveries: Decimal = ZERO
    lots: list[HeldLot] = field(default_factory=list)
    short_reason: str = ""
    short_cut: bool | None = None

    @property
    def short(self) -> Decimal:
        """What the line still needs and nothing holds: a backorder (or not yet reserved)."""
        return max(self.line.remaining - self.reserved - self.in_deliveries, ZERO)


def order_line_statuses(order: SalesOrder) -> list[OrderLineStatus]:
    """Every line with what it holds (reserved by the order, in deliveries being
    picked), the lots, and the last stock message about it. Five queries."""
    lines = list(order.lines.select_related("article").prefetch_related("article__components")
                 .order_by("position"))
    held = reserved_quantities(document_type=ORDER_DOCUMENT, document_id=str(order.pk))
    open_delivery_lines = list(DeliveryLine.objects.filter(
        delivery__order=order, delivery__state__in=(DeliveryState.PICKING, DeliveryState.PICKED)
    ).values_list("pk", "order_line_id", "quantity", "delivery_id"))
    in_deliveries: dict[int, Decimal] = defaultdict(Decimal)
    line_of_delivery_line: dict[str, int] = {}
    for pk, order_line_id, quantity, _delivery_id in open_delivery_lines:
        in_deliveries[order_line_id] += quantity
        line_of_delivery_line[str(pk)] = order_line_id
    reservations = Reservation.objects.filter(status=ReservationStatus.ACTIVE).filter(
        Q(document_type=ORDER_DOCUMENT, document_id=str(order.pk))
        | Q(document_type=DELIVERY_DOCUMENT,
            document_id__in={str(delivery_id) for *_rest, delivery_id in open_delivery_lines})
    ).select_related("balance__lot", "serial", "article").order_by("pk")
    lots: dict[int, list[HeldLot]] = defaultdict(list)
    for row in reservations:
        if row.document_type == ORDER_DOCUMENT:
            line_id = int(row.document_line) if row.document_line.isdigit() else None
        else:
            line_id = line_of_delivery_line.get(row.document_line)
        if line_id is None:
            continue
        lot = row.balance.lot
        lots[line_id].append(HeldLot(
            quantity=row.quantity, lot_number=lot.number if lot else "",
            expiry_date=lot.expiry_date if lot else None, expiry_kind=lot.expiry_kind if lot else "",
            serial_number=row.serial.number if row.serial else "", article_code=row.article.code,
            in_delivery=row.document_type == DELIVERY_DOCUMENT))
    messages: dict[int, tuple[str, bool]] = {}
    for data in order.events.filter(kind=SalesEvent.Kind.STOCK).order_by("at", "pk").values_list("data", flat=True):
        if isinstance(data, dict) and data.get("line") is not None:
            messages[int(data["line"])] = (str(data.get("reasons", "")), bool(data.get("cut")))
    statuses = []
    for line in lines:
        reason, cut = messages.get(line.pk, ("", None))
        statuses.append(OrderLineStatus(
            line=line, reserved=held_units(held, line), in_deliveries=in_deliveries.get(line.pk, ZERO),
            lots=lots.get(line.pk, []), short_reason=reason, short_cut=cut))
    return statuses


def order_events(order: SalesOrder) -> QuerySet[SalesEvent]:
    return order.events.select_related("user").order_by("at", "pk")


def order_totals(lines: Iterable[PricedLine]) -> dict[str, Decimal | int]:
    """Amount excl. VAT, margin and the count of lines (of lines already loaded)."""
    lines = list(lines)
    margins = [line.margin_amount for line in lines if line.margin_amount is not None]
    return {
        "count": len(lines),
        "amount": sum((line.line_amount for line in lines), ZERO),
        "margin": sum(margins, ZERO) if margins else None,
    }
