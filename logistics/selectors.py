"""Reads of logistics: stock by article/location/lot, the lot trace (upstream and
downstream, through kit assemblies), valuation at a date, anomalies and replenishment."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Max, Min, Q, QuerySet, Sum, When
from django.utils import timezone

from comptoir.money import round_amount
from trade.models import Article, CustomerNode, Supplier

from .models import (
    ArticleCostHistory,
    CountLine,
    CountStatus,
    Location,
    LocationKind,
    Lot,
    MoveReason,
    Reservation,
    ReservationStatus,
    SerialNumber,
    StockBalance,
    StockMove,
    Warehouse,
)

ZERO = Decimal("0")


def stock_balances(*, article_id: int | None = None, warehouse_id: int | None = None,
                   location_id: int | None = None, lot_id: int | None = None,
                   only_positive: bool = True) -> QuerySet[StockBalance]:
    queryset = StockBalance.objects.select_related("article", "location__warehouse", "lot")
    if article_id:
        queryset = queryset.filter(article_id=article_id)
    if warehouse_id:
        queryset = queryset.filter(location__warehouse_id=warehouse_id)
    if location_id:
        queryset = queryset.filter(location_id=location_id)
    if lot_id:
        queryset = queryset.filter(lot_id=lot_id)
    if only_positive:
        queryset = queryset.filter(Q(on_hand__gt=0) | Q(reserved__gt=0) | Q(blocked__gt=0))
    return queryset.annotate(available_qty=F("on_hand") - F("reserved") - F("blocked")).order_by(
        "article__code", "location__warehouse__code", "location__picking_order", "lot__expiry_date")


def stock_by_article(*, warehouse_id: int | None = None) -> QuerySet:
    """One row per article: on hand, reserved, blocked, available (indexed sums)."""
    queryset = StockBalance.objects.all()
    if warehouse_id:
        queryset = queryset.filter(location__warehouse_id=warehouse_id)
    return (
        queryset.values("article_id", "article__code", "article__designation")
        .annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"), blocked=Sum("blocked"))
        # The sums shadow the column names: available is computed from the sums.
        .annotate(available=F("on_hand") - F("reserved") - F("blocked"))
        .filter(Q(on_hand__gt=0) | Q(reserved__gt=0))
        .order_by("article__code")
    )


def balance_read(*, article_id: int, location_id: int, lot_id: int | None) -> StockBalance | None:
    """The one indexed read behind "how much is available here"."""
    return StockBalance.objects.filter(article_id=article_id, location_id=location_id, lot_id=lot_id).first()


def balance_ledger_sum(balance: StockBalance) -> Decimal:
    """What the ledger says a balance should hold: moves in − moves out."""
    moves = StockMove.objects.filter(article_id=balance.article_id, lot_id=balance.lot_id)
    incoming = moves.filter(to_location_id=balance.location_id).aggregate(t=Sum("quantity"))["t"] or ZERO
    outgoing = moves.filter(from_location_id=balance.location_id).aggregate(t=Sum("quantity"))["t"] or ZERO
    return incoming - outgoing


@dataclass(frozen=True)
class TraceUpstream:
    supplier: Supplier | None
    document: str
    received_at: datetime
    quantity: Decimal
    location: str


@dataclass(frozen=True)
class TraceDownstream:
    customer: CustomerNode | None
    quantity: Decimal
    first_at: datetime
    last_at: datetime
    documents: tuple[str, ...]
    via_lot: Lot | None = None  # set when the goods left inside a kit


@dataclass(frozen=True)
class LotTrace:
    lot: Lot
    upstream: tuple[TraceUpstream, ...]
    downstream: tuple[TraceDownstream, ...]
    kit_lots: tuple[Lot, ...] = ()
    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO
    component_lots: tuple[Lot, ...] = field(default=())

    @property
    def customer_count(self) -> int:
        return len({row.customer.pk for row in self.downstream if row.customer})

    @property
    def shipped_quantity(self) -> Decimal:
        return sum((row.quantity for row in self.downstream if row.via_lot is None), ZERO)


def _kit_lots_of(lot_ids: set[int]) -> dict[int, set[int]]:
    """Component lot id → kit lot ids it went into (through assembly documents)."""
    documents = StockMove.objects.filter(lot_id__in=lot_ids, reason=MoveReason.KIT_ASSEMBLY,
                                         from_location__isnull=False).values_list("lot_id", "document_id")
    by_document: dict[str, set[int]] = defaultdict(set)
    for lot_id, document_id in documents:
        by_document[document_id].add(lot_id)
    if not by_document:
        return {}
    outputs = StockMove.objects.filter(reason=MoveReason.KIT_ASSEMBLY, document_type="assembly",
                                       document_id__in=list(by_document), from_location__isnull=True,
                                       lot__isnull=False).values_list("document_id", "lot_id")
    result: dict[int, set[int]] = defaultdict(set)
    for document_id, kit_lot_id in outputs:
        for component_lot in by_document[document_id]:
            result[component_lot].add(kit_lot_id)
    return result


def lot_trace(lot: Lot) -> LotTrace:
    """One step back and every step forward (EU 178/2002 art. 18): who supplied the
    lot, and every customer node it reached, directly or inside a kit's lot. A fixed
    number of grouped queries whatever the number of stores."""
    upstream = tuple(
        TraceUpstream(supplier=m.supplier, document=f"{m.document_type} {m.document_id}".strip(),
                      received_at=m.created_at, quantity=m.quantity, location=str(m.to_location))
        for m in StockMove.objects.filter(lot=lot, reason=MoveReason.RECEIPT)
        .select_related("supplier", "to_location__warehouse").order_by("created_at")
    )
    kit_links = _kit_lots_of({lot.pk})
    kit_lot_ids = kit_links.get(lot.pk, set())
    lots_by_id = {row.pk: row for row in Lot.objects.filter(pk__in=kit_lot_ids | {lot.pk}).select_related("article")}
    shipped = (
        StockMove.objects.filter(lot_id__in=kit_lot_ids | {lot.pk}, reason=MoveReason.SHIPMENT)
        .values("customer_node_id", "lot_id")
        .annotate(quantity=Sum("quantity"), first_at=Min("created_at"), last_at=Max("created_at"))
    )
    documents: dict[tuple[int | None, int], set[str]] = defaultdict(set)
    for customer_id, lot_id, doc_type, doc_id in StockMove.objects.filter(
        lot_id__in=kit_lot_ids | {lot.pk}, reason=MoveReason.SHIPMENT
    ).values_list("customer_node_id", "lot_id", "document_type", "document_id").distinct():
        documents[(customer_id, lot_id)].add(f"{doc_type} {doc_id}".strip())
    returned = dict(
        StockMove.objects.filter(lot=lot, reason=MoveReason.RETURN).values_list("customer_node_id")
        .annotate(total=Sum("quantity")).values_list("customer_node_id", "total")
    )
    customers = {
        n.pk: n for n in CustomerNode.objects.filter(pk__in={row["customer_node_id"] for row in shipped})
        .only("id", "code", "name", "kind", "path", "gln", "depth")
    }
    downstream = []
    for row in shipped:
        quantity = row["quantity"] - (returned.get(row["customer_node_id"], ZERO) if row["lot_id"] == lot.pk else ZERO)
        downstream.append(TraceDownstream(
            customer=customers.get(row["customer_node_id"]), quantity=quantity, first_at=row["first_at"],
            last_at=row["last_at"], documents=tuple(sorted(documents[(row["customer_node_id"], row["lot_id"])])),
            via_lot=lots_by_id[row["lot_id"]] if row["lot_id"] != lot.pk else None,
        ))
    downstream.sort(key=lambda r: (r.customer.path if r.customer else "", r.via_lot.pk if r.via_lot else 0))
    totals = StockBalance.objects.filter(lot=lot).aggregate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    component_lot_ids = StockMove.objects.filter(
        reason=MoveReason.KIT_ASSEMBLY, document_type="assembly", from_location__isnull=False,
        document_id__in=StockMove.objects.filter(lot=lot, reason=MoveReason.KIT_ASSEMBLY, from_location__isnull=True)
        .values("document_id"),
    ).values_list("lot_id", flat=True)
    return LotTrace(
        lot=lot, upstream=upstream, downstream=tuple(downstream),
        kit_lots=tuple(lots_by_id[pk] for pk in sorted(kit_lot_ids)),
        on_hand=totals["on_hand"] or ZERO, reserved=totals["reserved"] or ZERO,
        component_lots=tuple(Lot.objects.filter(pk__in=list(component_lot_ids)).select_related("article")),
    )


def recall_customers_csv(traces: list[LotTrace]) -> str:
    """The recall list: one row per customer node and lot, with contacts (CSV, ;)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["lot", "article", "via_kit_lot", "customer_code", "customer_name", "kind", "gln",
                     "quantity", "first_shipped", "last_shipped", "documents", "contact", "email", "phone"])
    node_ids = {row.customer.pk for trace in traces for row in trace.downstream if row.customer}
    contacts = {}
    for node in CustomerNode.objects.filter(pk__in=node_ids).prefetch_related("contacts"):
        first = next(iter(node.contacts.all()), None)
        contacts[node.pk] = first
    for trace in traces:
        for row in trace.downstream:
            node = row.customer
            contact = contacts.get(node.pk) if node else None
            writer.writerow([
                trace.lot.number, trace.lot.article.code, row.via_lot.number if row.via_lot else "",
                node.code if node else "", node.name if node else "", node.kind if node else "",
                node.gln if node else "", f"{row.quantity.normalize():f}",
                row.first_at.date().isoformat(), row.last_at.date().isoformat(), " ".join(row.documents),
                contact.name if contact else "", contact.email if contact else "", contact.phone if contact else "",
            ])
    return buffer.getvalue()


