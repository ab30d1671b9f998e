"""Reads of the pricing domain: load what the engine needs, in one set of queries for
whole baskets, and price them.

``price_basket`` is what order entry, EDI and the API call: it loads the customer's
lineage, the articles, the gross prices of the inherited price list (and of the lists
it derives from), the active contracts' conditions that can touch the basket, and the
cost prices — a fixed number of queries whatever the number of lines — then hands
frozen inputs to ``pricing.engine``. ``price_baskets`` does the same for the baskets
of many nodes at once (EDI ingestion: the orders of a whole chain), still in a fixed
number of queries; ``price_basket`` is its one-basket case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeAlias

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Expression, F, Q, Subquery, Sum
from django.utils.translation import gettext as _

from comptoir.exceptions import ValidationFailed
from comptoir.money import round_amount
from trade.models import (
    Article,
    Company,
    CustomerNode,
    Packaging,
    PackagingLevel,
    PriceList,
    SupplierArticle,
)
from trade.selectors import EffectiveSettings, customer_nodes_effective_settings

from . import engine
from .models import (
    Condition,
    ConditionKind,
    ConditionTier,
    Contract,
    ContractStatus,
    CustomerSegment,
    DiscountLevel,
    PriceListItem,
    RebateAgreement,
    SalesHistoryLine,
)
from .rebates import RebateComputation, RebateTierInput, rebate_compute

LEVEL_OF_PACKAGING = {level.value: level for level in PackagingLevel}


@dataclass(frozen=True, slots=True)
class BasketLine:
    """One line asked for: an article, a quantity in a packaging level ('' = base unit)."""

    line_id: int | str
    article_id: int
    quantity: Decimal
    packaging_level: str = ""


@dataclass(frozen=True, slots=True)
class BasketResult:
    node: CustomerNode
    on_date: date
    price_list: PriceList | None
    lines: tuple[engine.PricedLine, ...]
    unpriced_line_ids: tuple[int | str, ...]
    condition_count: int

    def line(self, line_id: int | str) -> engine.PricedLine:
        for priced in self.lines:
            if priced.line_id == line_id:
                return priced
        raise KeyError(line_id)


_LEVEL_COLUMNS = ("number", "label", "order", "value_kind", "stacking", "exclusive")


def _level_scheme_of(rows: Sequence[tuple[Any, ...]]) -> engine.LevelScheme:
    """The engine's configuration from discount level rows (``_LEVEL_COLUMNS``, in order)."""
    if len(rows) != 6:
        return engine.DEFAULT_LEVELS
    return engine.LevelScheme(
        levels=tuple(
            engine.LevelConfig(
                number=number, label=label, order=order, value_kind=engine.ValueKind(value_kind),
                stacking=engine.Stacking(stacking), exclusive=exclusive,
            )
            for number, label, order, value_kind, stacking, exclusive in rows
        )
    )


def level_scheme() -> engine.LevelScheme:
    """The company's six levels as the engine's configuration."""
    return _level_scheme_of(list(DiscountLevel.objects.values_list(*_LEVEL_COLUMNS)))


def price_list_chain(price_list: PriceList | None) -> list[tuple[PriceList, Decimal]]:
    """The list and the lists it derives from, each with the coefficient that turns its
    prices into the first list's (1 for the list itself)."""
    chain: list[tuple[PriceList, Decimal]] = []
    coefficient = Decimal(1)
    seen: set[int] = set()
    current = price_list
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        chain.append((current, coefficient))
        coefficient *= current.coefficient
        current = current.parent
    return chain


class _IdIn(Expression):
    """``<column> IN (<ids>)`` for long lists of ids, as a filter.

    Django's ``__in`` prepares each value through the field and binds one parameter
    per value, and the driver then splits the query at each placeholder: at 10,000 ids
    that costs more than running the query. Here the ids are made integers once and
    written inline as literals, which is safe (``int`` renders digits only) and what
    the database plans best: PostgreSQL hashes a long constant IN list, whereas an
    ``= ANY(%s)`` array parameter was estimated so costly that it got JIT-compiled
    and scanned linearly."""

    conditional = True

    def __init__(self, column: str, ids: Iterable[int]) -> None:
        super().__init__(output_field=BooleanField())
        self.column: Any = F(column)
        self.ids = [int(pk) for pk in ids]

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        if not self.ids:
            raise EmptyResultSet
        column_sql, column_params = compiler.compile(self.column)
        return f"{column_sql} IN ({','.join(map(str, self.ids))})", tuple(column_params)


# Engine enums by their stored value: a dictionary look-up per row instead of an enum
# construction.
_SCOPE_KINDS = {kind.value: kind for kind in engine.ScopeKind}
_TIER_BASES = {basis.value: basis for basis in engine.TierBasis}
_NET_PRICE_MODES = {mode.value: mode for mode in engine.NetPriceMode}

