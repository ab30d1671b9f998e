"""Reservations: lock, snapshot, allocate with the pure FEFO engine, apply the plan.

The pattern (STYLE.md rule 9): lock the balance rows of the articles concerned in
primary-key order, build frozen buckets from them, let ``logistics.allocation``
decide in memory, then write reservations and ``reserved = reserved + x`` with F().
Two transactions reserving the same stock queue on the row locks; the second sees
what the first reserved, so stock is never promised twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import NamedTuple, cast

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from trade.models import Article, CustomerNode, KitComponent, KitKind
from trade.selectors import (
    EffectiveSettings,
    customer_node_effective_settings,
    customer_nodes_effective_settings,
)

from .. import allocation as engine
from ..lock_objects import balances_lock, balances_lock_ids, balances_write
from ..models import (
    Location,
    LocationKind,
    Lot,
    MoveReason,
    Reservation,
    ReservationStatus,
    SerialNumber,
    SerialStatus,
    StockBalance,
    Warehouse,
)
from .ledger import MoveSpec, balance_keys_ensure, moves_post

_INHERITED = object()  # stock_reserve(s): read the minimum shelf life from the customer node


@dataclass(frozen=True)
class ReserveLine:
    """``quantity`` base units of ``article`` (a kit stocked as components reserves its
    components) for the document line ``line_id``."""

    line_id: str
    article: Article
    quantity: Decimal


@dataclass(frozen=True)
class ReserveRequest:
    """One document of a ``stocks_reserve`` batch: the arguments of ``stock_reserve``
    but the warehouse and the user, which the batch shares."""

    document_type: str
    document_id: str
    lines: Sequence[ReserveLine]
    delivery_date: date
    customer_node: CustomerNode | None = None
    min_shelf_life: engine.MinShelfLife | None | object = _INHERITED
    allow_past_ddm: bool = False


def engine_article(article: Article) -> engine.Article:
    return engine.Article(
        id=article.pk, tracking_mode=engine.TrackingMode(article.tracking_mode),
        shelf_life_days=article.shelf_life_days,
    )


def min_shelf_life_of(customer_node: CustomerNode | None, *,
                      settings: EffectiveSettings | None = None) -> engine.MinShelfLife | None:
    """The customer's minimum remaining shelf life, inherited through the hierarchy.
    ``settings``: the node's effective settings when the caller has them."""
    if customer_node is None:
        return None
    if settings is None:
        settings = customer_node_effective_settings(customer_node)
    elif settings.node.pk != customer_node.pk:
        raise ValueError(f"settings of node {settings.node.pk} given for node {customer_node.pk}")
    value = settings.value("min_shelf_life")
    if value is None:
        return None
    number, unit = value
    return engine.MinShelfLife(value=int(number), unit=engine.ShelfLifeUnit(unit))


def _kit_components_read(articles: Iterable[Article]) -> dict[int, list[KitComponent]]:
    """The bills of materials of the kits stocked as components among ``articles``, in
    one query (none when there is no such kit)."""
    kit_ids = {article.pk for article in articles if article.kit_kind == KitKind.COMPONENTS}
    components: dict[int, list[KitComponent]] = {pk: [] for pk in kit_ids}
    if kit_ids:
        for row in KitComponent.objects.filter(kit_id__in=kit_ids).select_related("component").order_by("pk"):
            components[row.kit_id].append(row)
    return components


