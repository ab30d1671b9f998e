"""Frozen inputs and results of the allocation engine.

Units: every quantity is a ``Decimal`` in **base units** of its article (the unit
the stock ledger counts in), with at most three decimals (``QUANTITY_PLACES``).
Dates are calendar dates passed in by the caller: the engine has no clock.

Inputs are validated when they are built: a negative, non-``Decimal`` or over-precise
quantity, an inconsistent lot or an impossible rule raises
:class:`~logistics.allocation.errors.InvalidAllocationInput` listing every problem.
Results check their own arithmetic (allocated + short = requested, the picks add
up to the allocated quantity, the shortfall reasons add up to the shortfall).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import TypeAlias

from comptoir.money import round_quantity

from .errors import InvalidAllocationInput

ZERO = Decimal(0)
ONE = Decimal(1)

LineId: TypeAlias = int | str


class TrackingMode(StrEnum):
    """How an article's stock is identified (values match ``trade.models.TrackingMode``)."""

    NONE = "none"
    LOT = "lot"
    LOT_DLC = "lot_dlc"
    LOT_DDM = "lot_ddm"
    SERIAL = "serial"


class ExpiryKind(StrEnum):
    DLC = "dlc"  # use-by: hard, never delivered after it
    DDM = "ddm"  # best-before: may be delivered after it when the policy allows, flagged


class LotStatus(StrEnum):
    AVAILABLE = "available"
    QUARANTINED = "quarantined"
    BLOCKED = "blocked"
    RECALLED = "recalled"


class ShelfLifeUnit(StrEnum):
    """Unit of a customer's minimum remaining shelf life (values match
    ``trade.models.ShelfLifeUnit``)."""

    DAYS = "days"
    PERCENT = "percent"


class ShortfallReason(StrEnum):
    """Why part of a line could not be allocated. A shortfall is split between
    reasons in this declaration order (see docs/allocation.md)."""

    KIT_INCOMPLETE = "kit_incomplete"  # usable, held back: another component limits the kits
    RATIONED = "rationed"  # usable, went to other stores in a fair-share allotment
    PARTIAL_PACKAGE = "partial_package"  # usable, but less than a whole packaging unit
    TAKEN_BY_EARLIER_LINES = "taken_by_earlier_lines"  # usable, allocated to a line before
    TOO_SHORT_DATED = "too_short_dated"  # less remaining life than the customer requires
    DDM_PAST = "ddm_past"  # best-before passed and the policy forbids it
    EXPIRED = "expired"  # use-by (DLC) passed on the delivery date
    QUARANTINED = "quarantined"
    BLOCKED = "blocked"
    RECALLED = "recalled"
    NO_STOCK = "no_stock"  # nothing else explains it: the stock is not there


SHORTFALL_ORDER: tuple[ShortfallReason, ...] = tuple(ShortfallReason)

STATUS_REASON: Mapping[LotStatus, ShortfallReason] = {
    LotStatus.QUARANTINED: ShortfallReason.QUARANTINED,
    LotStatus.BLOCKED: ShortfallReason.BLOCKED,
    LotStatus.RECALLED: ShortfallReason.RECALLED,
}


class PlanFlag(StrEnum):
    DDM_PAST = "ddm_past"  # a pick's best-before date is before the delivery date


DATED_MODES = frozenset({TrackingMode.LOT_DLC, TrackingMode.LOT_DDM})
EXPIRY_KIND_OF: Mapping[TrackingMode, ExpiryKind] = {
    TrackingMode.LOT_DLC: ExpiryKind.DLC,
    TrackingMode.LOT_DDM: ExpiryKind.DDM,
}


def check_quantity(name: str, value: object, errors: list[str]) -> None:
    """Append an error unless ``value`` is a finite, non-negative ``Decimal`` with at
    most the quantity precision (three decimals)."""
    if not isinstance(value, Decimal):
        errors.append(f"{name} must be a Decimal, not {type(value).__name__}")
    elif not value.is_finite():
        errors.append(f"{name} must be finite, not {value}")
    elif value < 0:
        errors.append(f"{name} must not be negative: {value}")
    elif round_quantity(value) != value:
        errors.append(f"{name} has more than three decimals: {value}")


def is_whole(value: Decimal) -> bool:
    return value == value.to_integral_value()