# The condition columns engine conditions are built from, in the order of ``_ConditionRow``.
_CONDITION_COLUMNS = (
    "pk", "contract_id", "kind", "level", "scope_kind", "family_id", "brand_id", "article_id", "rate", "amount",
    "net_price", "net_price_mode", "buy_quantity", "free_quantity", "tier_basis", "min_quantity", "valid_from",
    "valid_to",
)
_ConditionRow: TypeAlias = tuple[
    int | None, int, str, int | None, str, int | None, int | None, int | None, Decimal | None, Decimal | None,
    Decimal | None, str, Decimal | None, Decimal | None, str, Decimal, date | None, date | None,
]


@dataclass(frozen=True, slots=True)
class _ContractTerms:
    """What engine conditions take from their contract."""

    code: str
    valid_from: date
    valid_to: date | None


def _price_lists_read(list_ids: Collection[int]) -> dict[int, PriceList]:
    """The lists and every list they derive from, by id, in one query whatever the
    depth of their chains (a recursive CTE, which the ORM cannot write; PostgreSQL and
    SQLite both run it). Each list's ``parent`` is set from the others, so that
    ``price_list_chain`` then walks a chain without a query."""
    if not list_ids:
        return {}
    quote = connection.ops.quote_name
    table = quote(PriceList._meta.db_table)
    pk = quote(PriceList._meta.pk.column)
    parent = quote(PriceList._meta.get_field("parent").column)
    placeholders = ", ".join(["%s"] * len(list_ids))
    sql = (
        f"WITH RECURSIVE chain (list_id) AS ("
        f" SELECT {pk} FROM {table} WHERE {pk} IN ({placeholders})"
        f" UNION SELECT derived.{parent} FROM {table} derived JOIN chain ON derived.{pk} = chain.list_id"
        f" WHERE derived.{parent} IS NOT NULL"
        f") SELECT * FROM {table} WHERE {pk} IN (SELECT list_id FROM chain)"
    )
    lists = {price_list.pk: price_list for price_list in PriceList.objects.raw(sql, [int(i) for i in list_ids])}
    for price_list in lists.values():
        if price_list.parent_id in lists:
            price_list.parent = lists[price_list.parent_id]
    return lists


