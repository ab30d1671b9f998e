"""Write use-cases of pricing: contracts and their conditions (with conflict detection),
contract transitions, price list lines. Each public function is one transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.exceptions import DomainError, InvalidTransition, ValidationFailed
from trade.models import Article, CustomerNode
from trade.services import price_list_save  # noqa: F401 - re-exported: pricing callers use it here

from . import engine
from .models import (
    Condition,
    ConditionKind,
    ConditionTier,
    Contract,
    ContractStatus,
    ContractStatusChange,
    DiscountLevel,
    PriceListItem,
    RebateAgreement,
)
from .selectors import engine_conditions, level_scheme, rebate_status

# The contract life: one table, one service per transition.
CONTRACT_TRANSITIONS: dict[str, set[str]] = {
    ContractStatus.DRAFT: {ContractStatus.ACTIVE, ContractStatus.TERMINATED},
    ContractStatus.ACTIVE: {ContractStatus.EXPIRED, ContractStatus.TERMINATED},
    ContractStatus.EXPIRED: set(),
    ContractStatus.TERMINATED: set(),
}


class ConditionConflict(DomainError):
    code = "condition_conflict"


def _validation(exc: ValidationError) -> ValidationFailed:
    return ValidationFailed({field: [str(m) for m in messages] for field, messages in exc.message_dict.items()})


def _full_clean(instance, exclude: list[str] | None = None) -> None:  # noqa: ANN001
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise _validation(exc) from exc


def contract_nodes(contract: Contract) -> list[int]:
    """The nodes a contract stands on: its node, or the members of its segment."""
    if contract.node_id:
        return [contract.node_id]
    return list(contract.segment.nodes.values_list("pk", flat=True)) if contract.segment_id else []


def describe_condition(condition: Condition) -> str:
    slot = (
        _("level %(level)s") % {"level": condition.level}
        if condition.level else condition.get_kind_display()
    )
    return _("%(contract)s condition #%(id)s (%(slot)s, %(scope)s)") % {
        "contract": condition.contract.code, "id": condition.pk, "slot": slot, "scope": condition.scope_label,
    }


def contract_conflicts(contract: Contract, *, extra: Iterable[Condition] = ()) -> list[tuple[Condition, Condition]]:
    """Pairs (condition of this contract, condition it ties with) — within the contract
    or against an active contract on the same nodes. A tie is what the engine could not
    order: same level (or net price / free goods), node, scope, overlapping dates and
    the same start date."""
    nodes = contract_nodes(contract)
    if not nodes:
        return []
    own = list(contract.conditions.select_related("contract").prefetch_related("tiers")) + list(extra)
    own_ids = {c.pk for c in own}
    others = list(
        Condition.objects.filter(contract__status=ContractStatus.ACTIVE)
        .filter(Q(contract__node_id__in=nodes) | Q(contract__segment__nodes__in=nodes))
        .exclude(contract=contract).distinct().select_related("contract").prefetch_related("tiers")
    )
    rows = {c.pk: c for c in own + others}
    node_map: dict[int, list[int]] = {}
    for row in rows.values():
        row_nodes = nodes if row.contract_id == contract.pk else contract_nodes(row.contract)
        node_map[row.contract_id] = [n for n in row_nodes if n in nodes]
    candidates = engine_conditions(rows.values(), contract_nodes=node_map)
    pairs: list[tuple[Condition, Condition]] = []
    seen: set[tuple[int, int]] = set()
    for conflict in engine.find_conflicts(candidates):
        ids = conflict.condition_ids
        for first in ids:
            if first not in own_ids:
                continue
            for second in ids:
                key = (min(first, second), max(first, second))
                if second != first and key not in seen:
                    seen.add(key)
                    pairs.append((rows[first], rows[second]))
    return pairs


def _raise_conflicts(pairs: Sequence[tuple[Condition, Condition]]) -> None:
    if pairs:
        messages = [
            _("%(first)s ties with %(second)s: same level, customer, scope and start date.")
            % {"first": describe_condition(a), "second": describe_condition(b)}
            for a, b in pairs
        ]
        raise ConditionConflict(
            messages[0],
            conflicts=[{"condition": a.pk, "with": b.pk, "message": m} for (a, b), m in zip(pairs, messages, strict=True)],
        )


@transaction.atomic
def contract_save(contract: Contract) -> Contract:
    """Create or update a contract's header. An active contract's conditions are
    checked again for conflicts (its dates or node may have moved)."""
    if contract.pk is not None:
        Contract.objects.select_for_update().filter(pk=contract.pk).first()
    _full_clean(contract, exclude=["status"])
    if contract.status in (ContractStatus.EXPIRED, ContractStatus.TERMINATED) and contract.pk is not None:
        raise InvalidTransition(_("An expired or terminated contract cannot be changed."))
    contract.save()
    if contract.status == ContractStatus.ACTIVE:
        _raise_conflicts(contract_conflicts(contract))
    return contract


@dataclass(frozen=True)
class TierInput:
    threshold: Decimal
    rate: Decimal


@transaction.atomic
def condition_save(condition: Condition, *, tiers: Sequence[TierInput] | None = None) -> Condition:
    """Create or update a condition (and its tiers) of a draft or active contract.

    Refused: a closed contract; a condition that does not fit the company's levels (a
    rate on an amount level, …); and a tie with another condition of the same
    contract or of an active contract on the same nodes — both are named. Nothing is
    written when refused."""
    contract = Contract.objects.select_for_update().get(pk=condition.contract_id)
    if contract.status not in (ContractStatus.DRAFT, ContractStatus.ACTIVE):
        raise InvalidTransition(_("Conditions of an expired or terminated contract cannot change."))
    _full_clean(condition)
    condition.save()
    if tiers is not None:
        condition.tiers.all().delete()
        thresholds = [t.threshold for t in tiers]
        if len(set(thresholds)) != len(thresholds):
            raise ValidationFailed({"tiers": [_("Two tiers have the same threshold.")]})
        ConditionTier.objects.bulk_create(
            [ConditionTier(condition=condition, threshold=t.threshold, rate=t.rate) for t in tiers]
        )
    if condition.kind == "tiers" and not condition.tiers.exists():
        raise ValidationFailed({"tiers": [_("Quantity tiers need at least one tier.")]})
    try:
        rows = [Condition.objects.select_related("contract").prefetch_related("tiers").get(pk=condition.pk)]
        engine.index_conditions(engine_conditions(rows, contract_nodes={contract.pk: [0]}), levels=level_scheme())
    except engine.InvalidPricingInput as exc:
        raise ValidationFailed({"level": [str(m) for m in exc.details.get("errors", [exc.message])]}) from exc
    _raise_conflicts(contract_conflicts(contract))
    return condition


@transaction.atomic
def condition_delete(condition: Condition) -> None:
    contract = Contract.objects.select_for_update().get(pk=condition.contract_id)
    if contract.status not in (ContractStatus.DRAFT, ContractStatus.ACTIVE):
        raise InvalidTransition(_("Conditions of an expired or terminated contract cannot change."))
    condition.delete()


def _transition(contract: Contract, to_status: str, *, user) -> Contract:  # noqa: ANN001
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if to_status not in CONTRACT_TRANSITIONS[locked.status]:
        raise InvalidTransition(
            _("A %(from)s contract cannot become %(to)s.")
            % {"from": locked.get_status_display(), "to": ContractStatus(to_status).label},
            from_status=locked.status, to_status=to_status,
        )
    ContractStatusChange.objects.create(
        contract=locked, from_status=locked.status, to_status=to_status,
        changed_by=user if getattr(user, "is_authenticated", False) else None,
    )
    locked.status = to_status
    locked.save(update_fields=["status", "updated_at"])
    contract.status = to_status
    return locked


@transaction.atomic
def contract_activate(contract: Contract, *, user) -> Contract:  # noqa: ANN001
    """draft → active, refused when a condition ties with an active one."""
    locked = _transition(contract, ContractStatus.ACTIVE, user=user)
    _raise_conflicts(contract_conflicts(locked))
    return locked


@transaction.atomic
def contract_terminate(contract: Contract, *, user) -> Contract:  # noqa: ANN001
    return _transition(contract, ContractStatus.TERMINATED, user=user)


@transaction.atomic
def contracts_expire(*, on_date: date) -> int:
    """Active contracts whose end date is past become expired (run daily by Celery)."""
    expired = 0
    for contract in Contract.objects.filter(status=ContractStatus.ACTIVE, valid_to__lt=on_date).order_by("pk"):
        _transition(contract, ContractStatus.EXPIRED, user=None)
        expired += 1
    return expired


@dataclass(frozen=True)
class ContractImpact:
    node_count: int
    store_count: int
    article_count: int
    nodes: tuple[CustomerNode, ...]  # the nodes it stands on


def contract_impact(contract: Contract) -> ContractImpact:
    """Which customer nodes (with everything below them) and how many articles a
    contract affects."""
    base_nodes = list(CustomerNode.objects.filter(pk__in=contract_nodes(contract)))
    subtree = Q(pk__in=[])
    for node in base_nodes:
        subtree |= Q(path__startswith=node.path)
    covered = CustomerNode.objects.filter(subtree)
    articles = Article.objects.none()
    scopes = list(contract.conditions.values_list("scope_kind", "family__path", "brand_id", "article_id"))
    if any(kind == "all" for kind, *_rest in scopes):
        articles = Article.objects.all()
    else:
        condition = Q(pk__in=[])
        for kind, family_path, brand_id, article_id in scopes:
            if kind == "family":
                condition |= Q(family__path__startswith=family_path)
            elif kind == "brand":
                condition |= Q(brand_id=brand_id)
            elif kind == "article":
                condition |= Q(pk=article_id)
        articles = Article.objects.filter(condition)
    return ContractImpact(
        node_count=covered.count(),
        store_count=covered.filter(kind="store").count(),
        article_count=articles.distinct().count(),
        nodes=tuple(base_nodes),
    )


@transaction.atomic
def price_list_item_save(item: PriceListItem) -> PriceListItem:
    _full_clean(item)
    item.save()
    return item


@transaction.atomic
def rebate_settle(agreement: RebateAgreement, *, on_date: date, user) -> RebateAgreement:  # noqa: ANN001
    """Close a year-end rebate agreement once its period has ended: freeze the turnover
    and the rebate earned. The settlement statement is what a credit note will carry
    when invoicing exists. Settling twice is refused."""
    locked = RebateAgreement.objects.select_for_update().get(pk=agreement.pk)
    if locked.settled_at is not None:
        raise InvalidTransition(_("This agreement is already settled."))
    if on_date <= locked.period_end:
        raise InvalidTransition(
            _("The period ends on %(end)s: it can be settled from the next day.") % {"end": locked.period_end}
        )
    status = rebate_status(locked, on_date=locked.period_end)
    locked.settled_at = timezone.now()
    locked.settled_turnover = status.turnover_to_date
    locked.settled_amount = status.accrued.amount
    locked.settled_by = user if getattr(user, "is_authenticated", False) else None
    locked.save(update_fields=["settled_at", "settled_turnover", "settled_amount", "settled_by"])
    return locked


LEVEL_FIELDS = ("label", "order", "value_kind", "stacking", "exclusive")


def _level_config(row: DiscountLevel) -> engine.LevelConfig:
    return engine.LevelConfig(
        number=row.number,
        label=row.label,
        order=row.order,
        value_kind=engine.ValueKind(row.value_kind),
        stacking=engine.Stacking(row.stacking),
        exclusive=row.exclusive,
    )


def _scheme_of(rows: Iterable[DiscountLevel]) -> engine.LevelScheme:
    """The levels as the engine's scheme; ValidationFailed naming what is wrong."""
    rows = sorted(rows, key=lambda row: row.number)
    by_order: dict[int, list[DiscountLevel]] = defaultdict(list)
    for row in rows:
        by_order[row.order].append(row)
    clashes = [
        _("%(levels)s are all at place %(order)s in the cascade.")
        % {"levels": ", ".join(str(row) for row in same), "order": order}
        for order, same in sorted(by_order.items())
        if len(same) > 1
    ]
    if clashes:
        raise ValidationFailed({"order": clashes})
    try:
        return engine.LevelScheme(levels=tuple(_level_config(row) for row in rows))
    except engine.InvalidPricingInput as exc:
        raise ValidationFailed({"levels": list(exc.errors)}) from exc


