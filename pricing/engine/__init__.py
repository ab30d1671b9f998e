"""The pure pricing engine: gross price → six discount levels → net price.

No ORM, no I/O, no clock: callers load the candidate prices and conditions, build
frozen :class:`PriceRequest` values (with the pricing date) and get frozen
:class:`PricedLine` results that explain every step. See docs/pricing.md.

Typical use::

    index = index_conditions(conditions, levels=company_levels)
    batch = price_lines(requests, index)
    for line in batch.lines:
        snapshot = line.to_breakdown()
"""

from __future__ import annotations

from .cascade import price_line, price_lines
from .errors import InvalidPricingInput, PriceNotFound
from .levels import DEFAULT_LEVELS, LevelConfig, LevelScheme, Stacking, ValueKind
from .resolution import ConditionIndex, find_conflicts, index_conditions, to_ordered_unit_price
from .results import (
    BREAKDOWN_SCHEMA,
    ConditionConflict,
    JSONValue,
    LevelStep,
    NetPriceStep,
    PricedLine,
    PricingBatch,
    PricingFlags,
    StepStatus,
)
from .types import (
    Condition,
    DiscountCondition,
    FreeGoodsCondition,
    GrossPrice,
    LineId,
    NetPriceCondition,
    NetPriceMode,
    PriceRequest,
    QuantityBreak,
    ScopeKind,
    Tier,
    TierBasis,
    TierCondition,
)

__all__ = [
    "BREAKDOWN_SCHEMA",
    "DEFAULT_LEVELS",
    "Condition",
    "ConditionConflict",
    "ConditionIndex",
    "DiscountCondition",
    "FreeGoodsCondition",
    "GrossPrice",
    "InvalidPricingInput",
    "JSONValue",
    "LevelConfig",
    "LevelScheme",
    "LevelStep",
    "LineId",
    "NetPriceCondition",
    "NetPriceMode",
    "NetPriceStep",
    "PriceNotFound",
    "PriceRequest",
    "PricedLine",
    "PricingBatch",
    "PricingFlags",
    "QuantityBreak",
    "ScopeKind",
    "Stacking",
    "StepStatus",
    "Tier",
    "TierBasis",
    "TierCondition",
    "ValueKind",
    "find_conflicts",
    "index_conditions",
    "price_line",
    "price_lines",
    "to_ordered_unit_price",
]
