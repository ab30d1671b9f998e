"""Read use-cases of the trade domain, shared by views, the API, pricing and EDI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from comptoir.identifiers import compact_digits, gtin_lookup_forms

from .models import Article, CustomerNode, Packaging, Supplier

# Settings stored as a pair of columns that inherit together.
_PAIRED = {"min_shelf_life": ("min_shelf_life_value", "min_shelf_life_unit")}


@dataclass(frozen=True)
class InheritedValue:
    """One effective setting: its value and the node it came from (None: default)."""

    name: str
    value: Any
    source: CustomerNode | None
    inherited: bool

    @property
    def is_set(self) -> bool:
        return self.source is not None


@dataclass(frozen=True)
class EffectiveSettings:
    node: CustomerNode
    values: dict[str, InheritedValue] = field(default_factory=dict)

    def __getitem__(self, name: str) -> InheritedValue:
        return self.values[name]

    def value(self, name: str) -> Any:
        return self.values[name].value


def _own_value(node: CustomerNode, name: str) -> Any:
    """The node's own value of a setting, or None when it leaves it to its ancestors."""
    if name in _PAIRED:
        number, unit = (getattr(node, column) for column in _PAIRED[name])
        return (number, unit) if number is not None and unit else None
    if name in {"salesperson", "payment_terms", "invoicing_node", "price_list", "document_template"}:
        return getattr(node, name) if getattr(node, f"{name}_id") is not None else None
    value = getattr(node, name)
    return None if value in ("", None) else value


def _resolve(node: CustomerNode, lineage: list[CustomerNode]) -> EffectiveSettings:
    """``lineage`` runs from the node itself up to its root."""
    values: dict[str, InheritedValue] = {}
    for name in CustomerNode.INHERITABLE_FIELDS:
        for holder in lineage:
            own = _own_value(holder, name)
            if own is not None:
                values[name] = InheritedValue(name, own, holder, holder.pk != node.pk)
                break
        else:
            default = node if name == "invoicing_node" else None
            values[name] = InheritedValue(name, default, None, False)
    return EffectiveSettings(node=node, values=values)


_RELATED = ("salesperson", "payment_terms", "invoicing_node", "price_list", "document_template")


def customer_nodes_effective_settings(nodes: Iterable[CustomerNode]) -> dict[int, EffectiveSettings]:
    """Effective settings of many nodes with one query for all their ancestors.

    Each setting is the node's own value, else that of the nearest ancestor that
    has one; the result says which node it came from. ``invoicing_node`` defaults to
    the node itself when no one in the lineage names one.
    """
    nodes = list(nodes)
    ancestor_ids = {pk for node in nodes for pk in node.ancestor_ids}
    ancestors = {
        row.pk: row for row in CustomerNode.objects.filter(pk__in=ancestor_ids).select_related(*_RELATED)
    }
    result: dict[int, EffectiveSettings] = {}
    for node in nodes:
        lineage = [node] + [ancestors[pk] for pk in reversed(node.ancestor_ids) if pk in ancestors]
        result[node.pk] = _resolve(node, lineage)
    return result


def customer_node_effective_settings(node: CustomerNode | int) -> EffectiveSettings:
    """Effective settings of one node: two queries however deep the node sits."""
    if not isinstance(node, CustomerNode):
        node = CustomerNode.objects.select_related(*_RELATED).get(pk=node)
    return customer_nodes_effective_settings([node])[node.pk]


def customer_node_ancestors(node: CustomerNode) -> list[CustomerNode]:
    """Ancestors from the root down, in one query."""
    rows = {row.pk: row for row in CustomerNode.objects.filter(pk__in=node.ancestor_ids)}
    return [rows[pk] for pk in node.ancestor_ids if pk in rows]


def customer_node_descendants(node: CustomerNode) -> QuerySet[CustomerNode]:
    return CustomerNode.objects.filter(path__startswith=node.path).exclude(pk=node.pk)


def customer_tree_children(parent: CustomerNode | None) -> QuerySet[CustomerNode]:
    """Children of a node (roots when ``parent`` is None), with their child count."""
    queryset = CustomerNode.objects.annotate(child_count=Count("children")).order_by("kind", "code")
    if parent is None:
        return queryset.filter(parent__isnull=True)
    return queryset.filter(parent=parent)


def customer_list(*, search: str = "", kind: str = "", parent_id: int | None = None) -> QuerySet[CustomerNode]:
    queryset = CustomerNode.objects.select_related("parent")
    if search:
        queryset = queryset.filter(
            Q(code__icontains=search) | Q(name__icontains=search) | Q(gln=compact_digits(search))
        )
    if kind:
        queryset = queryset.filter(kind=kind)
    if parent_id:
        queryset = queryset.filter(parent_id=parent_id)
    return queryset


def article_by_gtin(gtin: str) -> Packaging | None:
    """The packaging a GTIN identifies (GTIN-13 and its zero-padded GTIN-14 both match)."""
    return (
        Packaging.objects.select_related("article")
        .filter(gtin__in=gtin_lookup_forms(gtin))
        .first()
    )


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "customer", "supplier", "article"
    pk: int
    code: str
    label: str
    detail: str


def global_search(query: str, *, limit: int = 10, kinds: Iterable[str] = ("customer", "supplier", "article")) -> list[SearchHit]:
    """Search customers, suppliers and articles by code, name, GLN or GTIN.

    A query made of digits is also tried as a GLN/GTIN (exact). Callers pass only
    the kinds the user may view.
    """
    query = query.strip()
    if not query:
        return []
    kinds = set(kinds)
    digits = compact_digits(query)
    is_number = digits.isdigit() and len(digits) >= 8
    hits: list[SearchHit] = []
    if "customer" in kinds:
        condition = Q(code__icontains=query) | Q(name__icontains=query)
        if is_number:
            condition |= Q(gln=digits) | Q(siret=digits) | Q(siren=digits)
        for node in CustomerNode.objects.filter(condition).order_by("depth", "name")[:limit]:
            hits.append(SearchHit("customer", node.pk, node.code, node.name, node.get_kind_display()))
    if "supplier" in kinds:
        condition = Q(code__icontains=query) | Q(name__icontains=query)
        if is_number:
            condition |= Q(gln=digits) | Q(siret=digits)
        for supplier in Supplier.objects.filter(condition)[:limit]:
            hits.append(SearchHit("supplier", supplier.pk, supplier.code, supplier.name, supplier.gln))
    if "article" in kinds:
        condition = Q(code__icontains=query) | Q(designation__icontains=query)
        if is_number:
            condition |= Q(packagings__gtin__in=gtin_lookup_forms(digits))
        for article in Article.objects.filter(condition).select_related("brand").distinct()[:limit]:
            hits.append(
                SearchHit("article", article.pk, article.code, article.designation,
                          article.brand.name if article.brand else "")
            )
    return hits