def _demand_lines(
    lines: Sequence[ReserveLine], *, delivery_date: date, min_shelf_life: engine.MinShelfLife | None,
    allow_past_ddm: bool, kit_components: Mapping[int, Sequence[KitComponent]] | None = None,
) -> tuple[list[engine.AnyDemandLine], set[int]]:
    """The engine's demand lines and the articles whose stock they need (a kit's
    components). ``kit_components``: ``_kit_components_read``'s answer for these lines
    when the caller has it (read here otherwise)."""
    if kit_components is None:
        kit_components = _kit_components_read(line.article for line in lines)
    demand: list[engine.AnyDemandLine] = []
    article_ids: set[int] = set()
    for line in lines:
        article = line.article
        if article.kit_kind == KitKind.COMPONENTS:
            components = kit_components[article.pk]
            kit = engine.Kit(article_id=article.pk, components=tuple(
                engine.KitComponent(article=engine_article(c.component), quantity_per_kit=c.quantity)
                for c in components
            ))
            article_ids |= {c.component_id for c in components}
            demand.append(engine.KitDemandLine(id=line.line_id, kit=kit, quantity=line.quantity,
                                               delivery_date=delivery_date, min_shelf_life=min_shelf_life,
                                               allow_past_ddm=allow_past_ddm))
        else:
            article_ids.add(article.pk)
            demand.append(engine.DemandLine(id=line.line_id, article=engine_article(article), quantity=line.quantity,
                                            delivery_date=delivery_date, min_shelf_life=min_shelf_life,
                                            allow_past_ddm=allow_past_ddm))
    return demand, article_ids


@dataclass
class LockedBalance:
    """What a reservation needs of a locked balance row (read with ``values()``: the
    snapshot of a large order is thousands of rows, model instances would dominate)."""

    pk: int
    article_id: int
    location_id: int
    lot_id: int | None
    reserved: Decimal


_SNAPSHOT_FIELDS = (
    "pk", "article_id", "location_id", "lot_id", "on_hand", "reserved", "blocked", "location__picking_order",
    "article__tracking_mode", "lot__number", "lot__expiry_date", "lot__expiry_kind", "lot__received_on", "lot__status",
)


def snapshot_lock(article_ids: set[int], *, warehouse: Warehouse | None, location: Location | None = None,
                  lock: bool = True,
                  ) -> tuple[engine.StockSnapshot, dict[int, LockedBalance], dict[int, SerialNumber]]:
    """Lock the pickable balances (and in-stock serials) of these articles, in
    primary-key order, and freeze them as the engine's snapshot. ``lock=False`` reads
    the same snapshot without locks (the optimistic first pass of ``stock_reserve``)."""
    balances_qs = StockBalance.objects.select_for_update(of=("self",)) if lock else StockBalance.objects
    queryset = balances_qs.filter(article_id__in=article_ids)
    if warehouse is not None:
        queryset = queryset.filter(location__warehouse_id=warehouse.pk)
    if location is not None:
        queryset = queryset.filter(location=location)
    else:
        queryset = queryset.filter(location__kind=LocationKind.STORAGE)
    balances: dict[int, LockedBalance] = {}
    buckets = []
    for (pk, article_id, location_id, lot_id, on_hand, reserved, blocked, picking_order, tracking_mode,
         lot_number, expiry_date, expiry_kind, received_on, lot_status) in queryset.order_by("pk").values_list(
            *_SNAPSHOT_FIELDS):
        balances[pk] = LockedBalance(pk, article_id, location_id, lot_id, reserved)
        if tracking_mode == "serial":
            continue
        buckets.append(engine.StockBucket(
            id=pk, article_id=article_id, location_id=location_id,
            quantity_available=max(on_hand - reserved - blocked, Decimal(0)),
            picking_order=picking_order, lot_id=lot_id, lot_number=lot_number,
            expiry_date=expiry_date if expiry_kind else None,
            expiry_kind=engine.ExpiryKind(expiry_kind) if expiry_kind else None,
            receipt_date=received_on,
            status=engine.LotStatus(lot_status) if lot_status else engine.LotStatus.AVAILABLE,
        ))
    serials_qs = SerialNumber.objects.select_for_update(of=("self",)) if lock else SerialNumber.objects
    serial_rows = {
        row.pk: row for row in serials_qs.filter(
            article_id__in=article_ids, status=SerialStatus.IN_STOCK,
            location_id__in={b.location_id for b in balances.values()},
        ).select_related("location", "lot").order_by("pk")
    }
    serials = [
        engine.SerialUnit(
            id=row.pk, article_id=row.article_id, serial_number=row.number, location_id=row.location_id,
            picking_order=row.location.picking_order,
            status=engine.LotStatus(row.lot.status) if row.lot else engine.LotStatus.AVAILABLE,
        )
        for row in serial_rows.values()
    ]
    return engine.StockSnapshot(buckets=tuple(buckets), serials=tuple(serials)), balances, serial_rows


