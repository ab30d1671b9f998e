"""Frozen inputs of the pricing engine: what the caller loads and passes in.

Units: every quantity on a condition or a gross-price break (minimum quantity,
quantity tier thresholds, free goods "buy N get M") is in **base units** of the
article, so one condition holds whatever packaging a line is ordered in. Prices
and amounts carry the number of base units they are for (``base_units``: 1 for a
price per base unit, 12 for a price per case of 12). Rates are percentages
(``Decimal("10")`` is 10 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeAlias

from .errors import InvalidPricingInput

ZERO = Decimal(0)
ONE = Decimal(1)

LineId: TypeAlias = int | str


class ScopeKind(StrEnum):
    """What a condition covers, from the most to the least specific."""

    ARTICLE = "article"
    BRAND = "brand"
    FAMILY = "family"  # the family and all its sub-families
    ALL = "all"


class NetPriceMode(StrEnum):
    REPLACE = "replace"  # the contract net price replaces the cascade result
    FLOOR = "floor"  # the net price may not go below the contract net price


class TierBasis(StrEnum):
    QUANTITY = "quantity"  # thresholds in base units
    LAYER = "layer"  # thresholds in full layers reached
    PALLET = "pallet"  # thresholds in full pallets reached


def _check_validity(valid_from: date | None, valid_to: date | None, errors: list[str]) -> None:
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        errors.append(f"valid_to {valid_to} is before valid_from {valid_from}")


@dataclass(frozen=True, slots=True, kw_only=True)
class QuantityBreak:
    """From ``min_quantity`` base units on, the price list gives ``unit_price``."""

    min_quantity: Decimal
    unit_price: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class GrossPrice:
    """A gross price candidate for one article from one price list.

    ``unit_price`` is for ``base_units`` base units. Among the candidates of a
    request valid on its date the engine takes the lowest ``priority`` (the caller
    gives 0 to the list the node holds, higher numbers to inherited lists), then
    the one whose ``base_units`` equals the ordered packaging, then the later
    ``valid_from``, then the lowest ``price_list_id``.
    """

    price_list_id: int
    price_list_code: str
    unit_price: Decimal
    base_units: Decimal = ONE
    breaks: tuple[QuantityBreak, ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None
    priority: int = 0

    def __post_init__(self) -> None:
        errors: list[str] = []
        if self.unit_price < 0 or any(b.unit_price < 0 for b in self.breaks):
            errors.append(f"price list {self.price_list_code}: negative gross price")
        if self.base_units <= 0:
            errors.append(f"price list {self.price_list_code}: base_units must be positive")
        _check_validity(self.valid_from, self.valid_to, errors)
        if errors:
            raise InvalidPricingInput(errors)


@dataclass(frozen=True, slots=True, kw_only=True)
class _ConditionFields:
    """Fields every condition has. ``node_id`` is the customer node the contract is
    attached to; ``scope_id`` is None exactly when ``scope_kind`` is ALL; dates are
    inclusive, None is open; ``min_quantity`` is in base units."""

    id: int
    contract_id: int
    contract_code: str
    node_id: int
    scope_kind: ScopeKind = ScopeKind.ALL
    scope_id: int | None = None
    min_quantity: Decimal = ZERO
    valid_from: date | None = None
    valid_to: date | None = None


def _common_errors(condition: _ConditionFields) -> list[str]:
    errors: list[str] = []
    if (condition.scope_kind is ScopeKind.ALL) != (condition.scope_id is None):
        errors.append(f"condition {condition.id}: scope_id must be set unless the scope is all")
    if condition.min_quantity < 0:
        errors.append(f"condition {condition.id}: negative min_quantity")
    _check_validity(condition.valid_from, condition.valid_to, errors)
    return errors


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscountCondition(_ConditionFields):
    """A discount at ``level``: a ``rate`` (percent) or an ``amount`` per
    ``amount_base_units`` base units, never both. Negative values are surcharges."""

    level: int
    rate: Decimal | None = None
    amount: Decimal | None = None
    amount_base_units: Decimal = ONE

    def __post_init__(self) -> None:
        errors = _common_errors(self)
        if (self.rate is None) == (self.amount is None):
            errors.append(f"condition {self.id}: give a rate or an amount, not both")
        if self.amount_base_units <= 0:
            errors.append(f"condition {self.id}: amount_base_units must be positive")
        if errors:
            raise InvalidPricingInput(errors)


@dataclass(frozen=True, slots=True, kw_only=True)
class Tier:
    """From ``threshold`` reached (base units, layers or pallets) the rate is ``rate``."""

    threshold: Decimal
    rate: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class TierCondition(_ConditionFields):
    """Quantity tiers: the rate of the highest threshold reached, at ``level``.

    A tier condition whose lowest threshold is not reached does not apply (like a
    condition whose minimum quantity is not reached)."""

    level: int
    basis: TierBasis
    tiers: tuple[Tier, ...]

    def __post_init__(self) -> None:
        errors = _common_errors(self)
        if not self.tiers:
            errors.append(f"condition {self.id}: a tier condition needs at least one tier")
        thresholds = [tier.threshold for tier in self.tiers]
        if len(set(thresholds)) != len(thresholds) or any(t < 0 for t in thresholds):
            errors.append(f"condition {self.id}: tier thresholds must be distinct and >= 0")
        if errors:
            raise InvalidPricingInput(errors)
        # Highest threshold first: the engine takes the first one reached.
        ordered = tuple(sorted(self.tiers, key=lambda tier: tier.threshold, reverse=True))
        object.__setattr__(self, "tiers", ordered)


@dataclass(frozen=True, slots=True, kw_only=True)
class NetPriceCondition(_ConditionFields):
    """A contract net price of ``price`` per ``price_base_units`` base units."""

    price: Decimal
    mode: NetPriceMode = NetPriceMode.REPLACE
    price_base_units: Decimal = ONE

    def __post_init__(self) -> None:
        errors = _common_errors(self)
        if self.price < 0:
            errors.append(f"condition {self.id}: negative net price")
        if self.price_base_units <= 0:
            errors.append(f"condition {self.id}: price_base_units must be positive")
        if errors:
            raise InvalidPricingInput(errors)


@dataclass(frozen=True, slots=True, kw_only=True)
class FreeGoodsCondition(_ConditionFields):
    """Free goods "N + M": per ``buy_quantity`` (N) base units ordered,
    ``free_quantity`` (M) base units of the same article are free."""

    buy_quantity: Decimal
    free_quantity: Decimal

    def __post_init__(self) -> None:
        errors = _common_errors(self)
        if self.buy_quantity <= 0 or self.free_quantity <= 0:
            errors.append(f"condition {self.id}: free goods need N > 0 and M > 0")
        if errors:
            raise InvalidPricingInput(errors)


Condition: TypeAlias = DiscountCondition | TierCondition | NetPriceCondition | FreeGoodsCondition


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceRequest:
    """One line to price.

    ``customer_path`` lists node ids nearest first (store → platform → buying
    group → chain); ``family_lineage`` lists family ids from the root to the
    article's own family. ``quantity`` is in the ordered ``unit``, which holds
    ``base_units_per_unit`` base units; layer and pallet sizes are in base units
    (None when the packaging is unknown: no layer/pallet tier can then apply).
    ``cost_price`` and ``resale_floor`` are per base unit. ``on_date`` is the
    pricing date: the engine never reads the clock.
    """

    line_id: LineId
    article_id: int
    brand_id: int | None
    family_lineage: tuple[int, ...]
    customer_path: tuple[int, ...]
    on_date: date
    quantity: Decimal
    gross_prices: tuple[GrossPrice, ...]
    unit: str = "unit"
    base_units_per_unit: Decimal = ONE
    base_units_per_layer: Decimal | None = None
    base_units_per_pallet: Decimal | None = None
    cost_price: Decimal | None = None
    resale_floor: Decimal | None = None

    def __post_init__(self) -> None:
        errors: list[str] = []
        if self.quantity < 0:
            errors.append(f"line {self.line_id}: negative quantity")
        if self.base_units_per_unit <= 0:
            errors.append(f"line {self.line_id}: base_units_per_unit must be positive")
        for name, size in (
            ("base_units_per_layer", self.base_units_per_layer),
            ("base_units_per_pallet", self.base_units_per_pallet),
        ):
            if size is not None and size <= 0:
                errors.append(f"line {self.line_id}: {name} must be positive")
        if len(set(self.customer_path)) != len(self.customer_path):
            errors.append(f"line {self.line_id}: a node appears twice in the customer path")
        if errors:
            raise InvalidPricingInput(errors)