def _gross_prices(
    wanted: Mapping[int, tuple[PriceList, Collection[int]]], packaging_sizes: Mapping[tuple[int, str], Decimal],
    *, on_date: date | None = None,
) -> dict[int, dict[int, tuple[engine.GrossPrice, ...]]]:
    """Gross price candidates per price list, then per article, in one query for every
    list's chain. ``wanted``: list id → the list (its ``parent`` chain loaded, see
    ``_price_lists_read``) and the ids of the articles asked at that list.

    At each list: the list's own prices first (priority 0); a derived list's missing
    prices come from its parents × their coefficients (priority 1, 2…). With
    ``on_date``, only the prices valid that day. Each article's candidates come
    largest packaging first, then by list and start date: when none is for the
    ordered packaging, the engine takes the first of the equally ranked ones, so a
    layer or a pallet is priced from the case price and its breaks rather than from
    the base-unit price."""
    chains = {list_id: price_list_chain(price_list) for list_id, (price_list, _articles) in wanted.items()}
    list_ids = sorted({price_list.pk for chain in chains.values() for price_list, _c in chain})
    article_ids = {article_id for _list, articles in wanted.values() for article_id in articles}
    queryset = PriceListItem.objects.filter(_IdIn("article_id", article_ids), _IdIn("price_list_id", list_ids))
    if on_date is not None:
        queryset = queryset.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on_date)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on_date))
    rows = queryset.order_by().values_list(
        "article_id", "price_list_id", "packaging_level", "valid_from", "valid_to", "min_quantity", "unit_price")
    # (article, list, packaging, valid from, valid to) → [(min quantity, unit price)]
    grouped: dict[tuple[int, int, str, date | None, date | None], list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for article_id, list_id, level, valid_from, valid_to, min_quantity, unit_price in rows:
        grouped[(article_id, list_id, level, valid_from, valid_to)].append((min_quantity, unit_price))
    for items in grouped.values():
        items.sort()
    one = Decimal(1)
    result: dict[int, dict[int, tuple[engine.GrossPrice, ...]]] = {}
    for head_id, chain in chains.items():
        articles_asked = wanted[head_id][1]
        # Every candidate is a price of the head list; an inherited one says where from.
        head_code = chain[0][0].code
        position = {
            price_list.pk: (priority, head_code if priority == 0 else f"{head_code} ← {price_list.code}", coefficient)
            for priority, (price_list, coefficient) in enumerate(chain)
        }
        candidates: dict[int, list[tuple[tuple[object, ...], engine.GrossPrice]]] = defaultdict(list)
        for (article_id, list_id, level, valid_from, valid_to), items in grouped.items():
            place = position.get(list_id)
            if place is None or article_id not in articles_asked:
                continue
            priority, list_code, coefficient = place
            base_units = packaging_sizes.get((article_id, level), one) if level else one
            breaks = tuple(
                engine.QuantityBreak(min_quantity=min_quantity, unit_price=unit_price * coefficient)
                for min_quantity, unit_price in items[1:]
            )
            first_price = items[0][1]
            price = engine.GrossPrice(
                price_list_id=head_id,
                price_list_code=list_code,
                unit_price=first_price * coefficient if priority else first_price,
                base_units=base_units,
                breaks=breaks,
                valid_from=valid_from,
                valid_to=valid_to,
                priority=priority,
            )
            order = (priority, -base_units, level, valid_from or date.min, valid_to or date.max)
            candidates[article_id].append((order, price))
        result[head_id] = {
            article_id: tuple(price for _order, price in sorted(found, key=lambda pair: pair[0]))
            for article_id, found in candidates.items()
        }
    return result


def _contracts_for(lineage_ids: Sequence[int], on_date: date | None) -> tuple[list[Contract], dict[int, list[int]]]:
    """The active contracts standing on a node of ``lineage_ids`` or on a segment with
    a member among them, and the nodes each stands on among ``lineage_ids`` (its node;
    a segment's members found there, read from the membership table in one query and
    not the whole segment, which may hold thousands of stores)."""
    queryset = Contract.objects.filter(status=ContractStatus.ACTIVE).filter(
        Q(node_id__in=lineage_ids) | Q(segment__nodes__in=lineage_ids)
    )
    if on_date is not None:
        queryset = queryset.filter(valid_from__lte=on_date).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on_date))
    contracts = list(queryset.distinct())
    segment_ids = {contract.segment_id for contract in contracts if contract.node_id is None and contract.segment_id}
    members: dict[int, list[int]] = defaultdict(list)
    if segment_ids:
        membership = CustomerSegment.nodes.through.objects.filter(
            customersegment_id__in=sorted(segment_ids), customernode_id__in=lineage_ids)
        for segment_id, node_id in membership.order_by("customernode_id").values_list(
                "customersegment_id", "customernode_id"):
            members[segment_id].append(node_id)
    contract_nodes = {
        contract.pk: [contract.node_id] if contract.node_id else members.get(contract.segment_id, [])
        for contract in contracts
    }
    return contracts, contract_nodes


def _build_engine_conditions(
    rows: Iterable[_ConditionRow],
    *,
    contracts: dict[int, _ContractTerms],
    tiers: dict[int | None, tuple[engine.Tier, ...]],
    contract_nodes: dict[int, list[int]],
) -> list[engine.Condition]:
    """Engine conditions from condition rows (``_CONDITION_COLUMNS``), one per node the
    contract stands on; a condition's empty dates are its contract's, and its dates
    never reach outside its contract's."""
    result: list[engine.Condition] = []
    append = result.append
    for (
        pk, contract_id, kind, level, scope_kind, family_id, brand_id, article_id, rate, amount, net_price,
        net_price_mode, buy_quantity, free_quantity, tier_basis, min_quantity, valid_from, valid_to,
    ) in rows:
        nodes = contract_nodes.get(contract_id)
        if not nodes:
            continue
        contract = contracts[contract_id]
        valid_from = valid_from or contract.valid_from
        valid_to = valid_to or contract.valid_to
        if contract.valid_to and valid_to and valid_to > contract.valid_to:
            valid_to = contract.valid_to
        if valid_from < contract.valid_from:
            valid_from = contract.valid_from
        if scope_kind == "article":
            scope_id = article_id
        elif scope_kind == "family":
            scope_id = family_id
        elif scope_kind == "brand":
            scope_id = brand_id
        else:
            scope_id = None
        scope = _SCOPE_KINDS[scope_kind]
        for node_id in nodes:
            if kind == ConditionKind.DISCOUNT:
                append(engine.DiscountCondition(
                    id=pk, contract_id=contract_id, contract_code=contract.code, node_id=node_id, scope_kind=scope,
                    scope_id=scope_id, min_quantity=min_quantity, valid_from=valid_from, valid_to=valid_to,
                    level=level, rate=rate, amount=amount,
                ))
            elif kind == ConditionKind.TIERS:
                append(engine.TierCondition(
                    id=pk, contract_id=contract_id, contract_code=contract.code, node_id=node_id, scope_kind=scope,
                    scope_id=scope_id, min_quantity=min_quantity, valid_from=valid_from, valid_to=valid_to,
                    level=level, basis=_TIER_BASES[tier_basis], tiers=tiers.get(pk, ()),
                ))
            elif kind == ConditionKind.NET_PRICE:
                append(engine.NetPriceCondition(
                    id=pk, contract_id=contract_id, contract_code=contract.code, node_id=node_id, scope_kind=scope,
                    scope_id=scope_id, min_quantity=min_quantity, valid_from=valid_from, valid_to=valid_to,
                    price=net_price, mode=_NET_PRICE_MODES[net_price_mode],
                ))
            elif kind == ConditionKind.FREE_GOODS:
                append(engine.FreeGoodsCondition(
                    id=pk, contract_id=contract_id, contract_code=contract.code, node_id=node_id, scope_kind=scope,
                    scope_id=scope_id, min_quantity=min_quantity, valid_from=valid_from, valid_to=valid_to,
                    buy_quantity=buy_quantity, free_quantity=free_quantity,
                ))
    return result


