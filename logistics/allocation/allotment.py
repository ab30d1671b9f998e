"""Fair-share allotment: short stock shared between stores delivered through a platform.

Method (largest remainder, in whole packaging units; docs/allocation.md):

1. Count in packaging units: each demand must be a whole number ``dᵢ`` of packages;
   the usable stock gives ``A = floor(available ÷ packaging)`` packages.
2. If ``Σdᵢ ≤ A`` every store gets its demand.
3. Otherwise each store's exact quota is ``dᵢ·A / Σd`` (below ``dᵢ`` since ``A < Σd``).
   Each gets the integer part, and the ``A − Σ floor`` packages left go one each to
   the largest fractional parts; equal fractions go to the earlier order
   (``order_rank``), then the lower ``store_id``.

All arithmetic is on integers (the fractional part is compared as ``dᵢ·A mod Σd``),
so there is no rounding. Properties: each store gets ≤ its demand; the total is
``min(Σd, A)`` packages; a store that asked more never gets less than one that asked
less (equal floors imply a larger remainder, which ranks first).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from .errors import InvalidAllocationInput
from .fefo import (
    Ledger,
    build_plan,
    check_article_stock,
    explain_shortfall,
    make_rule,
    take,
    usable_quantity,
)
from .snapshot import StockSnapshot
from .types import (
    ONE,
    ZERO,
    AllotmentPlan,
    Article,
    MinShelfLife,
    ShortfallReason,
    StoreAllotment,
    StoreDemand,
    StoreShare,
    check_quantity,
    is_whole,
)


def _tie_break(demand: StoreDemand) -> tuple[int, int]:
    return (demand.order_rank, demand.store_id)


def fair_share(
    *,
    available: Decimal,
    demands: Sequence[StoreDemand],
    packaging: Decimal = ONE,
) -> tuple[StoreShare, ...]:
    """Share ``available`` base units between ``demands`` in whole ``packaging`` units
    (module docstring). Shares come back in tie-break order (``order_rank``,
    ``store_id``), whatever the order of ``demands``."""
    errors: list[str] = []
    check_quantity("available", available, errors)
    check_quantity("packaging", packaging, errors)
    if not errors and packaging == 0:
        errors.append("packaging must be positive")
    if errors:
        raise InvalidAllocationInput(errors)
    keys = [_tie_break(demand) for demand in demands]
    if len(set(keys)) != len(keys):
        errors.append("two demands have the same order_rank and store_id")
    for demand in demands:
        if demand.quantity % packaging != 0:
            errors.append(
                f"store {demand.store_id}: demand {demand.quantity} is not a whole number "
                f"of packages of {packaging}"
            )
    if errors:
        raise InvalidAllocationInput(errors)

    ordered = sorted(demands, key=_tie_break)
    wanted = [int(demand.quantity // packaging) for demand in ordered]
    packages = int(available // packaging)
    total = sum(wanted)
    if total <= packages:
        given = list(wanted)
    else:
        given = [units * packages // total for units in wanted]
        remainders = [units * packages % total for units in wanted]
        left = packages - sum(given)
        # ``ordered`` is already in tie-break order and sorted() is stable.
        for index in sorted(range(len(ordered)), key=lambda i: -remainders[i])[:left]:
            given[index] += 1
    return tuple(
        StoreShare(
            store_id=demand.store_id,
            line_id=demand.line_id,
            order_rank=demand.order_rank,
            quantity_demanded=demand.quantity,
            quantity_allotted=units * packaging,
        )
        for demand, units in zip(ordered, given, strict=True)
    )


def allot(
    *,
    article: Article,
    demands: Sequence[StoreDemand],
    snapshot: StockSnapshot,
    delivery_date: date,
    packaging: Decimal = ONE,
    min_shelf_life: MinShelfLife | None = None,
    allow_past_ddm: bool = False,
) -> AllotmentPlan:
    """Fair-share ``article`` between stores, then pick each share FEFO.

    The usable quantity is what FEFO could give one line with these rules (the
    platform's); it is shared with :func:`fair_share`, then each store's share is
    picked from the shared buckets in tie-break order, so earlier orders get the
    earlier-expiring lots. Every share is served in full (the shares add up to at
    most the usable quantity). A store's shortfall is explained as RATIONED (the
    stock went to other stores), PARTIAL_PACKAGE (usable stock short of a whole
    package), then the excluded lots, then NO_STOCK.
    """
    if article.is_serial and not is_whole(packaging):
        raise InvalidAllocationInput(
            [f"article {article.id} is serial-tracked: packaging must be whole units"]
        )
    ledger = Ledger()
    check_article_stock(article, snapshot, ledger)
    rule = make_rule(
        article,
        delivery_date=delivery_date,
        min_shelf_life=min_shelf_life,
        allow_past_ddm=allow_past_ddm,
    )
    usable = usable_quantity(rule, snapshot, ledger)
    excluded = take(rule, ZERO, snapshot, Ledger(), scan_all=True).skipped
    shares = fair_share(available=usable, demands=demands, packaging=packaging)
    allotted = sum((share.quantity_allotted for share in shares), ZERO)
    demanded = sum((share.quantity_demanded for share in shares), ZERO)
    partial_package = usable - allotted

    stores: list[StoreAllotment] = []
    for share in shares:
        is_short = share.quantity_allotted < share.quantity_demanded
        result = take(rule, share.quantity_allotted, snapshot, ledger, scan_all=is_short)
        plan = build_plan(
            line_id=share.line_id,
            article_id=article.id,
            requested=share.quantity_demanded,
            result=result,
            held_back={
                ShortfallReason.RATIONED: allotted - share.quantity_allotted,
                ShortfallReason.PARTIAL_PACKAGE: partial_package,
            },
        )
        stores.append(StoreAllotment(share=share, plan=plan))

    return AllotmentPlan(
        article_id=article.id,
        packaging=packaging,
        quantity_usable=usable,
        quantity_demanded=demanded,
        quantity_allotted=allotted,
        stores=tuple(stores),
        shortfall=explain_shortfall(
            demanded - allotted,
            excluded,
            {ShortfallReason.PARTIAL_PACKAGE: partial_package},
        ),
        consumed=ledger.consumed_mapping(),
        serials_allocated=frozenset(ledger.serials),
    )
