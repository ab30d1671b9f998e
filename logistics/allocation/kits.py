"""Kits stocked as components: availability and all-or-nothing allocation.

A kit has no stock of its own; each component is allocated FEFO under the line's
rules (delivery date, minimum shelf life against the component's own total life,
past-DDM policy). A partial kit is never shipped, so the number of kits allocated is
the largest k such that every component can give k × its quantity per kit:

    kits_available = min over components of floor(usable ÷ quantity per kit)
    kits_allocated = min(kits requested, kits_available)

Usable component stock that is not allocated because another component (or a
fraction of a kit) limits the count is reported as ``KIT_INCOMPLETE``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .fefo import Ledger, build_plan, check_article_stock, make_rule, take, usable_quantity
from .snapshot import StockSnapshot
from .types import (
    ComponentAllocation,
    Kit,
    KitDemandLine,
    KitPlan,
    MinShelfLife,
    ShortfallReason,
)


def _kits_usable(
    kit: Kit,
    snapshot: StockSnapshot,
    ledger: Ledger,
    *,
    delivery_date: date,
    min_shelf_life: MinShelfLife | None,
    allow_past_ddm: bool,
) -> list[tuple[Decimal, Decimal]]:
    """Per component (in kit order): usable quantity and the kits it alone could give."""
    usable: list[tuple[Decimal, Decimal]] = []
    for component in kit.components:
        check_article_stock(component.article, snapshot, ledger)
        rule = make_rule(
            component.article,
            delivery_date=delivery_date,
            min_shelf_life=min_shelf_life,
            allow_past_ddm=allow_past_ddm,
        )
        quantity = usable_quantity(rule, snapshot, ledger)
        usable.append((quantity, quantity // component.quantity_per_kit))
    return usable


def kit_availability(
    *,
    kit: Kit,
    snapshot: StockSnapshot,
    delivery_date: date,
    min_shelf_life: MinShelfLife | None = None,
    allow_past_ddm: bool = False,
) -> Decimal:
    """Whole kits the snapshot can give under these rules: the minimum over components
    of floor(usable ÷ quantity per kit)."""
    usable = _kits_usable(
        kit,
        snapshot,
        Ledger(),
        delivery_date=delivery_date,
        min_shelf_life=min_shelf_life,
        allow_past_ddm=allow_past_ddm,
    )
    return min(kits for _, kits in usable)


def allocate_kit_in(line: KitDemandLine, snapshot: StockSnapshot, ledger: Ledger) -> KitPlan:
    """Allocate one kit line against ``snapshot`` minus what ``ledger`` already took."""
    usable = _kits_usable(
        line.kit,
        snapshot,
        ledger,
        delivery_date=line.delivery_date,
        min_shelf_life=line.min_shelf_life,
        allow_past_ddm=line.allow_past_ddm,
    )
    kits = min(line.quantity, *(available for _, available in usable))
    is_short = kits < line.quantity
    components: list[ComponentAllocation] = []
    for component, (usable_quantity_, kits_available) in zip(
        line.kit.components, usable, strict=True
    ):
        rule = make_rule(
            component.article,
            delivery_date=line.delivery_date,
            min_shelf_life=line.min_shelf_life,
            allow_past_ddm=line.allow_past_ddm,
        )
        quantity = kits * component.quantity_per_kit
        # Every component can give ``quantity``: kits ≤ its own kits_available.
        result = take(rule, quantity, snapshot, ledger, scan_all=is_short)
        plan = build_plan(
            line_id=line.id,
            article_id=component.article.id,
            requested=line.quantity * component.quantity_per_kit,
            result=result,
            held_back={
                ShortfallReason.KIT_INCOMPLETE: usable_quantity_ - quantity,
                ShortfallReason.TAKEN_BY_EARLIER_LINES: result.taken_before,
            },
        )
        components.append(
            ComponentAllocation(
                article_id=component.article.id,
                quantity_per_kit=component.quantity_per_kit,
                kits_available=kits_available,
                plan=plan,
            )
        )
    return KitPlan(
        line_id=line.id,
        kit_article_id=line.kit.article_id,
        quantity_requested=line.quantity,
        quantity_allocated=kits,
        quantity_short=line.quantity - kits,
        components=tuple(components),
    )


def allocate_kit(line: KitDemandLine, snapshot: StockSnapshot) -> KitPlan:
    """All-or-nothing allocation of whole kits over a whole snapshot (module docstring)."""
    return allocate_kit_in(line, snapshot, Ledger())
