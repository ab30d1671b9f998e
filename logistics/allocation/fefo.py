"""FEFO allocation of one demand line over the locked snapshot.

Rules, in the order they are applied to each bucket (see docs/allocation.md):

1. Buckets are visited earliest expiry first, then earliest receipt, then picking
   order, then id (``snapshot.fefo_key``): the result never depends on the order the
   caller listed them in.
2. A quarantined, blocked or recalled lot is skipped.
3. A DLC lot is skipped when its DLC is before the delivery date (``remaining_days <
   0``); delivered on its DLC day it is still within its date and may go.
4. A DDM lot past its date (DDM before the delivery date) is skipped unless the line
   allows past DDM; then it is allocated and the pick and plan are flagged.
5. With a minimum remaining shelf life, a dated lot needs ``expiry − delivery ≥
   required days`` (days as given; a percentage of the total life rounded up).
6. Whatever is left short is explained by reasons, in ``ShortfallReason`` order.

Serial-tracked articles allocate whole serial units, each at most once, first
received first (then picking order, then id); a serial whose status is not
available is skipped.

Preconditions: the snapshot was read under the service's lock; the engine never
writes, so the service applies the plan inside the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from .errors import InvalidAllocationInput
from .snapshot import StockSnapshot
from .types import (
    EXPIRY_KIND_OF,
    ONE,
    SHORTFALL_ORDER,
    STATUS_REASON,
    ZERO,
    AllocationPlan,
    Article,
    DemandLine,
    ExpiryKind,
    LineId,
    LotStatus,
    MinShelfLife,
    Pick,
    PlanFlag,
    ShortfallDetail,
    ShortfallReason,
    SkippedStock,
)

_AVAILABLE = LotStatus.AVAILABLE
_DLC = ExpiryKind.DLC


@dataclass(slots=True)
class Ledger:
    """What one engine call has taken so far from the snapshot. Private to a call:
    the snapshot stays untouched and the result reports the consumption."""

    consumed: dict[int, Decimal] = field(default_factory=dict)
    serials: set[int] = field(default_factory=set)
    checked_articles: set[int] = field(default_factory=set)

    def consumed_mapping(self) -> Mapping[int, Decimal]:
        """A read-only copy for a frozen result: bucket id → quantity taken."""
        return MappingProxyType(
            {bucket_id: quantity for bucket_id, quantity in self.consumed.items() if quantity}
        )


@dataclass(frozen=True, slots=True)
class Rule:
    """The customer's rules for one article on one delivery date."""

    article: Article
    delivery_date: date
    required_days: int | None
    allow_past_ddm: bool


def make_rule(
    article: Article,
    *,
    delivery_date: date,
    min_shelf_life: MinShelfLife | None,
    allow_past_ddm: bool,
) -> Rule:
    required = None
    if min_shelf_life is not None and article.shelf_life_days is not None and article.is_dated:
        required = min_shelf_life.required_days(article.shelf_life_days)
    return Rule(
        article=article,
        delivery_date=delivery_date,
        required_days=required,
        allow_past_ddm=allow_past_ddm,
    )


def check_article_stock(article: Article, snapshot: StockSnapshot, ledger: Ledger) -> None:
    """The snapshot's stock must fit the article's tracking: serials for a serial-tracked
    article and buckets otherwise; a dated article's lots carry its kind of date, an
    undated article's buckets carry none. Checked once per article and call."""
    if article.id in ledger.checked_articles:
        return
    errors: list[str] = []
    buckets = snapshot.buckets_for(article.id)
    if article.is_serial:
        if buckets:
            errors.append(f"article {article.id} is serial-tracked: pass serial units, not buckets")
    else:
        if snapshot.serials_for(article.id):
            errors.append(f"article {article.id} is not serial-tracked but has serial units")
        kind = EXPIRY_KIND_OF.get(article.tracking_mode)
        for bucket in buckets:
            if bucket.expiry_kind is not kind:
                expected = f"a {kind.value.upper()} date" if kind else "no expiry date"
                errors.append(
                    f"bucket {bucket.id}: article {article.id} ({article.tracking_mode.value}) "
                    f"needs {expected} on its lots"
                )
    if errors:
        raise InvalidAllocationInput(errors)
    ledger.checked_articles.add(article.id)


@dataclass(slots=True)
class Take:
    """The outcome of walking an article's stock for one quantity."""

    picks: list[Pick] = field(default_factory=list)
    skipped: list[SkippedStock] = field(default_factory=list)
    allocated: Decimal = ZERO
    # Stock this rule could use that earlier lines of the same call already took;
    # complete only when the walk went to the end (the line was short or scan_all).
    taken_before: Decimal = ZERO
    flags: set[PlanFlag] = field(default_factory=set)