@dataclass(frozen=True)
class ValuationRow:
    article: Article
    warehouse: Warehouse | None
    quantity: Decimal
    unit_cost: Decimal
    value: Decimal


def stock_valuation(*, on_date: date, warehouse_id: int | None = None, family_id: int | None = None,
                    ) -> list[ValuationRow]:
    """Stock value at the end of ``on_date``: the ledger's quantity at that moment per
    article (and warehouse) × the weighted average cost in force then."""
    end = timezone.make_aware(datetime.combine(on_date + timedelta(days=1), time.min))
    moves = StockMove.objects.filter(created_at__lt=end)
    if family_id:
        from trade.models import ArticleFamily

        family = ArticleFamily.objects.get(pk=family_id)
        moves = moves.filter(article__family__path__startswith=family.path)
    quantities: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    incoming = moves.filter(to_location__isnull=False).values("article_id", "to_location__warehouse_id").annotate(
        total=Sum("quantity"))
    for row in incoming:
        quantities[(row["article_id"], row["to_location__warehouse_id"])] += row["total"]
    outgoing = moves.filter(from_location__isnull=False).values("article_id", "from_location__warehouse_id").annotate(
        total=Sum("quantity"))
    for row in outgoing:
        quantities[(row["article_id"], row["from_location__warehouse_id"])] -= row["total"]
    if warehouse_id:
        quantities = {k: v for k, v in quantities.items() if k[1] == warehouse_id}
    article_ids = {a for a, _w in quantities}
    costs: dict[int, Decimal] = {}
    for article_id, unit_cost in (ArticleCostHistory.objects.filter(article_id__in=article_ids, changed_at__lt=end)
                                  .order_by("article_id", "changed_at", "pk").values_list("article_id", "unit_cost")):
        costs[article_id] = unit_cost  # the last change before the date wins
    articles = Article.objects.in_bulk(article_ids)
    warehouses = Warehouse.objects.in_bulk({w for _a, w in quantities})
    rows = [
        ValuationRow(article=articles[a], warehouse=warehouses.get(w), quantity=q, unit_cost=costs.get(a, ZERO),
                     value=round_amount(q * costs.get(a, ZERO)))
        for (a, w), q in quantities.items() if q != 0
    ]
    rows.sort(key=lambda r: (r.article.code, r.warehouse.code if r.warehouse else ""))
    return rows