def stock_reserve(
    *, document_type: str, document_id: str, lines: Sequence[ReserveLine], warehouse: Warehouse,
    delivery_date: date, customer_node: CustomerNode | None = None, allow_past_ddm: bool = False, user=None,  # noqa: ANN001
    min_shelf_life: engine.MinShelfLife | None | object = _INHERITED,
) -> engine.BatchAllocation:
    """Reserve FEFO for the lines of a document, honouring the customer's minimum
    remaining shelf life at ``delivery_date``. Lines are served in the order given;
    a short line keeps what could be reserved, and its plan says why the rest is not
    there (the caller keeps it as backorder or cuts it). A caller that has read the
    customer's settings may pass ``min_shelf_life`` (``min_shelf_life_of``'s answer,
    ``None`` included); by default it is read from ``customer_node``. A batch of one
    ``stocks_reserve`` (one code path; its transaction, no savepoint of its own)."""
    request = ReserveRequest(
        document_type=document_type, document_id=document_id, lines=lines, delivery_date=delivery_date,
        customer_node=customer_node, min_shelf_life=min_shelf_life, allow_past_ddm=allow_past_ddm,
    )
    return stocks_reserve([request], warehouse=warehouse, user=user)[0]


@transaction.atomic
def stocks_reserve(
    requests: Sequence[ReserveRequest], *, warehouse: Warehouse, user=None,  # noqa: ANN001
) -> list[engine.BatchAllocation]:
    """One BatchAllocation per request, in order: exactly what calling stock_reserve
    for each request one after another (in one transaction) would reserve, in a fixed
    number of queries whatever the number of requests (EDI confirms a thousand orders
    at once).

    Each request is served over what the requests before it left (``_allocate_in_turn``):
    the same picks, shortfall reasons, ``consumed`` and ``serials_allocated`` as its
    own call would report, with its own line ids. Locking as ``stock_reserve``: the
    optimistic pass locks the balance rows picked, in primary-key order, then the
    serials; when a line is short or the stock changed, every candidate balance of
    every request's articles is locked in one primary-key-ordered statement and the
    requests are allocated again. Then one balance write, one reservations INSERT."""
    active = [request for request in requests if request.lines]
    if not active:
        return [engine.BatchAllocation(plans=()) for _request in requests]
    kit_components = _kit_components_read(line.article for request in active for line in request.lines)
    demands = [
        _demand_lines(request.lines, delivery_date=request.delivery_date, min_shelf_life=min_life,
                      allow_past_ddm=request.allow_past_ddm, kit_components=kit_components)
        for request, min_life in zip(active, _min_shelf_lives(active), strict=True)
    ]
    article_ids = set().union(*(ids for _demand, ids in demands))
    batches, balances, serial_rows = _allocate_optimistically(demands, article_ids, warehouse=warehouse)
    if batches is None:
        snapshot, balances, serial_rows = snapshot_lock(article_ids, warehouse=warehouse)
        batches = _allocate_in_turn(demands, snapshot, balances)

    serials_allocated = sorted(pk for batch in batches for pk in batch.serials_allocated)
    serial_balance_keys = {
        (serial_rows[sid].article_id, serial_rows[sid].location_id, None) for sid in serials_allocated
    }
    serial_balances = balance_keys_ensure(serial_balance_keys) if serial_balance_keys else {}
    new_serial_balances = set(serial_balances.values()) - set(balances)
    for row in (balances_lock(new_serial_balances).values() if new_serial_balances else ()):
        balances[row.pk] = LockedBalance(row.pk, row.article_id, row.location_id, row.lot_id, row.reserved)
    increments: dict[int, Decimal] = defaultdict(Decimal)
    reservations: list[_NewReservation] = []
    for request, batch in zip(active, batches, strict=True):
        customer_node_id = request.customer_node.pk if request.customer_node else None
        for line_id, article_id, pick in _picks(batch):
            if pick.serial_id is not None:
                serial = serial_rows[pick.serial_id]
                balance_id = serial_balances[(serial.article_id, serial.location_id, None)]
            else:
                balance_id = cast("int", pick.bucket_id)
            increments[balance_id] += pick.quantity
            reservations.append(_NewReservation(
                article_id, balance_id, pick.serial_id, pick.quantity, request.document_type, request.document_id,
                str(line_id), customer_node_id,
            ))
    # Locked above: the reserved quantities read then are current.
    balances_write({pk: {"reserved": balances[pk].reserved + quantity} for pk, quantity in increments.items()})
    user_or_none = user if getattr(user, "is_authenticated", False) else None
    _reservations_insert(reservations, created_by_id=user_or_none.pk if user_or_none else None)
    if serials_allocated:
        SerialNumber.objects.filter(pk__in=serials_allocated).update(status=SerialStatus.RESERVED)
    answers = iter(batches)
    return [next(answers) if request.lines else engine.BatchAllocation(plans=()) for request in requests]


