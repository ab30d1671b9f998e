"""Year-end rebates (RFA): the pure computation of a rebate from turnover and tiers.

By step ("escalier"): the rate of the highest threshold reached applies to the whole
turnover. By slice ("tranche"): each rate applies only to the part of the turnover
between its threshold and the next. Example (DOMAIN.md): 0 % / 1 % above 100 k€ /
2.5 % above 250 k€ on 260 k€ by step = 6,500 €; by slice = 1,500 + 250 = 1,750 €.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from comptoir.money import round_amount

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class RebateTierInput:
    threshold: Decimal
    rate: Decimal  # percent


@dataclass(frozen=True, slots=True)
class RebateSlice:
    threshold: Decimal
    upper: Decimal | None
    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class RebateComputation:
    turnover: Decimal
    method: str
    rate_reached: Decimal
    amount: Decimal
    slices: tuple[RebateSlice, ...]


def rebate_compute(*, turnover: Decimal, tiers: Sequence[RebateTierInput], method: str) -> RebateComputation:
    """The rebate on ``turnover`` (excl. VAT) for ``tiers``, by "step" or by "slice".

    Tiers need not be sorted; a turnover below every threshold earns nothing; the
    amount is rounded once to 2 places (ROUND_HALF_UP)."""
    ordered = sorted(tiers, key=lambda tier: tier.threshold)
    reached = [tier for tier in ordered if turnover > tier.threshold or (tier.threshold == 0 and turnover >= 0)]
    rate_reached = reached[-1].rate if reached else Decimal(0)
    slices: list[RebateSlice] = []
    if method == "step":
        amount = round_amount(turnover * rate_reached / HUNDRED) if reached else Decimal("0.00")
        if reached:
            slices.append(RebateSlice(reached[-1].threshold, None, rate_reached, turnover, amount))
        return RebateComputation(turnover, method, rate_reached, amount, tuple(slices))
    if method != "slice":
        raise ValueError(f"unknown rebate method {method!r}")
    exact_total = Decimal(0)
    for position, tier in enumerate(ordered):
        upper = ordered[position + 1].threshold if position + 1 < len(ordered) else None
        if turnover <= tier.threshold:
            break
        top = turnover if upper is None else min(turnover, upper)
        base = top - tier.threshold
        exact = base * tier.rate / HUNDRED
        exact_total += exact
        slices.append(RebateSlice(tier.threshold, upper, tier.rate, base, round_amount(exact)))
    return RebateComputation(turnover, method, rate_reached, round_amount(exact_total), tuple(slices))
