"""Which gross price and which condition per level apply to a line.

Conditions are indexed once by (node, scope) so that resolving a line is a few
dictionary look-ups (at most path length × (3 + family depth)), never a scan.

Resolution, for each slot independently (the six levels, the net price, free goods),
among the conditions valid on the date whose minimum quantity is reached:
1. the nearest node on the customer path wins over a farther one;
2. at the same node, article beats brand beats family (the nearer family in the
   lineage beats a farther one) beats all;
3. then the later ``valid_from`` (an open start is the earliest);
4. what still ties is a configuration conflict: it is reported, and the condition
   with the lowest id applies so that the result never depends on input order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import TypeAlias

from comptoir.money import round_rate, round_unit_price

from .errors import InvalidPricingInput
from .levels import DEFAULT_LEVELS, LevelConfig, LevelScheme, Stacking, ValueKind
from .results import ConditionConflict
from .types import (
    Condition,
    DiscountCondition,
    GrossPrice,
    NetPriceCondition,
    PriceRequest,
    ScopeKind,
    TierBasis,
    TierCondition,
)

# Slots 1–6 are the level numbers; the net price and free goods have their own.
SLOT_NET_PRICE = 7
SLOT_FREE_GOODS = 8

_OPEN_START = 0  # before date.min.toordinal() == 1
_OPEN_END = 10**7  # after date.max.toordinal() == 3_652_059

# (slot, start ordinal, end ordinal, min quantity, condition, rate, is a tier condition):
# ``rate`` is the rate of a rate discount, already at 4 places, None otherwise.
_Entry: TypeAlias = tuple[int, int, int, Decimal, Condition, Decimal | None, bool]
# The applicable condition of a slot, its rate (4 places) for a rate discount or the
# rate a tier condition reached, and its start ordinal.
Winner: TypeAlias = tuple[Condition, Decimal | None, int]
_Bucket: TypeAlias = tuple[_Entry, ...]


class NodeConditions:
    """The conditions attached to one node, by scope. Each bucket holds the entries
    of one scope sorted by slot, then latest start first, then id."""

    __slots__ = ("by_article", "by_brand", "by_family", "for_all")

    def __init__(self) -> None:
        self.by_article: dict[int, _Bucket] = {}
        self.by_brand: dict[int, _Bucket] = {}
        self.by_family: dict[int, _Bucket] = {}
        self.for_all: _Bucket = ()


def slot_name(slot: int) -> str:
    if slot == SLOT_NET_PRICE:
        return "net_price"
    if slot == SLOT_FREE_GOODS:
        return "free_goods"
    return f"level_{slot}"


def slot_of(condition: Condition) -> int:
    if isinstance(condition, DiscountCondition | TierCondition):
        return condition.level
    if isinstance(condition, NetPriceCondition):
        return SLOT_NET_PRICE
    return SLOT_FREE_GOODS


def _start(condition: Condition) -> int:
    return _OPEN_START if condition.valid_from is None else condition.valid_from.toordinal()


def _end(condition: Condition) -> int:
    return _OPEN_END if condition.valid_to is None else condition.valid_to.toordinal()


class ConditionIndex:
    """Conditions checked against a level scheme and indexed by node, then scope.

    Build it once per batch (or cache it while the contracts do not change) with
    :func:`index_conditions`; it is read-only afterwards and safe to share.
    """

    __slots__ = ("levels", "condition_count", "by_node", "plan", "exclusive_positions")

    def __init__(
        self,
        *,
        levels: LevelScheme,
        condition_count: int,
        by_node: dict[int, NodeConditions],
    ) -> None:
        self.levels = levels
        self.condition_count = condition_count
        self.by_node = by_node
        # The cascade read once: (level, number, is a rate level, is additive), in order.
        self.plan: tuple[tuple[LevelConfig, int, bool, bool], ...] = tuple(
            (
                level,
                level.number,
                level.value_kind is ValueKind.RATE,
                level.stacking is Stacking.ADDITIVE,
            )
            for level in levels.levels
        )
        self.exclusive_positions: tuple[tuple[int, int], ...] = tuple(
            (position, level.number)
            for position, level in enumerate(levels.levels)
            if level.exclusive
        )


def _level_errors(condition: Condition, levels: LevelScheme) -> list[str]:
    if not isinstance(condition, DiscountCondition | TierCondition):
        return []
    if not levels.has_level(condition.level):
        return [f"condition {condition.id}: unknown level {condition.level}"]
    value_kind = levels.level(condition.level).value_kind
    if isinstance(condition, TierCondition):
        if value_kind is not ValueKind.RATE:
            return [
                f"condition {condition.id}: tiers give a rate, level {condition.level} takes amounts"
            ]
        return []
    given = ValueKind.RATE if condition.rate is not None else ValueKind.AMOUNT
    if given is not value_kind:
        return [
            f"condition {condition.id}: level {condition.level} takes a {value_kind.value}, "
            f"the condition gives a {given.value}"
        ]
    return []


def index_conditions(
    conditions: Iterable[Condition], *, levels: LevelScheme = DEFAULT_LEVELS
) -> ConditionIndex:
    """Check the conditions against ``levels`` and index them by (node, scope).

    Raises :class:`InvalidPricingInput` listing every condition that does not fit
    the level scheme (unknown level, a rate on an amount level or the reverse).
    """
    errors: list[str] = []
    grouped: dict[tuple[int, ScopeKind, int | None], list[_Entry]] = defaultdict(list)
    count = 0
    for condition in conditions:
        count += 1
        problems = _level_errors(condition, levels)
        if problems:
            errors.extend(problems)
            continue
        rate = condition.rate if isinstance(condition, DiscountCondition) else None
        entry: _Entry = (
            slot_of(condition),
            _start(condition),
            _end(condition),
            condition.min_quantity,
            condition,
            None if rate is None else round_rate(rate),
            isinstance(condition, TierCondition),
        )
        grouped[(condition.node_id, condition.scope_kind, condition.scope_id)].append(entry)
    if errors:
        raise InvalidPricingInput(errors)
    by_node: dict[int, NodeConditions] = {}
    for (node_id, scope_kind, scope_id), entries in grouped.items():
        node = by_node.get(node_id)
        if node is None:
            node = by_node[node_id] = NodeConditions()
        # Per slot, the latest start first: the first applicable entry is the best.
        bucket = tuple(sorted(entries, key=lambda entry: (entry[0], -entry[1], entry[4].id)))
        if scope_kind is ScopeKind.ALL or scope_id is None:  # one goes with the other
            node.for_all = bucket
        elif scope_kind is ScopeKind.ARTICLE:
            node.by_article[scope_id] = bucket
        elif scope_kind is ScopeKind.BRAND:
            node.by_brand[scope_id] = bucket
        else:
            node.by_family[scope_id] = bucket
    return ConditionIndex(levels=levels, condition_count=count, by_node=by_node)


def candidate_buckets(request: PriceRequest, index: ConditionIndex) -> list[_Bucket]:
    """The buckets that can hold a condition for the request, from the most to the
    least specific: nearest node first; at a node article, brand, families from the
    article's own up to the root, then all. Only dictionary look-ups."""
    article_id = request.article_id
    brand_id = request.brand_id
    lineage = request.family_lineage
    buckets: list[_Bucket] = []
    for node_id in request.customer_path:
        node = index.by_node.get(node_id)
        if node is None:
            continue
        bucket = node.by_article.get(article_id)
        if bucket is not None:
            buckets.append(bucket)
        if brand_id is not None and node.by_brand:
            bucket = node.by_brand.get(brand_id)
            if bucket is not None:
                buckets.append(bucket)
        if node.by_family:
            for family_id in reversed(lineage):
                bucket = node.by_family.get(family_id)
                if bucket is not None:
                    buckets.append(bucket)
        if node.for_all:
            buckets.append(node.for_all)
    return buckets


