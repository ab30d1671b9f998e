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
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from comptoir.exceptions import ValidationFailed
from comptoir.identifiers import compact_digits, gtin_lookup_forms, validate_gtin

from ..models import (
    Article,
    CustomerAddress,
    CustomerContact,
    CustomerNode,
    Packaging,
    PackagingLevel,
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


@transaction.atomic
def packaging_gtin_assign(
    *, article: Article, level: str, gtin: str, quantity: Decimal | None = None
) -> Packaging:
    """Give ``article`` the GTIN ``gtin`` at packaging ``level``: the cross-reference a
    person fixes when a customer orders by a GTIN we do not know yet.

    Creates the article's packaging of that level (``quantity`` base units; a consumer
    unit holds 1 unless told otherwise), or sets the GTIN of the one it has. Refuses,
    writing nothing: an invalid GTIN (length, check digit); a GTIN another packaging
    already has; a level that already has another GTIN, or whose content is not
    ``quantity`` (a packaging's GTIN and content are changed on the article's page,
    where everything that uses them is in sight). Giving a packaging the GTIN it
    already has returns it unchanged, so running this twice is safe.

    Locks the article's row first (two people mapping GTINs of one article queue); the
    unique constraint on GTINs settles a race between two articles.
    """
    gtin = compact_digits(gtin)
    try:
        validate_gtin(gtin)
    except ValidationError as exc:
        raise ValidationFailed({"gtin": [str(message) for message in exc.messages]}) from exc
    if level not in PackagingLevel.values:
        raise ValidationFailed({"level": [_("Unknown packaging level %(level)s.") % {"level": level}]})
    level_name = PackagingLevel(level).label
    Article.objects.select_for_update().filter(pk=article.pk).first()

    taken = (
        Packaging.objects.filter(gtin__in=gtin_lookup_forms(gtin)).select_related("article").first()
    )
    existing = Packaging.objects.filter(article=article, level=level).first()
    if taken is not None and taken != existing:
        raise ValidationFailed({"gtin": [
            _("GTIN %(gtin)s is already used by article %(article)s (%(level)s).")
            % {"gtin": gtin, "article": taken.article.code, "level": taken.get_level_display()}
        ]})
    if existing is not None:
        if existing.gtin and taken is None:
            raise ValidationFailed({"level": [
                _("The %(level)s of %(article)s already has GTIN %(gtin)s: change it on the "
                  "article's page.")
                % {"level": str(level_name).lower(), "article": article.code, "gtin": existing.gtin}
            ]})
        if quantity is not None and Decimal(quantity) != existing.quantity:
            raise ValidationFailed({"quantity": [
                _("The %(level)s of %(article)s holds %(quantity)s base units: change its "
                  "content on the article's page.")
                % {"level": str(level_name).lower(), "article": article.code,
                   "quantity": f"{existing.quantity.normalize():f}"}
            ]})
        if taken is not None:
            return existing
        row = existing
        row.gtin = gtin
    else:
        if quantity is None and level != PackagingLevel.CONSUMER_UNIT:
            raise ValidationFailed({"quantity": [
                _("How many base units does the %(level)s hold?") % {"level": str(level_name).lower()}
            ]})
        row = Packaging(article=article, level=level, gtin=gtin,
                        quantity=Decimal(1) if quantity is None else Decimal(quantity))
    if row_errors := _row_errors(row, validate_unique=False, validate_constraints=False):
        raise ValidationFailed(row_errors)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:  # another article took the GTIN meanwhile
        raise ValidationFailed({"gtin": [
            _("GTIN %(gtin)s is already used by another packaging.") % {"gtin": gtin}
        ]}) from exc
    return row