def engine_conditions(
    conditions: Iterable[Condition], *, contract_nodes: dict[int, list[int]]
) -> list[engine.Condition]:
    """Turn condition rows into engine conditions, one per node the contract stands on
    (a segment contract stands on each of its member nodes in the lineage). Rows come
    with their contract; prefetch ``tiers`` for tier conditions."""
    rows: list[_ConditionRow] = []
    contracts: dict[int, _ContractTerms] = {}
    tiers: dict[int | None, tuple[engine.Tier, ...]] = {}
    for row in conditions:
        contract = row.contract
        contracts[contract.pk] = _ContractTerms(contract.code, contract.valid_from, contract.valid_to)
        if row.kind == ConditionKind.TIERS:
            tiers[row.pk] = tuple(engine.Tier(threshold=t.threshold, rate=t.rate) for t in row.tiers.all())
        rows.append((
            row.pk, contract.pk, row.kind, row.level, row.scope_kind, row.family_id, row.brand_id, row.article_id,
            row.rate, row.amount, row.net_price, row.net_price_mode, row.buy_quantity, row.free_quantity,
            row.tier_basis, row.min_quantity, row.valid_from, row.valid_to,
        ))
    return _build_engine_conditions(rows, contracts=contracts, tiers=tiers, contract_nodes=contract_nodes)


def _basket_conditions(
    *, lineage_ids: Sequence[int], article_ids: Collection[int], brand_ids: Collection[int],
    family_ids: Collection[int], on_date: date | None,
) -> list[engine.Condition]:
    """The active conditions of the lineage's contracts that can touch these articles,
    read as rows (no model instances) with their tiers in one more query.
    ``lineage_ids`` may be the union of several lineages: a segment contract then
    stands on each of its members found in any of them.

    With ``on_date``, conditions whose own dates exclude that day are not loaded: the
    engine could never apply them (their contract's dates are filtered already)."""
    contracts, contract_nodes = _contracts_for(lineage_ids, on_date)
    if not contracts:
        return []
    terms = {contract.pk: _ContractTerms(contract.code, contract.valid_from, contract.valid_to)
             for contract in contracts}
    scope = Q(scope_kind="all") | Q(_IdIn("article_id", article_ids))
    if brand_ids:
        scope |= Q(_IdIn("brand_id", brand_ids))
    if family_ids:
        scope |= Q(_IdIn("family_id", family_ids))
    queryset = Condition.objects.filter(contract_id__in=list(terms)).filter(scope)
    if on_date is not None:
        queryset = queryset.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on_date)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on_date))
    rows: list[_ConditionRow] = list(queryset.order_by().values_list(*_CONDITION_COLUMNS))
    tiered = [row[0] for row in rows if row[2] == ConditionKind.TIERS]
    tiers: dict[int | None, list[engine.Tier]] = defaultdict(list)
    if tiered:
        for condition_id, threshold, rate in ConditionTier.objects.filter(condition_id__in=tiered).order_by(
            "condition_id", "threshold"
        ).values_list("condition_id", "threshold", "rate"):
            tiers[condition_id].append(engine.Tier(threshold=threshold, rate=rate))
    return _build_engine_conditions(
        rows, contracts=terms, tiers={pk: tuple(found) for pk, found in tiers.items()},
        contract_nodes=contract_nodes,
    )


def conditions_for_basket(
    *, lineage_ids: Sequence[int], articles: Iterable[Article], family_ids: set[int], on_date: date | None
) -> list[engine.Condition]:
    """The active conditions that can touch these articles for this lineage: all-scope,
    or aimed at one of the articles, their brands or their families' lineages."""
    articles = list(articles)
    return _basket_conditions(
        lineage_ids=lineage_ids, article_ids=[a.pk for a in articles],
        brand_ids={a.brand_id for a in articles if a.brand_id}, family_ids=family_ids, on_date=on_date,
    )