@dataclass(frozen=True)
class Anomaly:
    kind: str
    message: str
    article_code: str = ""
    location: str = ""
    lot_number: str = ""
    quantity: Decimal | None = None


def stock_anomalies(*, on_date: date, count_variance_threshold: Decimal = Decimal("10")) -> list[Anomaly]:
    """What a stock controller must look at: inconsistent balances, expired DLC lots on
    hand or reserved, DDM past date, reservations above stock, big count variances,
    serials in two places."""
    result: list[Anomaly] = []
    base = StockBalance.objects.select_related("article", "location__warehouse", "lot")
    for row in base.filter(Q(on_hand__lt=0) | Q(reserved__lt=0) | Q(reserved__gt=F("on_hand") - F("blocked"))):
        result.append(Anomaly("reserved_above_on_hand", "reserved above on hand", row.article.code, str(row.location),
                              row.lot.number if row.lot else "", row.reserved - row.on_hand))
    for row in base.filter(lot__expiry_kind="dlc", lot__expiry_date__lt=on_date).filter(
            Q(on_hand__gt=0) | Q(reserved__gt=0)):
        result.append(Anomaly("expired_dlc", "use-by date passed, still in stock", row.article.code, str(row.location),
                              row.lot.number, row.on_hand))
    for row in base.filter(lot__expiry_kind="ddm", lot__expiry_date__lt=on_date, on_hand__gt=0):
        result.append(Anomaly("ddm_past", "best-before date passed", row.article.code, str(row.location),
                              row.lot.number, row.on_hand))
    for line in CountLine.objects.filter(count__status=CountStatus.APPROVED, counted__isnull=False).select_related(
            "article", "location__warehouse", "lot", "count").annotate(
            variance_abs=Case(When(counted__gte=F("expected"), then=F("counted") - F("expected")),
                              default=F("expected") - F("counted"), output_field=DecimalField())).filter(
            variance_abs__gt=count_variance_threshold):
        result.append(Anomaly("count_variance", f"count {line.count} variance", line.article.code,
                              str(line.location), line.lot.number if line.lot else "", line.variance))
    serials_here = {
        (row["article_id"], row["location_id"]): row["n"]
        for row in SerialNumber.objects.filter(location__isnull=False).values("article_id", "location_id")
        .annotate(n=Count("pk"))
    }
    for row in base.filter(article__tracking_mode="serial"):
        units = serials_here.get((row.article_id, row.location_id), 0)
        if units != row.on_hand:
            result.append(Anomaly("serial_mismatch", f"{units} serial numbers here for {row.on_hand} on hand",
                                  row.article.code, str(row.location), quantity=row.on_hand - units))
    for row in (Reservation.objects.filter(status=ReservationStatus.ACTIVE, balance__lot__expiry_kind="dlc",
                                           balance__lot__expiry_date__lt=on_date).select_related("article", "balance__lot")):
        result.append(Anomaly("expired_dlc_reserved", "expired use-by lot reserved", row.article.code,
                              lot_number=row.balance.lot.number, quantity=row.quantity))
    ledger_mismatch = _ledger_mismatches()
    result.extend(ledger_mismatch)
    return result


