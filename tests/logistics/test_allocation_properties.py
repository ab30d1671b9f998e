"""Properties of the allocation engine, checked with hypothesis over random snapshots.

Eligibility is re-stated here independently of the engine (``is_usable``) so that the
properties check the rules, not the engine against itself.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from logistics.allocation import (
    AllocationPlan,
    Article,
    DemandLine,
    ExpiryKind,
    Kit,
    KitComponent,
    KitDemandLine,
    KitPlan,
    LotStatus,
    MinShelfLife,
    PlanFlag,
    SerialUnit,
    ShelfLifeUnit,
    StockBucket,
    StockSnapshot,
    StoreDemand,
    TrackingMode,
    allocate_kit,
    allocate_line,
    allocate_lines,
    allot,
    available_quantity,
    fair_share,
    kit_availability,
)

DAY = date(2026, 3, 16)
DLC_ARTICLE = Article(id=1, tracking_mode=TrackingMode.LOT_DLC, shelf_life_days=30)
DDM_ARTICLE = Article(id=2, tracking_mode=TrackingMode.LOT_DDM, shelf_life_days=90)
LOT_ARTICLE = Article(id=3, tracking_mode=TrackingMode.LOT)
SERIAL_ARTICLE = Article(id=4, tracking_mode=TrackingMode.SERIAL)
ARTICLES = (DLC_ARTICLE, DDM_ARTICLE, LOT_ARTICLE, SERIAL_ARTICLE)
BUCKET_ARTICLES = (DLC_ARTICLE, DDM_ARTICLE, LOT_ARTICLE)
KIND = {DLC_ARTICLE.id: ExpiryKind.DLC, DDM_ARTICLE.id: ExpiryKind.DDM}
ZERO = D(0)

quantities = st.decimals(min_value=0, max_value=60, places=3, allow_nan=False, allow_infinity=False)
# Mostly available, so that allocations happen; every other status often enough.
statuses = st.sampled_from(
    [LotStatus.AVAILABLE] * 3 + [LotStatus.QUARANTINED, LotStatus.BLOCKED, LotStatus.RECALLED]
)
shelf_lives = st.one_of(
    st.none(),
    st.builds(MinShelfLife, value=st.integers(0, 40), unit=st.just(ShelfLifeUnit.DAYS)),
    st.builds(MinShelfLife, value=st.integers(0, 100), unit=st.just(ShelfLifeUnit.PERCENT)),
)


@st.composite
def buckets_for(
    draw: st.DrawFn, article: Article, first_id: int, max_size: int = 8
) -> list[StockBucket]:
    count = draw(st.integers(0, max_size))
    result = []
    for offset in range(count):
        dated = article.id in KIND
        bucket_id = first_id + offset
        result.append(
            StockBucket(
                id=bucket_id,
                article_id=article.id,
                location_id=draw(st.integers(1, 3)),
                picking_order=draw(st.integers(0, 3)),
                quantity_available=draw(quantities),
                lot_id=bucket_id,
                lot_number=f"L{bucket_id}",
                expiry_date=DAY + timedelta(days=draw(st.integers(-6, 40))) if dated else None,
                expiry_kind=KIND.get(article.id),
                receipt_date=draw(
                    st.none() | st.integers(0, 5).map(lambda d: DAY - timedelta(days=d))
                ),
                status=draw(statuses),
            )
        )
    return result


@st.composite
def snapshots(draw: st.DrawFn) -> StockSnapshot:
    buckets: list[StockBucket] = []
    for index, article in enumerate(BUCKET_ARTICLES):
        buckets += draw(buckets_for(article, first_id=1000 * (index + 1)))
    serial_count = draw(st.integers(0, 6))
    serials = [
        SerialUnit(
            id=9000 + n,
            article_id=SERIAL_ARTICLE.id,
            serial_number=f"SN{n}",
            location_id=1,
            picking_order=draw(st.integers(0, 2)),
            status=draw(statuses),
        )
        for n in range(serial_count)
    ]
    order = draw(st.permutations(range(len(buckets))))
    return StockSnapshot(buckets=tuple(buckets[i] for i in order), serials=tuple(serials))


@st.composite
def demand_lines(draw: st.DrawFn, line_id: int = 1) -> DemandLine:
    article = draw(st.sampled_from(ARTICLES))
    quantity = draw(st.integers(0, 8).map(D) if article.is_serial else quantities)
    return DemandLine(
        id=line_id,
        article=article,
        quantity=quantity,
        delivery_date=DAY + timedelta(days=draw(st.integers(-2, 3))),
        min_shelf_life=draw(shelf_lives),
        allow_past_ddm=draw(st.booleans()),
    )


@st.composite
def batches(draw: st.DrawFn) -> list[DemandLine]:
    count = draw(st.integers(1, 6))
    return [draw(demand_lines(line_id=n)) for n in range(count)]


def required_days(line: DemandLine | KitDemandLine, article: Article) -> int | None:
    rule = line.min_shelf_life
    if rule is None or article.shelf_life_days is None:
        return None
    if rule.unit is ShelfLifeUnit.DAYS:
        return rule.value
    # ceil(value % × life), written differently from the engine on purpose.
    exact = D(rule.value) * article.shelf_life_days / 100
    return int(exact.to_integral_value(rounding="ROUND_CEILING"))


def is_usable(bucket: StockBucket, line: DemandLine | KitDemandLine, article: Article) -> bool:
    if bucket.status is not LotStatus.AVAILABLE:
        return False
    if bucket.expiry_date is None:
        return True
    remaining = (bucket.expiry_date - line.delivery_date).days
    if remaining < 0 and (bucket.expiry_kind is ExpiryKind.DLC or not line.allow_past_ddm):
        return False
    required = required_days(line, article)
    return required is None or remaining >= required


def usable_total(snapshot: StockSnapshot, line: DemandLine | KitDemandLine, article: Article) -> D:
    if article.is_serial:
        return D(sum(1 for s in snapshot.serials if s.status is LotStatus.AVAILABLE))
    return sum(
        (
            b.quantity_available
            for b in snapshot.buckets
            if b.article_id == article.id and is_usable(b, line, article)
        ),
        ZERO,
    )


def fefo_rank(bucket: StockBucket) -> tuple[bool, date | None, bool, date | None, int, int]:
    """Earliest expiry, earliest receipt (missing dates last), picking order, id."""
    return (
        bucket.expiry_date is None,
        bucket.expiry_date,
        bucket.receipt_date is None,
        bucket.receipt_date,
        bucket.picking_order,
        bucket.id,
    )


def bucket_totals(plans: list[AllocationPlan]) -> dict[int, D]:
    totals: dict[int, D] = defaultdict(lambda: ZERO)
    for plan in plans:
        for pick in plan.picks:
            if pick.bucket_id is not None:
                totals[pick.bucket_id] += pick.quantity
    return dict(totals)


def flat_plans(plans: tuple[AllocationPlan | KitPlan, ...]) -> list[AllocationPlan]:
    flat: list[AllocationPlan] = []
    for plan in plans:
        if isinstance(plan, KitPlan):
            flat += [component.plan for component in plan.components]
        else:
            flat.append(plan)
    return flat


# ------------------------------------------------------------------------ one line


@settings(max_examples=300, deadline=None)
@given(snapshot=snapshots(), line=demand_lines())
def test_one_line_never_over_allocates_and_accounts_for_every_unit(
    snapshot: StockSnapshot, line: DemandLine
) -> None:
    plan = allocate_line(line, snapshot)
    by_id = {b.id: b for b in snapshot.buckets}
    assert ZERO <= plan.quantity_allocated <= line.quantity
    assert plan.quantity_allocated + plan.quantity_short == line.quantity
    assert sum((p.quantity for p in plan.picks), ZERO) == plan.quantity_allocated
    assert sum((d.quantity for d in plan.shortfall), ZERO) == plan.quantity_short
    assert all(d.quantity > 0 for d in plan.shortfall)
    for bucket_id, total in bucket_totals([plan]).items():
        assert total <= by_id[bucket_id].quantity_available
    assert all(p.quantity > 0 for p in plan.picks)
    # As much as the rules allow: the line is short only when the usable stock is gone.
    assert plan.quantity_allocated == min(line.quantity, usable_total(snapshot, line, line.article))
    assert available_quantity(
        article=line.article,
        snapshot=snapshot,
        delivery_date=line.delivery_date,
        min_shelf_life=line.min_shelf_life,
        allow_past_ddm=line.allow_past_ddm,
    ) == usable_total(snapshot, line, line.article)


@settings(max_examples=300, deadline=None)
@given(snapshot=snapshots(), line=demand_lines())
def test_fefo_never_allocates_an_excluded_lot_and_always_prefers_an_earlier_expiry(
    snapshot: StockSnapshot, line: DemandLine
) -> None:
    plan = allocate_line(line, snapshot)
    by_id = {b.id: b for b in snapshot.buckets}
    totals = bucket_totals([plan])
    for pick in plan.picks:
        if pick.bucket_id is None:
            continue
        bucket = by_id[pick.bucket_id]
        assert is_usable(bucket, line, line.article)
        past = bucket.expiry_date is not None and bucket.expiry_date < line.delivery_date
        assert pick.is_past_ddm == past
        assert not past or (line.allow_past_ddm and PlanFlag.DDM_PAST in plan.flags)
        # Every usable bucket ranked before a picked one was emptied first.
        for other in snapshot.buckets:
            if (
                other.article_id == line.article.id
                and fefo_rank(other) < fefo_rank(bucket)
                and is_usable(other, line, line.article)
            ):
                assert totals.get(other.id, ZERO) == other.quantity_available
    assert (PlanFlag.DDM_PAST in plan.flags) == any(p.is_past_ddm for p in plan.picks)


# ---------------------------------------------------------------------- many lines


@settings(max_examples=200, deadline=None)
@given(snapshot=snapshots(), lines=batches())
def test_lines_sharing_a_snapshot_never_over_allocate_a_bucket_or_a_serial(
    snapshot: StockSnapshot, lines: list[DemandLine]
) -> None:
    batch = allocate_lines(lines, snapshot)
    plans = flat_plans(batch.plans)
    by_id = {b.id: b for b in snapshot.buckets}
    totals = bucket_totals(plans)
    assert totals == dict(batch.consumed)
    for bucket_id, total in totals.items():
        assert total <= by_id[bucket_id].quantity_available
    serial_ids = [p.serial_id for plan in plans for p in plan.picks if p.serial_id is not None]
    assert len(serial_ids) == len(set(serial_ids))
    assert set(serial_ids) == batch.serials_allocated
    for plan, line in zip(plans, lines, strict=True):
        assert plan.line_id == line.id
        assert plan.quantity_allocated + plan.quantity_short == line.quantity
        assert plan.quantity_allocated <= line.quantity
    # What is left is a valid snapshot (no bucket below zero).
    left = snapshot.without(batch.consumed, batch.serials_allocated)
    assert all(b.quantity_available >= 0 for b in left.buckets)


@settings(max_examples=200, deadline=None)
@given(snapshot=snapshots(), lines=batches(), data=st.data())
def test_the_result_does_not_depend_on_the_order_the_stock_is_given_in(
    snapshot: StockSnapshot, lines: list[DemandLine], data: st.DataObject
) -> None:
    buckets = data.draw(st.permutations(snapshot.buckets))
    serials = data.draw(st.permutations(snapshot.serials))
    shuffled = StockSnapshot(buckets=tuple(buckets), serials=tuple(serials))
    assert allocate_lines(lines, shuffled) == allocate_lines(lines, snapshot)


@settings(max_examples=150, deadline=None)
@given(snapshot=snapshots(), lines=batches())
def test_a_batch_equals_its_lines_allocated_one_after_the_other(
    snapshot: StockSnapshot, lines: list[DemandLine]
) -> None:
    batch = allocate_lines(lines, snapshot)
    left = snapshot
    for line, plan in zip(lines, batch.plans, strict=True):
        alone = allocate_line(line, left)
        assert alone.picks == plan.picks  # type: ignore[union-attr]
        assert alone.quantity_allocated == plan.quantity_allocated
        single = allocate_lines([line], left)
        left = left.without(single.consumed, single.serials_allocated)


# ---------------------------------------------------------------------------- kits

COMPONENTS = (DLC_ARTICLE, DDM_ARTICLE, LOT_ARTICLE, SERIAL_ARTICLE)


@st.composite
def kits(draw: st.DrawFn) -> Kit:
    chosen = draw(st.lists(st.sampled_from(COMPONENTS), min_size=1, max_size=4, unique=True))
    return Kit(
        article_id=99,
        components=tuple(
            KitComponent(
                article=article,
                quantity_per_kit=draw(
                    st.integers(1, 3).map(D)
                    if article.is_serial
                    else st.decimals(min_value=D("0.5"), max_value=12, places=1)
                ),
            )
            for article in chosen
        ),
    )


@settings(max_examples=200, deadline=None)
@given(
    snapshot=snapshots(),
    kit=kits(),
    kits_wanted=st.integers(0, 12),
    rule=shelf_lives,
    past=st.booleans(),
)
def test_kits_follow_the_component_minimum_and_are_all_or_nothing(
    snapshot: StockSnapshot, kit: Kit, kits_wanted: int, rule: MinShelfLife | None, past: bool
) -> None:
    line = KitDemandLine(
        id="k",
        kit=kit,
        quantity=D(kits_wanted),
        delivery_date=DAY,
        min_shelf_life=rule,
        allow_past_ddm=past,
    )
    expected = min(
        usable_total(snapshot, line, c.article) // c.quantity_per_kit for c in kit.components
    )
    assert (
        kit_availability(
            kit=kit, snapshot=snapshot, delivery_date=DAY, min_shelf_life=rule, allow_past_ddm=past
        )
        == expected
    )
    plan = allocate_kit(line, snapshot)
    assert plan.quantity_allocated == min(D(kits_wanted), expected)
    assert plan.quantity_allocated + plan.quantity_short == D(kits_wanted)
    for component in plan.components:
        assert (
            component.plan.quantity_allocated
            == plan.quantity_allocated * component.quantity_per_kit
        )
        assert component.plan.quantity_requested == D(kits_wanted) * component.quantity_per_kit


# ----------------------------------------------------------------------- fair share

store_demands = st.lists(
    st.builds(
        StoreDemand,
        store_id=st.integers(1, 40),
        line_id=st.integers(1, 1000),
        quantity=st.integers(0, 30).map(D),
        order_rank=st.integers(0, 3),
    ),
    max_size=12,
    unique_by=lambda demand: (demand.order_rank, demand.store_id),
)


@settings(max_examples=400, deadline=None)
@given(
    demands=store_demands,
    available=st.decimals(min_value=0, max_value=500, places=3),
    packaging=st.sampled_from([D(1), D(6), D(12), D("2.5")]),
    data=st.data(),
)
def test_fair_share_properties(
    demands: list[StoreDemand], available: D, packaging: D, data: st.DataObject
) -> None:
    demands = [
        StoreDemand(
            store_id=d.store_id,
            line_id=d.line_id,
            quantity=d.quantity * packaging,
            order_rank=d.order_rank,
        )
        for d in demands
    ]
    shares = fair_share(available=available, demands=demands, packaging=packaging)
    total_demand = sum((d.quantity for d in demands), ZERO)
    packages = (available // packaging) * packaging
    allotted = sum((s.quantity_allotted for s in shares), ZERO)
    assert allotted == min(total_demand, packages)
    for share in shares:
        assert ZERO <= share.quantity_allotted <= share.quantity_demanded
        assert share.quantity_allotted % packaging == 0
        if total_demand > packages:
            # Largest remainder: within one package of the exact proportional quota.
            quota = share.quantity_demanded * packages / total_demand
            assert quota - packaging < share.quantity_allotted < quota + packaging
    for first in shares:
        for second in shares:
            if first.quantity_demanded > second.quantity_demanded:
                assert first.quantity_allotted >= second.quantity_allotted
    reordered = data.draw(st.permutations(demands))
    assert fair_share(available=available, demands=reordered, packaging=packaging) == shares


@settings(max_examples=150, deadline=None)
@given(
    snapshot=snapshots(),
    demands=store_demands,
    article=st.sampled_from(BUCKET_ARTICLES),
    rule=shelf_lives,
    packaging=st.sampled_from([D(1), D(3)]),
)
def test_allotment_picks_each_share_in_full_from_the_shared_lots(
    snapshot: StockSnapshot,
    demands: list[StoreDemand],
    article: Article,
    rule: MinShelfLife | None,
    packaging: D,
) -> None:
    demands = [
        StoreDemand(
            store_id=d.store_id,
            line_id=d.line_id,
            quantity=d.quantity * packaging,
            order_rank=d.order_rank,
        )
        for d in demands
    ]
    plan = allot(
        article=article,
        demands=demands,
        snapshot=snapshot,
        delivery_date=DAY,
        packaging=packaging,
        min_shelf_life=rule,
    )
    probe = DemandLine(id=0, article=article, quantity=ZERO, delivery_date=DAY, min_shelf_life=rule)
    assert plan.quantity_usable == usable_total(snapshot, probe, article)
    by_id = {b.id: b for b in snapshot.buckets}
    plans = [store.plan for store in plan.stores]
    for store in plan.stores:
        assert store.plan.quantity_allocated == store.share.quantity_allotted
        assert store.plan.quantity_requested == store.share.quantity_demanded
        for pick in store.plan.picks:
            assert is_usable(by_id[pick.bucket_id], probe, article)  # type: ignore[index]
    totals = bucket_totals(plans)
    assert totals == dict(plan.consumed)
    for bucket_id, total in totals.items():
        assert total <= by_id[bucket_id].quantity_available
    assert (
        sum((d.quantity for d in plan.shortfall), ZERO)
        == plan.quantity_demanded - plan.quantity_allotted
    )