def tier_rate(
    condition: TierCondition, request: PriceRequest, base_quantity: Decimal
) -> Decimal | None:
    """The rate of the highest threshold reached, None when none is reached."""
    if condition.basis is TierBasis.QUANTITY:
        reached = base_quantity
    else:
        size = (
            request.base_units_per_layer
            if condition.basis is TierBasis.LAYER
            else request.base_units_per_pallet
        )
        if size is None:
            return None
        reached = base_quantity // size  # full layers or pallets only
    for tier in condition.tiers:  # highest threshold first
        if reached >= tier.threshold:
            return tier.rate
    return None


def resolve_conditions(
    request: PriceRequest, index: ConditionIndex, base_quantity: Decimal
) -> tuple[dict[int, Winner], tuple[ConditionConflict, ...]]:
    """The applicable condition per slot, and the ties found on the way.

    Inside a bucket the entries of a slot come latest start first, then by id: the
    first applicable entry wins (so among tied entries the lowest id), and an
    applicable entry after it with the same start is a tie."""
    day = request.on_date.toordinal()
    found: dict[int, Winner] = {}
    ties: dict[int, list[Condition]] | None = None
    # Buckets come from the most to the least specific: a slot filled from an earlier
    # bucket cannot be beaten by a later one.
    for bucket in candidate_buckets(request, index):
        filled_here: dict[int, int] | None = None  # slot -> start, for this bucket
        for slot, start, end, min_quantity, condition, rate, is_tier in bucket:
            if slot in found and (filled_here is None or filled_here.get(slot) != start):
                continue  # only a same-start entry of a slot filled here can tie
            if start > day or end < day or min_quantity > base_quantity:
                continue
            if is_tier:
                assert isinstance(condition, TierCondition)
                rate = tier_rate(condition, request, base_quantity)
                if rate is None:
                    continue
            if slot in found:  # same bucket, same start: a tie
                if ties is None:
                    ties = {}
                ties.setdefault(slot, [found[slot][0]]).append(condition)
                continue
            found[slot] = (condition, rate, start)
            if filled_here is None:
                filled_here = {}
            filled_here[slot] = start
    if ties is None:
        return found, ()
    conflicts = []
    for slot, tied in sorted(ties.items()):
        first = tied[0]  # the lowest id: it applies
        conflicts.append(
            ConditionConflict(
                slot=slot_name(slot),
                node_id=first.node_id,
                scope_kind=first.scope_kind,
                scope_id=first.scope_id,
                condition_ids=tuple(sorted(condition.id for condition in tied)),
            )
        )
    return found, tuple(conflicts)


