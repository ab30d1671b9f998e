"""Nested rows of master data: a parent's addresses, contacts and packagings.

Each ``*_set`` function makes the parent's rows exactly the given items, in one
transaction: an item with an ``id`` updates that row, one without creates a row,
rows left out are deleted (packagings have no id: they are matched by level). Every
row is checked with ``full_clean`` and the cross-row rules (ids of this parent,
listed once; one packaging per level; a GTIN used once) before anything is written,
so a refusal leaves nothing half-saved. Errors name the item: ``addresses[0].city``.

``child_id_errors`` and ``packaging_errors`` return the same cross-row refusals keyed
by item index, for an input layer that reports nested errors in its own shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from comptoir.exceptions import ValidationFailed
from comptoir.identifiers import gtin_lookup_forms

from ..models import (
    Article,
    CustomerAddress,
    CustomerContact,
    CustomerNode,
    Packaging,
    Supplier,
    SupplierAddress,
    SupplierContact,
)

Item = Mapping[str, Any]
IndexedErrors = dict[int, dict[str, list[str]]]


# --------------------------------------------------------------------------- checks


def child_id_errors(*, items: Sequence[Item], known: set[int], label: str) -> IndexedErrors:
    """Ids that are repeated or that are not among ``known`` (the parent's rows)."""
    errors: IndexedErrors = {}
    seen: set[int] = set()
    for index, item in enumerate(items):
        pk = item.get("id")
        if pk is None:
            continue
        if pk in seen:
            errors[index] = {"id": [_("This %(label)s is listed twice.") % {"label": label}]}
        elif pk not in known:
            errors[index] = {
                "id": [_("This %(label)s does not belong to this record.") % {"label": label}]
            }
        seen.add(pk)
    return errors


def packaging_errors(*, article: Article | None, items: Sequence[Item]) -> IndexedErrors:
    """A level or a GTIN listed twice, or a GTIN already used by another article."""
    errors: IndexedErrors = {}
    levels: set[str] = set()
    gtins: dict[str, int] = {}
    for index, item in enumerate(items):
        if item["level"] in levels:
            errors.setdefault(index, {})["level"] = [_("This packaging level is listed twice.")]
        levels.add(item["level"])
        gtin = item.get("gtin") or ""
        if gtin:
            forms = gtin_lookup_forms(gtin)
            if any(form in gtins for form in forms):
                errors.setdefault(index, {})["gtin"] = [_("This GTIN is listed twice.")]
            for form in forms:
                gtins[form] = index
    taken = Packaging.objects.filter(gtin__in=list(gtins)).select_related("article")
    if article is not None and article.pk is not None:
        taken = taken.exclude(article=article)
    for packaging in taken:
        errors.setdefault(gtins[packaging.gtin], {}).setdefault("gtin", []).append(
            _("GTIN %(gtin)s is already used by article %(article)s.")
            % {"gtin": packaging.gtin, "article": packaging.article.code}
        )
    return errors


def _raise(field: str, errors: IndexedErrors) -> None:
    if errors:
        raise ValidationFailed(
            {
                f"{field}[{index}].{name}": messages
                for index, row_errors in sorted(errors.items())
                for name, messages in row_errors.items()
            }
        )


def _row_errors(row: models.Model, **options: Any) -> dict[str, list[str]]:
    try:
        row.full_clean(**options)
    except ValidationError as exc:
        return {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
    return {}


# --------------------------------------------------------------------------- id-matched rows


def _children_set(
    *,
    parent: models.Model,
    model: type[models.Model],
    parent_field: str,
    items: Sequence[Item],
    field: str,
    label: str,
) -> list[models.Model]:
    # Lock the parent's rows (by primary key, so two writers queue in the same order),
    # and query afresh: the parent may carry a prefetched (now stale) copy of its rows.
    rows = model._default_manager.filter(**{parent_field: parent})
    existing = {row.pk: row for row in rows.select_for_update().order_by("pk")}
    _raise(field, child_id_errors(items=items, known=set(existing), label=label))

    wanted: list[models.Model] = []
    errors: IndexedErrors = {}
    for index, item in enumerate(items):
        data = dict(item)
        pk = data.pop("id", None)
        row = existing[pk] if pk is not None else model(**{parent_field: parent})
        for name, value in data.items():
            setattr(row, name, value)
        if row_errors := _row_errors(row, exclude=[parent_field]):
            errors[index] = row_errors
        wanted.append(row)
    _raise(field, errors)

    rows.exclude(pk__in=[row.pk for row in wanted if row.pk is not None]).delete()
    for row in wanted:
        row.save()
    return wanted


@transaction.atomic
def customer_addresses_set(*, node: CustomerNode, items: Sequence[Item]) -> list[CustomerAddress]:
    """Make the customer node's addresses exactly ``items``."""
    return _children_set(  # type: ignore[return-value]
        parent=node, model=CustomerAddress, parent_field="customer",
        items=items, field="addresses", label=_("address"),
    )


@transaction.atomic
def customer_contacts_set(*, node: CustomerNode, items: Sequence[Item]) -> list[CustomerContact]:
    """Make the customer node's contacts exactly ``items``."""
    return _children_set(  # type: ignore[return-value]
        parent=node, model=CustomerContact, parent_field="customer",
        items=items, field="contacts", label=_("contact"),
    )


@transaction.atomic
def supplier_addresses_set(*, supplier: Supplier, items: Sequence[Item]) -> list[SupplierAddress]:
    """Make the supplier's addresses exactly ``items``."""
    return _children_set(  # type: ignore[return-value]
        parent=supplier, model=SupplierAddress, parent_field="supplier",
        items=items, field="addresses", label=_("address"),
    )


@transaction.atomic
def supplier_contacts_set(*, supplier: Supplier, items: Sequence[Item]) -> list[SupplierContact]:
    """Make the supplier's contacts exactly ``items``."""
    return _children_set(  # type: ignore[return-value]
        parent=supplier, model=SupplierContact, parent_field="supplier",
        items=items, field="contacts", label=_("contact"),
    )


# --------------------------------------------------------------------------- packagings


@transaction.atomic
def article_packagings_set(*, article: Article, items: Sequence[Item]) -> list[Packaging]:
    """Make the article's packagings exactly ``items``, matched by level (a level's
    row keeps its id)."""
    rows = Packaging.objects.filter(article=article)
    existing = {row.level: row for row in rows.select_for_update().order_by("pk")}
    stored_gtins = {level: row.gtin for level, row in existing.items()}
    _raise("packagings", packaging_errors(article=article, items=items))

    wanted: dict[str, Packaging] = {}
    errors: IndexedErrors = {}
    for index, item in enumerate(items):
        level = item["level"]
        row = existing.get(level) or Packaging(article=article, level=level)
        for name, value in item.items():
            setattr(row, name, value)
        # Uniqueness is the cross-row check above: a GTIN may move between levels in
        # one request, which a row-by-row check against the stored rows would refuse.
        if row_errors := _row_errors(
            row, exclude=["article"], validate_unique=False, validate_constraints=False
        ):
            errors[index] = row_errors
        wanted[level] = row
    _raise("packagings", errors)

    rows.exclude(level__in=list(wanted)).delete()
    # Free the GTINs that change first so the unique constraint never sees two rows
    # holding one.
    changing = [
        row.pk for level, row in existing.items()
        if level in wanted and stored_gtins[level] != row.gtin
    ]
    Packaging.objects.filter(pk__in=changing).update(gtin="")
    for row in wanted.values():
        row.save()
    return list(wanted.values())
