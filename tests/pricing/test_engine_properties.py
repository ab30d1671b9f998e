"""Properties of the pricing engine, checked with hypothesis over random conditions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D
from functools import reduce

from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.money import round_amount, round_unit_price
from pricing.engine import (
    DEFAULT_LEVELS,
    Condition,
    DiscountCondition,
    FreeGoodsCondition,
    GrossPrice,
    LevelScheme,
    NetPriceCondition,
    NetPriceMode,
    PricedLine,
    PriceRequest,
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
PATH = (4, 3, 2, 1)
OFF_PATH_NODE = 9
ARTICLE, OTHER_ARTICLE, BRAND = 100, 101, 50
LINEAGE = (10, 11, 12)

SCOPES = [
    (ScopeKind.ALL, None),
    (ScopeKind.ARTICLE, ARTICLE),
    (ScopeKind.ARTICLE, OTHER_ARTICLE),
    (ScopeKind.BRAND, BRAND),
    (ScopeKind.FAMILY, 10),
    (ScopeKind.FAMILY, 11),
    (ScopeKind.FAMILY, 12),
    (ScopeKind.FAMILY, 99),
]


def _scheme(*, additive: tuple[int, ...] = (), amount: tuple[int, ...] = ()) -> LevelScheme:
    return LevelScheme(
        levels=tuple(
            replace(
                level,
                stacking=Stacking.ADDITIVE if level.number in additive else Stacking.MULTIPLICATIVE,
                value_kind=ValueKind.AMOUNT if level.number in amount else ValueKind.RATE,
            )
            for level in DEFAULT_LEVELS.levels
        )
    )


# Schemes without exclusive levels: with them, adding a condition may cancel others.
SCHEMES = [
    DEFAULT_LEVELS,
    _scheme(additive=(2, 3, 5)),
    _scheme(amount=(6,)),
    _scheme(additive=(4, 5), amount=(3,)),
]

prices = st.integers(min_value=0, max_value=10_000_000).map(lambda n: D(n).scaleb(-4))
rates = st.integers(min_value=0, max_value=1_000_000).map(lambda n: D(n).scaleb(-4))
any_rates = st.integers(min_value=-500_000, max_value=2_000_000).map(lambda n: D(n).scaleb(-4))
amounts = st.integers(min_value=0, max_value=200_000).map(lambda n: D(n).scaleb(-4))
quantities = st.integers(min_value=0, max_value=500_000).map(lambda n: D(n).scaleb(-3))
day_offsets = st.none() | st.integers(min_value=-40, max_value=40)


def _date(offset: int | None) -> date | None:
    return None if offset is None else DAY + timedelta(days=offset)


@st.composite
def conditions(
    draw: st.DrawFn,
    scheme: LevelScheme,
    *,
    levels: tuple[int, ...] = (1, 2, 3, 4, 5, 6),
    rate_values: st.SearchStrategy[D] = rates,
    on_path_only: bool = False,
) -> Condition:
    node = draw(st.sampled_from(PATH if on_path_only else (*PATH, OFF_PATH_NODE)))
    scope_kind, scope_id = draw(st.sampled_from(SCOPES))
    valid_from, valid_to = _date(draw(day_offsets)), _date(draw(day_offsets))
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        valid_from, valid_to = valid_to, valid_from
    common = {
        "id": 0,  # numbered by the caller
        "contract_id": node,
        "contract_code": f"C{node}",
        "node_id": node,
        "scope_kind": scope_kind,
        "scope_id": scope_id,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "min_quantity": draw(st.sampled_from((D(0), D(0), D(10), D(100)))),
    }
    kind = draw(st.sampled_from(("discount", "discount", "discount", "tier", "net", "free")))
    level = draw(st.sampled_from(levels))
    is_amount_level = scheme.level(level).value_kind is ValueKind.AMOUNT
    if kind == "tier" and not is_amount_level:
        table = draw(
            st.lists(
                st.tuples(st.integers(0, 200), rate_values),
                min_size=1,
                max_size=3,
                unique_by=lambda t: t[0],
            )
        )
        return TierCondition(
            level=level,
            basis=draw(st.sampled_from(list(TierBasis))),
            tiers=tuple(Tier(threshold=D(t), rate=r) for t, r in table),
            **common,
        )
    if kind == "net":
        return NetPriceCondition(
            price=draw(prices), mode=draw(st.sampled_from(list(NetPriceMode))), **common
        )
    if kind == "free":
        return FreeGoodsCondition(
            buy_quantity=D(draw(st.integers(1, 20))),
            free_quantity=D(draw(st.integers(1, 3))),
            **common,
        )
    if is_amount_level:
        return DiscountCondition(level=level, amount=draw(amounts), **common)
    return DiscountCondition(level=level, rate=draw(rate_values), **common)


def numbered(items: list[Condition], first: int = 1) -> list[Condition]:
    return [replace(condition, id=first + n) for n, condition in enumerate(items)]


def make_request(gross: D, quantity: D, base_units: D = D(1)) -> PriceRequest:
    return PriceRequest(
        line_id=1,
        article_id=ARTICLE,
        brand_id=BRAND,
        family_lineage=LINEAGE,
        customer_path=PATH,
        on_date=DAY,
        quantity=quantity,
        unit="case",
        base_units_per_unit=base_units,
        base_units_per_layer=base_units * 20,
        base_units_per_pallet=base_units * 100,
        gross_prices=(
            GrossPrice(
                price_list_id=1, price_list_code="T", unit_price=gross, base_units=base_units
            ),
        ),
        cost_price=D("1.5"),
        resale_floor=D("2"),
    )


@st.composite
def priced_setups(draw: st.DrawFn, rate_values: st.SearchStrategy[D] = rates):
    scheme = draw(st.sampled_from(SCHEMES))
    items = numbered(draw(st.lists(conditions(scheme, rate_values=rate_values), max_size=12)))
    request = make_request(
        draw(prices), draw(quantities), draw(st.sampled_from((D(1), D(6), D(12))))
    )
    return scheme, items, request


def _price(scheme: LevelScheme, items: list[Condition], request: PriceRequest) -> PricedLine:
    return price_line(request, index_conditions(items, levels=scheme))


def _places(value: D) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return -exponent


@given(prices, quantities, st.sampled_from(SCHEMES))
def test_no_condition_means_net_equals_gross(gross, quantity, scheme):
    line = _price(scheme, [], make_request(gross, quantity))
    assert line.net_unit_price == gross
    assert all(step.status is StepStatus.NONE for step in line.steps)
    assert all(step.price_after == gross for step in line.steps)
    assert line.line_amount == round_amount(gross * quantity)
    assert line.equivalent_discount_rate == 0
    assert line.free_quantity == 0 and line.net_price is None


@given(prices, quantities, st.lists(conditions(DEFAULT_LEVELS), max_size=8))
def test_conditions_off_the_path_or_for_other_articles_change_nothing(gross, quantity, items):
    unrelated = [
        replace(c, node_id=OFF_PATH_NODE)
        if c.scope_kind in (ScopeKind.ALL, ScopeKind.BRAND) or c.scope_id in (ARTICLE, *LINEAGE)
        else c
        for c in numbered(items)
    ]
    line = _price(DEFAULT_LEVELS, unrelated, make_request(gross, quantity))
    assert line.net_unit_price == gross
    assert line.flags.has_conflict is False


@given(st.data())
def test_adding_a_non_negative_discount_never_raises_the_net(data):
    scheme = data.draw(st.sampled_from(SCHEMES))
    free_level = data.draw(st.integers(1, 6))
    others = tuple(n for n in range(1, 7) if n != free_level)
    items = numbered(data.draw(st.lists(conditions(scheme, levels=others), max_size=10)))
    extra = data.draw(conditions(scheme, levels=(free_level,), on_path_only=True))
    if not isinstance(extra, DiscountCondition):
        extra = DiscountCondition(
            id=0,
            contract_id=1,
            contract_code="C1",
            node_id=PATH[0],
            level=free_level,
            **(
                {"amount": D(1)}
                if scheme.level(free_level).value_kind is ValueKind.AMOUNT
                else {"rate": D(1)}
            ),
        )
    extra = replace(
        extra,
        id=999,
        valid_from=None,
        valid_to=None,
        min_quantity=D(0),
        scope_kind=ScopeKind.ALL,
        scope_id=None,
    )
    request = make_request(data.draw(prices), data.draw(quantities))
    before = _price(scheme, items, request)
    after = _price(scheme, [*items, extra], request)
    assert after.step(free_level).condition_id == 999
    assert after.net_unit_price <= before.net_unit_price
    assert after.line_amount <= before.line_amount


@given(priced_setups(rate_values=any_rates))
def test_the_net_is_never_negative(setup):
    line = _price(*setup)
    assert line.net_unit_price >= 0
    assert line.line_amount >= 0
    assert all(step.price_after >= 0 for step in line.steps)
    assert line.effective_unit_price >= 0


@given(priced_setups(rate_values=any_rates))
def test_results_are_quantized(setup):
    line = _price(*setup)
    assert _places(line.gross_unit_price) == 4
    assert _places(line.net_unit_price) == 4
    assert _places(line.effective_unit_price) == 4
    assert _places(line.equivalent_discount_rate) == 4
    assert _places(line.line_amount) == 2
    assert all(_places(step.price_after) == 4 for step in line.steps)
    assert all(step.rate is None or _places(step.rate) == 4 for step in line.steps)
    assert all(step.amount is None or _places(step.amount) == 4 for step in line.steps)
    assert line.margin_amount is not None and _places(line.margin_amount) == 2
    assert _places(line.free_quantity) == 3


@given(priced_setups(rate_values=any_rates))
def test_line_amount_is_the_rounded_net_times_quantity(setup):
    line = _price(*setup)
    assert line.line_amount == round_amount(line.net_unit_price * line.request.quantity)


@given(priced_setups(), st.randoms(use_true_random=False))
def test_resolution_does_not_depend_on_the_order_conditions_come_in(setup, random):
    scheme, items, request = setup
    shuffled = list(items)
    random.shuffle(shuffled)
    first = _price(scheme, items, request)
    second = _price(scheme, shuffled, request)
    assert first == second
    assert first.to_breakdown() == second.to_breakdown()
    assert find_conflicts(items) == find_conflicts(shuffled)


@given(prices, quantities, st.lists(rates, min_size=6, max_size=6))
def test_a_multiplicative_cascade_is_rounded_once(gross, quantity, level_rates):
    items = [
        DiscountCondition(
            id=n, contract_id=1, contract_code="C", node_id=PATH[0], level=n, rate=rate
        )
        for n, rate in enumerate(level_rates, start=1)
    ]
    line = _price(DEFAULT_LEVELS, items, make_request(gross, quantity))
    exact = reduce(lambda price, rate: price * (1 - rate / 100), level_rates, gross)
    assert line.net_unit_price == round_unit_price(exact)


@settings(max_examples=30)
@given(st.lists(priced_setups(), min_size=1, max_size=5))
def test_a_batch_prices_like_one_line_at_a_time(setups):
    scheme, items, _ = setups[0]
    index = index_conditions(items, levels=scheme)
    requests = [replace(request, line_id=n) for n, (_, _, request) in enumerate(setups)]
    batch = price_lines(requests, index)
    assert batch.lines == tuple(price_line(request, index) for request in requests)
