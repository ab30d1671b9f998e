"""Several demand lines allocated over one shared snapshot, in priority order."""

from __future__ import annotations

from collections.abc import Sequence

from .fefo import Ledger, allocate_in, check_unique_line_ids
from .kits import allocate_kit_in
from .snapshot import StockSnapshot
from .types import AnyDemandLine, AnyPlan, BatchAllocation, KitDemandLine


def allocate_lines(lines: Sequence[AnyDemandLine], snapshot: StockSnapshot) -> BatchAllocation:
    """Allocate ``lines`` one after the other, in the order given (the caller's
    priority: an order's line numbers, or orders by date), each line FEFO over what
    the lines before it left. Kit lines allocate their components all-or-nothing.

    Invariant the concurrency-safe service relies on: for every bucket, the picks of
    all lines add up to at most its ``quantity_available``, and no serial is picked
    twice. ``consumed`` gives those totals, ready for one bulk update of the locked
    balance rows. Line ids must be unique.
    """
    check_unique_line_ids([line.id for line in lines])
    ledger = Ledger()
    plans: list[AnyPlan] = []
    for line in lines:
        if isinstance(line, KitDemandLine):
            plans.append(allocate_kit_in(line, snapshot, ledger))
        else:
            plans.append(allocate_in(line, snapshot, ledger))
    return BatchAllocation(
        plans=tuple(plans),
        consumed=ledger.consumed_mapping(),
        serials_allocated=frozenset(ledger.serials),
    )