def cost_prices(article_ids: Iterable[int]) -> dict[int, Decimal]:
    """Cost price per base unit: the preferred supplier's purchase price, else the lowest."""
    result: dict[int, Decimal] = {}
    rows = SupplierArticle.objects.filter(_IdIn("article_id", article_ids)).order_by(
        "article_id", "-is_preferred", "purchase_price"
    )
    for article_id, purchase_price in rows.values_list("article_id", "purchase_price"):
        if article_id not in result:
            result[article_id] = purchase_price
    return result


def resale_floor_coefficient() -> Decimal | None:
    company = Company.objects.only("resale_floor_coefficient").first()
    return company.resale_floor_coefficient if company else None


def pricing_configuration() -> tuple[engine.LevelScheme, Decimal | None]:
    """``level_scheme()`` and ``resale_floor_coefficient()`` in one query: the company's
    coefficient rides along each discount level row (a second query only when there
    are no levels at all). Read on every call, never cached: an edit of the levels or
    of the company applies to the next basket, in every process."""
    floor = Company.objects.order_by("pk").values("resale_floor_coefficient")[:1]
    rows = list(DiscountLevel.objects.annotate(floor_coefficient=Subquery(floor)).values_list(
        *_LEVEL_COLUMNS, "floor_coefficient"))
    if not rows:
        return engine.DEFAULT_LEVELS, resale_floor_coefficient()
    return _level_scheme_of([row[:-1] for row in rows]), rows[0][-1]


@dataclass(frozen=True, slots=True)
class BasketRequest:
    """One basket of ``price_baskets``: a node, its lines (their ids need be unique
    within the basket only) and the node's effective settings when the caller has
    them (``customer_node_effective_settings``), read otherwise."""

    node: CustomerNode
    lines: Sequence[BasketLine]
    settings: EffectiveSettings | None = None


@dataclass(frozen=True, slots=True)
class _PricedBasket:
    price_list: PriceList | None
    batch: engine.PricingBatch
    condition_count: int


# Condition counts of one node: (scope kind, scope id) → how many conditions.
_ScopeCounts: TypeAlias = dict[tuple[engine.ScopeKind, int | None], int]


def _scope_counts(conditions: Iterable[engine.Condition]) -> dict[int, _ScopeCounts]:
    """How many conditions stand on each node, per scope."""
    result: dict[int, _ScopeCounts] = defaultdict(dict)
    for condition in conditions:
        counts = result[condition.node_id]
        key = (condition.scope_kind, condition.scope_id)
        counts[key] = counts.get(key, 0) + 1
    return result


def _condition_count(
    counts: Mapping[int, _ScopeCounts], customer_path: Iterable[int], *, article_ids: Iterable[int],
    brand_ids: Iterable[int], family_ids: Iterable[int],
) -> int:
    """How many of the loaded conditions a basket alone would have loaded: those on a
    node of its path that are all-scope or aimed at one of its articles, their brands
    or their families' lineages (the filter of ``_basket_conditions``)."""
    total = 0
    for node_id in customer_path:
        node_counts = counts.get(node_id)
        if not node_counts:
            continue
        total += node_counts.get((engine.ScopeKind.ALL, None), 0)
        for kind, ids in (
            (engine.ScopeKind.ARTICLE, article_ids), (engine.ScopeKind.BRAND, brand_ids),
            (engine.ScopeKind.FAMILY, family_ids),
        ):
            total += sum(node_counts.get((kind, scope_id), 0) for scope_id in ids)
    return total


