"""Customer article cross-references: a customer's own article number for one of ours.

Every write of ``CustomerArticleReference`` goes through here (screens, API, admin, the
EDI fix-and-replay form). A refusal raises ``ValidationFailed`` keyed by field and
writes nothing.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from comptoir.exceptions import ValidationFailed

from ..models import Article, CustomerArticleReference, CustomerNode, Packaging, PackagingLevel


def _errors_of(row: CustomerArticleReference) -> dict[str, list[str]]:
    """Single-row rules (lengths, choices, the model's ``clean``); uniqueness is checked
    by :func:`_check` with a message that names the article already mapped."""
    try:
        row.full_clean(exclude=["customer_node", "article"], validate_unique=False,
                       validate_constraints=False)
    except ValidationError as exc:
        return {name: [str(message) for message in messages] for name, messages in exc.message_dict.items()}
    return {}


def _check(row: CustomerArticleReference) -> None:
    """Every rule of one reference, all faults at once."""
    row.code = (row.code or "").strip()
    row.description = (row.description or "").strip()
    row.packaging_level = row.packaging_level or ""
    errors = _errors_of(row)
    if row.customer_node_id is None:
        errors.setdefault("customer_node", []).append(_("Choose the customer."))
    if row.article_id is None:
        errors.setdefault("article", []).append(_("Choose the article."))
    if not row.code and "code" not in errors:
        errors["code"] = [_("Give the customer's article number.")]
    level = row.packaging_level
    checkable = level in PackagingLevel.values and row.article_id is not None and "packaging_level" not in errors
    if checkable and not Packaging.objects.filter(article_id=row.article_id, level=level).exists():
        errors["packaging_level"] = [
            _("Article %(article)s has no “%(level)s” packaging: add it on the article's page, or "
              "choose another level.")
            % {"article": row.article.code, "level": PackagingLevel(level).label}
        ]
    if row.code and row.customer_node_id is not None and "code" not in errors:
        taken = (
            CustomerArticleReference.objects.filter(customer_node_id=row.customer_node_id, code=row.code)
            .exclude(pk=row.pk).select_related("article").first()
        )
        if taken is not None:
            errors["code"] = [
                _("%(customer)s already has article number %(code)s (article %(article)s).")
                % {"customer": row.customer_node.code, "code": row.code, "article": taken.article.code}
            ]
    if errors:
        raise ValidationFailed(errors)


def _save(row: CustomerArticleReference) -> CustomerArticleReference:
    _check(row)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:  # someone took the code on this node meanwhile
        raise ValidationFailed({"code": [
            _("%(customer)s already has article number %(code)s.")
            % {"customer": row.customer_node.code, "code": row.code}
        ]}) from exc
    return row


@transaction.atomic
def customer_article_reference_create(
    *,
    customer_node: CustomerNode,
    code: str,
    article: Article,
    packaging_level: str = "",
    description: str = "",
) -> CustomerArticleReference:
    """Record that ``customer_node`` (and every node below it) calls ``article`` by
    ``code``; one unit ordered under that code is ``packaging_level`` ('' = the base
    unit).

    Refuses, writing nothing: an empty code (surrounding spaces are dropped) or one
    longer than 35 characters; a code the node already has (an ancestor's is fine: the
    nearer node wins); a packaging level the article does not have. The unique
    constraint (node, code) settles a race between two people adding the same code.
    """
    row = CustomerArticleReference(customer_node=customer_node, code=code, article=article,
                                   packaging_level=packaging_level, description=description)
    return _save(row)


@transaction.atomic
def customer_article_reference_update(
    *,
    reference: CustomerArticleReference,
    customer_node: CustomerNode | None = None,
    code: str | None = None,
    article: Article | None = None,
    packaging_level: str | None = None,
    description: str | None = None,
) -> CustomerArticleReference:
    """Change a reference; arguments left at None keep their value. The same rules as
    :func:`customer_article_reference_create`. Locks the row, so two editors do not
    overwrite each other's change unseen."""
    row = CustomerArticleReference.objects.select_for_update().get(pk=reference.pk)
    changes = {"customer_node": customer_node, "code": code, "article": article,
               "packaging_level": packaging_level, "description": description}
    for name, value in changes.items():
        if value is not None:
            setattr(row, name, value)
    return _save(row)


@transaction.atomic
def customer_article_reference_delete(*, reference: CustomerArticleReference) -> None:
    """Remove a reference. Orders already received under that code keep their article;
    the next message that uses it falls back to an ancestor's reference, if any."""
    CustomerArticleReference.objects.filter(pk=reference.pk).delete()
