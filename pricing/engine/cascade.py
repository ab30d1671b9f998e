"""The computation: gross → six levels → net price → line amount, margin, flags.

Rounding (see docs/pricing.md): input prices are quantized to 4 places once, when
expressed in the ordered unit; the cascade keeps its intermediate products exact
(the Decimal context is widened so that they are); the net unit price is rounded
once to 4 places; the line amount is rounded once to 2 places from that net unit
price. Everything rounds ROUND_HALF_UP through ``comptoir.money``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, localcontext

from comptoir.money import round_amount, round_quantity, round_rate, round_unit_price

from .errors import PriceNotFound
from .resolution import (
    SLOT_FREE_GOODS,
    SLOT_NET_PRICE,
    ConditionIndex,
    resolve_conditions,
    select_gross_price,
    to_ordered_unit_price,
)
from .results import (
    NO_FLAGS,
    LevelStep,
    NetPriceStep,
    PricedLine,
    PricingBatch,
    PricingFlags,
    StepStatus,
)
from .types import (
    ZERO,
    DiscountCondition,
    FreeGoodsCondition,
    LineId,
    NetPriceCondition,
    NetPriceMode,
    PriceRequest,
    TierCondition,
)

ONE = Decimal(1)
HUNDRED = Decimal(100)
PERCENT = Decimal("0.01")

NO_FREE_QUANTITY = round_quantity(ZERO)
NO_RATE = round_rate(ZERO)

# Enough digits for a 4-place price times six 6-place factors (and amounts) to stay
# exact: the one rounding of the net unit price must see the exact cascade result.
_PRECISION = 80


def price_line(request: PriceRequest, conditions_index: ConditionIndex) -> PricedLine:
    """Price one line. Raises :class:`PriceNotFound` when no gross price is valid.

    Pure: reads only its arguments (the date is ``request.on_date``)."""
    with localcontext(prec=_PRECISION):
        line = _price(request, conditions_index)
    if line is None:
        raise PriceNotFound(line_id=request.line_id, article_id=request.article_id)
    return line


def price_lines(requests: Iterable[PriceRequest], conditions_index: ConditionIndex) -> PricingBatch:
    """Price many lines against one condition index.

    Lines without a gross price do not stop the batch: their ids are returned in
    ``unpriced_line_ids``. Each line costs a few dictionary look-ups per node of
    its customer path; nothing is scanned."""
    lines: list[PricedLine] = []
    unpriced: list[LineId] = []
    with localcontext(prec=_PRECISION):
        for request in requests:
            line = _price(request, conditions_index)
            if line is None:
                unpriced.append(request.line_id)
            else:
                lines.append(line)
    return PricingBatch(lines=tuple(lines), unpriced_line_ids=tuple(unpriced))


def _price(request: PriceRequest, index: ConditionIndex) -> PricedLine | None:
    unit_base_units = request.base_units_per_unit
    quantity = request.quantity
    base_quantity = quantity * unit_base_units
    gross_found = select_gross_price(request, base_quantity)
    if gross_found is None:
        return None
    gross_price, gross = gross_found
    winners, conflicts = resolve_conditions(request, index, base_quantity)

    # An exclusive level that applies cancels every level before it in the cascade.
    cancel_before = -1
    for position, number in index.exclusive_positions:
        if number in winners:
            cancel_before = position

    price = gross  # exact from here to the final rounding
    price_shown = gross  # ``price`` at 4 places, for the breakdown
    group_base = gross  # price before the current additive group
    group_rate = ZERO  # sum of the rates of the current additive group
    clamped = False
    steps: list[LevelStep] = []
    for position, (level, number, is_rate, is_additive) in enumerate(index.plan):
        winner = winners.get(number)
        if winner is None:
            # No condition: the price does not move, but a multiplicative or amount
            # level still closes the additive group before it.
            if not is_additive or not is_rate:
                group_base = price
                group_rate = ZERO
            steps.append(LevelStep(level, StepStatus.NONE, None, None, price_shown, None))
            continue
        source, rate, _start = winner
        amount: Decimal | None = None
        if rate is None and isinstance(source, DiscountCondition) and source.amount is not None:
            amount = to_ordered_unit_price(
                source.amount,
                price_base_units=source.amount_base_units,
                unit_base_units=unit_base_units,
            )
        elif rate is not None and isinstance(source, TierCondition):
            rate = round_rate(rate)
        if position < cancel_before:
            if not is_additive or not is_rate:
                group_base = price
                group_rate = ZERO
            steps.append(LevelStep(level, StepStatus.OVERRIDDEN, rate, amount, price_shown, source))
            continue
        if is_rate:
            applied_rate = ZERO if rate is None else rate
            if is_additive:
                group_rate += applied_rate
                price = group_base * (ONE - group_rate * PERCENT)
            else:
                group_base = price
                group_rate = applied_rate
                price = price * (ONE - applied_rate * PERCENT)
        else:
            if amount is not None:
                price = price - amount
            # An amount step closes the additive group: what follows starts here.
            group_base = price
            group_rate = ZERO
        if clamped:
            price = ZERO  # the cascade stopped at zero
        elif price < ZERO:
            price = ZERO
            group_base = ZERO
            clamped = True
        price_shown = round_unit_price(price)
        steps.append(LevelStep(level, StepStatus.APPLIED, rate, amount, price_shown, source))

    net_price: NetPriceStep | None = None
    net_winner = winners.get(SLOT_NET_PRICE)
    if net_winner is not None and isinstance(net_winner[0], NetPriceCondition):
        contract = net_winner[0]
        contract_price = to_ordered_unit_price(
            contract.price,
            price_base_units=contract.price_base_units,
            unit_base_units=unit_base_units,
        )
        overrides = contract.mode is NetPriceMode.REPLACE or price < contract_price
        if overrides:
            price = contract_price
            clamped = False  # the net no longer comes from the cascade
        net_price = NetPriceStep(contract, contract_price, overrides)

    net_unit_price = round_unit_price(price)  # the one rounding of the unit price
    line_amount = round_amount(net_unit_price * quantity)  # the one rounding of the line

    free_goods: FreeGoodsCondition | None = None
    free_base_quantity = ZERO
    free_quantity = NO_FREE_QUANTITY
    effective_unit_price = net_unit_price
    free_winner = winners.get(SLOT_FREE_GOODS)
    if free_winner is not None and isinstance(free_winner[0], FreeGoodsCondition):
        free_goods = free_winner[0]
        free_base_quantity = (base_quantity // free_goods.buy_quantity) * free_goods.free_quantity
        free_quantity = round_quantity(free_base_quantity / unit_base_units)
        if free_base_quantity:
            # What the customer pays per unit received, paid and free units together.
            effective_unit_price = round_unit_price(
                line_amount * unit_base_units / (base_quantity + free_base_quantity)
            )
    delivered_base_quantity = base_quantity + free_base_quantity

    # From the exact net: 1 − 39.012624 / 48 = 18.7237 %, not 1 − 39.0126 / 48.
    equivalent_discount_rate = round_rate((ONE - price / gross) * HUNDRED) if gross else NO_RATE

    cost_unit_price: Decimal | None = None
    margin_amount: Decimal | None = None
    margin_rate: Decimal | None = None
    markup_rate: Decimal | None = None
    below_cost = False
    cost_price = request.cost_price
    if cost_price is not None:
        cost_unit_price = round_unit_price(cost_price * unit_base_units)
        total_cost = cost_price * delivered_base_quantity
        margin = line_amount - total_cost
        margin_amount = _unsigned_zero(round_amount(margin))
        if line_amount:
            margin_rate = _unsigned_zero(round_rate(margin / line_amount * HUNDRED))
        if total_cost:
            markup_rate = _unsigned_zero(round_rate(margin / total_cost * HUNDRED))
        below_cost = _sells_below(cost_price, effective_unit_price, unit_base_units)
    resale_floor = request.resale_floor
    below_resale_floor = resale_floor is not None and _sells_below(
        resale_floor, effective_unit_price, unit_base_units
    )

    if below_cost or below_resale_floor or clamped or conflicts:
        flags = PricingFlags(below_cost, below_resale_floor, clamped, conflicts)
    else:
        flags = NO_FLAGS

    return PricedLine(
        request=request,
        gross_price=gross_price,
        gross_unit_price=gross,
        steps=tuple(steps),
        net_price=net_price,
        net_unit_price=net_unit_price,
        line_amount=line_amount,
        free_goods=free_goods,
        free_quantity=free_quantity,
        free_base_quantity=free_base_quantity,
        effective_unit_price=effective_unit_price,
        equivalent_discount_rate=equivalent_discount_rate,
        cost_unit_price=cost_unit_price,
        margin_amount=margin_amount,
        margin_rate=margin_rate,
        markup_rate=markup_rate,
        flags=flags,
    )


def _sells_below(
    floor_per_base_unit: Decimal, effective_unit_price: Decimal, unit_base_units: Decimal
) -> bool:
    """Whether the effective unit price (what is paid per unit received, free goods
    included, as shown at 4 places) is below a floor given per base unit."""
    return effective_unit_price < floor_per_base_unit * unit_base_units


def _unsigned_zero(value: Decimal) -> Decimal:
    """0.00 rather than -0.00 when a small negative value rounds to zero."""
    return value if value else value.copy_abs()