def _price_baskets(
    baskets: Sequence[BasketRequest], *, on_date: date | None,
    line_dates: Sequence[Mapping[engine.LineId, date]] | None = None,
    extra: Sequence[engine.Condition] = (), exclude_contract: int | None = None,
) -> list[_PricedBasket]:
    """Load everything the baskets need, once for all of them, and price each: one
    result per basket, in order. A fixed number of queries whatever the number of
    baskets (nodes) and lines.

    ``on_date`` prices every line on that date and loads only the contracts (and
    conditions) valid then; with ``line_dates`` (one mapping line id → date per
    basket) each line is priced on its own date and every active contract is loaded
    (the engine checks the dates). ``extra`` conditions are added to every basket
    (what-if), ``exclude_contract`` is left out.

    One condition index serves every basket: it holds the conditions of the union of
    the baskets' lineages, and a line only ever looks up the nodes of its own
    customer path, so it is priced as its basket alone would be. Each basket goes
    through the engine on its own (``price_lines`` per basket), so its lines keep the
    caller's ids even where ids repeat across baskets. A basket's ``condition_count``
    counts what that basket alone would have loaded.

    Rows are read as tuples, not model instances: at 10,000 lines the instances
    would cost more than the pricing itself.
    """
    if not baskets:
        return []
    for basket in baskets:
        if basket.settings is not None and basket.settings.node.pk != basket.node.pk:
            raise ValueError(f"settings of node {basket.settings.node.pk} given to price node {basket.node.pk}")
    unread = [basket.node for basket in baskets if basket.settings is None]
    read = customer_nodes_effective_settings(unread) if unread else {}
    # The effective price list's id is on the node it comes from: the lists themselves
    # (and those they derive from) are read below, all in one query.
    list_ids: list[int | None] = []
    for basket in baskets:
        settings = basket.settings if basket.settings is not None else read[basket.node.pk]
        source = settings["price_list"].source
        list_ids.append(None if source is None else source.price_list_id)
    price_lists = _price_lists_read({list_id for list_id in list_ids if list_id is not None})
    article_ids = {line.article_id for basket in baskets for line in basket.lines}
    # article id → (brand id, base unit, family lineage from the root)
    articles: dict[int, tuple[int | None, str, tuple[int, ...]]] = {}
    family_lineages: dict[str, tuple[int, ...]] = {}
    article_rows = Article.objects.filter(_IdIn("pk", article_ids)).order_by().values_list(
        "pk", "brand_id", "base_unit", "family__path")
    for pk, brand_id, base_unit, family_path in article_rows:
        family_lineage = family_lineages.get(family_path)
        if family_lineage is None:
            family_lineage = family_lineages[family_path] = tuple(
                int(x) for x in family_path.strip("/").split("/") if x)
        articles[pk] = (brand_id, base_unit, family_lineage)
    missing = article_ids - articles.keys()
    if missing:
        raise KeyError(f"unknown articles: {sorted(missing)}")
    packaging_rows = Packaging.objects.filter(_IdIn("article_id", article_ids)).order_by().values_list(
        "article_id", "level", "quantity")
    packaging_sizes = {(article_id, level): quantity for article_id, level, quantity in packaging_rows}
    missing_packagings = sorted({
        (line.article_id, line.packaging_level) for basket in baskets for line in basket.lines
        if line.packaging_level and (line.article_id, line.packaging_level) not in packaging_sizes
    })
    if missing_packagings:  # never price a case as one unit
        raise ValidationFailed({"packaging_level": [
            _("Article %(article)s has no %(level)s packaging.")
            % {"article": article_id, "level": PackagingLevel(level).label}
            for article_id, level in missing_packagings
        ]})
    load_date = on_date if line_dates is None else None
    asked_at: dict[int, set[int]] = defaultdict(set)  # price list id → article ids
    for basket, list_id in zip(baskets, list_ids, strict=True):
        if list_id is not None:
            asked_at[list_id].update(line.article_id for line in basket.lines)
    gross = _gross_prices(
        {list_id: (price_lists[list_id], asked) for list_id, asked in asked_at.items()}, packaging_sizes,
        on_date=load_date,
    ) if asked_at else {}
    lineage_union = sorted({node_id for basket in baskets for node_id in basket.node.lineage_ids})
    conditions = _basket_conditions(
        lineage_ids=lineage_union, article_ids=articles.keys(),
        brand_ids={brand_id for brand_id, _unit, _lineage in articles.values() if brand_id},
        family_ids={family_id for lineage in family_lineages.values() for family_id in lineage},
        on_date=load_date,
    )
    if exclude_contract is not None:
        conditions = [c for c in conditions if c.contract_id != exclude_contract]
    levels, floor_coefficient = pricing_configuration()
    index = engine.index_conditions([*conditions, *extra], levels=levels)
    # One basket loaded exactly its own conditions: its count is the index's.
    counts = _scope_counts(conditions) if len(baskets) > 1 else {}
    costs = cost_prices(article_ids)
    one = Decimal(1)
    layer, pallet = PackagingLevel.LAYER.value, PackagingLevel.PALLET.value
    results: list[_PricedBasket] = []
    for position, (basket, list_id) in enumerate(zip(baskets, list_ids, strict=True)):
        customer_path = tuple(reversed(basket.node.lineage_ids))  # nearest first
        gross_of_list = gross.get(list_id, {}) if list_id is not None else {}
        dates = line_dates[position] if line_dates is not None else None
        requests = []
        basket_articles: set[int] = set()
        basket_brands: set[int] = set()
        basket_families: set[int] = set()
        for line in basket.lines:
            article_id = line.article_id
            brand_id, base_unit, family_lineage = articles[article_id]
            basket_articles.add(article_id)
            if brand_id:
                basket_brands.add(brand_id)
            basket_families.update(family_lineage)
            level = line.packaging_level
            cost = costs.get(article_id)
            requests.append(engine.PriceRequest(
                line_id=line.line_id,
                article_id=article_id,
                brand_id=brand_id,
                family_lineage=family_lineage,
                customer_path=customer_path,
                on_date=dates[line.line_id] if dates is not None else on_date,
                quantity=line.quantity,
                gross_prices=gross_of_list.get(article_id, ()),
                unit=level or base_unit,
                base_units_per_unit=packaging_sizes.get((article_id, level), one) if level else one,
                base_units_per_layer=packaging_sizes.get((article_id, layer)),
                base_units_per_pallet=packaging_sizes.get((article_id, pallet)),
                cost_price=cost,
                resale_floor=(cost * floor_coefficient) if cost is not None and floor_coefficient else None,
            ))
        condition_count = index.condition_count if len(baskets) == 1 else len(extra) + _condition_count(
            counts, customer_path, article_ids=basket_articles, brand_ids=basket_brands, family_ids=basket_families)
        results.append(_PricedBasket(
            price_list=price_lists[list_id] if list_id is not None else None,
            batch=engine.price_lines(requests, index),
            condition_count=condition_count,
        ))
    return results