def _raise_if(errors: list[str]) -> None:
    if errors:
        raise InvalidAllocationInput(errors)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True, kw_only=True)
class Article:
    """What the engine needs of an article. ``shelf_life_days`` is the total life
    from production to the DLC/DDM; dated articles must have it (as in the catalogue)."""

    id: int
    tracking_mode: TrackingMode = TrackingMode.NONE
    shelf_life_days: int | None = None

    def __post_init__(self) -> None:
        errors: list[str] = []
        if self.shelf_life_days is not None and self.shelf_life_days <= 0:
            errors.append(f"article {self.id}: shelf_life_days must be positive")
        if self.tracking_mode in DATED_MODES and self.shelf_life_days is None:
            errors.append(f"article {self.id}: a DLC/DDM-tracked article needs shelf_life_days")
        _raise_if(errors)

    @property
    def is_dated(self) -> bool:
        return self.tracking_mode in DATED_MODES

    @property
    def is_serial(self) -> bool:
        return self.tracking_mode is TrackingMode.SERIAL


@dataclass(frozen=True, slots=True, kw_only=True)
class MinShelfLife:
    """A customer's minimum remaining shelf life at the delivery date: ``value`` days,
    or ``value`` % of the article's total shelf life (rounded up to whole days)."""

    value: int
    unit: ShelfLifeUnit = ShelfLifeUnit.DAYS

    def __post_init__(self) -> None:
        errors: list[str] = []
        if self.value < 0:
            errors.append(f"minimum shelf life must not be negative: {self.value}")
        if self.unit is ShelfLifeUnit.PERCENT and self.value > 100:
            errors.append(f"minimum shelf life cannot exceed 100 %: {self.value}")
        _raise_if(errors)

    def required_days(self, shelf_life_days: int) -> int:
        """Days of life the lot must still have at delivery. A percentage rounds up:
        the customer gets at least what they asked for, never a day less."""
        if self.unit is ShelfLifeUnit.DAYS:
            return self.value
        return -(-self.value * shelf_life_days // 100)


@dataclass(frozen=True, slots=True, kw_only=True)
class StockBucket:
    """One balance row of the locked snapshot: an article's stock in one lot at one
    location. ``quantity_available`` is on hand − reserved − blocked at snapshot time.

    ``picking_order`` ranks the location along the picking path (lower is picked
    first). ``expiry_date`` and ``expiry_kind`` come together: the lot's DLC or DDM.
    """

    id: int
    article_id: int
    location_id: int
    quantity_available: Decimal
    picking_order: int = 0
    lot_id: int | None = None
    lot_number: str | None = None
    expiry_date: date | None = None
    expiry_kind: ExpiryKind | None = None
    receipt_date: date | None = None
    status: LotStatus = LotStatus.AVAILABLE

    def __post_init__(self) -> None:
        errors: list[str] = []
        check_quantity(f"bucket {self.id}: quantity_available", self.quantity_available, errors)
        if (self.expiry_date is None) != (self.expiry_kind is None):
            errors.append(f"bucket {self.id}: give both expiry_date and expiry_kind, or neither")
        if self.expiry_date is not None and self.lot_id is None:
            errors.append(f"bucket {self.id}: a dated bucket must belong to a lot")
        _raise_if(errors)


@dataclass(frozen=True, slots=True, kw_only=True)
class SerialUnit:
    """One serial-numbered unit of a serial-tracked article, where it is now."""

    id: int
    article_id: int
    serial_number: str
    location_id: int
    picking_order: int = 0
    receipt_date: date | None = None
    status: LotStatus = LotStatus.AVAILABLE

    def __post_init__(self) -> None:
        if not self.serial_number:
            raise InvalidAllocationInput([f"serial {self.id}: empty serial number"])


@dataclass(frozen=True, slots=True, kw_only=True)
class DemandLine:
    """One quantity of one article wanted for a delivery date, under the customer's
    rules. ``allow_past_ddm`` lets lots past their best-before date be allocated
    (flagged); use-by (DLC) lots are never allocated past their date."""

    id: LineId
    article: Article
    quantity: Decimal
    delivery_date: date
    min_shelf_life: MinShelfLife | None = None
    allow_past_ddm: bool = False

    def __post_init__(self) -> None:
        errors: list[str] = []
        check_quantity(f"line {self.id}: quantity", self.quantity, errors)
        if not errors and self.article.is_serial and not is_whole(self.quantity):
            errors.append(f"line {self.id}: a serial-tracked article is allocated in whole units")
        _raise_if(errors)


@dataclass(frozen=True, slots=True, kw_only=True)
class KitComponent:
    article: Article
    quantity_per_kit: Decimal

    def __post_init__(self) -> None:
        errors: list[str] = []
        name = f"kit component {self.article.id}: quantity_per_kit"
        check_quantity(name, self.quantity_per_kit, errors)
        if not errors and self.quantity_per_kit == 0:
            errors.append(f"{name} must be positive")
        if not errors and self.article.is_serial and not is_whole(self.quantity_per_kit):
            errors.append(f"{name} must be whole for a serial-tracked component")
        _raise_if(errors)


@dataclass(frozen=True, slots=True, kw_only=True)
class Kit:
    """A kit "stocked as components": its bill of materials. Components are kept in
    article id order so that allocation visits them deterministically."""

    article_id: int
    components: tuple[KitComponent, ...]

    def __post_init__(self) -> None:
        errors: list[str] = []
        ids = [component.article.id for component in self.components]
        if not ids:
            errors.append(f"kit {self.article_id}: a kit needs at least one component")
        if len(set(ids)) != len(ids):
            errors.append(f"kit {self.article_id}: a component is listed twice")
        if self.article_id in ids:
            errors.append(f"kit {self.article_id}: a kit cannot be its own component")
        _raise_if(errors)
        ordered = tuple(sorted(self.components, key=lambda component: component.article.id))
        object.__setattr__(self, "components", ordered)


@dataclass(frozen=True, slots=True, kw_only=True)
class KitDemandLine:
    """Whole kits wanted: each component is allocated FEFO under the same rules."""

    id: LineId
    kit: Kit
    quantity: Decimal
    delivery_date: date
    min_shelf_life: MinShelfLife | None = None
    allow_past_ddm: bool = False

    def __post_init__(self) -> None:
        errors: list[str] = []
        check_quantity(f"line {self.id}: quantity", self.quantity, errors)
        if not errors and not is_whole(self.quantity):
            errors.append(f"line {self.id}: kits are allocated in whole kits")
        _raise_if(errors)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreDemand:
    """One store's demand in a fair-share allotment. ``order_rank`` is the position of
    its order in arrival order (lower is earlier) and breaks ties, then ``store_id``."""

    store_id: int
    line_id: LineId
    quantity: Decimal
    order_rank: int = 0

    def __post_init__(self) -> None:
        errors: list[str] = []
        check_quantity(f"store {self.store_id}: quantity", self.quantity, errors)
        _raise_if(errors)


# -------------------------------------------------------------------------- results


def _no_consumption() -> Mapping[int, Decimal]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class Pick:
    """Take ``quantity`` from one bucket, or one serial unit (``quantity`` 1)."""

    quantity: Decimal
    location_id: int
    bucket_id: int | None = None
    lot_id: int | None = None
    lot_number: str | None = None
    expiry_date: date | None = None
    expiry_kind: ExpiryKind | None = None
    serial_id: int | None = None
    serial_number: str | None = None
    is_past_ddm: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedStock:
    """Stock the engine passed over for a line, and why. ``quantity`` is what was
    left in the bucket (1 for a serial). For expiry reasons ``remaining_days`` is the
    lot's life left at the delivery date (negative once past); ``required_days`` is
    the customer's minimum for TOO_SHORT_DATED."""

    reason: ShortfallReason
    quantity: Decimal
    location_id: int
    bucket_id: int | None = None
    lot_id: int | None = None
    lot_number: str | None = None
    expiry_date: date | None = None
    expiry_kind: ExpiryKind | None = None
    serial_id: int | None = None
    serial_number: str | None = None
    remaining_days: int | None = None
    required_days: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ShortfallDetail:
    """``quantity`` of the shortfall is explained by ``reason``; ``skipped`` lists the
    stock excluded for that reason (it may hold more than the quantity explained)."""

    reason: ShortfallReason
    quantity: Decimal
    skipped: tuple[SkippedStock, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class AllocationPlan:
    """What to reserve for one line.

    ``picks`` are in FEFO order. ``skipped`` lists the excluded stock the engine met
    before the line was served: every excluded bucket or serial when the line is
    short. ``shortfall`` splits ``quantity_short`` between reasons (empty when the
    line is served in full).
    """

    line_id: LineId
    article_id: int
    quantity_requested: Decimal
    quantity_allocated: Decimal
    quantity_short: Decimal
    picks: tuple[Pick, ...] = ()
    skipped: tuple[SkippedStock, ...] = ()
    shortfall: tuple[ShortfallDetail, ...] = ()
    flags: frozenset[PlanFlag] = frozenset()

    def __post_init__(self) -> None:
        errors: list[str] = []
        if self.quantity_allocated + self.quantity_short != self.quantity_requested:
            errors.append(f"line {self.line_id}: allocated + short differs from requested")
        if sum((pick.quantity for pick in self.picks), ZERO) != self.quantity_allocated:
            errors.append(f"line {self.line_id}: picks do not add up to the allocated quantity")
        if sum((detail.quantity for detail in self.shortfall), ZERO) != self.quantity_short:
            errors.append(f"line {self.line_id}: shortfall reasons do not add up")
        _raise_if(errors)

    @property
    def is_complete(self) -> bool:
        return self.quantity_short == 0

    def shortfall_quantity(self, reason: ShortfallReason) -> Decimal:
        return sum((d.quantity for d in self.shortfall if d.reason is reason), ZERO)


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentAllocation:
    """One component of a kit line: ``kits_available`` is how many kits this component
    alone could give; ``plan`` asks for kits requested × per kit."""

    article_id: int
    quantity_per_kit: Decimal
    kits_available: Decimal
    plan: AllocationPlan


@dataclass(frozen=True, slots=True, kw_only=True)
class KitPlan:
    """Kits allocated all-or-nothing per kit: ``kits_allocated`` is the largest k such
    that every component gives k × its quantity per kit."""

    line_id: LineId
    kit_article_id: int
    quantity_requested: Decimal
    quantity_allocated: Decimal
    quantity_short: Decimal
    components: tuple[ComponentAllocation, ...]

    @property
    def is_complete(self) -> bool:
        return self.quantity_short == 0

    @property
    def flags(self) -> frozenset[PlanFlag]:
        return frozenset().union(*(component.plan.flags for component in self.components))


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreShare:
    """One store's fair share: ``quantity_allotted`` ≤ ``quantity_demanded``, a whole
    number of packaging units."""

    store_id: int
    line_id: LineId
    order_rank: int
    quantity_demanded: Decimal
    quantity_allotted: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreAllotment:
    share: StoreShare
    plan: AllocationPlan


@dataclass(frozen=True, slots=True, kw_only=True)
class AllotmentPlan:
    """A fair-share allotment of one article between stores, turned into FEFO picks.

    ``quantity_usable`` is what the article's lots could give under the rules;
    ``stores`` are in tie-break order (``order_rank``, ``store_id``), which is also
    the order their picks were taken in (earlier orders get the earlier lots).
    ``shortfall`` explains the whole allotment's shortfall, as for one line asking
    the total demand.
    """

    article_id: int
    packaging: Decimal
    quantity_usable: Decimal
    quantity_demanded: Decimal
    quantity_allotted: Decimal
    stores: tuple[StoreAllotment, ...]
    shortfall: tuple[ShortfallDetail, ...]
    consumed: Mapping[int, Decimal] = field(default_factory=_no_consumption)
    serials_allocated: frozenset[int] = frozenset()


AnyPlan: TypeAlias = AllocationPlan | KitPlan
AnyDemandLine: TypeAlias = DemandLine | KitDemandLine


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchAllocation:
    """Plans of several lines over one snapshot, in the priority order given.
    ``consumed`` maps each touched bucket id to the quantity picked from it by all the
    lines; ``serials_allocated`` are the serial ids picked. Pass both to
    :meth:`StockSnapshot.without` to allocate further lines over what is left."""

    plans: tuple[AnyPlan, ...]
    consumed: Mapping[int, Decimal] = field(default_factory=_no_consumption)
    serials_allocated: frozenset[int] = frozenset()
