"""Frozen outputs of the pricing engine and the JSON breakdown stored on lines."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple, TypeAlias

from .levels import LevelConfig
from .types import (
    Condition,
    FreeGoodsCondition,
    GrossPrice,
    LineId,
    NetPriceCondition,
    PriceRequest,
    ScopeKind,
)

JSONValue: TypeAlias = "str | int | bool | None | list[JSONValue] | dict[str, JSONValue]"

BREAKDOWN_SCHEMA = 1


class StepStatus(StrEnum):
    APPLIED = "applied"  # a condition set this level
    NONE = "none"  # no condition applies at this level
    OVERRIDDEN = "overridden"  # a condition was found but a later exclusive level cancelled it


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionConflict:
    """Conditions that tie for one slot (a level, the net price or free goods) at one
    node and scope: the configuration does not say which one applies."""

    slot: str  # "level_1" … "level_6", "net_price", "free_goods"
    node_id: int
    scope_kind: ScopeKind
    scope_id: int | None
    condition_ids: tuple[int, ...]  # sorted


class LevelStep(NamedTuple):
    """One level of the cascade for one line.

    ``rate`` (percent, 4 places) or ``amount`` (per ordered unit, 4 places) is what
    the level's condition gives, None when no condition applies. ``price_after`` is
    the price left after this level, shown at 4 places; the cascade itself carries
    the exact value (see docs/pricing.md, "Rounding").

    Immutable like the other results, but a named tuple rather than a frozen
    dataclass: a priced line builds six of them, and a frozen dataclass costs about
    three times as much to build (a sixth of the batch time).
    """

    level: LevelConfig
    status: StepStatus
    rate: Decimal | None
    amount: Decimal | None
    price_after: Decimal
    source: Condition | None

    @property
    def condition_id(self) -> int | None:
        return None if self.source is None else self.source.id

    @property
    def contract_code(self) -> str | None:
        return None if self.source is None else self.source.contract_code


@dataclass(frozen=True, slots=True)
class NetPriceStep:
    """A contract net price found for the line. ``price`` is per ordered unit;
    ``applied`` is always true for REPLACE, and true for FLOOR when the cascade
    went below it."""

    source: NetPriceCondition
    price: Decimal
    applied: bool


@dataclass(frozen=True, slots=True)
class PricingFlags:
    below_cost: bool = False
    below_resale_floor: bool = False
    clamped_at_zero: bool = False
    conflicts: tuple[ConditionConflict, ...] = ()

    @property
    def has_conflict(self) -> bool:
        return bool(self.conflicts)

    @property
    def conflict_condition_ids(self) -> tuple[int, ...]:
        return tuple(sorted({cid for conflict in self.conflicts for cid in conflict.condition_ids}))


NO_FLAGS = PricingFlags()


@dataclass(frozen=True, slots=True, kw_only=True)
class PricedLine:
    """A priced line and how it was priced.

    Invariants: ``net_unit_price`` and ``effective_unit_price`` have 4 places,
    ``line_amount`` and ``margin_amount`` 2; ``line_amount`` =
    round_amount(net_unit_price × quantity); prices are never negative; ``steps``
    holds the six levels in cascade order.
    """

    request: PriceRequest
    gross_price: GrossPrice
    gross_unit_price: Decimal
    steps: tuple[LevelStep, ...]
    net_price: NetPriceStep | None
    net_unit_price: Decimal
    line_amount: Decimal
    free_goods: FreeGoodsCondition | None
    free_quantity: Decimal
    free_base_quantity: Decimal
    effective_unit_price: Decimal
    equivalent_discount_rate: Decimal
    cost_unit_price: Decimal | None
    margin_amount: Decimal | None
    margin_rate: Decimal | None
    markup_rate: Decimal | None
    flags: PricingFlags

    @property
    def line_id(self) -> LineId:
        return self.request.line_id

    @property
    def price_list_code(self) -> str:
        return self.gross_price.price_list_code

    def step(self, level_number: int) -> LevelStep:
        """The step of the level with this number."""
        for step in self.steps:
            if step.level.number == level_number:
                return step
        raise KeyError(level_number)

    def to_breakdown(self) -> dict[str, JSONValue]:
        """The snapshot stored on a document line: JSON-able, decimals as strings."""
        request = self.request
        margin: JSONValue = None
        if self.cost_unit_price is not None:
            margin = {
                "cost_unit_price": _dec(self.cost_unit_price),
                "amount": _opt_dec(self.margin_amount),
                "rate_on_sales": _opt_dec(self.margin_rate),
                "rate_on_cost": _opt_dec(self.markup_rate),
            }
        net_price: JSONValue = None
        if self.net_price is not None:
            net_price = {
                "mode": self.net_price.source.mode.value,
                "price": _dec(self.net_price.price),
                "applied": self.net_price.applied,
                "source": _source(self.net_price.source),
            }
        free_goods: JSONValue = None
        if self.free_goods is not None:
            free_goods = {
                "buy_quantity": _dec(self.free_goods.buy_quantity),
                "free_per_buy": _dec(self.free_goods.free_quantity),
                "free_quantity": _dec(self.free_quantity),
                "free_base_quantity": _dec(self.free_base_quantity),
                "source": _source(self.free_goods),
            }
        flags = self.flags
        return {
            "schema": BREAKDOWN_SCHEMA,
            "line_id": request.line_id,
            "article_id": request.article_id,
            "date": request.on_date.isoformat(),
            "quantity": _dec(request.quantity),
            "unit": request.unit,
            "base_units_per_unit": _dec(request.base_units_per_unit),
            "gross": {
                "unit_price": _dec(self.gross_unit_price),
                "price_list_id": self.gross_price.price_list_id,
                "price_list_code": self.gross_price.price_list_code,
            },
            "levels": [_step(step) for step in self.steps],
            "net_price": net_price,
            "net_unit_price": _dec(self.net_unit_price),
            "line_amount": _dec(self.line_amount),
            "free_goods": free_goods,
            "effective_unit_price": _dec(self.effective_unit_price),
            "equivalent_discount_rate": _dec(self.equivalent_discount_rate),
            "margin": margin,
            "flags": {
                "below_cost": flags.below_cost,
                "below_resale_floor": flags.below_resale_floor,
                "clamped_at_zero": flags.clamped_at_zero,
                "conflicts": [_conflict(conflict) for conflict in flags.conflicts],
            },
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PricingBatch:
    """The result of pricing many lines: priced lines in request order, and the ids
    of the lines that have no gross price (they are left out of ``lines``)."""

    lines: tuple[PricedLine, ...]
    unpriced_line_ids: tuple[LineId, ...]


def _dec(value: Decimal) -> str:
    # Fixed-point notation: never "4E+1" in a stored snapshot.
    return format(value, "f")


def _opt_dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _source(condition: Condition) -> dict[str, JSONValue]:
    return {
        "condition_id": condition.id,
        "contract_id": condition.contract_id,
        "contract_code": condition.contract_code,
        "node_id": condition.node_id,
        "scope_kind": condition.scope_kind.value,
        "scope_id": condition.scope_id,
    }


def _step(step: LevelStep) -> dict[str, JSONValue]:
    level = step.level
    return {
        "level": level.number,
        "label": level.label,
        "order": level.order,
        "value_kind": level.value_kind.value,
        "stacking": level.stacking.value,
        "exclusive": level.exclusive,
        "status": step.status.value,
        "rate": _opt_dec(step.rate),
        "amount": _opt_dec(step.amount),
        "price_after": _dec(step.price_after),
        "source": None if step.source is None else _source(step.source),
    }


def _conflict(conflict: ConditionConflict) -> dict[str, JSONValue]:
    return {
        "slot": conflict.slot,
        "node_id": conflict.node_id,
        "scope_kind": conflict.scope_kind.value,
        "scope_id": conflict.scope_id,
        "condition_ids": list(conflict.condition_ids),
    }