def _min_shelf_lives(requests: Sequence[ReserveRequest]) -> list[engine.MinShelfLife | None]:
    """Each request's minimum shelf life: its own, else its customer node's, the
    effective settings of every such node read at once."""
    inheriting = {request.customer_node.pk: request.customer_node for request in requests
                  if request.min_shelf_life is _INHERITED and request.customer_node is not None}
    settings = customer_nodes_effective_settings(inheriting.values()) if inheriting else {}
    lives: list[engine.MinShelfLife | None] = []
    for request in requests:
        if request.min_shelf_life is not _INHERITED:
            lives.append(cast("engine.MinShelfLife | None", request.min_shelf_life))
        elif request.customer_node is None:
            lives.append(None)
        else:
            lives.append(min_shelf_life_of(request.customer_node, settings=settings[request.customer_node.pk]))
    return lives


_Demand = tuple[list[engine.AnyDemandLine], set[int]]  # a request's demand lines, the articles they need


def _allocate_in_turn(demands: Sequence[_Demand], snapshot: engine.StockSnapshot,
                      balances: Mapping[int, LockedBalance]) -> list[engine.BatchAllocation]:
    """Allocate the requests one after the other, each with its own engine call over
    the stock a ``stock_reserve`` call after the requests before it would read: its
    articles' buckets less what those requests took, the serials they took left out.

    Not one engine call over every request's lines: that call would tell a line short
    because an earlier document took the stock "taken by earlier lines" where the
    document's own call says "no stock", and would merge ``consumed``. Each request
    costs a walk over its own articles' stock, as its own call would.

    Serials: ``snapshot_lock`` reads those at the places where the articles asked for
    have a balance row; a request sees only those of its own articles' places, and a
    serial reserved gives its article a balance row at its place (``balance_keys_ensure``),
    as the database would for the calls after it."""
    if len(demands) == 1:
        return [engine.allocate_lines(demands[0][0], snapshot)]  # one request: the whole snapshot is its own
    places: dict[int, set[int]] = defaultdict(set)
    for row in balances.values():
        places[row.article_id].add(row.location_id)
    buckets = {bucket.id: bucket for bucket in snapshot.buckets}  # updated as the requests take from them
    taken: set[int] = set()
    batches: list[engine.BatchAllocation] = []
    for demand, article_ids in demands:
        ordered = sorted(article_ids)
        seen_places = set().union(*(places[article_id] for article_id in ordered))
        own = engine.StockSnapshot(
            buckets=tuple(
                buckets[bucket.id] for article_id in ordered for bucket in snapshot.buckets_for(article_id)
            ),
            serials=tuple(
                serial for article_id in ordered for serial in snapshot.serials_for(article_id)
                if serial.id not in taken and serial.location_id in seen_places
            ),
        )
        batch = engine.allocate_lines(demand, own)
        for bucket_id, quantity in batch.consumed.items():
            bucket = buckets[bucket_id]
            buckets[bucket_id] = replace(bucket, quantity_available=bucket.quantity_available - quantity)
        for _line_id, article_id, pick in _picks(batch):
            if pick.serial_id is not None:
                taken.add(pick.serial_id)
                places[article_id].add(pick.location_id)
        batches.append(batch)
    return batches