def _ledger_mismatches() -> list[Anomaly]:
    """Balances whose on-hand differs from the sum of their moves (one grouped query each way)."""
    incoming = {
        (r["article_id"], r["to_location_id"], r["lot_id"]): r["t"]
        for r in StockMove.objects.filter(to_location__isnull=False).values("article_id", "to_location_id", "lot_id")
        .annotate(t=Sum("quantity"))
    }
    outgoing = {
        (r["article_id"], r["from_location_id"], r["lot_id"]): r["t"]
        for r in StockMove.objects.filter(from_location__isnull=False).values("article_id", "from_location_id", "lot_id")
        .annotate(t=Sum("quantity"))
    }
    result = []
    for balance in StockBalance.objects.select_related("article", "location", "lot"):
        key = (balance.article_id, balance.location_id, balance.lot_id)
        expected = incoming.get(key, ZERO) - outgoing.get(key, ZERO)
        if expected != balance.on_hand:
            result.append(Anomaly("ledger_mismatch", f"ledger says {expected}", balance.article.code,
                                  str(balance.location), balance.lot.number if balance.lot else "",
                                  balance.on_hand - expected))
    return result


@dataclass(frozen=True)
class Suggestion:
    article: Article
    warehouse: Warehouse
    available: Decimal
    on_order: Decimal
    daily_outgoing: Decimal
    lead_time_days: int
    reorder_point: Decimal
    maximum: Decimal
    suggested_quantity: Decimal
    supplier: Supplier | None