def take(
    rule: Rule,
    quantity: Decimal,
    snapshot: StockSnapshot,
    ledger: Ledger,
    *,
    scan_all: bool = False,
) -> Take:
    """Pick ``quantity`` FEFO for ``rule`` and record it in ``ledger``. The walk stops
    once the quantity is served unless ``scan_all`` asks to list every excluded
    bucket; when the quantity cannot be served the walk always goes to the end."""
    if rule.article.is_serial:
        return _take_serials(rule, quantity, snapshot, ledger, scan_all=scan_all)
    result = Take()
    consumed = ledger.consumed
    skipped = result.skipped
    need = quantity
    delivery = rule.delivery_date.toordinal()
    required = rule.required_days
    allow_past_ddm = rule.allow_past_ddm
    for bucket, expiry, status_reason in snapshot.entries_for(rule.article.id):
        if need <= 0 and not scan_all:
            break
        used = consumed.get(bucket.id, ZERO)
        left = bucket.quantity_available - used
        if left <= 0 and not used:
            continue  # an empty bucket: nothing to pick, skip or explain
        reason = status_reason
        remaining_days: int | None = None
        is_past_ddm = False
        if expiry is not None:
            remaining_days = expiry - delivery
            if reason is None and remaining_days < 0:
                if bucket.expiry_kind is _DLC:
                    reason = ShortfallReason.EXPIRED
                elif allow_past_ddm:
                    is_past_ddm = True
                else:
                    reason = ShortfallReason.DDM_PAST
            if reason is None and required is not None and remaining_days < required:
                reason = ShortfallReason.TOO_SHORT_DATED
        if reason is not None:
            if left > 0:
                skipped.append(
                    SkippedStock(
                        reason=reason,
                        quantity=left,
                        location_id=bucket.location_id,
                        bucket_id=bucket.id,
                        lot_id=bucket.lot_id,
                        lot_number=bucket.lot_number,
                        expiry_date=bucket.expiry_date,
                        expiry_kind=bucket.expiry_kind,
                        remaining_days=remaining_days,
                        required_days=required
                        if reason is ShortfallReason.TOO_SHORT_DATED
                        else None,
                    )
                )
            continue
        result.taken_before += used
        if left <= 0 or need <= 0:
            continue
        picked = left if left < need else need
        consumed[bucket.id] = used + picked
        need -= picked
        result.allocated += picked
        result.picks.append(
            Pick(
                quantity=picked,
                location_id=bucket.location_id,
                bucket_id=bucket.id,
                lot_id=bucket.lot_id,
                lot_number=bucket.lot_number,
                expiry_date=bucket.expiry_date,
                expiry_kind=bucket.expiry_kind,
                is_past_ddm=is_past_ddm,
            )
        )
        if is_past_ddm:
            result.flags.add(PlanFlag.DDM_PAST)
    return result


def _take_serials(
    rule: Rule, quantity: Decimal, snapshot: StockSnapshot, ledger: Ledger, *, scan_all: bool
) -> Take:
    result = Take()
    taken = ledger.serials
    need = quantity
    for serial in snapshot.serials_for(rule.article.id):
        if need <= 0 and not scan_all:
            break
        if serial.id in taken:
            if serial.status is _AVAILABLE:
                result.taken_before += ONE
            continue
        if serial.status is not _AVAILABLE:
            result.skipped.append(
                SkippedStock(
                    reason=STATUS_REASON[serial.status],
                    quantity=ONE,
                    location_id=serial.location_id,
                    serial_id=serial.id,
                    serial_number=serial.serial_number,
                )
            )
            continue
        if need <= 0:
            continue
        taken.add(serial.id)
        need -= ONE
        result.allocated += ONE
        result.picks.append(
            Pick(
                quantity=ONE,
                location_id=serial.location_id,
                serial_id=serial.id,
                serial_number=serial.serial_number,
            )
        )
    return result


def usable_quantity(rule: Rule, snapshot: StockSnapshot, ledger: Ledger) -> Decimal:
    """What the rule could still allocate: a dry run over a copy of the ledger."""
    trial = Ledger(consumed=dict(ledger.consumed), serials=set(ledger.serials))
    total = sum(
        (bucket.quantity_available for bucket in snapshot.buckets_for(rule.article.id)),
        ZERO,
    ) + len(snapshot.serials_for(rule.article.id))
    return take(rule, total, snapshot, trial).allocated