def _picks(batch: engine.BatchAllocation) -> Iterator[tuple[engine.LineId, int, engine.Pick]]:
    """(line id, article id, pick) of every pick of a batch, kit components included,
    in plan order (the FEFO order the reservations are inserted in)."""
    for plan in batch.plans:
        subplans = [c.plan for c in plan.components] if isinstance(plan, engine.KitPlan) else [plan]
        for sub in subplans:
            for pick in sub.picks:
                yield plan.line_id, sub.article_id, pick


class _SnapshotChanged(Exception):
    """The optimistic snapshot no longer holds: roll back its savepoint."""


def _allocate_optimistically(
    demands: Sequence[_Demand], article_ids: set[int], *, warehouse: Warehouse,
) -> tuple[list[engine.BatchAllocation] | None, dict[int, LockedBalance], dict[int, SerialNumber]]:
    """Allocate on an unlocked snapshot, then lock only the rows picked (primary-key
    order) and check they still hold what was picked. Locking the few rows a plan uses
    instead of every candidate keeps large orders fast; when anything changed in
    between, or a line of any request is short (a concurrent release might cover it),
    returns None and the caller takes the pessimistic path (lock every candidate,
    allocate again)."""
    snapshot, balances, serial_rows = snapshot_lock(article_ids, warehouse=warehouse, lock=False)
    batches = _allocate_in_turn(demands, snapshot, balances)
    if any(plan.quantity_short for batch in batches for plan in batch.plans):
        return None, balances, serial_rows
    consumed: dict[int, Decimal] = defaultdict(Decimal)
    for batch in batches:
        for bucket_id, quantity in batch.consumed.items():
            consumed[bucket_id] += quantity
    serials_allocated = {pk for batch in batches for pk in batch.serials_allocated}
    serial_places = {(serial_rows[pk].article_id, serial_rows[pk].location_id) for pk in serials_allocated}
    serial_balances = {
        pk for pk, row in balances.items() if row.lot_id is None and (row.article_id, row.location_id) in serial_places
    }
    # Every balance lock in one primary-key-ordered statement, serial rows after: the
    # same order as the pessimistic path. In a savepoint: when the check fails, rolling
    # it back releases these locks before the pessimistic path takes them in order.
    picked = sorted(set(consumed) | serial_balances)
    try:
        with transaction.atomic():
            current = {
                pk: (on_hand - reserved - blocked, reserved, lot_status)
                for pk, on_hand, reserved, blocked, lot_status
                in StockBalance.objects.select_for_update(of=("self",)).filter(pk__in=picked).order_by("pk")
                .values_list("pk", "on_hand", "reserved", "blocked", "lot__status")
            }
            for pk in picked:
                available, _reserved, lot_status = current.get(pk, (Decimal(0), Decimal(0), None))
                if pk not in current or available < consumed.get(pk, Decimal(0)) \
                        or lot_status not in (None, "available"):
                    raise _SnapshotChanged
            if serials_allocated:
                still_in_stock = set(
                    SerialNumber.objects.select_for_update(of=("self",)).filter(
                        pk__in=serials_allocated, status=SerialStatus.IN_STOCK
                    ).order_by("pk").values_list("pk", flat=True)
                )
                if still_in_stock != serials_allocated:
                    raise _SnapshotChanged
    except _SnapshotChanged:
        return None, balances, serial_rows
    for pk in picked:
        balances[pk].reserved = current[pk][1]  # the locked, current value
    return batches, balances, serial_rows


class _NewReservation(NamedTuple):
    article_id: int
    balance_id: int
    serial_id: int | None
    quantity: Decimal
    document_type: str
    document_id: str
    document_line: str
    customer_node_id: int | None


