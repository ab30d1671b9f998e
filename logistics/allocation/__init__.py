"""The pure stock allocation engine: FEFO, multi-line, kits, fair-share allotment.

No ORM, no I/O, no clock: the service locks the balance rows (primary-key order),
builds frozen :class:`StockBucket` / :class:`SerialUnit` values from them, calls the
engine with the delivery date, and applies the returned plan in the same
transaction. See docs/allocation.md.

Typical use::

    snapshot = StockSnapshot(buckets=buckets, serials=serials)
    batch = allocate_lines(order_lines, snapshot)
    for bucket_id, quantity in batch.consumed.items():
        ...  # reserved = F("reserved") + quantity on the locked balance row
"""

from __future__ import annotations

from .allotment import allot, fair_share
from .batch import allocate_lines
from .errors import InvalidAllocationInput
from .fefo import allocate_line, available_quantity
from .kits import allocate_kit, kit_availability
from .snapshot import StockSnapshot, fefo_key
from .types import (
    AllocationPlan,
    AllotmentPlan,
    AnyDemandLine,
    AnyPlan,
    Article,
    BatchAllocation,
    ComponentAllocation,
    DemandLine,
    ExpiryKind,
    Kit,
    KitComponent,
    KitDemandLine,
    KitPlan,
    LineId,
    LotStatus,
    MinShelfLife,
    Pick,
    PlanFlag,
    SerialUnit,
    ShelfLifeUnit,
    ShortfallDetail,
    ShortfallReason,
    SkippedStock,
    StockBucket,
    StoreAllotment,
    StoreDemand,
    StoreShare,
    TrackingMode,
)

__all__ = [
    "AllocationPlan",
    "AllotmentPlan",
    "AnyDemandLine",
    "AnyPlan",
    "Article",
    "BatchAllocation",
    "ComponentAllocation",
    "DemandLine",
    "ExpiryKind",
    "InvalidAllocationInput",
    "Kit",
    "KitComponent",
    "KitDemandLine",
    "KitPlan",
    "LineId",
    "LotStatus",
    "MinShelfLife",
    "Pick",
    "PlanFlag",
    "SerialUnit",
    "ShelfLifeUnit",
    "ShortfallDetail",
    "ShortfallReason",
    "SkippedStock",
    "StockBucket",
    "StockSnapshot",
    "StoreAllotment",
    "StoreDemand",
    "StoreShare",
    "TrackingMode",
    "allocate_kit",
    "allocate_line",
    "allocate_lines",
    "allot",
    "available_quantity",
    "fair_share",
    "fefo_key",
    "kit_availability",
]