def _price(
    node: CustomerNode, lines: Sequence[BasketLine], *, on_date: date | None,
    line_dates: Mapping[engine.LineId, date] | None = None,
    extra: Sequence[engine.Condition] = (), exclude_contract: int | None = None,
    settings: EffectiveSettings | None = None,
) -> tuple[PriceList | None, engine.PricingBatch, int]:
    """Load everything a set of lines of one node needs and price them: the one-basket
    case of ``_price_baskets`` (which see for ``on_date``, ``line_dates``, ``extra``
    and ``exclude_contract``)."""
    (priced,) = _price_baskets(
        [BasketRequest(node=node, lines=lines, settings=settings)], on_date=on_date,
        line_dates=None if line_dates is None else [line_dates], extra=extra, exclude_contract=exclude_contract,
    )
    return priced.price_list, priced.batch, priced.condition_count


def price_baskets(requests: Sequence[BasketRequest], *, on_date: date) -> list[BasketResult]:
    """Price many baskets, of one node or of many, on a date: one ``BasketResult`` per
    request, in order, each identical to ``price_basket`` of that request alone
    (its lines under the caller's own line ids, its own ``unpriced_line_ids`` and
    ``condition_count``).

    Everything is loaded once for all the requests (settings of the nodes lacking
    them, price lists and their chains, articles, packagings, gross prices, the
    contracts of the union of the lineages, cost prices, the pricing configuration):
    a fixed number of queries whatever the number of requests and lines. Unknown
    article ids raise ``KeyError`` and a packaging an article lacks raises
    ``ValidationFailed``, for the whole batch: callers validate their input first."""
    return [
        BasketResult(
            node=request.node, on_date=on_date, price_list=priced.price_list, lines=priced.batch.lines,
            unpriced_line_ids=priced.batch.unpriced_line_ids, condition_count=priced.condition_count,
        )
        for request, priced in zip(requests, _price_baskets(requests, on_date=on_date), strict=True)
    ]


def price_basket(
    *, node: CustomerNode, lines: Sequence[BasketLine], on_date: date, settings: EffectiveSettings | None = None,
) -> BasketResult:
    """Price a basket for a customer node on a date, in a fixed number of queries
    whatever the number of lines. Unknown article ids raise ``KeyError``: callers
    validate their input first. ``settings``: the node's effective settings
    (``customer_node_effective_settings``) when the caller has them, read otherwise."""
    return price_baskets([BasketRequest(node=node, lines=lines, settings=settings)], on_date=on_date)[0]


@dataclass(frozen=True, slots=True)
class WhatIfNode:
    node: CustomerNode
    line_count: int
    turnover_before: Decimal
    turnover_after: Decimal
    discount_before: Decimal
    discount_after: Decimal
    margin_before: Decimal
    margin_after: Decimal

    @property
    def turnover_change(self) -> Decimal:
        return self.turnover_after - self.turnover_before

    @property
    def margin_change(self) -> Decimal:
        return self.margin_after - self.margin_before


@dataclass(frozen=True, slots=True)
class WhatIfResult:
    contract: Contract
    period_start: date
    period_end: date
    nodes: tuple[WhatIfNode, ...]
    unpriced_line_count: int

    def total(self, attribute: str) -> Decimal:
        return sum((getattr(row, attribute) for row in self.nodes), Decimal("0.00"))


