"""The pure allocation engine: table-driven cases with exact values. No database."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from logistics.allocation import (
    AllocationPlan,
    Article,
    DemandLine,
    ExpiryKind,
    InvalidAllocationInput,
    Kit,
    KitComponent,
    KitDemandLine,
    KitPlan,
    LotStatus,
    MinShelfLife,
    PlanFlag,
    SerialUnit,
    ShelfLifeUnit,
    ShortfallReason,
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

DAY = date(2026, 3, 16)  # the delivery date of every case
PLAIN = Article(id=1)
LOTTED = Article(id=2, tracking_mode=TrackingMode.LOT)
DLC_ARTICLE = Article(id=3, tracking_mode=TrackingMode.LOT_DLC, shelf_life_days=30)
DDM_ARTICLE = Article(id=4, tracking_mode=TrackingMode.LOT_DDM, shelf_life_days=365)
SERIAL_ARTICLE = Article(id=5, tracking_mode=TrackingMode.SERIAL)

ARTICLES = {
    article.id: article for article in (PLAIN, LOTTED, DLC_ARTICLE, DDM_ARTICLE, SERIAL_ARTICLE)
}
R = ShortfallReason


def bucket(
    id: int,
    quantity: str | int,
    *,
    article: Article = DLC_ARTICLE,
    expires_in: int | None = 20,
    received_ago: int | None = 10,
    picking_order: int = 0,
    status: LotStatus = LotStatus.AVAILABLE,
    location_id: int = 1,
) -> StockBucket:
    """A bucket of lot ``L<id>``; its date is ``expires_in`` days after DAY (the kind
    follows the article) and it was received ``received_ago`` days before DAY."""
    dated = article.tracking_mode in (TrackingMode.LOT_DLC, TrackingMode.LOT_DDM)
    kind = ExpiryKind.DLC if article.tracking_mode is TrackingMode.LOT_DLC else ExpiryKind.DDM
    has_lot = article.tracking_mode is not TrackingMode.NONE
    return StockBucket(
        id=id,
        article_id=article.id,
        location_id=location_id,
        picking_order=picking_order,
        quantity_available=D(quantity),
        lot_id=id if has_lot else None,
        lot_number=f"L{id}" if has_lot else None,
        expiry_date=DAY + timedelta(days=expires_in) if dated and expires_in is not None else None,
        expiry_kind=kind if dated else None,
        receipt_date=DAY - timedelta(days=received_ago) if received_ago is not None else None,
        status=status,
    )


def serial(
    id: int, *, status: LotStatus = LotStatus.AVAILABLE, received_ago: int = 5
) -> SerialUnit:
    return SerialUnit(
        id=id,
        article_id=SERIAL_ARTICLE.id,
        serial_number=f"SN{id:04d}",
        location_id=1,
        receipt_date=DAY - timedelta(days=received_ago),
        status=status,
    )


def line(
    quantity: str | int,
    *,
    article: Article = DLC_ARTICLE,
    id: int | str = 1,
    min_shelf_life: MinShelfLife | None = None,
    allow_past_ddm: bool = False,
) -> DemandLine:
    return DemandLine(
        id=id,
        article=article,
        quantity=D(quantity),
        delivery_date=DAY,
        min_shelf_life=min_shelf_life,
        allow_past_ddm=allow_past_ddm,
    )


def snapshot(*buckets: StockBucket, serials: tuple[SerialUnit, ...] = ()) -> StockSnapshot:
    return StockSnapshot(buckets=buckets, serials=serials)


def picked(plan: AllocationPlan) -> list[tuple[int | None, D]]:
    return [(pick.bucket_id, pick.quantity) for pick in plan.picks]


def reasons(plan: AllocationPlan) -> list[tuple[ShortfallReason, D]]:
    return [(detail.reason, detail.quantity) for detail in plan.shortfall]


# ------------------------------------------------------------------------ FEFO order

ORDER_CASES = [
    pytest.param(
        [bucket(1, 10, expires_in=10), bucket(2, 10, expires_in=5), bucket(3, 10, expires_in=20)],
        15,
        [(2, D(10)), (1, D(5))],
        id="earliest-expiry-first",
    ),
    pytest.param(
        [
            bucket(1, 10, received_ago=2),
            bucket(2, 10, received_ago=9),
            bucket(3, 10, received_ago=5),
        ],
        25,
        [(2, D(10)), (3, D(10)), (1, D(5))],
        id="same-expiry-earliest-receipt-first",
    ),
    pytest.param(
        [
            bucket(1, 4, picking_order=30),
            bucket(2, 4, picking_order=10),
            bucket(3, 4, picking_order=20),
        ],
        6,
        [(2, D(4)), (3, D(2))],
        id="same-dates-picking-order",
    ),
    pytest.param(
        [
            bucket(1, 4, received_ago=2, picking_order=1),
            bucket(2, 4, received_ago=6, picking_order=9),
        ],
        5,
        [(2, D(4)), (1, D(1))],
        id="receipt-beats-picking-order",
    ),
    pytest.param(
        [bucket(1, 4, picking_order=5), bucket(2, 4, picking_order=1, location_id=2)],
        5,
        [(2, D(4)), (1, D(1))],
        id="picking-order-beats-id",
    ),
    pytest.param(
        [bucket(9, 4), bucket(3, 4), bucket(5, 4)],
        9,
        [(3, D(4)), (5, D(4)), (9, D(1))],
        id="all-equal-lowest-id-first",
    ),
    pytest.param(
        [
            bucket(1, 10, expires_in=40, received_ago=30),
            bucket(2, 10, expires_in=35, received_ago=1),
        ],
        5,
        [(2, D(5))],
        id="expiry-beats-receipt",
    ),
    pytest.param(
        [
            bucket(1, 3, article=LOTTED, received_ago=1),
            bucket(2, 3, article=LOTTED, received_ago=3),
            bucket(3, 3, article=LOTTED, received_ago=None),
        ],
        7,
        [(2, D(3)), (1, D(3)), (3, D(1))],
        id="undated-lots-first-received-unknown-receipt-last",
    ),
    pytest.param(
        [
            bucket(1, "2.5", article=PLAIN, received_ago=None, picking_order=2),
            bucket(2, "1.25", article=PLAIN, received_ago=None, picking_order=1),
        ],
        "3",
        [(2, D("1.25")), (1, D("1.75"))],
        id="untracked-fractional-quantities",
    ),
]


@pytest.mark.parametrize(("buckets", "quantity", "expected"), ORDER_CASES)
def test_fefo_picks_in_order(buckets: list[StockBucket], quantity: int, expected: list) -> None:
    article = ARTICLES[buckets[0].article_id]
    plan = allocate_line(line(quantity, article=article), snapshot(*buckets))
    assert picked(plan) == expected
    assert plan.quantity_allocated == D(quantity)
    assert plan.quantity_short == 0
    assert plan.shortfall == ()
    assert plan.is_complete


def test_fefo_result_does_not_depend_on_the_order_buckets_are_given() -> None:
    buckets = [
        bucket(1, 5, expires_in=9, picking_order=2),
        bucket(2, 5, expires_in=9, picking_order=1),
        bucket(3, 5, expires_in=3),
        bucket(4, 5, expires_in=9, picking_order=1, received_ago=20),
    ]
    forward = allocate_line(line(17), snapshot(*buckets))
    backward = allocate_line(line(17), snapshot(*reversed(buckets)))
    assert forward == backward
    assert picked(forward) == [(3, D(5)), (4, D(5)), (2, D(5)), (1, D(2))]


def test_pick_carries_lot_location_and_date() -> None:
    plan = allocate_line(line(3), snapshot(bucket(7, 10, expires_in=12, location_id=44)))
    (pick,) = plan.picks
    assert (pick.bucket_id, pick.lot_id, pick.lot_number, pick.location_id) == (7, 7, "L7", 44)
    assert (pick.expiry_date, pick.expiry_kind) == (date(2026, 3, 28), ExpiryKind.DLC)
    assert (pick.serial_id, pick.is_past_ddm) == (None, False)


# ------------------------------------------------------------------ exclusion rules

# fmt: off
EXCLUSION_CASES = [
    # (article, bucket kwargs, line kwargs, allocated?, reason when skipped, remaining days)
    pytest.param(DLC_ARTICLE, {"status": LotStatus.QUARANTINED}, {}, False, R.QUARANTINED, 20,
                 id="quarantined-skipped"),
    pytest.param(DLC_ARTICLE, {"status": LotStatus.BLOCKED}, {}, False, R.BLOCKED, 20,
                 id="blocked-skipped"),
    pytest.param(DLC_ARTICLE, {"status": LotStatus.RECALLED}, {}, False, R.RECALLED, 20,
                 id="recalled-skipped"),
    pytest.param(LOTTED, {"status": LotStatus.BLOCKED}, {}, False, R.BLOCKED, None,
                 id="blocked-undated-lot-skipped"),
    pytest.param(DLC_ARTICLE, {"expires_in": -1}, {}, False, R.EXPIRED, -1,
                 id="dlc-the-day-before-delivery-expired"),
    pytest.param(DLC_ARTICLE, {"expires_in": 0}, {}, True, None, 0,
                 id="dlc-on-the-delivery-day-deliverable"),
    pytest.param(DLC_ARTICLE, {"expires_in": 1}, {}, True, None, 1,
                 id="dlc-the-day-after-delivery-deliverable"),
    pytest.param(DLC_ARTICLE, {"expires_in": -1}, {"allow_past_ddm": True}, False, R.EXPIRED, -1,
                 id="past-ddm-policy-never-releases-a-dlc"),
    pytest.param(DLC_ARTICLE, {"expires_in": -5, "status": LotStatus.RECALLED}, {}, False,
                 R.RECALLED, -5, id="status-reported-before-expiry"),
    pytest.param(DDM_ARTICLE, {"expires_in": -1}, {}, False, R.DDM_PAST, -1,
                 id="ddm-past-without-policy-skipped"),
    pytest.param(DDM_ARTICLE, {"expires_in": 0}, {}, True, None, 0,
                 id="ddm-on-the-delivery-day-not-past"),
    pytest.param(DDM_ARTICLE, {"expires_in": -30}, {"allow_past_ddm": True}, True, None, -30,
                 id="ddm-past-with-policy-allocated"),
    pytest.param(DDM_ARTICLE, {"expires_in": -1},
                 {"allow_past_ddm": True, "min_shelf_life": MinShelfLife(value=0)},
                 False, R.TOO_SHORT_DATED, -1, id="ddm-past-policy-still-honours-min-life"),
    pytest.param(DLC_ARTICLE, {"expires_in": 5}, {"min_shelf_life": MinShelfLife(value=5)},
                 True, None, 5, id="min-days-at-the-edge-accepted"),
    pytest.param(DLC_ARTICLE, {"expires_in": 4}, {"min_shelf_life": MinShelfLife(value=5)},
                 False, R.TOO_SHORT_DATED, 4, id="min-days-one-below-refused"),
    pytest.param(DLC_ARTICLE, {"expires_in": 0}, {"min_shelf_life": MinShelfLife(value=0)},
                 True, None, 0, id="min-zero-days-accepts-dlc-day"),
    # 60 % of 30 days = 18 days exactly.
    pytest.param(DLC_ARTICLE, {"expires_in": 18},
                 {"min_shelf_life": MinShelfLife(value=60, unit=ShelfLifeUnit.PERCENT)},
                 True, None, 18, id="percent-exact-edge-accepted"),
    pytest.param(DLC_ARTICLE, {"expires_in": 17},
                 {"min_shelf_life": MinShelfLife(value=60, unit=ShelfLifeUnit.PERCENT)},
                 False, R.TOO_SHORT_DATED, 17, id="percent-exact-one-below-refused"),
    # 67 % of 365 days = 244.55 → 245 days (rounded up).
    pytest.param(DDM_ARTICLE, {"expires_in": 245},
                 {"min_shelf_life": MinShelfLife(value=67, unit=ShelfLifeUnit.PERCENT)},
                 True, None, 245, id="percent-rounded-up-edge-accepted"),
    pytest.param(DDM_ARTICLE, {"expires_in": 244},
                 {"min_shelf_life": MinShelfLife(value=67, unit=ShelfLifeUnit.PERCENT)},
                 False, R.TOO_SHORT_DATED, 244, id="percent-fraction-never-rounded-down"),
    pytest.param(DLC_ARTICLE, {"expires_in": 30},
                 {"min_shelf_life": MinShelfLife(value=100, unit=ShelfLifeUnit.PERCENT)},
                 True, None, 30, id="percent-100-needs-full-life"),
    pytest.param(LOTTED, {}, {"min_shelf_life": MinShelfLife(value=90)}, True, None, None,
                 id="min-life-ignored-for-undated-article"),
]
# fmt: on


@pytest.mark.parametrize(
    ("article", "bucket_kwargs", "line_kwargs", "allocated", "reason", "remaining_days"),
    EXCLUSION_CASES,
)
def test_exclusion_rules(
    article: Article,
    bucket_kwargs: dict,
    line_kwargs: dict,
    allocated: bool,
    reason: ShortfallReason | None,
    remaining_days: int | None,
) -> None:
    stock = bucket(1, 10, article=article, **bucket_kwargs)
    plan = allocate_line(line(4, article=article, **line_kwargs), snapshot(stock))
    if allocated:
        assert picked(plan) == [(1, D(4))]
        assert plan.skipped == ()
        assert plan.shortfall == ()
        return
    assert plan.picks == ()
    assert plan.quantity_short == D(4)
    (skipped,) = plan.skipped
    assert (skipped.bucket_id, skipped.reason, skipped.quantity) == (1, reason, D(10))
    assert skipped.remaining_days == remaining_days
    assert reasons(plan) == [(reason, D(4))]
    assert plan.shortfall[0].skipped == (skipped,)


def test_past_ddm_allowed_is_flagged_and_picked_first() -> None:
    stock = snapshot(
        bucket(1, 5, article=DDM_ARTICLE, expires_in=-3),
        bucket(2, 5, article=DDM_ARTICLE, expires_in=100),
    )
    plan = allocate_line(line(8, article=DDM_ARTICLE, allow_past_ddm=True), stock)
    assert picked(plan) == [(1, D(5)), (2, D(3))]
    assert [pick.is_past_ddm for pick in plan.picks] == [True, False]
    assert plan.flags == frozenset({PlanFlag.DDM_PAST})


def test_ddm_on_its_day_is_not_flagged() -> None:
    plan = allocate_line(
        line(1, article=DDM_ARTICLE, allow_past_ddm=True),
        snapshot(bucket(1, 5, article=DDM_ARTICLE, expires_in=0)),
    )
    assert plan.flags == frozenset()
    assert plan.picks[0].is_past_ddm is False


def test_too_short_dated_skip_reports_remaining_and_required_days() -> None:
    rule = MinShelfLife(value=60, unit=ShelfLifeUnit.PERCENT)  # 18 of 30 days
    plan = allocate_line(
        line(12, min_shelf_life=rule),
        snapshot(
            bucket(1, 5, expires_in=10), bucket(2, 5, expires_in=17), bucket(3, 20, expires_in=25)
        ),
    )
    assert picked(plan) == [(3, D(12))]
    assert [(s.bucket_id, s.remaining_days, s.required_days) for s in plan.skipped] == [
        (1, 10, 18),
        (2, 17, 18),
    ]
    assert plan.is_complete and plan.shortfall == ()


def test_shelf_life_required_days() -> None:
    assert MinShelfLife(value=10).required_days(365) == 10
    assert MinShelfLife(value=60, unit=ShelfLifeUnit.PERCENT).required_days(30) == 18
    assert MinShelfLife(value=33, unit=ShelfLifeUnit.PERCENT).required_days(10) == 4
    assert MinShelfLife(value=67, unit=ShelfLifeUnit.PERCENT).required_days(45) == 31
    assert MinShelfLife(value=0, unit=ShelfLifeUnit.PERCENT).required_days(45) == 0
    assert MinShelfLife(value=100, unit=ShelfLifeUnit.PERCENT).required_days(45) == 45


# --------------------------------------------------------------- partial and reasons


def test_no_stock_at_all() -> None:
    plan = allocate_line(line(7), snapshot())
    assert (plan.quantity_allocated, plan.quantity_short) == (D(0), D(7))
    assert reasons(plan) == [(R.NO_STOCK, D(7))]
    assert plan.picks == () and plan.skipped == ()


def test_partial_allocation_explains_every_unit() -> None:
    stock = snapshot(
        bucket(1, 3, expires_in=-2),  # expired
        bucket(2, 4, expires_in=2),  # too short for 5 days
        bucket(3, 2, expires_in=8, status=LotStatus.QUARANTINED),
        bucket(4, 5, expires_in=9, status=LotStatus.BLOCKED),
        bucket(5, 1, expires_in=10, status=LotStatus.RECALLED),
        bucket(6, 6, expires_in=12),  # usable
        bucket(7, 0, expires_in=13),  # empty: neither picked nor listed
    )
    plan = allocate_line(line(30, min_shelf_life=MinShelfLife(value=5)), stock)
    assert picked(plan) == [(6, D(6))]
    assert (plan.quantity_allocated, plan.quantity_short) == (D(6), D(24))
    assert [(s.bucket_id, s.reason) for s in plan.skipped] == [
        (1, R.EXPIRED),
        (2, R.TOO_SHORT_DATED),
        (3, R.QUARANTINED),
        (4, R.BLOCKED),
        (5, R.RECALLED),
    ]
    assert reasons(plan) == [
        (R.TOO_SHORT_DATED, D(4)),
        (R.EXPIRED, D(3)),
        (R.QUARANTINED, D(2)),
        (R.BLOCKED, D(5)),
        (R.RECALLED, D(1)),
        (R.NO_STOCK, D(9)),
    ]


def test_reasons_explain_at_most_the_shortfall() -> None:
    stock = snapshot(
        bucket(1, 50, status=LotStatus.BLOCKED), bucket(2, 40, expires_in=-1), bucket(3, 6)
    )
    plan = allocate_line(line(10), stock)
    assert picked(plan) == [(3, D(6))]
    assert reasons(plan) == [(R.EXPIRED, D(4))]
    assert {s.bucket_id for s in plan.skipped} == {1, 2}


def test_a_served_line_lists_only_the_lots_it_passed_over() -> None:
    stock = snapshot(
        bucket(1, 5, expires_in=-1),
        bucket(2, 5, expires_in=3),
        bucket(3, 5, status=LotStatus.BLOCKED),
    )
    plan = allocate_line(line(5), stock)
    assert picked(plan) == [(2, D(5))]
    assert [s.bucket_id for s in plan.skipped] == [1]


def test_zero_quantity_gives_an_empty_plan() -> None:
    plan = allocate_line(line(0), snapshot(bucket(1, 5)))
    assert (plan.quantity_allocated, plan.quantity_short, plan.picks) == (D(0), D(0), ())


def test_available_quantity_follows_the_line_rules() -> None:
    stock = snapshot(
        bucket(1, 5, expires_in=-1),
        bucket(2, 7, expires_in=4),
        bucket(3, 11, expires_in=20),
        bucket(4, 13, status=LotStatus.QUARANTINED),
    )
    assert available_quantity(article=DLC_ARTICLE, snapshot=stock, delivery_date=DAY) == D(18)
    assert available_quantity(
        article=DLC_ARTICLE, snapshot=stock, delivery_date=DAY, min_shelf_life=MinShelfLife(value=5)
    ) == D(11)
    assert available_quantity(
        article=DLC_ARTICLE, snapshot=stock, delivery_date=DAY - timedelta(days=1)
    ) == D(23)


# ------------------------------------------------------------------------- serials


def test_serials_allocate_whole_distinct_units_first_received_first() -> None:
    stock = snapshot(
        serials=(
            serial(10, received_ago=1),
            serial(11, received_ago=9),
            serial(12, received_ago=9, status=LotStatus.BLOCKED),
            serial(13, received_ago=4),
        )
    )
    plan = allocate_line(line(2, article=SERIAL_ARTICLE), stock)
    assert [(p.serial_id, p.serial_number, p.quantity, p.bucket_id) for p in plan.picks] == [
        (11, "SN0011", D(1), None),
        (13, "SN0013", D(1), None),
    ]
    assert [(s.serial_id, s.reason) for s in plan.skipped] == [(12, R.BLOCKED)]


def test_serials_short_with_reasons() -> None:
    stock = snapshot(serials=(serial(1), serial(2, status=LotStatus.QUARANTINED)))
    plan = allocate_line(line(3, article=SERIAL_ARTICLE), stock)
    assert [p.serial_id for p in plan.picks] == [1]
    assert reasons(plan) == [(R.QUARANTINED, D(1)), (R.NO_STOCK, D(1))]


def test_a_serial_is_never_allocated_twice_across_lines() -> None:
    stock = snapshot(serials=tuple(serial(i) for i in range(1, 4)))
    batch = allocate_lines(
        [line(2, article=SERIAL_ARTICLE, id="a"), line(2, article=SERIAL_ARTICLE, id="b")], stock
    )
    first, second = batch.plans
    assert isinstance(first, AllocationPlan) and isinstance(second, AllocationPlan)
    assert [p.serial_id for p in first.picks] == [1, 2]
    assert [p.serial_id for p in second.picks] == [3]
    assert reasons(second) == [(R.TAKEN_BY_EARLIER_LINES, D(1))]
    assert batch.serials_allocated == frozenset({1, 2, 3})
    assert batch.consumed == {}


def test_serial_in_two_places_is_refused() -> None:
    twin = replace(serial(2), serial_number="SN0001", location_id=9)
    with pytest.raises(InvalidAllocationInput, match="SN0001 of article 5 is in two places"):
        snapshot(serials=(serial(1), twin))


def test_serial_article_needs_whole_quantities() -> None:
    with pytest.raises(InvalidAllocationInput, match="whole units"):
        line("1.5", article=SERIAL_ARTICLE)


# -------------------------------------------------------------------- multi-line


def test_lines_share_buckets_in_priority_order() -> None:
    stock = snapshot(
        bucket(1, 10, expires_in=5), bucket(2, 10, expires_in=9), bucket(3, 10, expires_in=30)
    )
    batch = allocate_lines([line(8, id=1), line(8, id=2), line(20, id=3)], stock)
    plans = batch.plans
    assert all(isinstance(plan, AllocationPlan) for plan in plans)
    first, second, third = (plan for plan in plans if isinstance(plan, AllocationPlan))
    assert picked(first) == [(1, D(8))]
    assert picked(second) == [(1, D(2)), (2, D(6))]
    assert picked(third) == [(2, D(4)), (3, D(10))]
    assert reasons(third) == [(R.TAKEN_BY_EARLIER_LINES, D(6))]
    assert batch.consumed == {1: D(10), 2: D(10), 3: D(10)}
    assert stock.buckets_for(DLC_ARTICLE.id)[0].quantity_available == D(10)  # untouched


def test_a_strict_customer_leaves_short_dated_lots_to_a_lenient_one() -> None:
    stock = snapshot(bucket(1, 10, expires_in=3), bucket(2, 10, expires_in=25))
    strict = line(6, id="strict", min_shelf_life=MinShelfLife(value=60, unit=ShelfLifeUnit.PERCENT))
    lenient = line(12, id="lenient")
    batch = allocate_lines([strict, lenient], stock)
    first, second = batch.plans
    assert isinstance(first, AllocationPlan) and isinstance(second, AllocationPlan)
    assert picked(first) == [(2, D(6))]
    assert picked(second) == [(1, D(10)), (2, D(2))]
    assert batch.consumed == {1: D(10), 2: D(8)}


def test_lines_of_different_articles_do_not_interfere() -> None:
    stock = snapshot(bucket(1, 5), bucket(2, 5, article=LOTTED))
    batch = allocate_lines([line(5, id=1), line(5, id=2, article=LOTTED)], stock)
    assert batch.consumed == {1: D(5), 2: D(5)}
    assert all(plan.is_complete for plan in batch.plans)


def test_without_gives_the_stock_left_for_the_next_batch() -> None:
    stock = snapshot(
        bucket(1, 10, expires_in=5), bucket(2, 10, expires_in=9), serials=(serial(1), serial(2))
    )
    batch = allocate_lines([line(12, id=1), line(1, id=2, article=SERIAL_ARTICLE)], stock)
    left = stock.without(batch.consumed, batch.serials_allocated)
    assert [(b.id, b.quantity_available) for b in left.buckets] == [(1, D(0)), (2, D(8))]
    assert [s.id for s in left.serials] == [2]
    plan = allocate_line(line(9), left)
    assert picked(plan) == [(2, D(8))]
    assert reasons(plan) == [(R.NO_STOCK, D(1))]


def test_without_refuses_to_consume_more_than_a_bucket_holds() -> None:
    stock = snapshot(bucket(1, 10))
    with pytest.raises(InvalidAllocationInput, match="must not be negative"):
        stock.without({1: D(11)})
    with pytest.raises(InvalidAllocationInput, match="unknown bucket ids"):
        stock.without({2: D(1)})


def test_duplicate_line_ids_refused() -> None:
    with pytest.raises(InvalidAllocationInput, match="line ids appear more than once: 7"):
        allocate_lines([line(1, id=7), line(2, id=7)], snapshot())


# -------------------------------------------------------------------------- kits

SCREW = Article(id=20)
PANEL = Article(id=21, tracking_mode=TrackingMode.LOT_DLC, shelf_life_days=100)
LAMP = Article(id=22, tracking_mode=TrackingMode.SERIAL)
SHELF_KIT = Kit(
    article_id=30,
    components=(
        KitComponent(article=PANEL, quantity_per_kit=D(2)),
        KitComponent(article=SCREW, quantity_per_kit=D("8")),
    ),
)


def kit_line(
    quantity: int, *, kit: Kit = SHELF_KIT, id: int | str = 1, **kwargs: object
) -> KitDemandLine:
    return KitDemandLine(id=id, kit=kit, quantity=D(quantity), delivery_date=DAY, **kwargs)  # type: ignore[arg-type]


def kit_stock(screws: str, panels: tuple[tuple[str, int], ...]) -> StockSnapshot:
    buckets = [bucket(100, screws, article=SCREW, received_ago=None)]
    buckets += [
        bucket(200 + index, quantity, article=PANEL, expires_in=expires_in)
        for index, (quantity, expires_in) in enumerate(panels)
    ]
    return snapshot(*buckets)


KIT_AVAILABILITY_CASES = [
    pytest.param("80", (("20", 30),), D(10), id="both-give-ten"),
    pytest.param("79", (("20", 30),), D(9), id="screws-floor-limits"),
    pytest.param("800", (("7", 30),), D(3), id="panels-floor-limits"),
    pytest.param("800", (("3", 30), ("4", 40)), D(3), id="component-summed-over-lots"),
    pytest.param("800", (("30", -1),), D(0), id="expired-component-gives-none"),
    pytest.param("0", (("30", 30),), D(0), id="a-missing-component-gives-none"),
]


@pytest.mark.parametrize(("screws", "panels", "expected"), KIT_AVAILABILITY_CASES)
def test_kit_availability_is_the_component_minimum(
    screws: str, panels: tuple[tuple[str, int], ...], expected: D
) -> None:
    assert (
        kit_availability(kit=SHELF_KIT, snapshot=kit_stock(screws, panels), delivery_date=DAY)
        == expected
    )


def test_kit_availability_honours_the_shelf_life_rule_per_component() -> None:
    stock = kit_stock("800", (("6", 30), ("10", 80)))
    # 50 % of the panel's 100 days = 50 days: only the lot with 80 days left counts.
    rule = MinShelfLife(value=50, unit=ShelfLifeUnit.PERCENT)
    assert kit_availability(
        kit=SHELF_KIT, snapshot=stock, delivery_date=DAY, min_shelf_life=rule
    ) == D(5)
    assert kit_availability(kit=SHELF_KIT, snapshot=stock, delivery_date=DAY) == D(8)


def test_kit_allocation_is_all_or_nothing_per_kit() -> None:
    stock = kit_stock("30", (("20", 30),))  # screws give 3 kits (6 left), panels 10
    plan = allocate_kit(kit_line(5), stock)
    assert (plan.quantity_requested, plan.quantity_allocated, plan.quantity_short) == (
        D(5),
        D(3),
        D(2),
    )
    screw, panel = plan.components  # kept in article id order
    assert (screw.article_id, screw.kits_available, panel.article_id, panel.kits_available) == (
        20,
        D(3),
        21,
        D(10),
    )
    assert picked(panel.plan) == [(200, D(6))]
    assert picked(screw.plan) == [(100, D(24))]
    assert (panel.plan.quantity_requested, panel.plan.quantity_short) == (D(10), D(4))
    assert reasons(panel.plan) == [(R.KIT_INCOMPLETE, D(4))]
    # 6 screws are usable but make no whole kit: held back, the rest is missing.
    assert reasons(screw.plan) == [(R.KIT_INCOMPLETE, D(6)), (R.NO_STOCK, D(10))]


def test_kit_served_in_full() -> None:
    plan = allocate_kit(kit_line(2), kit_stock("100", (("1", 10), ("9", 30))))
    assert plan.is_complete
    screw, panel = plan.components
    assert picked(panel.plan) == [(200, D(1)), (201, D(3))]
    assert picked(screw.plan) == [(100, D(16))]


def test_kit_with_no_stock_allocates_no_component() -> None:
    plan = allocate_kit(kit_line(4), kit_stock("100", (("8", -2),)))
    assert plan.quantity_allocated == D(0)
    screw, panel = plan.components
    assert panel.plan.picks == () and screw.plan.picks == ()
    assert reasons(panel.plan) == [(R.EXPIRED, D(8))]
    assert reasons(screw.plan) == [(R.KIT_INCOMPLETE, D(32))]


def test_kit_with_a_serial_component() -> None:
    kit = Kit(
        article_id=31,
        components=(
            KitComponent(article=LAMP, quantity_per_kit=D(1)),
            KitComponent(article=SCREW, quantity_per_kit=D(4)),
        ),
    )
    lamps = tuple(
        SerialUnit(id=i, article_id=LAMP.id, serial_number=f"LAMP{i}", location_id=2)
        for i in (1, 2, 3)
    )
    stock = snapshot(bucket(100, 100, article=SCREW, received_ago=None), serials=lamps)
    plan = allocate_kit(kit_line(5, kit=kit), stock)
    assert plan.quantity_allocated == D(3)
    screw, lamp = plan.components  # components are kept in article id order
    assert [p.serial_id for p in lamp.plan.picks] == [1, 2, 3]
    assert picked(screw.plan) == [(100, D(12))]


def test_kits_and_lines_share_components_in_one_batch() -> None:
    stock = kit_stock("20", (("10", 30),))
    batch = allocate_lines([line(12, id="loose", article=SCREW), kit_line(2, id="kit")], stock)
    loose, kit = batch.plans
    assert isinstance(loose, AllocationPlan) and isinstance(kit, KitPlan)
    assert loose.quantity_allocated == D(12)
    assert kit.quantity_allocated == D(1)  # 8 screws left: one kit
    screw, panel = kit.components
    assert reasons(screw.plan) == [(R.TAKEN_BY_EARLIER_LINES, D(8))]
    assert reasons(panel.plan) == [(R.KIT_INCOMPLETE, D(2))]
    assert batch.consumed == {100: D(20), 200: D(2)}


def test_kit_definition_is_validated() -> None:
    with pytest.raises(InvalidAllocationInput, match="listed twice"):
        Kit(article_id=30, components=(KitComponent(article=SCREW, quantity_per_kit=D(1)),) * 2)
    with pytest.raises(InvalidAllocationInput, match="at least one component"):
        Kit(article_id=30, components=())
    with pytest.raises(InvalidAllocationInput, match="must be positive"):
        KitComponent(article=SCREW, quantity_per_kit=D(0))
    with pytest.raises(InvalidAllocationInput, match="whole for a serial-tracked component"):
        KitComponent(article=LAMP, quantity_per_kit=D("0.5"))
    with pytest.raises(InvalidAllocationInput, match="whole kits"):
        KitDemandLine(id=1, kit=SHELF_KIT, quantity=D("1.5"), delivery_date=DAY)


# --------------------------------------------------------------------- allotment


def demand(store_id: int, quantity: int | str, *, order_rank: int = 0) -> StoreDemand:
    return StoreDemand(
        store_id=store_id, line_id=f"S{store_id}", quantity=D(quantity), order_rank=order_rank
    )


def shares(
    available: str | int, demands: list[StoreDemand], packaging: str | int = 1
) -> dict[int, D]:
    return {
        share.store_id: share.quantity_allotted
        for share in fair_share(available=D(available), demands=demands, packaging=D(packaging))
    }


FAIR_SHARE_CASES = [
    pytest.param(100, [(1, 30), (2, 50)], 1, {1: D(30), 2: D(50)}, id="enough-for-everyone"),
    pytest.param(
        60, [(1, 60), (2, 30), (3, 30)], 1, {1: D(30), 2: D(15), 3: D(15)}, id="proportional-exact"
    ),
    # 10 packages for 3 + 3 + 3 = 9 + 1 left, equal remainders: the earliest order (rank).
    pytest.param(
        10,
        [(1, 3, 2), (2, 4, 1), (3, 4, 0)],
        1,
        {1: D(3), 2: D(3), 3: D(4)},
        id="largest-remainder",
    ),
    # 7 for demands 5, 3, 2 (10): quotas 3.5, 2.1, 1.4 → 3, 2, 1 + the 0.5 → store 1.
    pytest.param(
        7,
        [(1, 5), (2, 3), (3, 2)],
        1,
        {1: D(4), 2: D(2), 3: D(1)},
        id="remainder-goes-to-largest-fraction",
    ),
    # 2 for three equal demands: ties go to earlier order_rank, then lower store id.
    pytest.param(
        2,
        [(7, 5, 0), (3, 5, 1), (5, 5, 0)],
        1,
        {5: D(1), 7: D(1), 3: D(0)},
        id="ties-earlier-order-then-store-id",
    ),
    # Cases of 6: 100 units → 16 cases; demands 10, 5, 5 cases → 8, 4, 4.
    pytest.param(
        100, [(1, 60), (2, 30), (3, 30)], 6, {1: D(48), 2: D(24), 3: D(24)}, id="whole-cases"
    ),
    pytest.param(11, [(1, 12), (2, 12)], 12, {1: D(0), 2: D(0)}, id="less-than-one-case"),
    pytest.param(0, [(1, 5)], 1, {1: D(0)}, id="nothing-available"),
    pytest.param(9, [(1, 0), (2, 20)], 1, {1: D(0), 2: D(9)}, id="zero-demand-gets-nothing"),
    pytest.param(
        "7.5", [(1, "5"), (2, "5")], "2.5", {1: D("5.0"), 2: D("2.5")}, id="fractional-packaging"
    ),
]


@pytest.mark.parametrize(("available", "demands", "packaging", "expected"), FAIR_SHARE_CASES)
def test_fair_share(
    available: int | str, demands: list[tuple], packaging: int | str, expected: dict
) -> None:
    store_demands = [
        demand(store, quantity, order_rank=rest[0] if rest else 0)
        for store, quantity, *rest in demands
    ]
    assert shares(available, store_demands, packaging) == expected


def test_fair_share_returns_stores_in_tie_break_order() -> None:
    result = fair_share(
        available=D(3),
        demands=[demand(9, 2, order_rank=1), demand(4, 2, order_rank=1), demand(6, 2)],
    )
    assert [(s.store_id, s.order_rank, s.quantity_allotted) for s in result] == [
        (6, 0, D(1)),
        (4, 1, D(1)),
        (9, 1, D(1)),
    ]
    assert result[0].line_id == "S6" and result[0].quantity_demanded == D(2)


def test_fair_share_refuses_bad_input() -> None:
    with pytest.raises(InvalidAllocationInput, match="not a whole number of packages of 6"):
        fair_share(available=D(50), demands=[demand(1, 10)], packaging=D(6))
    with pytest.raises(InvalidAllocationInput, match="packaging must be positive"):
        fair_share(available=D(50), demands=[demand(1, 10)], packaging=D(0))
    with pytest.raises(InvalidAllocationInput, match="same order_rank and store_id"):
        fair_share(available=D(50), demands=[demand(1, 10), demand(1, 4)])
    with pytest.raises(InvalidAllocationInput, match="available must not be negative"):
        fair_share(available=D(-1), demands=[demand(1, 10)])


def test_allot_turns_shares_into_fefo_picks_over_shared_lots() -> None:
    stock = snapshot(
        bucket(1, 12, expires_in=4),
        bucket(2, 24, expires_in=12),
        bucket(3, 30, expires_in=1),  # too short for the platform's 3 days
        bucket(4, 12, expires_in=8, status=LotStatus.BLOCKED),
    )
    plan = allot(
        article=DLC_ARTICLE,
        demands=[
            demand(11, 24, order_rank=2),
            demand(12, 36, order_rank=1),
            demand(13, 12, order_rank=3),
        ],
        snapshot=stock,
        delivery_date=DAY,
        packaging=D(6),
        min_shelf_life=MinShelfLife(value=3),
    )
    # 36 usable = 6 cases for 4 + 6 + 2 = 12 cases: quotas 2, 3, 1 exactly.
    assert (plan.quantity_usable, plan.quantity_demanded, plan.quantity_allotted) == (
        D(36),
        D(72),
        D(36),
    )
    assert [(s.share.store_id, s.share.quantity_allotted) for s in plan.stores] == [
        (12, D(18)),
        (11, D(12)),
        (13, D(6)),
    ]
    first, second, third = (store.plan for store in plan.stores)
    assert picked(first) == [(1, D(12)), (2, D(6))]  # the earliest order gets the earliest lot
    assert picked(second) == [(2, D(12))]
    assert picked(third) == [(2, D(6))]
    assert reasons(first) == [(R.RATIONED, D(18))]
    assert first.line_id == "S12"
    assert plan.consumed == {1: D(12), 2: D(24)}
    assert [(d.reason, d.quantity) for d in plan.shortfall] == [
        (R.TOO_SHORT_DATED, D(30)),
        (R.BLOCKED, D(6)),
    ]


def test_allot_reports_partial_packages_and_missing_stock() -> None:
    stock = snapshot(bucket(1, 14, article=LOTTED))
    plan = allot(
        article=LOTTED,
        demands=[demand(1, 12), demand(2, 24)],
        snapshot=stock,
        delivery_date=DAY,
        packaging=D(6),
    )
    # 14 usable = 2 cases (2 units left over) for 6 demanded: 2 × 1/3 and 2 × 2/3 → 1 and 1.
    assert [(s.share.store_id, s.share.quantity_allotted) for s in plan.stores] == [
        (1, D(6)),
        (2, D(6)),
    ]
    assert [(d.reason, d.quantity) for d in plan.shortfall] == [
        (R.PARTIAL_PACKAGE, D(2)),
        (R.NO_STOCK, D(22)),
    ]
    store_one, store_two = (store.plan for store in plan.stores)
    assert reasons(store_one) == [(R.RATIONED, D(6))]
    assert reasons(store_two) == [
        (R.RATIONED, D(6)),
        (R.PARTIAL_PACKAGE, D(2)),
        (R.NO_STOCK, D(10)),
    ]


def test_allot_with_enough_stock_serves_everyone() -> None:
    plan = allot(
        article=DLC_ARTICLE,
        demands=[demand(1, 5), demand(2, 3)],
        snapshot=snapshot(bucket(1, 100)),
        delivery_date=DAY,
    )
    assert all(store.plan.is_complete for store in plan.stores)
    assert plan.shortfall == ()
    assert plan.consumed == {1: D(8)}


# -------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(
            lambda: line(-1), "line 1: quantity must not be negative: -1", id="negative-demand"
        ),
        pytest.param(
            lambda: bucket(1, -3),
            "bucket 1: quantity_available must not be negative",
            id="negative-bucket",
        ),
        pytest.param(lambda: line("1.0001"), "more than three decimals", id="over-precise"),
        pytest.param(
            lambda: DemandLine(id=1, article=PLAIN, quantity=1.5, delivery_date=DAY),  # type: ignore[arg-type]
            "must be a Decimal, not float",
            id="float-refused",
        ),
        pytest.param(lambda: line("NaN"), "must be finite", id="nan-refused"),
        pytest.param(
            lambda: demand(1, -2),
            "store 1: quantity must not be negative",
            id="negative-store-demand",
        ),
        pytest.param(
            lambda: Article(id=9, tracking_mode=TrackingMode.LOT_DLC),
            "needs shelf_life_days",
            id="dated-article-without-life",
        ),
        pytest.param(
            lambda: MinShelfLife(value=101, unit=ShelfLifeUnit.PERCENT),
            "exceed 100",
            id="percent-over-100",
        ),
        pytest.param(
            lambda: MinShelfLife(value=-1), "must not be negative", id="negative-min-life"
        ),
        pytest.param(
            lambda: StockBucket(
                id=1,
                article_id=3,
                location_id=1,
                quantity_available=D(1),
                lot_id=1,
                expiry_date=DAY,
            ),
            "both expiry_date and expiry_kind",
            id="date-without-kind",
        ),
        pytest.param(
            lambda: StockBucket(
                id=1,
                article_id=3,
                location_id=1,
                quantity_available=D(1),
                expiry_date=DAY,
                expiry_kind=ExpiryKind.DLC,
            ),
            "must belong to a lot",
            id="dated-bucket-without-lot",
        ),
        pytest.param(
            lambda: snapshot(bucket(1, 1), bucket(1, 2)),
            "bucket id appears twice",
            id="duplicate-bucket",
        ),
    ],
)
def test_invalid_input_is_refused_with_a_clear_error(build: object, message: str) -> None:
    with pytest.raises(InvalidAllocationInput, match=re.escape(message)) as error:
        build()  # type: ignore[operator]
    assert error.value.code == "invalid_allocation_input"
    assert error.value.details["errors"]


@pytest.mark.parametrize(
    ("article", "stock", "message"),
    [
        pytest.param(
            DLC_ARTICLE,
            snapshot(replace(bucket(1, 5, article=LOTTED), article_id=3)),
            "needs a DLC date on its lots",
            id="dated-article-undated-lot",
        ),
        pytest.param(
            DLC_ARTICLE,
            snapshot(replace(bucket(1, 5), expiry_kind=ExpiryKind.DDM)),
            "needs a DLC date",
            id="dlc-article-ddm-lot",
        ),
        pytest.param(
            LOTTED,
            snapshot(replace(bucket(1, 5), article_id=LOTTED.id)),
            "needs no expiry date",
            id="undated-article-dated-lot",
        ),
        pytest.param(
            SERIAL_ARTICLE,
            snapshot(replace(bucket(1, 5, article=PLAIN), article_id=5)),
            "pass serial units, not buckets",
            id="serial-article-with-buckets",
        ),
        pytest.param(
            PLAIN,
            snapshot(serials=(replace(serial(1), article_id=PLAIN.id),)),
            "not serial-tracked but has serial units",
            id="plain-article-with-serials",
        ),
    ],
)
def test_stock_that_does_not_fit_the_article_is_refused(
    article: Article, stock: StockSnapshot, message: str
) -> None:
    with pytest.raises(InvalidAllocationInput, match=re.escape(message)):
        allocate_line(line(1, article=article), stock)


def test_a_refused_batch_returns_nothing_and_leaves_the_snapshot_as_it_was() -> None:
    stock = snapshot(bucket(1, 10), replace(bucket(2, 5), article_id=LOTTED.id))
    before = stock.buckets
    with pytest.raises(InvalidAllocationInput):
        allocate_lines([line(4, id=1), line(2, id=2, article=LOTTED)], stock)
    assert stock.buckets == before
    assert allocate_line(line(4), stock).picks[0].quantity == D(4)


def test_the_engine_imports_no_django() -> None:
    package = Path(__file__).resolve().parents[2] / "logistics" / "allocation"
    sources = {path.name: path.read_text() for path in package.glob("*.py")}
    assert set(sources) >= {"types.py", "fefo.py", "allotment.py", "kits.py", "__init__.py"}
    offenders = [
        name for name, text in sources.items() if re.search(r"^\s*(from|import) django", text, re.M)
    ]
    assert offenders == []