def _reservations_insert(rows: Sequence[_NewReservation], *, created_by_id: int | None) -> None:
    """Insert active reservations, each with its own document line and customer node,
    in one statement on PostgreSQL (a large order, or a batch of orders, writes
    hundreds of them at once). Rows get their primary keys in the order given."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Reservation.objects.bulk_create([
            Reservation(**row._asdict(), created_by_id=created_by_id) for row in rows
        ])
        return
    table = Reservation._meta.db_table
    columns = [list(column) for column in zip(*rows, strict=True)]  # in _NewReservation's field order
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" (article_id, balance_id, serial_id, quantity, document_type, document_id, '  # noqa: S608
            "document_line, customer_node_id, status, created_by_id, created_at) "
            "SELECT a, b, s, q, t, i, l, c, 'active', %s, now() "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::numeric[], %s::text[], %s::text[], "
            "%s::text[], %s::bigint[]) AS v(a, b, s, q, t, i, l, c)",
            [created_by_id, *columns],
        )


def _active_queryset(document_type: str, document_id: str, document_line: str | None) -> QuerySet[Reservation]:
    queryset = Reservation.objects.filter(document_type=document_type, document_id=document_id,
                                          status=ReservationStatus.ACTIVE)
    if document_line is not None:
        queryset = queryset.filter(document_line=document_line)
    return queryset


def _active(document_type: str, document_id: str, document_line: str | None) -> list[Reservation]:
    return list(_active_queryset(document_type, document_id, document_line).order_by("pk"))


@transaction.atomic
def reservations_release(*, document_type: str, document_id: str, document_line: str | None = None) -> int:
    """Give back what a document (or one of its lines) holds. Idempotent: releasing
    twice releases once. Returns the number of reservations released."""
    rows = _active(document_type, document_id, document_line)
    if not rows:
        return 0
    locked = balances_lock({row.balance_id for row in rows})
    rows = _active(document_type, document_id, document_line)  # re-read under the lock
    reserved = {pk: balance.reserved for pk, balance in locked.items()}
    for row in rows:
        reserved[row.balance_id] -= row.quantity
    balances_write({pk: {"reserved": quantity} for pk, quantity in reserved.items()})
    serial_ids = [row.serial_id for row in rows if row.serial_id]
    if serial_ids:
        SerialNumber.objects.filter(pk__in=serial_ids).update(status=SerialStatus.IN_STOCK)
    Reservation.objects.filter(pk__in=[row.pk for row in rows]).update(status=ReservationStatus.RELEASED)
    return len(rows)


@transaction.atomic
def reservations_reduce(
    *, document_type: str, document_id: str, document_line: str, quantity: Decimal, article_id: int | None = None,
) -> Decimal:
    """Give back ``quantity`` of what one document line holds (of one article: a kit
    line holds its components), latest-expiring first (the reverse of FEFO: the lots
    the line keeps are the ones it should ship first). Returns the quantity released
    (less than asked when the line holds less)."""
    if quantity <= 0:
        return Decimal(0)

    def held() -> list[Reservation]:
        rows = _active(document_type, document_id, document_line)
        return [row for row in rows if article_id is None or row.article_id == article_id]

    rows = held()
    if not rows:
        return Decimal(0)
    locked = balances_lock({row.balance_id for row in rows})
    rows = held()  # re-read under the lock
    reserved = {pk: balance.reserved for pk, balance in locked.items()}
    remaining = quantity
    released_ids: list[int] = []
    serial_ids: list[int] = []
    for row in reversed(rows):  # inserted in FEFO order
        if remaining <= 0:
            break
        take = min(row.quantity, remaining)
        remaining -= take
        reserved[row.balance_id] -= take
        if take == row.quantity:
            released_ids.append(row.pk)
            if row.serial_id:
                serial_ids.append(row.serial_id)
        else:
            Reservation.objects.filter(pk=row.pk).update(quantity=row.quantity - take)
    balances_write({pk: {"reserved": value} for pk, value in reserved.items() if value != locked[pk].reserved})
    if serial_ids:
        SerialNumber.objects.filter(pk__in=serial_ids).update(status=SerialStatus.IN_STOCK)
    if released_ids:
        Reservation.objects.filter(pk__in=released_ids).update(status=ReservationStatus.RELEASED)
    return quantity - remaining


@transaction.atomic
def reservations_reassign(
    *, source: tuple[str, str, str], target: tuple[str, str, str], customer_node: CustomerNode | None = None,
) -> Decimal:
    """Hand what a document line holds to another document line (an order line's
    reservations to the delivery that will pick them, and back if the delivery is
    cancelled): the same lots and places, no stock moves. Returns the quantity."""
    document_type, document_id, document_line = source
    rows = _active(document_type, document_id, document_line)
    if not rows:
        return Decimal(0)
    balances_lock({row.balance_id for row in rows})  # same lock order as every other writer
    target_type, target_id, target_line = target
    changes = {"document_type": target_type, "document_id": target_id, "document_line": target_line}
    if customer_node is not None:
        changes["customer_node"] = customer_node
    queryset = Reservation.objects.filter(pk__in=[row.pk for row in rows], status=ReservationStatus.ACTIVE)
    moved = queryset.aggregate(total=Sum("quantity"))["total"] or Decimal(0)
    queryset.update(**changes)
    return moved


DocumentLine = tuple[str, str, str]  # (document type, document id, document line)


@transaction.atomic
def reservations_reassign_many(
    pairs: Sequence[tuple[DocumentLine, DocumentLine]], *, customer_node: CustomerNode | None = None,
) -> list[Decimal]:
    """``reservations_reassign`` for many (source, target) document lines at once (a
    delivery taking every line of its order): one read of what the sources hold, one
    lock of their balances in primary-key order (as every other writer), one UPDATE.
    Returns the quantity handed over per pair, in the order given. Sources must be
    distinct."""
    if not pairs:
        return []
    sources = [source for source, _target in pairs]
    if len(set(sources)) != len(sources):
        raise ValueError("reservations_reassign_many: a source line is given twice")
    if connection.vendor != "postgresql":
        return [reservations_reassign(source=source, target=target, customer_node=customer_node)
                for source, target in pairs]
    by_document: dict[tuple[str, str], list[str]] = defaultdict(list)
    for document_type, document_id, document_line in sources:
        by_document[(document_type, document_id)].append(document_line)
    held = Q()
    for (document_type, document_id), document_lines in by_document.items():
        held |= Q(document_type=document_type, document_id=document_id, document_line__in=document_lines)
    rows = list(Reservation.objects.filter(held, status=ReservationStatus.ACTIVE).order_by("pk")
                .values_list("pk", "balance_id", "document_type", "document_id", "document_line"))
    if not rows:
        return [Decimal(0)] * len(pairs)
    balances_lock_ids({balance_id for _pk, balance_id, *_source in rows})
    targets = dict(pairs)
    row_targets = [targets[(document_type, document_id, document_line)]
                   for _pk, _balance, document_type, document_id, document_line in rows]
    table = Reservation._meta.db_table
    customer_sql = ", customer_node_id = %s" if customer_node is not None else ""
    with connection.cursor() as cursor:
        # Only rows still active now that their balances are locked (as the one-line form).
        cursor.execute(
            f'UPDATE "{table}" AS r SET document_type = v.t, document_id = v.i, document_line = v.l{customer_sql} '  # noqa: S608
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS v(id, t, i, l) "
            "WHERE r.id = v.id AND r.status = %s RETURNING r.id, r.quantity",
            [*([customer_node.pk] if customer_node is not None else []),
             [row[0] for row in rows], *[list(column) for column in zip(*row_targets, strict=True)],
             ReservationStatus.ACTIVE],
        )
        moved_rows = dict(cursor.fetchall())
    moved: dict[DocumentLine, Decimal] = defaultdict(Decimal)
    for pk, _balance, document_type, document_id, document_line in rows:
        if pk in moved_rows:
            moved[(document_type, document_id, document_line)] += moved_rows[pk]
    return [moved.get(source, Decimal(0)) for source in sources]


def reserved_quantities(*, document_type: str, document_id: str) -> dict[tuple[str, int], Decimal]:
    """Active reserved quantity per (document line, article) of a document (a kit
    line holds its components, each under its own article)."""
    return reserved_quantities_many(document_type=document_type, document_ids=[document_id]).get(document_id, {})


def reserved_quantities_many(*, document_type: str, document_ids: Sequence[str],
                             ) -> dict[str, dict[tuple[str, int], Decimal]]:
    """``reserved_quantities`` of many documents in one query: {document id: …};
    a document holding nothing is absent."""
    rows = Reservation.objects.filter(
        document_type=document_type, document_id__in=list(document_ids), status=ReservationStatus.ACTIVE,
    ).values("document_id", "document_line", "article_id").annotate(total=Sum("quantity")).order_by()
    result: dict[str, dict[tuple[str, int], Decimal]] = defaultdict(dict)
    for row in rows:
        result[row["document_id"]][(row["document_line"], row["article_id"])] = row["total"]
    return dict(result)


@transaction.atomic
def reservations_ship(
    *, document_type: str, document_id: str, customer_node: CustomerNode | None, document_line: str | None = None,
    user=None, shipped_document: tuple[str, str] | None = None,  # noqa: ANN001
) -> list:
    """Ship what is reserved: one shipment move per reservation, out of its balance,
    consuming the reservation. Idempotent: shipping twice moves stock once."""
    held = dict(_active_queryset(document_type, document_id, document_line).values_list("pk", "balance_id"))
    if not held:
        return []
    locked = balances_lock(held.values())
    rows = list(Reservation.objects.filter(pk__in=list(held), status=ReservationStatus.ACTIVE)
                .select_related("article", "balance__location", "balance__lot", "serial").order_by("pk"))
    doc_type, doc_id = shipped_document or (document_type, document_id)
    specs = [
        MoveSpec(article=row.article, quantity=row.quantity, reason=MoveReason.SHIPMENT,
                 from_location=row.balance.location, lot=row.balance.lot, serial=row.serial,
                 document_type=doc_type, document_id=doc_id, document_line=row.document_line,
                 customer_node=customer_node or row.customer_node, consume_reserved=True)
        for row in rows
    ]
    # The balances locked above are those the moves come out of: no second lock.
    moves = moves_post(specs, user=user, locked_balances=locked)
    Reservation.objects.filter(pk__in=[row.pk for row in rows]).update(status=ReservationStatus.CONSUMED)
    return moves


def fefo_take(*, article: Article, location: Location, quantity: Decimal) -> list[tuple[Lot | None, Decimal]]:
    """Which lots to consume at one location, FEFO, for internal use (kit assembly):
    no customer rule, expired DLC lots and blocked lots excluded. Locks the rows."""
    snapshot, balances, _serials = snapshot_lock({article.pk}, warehouse=None, location=location)
    plan = engine.allocate_line(
        engine.DemandLine(id="take", article=engine_article(article), quantity=quantity,
                          delivery_date=timezone.localdate()),
        snapshot,
    )
    lots = Lot.objects.in_bulk({pick.lot_id for pick in plan.picks if pick.lot_id is not None})
    return [(lots.get(pick.lot_id), pick.quantity) for pick in plan.picks if pick.bucket_id is not None]


def available_to_promise(article: Article, *, warehouse: Warehouse) -> Decimal:
    """Available quantity of an article in a warehouse's storage locations (a kit
    stocked as components: the component minimum). One indexed read per article."""
    if article.kit_kind == KitKind.COMPONENTS:
        components = list(article.components.all())
        if not components:
            return Decimal(0)
        return min(
            (available_to_promise(c.component, warehouse=warehouse) // c.quantity) for c in components
        )
    row = StockBalance.objects.filter(
        article=article, location__warehouse=warehouse, location__kind=LocationKind.STORAGE
    ).exclude(lot__status__in=["quarantined", "blocked", "recalled"]).aggregate(
        total=Sum(F("on_hand") - F("reserved") - F("blocked"))
    )
    return row["total"] or Decimal(0)