def contract_what_if(contract: Contract, *, until: date) -> WhatIfResult:
    """Replay the 12 months of sales before ``until`` of every node the contract covers,
    priced with the active contracts only ("before") and with this contract added as if
    it were active ("after"); turnover, discount (gross − net) and margin per node.

    Reads the sales history table; queries per covered node with sales, not per line.
    """
    start = date(until.year - 1, until.month, min(until.day, 28))
    bases = list(CustomerNode.objects.filter(pk__in=_contract_node_ids(contract)))
    subtree = Q(pk__in=[])
    for base in bases:
        subtree |= Q(path__startswith=base.path)
    history = (
        SalesHistoryLine.objects.filter(node__in=CustomerNode.objects.filter(subtree), sold_on__gte=start,
                                        sold_on__lte=until)
        .order_by("node_id", "pk")
    )
    by_node: dict[int, list] = defaultdict(list)
    for row in history:
        by_node[row.node_id].append(row)
    nodes = {n.pk: n for n in CustomerNode.objects.filter(pk__in=list(by_node))}
    draft_rows = list(contract.conditions.select_related("contract").prefetch_related("tiers"))
    results: list[WhatIfNode] = []
    unpriced = 0
    for node_id, rows in by_node.items():
        node = nodes[node_id]
        lines = [BasketLine(row.pk, row.article_id, row.quantity) for row in rows]
        lineage = list(reversed(node.lineage_ids))
        stands_on = [n for n in _contract_node_ids(contract) if n in lineage]
        extra = engine_conditions(draft_rows, contract_nodes={contract.pk: stands_on})
        dates = {row.pk: row.sold_on for row in rows}
        _list, before, _count = _price(node, lines, on_date=None, line_dates=dates, exclude_contract=contract.pk)
        _list, after, _count = _price(node, lines, on_date=None, line_dates=dates, extra=extra,
                                      exclude_contract=contract.pk)
        unpriced += len(before.unpriced_line_ids)
        results.append(WhatIfNode(
            node=node, line_count=len(rows),
            turnover_before=sum((line.line_amount for line in before.lines), Decimal("0.00")),
            turnover_after=sum((line.line_amount for line in after.lines), Decimal("0.00")),
            discount_before=_discount(before.lines), discount_after=_discount(after.lines),
            margin_before=sum((line.margin_amount or 0 for line in before.lines), Decimal("0.00")),
            margin_after=sum((line.margin_amount or 0 for line in after.lines), Decimal("0.00")),
        ))
    results.sort(key=lambda row: row.node.path)
    return WhatIfResult(contract, start, until, tuple(results), unpriced)


def _contract_node_ids(contract: Contract) -> list[int]:
    if contract.node_id:
        return [contract.node_id]
    return list(contract.segment.nodes.values_list("pk", flat=True)) if contract.segment_id else []


def _discount(lines: Iterable[engine.PricedLine]) -> Decimal:
    return sum(
        (round_amount(line.gross_unit_price * line.request.quantity) - line.line_amount for line in lines),
        Decimal("0.00"),
    )


@dataclass(frozen=True, slots=True)
class RebateStatus:
    """Where a year-end rebate agreement stands on a date: turnover and rebate earned
    so far (the accrual), and the same projected linearly to the period end."""

    agreement: RebateAgreement
    on_date: date
    turnover_to_date: Decimal
    accrued: RebateComputation
    projected_turnover: Decimal
    projected: RebateComputation


def rebate_turnover(agreement: RebateAgreement, *, until: date) -> Decimal:
    """Turnover excl. VAT of the agreement's node and everything below it, over the
    period up to ``until`` (inclusive), restricted to a family subtree when the base
    says so. Reads the sales history until invoices exist."""
    end = min(until, agreement.period_end)
    if end < agreement.period_start:
        return Decimal("0.00")
    rows = SalesHistoryLine.objects.filter(
        node__path__startswith=agreement.node.path, sold_on__gte=agreement.period_start, sold_on__lte=end
    )
    if agreement.base == "family" and agreement.family_id:
        rows = rows.filter(article__family__path__startswith=agreement.family.path)
    total = rows.aggregate(total=Sum("net_amount"))["total"]
    # SQLite sums decimals as floats (327841.419999999): back to the 2 places of amounts.
    return round_amount(total) if total is not None else Decimal("0.00")


def rebate_status(agreement: RebateAgreement, *, on_date: date) -> RebateStatus:
    tiers = [RebateTierInput(t.threshold, t.rate) for t in agreement.tiers.all()]
    turnover = rebate_turnover(agreement, until=on_date)
    period_days = (agreement.period_end - agreement.period_start).days + 1
    elapsed = min(max((on_date - agreement.period_start).days + 1, 0), period_days)
    projected_turnover = (
        round_amount(turnover * period_days / elapsed) if elapsed else Decimal("0.00")
    )
    return RebateStatus(
        agreement=agreement,
        on_date=on_date,
        turnover_to_date=turnover,
        accrued=rebate_compute(turnover=turnover, tiers=tiers, method=agreement.method),
        projected_turnover=projected_turnover,
        projected=rebate_compute(turnover=projected_turnover, tiers=tiers, method=agreement.method),
    )
