"""Read use-cases of the trade domain, shared by views, the API, pricing and EDI."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from comptoir.identifiers import compact_digits, gtin_lookup_forms

from .models import Article, CustomerArticleReference, CustomerNode, Packaging, Supplier

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


class _RelatedInheritedValue(InheritedValue):
    """A setting that is a related object (price list, payment terms…): the object is
    read when ``value`` is first asked for, through the source node's foreign key (one
    query by primary key, then cached on that node), so that resolving the settings
    costs one plain read of the lineage, and a caller pays only for the objects it
    uses. An invoiced node among the rows the lineage read returned is taken from
    them, without a query."""

    def __init__(self, name: str, source: CustomerNode, inherited: bool,
                 loaded: dict[int, CustomerNode]) -> None:
        # Frozen like its base: attributes are set once, here.
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "inherited", inherited)
        object.__setattr__(self, "_loaded", loaded)

    @property  # type: ignore[override]
    def value(self) -> Any:
        if self.name == "invoicing_node":
            known = self._loaded.get(self.source.invoicing_node_id)
            if known is not None:
                return known
        return getattr(self.source, self.name)


@dataclass(frozen=True)
class EffectiveSettings:
    node: CustomerNode
    values: dict[str, InheritedValue] = field(default_factory=dict)
    # The node's ancestors as read to resolve the settings, nearest first, and the
    # node's own row read with them (current, whereas ``node`` is the caller's).
    ancestors: tuple[CustomerNode, ...] = ()
    node_read: CustomerNode | None = None

    @property
    def lineage_read(self) -> dict[int, CustomerNode]:
        """The rows read, by id: the node's own and its ancestors'."""
        rows = {row.pk: row for row in self.ancestors}
        if self.node_read is not None:
            rows[self.node_read.pk] = self.node_read
        return rows

    def __getitem__(self, name: str) -> InheritedValue:
        return self.values[name]

    def value(self, name: str) -> Any:
        return self.values[name].value


_RELATED = ("salesperson", "payment_terms", "invoicing_node", "price_list", "document_template")


def _own_value(node: CustomerNode, name: str) -> Any:
    """The node's own value of a setting, or None when it leaves it to its ancestors
    (a related object: its id, the object is read only when asked for)."""
    if name in _PAIRED:
        number, unit = (getattr(node, column) for column in _PAIRED[name])
        return (number, unit) if number is not None and unit else None
    if name in _RELATED:
        return getattr(node, f"{name}_id")
    value = getattr(node, name)
    return None if value in ("", None) else value


def _resolve(node: CustomerNode, lineage: list[CustomerNode], loaded: dict[int, CustomerNode],
             node_read: CustomerNode | None = None) -> EffectiveSettings:
    """``lineage`` runs from the node itself (the caller's instance) up to its root;
    ``loaded``: the rows read, by id; ``node_read``: the node's row as read."""
    values: dict[str, InheritedValue] = {}
    for name in CustomerNode.INHERITABLE_FIELDS:
        for holder in lineage:
            own = _own_value(holder, name)
            if own is not None:
                inherited = holder.pk != node.pk
                values[name] = (_RelatedInheritedValue(name, holder, inherited, loaded) if name in _RELATED
                                else InheritedValue(name, own, holder, inherited))
                break
        else:
            default = node if name == "invoicing_node" else None
            values[name] = InheritedValue(name, default, None, False)
    return EffectiveSettings(node=node, values=values, ancestors=tuple(lineage[1:]), node_read=node_read)


def customer_nodes_effective_settings(nodes: Iterable[CustomerNode]) -> dict[int, EffectiveSettings]:
    """Effective settings of many nodes with one query for all their ancestors.

    Each setting is the node's own value, else that of the nearest ancestor that
    has one; the result says which node it came from. ``invoicing_node`` defaults to
    the node itself when no one in the lineage names one. A setting that is a related
    object (salesperson, payment terms, invoiced node, price list, document template)
    is read when its value is first asked for (one query by primary key, none for an
    invoiced node of the lineage): the lineage read itself joins nothing.
    """
    nodes = list(nodes)
    # The nodes' own rows come along (current flags for the caller's checks); their
    # settings are resolved from the instances given, as they stand.
    lineage_ids = {pk for node in nodes for pk in (*node.ancestor_ids, node.pk)}
    rows = {row.pk: row for row in CustomerNode.objects.filter(pk__in=lineage_ids).order_by()}
    result: dict[int, EffectiveSettings] = {}
    for node in nodes:
        lineage = [node] + [rows[pk] for pk in reversed(node.ancestor_ids) if pk in rows]
        result[node.pk] = _resolve(node, lineage, rows, rows.get(node.pk))
    return result


def customer_node_effective_settings(node: CustomerNode | int) -> EffectiveSettings:
    """Effective settings of one node: two queries however deep the node sits (one
    when given the node)."""
    if not isinstance(node, CustomerNode):
        node = CustomerNode.objects.get(pk=node)
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


def article_suggestions(query: str, *, limit: int) -> list[Article]:
    """Articles for a type-ahead: code or designation containing ``query``, or one of
    whose GTINs it is (8 digits or more), by code."""
    condition = Q(code__icontains=query) | Q(designation__icontains=query)
    digits = compact_digits(query)
    if digits.isdigit() and len(digits) >= 8:
        condition |= Q(pk__in=Packaging.objects.filter(gtin__in=gtin_lookup_forms(digits)).values("article_id"))
    return list(Article.objects.filter(condition).order_by("code")[:limit])


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


# --------------------------------------------------------------- customer article references


@dataclass(frozen=True)
class ArticleReferenceRow:
    """A customer article reference as it applies to a node: its own, or inherited from
    the ancestor that holds it (``reference.customer_node``)."""

    reference: CustomerArticleReference
    inherited: bool

    @property
    def source(self) -> CustomerNode:
        return self.reference.customer_node


def _nearest_by_code(
    rows: Iterable[CustomerArticleReference], lineage_ids: list[int]
) -> dict[str, CustomerArticleReference]:
    """For each code, the reference of the deepest node of the lineage (root first)."""
    rank = {pk: index for index, pk in enumerate(lineage_ids)}
    nearest: dict[str, CustomerArticleReference] = {}
    for row in rows:
        held = nearest.get(row.code)
        if held is None or rank[row.customer_node_id] > rank[held.customer_node_id]:
            nearest[row.code] = row
    return nearest


def customer_article_references_resolve(
    *, node: CustomerNode, codes: Iterable[str]
) -> dict[str, tuple[Article, str]]:
    """The article and packaging level ('' = base unit) each of the customer's article
    numbers ``codes`` designates for ``node``: a reference of the node itself, else of
    the nearest ancestor that has one. Codes are compared without surrounding spaces;
    a code nobody maps is absent from the result. One query, whatever the depth of the
    node and the number of codes (none when there is no code)."""
    wanted = {code.strip() for code in codes if code and code.strip()}
    lineage = node.lineage_ids
    if not wanted or not lineage:
        return {}
    rows = (
        CustomerArticleReference.objects.filter(customer_node_id__in=lineage, code__in=wanted)
        .select_related("article").order_by()
    )
    return {code: (row.article, row.packaging_level) for code, row in _nearest_by_code(rows, lineage).items()}


def customer_article_references_for(node: CustomerNode, *, search: str = "") -> list[ArticleReferenceRow]:
    """Every reference that applies to ``node``, by code: its own and those it inherits
    (an ancestor's code that a nearer node also maps is left out: it does not apply).
    ``search`` narrows to codes, article codes or designations containing it. One query."""
    lineage = node.lineage_ids or [node.pk]
    rows = CustomerArticleReference.objects.filter(customer_node_id__in=lineage).select_related(
        "article", "customer_node"
    )
    search = search.strip()
    if search:
        # Narrow on the codes that match, but keep every row of those codes so the
        # nearest one is still the one shown.
        codes = CustomerArticleReference.objects.filter(customer_node_id__in=lineage).filter(
            Q(code__icontains=search) | Q(article__code__icontains=search)
            | Q(article__designation__icontains=search)
        ).values("code")
        rows = rows.filter(code__in=codes)
    nearest = _nearest_by_code(rows, lineage)
    return [ArticleReferenceRow(row, inherited=row.customer_node_id != node.pk)
            for _code, row in sorted(nearest.items())]


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