def _check_conditions_fit(scheme: engine.LevelScheme, numbers: Sequence[int]) -> None:
    """Refuse a scheme that would leave a condition of a draft or active contract unfit
    for its level (a rate on a level turned to amounts, tiers on an amount level)."""
    rows = list(
        Condition.objects.filter(
            level__in=numbers,
            kind__in=[ConditionKind.DISCOUNT, ConditionKind.TIERS],
            contract__status__in=[ContractStatus.DRAFT, ContractStatus.ACTIVE],
        )
        .select_related("contract", "family", "brand", "article")
        .prefetch_related("tiers")
        .order_by("pk")
    )
    nodes = {row.contract_id: [0] for row in rows}  # the node does not matter for the fit
    try:
        engine.index_conditions(engine_conditions(rows, contract_nodes=nodes), levels=scheme)
    except engine.InvalidPricingInput:
        unfit = []
        for row in rows:
            try:
                engine.index_conditions(
                    engine_conditions([row], contract_nodes=nodes), levels=scheme
                )
            except engine.InvalidPricingInput as exc:
                unfit.append(f"{describe_condition(row)}: {exc.errors[0]}")
        raise ValidationFailed(
            {"value_kind": unfit[:20]},
            message=_("%(count)s condition(s) would not fit their level any more, e.g. %(first)s")
            % {"count": len(unfit), "first": unfit[0]},
        ) from None