def explain_shortfall(
    short: Decimal,
    skipped: Iterable[SkippedStock],
    held_back: Mapping[ShortfallReason, Decimal] | None = None,
) -> tuple[ShortfallDetail, ...]:
    """Split ``short`` between reasons in ``ShortfallReason`` order: each reason
    explains at most the quantity behind it (``held_back`` amounts, then the skipped
    stock), and what nothing explains is NO_STOCK. The parts add up to ``short``."""
    if short <= 0:
        return ()
    amounts: dict[ShortfallReason, Decimal] = dict(held_back or {})
    grouped: dict[ShortfallReason, list[SkippedStock]] = {}
    for skipped_stock in skipped:
        amounts[skipped_stock.reason] = (
            amounts.get(skipped_stock.reason, ZERO) + skipped_stock.quantity
        )
        grouped.setdefault(skipped_stock.reason, []).append(skipped_stock)
    details: list[ShortfallDetail] = []
    left = short
    for reason in SHORTFALL_ORDER:
        if reason is ShortfallReason.NO_STOCK or left <= 0:
            continue
        explained = min(left, amounts.get(reason, ZERO))
        if explained > 0:
            details.append(
                ShortfallDetail(
                    reason=reason, quantity=explained, skipped=tuple(grouped.get(reason, ()))
                )
            )
            left -= explained
    if left > 0:
        details.append(ShortfallDetail(reason=ShortfallReason.NO_STOCK, quantity=left))
    return tuple(details)


def build_plan(
    *,
    line_id: LineId,
    article_id: int,
    requested: Decimal,
    result: Take,
    held_back: Mapping[ShortfallReason, Decimal] | None = None,
) -> AllocationPlan:
    short = requested - result.allocated
    return AllocationPlan(
        line_id=line_id,
        article_id=article_id,
        quantity_requested=requested,
        quantity_allocated=result.allocated,
        quantity_short=short,
        picks=tuple(result.picks),
        skipped=tuple(result.skipped),
        shortfall=explain_shortfall(short, result.skipped, held_back),
        flags=frozenset(result.flags),
    )


def allocate_in(line: DemandLine, snapshot: StockSnapshot, ledger: Ledger) -> AllocationPlan:
    """Allocate one line against ``snapshot`` minus what ``ledger`` already took."""
    check_article_stock(line.article, snapshot, ledger)
    rule = make_rule(
        line.article,
        delivery_date=line.delivery_date,
        min_shelf_life=line.min_shelf_life,
        allow_past_ddm=line.allow_past_ddm,
    )
    result = take(rule, line.quantity, snapshot, ledger)
    return build_plan(
        line_id=line.id,
        article_id=line.article.id,
        requested=line.quantity,
        result=result,
        held_back={ShortfallReason.TAKEN_BY_EARLIER_LINES: result.taken_before},
    )


def allocate_line(line: DemandLine, snapshot: StockSnapshot) -> AllocationPlan:
    """FEFO allocation of one line over a whole snapshot (see the module docstring).

    Pure: the snapshot is not modified. The plan's picks never exceed a bucket's
    ``quantity_available`` and add up to ``quantity_allocated`` ≤ ``line.quantity``;
    ``quantity_short`` is explained by ``shortfall``.
    """
    return allocate_in(line, snapshot, Ledger())


def available_quantity(
    *,
    article: Article,
    snapshot: StockSnapshot,
    delivery_date: date,
    min_shelf_life: MinShelfLife | None = None,
    allow_past_ddm: bool = False,
) -> Decimal:
    """How much of ``article`` a line with these rules could be given: the sum of the
    usable buckets (or the count of usable serials). What order entry shows as
    available, and the total a fair-share allotment divides."""
    ledger = Ledger()
    check_article_stock(article, snapshot, ledger)
    rule = make_rule(
        article,
        delivery_date=delivery_date,
        min_shelf_life=min_shelf_life,
        allow_past_ddm=allow_past_ddm,
    )
    return usable_quantity(rule, snapshot, ledger)


def check_unique_line_ids(line_ids: Sequence[LineId]) -> None:
    seen: set[LineId] = set()
    duplicates: set[str] = set()
    for line_id in line_ids:
        if line_id in seen:
            duplicates.add(str(line_id))
        seen.add(line_id)
    if duplicates:
        raise InvalidAllocationInput(
            [f"line ids appear more than once: {', '.join(sorted(duplicates))}"]
        )
