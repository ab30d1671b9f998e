"""Reservations: lock, snapshot, allocate with the pure FEFO engine, apply the plan.

The pattern (STYLE.md rule 9): lock the balance rows of the articles concerned in
primary-key order, build frozen buckets from them, let ``logistics.allocation``
decide in memory, then write reservations and ``reserved = reserved + x`` with F().
Two transactions reserving the same stock queue on the row locks; the second sees
what the first reserved, so stock is never promised twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import cast

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from trade.models import Article, CustomerNode, KitKind
from trade.selectors import EffectiveSettings, customer_node_effective_settings

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

_INHERITED = object()  # stock_reserve: read the minimum shelf life from the customer node


@dataclass(frozen=True)
class ReserveLine:
    """``quantity`` base units of ``article`` (a kit stocked as components reserves its
    components) for the document line ``line_id``."""

    line_id: str
    article: Article
    quantity: Decimal


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


def _demand_lines(
    lines: Sequence[ReserveLine], *, delivery_date: date, min_shelf_life: engine.MinShelfLife | None,
    allow_past_ddm: bool,
) -> tuple[list[engine.AnyDemandLine], set[int]]:
    demand: list[engine.AnyDemandLine] = []
    article_ids: set[int] = set()
    for line in lines:
        article = line.article
        if article.kit_kind == KitKind.COMPONENTS:
            components = list(article.components.select_related("component"))
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


@transaction.atomic
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
    ``None`` included); by default it is read from ``customer_node``."""
    if not lines:
        return engine.BatchAllocation(plans=())
    min_life = (min_shelf_life_of(customer_node) if min_shelf_life is _INHERITED
                else cast("engine.MinShelfLife | None", min_shelf_life))
    demand, article_ids = _demand_lines(lines, delivery_date=delivery_date, min_shelf_life=min_life,
                                        allow_past_ddm=allow_past_ddm)
    batch, balances, serial_rows = _allocate_optimistically(demand, article_ids, warehouse=warehouse)
    if batch is None:
        snapshot, balances, serial_rows = snapshot_lock(article_ids, warehouse=warehouse)
        batch = engine.allocate_lines(demand, snapshot)

    reservations: list[tuple[int, int, int | None, Decimal, str]] = []
    serial_balance_keys = {
        (serial_rows[sid].article_id, serial_rows[sid].location_id, None) for sid in batch.serials_allocated
    }
    serial_balances = balance_keys_ensure(serial_balance_keys) if serial_balance_keys else {}
    new_serial_balances = set(serial_balances.values()) - set(balances)
    for row in (balances_lock(new_serial_balances).values() if new_serial_balances else ()):
        balances[row.pk] = LockedBalance(row.pk, row.article_id, row.location_id, row.lot_id, row.reserved)
    increments: dict[int, Decimal] = defaultdict(Decimal)
    user_or_none = user if getattr(user, "is_authenticated", False) else None
    for plan in batch.plans:
        plans = [c.plan for c in plan.components] if isinstance(plan, engine.KitPlan) else [plan]
        for sub in plans:
            for pick in sub.picks:
                if pick.serial_id is not None:
                    serial = serial_rows[pick.serial_id]
                    balance_id = serial_balances[(serial.article_id, serial.location_id, None)]
                else:
                    balance_id = pick.bucket_id
                increments[balance_id] += pick.quantity
                reservations.append((sub.article_id, balance_id, pick.serial_id, pick.quantity, str(plan.line_id)))
    # Locked above: the reserved quantities read then are current.
    balances_write({pk: {"reserved": balances[pk].reserved + quantity} for pk, quantity in increments.items()})
    _reservations_insert(reservations, document_type=document_type, document_id=document_id,
                         customer_node_id=customer_node.pk if customer_node else None,
                         created_by_id=user_or_none.pk if user_or_none else None)
    if batch.serials_allocated:
        SerialNumber.objects.filter(pk__in=batch.serials_allocated).update(status=SerialStatus.RESERVED)
    return batch