def replenishment_suggestions(*, warehouse: Warehouse, on_date: date, weeks: int = 8) -> list[Suggestion]:
    """Min/max per article: an explicit rule, or reorder point = daily outgoing over the
    last ``weeks`` × (lead time + 7 days of safety) and maximum = reorder point + 14
    days of sales; suggest up to the maximum when available falls to the reorder point."""
    from trade.models import SupplierArticle

    from .models import ReplenishmentRule

    since = timezone.make_aware(datetime.combine(on_date - timedelta(weeks=weeks), time.min))
    outgoing = dict(
        StockMove.objects.filter(reason=MoveReason.SHIPMENT, from_location__warehouse=warehouse, created_at__gte=since)
        .values("article_id").annotate(t=Sum("quantity")).values_list("article_id", "t")
    )
    rules = {r.article_id: r for r in ReplenishmentRule.objects.filter(warehouse=warehouse)}
    article_ids = set(outgoing) | set(rules)
    available = dict(
        StockBalance.objects.filter(article_id__in=article_ids, location__warehouse=warehouse)
        .exclude(location__kind=LocationKind.TRANSIT).values("article_id")
        .annotate(t=Sum(F("on_hand") - F("reserved") - F("blocked"))).values_list("article_id", "t")
    )
    in_transit = dict(
        StockBalance.objects.filter(article_id__in=article_ids, location__warehouse=warehouse,
                                    location__kind=LocationKind.TRANSIT)
        .values("article_id").annotate(t=Sum("on_hand")).values_list("article_id", "t")
    )
    suppliers: dict[int, SupplierArticle] = {}
    for row in SupplierArticle.objects.filter(article_id__in=article_ids).select_related("supplier").order_by(
            "article_id", "-is_preferred", "purchase_price"):
        suppliers.setdefault(row.article_id, row)
    articles = Article.objects.in_bulk(article_ids)
    result = []
    days = Decimal(weeks * 7)
    for article_id in sorted(article_ids):
        supplier_article = suppliers.get(article_id)
        lead = supplier_article.supplier.lead_time_days if supplier_article else 7
        daily = (outgoing.get(article_id, ZERO) / days).quantize(Decimal("0.001"))
        if article_id in rules:
            reorder_point, maximum = rules[article_id].minimum, rules[article_id].maximum
        else:
            reorder_point = (daily * (lead + 7)).quantize(Decimal("1"))
            maximum = reorder_point + (daily * 14).quantize(Decimal("1"))
        have = available.get(article_id, ZERO) + in_transit.get(article_id, ZERO)
        if have > reorder_point or maximum <= 0:
            continue
        quantity = maximum - have
        if supplier_article and supplier_article.minimum_order_quantity > quantity:
            quantity = supplier_article.minimum_order_quantity
        result.append(Suggestion(
            article=articles[article_id], warehouse=warehouse, available=available.get(article_id, ZERO),
            on_order=in_transit.get(article_id, ZERO), daily_outgoing=daily, lead_time_days=lead,
            reorder_point=reorder_point, maximum=maximum, suggested_quantity=quantity,
            supplier=supplier_article.supplier if supplier_article else None,
        ))
    return result