def to_ordered_unit_price(
    price: Decimal, *, price_base_units: Decimal, unit_base_units: Decimal
) -> Decimal:
    """A price (or amount) given for ``price_base_units`` base units, expressed for
    the ordered unit of ``unit_base_units`` base units, at 4 places.

    The one conversion of the engine: input prices are quantized here, once, when
    they are expressed in the ordered unit (an exact no-op when the packaging
    matches and the price already has 4 places)."""
    if price_base_units == unit_base_units:
        return round_unit_price(price)
    return round_unit_price(price * unit_base_units / price_base_units)


def select_gross_price(
    request: PriceRequest, base_quantity: Decimal
) -> tuple[GrossPrice, Decimal] | None:
    """The gross price candidate that applies and its price per ordered unit, or
    None when no candidate is valid on the date."""
    day = request.on_date.toordinal()
    best: GrossPrice | None = None
    best_key: tuple[int, int, int, int] | None = None
    for candidate in request.gross_prices:
        start = _OPEN_START if candidate.valid_from is None else candidate.valid_from.toordinal()
        end = _OPEN_END if candidate.valid_to is None else candidate.valid_to.toordinal()
        if start > day or end < day:
            continue
        key = (
            candidate.priority,
            0 if candidate.base_units == request.base_units_per_unit else 1,
            -start,
            candidate.price_list_id,
        )
        if best_key is None or key < best_key:
            best, best_key = candidate, key
    if best is None:
        return None
    unit_price = best.unit_price
    reached_break = Decimal(-1)  # the highest break reached so far
    for quantity_break in best.breaks:
        if reached_break < quantity_break.min_quantity <= base_quantity:
            unit_price = quantity_break.unit_price
            reached_break = quantity_break.min_quantity
    return best, to_ordered_unit_price(
        unit_price,
        price_base_units=best.base_units,
        unit_base_units=request.base_units_per_unit,
    )


def find_conflicts(
    conditions: Iterable[Condition], *, any_overlap: bool = False
) -> tuple[ConditionConflict, ...]:
    """Pairs of conditions that the engine could not order: same slot (level, net
    price or free goods), same node, same scope, date ranges that overlap, and the
    same ``valid_from`` (so "the later start wins" cannot separate them).

    With ``any_overlap=True`` every overlap on the same slot/node/scope is reported,
    even when the later start would decide: a stricter policy a company may choose.
    For the save-time validator: pass the conditions of active contracts (those of
    the contract being saved and those already active). Pairs are sorted.
    """
    groups: dict[tuple[int, int, ScopeKind, int | None], list[Condition]] = defaultdict(list)
    for condition in conditions:
        key = (slot_of(condition), condition.node_id, condition.scope_kind, condition.scope_id)
        groups[key].append(condition)
    conflicts: list[ConditionConflict] = []
    for (slot, node_id, scope_kind, scope_id), members in groups.items():
        if len(members) < 2:
            continue
        members.sort(key=lambda condition: (_start(condition), condition.id))
        for position, first in enumerate(members):
            first_start, first_end = _start(first), _end(first)
            for second in members[position + 1 :]:
                second_start = _start(second)
                if second_start > first_end:
                    break  # sorted by start: no later member overlaps ``first``
                if not any_overlap and second_start != first_start:
                    break  # sorted by start: no later member has the same start
                conflicts.append(
                    ConditionConflict(
                        slot=slot_name(slot),
                        node_id=node_id,
                        scope_kind=scope_kind,
                        scope_id=scope_id,
                        condition_ids=tuple(sorted((first.id, second.id))),
                    )
                )
    conflicts.sort(key=lambda conflict: conflict.condition_ids)
    return tuple(conflicts)
