"""Articles and kits."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.exceptions import ValidationFailed

from ..models import Article, KitComponent, PriceList
from .parties import _full_clean


@transaction.atomic
def article_save(article: Article) -> Article:
    """Create or update an article. An article that stops being a kit may not keep
    components (they would be stocked and priced wrongly)."""
    _full_clean(article)
    if article.pk is not None and not article.kit_kind and article.components.exists():
        raise ValidationFailed(
            {"kit_kind": [_("This article has kit components: remove them before it stops being a kit.")]}
        )
    article.save()
    return article


def _components_below(article_ids: set[int]) -> set[int]:
    """Every article reachable from ``article_ids`` through bills of materials."""
    seen: set[int] = set()
    frontier = set(article_ids)
    while frontier:
        seen |= frontier
        frontier = set(
            KitComponent.objects.filter(kit_id__in=frontier).values_list("component_id", flat=True)
        ) - seen
    return seen


@transaction.atomic
def kit_components_set(*, kit: Article, components: Iterable[tuple[Article, Decimal]]) -> list[KitComponent]:
    """Replace the bill of materials of ``kit``.

    Refuses: a kit that is not marked as one, a non-positive quantity, the same
    component twice, and any cycle (a component that contains the kit, however
    deep). Locks the kit row so two editors cannot interleave.
    """
    Article.objects.select_for_update().filter(pk=kit.pk).first()
    if not kit.kit_kind:
        raise ValidationFailed({"kit_kind": [_("%(article)s is not a kit.") % {"article": kit.code}]})
    wanted = list(components)
    errors: list[str] = []
    seen: set[int] = set()
    for component, quantity in wanted:
        if quantity is None or Decimal(quantity) <= 0:
            errors.append(_("Quantity of %(code)s must be positive.") % {"code": component.code})
        if component.pk in seen:
            errors.append(_("%(code)s is listed twice.") % {"code": component.code})
        seen.add(component.pk)
        if component.pk == kit.pk:
            errors.append(_("A kit cannot contain itself."))
    if errors:
        raise ValidationFailed({"components": errors})
    below = _components_below(seen)
    if kit.pk in below:
        culprits = [c.code for c, _q in wanted if kit.pk in _components_below({c.pk})]
        raise ValidationFailed(
            {"components": [_("Cycle: %(codes)s already contain %(kit)s.")
                            % {"codes": ", ".join(culprits), "kit": kit.code}]}
        )
    KitComponent.objects.filter(kit=kit).delete()
    return KitComponent.objects.bulk_create(
        [KitComponent(kit=kit, component=component, quantity=Decimal(quantity)) for component, quantity in wanted]
    )


@transaction.atomic
def price_list_save(price_list: PriceList) -> PriceList:
    """Create or update a price list header; a derivation cycle (a list derived, however
    indirectly, from itself) is refused."""
    _full_clean(price_list)
    seen = {price_list.pk} if price_list.pk else set()
    parent = price_list.parent
    while parent is not None:
        if parent.pk in seen:
            raise ValidationFailed({"parent": [_("This derivation would make a cycle.")]})
        seen.add(parent.pk)
        parent = parent.parent
    price_list.save()
    return price_list