def locations_of(warehouse: Warehouse) -> QuerySet[Location]:
    return Location.objects.filter(warehouse=warehouse, is_active=True).order_by("picking_order", "code")


@dataclass(frozen=True)
class PreviewPick:
    """One pick of a FEFO preview: what would be reserved from one lot (or serial)."""

    article_id: int
    quantity: Decimal
    lot_number: str | None = None
    expiry_date: date | None = None
    expiry_kind: str | None = None  # "dlc" / "ddm"
    serial_number: str | None = None
    is_past_ddm: bool = False


@dataclass(frozen=True)
class FefoPreview:
    """What a reservation would take now, without taking it. ``plan`` is the engine's
    own plan (an ``AllocationPlan``, or a ``KitPlan`` whose components each have one):
    callers word its shortfall for people; ``picks`` flattens it (kit components
    included)."""

    plan: object  # logistics.allocation.AnyPlan
    picks: tuple[PreviewPick, ...]
    quantity_requested: Decimal
    quantity_allocated: Decimal
    quantity_short: Decimal
    shortfall_reasons: tuple[str, ...] = ()  # ShortfallReason values, in the engine's order


_INHERITED = object()  # fefo_preview: read the minimum shelf life from the customer node


def fefo_preview(article: Article, quantity: Decimal, *, warehouse: Warehouse,
                 customer_node: CustomerNode | None, delivery_date: date,
                 min_shelf_life: object = _INHERITED) -> FefoPreview | None:
    """The lots (and dates) FEFO would reserve for ``quantity`` base units of
    ``article`` (kits: kits) in ``warehouse`` for this customer's minimum remaining
    shelf life at ``delivery_date`` — what order entry shows before confirming.

    Read-only: the same unlocked snapshot as the optimistic pass of ``stock_reserve``
    (no row locks, no writes), so it can differ from what confirmation reserves if
    stock moves in between. ``None`` when the quantity cannot be allocated at all
    (zero, or not whole for a serial-tracked article or a kit). A caller previewing
    many lines for one customer may pass ``min_shelf_life`` (``min_shelf_life_of``'s
    answer, ``None`` included) to read the hierarchy once."""
    # Imported here: the reservation services import this module (balance_read).
    from . import allocation as engine
    from .services.reservations import ReserveLine, _demand_lines, min_shelf_life_of, snapshot_lock

    if quantity is None or quantity <= 0:
        return None
    try:
        demand, article_ids = _demand_lines(
            [ReserveLine(line_id="preview", article=article, quantity=quantity)],
            delivery_date=delivery_date, allow_past_ddm=False,
            min_shelf_life=min_shelf_life_of(customer_node) if min_shelf_life is _INHERITED else min_shelf_life,
        )
        snapshot, _balances, _serials = snapshot_lock(article_ids, warehouse=warehouse, lock=False)
        plan = engine.allocate_lines(demand, snapshot).plans[0]
    except engine.InvalidAllocationInput:
        return None
    subplans = [c.plan for c in plan.components] if isinstance(plan, engine.KitPlan) else [plan]
    picks = tuple(
        PreviewPick(article_id=sub.article_id, quantity=pick.quantity, lot_number=pick.lot_number,
                    expiry_date=pick.expiry_date, expiry_kind=pick.expiry_kind.value if pick.expiry_kind else None,
                    serial_number=pick.serial_number, is_past_ddm=pick.is_past_ddm)
        for sub in subplans for pick in sub.picks
    )
    reasons = tuple(dict.fromkeys(detail.reason.value for sub in subplans for detail in sub.shortfall))
    return FefoPreview(plan=plan, picks=picks, quantity_requested=plan.quantity_requested,
                       quantity_allocated=plan.quantity_allocated, quantity_short=plan.quantity_short,
                       shortfall_reasons=reasons)
