"""The stock ledger: every quantity change is a move, posted with its balances in the
same transaction, balance rows locked in primary-key order; weighted average cost
(CUMP) maintained on receipts.

``moves_post`` is the one primitive every other logistics service goes through.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.exceptions import DomainError, ValidationFailed
from comptoir.money import round_unit_price
from trade.models import Article, CustomerNode, Supplier

from ..lock_objects import article_costs_lock, article_costs_write, balances_lock, balances_write
from ..models import (
    ArticleCost,
    ArticleCostHistory,
    Location,
    Lot,
    MoveReason,
    SerialNumber,
    SerialStatus,
    StockBalance,
    StockMove,
    Warehouse,
)

ZERO = Decimal("0")
# Reasons that bring goods in at a cost of their own and so update the weighted average
# (an assembled kit enters at the cost of its components).
COSTED_IN = {MoveReason.RECEIPT, MoveReason.RETURN, MoveReason.KIT_ASSEMBLY, MoveReason.KIT_DISASSEMBLY}


class InsufficientStock(DomainError):
    code = "insufficient_stock"


@dataclass(frozen=True)
class MoveSpec:
    """One move to post. ``consume_reserved`` takes the quantity out of the source
    balance's reservations too (shipping what was reserved); ``release_blocked``
    likewise for blocked quantities (scrapping damaged goods)."""

    article: Article
    quantity: Decimal
    reason: str
    from_location: Location | None = None
    to_location: Location | None = None
    lot: Lot | None = None
    serial: SerialNumber | None = None
    unit_cost: Decimal | None = None
    document_type: str = ""
    document_id: str = ""
    document_line: str = ""
    customer_node: CustomerNode | None = None
    supplier: Supplier | None = None
    note: str = ""
    consume_reserved: bool = False
    release_blocked: bool = False


@dataclass
class _Delta:
    on_hand: Decimal = ZERO
    reserved: Decimal = ZERO
    blocked: Decimal = ZERO
    # The moves out of this balance: named in the message only when stock is short.
    specs: list[MoveSpec] = field(default_factory=list)


def _short_lines(deltas: Sequence[_Delta]) -> list[list[str]]:
    """"ART-1 WH/A-001 lot L1" per move out of each short balance, for people. The
    locations' warehouses (printed) are read here, in one query, and only here: a
    shipment that has the stock never pays for its message."""
    locations = [spec.from_location for delta in deltas for spec in delta.specs if spec.from_location is not None]
    warehouse_field = Location._meta.get_field("warehouse")
    missing = {location.warehouse_id for location in locations if not warehouse_field.is_cached(location)}
    if missing:
        warehouses = Warehouse.objects.in_bulk(missing)
        for location in locations:
            if not warehouse_field.is_cached(location):
                warehouse_field.set_cached_value(location, warehouses[location.warehouse_id])
    return [
        [f"{spec.article.code} {spec.from_location}{' lot ' + spec.lot.number if spec.lot else ''}"
         for spec in delta.specs]
        for delta in deltas
    ]


def balance_keys_ensure(keys: set[tuple[int, int, int | None]]) -> dict[tuple[int, int, int | None], int]:
    """Balance ids for (article, location, lot) keys, creating the missing rows
    (concurrent creators meet on the unique constraint, nobody fails)."""
    def existing() -> dict[tuple[int, int, int | None], int]:
        rows = StockBalance.objects.filter(
            article_id__in={a for a, _loc, _lot in keys}, location_id__in={loc for _a, loc, _lot in keys}
        ).order_by().values_list("pk", "article_id", "location_id", "lot_id")
        return {(a, loc, lot): pk for pk, a, loc, lot in rows if (a, loc, lot) in keys}

    found = existing()
    missing = keys - found.keys()
    if missing:
        # Only the missing rows: SQLite cannot enforce uniqueness when the lot is NULL.
        StockBalance.objects.bulk_create(
            [StockBalance(article_id=a, location_id=loc, lot_id=lot) for a, loc, lot in missing],
            ignore_conflicts=True,
        )
        found = existing()
    return found


def moves_post(specs: Sequence[MoveSpec], *, user=None,  # noqa: ANN001
               locked_balances: Mapping[int, StockBalance] | None = None) -> list[StockMove]:
    """Post moves and update their balances, in the caller's transaction.

    Locks every balance touched in primary-key order, checks that no balance would go
    below zero (nor below what stays reserved and blocked), writes the balances with
    ``F()`` and inserts the moves. Costed receipts update the weighted average cost;
    moves out are valued at the current average. Serial numbers follow their moves.
    Raises :class:`InsufficientStock` naming every short line; nothing is written then.

    ``locked_balances``: balance rows the caller has locked in this transaction (in
    primary-key order, read under the lock and not changed since). When they are every
    balance the moves touch, they are used as they are (no second read nor lock);
    otherwise every balance is found and locked here as usual.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("moves_post must run inside a transaction")
    keys: set[tuple[int, int, int | None]] = set()
    for spec in specs:
        if spec.quantity <= 0:
            raise DomainError(_("A move quantity must be positive."), code="invalid_quantity")
        if spec.from_location is None and spec.to_location is None:
            raise DomainError(_("A move needs a source or a destination."), code="invalid_move")
        for location in (spec.from_location, spec.to_location):
            if location is not None:
                keys.add((spec.article.pk, location.pk, spec.lot.pk if spec.lot else None))
    given = {(row.article_id, row.location_id, row.lot_id): row.pk for row in (locked_balances or {}).values()}
    if locked_balances and keys <= given.keys():
        ids = {key: given[key] for key in keys}
        locked = dict(locked_balances)
    else:
        ids = balance_keys_ensure(keys)
        locked = balances_lock(ids.values())

    deltas: dict[int, _Delta] = defaultdict(_Delta)
    for spec in specs:
        lot_id = spec.lot.pk if spec.lot else None
        if spec.from_location is not None:
            delta = deltas[ids[(spec.article.pk, spec.from_location.pk, lot_id)]]
            delta.on_hand -= spec.quantity
            if spec.consume_reserved:
                delta.reserved -= spec.quantity
            if spec.release_blocked:
                delta.blocked -= spec.quantity
            delta.specs.append(spec)
        if spec.to_location is not None:
            deltas[ids[(spec.article.pk, spec.to_location.pk, lot_id)]].on_hand += spec.quantity

    short_balances = []
    for balance_id, delta in deltas.items():
        balance = locked[balance_id]
        on_hand = balance.on_hand + delta.on_hand
        reserved = balance.reserved + delta.reserved
        blocked = balance.blocked + delta.blocked
        if on_hand < 0 or reserved < 0 or blocked < 0 or (delta.on_hand < 0 and on_hand < reserved + blocked):
            short_balances.append(balance_id)
    if short_balances:
        lines = _short_lines([deltas[balance_id] for balance_id in short_balances])
        short = [
            {
                "balance": balance_id, "lines": balance_lines, "on_hand": str(locked[balance_id].on_hand),
                "reserved": str(locked[balance_id].reserved), "blocked": str(locked[balance_id].blocked),
                "change": str(deltas[balance_id].on_hand),
            }
            for balance_id, balance_lines in zip(short_balances, lines, strict=True)
        ]
        raise InsufficientStock(
            _("Not enough stock: %(lines)s.") % {"lines": "; ".join(", ".join(s["lines"]) for s in short)},
            lines=short,
        )
    # The rows are locked: the values computed from them are current; one bulk UPDATE
    # of the quantities that change.
    changes: dict[int, dict[str, Decimal]] = {}
    for balance_id, delta in deltas.items():
        balance = locked[balance_id]
        change = {name: getattr(balance, name) + getattr(delta, name)
                  for name in ("on_hand", "reserved", "blocked") if getattr(delta, name)}
        if change:
            changes[balance_id] = change
    balances_write(changes)

    costs = _costs_apply(specs)
    moves = StockMove.objects.bulk_create([
        StockMove(
            article=spec.article, quantity=spec.quantity, from_location=spec.from_location,
            to_location=spec.to_location, lot=spec.lot, serial=spec.serial,
            unit_cost=spec.unit_cost if spec.unit_cost is not None and spec.reason in COSTED_IN
            else costs.get(spec.article.pk, ZERO),
            reason=spec.reason, document_type=spec.document_type, document_id=spec.document_id,
            document_line=spec.document_line, customer_node=spec.customer_node, supplier=spec.supplier,
            note=spec.note, created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        for spec in specs
    ])
    _serials_follow(specs)
    _cost_history(specs, moves)
    return moves


def _costs_apply(specs: Sequence[MoveSpec]) -> dict[int, Decimal]:
    """Update the weighted average cost of costed receipts, and the valued quantity
    of everything entering or leaving the company's stock; returns the average cost
    of each article after these moves (what outgoing moves are valued at)."""
    article_ids = {spec.article.pk for spec in specs}
    ArticleCost.objects.bulk_create([ArticleCost(article_id=pk) for pk in article_ids], ignore_conflicts=True)
    rows = article_costs_lock(article_ids)
    before = {row.pk: (row.quantity, row.unit_cost) for row in rows.values()}
    for spec in specs:
        row = rows[spec.article.pk]
        entering = spec.from_location is None
        leaving = spec.to_location is None
        if entering and spec.reason in COSTED_IN and spec.unit_cost is not None:
            total = row.quantity + spec.quantity
            if total > 0 and row.quantity > 0:
                row.unit_cost = round_unit_price((row.quantity * row.unit_cost + spec.quantity * spec.unit_cost) / total)
            else:
                row.unit_cost = round_unit_price(spec.unit_cost)
            row.quantity = total
        elif entering:
            row.quantity += spec.quantity
        elif leaving:
            row.quantity -= spec.quantity
    article_costs_write([row for row in rows.values() if (row.quantity, row.unit_cost) != before[row.pk]])
    return {article_id: row.unit_cost for article_id, row in rows.items()}


def _cost_history(specs: Sequence[MoveSpec], moves: Sequence[StockMove]) -> None:
    costed = [
        (spec, move) for spec, move in zip(specs, moves, strict=True)
        if spec.from_location is None and spec.reason in COSTED_IN and spec.unit_cost is not None
    ]
    if not costed:
        return
    current = {row.article_id: row for row in ArticleCost.objects.filter(article_id__in={s.article.pk for s, _m in costed})}
    ArticleCostHistory.objects.bulk_create([
        ArticleCostHistory(article_id=spec.article.pk, move=move, unit_cost=current[spec.article.pk].unit_cost,
                           quantity_after=current[spec.article.pk].quantity)
        for spec, move in costed
    ])


def _serials_follow(specs: Sequence[MoveSpec]) -> None:
    """A serial is in one place: it moves with its move, leaves stock when shipped."""
    for spec in specs:
        if spec.serial is None:
            continue
        if spec.to_location is None:
            # Only a shipment puts a unit at a customer; any other exit (scrap, loss, count) writes it off.
            status = SerialStatus.SHIPPED if spec.reason == MoveReason.SHIPMENT else SerialStatus.SCRAPPED
            SerialNumber.objects.filter(pk=spec.serial.pk).update(location=None, status=status)
        else:
            SerialNumber.objects.filter(pk=spec.serial.pk).update(location=spec.to_location, status=SerialStatus.IN_STOCK)


def _tracking_check(*, article: Article, location: Location, quantity: Decimal, lot: Lot | None,
                    serial: SerialNumber | None) -> None:
    """An adjustment names what the article's tracking needs: its own lot for a lot-
    tracked article, none otherwise; one serial, ±1, that is (or is not) here."""
    errors: dict[str, list[str]] = {}
    tracking = article.tracking_mode
    if tracking in ("lot", "lot_dlc", "lot_ddm"):
        if lot is None:
            errors["lot"] = [_("%(code)s is tracked by lot: say which one.") % {"code": article.code}]
        elif lot.article_id != article.pk:
            errors["lot"] = [_("Lot %(lot)s is not a lot of %(code)s.") % {"lot": lot.number, "code": article.code}]
    elif lot is not None and tracking != "serial":
        errors["lot"] = [_("%(code)s is not tracked by lot.") % {"code": article.code}]
    if tracking == "serial":
        if serial is None or abs(quantity) != 1:
            errors["serial"] = [_("A serial-numbered article is adjusted one serial at a time.")]
        elif serial.article_id != article.pk:
            errors["serial"] = [_("This serial number belongs to another article.")]
        elif quantity > 0 and serial.location_id is not None:
            errors["serial"] = [_("Serial %(number)s is already in stock.") % {"number": serial.number}]
        elif quantity < 0 and serial.location_id != location.pk:
            errors["serial"] = [_("Serial %(number)s is not at this location.") % {"number": serial.number}]
    elif serial is not None:
        errors["serial"] = [_("%(code)s has no serial numbers.") % {"code": article.code}]
    if errors:
        raise ValidationFailed(errors)


@transaction.atomic
def stock_adjust(
    *, article: Article, location: Location, quantity: Decimal, lot: Lot | None = None,
    serial: SerialNumber | None = None, note: str, user=None, reason: str = MoveReason.ADJUSTMENT,  # noqa: ANN001
) -> StockMove:
    """A manual correction: a positive quantity adds stock, a negative one removes it
    (scrap uses ``reason=MoveReason.SCRAP``). A reason note is required."""
    if not note.strip():
        raise DomainError(_("Say why the stock is adjusted."), code="note_required", field="note")
    if quantity == 0:
        raise DomainError(_("An adjustment of zero changes nothing."), code="invalid_quantity", field="quantity")
    _tracking_check(article=article, location=location, quantity=quantity, lot=lot, serial=serial)
    spec = MoveSpec(
        article=article, quantity=abs(quantity), reason=reason, lot=lot, serial=serial, note=note,
        from_location=location if quantity < 0 else None, to_location=location if quantity > 0 else None,
    )
    return moves_post([spec], user=user)[0]


@transaction.atomic
def stock_move_internal(
    *, article: Article, quantity: Decimal, from_location: Location, to_location: Location,
    lot: Lot | None = None, serial: SerialNumber | None = None, user=None, note: str = "",  # noqa: ANN001
) -> StockMove:
    """Move stock between two locations of the same warehouse (put-away, replenishing a
    picking bin, into or out of quarantine)."""
    if from_location.warehouse_id != to_location.warehouse_id:
        raise DomainError(_("Use a transfer between two warehouses."), code="invalid_move")
    spec = MoveSpec(article=article, quantity=quantity, reason=MoveReason.TRANSFER, from_location=from_location,
                    to_location=to_location, lot=lot, serial=serial, note=note)
    return moves_post([spec], user=user)[0]
