"""The pure pricing engine: table-driven cases with exact values. No database."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from pricing.engine import (
    DEFAULT_LEVELS,
    Condition,
    DiscountCondition,
    FreeGoodsCondition,
    GrossPrice,
    InvalidPricingInput,
    LevelConfig,
    LevelScheme,
    NetPriceCondition,
    NetPriceMode,
    PricedLine,
    PriceNotFound,
    PriceRequest,
    QuantityBreak,
    ScopeKind,
    Stacking,
    StepStatus,
    Tier,
    TierBasis,
    TierCondition,
    ValueKind,
    find_conflicts,
    index_conditions,
    price_line,
    price_lines,
)

DAY = date(2026, 3, 15)
CHAIN, GROUP, PLATFORM, STORE = 1, 2, 3, 4
PATH = (STORE, PLATFORM, GROUP, CHAIN)
OTHER_STORE = 5
ARTICLE, BRAND = 100, 50
ROOT_FAMILY, MIDDLE_FAMILY, LEAF_FAMILY = 10, 11, 12
TARIF = GrossPrice(price_list_id=1, price_list_code="TARIF-2026", unit_price=D("48.0000"))
CASE_TARIF = GrossPrice(price_list_id=1, price_list_code="T", unit_price=D(48), base_units=D(12))

ALL = (ScopeKind.ALL, None)
ON_ARTICLE = (ScopeKind.ARTICLE, ARTICLE)
ON_BRAND = (ScopeKind.BRAND, BRAND)
ON_LEAF = (ScopeKind.FAMILY, LEAF_FAMILY)
ON_MIDDLE = (ScopeKind.FAMILY, MIDDLE_FAMILY)
ON_ROOT = (ScopeKind.FAMILY, ROOT_FAMILY)

_ids = itertools.count(1000)


def make_request(**overrides: object) -> PriceRequest:
    fields: dict[str, object] = {
        "line_id": "L1",
        "article_id": ARTICLE,
        "brand_id": BRAND,
        "family_lineage": (ROOT_FAMILY, MIDDLE_FAMILY, LEAF_FAMILY),
        "customer_path": PATH,
        "on_date": DAY,
        "quantity": D(40),
        "unit": "case",
        "gross_prices": (TARIF,),
    }
    fields.update(overrides)
    return PriceRequest(**fields)  # type: ignore[arg-type]


def _common(id: int | None, node: int, scope: tuple[ScopeKind, int | None], kw: dict) -> dict:
    condition_id = next(_ids) if id is None else id
    return {
        "id": condition_id,
        "contract_id": node * 100,
        "contract_code": f"C-{node}",
        "node_id": node,
        "scope_kind": scope[0],
        "scope_id": scope[1],
        **kw,
    }


def discount(level, rate=None, *, amount=None, id=None, node=STORE, scope=ALL, **kw):
    return DiscountCondition(
        level=level,
        rate=None if rate is None else D(rate),
        amount=None if amount is None else D(amount),
        **_common(id, node, scope, kw),
    )


def net_price(price, mode=NetPriceMode.REPLACE, *, id=None, node=STORE, scope=ON_ARTICLE, **kw):
    return NetPriceCondition(price=D(price), mode=mode, **_common(id, node, scope, kw))


def free_goods(buy, get, *, id=None, node=STORE, scope=ON_ARTICLE, **kw):
    return FreeGoodsCondition(
        buy_quantity=D(buy), free_quantity=D(get), **_common(id, node, scope, kw)
    )


def tiers(level, basis, table, *, id=None, node=STORE, scope=ALL, **kw):
    return TierCondition(
        level=level,
        basis=basis,
        tiers=tuple(Tier(threshold=D(t), rate=D(r)) for t, r in table),
        **_common(id, node, scope, kw),
    )


def price(
    conditions: list[Condition], levels: LevelScheme = DEFAULT_LEVELS, **overrides: object
) -> PricedLine:
    return price_line(make_request(**overrides), index_conditions(conditions, levels=levels))


def worked_example_conditions() -> list[Condition]:
    return [
        discount(1, "10", id=1),
        discount(2, "5", id=2),
        discount(4, "3", id=4),
        discount(5, "2", id=5),
    ]


def scheme(**changes: dict) -> LevelScheme:
    """The default levels with some levels changed, e.g. scheme(**{"2": {...}})."""
    return LevelScheme(
        levels=tuple(
            replace(level, **changes.get(str(level.number), {})) for level in DEFAULT_LEVELS.levels
        )
    )


def prices_after(line: PricedLine) -> list[D]:
    return [step.price_after for step in line.steps]


# --- the worked example of DOMAIN.md -------------------------------------------------


def test_worked_example_comes_out_exactly():
    line = price(worked_example_conditions())
    assert line.gross_unit_price == D("48.0000")
    assert line.price_list_code == "TARIF-2026"
    assert prices_after(line) == [
        D("43.2000"),
        D("41.0400"),
        D("41.0400"),
        D("39.8088"),
        D("39.0126"),
        D("39.0126"),
    ]
    assert [step.rate for step in line.steps] == [D("10"), D("5"), None, D("3"), D("2"), None]
    assert [step.condition_id for step in line.steps] == [1, 2, None, 4, 5, None]
    assert line.net_unit_price == D("39.0126")
    assert str(line.net_unit_price) == "39.0126"
    assert line.line_amount == D("1560.50")
    assert str(line.line_amount) == "1560.50"
    assert line.equivalent_discount_rate == D("18.7237")
    assert line.free_quantity == 0
    assert line.effective_unit_price == D("39.0126")
    assert line.flags.has_conflict is False


def test_worked_example_with_ten_plus_one_free_goods():
    line = price([*worked_example_conditions(), free_goods(10, 1, id=9)])
    assert line.free_quantity == D(4)
    assert line.free_base_quantity == D(4)
    assert line.request.quantity == D(40)  # the paid quantity stays 40
    assert line.line_amount == D("1560.50")
    assert line.effective_unit_price == D("35.4659")
    assert line.net_unit_price == D("39.0126")
    assert line.free_goods is not None and line.free_goods.id == 9


def test_unit_price_keeps_four_places_so_the_line_is_1560_50_not_1560_40():
    line = price(worked_example_conditions())
    two_places = D("39.01").quantize(D("0.01")) * 40
    assert line.line_amount == D("1560.50")
    assert line.line_amount - two_places == D("0.10")


def test_the_same_rates_added_give_twenty_percent():
    additive = {str(n): {"stacking": Stacking.ADDITIVE} for n in range(2, 7)}
    line = price(worked_example_conditions(), levels=scheme(**additive))
    assert prices_after(line) == [
        D("43.2000"),
        D("40.8000"),
        D("40.8000"),
        D("39.3600"),
        D("38.4000"),
        D("38.4000"),
    ]
    assert line.net_unit_price == D("38.4000")
    assert line.line_amount == D("1536.00")
    assert line.equivalent_discount_rate == D("20.0000")


# --- resolution: which condition applies at a level --------------------------------

AFTER = DAY + timedelta(days=1)
BEFORE = DAY - timedelta(days=1)

RESOLUTION_CASES = [
    # (name, conditions as (id, node, scope, extra fields), request overrides, winner id)
    (
        "nearest node wins over a more specific scope farther up",
        [(1, CHAIN, ON_ARTICLE, {}), (2, STORE, ALL, {})],
        {},
        2,
    ),
    (
        "platform wins over buying group and chain",
        [(1, CHAIN, ALL, {}), (2, GROUP, ALL, {}), (3, PLATFORM, ALL, {})],
        {},
        3,
    ),
    ("buying group wins over chain", [(1, CHAIN, ALL, {}), (2, GROUP, ALL, {})], {}, 2),
    (
        "a node off the path is ignored",
        [(1, OTHER_STORE, ON_ARTICLE, {}), (2, CHAIN, ALL, {})],
        {},
        2,
    ),
    ("article beats brand", [(1, STORE, ON_BRAND, {}), (2, STORE, ON_ARTICLE, {})], {}, 2),
    ("brand beats family", [(1, STORE, ON_LEAF, {}), (2, STORE, ON_BRAND, {})], {}, 2),
    ("family beats all", [(1, STORE, ALL, {}), (2, STORE, ON_ROOT, {})], {}, 2),
    (
        "nearer family beats farther family",
        [(1, STORE, ON_ROOT, {}), (2, STORE, ON_LEAF, {}), (3, STORE, ON_MIDDLE, {})],
        {},
        2,
    ),
    (
        "middle family beats root family",
        [(1, STORE, ON_ROOT, {}), (2, STORE, ON_MIDDLE, {})],
        {},
        2,
    ),
    (
        "a family outside the lineage does not apply",
        [(1, STORE, (ScopeKind.FAMILY, 99), {}), (2, CHAIN, ALL, {})],
        {},
        2,
    ),
    (
        "another article does not apply",
        [(1, STORE, (ScopeKind.ARTICLE, 101), {}), (2, CHAIN, ALL, {})],
        {},
        2,
    ),
    (
        "no brand on the article: brand conditions do not apply",
        [(1, STORE, ON_BRAND, {}), (2, STORE, ALL, {})],
        {"brand_id": None},
        2,
    ),
    (
        "later start wins at the same node and scope",
        [
            (1, STORE, ALL, {"valid_from": date(2026, 1, 1)}),
            (2, STORE, ALL, {"valid_from": date(2026, 3, 1)}),
        ],
        {},
        2,
    ),
    (
        "a dated start wins over an open start",
        [(1, STORE, ALL, {}), (2, STORE, ALL, {"valid_from": date(2025, 1, 1)})],
        {},
        2,
    ),
    (
        "valid_from on the date applies",
        [(1, STORE, ALL, {"valid_from": DAY}), (2, CHAIN, ALL, {})],
        {},
        1,
    ),
    (
        "valid_from the day after does not apply",
        [(1, STORE, ALL, {"valid_from": AFTER}), (2, CHAIN, ALL, {})],
        {},
        2,
    ),
    (
        "valid_to on the date applies",
        [(1, STORE, ALL, {"valid_to": DAY}), (2, CHAIN, ALL, {})],
        {},
        1,
    ),
    (
        "valid_to the day before does not apply",
        [(1, STORE, ALL, {"valid_to": BEFORE}), (2, CHAIN, ALL, {})],
        {},
        2,
    ),
    (
        "a one-day condition on the date applies",
        [(1, STORE, ALL, {"valid_from": DAY, "valid_to": DAY}), (2, CHAIN, ALL, {})],
        {},
        1,
    ),
    (
        "min quantity equal to the quantity applies",
        [(1, STORE, ALL, {"min_quantity": D(40)}), (2, CHAIN, ALL, {})],
        {},
        1,
    ),
    (
        "min quantity just above the quantity does not apply",
        [(1, STORE, ALL, {"min_quantity": D("40.001")}), (2, CHAIN, ALL, {})],
        {},
        2,
    ),
    (
        "min quantity is in base units: 4 cases of 12 reach 48",
        [(1, STORE, ALL, {"min_quantity": D(48)}), (2, CHAIN, ALL, {})],
        {"quantity": D(4), "base_units_per_unit": D(12)},
        1,
    ),
    (
        "min quantity in base units: 3 cases of 12 do not reach 48",
        [(1, STORE, ALL, {"min_quantity": D(48)}), (2, CHAIN, ALL, {})],
        {"quantity": D(3), "base_units_per_unit": D(12)},
        2,
    ),
    (
        "an expired nearer condition falls back to the farther one",
        [(1, STORE, ON_ARTICLE, {"valid_to": date(2026, 2, 28)}), (2, PLATFORM, ALL, {})],
        {},
        2,
    ),
]


@pytest.mark.parametrize(
    ("conditions", "overrides", "winner"),
    [pytest.param(c, o, w, id=name) for name, c, o, w in RESOLUTION_CASES],
)
def test_resolution_picks_the_most_specific_condition(conditions, overrides, winner):
    line = price(
        [
            discount(3, "5", id=cid, node=node, scope=scope, **extra)
            for cid, node, scope, extra in conditions
        ],
        **overrides,
    )
    assert line.step(3).condition_id == winner
    assert line.flags.has_conflict is False


def test_no_applicable_condition_leaves_the_level_empty():
    line = price([discount(3, "5", id=1, node=CHAIN, valid_to=BEFORE)])
    step = line.step(3)
    assert (step.status, step.source, step.rate, step.amount) == (StepStatus.NONE, None, None, None)
    assert step.contract_code is None
    assert line.net_unit_price == D("48.0000")


def test_each_level_resolves_independently_down_the_hierarchy():
    # The store inherits its chain's L3 and its platform's L5; its own contract sets L4.
    line = price(
        [
            discount(3, "4", id=1, node=CHAIN),
            discount(4, "10", id=2, node=CHAIN),
            discount(4, "3", id=3, node=STORE, scope=ON_ARTICLE),
            discount(5, "2", id=4, node=PLATFORM),
        ]
    )
    assert [step.condition_id for step in line.steps] == [None, None, 1, 3, 4, None]
    assert line.step(3).contract_code == "C-1"
    assert line.step(4).contract_code == "C-4"
    # 48 × 0.96 × 0.97 × 0.98 = 43.803648
    assert line.net_unit_price == D("43.8036")


# --- gross price -------------------------------------------------------------------


def test_gross_price_prefers_priority_then_packaging_then_later_start():
    own = GrossPrice(price_list_id=2, price_list_code="OWN", unit_price=D("47"), priority=0)
    inherited = GrossPrice(price_list_id=1, price_list_code="GEN", unit_price=D("45"), priority=1)
    per_case = GrossPrice(
        price_list_id=3, price_list_code="CASE", unit_price=D("46"), base_units=D(12)
    )
    per_unit = GrossPrice(price_list_id=4, price_list_code="UNIT", unit_price=D("4"))
    older = GrossPrice(
        price_list_id=5, price_list_code="OLD", unit_price=D("44"), valid_from=date(2025, 1, 1)
    )
    newer = GrossPrice(
        price_list_id=6, price_list_code="NEW", unit_price=D("43"), valid_from=date(2026, 1, 1)
    )
    assert price([], gross_prices=(inherited, own)).price_list_code == "OWN"
    case_line = price([], gross_prices=(per_unit, per_case), base_units_per_unit=D(12))
    assert (case_line.price_list_code, case_line.gross_unit_price) == ("CASE", D("46.0000"))
    assert price([], gross_prices=(older, newer)).price_list_code == "NEW"


def test_gross_price_per_base_unit_is_converted_to_the_ordered_packaging():
    per_unit = GrossPrice(price_list_id=4, price_list_code="UNIT", unit_price=D("4.0125"))
    line = price([], gross_prices=(per_unit,), base_units_per_unit=D(12))
    assert line.gross_unit_price == D("48.1500")


def test_gross_price_validity_and_quantity_breaks():
    expired = GrossPrice(
        price_list_id=1, price_list_code="OLD", unit_price=D("50"), valid_to=BEFORE
    )
    current = GrossPrice(
        price_list_id=2,
        price_list_code="NEW",
        unit_price=D("48"),
        valid_from=DAY,
        breaks=(
            QuantityBreak(min_quantity=D(100), unit_price=D("46")),
            QuantityBreak(min_quantity=D(40), unit_price=D("47")),
        ),
    )
    assert price([], gross_prices=(expired, current), quantity=D(39)).gross_unit_price == D(
        "48.0000"
    )
    assert price([], gross_prices=(expired, current), quantity=D(40)).gross_unit_price == D(
        "47.0000"
    )
    assert price([], gross_prices=(expired, current), quantity=D(100)).gross_unit_price == D(
        "46.0000"
    )


def test_no_gross_price_raises_for_one_line_and_is_reported_in_a_batch():
    expired = GrossPrice(
        price_list_id=1, price_list_code="OLD", unit_price=D("50"), valid_to=BEFORE
    )
    index = index_conditions([])
    with pytest.raises(PriceNotFound) as raised:
        price_line(make_request(gross_prices=(expired,)), index)
    assert raised.value.code == "price_not_found"
    assert raised.value.details == {"line_id": "L1", "article_id": ARTICLE}
    batch = price_lines(
        [
            make_request(line_id=1),
            make_request(line_id=2, gross_prices=()),
            make_request(line_id=3),
        ],
        index,
    )
    assert [line.line_id for line in batch.lines] == [1, 3]
    assert batch.unpriced_line_ids == (2,)


# --- amounts, stacking, exclusivity ------------------------------------------------

AMOUNT_L3 = {"3": {"value_kind": ValueKind.AMOUNT}}
AMOUNT_L6 = {"6": {"value_kind": ValueKind.AMOUNT}}


@pytest.mark.parametrize(
    ("levels", "conditions", "overrides", "expected_steps", "expected_net"),
    [
        pytest.param(
            AMOUNT_L6,
            [discount(1, "10"), discount(6, amount="1.20")],
            {},
            ["43.2000", "43.2000", "43.2000", "43.2000", "43.2000", "42.0000"],
            "42.0000",
            id="amount at the last level",
        ),
        pytest.param(
            AMOUNT_L3,
            [discount(1, "10"), discount(3, amount="2.00"), discount(4, "5")],
            {},
            ["43.2000", "43.2000", "41.2000", "39.1400", "39.1400", "39.1400"],
            "39.1400",
            id="amount applied at its place in the cascade",
        ),
        pytest.param(
            AMOUNT_L3,
            [discount(3, amount="0.10")],
            {
                "base_units_per_unit": D(12),
                "gross_prices": (
                    GrossPrice(
                        price_list_id=1, price_list_code="T", unit_price=D("4"), base_units=D(1)
                    ),
                ),
            },
            ["48.0000", "48.0000", "46.8000", "46.8000", "46.8000", "46.8000"],
            "46.8000",
            id="amount per base unit converted to the case",
        ),
        pytest.param(
            {"2": {"stacking": Stacking.ADDITIVE}},
            [discount(1, "10"), discount(2, "5"), discount(3, "3")],
            {},
            ["43.2000", "40.8000", "39.5760", "39.5760", "39.5760", "39.5760"],
            "39.5760",
            id="additive level sums its rate with the previous one",
        ),
        pytest.param(
            {"2": {"stacking": Stacking.ADDITIVE}},
            [discount(2, "5"), discount(3, "3")],
            {},
            ["48.0000", "45.6000", "44.2320", "44.2320", "44.2320", "44.2320"],
            "44.2320",
            id="additive level after an empty level",
        ),
        pytest.param(
            {"3": {"value_kind": ValueKind.AMOUNT}, "4": {"stacking": Stacking.ADDITIVE}},
            [discount(1, "10"), discount(3, amount="1.20"), discount(4, "5")],
            {},
            ["43.2000", "43.2000", "42.0000", "39.9000", "39.9000", "39.9000"],
            "39.9000",
            id="an amount level closes the additive group",
        ),
        pytest.param(
            {"4": {"exclusive": True}},
            [discount(1, "10"), discount(2, "5"), discount(4, "3"), discount(5, "2")],
            {},
            ["48.0000", "48.0000", "48.0000", "46.5600", "45.6288", "45.6288"],
            "45.6288",
            id="an exclusive level cancels the levels before it",
        ),
        pytest.param(
            {"4": {"exclusive": True}},
            [discount(1, "10"), discount(2, "5")],
            {},
            ["43.2000", "41.0400", "41.0400", "41.0400", "41.0400", "41.0400"],
            "41.0400",
            id="an exclusive level without condition cancels nothing",
        ),
    ],
)
def test_cascade_configurations(levels, conditions, overrides, expected_steps, expected_net):
    line = price(conditions, levels=scheme(**levels), **overrides)
    assert prices_after(line) == [D(value) for value in expected_steps]
    assert line.net_unit_price == D(expected_net)
    assert line.line_amount == (D(expected_net) * line.request.quantity).quantize(D("0.01"))


def test_overridden_levels_keep_their_source_in_the_breakdown():
    line = price(
        [discount(1, "10", id=1), discount(4, "3", id=4)],
        levels=scheme(**{"4": {"exclusive": True}}),
    )
    assert line.step(1).status is StepStatus.OVERRIDDEN
    assert line.step(1).condition_id == 1
    assert line.step(4).status is StepStatus.APPLIED


def test_a_condition_that_does_not_fit_its_level_is_refused_when_indexing():
    with pytest.raises(InvalidPricingInput) as raised:
        index_conditions(
            [discount(1, amount="1.00", id=1), discount(6, "5", id=2), discount(7, "5", id=3)],
            levels=scheme(**AMOUNT_L6),
        )
    assert raised.value.errors == [
        "condition 1: level 1 takes a rate, the condition gives a amount",
        "condition 2: level 6 takes a amount, the condition gives a rate",
        "condition 3: unknown level 7",
    ]


def test_a_level_scheme_needs_six_distinct_levels():
    with pytest.raises(InvalidPricingInput):
        LevelScheme(levels=DEFAULT_LEVELS.levels[:5])
    with pytest.raises(InvalidPricingInput):
        LevelScheme(levels=(*DEFAULT_LEVELS.levels[:5], LevelConfig(number=6, label="x", order=1)))


def test_levels_follow_their_configured_order():
    reordered = scheme(**{"5": {"order": 0}})
    line = price([discount(5, "2", id=5)], levels=reordered)
    assert [step.level.number for step in line.steps] == [5, 1, 2, 3, 4, 6]
    assert line.steps[0].price_after == D("47.0400")


# --- contract net price ------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "overrides", "net", "applied"),
    [
        pytest.param(net_price("40.00"), {}, "40.0000", True, id="replace above the cascade"),
        pytest.param(net_price("35.50"), {}, "35.5000", True, id="replace below the cascade"),
        pytest.param(
            net_price("40.00", NetPriceMode.FLOOR),
            {},
            "40.0000",
            True,
            id="floor above the cascade lifts the net",
        ),
        pytest.param(
            net_price("38.00", NetPriceMode.FLOOR),
            {},
            "39.0126",
            False,
            id="floor below the cascade does nothing",
        ),
        pytest.param(
            net_price("39.0126", NetPriceMode.FLOOR),
            {},
            "39.0126",
            False,
            id="floor equal to the cascade does nothing",
        ),
        pytest.param(
            net_price("3.50"),
            {"base_units_per_unit": D(12), "gross_prices": (CASE_TARIF,)},
            "42.0000",
            True,
            id="net price per base unit converted to the case",
        ),
        pytest.param(
            net_price("40.00", valid_to=BEFORE),
            {},
            "39.0126",
            None,
            id="an expired net price is ignored",
        ),
    ],
)
def test_contract_net_price(condition, overrides, net, applied):
    line = price([*worked_example_conditions(), condition], **overrides)
    assert line.net_unit_price == D(net)
    if applied is None:
        assert line.net_price is None
    else:
        assert line.net_price is not None
        assert line.net_price.applied is applied
        assert line.net_price.source is condition
    assert line.steps[-1].price_after == D("39.0126")  # the cascade is still shown


def test_the_nearest_net_price_wins():
    line = price(
        [net_price("40", id=1, node=CHAIN), net_price("41", id=2, node=PLATFORM, scope=ALL)]
    )
    assert line.net_price is not None and line.net_price.source.id == 2
    assert line.net_unit_price == D("41.0000")


# --- free goods --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "overrides", "free", "free_base", "effective"),
    [
        pytest.param(
            free_goods(10, 1), {"quantity": D(39)}, "3", "3", "36.2260", id="39 cases: 3 free"
        ),
        pytest.param(
            free_goods(10, 1), {"quantity": D(9)}, "0", "0", "39.0126", id="9 cases: none"
        ),
        pytest.param(
            free_goods(10, 1, min_quantity=D(50)),
            {},
            "0",
            "0",
            "39.0126",
            id="min quantity not reached",
        ),
        pytest.param(
            free_goods(120, 12),
            {"base_units_per_unit": D(12)},
            "4",
            "48",
            "35.4659",
            id="in base units: 480 ordered, 48 free = 4 cases",
        ),
        pytest.param(free_goods(10, 2), {}, "8", "8", "32.5104", id="10 + 2"),
    ],
)
def test_free_goods(condition, overrides, free, free_base, effective):
    per_case = overrides.get("base_units_per_unit", D(1))
    case_price = GrossPrice(
        price_list_id=1, price_list_code="T", unit_price=D("48"), base_units=per_case
    )
    line = price([*worked_example_conditions(), condition], gross_prices=(case_price,), **overrides)
    assert line.free_quantity == D(free)
    assert line.free_base_quantity == D(free_base)
    assert line.effective_unit_price == D(effective)
    assert line.net_unit_price == D("39.0126")
    assert line.line_amount == (D("39.0126") * line.request.quantity).quantize(D("0.01"))


# --- quantity tiers ----------------------------------------------------------------

LAYERED = {"base_units_per_layer": D(20), "base_units_per_pallet": D(100)}


@pytest.mark.parametrize(
    ("condition", "quantity", "rate", "winner"),
    [
        pytest.param(
            tiers(2, TierBasis.QUANTITY, [(50, 2), (100, 4)], id=7),
            49,
            "1",
            8,
            id="quantity below the first threshold falls back",
        ),
        pytest.param(
            tiers(2, TierBasis.QUANTITY, [(50, 2), (100, 4)], id=7),
            50,
            "2",
            7,
            id="quantity on the first threshold",
        ),
        pytest.param(
            tiers(2, TierBasis.QUANTITY, [(50, 2), (100, 4)], id=7),
            99,
            "2",
            7,
            id="quantity between thresholds",
        ),
        pytest.param(
            tiers(2, TierBasis.QUANTITY, [(100, 4), (50, 2)], id=7),
            100,
            "4",
            7,
            id="quantity on the highest threshold, tiers in any order",
        ),
        pytest.param(
            tiers(2, TierBasis.LAYER, [(1, "1.5"), (2, "2.5")], id=7),
            19,
            "1",
            8,
            id="less than one layer falls back",
        ),
        pytest.param(
            tiers(2, TierBasis.LAYER, [(1, "1.5"), (2, "2.5")], id=7),
            39,
            "1.5",
            7,
            id="one full layer",
        ),
        pytest.param(
            tiers(2, TierBasis.LAYER, [(1, "1.5"), (2, "2.5")], id=7),
            40,
            "2.5",
            7,
            id="two full layers",
        ),
        pytest.param(
            tiers(2, TierBasis.PALLET, [(1, 3), (2, 5)], id=7),
            99,
            "1",
            8,
            id="a pallet not full falls back",
        ),
        pytest.param(
            tiers(2, TierBasis.PALLET, [(1, 3), (2, 5)], id=7), 100, "3", 7, id="one full pallet"
        ),
        pytest.param(
            tiers(2, TierBasis.PALLET, [(1, 3), (2, 5)], id=7), 250, "5", 7, id="two full pallets"
        ),
    ],
)
def test_quantity_tiers(condition, quantity, rate, winner):
    fallback = discount(2, "1", id=8, node=CHAIN)
    line = price([condition, fallback], quantity=D(quantity), **LAYERED)
    assert line.step(2).rate == D(rate)
    assert line.step(2).condition_id == winner
    assert line.step(2).price_after == (D(48) * (1 - D(rate) / 100)).quantize(D("0.0001"))


def test_layer_tiers_need_the_layer_size():
    line = price([tiers(2, TierBasis.LAYER, [(1, 2)], id=7)], quantity=D(500))
    assert line.step(2).source is None


def test_layer_tiers_count_full_layers_in_base_units():
    # 12 per case, 60 per layer: 9 cases = 108 base units = 1 full layer.
    line = price(
        [tiers(2, TierBasis.LAYER, [(1, 2), (2, 4)], id=7)],
        quantity=D(9),
        base_units_per_unit=D(12),
        base_units_per_layer=D(60),
        gross_prices=(CASE_TARIF,),
    )
    assert line.step(2).rate == D(2)


# --- never negative ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("levels", "conditions"),
    [
        pytest.param(
            AMOUNT_L3, [discount(1, "10"), discount(3, amount="50")], id="amount too large"
        ),
        pytest.param({}, [discount(1, "120")], id="rate above 100 %"),
        pytest.param(
            {"2": {"stacking": Stacking.ADDITIVE}},
            [discount(1, "60"), discount(2, "50")],
            id="additive rates above 100 %",
        ),
    ],
)
def test_a_cascade_below_zero_stops_at_zero(levels, conditions):
    line = price([*conditions, discount(5, "-10")], levels=scheme(**levels))
    assert line.net_unit_price == D("0.0000")
    assert line.line_amount == D("0.00")
    assert line.flags.clamped_at_zero is True
    assert line.steps[-1].price_after == D("0.0000")
    assert line.step(5).price_after == D("0.0000")  # a later surcharge does not restart it
    assert line.equivalent_discount_rate == D("100.0000")


def test_a_replacing_net_price_clears_the_clamp():
    line = price([discount(1, "120"), net_price("10")])
    assert line.net_unit_price == D("10.0000")
    assert line.flags.clamped_at_zero is False


# --- margin and floors -------------------------------------------------------------


def test_margin_against_cost():
    line = price(worked_example_conditions(), cost_price=D("30"))
    assert line.cost_unit_price == D("30.0000")
    assert line.margin_amount == D("360.50")
    assert line.margin_rate == D("23.1016")  # on sales (taux de marque)
    assert line.markup_rate == D("30.0417")  # on cost (taux de marge)
    assert line.flags.below_cost is False


def test_margin_counts_the_cost_of_free_goods():
    line = price([*worked_example_conditions(), free_goods(10, 1)], cost_price=D("30"))
    assert line.margin_amount == D("240.50")  # 1,560.50 − 44 × 30
    assert line.margin_rate == D("15.4117")
    assert line.markup_rate == D("18.2197")


def test_cost_per_base_unit_is_converted_to_the_case():
    line = price([], cost_price=D("3.5"), base_units_per_unit=D(12), gross_prices=(CASE_TARIF,))
    assert line.cost_unit_price == D("42.0000")
    assert line.margin_amount == D("240.00")  # 40 × 48 − 480 × 3.5


@pytest.mark.parametrize(
    ("cost", "extra", "below"),
    [
        pytest.param("39.0126", [], False, id="at cost is not below"),
        pytest.param("39.0127", [], True, id="a hair above the net"),
        pytest.param(
            "36", [free_goods(10, 1)], True, id="free goods take the effective price below cost"
        ),
    ],
)
def test_below_cost_flag(cost, extra, below):
    line = price([*worked_example_conditions(), *extra], cost_price=D(cost))
    assert line.flags.below_cost is below


def test_a_margin_that_rounds_to_zero_is_not_negative_zero():
    line = price(worked_example_conditions(), cost_price=D("39.0126"))  # 1,560.50 − 1,560.504
    assert str(line.margin_amount) == "0.00"
    assert line.margin_rate == D("-0.0003")


def test_below_resale_floor_uses_the_effective_price():
    plain = price(worked_example_conditions(), resale_floor=D("36"))
    with_free = price([*worked_example_conditions(), free_goods(10, 1)], resale_floor=D("36"))
    assert plain.flags.below_resale_floor is False
    assert with_free.flags.below_resale_floor is True  # 35.4659 < 36
    assert with_free.margin_amount is None


def test_zero_quantity_prices_the_unit():
    line = price(worked_example_conditions(), quantity=D(0), cost_price=D(40))
    assert line.net_unit_price == D("39.0126")
    assert line.line_amount == D("0.00")
    assert line.margin_amount == D("0.00")
    assert line.margin_rate is None and line.markup_rate is None
    assert line.flags.below_cost is True


# --- conflicts ---------------------------------------------------------------------


def test_a_tie_is_reported_and_the_lowest_id_applies():
    line = price(
        [discount(3, "5", id=22), discount(3, "7", id=21), discount(3, "9", id=23, node=CHAIN)]
    )
    assert line.step(3).condition_id == 21
    assert line.step(3).rate == D("7")
    assert line.flags.has_conflict is True
    [conflict] = line.flags.conflicts
    assert (conflict.slot, conflict.node_id, conflict.scope_kind, conflict.condition_ids) == (
        "level_3",
        STORE,
        ScopeKind.ALL,
        (21, 22),
    )
    assert line.flags.conflict_condition_ids == (21, 22)


def test_ties_on_net_price_and_free_goods_are_reported():
    line = price(
        [
            net_price("40", id=1),
            net_price("41", id=2),
            free_goods(10, 1, id=3),
            free_goods(5, 1, id=4),
        ]
    )
    assert [(c.slot, c.condition_ids) for c in line.flags.conflicts] == [
        ("net_price", (1, 2)),
        ("free_goods", (3, 4)),
    ]


def test_a_tie_between_a_tier_and_a_discount_at_the_same_place():
    line = price([discount(2, "1", id=1), tiers(2, TierBasis.QUANTITY, [(10, 3)], id=2)])
    assert line.flags.conflicts[0].condition_ids == (1, 2)


def test_a_tie_only_counts_conditions_that_apply():
    line = price([discount(3, "5", id=1), discount(3, "7", id=2, min_quantity=D(41))])
    assert line.flags.has_conflict is False
    assert line.step(3).condition_id == 1


JAN, FEB, MAR, DEC = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1), date(2026, 12, 31)


@pytest.mark.parametrize(
    ("first", "second", "ties", "overlaps"),
    [
        pytest.param({"valid_from": JAN}, {"valid_from": JAN}, True, True, id="same start"),
        pytest.param({}, {}, True, True, id="both open"),
        pytest.param(
            {"valid_from": JAN, "valid_to": DEC},
            {"valid_from": MAR, "valid_to": MAR},
            False,
            True,
            id="nested range, later start decides",
        ),
        pytest.param(
            {"valid_from": JAN, "valid_to": FEB},
            {"valid_from": FEB},
            False,
            True,
            id="touching on one day",
        ),
        pytest.param(
            {"valid_from": JAN, "valid_to": date(2026, 1, 31)},
            {"valid_from": FEB},
            False,
            False,
            id="consecutive ranges",
        ),
        pytest.param(
            {"valid_from": JAN},
            {"valid_from": JAN, "node": CHAIN},
            False,
            False,
            id="different nodes",
        ),
        pytest.param(
            {"valid_from": JAN},
            {"valid_from": JAN, "scope": ON_ARTICLE},
            False,
            False,
            id="different scopes",
        ),
        pytest.param(
            {"valid_from": JAN},
            {"valid_from": JAN, "level": 4},
            False,
            False,
            id="different levels",
        ),
        pytest.param(
            {"valid_from": JAN},
            {"valid_from": JAN, "min_quantity": D(100)},
            True,
            True,
            id="different minimum quantities still tie above both",
        ),
    ],
)
def test_find_conflicts(first, second, ties, overlaps):
    conditions = [
        discount(first.pop("level", 3), "5", id=2, **first),
        discount(second.pop("level", 3), "6", id=1, **second),
    ]
    found = find_conflicts(conditions)
    strict = find_conflicts(reversed(conditions), any_overlap=True)
    assert [c.condition_ids for c in found] == ([(1, 2)] if ties else [])
    assert [c.condition_ids for c in strict] == ([(1, 2)] if overlaps else [])
    if ties:
        assert (found[0].slot, found[0].node_id, found[0].scope_kind) == (
            "level_3",
            STORE,
            ScopeKind.ALL,
        )


def test_find_conflicts_reports_each_pair_across_kinds():
    conditions = [
        net_price("40", id=1),
        net_price("41", id=2),
        net_price("42", id=3),
        free_goods(10, 1, id=4),
        free_goods(10, 2, id=5, node=CHAIN),
        tiers(2, TierBasis.LAYER, [(1, 2)], id=6),
        discount(2, "3", id=7),
    ]
    assert [(c.slot, c.condition_ids) for c in find_conflicts(conditions)] == [
        ("net_price", (1, 2)),
        ("net_price", (1, 3)),
        ("net_price", (2, 3)),
        ("level_2", (6, 7)),
    ]


# --- breakdown and batch -----------------------------------------------------------


def test_breakdown_is_json_with_decimals_as_strings():
    line = price([*worked_example_conditions(), free_goods(10, 1, id=9)], cost_price=D("30"))
    breakdown = line.to_breakdown()
    assert json.loads(json.dumps(breakdown)) == breakdown
    assert breakdown["schema"] == 1
    assert breakdown["gross"] == {
        "unit_price": "48.0000",
        "price_list_id": 1,
        "price_list_code": "TARIF-2026",
    }
    assert breakdown["levels"][0] == {
        "level": 1,
        "label": "Remise de base",
        "order": 1,
        "value_kind": "rate",
        "stacking": "multiplicative",
        "exclusive": False,
        "status": "applied",
        "rate": "10.0000",
        "amount": None,
        "price_after": "43.2000",
        "source": {
            "condition_id": 1,
            "contract_id": 400,
            "contract_code": "C-4",
            "node_id": STORE,
            "scope_kind": "all",
            "scope_id": None,
        },
    }
    assert breakdown["levels"][2]["status"] == "none" and breakdown["levels"][2]["source"] is None
    assert [level["price_after"] for level in breakdown["levels"]] == [
        "43.2000",
        "41.0400",
        "41.0400",
        "39.8088",
        "39.0126",
        "39.0126",
    ]
    assert (breakdown["net_unit_price"], breakdown["line_amount"]) == ("39.0126", "1560.50")
    assert breakdown["free_goods"] == {
        "buy_quantity": "10",
        "free_per_buy": "1",
        "free_quantity": "4.000",
        "free_base_quantity": "4",
        "source": {
            "condition_id": 9,
            "contract_id": 400,
            "contract_code": "C-4",
            "node_id": STORE,
            "scope_kind": "article",
            "scope_id": ARTICLE,
        },
    }
    assert breakdown["effective_unit_price"] == "35.4659"
    assert breakdown["equivalent_discount_rate"] == "18.7237"
    assert breakdown["margin"] == {
        "cost_unit_price": "30.0000",
        "amount": "240.50",
        "rate_on_sales": "15.4117",
        "rate_on_cost": "18.2197",
    }
    assert breakdown["net_price"] is None
    assert breakdown["flags"] == {
        "below_cost": False,
        "below_resale_floor": False,
        "clamped_at_zero": False,
        "conflicts": [],
    }
    assert (breakdown["date"], breakdown["quantity"], breakdown["unit"]) == (
        "2026-03-15",
        "40",
        "case",
    )


def test_breakdown_of_net_price_and_conflict():
    line = price([net_price("40", id=1), net_price("41", id=2)])
    breakdown = line.to_breakdown()
    assert breakdown["net_price"] == {
        "mode": "replace",
        "price": "40.0000",
        "applied": True,
        "source": {
            "condition_id": 1,
            "contract_id": 400,
            "contract_code": "C-4",
            "node_id": STORE,
            "scope_kind": "article",
            "scope_id": ARTICLE,
        },
    }
    assert breakdown["flags"]["conflicts"] == [
        {
            "slot": "net_price",
            "node_id": STORE,
            "scope_kind": "article",
            "scope_id": ARTICLE,
            "condition_ids": [1, 2],
        }
    ]


def test_breakdown_never_uses_exponent_notation():
    line = price([], quantity=D("4E+1"))
    assert line.to_breakdown()["quantity"] == "40"


def test_batch_gives_the_same_lines_as_one_by_one():
    conditions = [
        *worked_example_conditions(),
        free_goods(10, 1),
        net_price("45", NetPriceMode.FLOOR, scope=(ScopeKind.ARTICLE, 101)),
    ]
    index = index_conditions(conditions)
    requests = [
        make_request(line_id=n, article_id=100 + n % 2, quantity=D(n)) for n in range(1, 30)
    ]
    batch = price_lines(requests, index)
    assert batch.lines == tuple(price_line(request, index) for request in requests)
    assert batch.unpriced_line_ids == ()
    assert batch.lines[0].net_unit_price == D("45.0000")  # article 101 has a floor
    assert batch.lines[1].net_unit_price == D("39.0126")


def test_invalid_inputs_are_refused_with_every_reason():
    with pytest.raises(InvalidPricingInput) as raised:
        make_request(quantity=D(-1), base_units_per_unit=D(0), customer_path=(STORE, STORE))
    assert len(raised.value.errors) == 3
    with pytest.raises(InvalidPricingInput):
        discount(1, "5", amount="1")
    with pytest.raises(InvalidPricingInput):
        discount(1, "5", scope=(ScopeKind.ARTICLE, None))
    with pytest.raises(InvalidPricingInput):
        discount(1, "5", valid_from=DAY, valid_to=BEFORE)
    with pytest.raises(InvalidPricingInput):
        tiers(2, TierBasis.QUANTITY, [])
    with pytest.raises(InvalidPricingInput):
        GrossPrice(price_list_id=1, price_list_code="T", unit_price=D("-1"))