def discount_levels_save(changes: Mapping[int, Mapping[str, Any]]) -> list[DiscountLevel]:
    """Change the company's six discount levels, checked together, in one transaction.

    ``changes`` maps a level number to new values of ``LEVEL_FIELDS``. Locks the six
    rows (by number), applies the changes in memory and refuses with
    ``ValidationFailed`` — writing nothing — a set that is not a valid
    ``engine.LevelScheme`` (two levels at one place, …) or that would leave a
    condition of a draft or active contract unfit for its level. Places are unique:
    moved rows first step out of 1–6 so that a swap never meets the constraint.

    The API (one level, or the six at once) and the settings page both call it.
    """
    with transaction.atomic():
        rows = {
            row.number: row for row in DiscountLevel.objects.select_for_update().order_by("number")
        }
        unknown = sorted(set(changes) - set(rows))
        if unknown:
            raise ValidationFailed(
                {"number": [_("Unknown level(s): %(numbers)s.") % {"numbers": unknown}]}
            )
        before = {number: (row.order, row.value_kind) for number, row in rows.items()}
        for number, values in changes.items():
            for name, value in values.items():
                setattr(rows[number], name, value)
        scheme = _scheme_of(rows.values())
        kind_changed = [
            number for number, row in rows.items() if row.value_kind != before[number][1]
        ]
        if kind_changed:
            _check_conditions_fit(scheme, kind_changed)
        moved = [row for number, row in rows.items() if row.order != before[number][0]]
        if moved:
            final = {row.pk: row.order for row in moved}
            for row in moved:
                row.order = 100 + row.number
            DiscountLevel.objects.bulk_update(moved, ["order"])
            for row in moved:
                row.order = final[row.pk]
        DiscountLevel.objects.bulk_update(list(rows.values()), list(LEVEL_FIELDS))
    return sorted(rows.values(), key=lambda row: row.order)