class _SnapshotChanged(Exception):
    """The optimistic snapshot no longer holds: roll back its savepoint."""


def _allocate_optimistically(
    demand: list[engine.AnyDemandLine], article_ids: set[int], *, warehouse: Warehouse,
) -> tuple[engine.BatchAllocation | None, dict[int, LockedBalance], dict[int, SerialNumber]]:
    """Allocate on an unlocked snapshot, then lock only the rows picked (primary-key
    order) and check they still hold what was picked. Locking the few rows a plan uses
    instead of every candidate keeps large orders fast; when anything changed in
    between, or a line is short (a concurrent release might cover it), returns None
    and the caller takes the pessimistic path (lock every candidate, allocate again)."""
    snapshot, balances, serial_rows = snapshot_lock(article_ids, warehouse=warehouse, lock=False)
    batch = engine.allocate_lines(demand, snapshot)
    if any(plan.quantity_short for plan in batch.plans):
        return None, balances, serial_rows
    serial_places = {
        (serial_rows[pk].article_id, serial_rows[pk].location_id) for pk in batch.serials_allocated
    }
    serial_balances = {
        pk for pk, row in balances.items() if row.lot_id is None and (row.article_id, row.location_id) in serial_places
    }
    # Every balance lock in one primary-key-ordered statement, serial rows after: the
    # same order as the pessimistic path. In a savepoint: when the check fails, rolling
    # it back releases these locks before the pessimistic path takes them in order.
    picked = sorted(set(batch.consumed) | serial_balances)
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
                if pk not in current or available < batch.consumed.get(pk, Decimal(0)) \
                        or lot_status not in (None, "available"):
                    raise _SnapshotChanged
            if batch.serials_allocated:
                still_in_stock = set(
                    SerialNumber.objects.select_for_update(of=("self",)).filter(
                        pk__in=batch.serials_allocated, status=SerialStatus.IN_STOCK
                    ).order_by("pk").values_list("pk", flat=True)
                )
                if still_in_stock != set(batch.serials_allocated):
                    raise _SnapshotChanged
    except _SnapshotChanged:
        return None, balances, serial_rows
    for pk in picked:
        balances[pk].reserved = current[pk][1]  # the locked, current value
    return batch, balances, serial_rows


def _reservations_insert(
    rows: list[tuple[int, int, int | None, Decimal, str]], *, document_type: str, document_id: str,
    customer_node_id: int | None, created_by_id: int | None,
) -> None:
    """Insert active reservations (article, balance, serial, quantity, document line) in
    one statement on PostgreSQL (a large order writes hundreds of them at once)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Reservation.objects.bulk_create([
            Reservation(article_id=article_id, balance_id=balance_id, serial_id=serial_id, quantity=quantity,
                        document_type=document_type, document_id=document_id, document_line=line,
                        customer_node_id=customer_node_id, created_by_id=created_by_id)
            for article_id, balance_id, serial_id, quantity, line in rows
        ])
        return
    table = Reservation._meta.db_table
    columns = list(zip(*rows, strict=True))  # article, balance, serial, quantity, line
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" (article_id, balance_id, serial_id, quantity, document_line, document_type, '  # noqa: S608
            "document_id, customer_node_id, status, created_by_id, created_at) "
            "SELECT a, b, s, q, l, %s, %s, %s, 'active', %s, now() "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::numeric[], %s::text[]) AS v(a, b, s, q, l)",
            [document_type, document_id, customer_node_id, created_by_id, *[list(column) for column in columns]],
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
    rows = Reservation.objects.filter(
        document_type=document_type, document_id=document_id, status=ReservationStatus.ACTIVE,
    ).values("document_line", "article_id").annotate(total=Sum("quantity")).order_by()
    return {(row["document_line"], row["article_id"]): row["total"] for row in rows}


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
