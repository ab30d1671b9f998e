"""Reads of the pricing domain: load what the engine needs, in one set of queries for
a whole basket, and price it.

``price_basket`` is what order entry, EDI and the API call: it loads the customer's
lineage, the articles, the gross prices of the inherited price list (and of the lists
it derives from), the active contracts' conditions that can touch the basket, and the
cost prices — a fixed number of queries whatever the number of lines — then hands
frozen inputs to ``pricing.engine``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q, Sum

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
from trade.selectors import customer_node_effective_settings

from . import engine
from .models import (
    Condition,
    ConditionKind,
    Contract,
    ContractStatus,
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


def level_scheme() -> engine.LevelScheme:
    """The company's six levels as the engine's configuration."""
    rows = list(DiscountLevel.objects.all())
    if len(rows) != 6:
        return engine.DEFAULT_LEVELS
    return engine.LevelScheme(
        levels=tuple(
            engine.LevelConfig(
                number=row.number, label=row.label, order=row.order,
                value_kind=engine.ValueKind(row.value_kind), stacking=engine.Stacking(row.stacking),
                exclusive=row.exclusive,
            )
            for row in rows
        )
    )


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


def _gross_prices(
    price_list: PriceList | None, articles: dict[int, Article], packaging_sizes: dict[tuple[int, str], Decimal]
) -> dict[int, tuple[engine.GrossPrice, ...]]:
    """Gross price candidates per article: the node's list first (priority 0); a derived
    list's missing prices come from its parents × their coefficients (priority 1, 2…)."""
    chain = price_list_chain(price_list)
    if not chain:
        return {}
    rows = PriceListItem.objects.filter(
        price_list_id__in=[pl.pk for pl, _c in chain], article_id__in=list(articles)
    ).order_by("min_quantity")
    grouped: dict[tuple[int, int, str, object, object], list[PriceListItem]] = defaultdict(list)
    for row in rows:
        grouped[(row.article_id, row.price_list_id, row.packaging_level, row.valid_from, row.valid_to)].append(row)
    position = {pl.pk: (priority, pl, coefficient) for priority, (pl, coefficient) in enumerate(chain)}
    result: dict[int, list[engine.GrossPrice]] = defaultdict(list)
    for (article_id, list_id, level, valid_from, valid_to), items in grouped.items():
        priority, source_list, coefficient = position[list_id]
        base_units = packaging_sizes.get((article_id, level), Decimal(1)) if level else Decimal(1)
        first = items[0]
        result[article_id].append(
            engine.GrossPrice(
                price_list_id=chain[0][0].pk if priority else source_list.pk,
                price_list_code=chain[0][0].code if priority == 0 else f"{chain[0][0].code} ← {source_list.code}",
                unit_price=first.unit_price * coefficient,
                base_units=base_units,
                breaks=tuple(
                    engine.QuantityBreak(min_quantity=item.min_quantity, unit_price=item.unit_price * coefficient)
                    for item in items[1:]
                ),
                valid_from=valid_from,
                valid_to=valid_to,
                priority=priority,
            )
        )
    return {article_id: tuple(prices) for article_id, prices in result.items()}


def _contracts_for(lineage_ids: Sequence[int], on_date: date | None) -> list[Contract]:
    queryset = Contract.objects.filter(status=ContractStatus.ACTIVE).filter(
        Q(node_id__in=lineage_ids) | Q(segment__nodes__in=lineage_ids)
    )
    if on_date is not None:
        queryset = queryset.filter(valid_from__lte=on_date).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on_date))
    return list(queryset.distinct().prefetch_related(Prefetch("segment__nodes", queryset=CustomerNode.objects.only("id"))))


def engine_conditions(
    conditions: Iterable[Condition], *, contract_nodes: dict[int, list[int]]
) -> list[engine.Condition]:
    """Turn condition rows into engine conditions, one per node the contract stands on
    (a segment contract stands on each of its member nodes in the lineage)."""
    result: list[engine.Condition] = []
    for row in conditions:
        contract = row.contract
        valid_from = row.valid_from or contract.valid_from
        valid_to = row.valid_to or contract.valid_to
        if contract.valid_to and valid_to and valid_to > contract.valid_to:
            valid_to = contract.valid_to
        if valid_from < contract.valid_from:
            valid_from = contract.valid_from
        for node_id in contract_nodes.get(contract.pk, []):
            common = {
                "id": row.pk, "contract_id": contract.pk, "contract_code": contract.code, "node_id": node_id,
                "scope_kind": engine.ScopeKind(row.scope_kind), "scope_id": row.scope_id,
                "min_quantity": row.min_quantity, "valid_from": valid_from, "valid_to": valid_to,
            }
            if row.kind == ConditionKind.DISCOUNT:
                result.append(engine.DiscountCondition(level=row.level, rate=row.rate, amount=row.amount, **common))
            elif row.kind == ConditionKind.TIERS:
                result.append(engine.TierCondition(
                    level=row.level, basis=engine.TierBasis(row.tier_basis),
                    tiers=tuple(engine.Tier(threshold=t.threshold, rate=t.rate) for t in row.tiers.all()), **common,
                ))
            elif row.kind == ConditionKind.NET_PRICE:
                result.append(engine.NetPriceCondition(
                    price=row.net_price, mode=engine.NetPriceMode(row.net_price_mode), **common))
            elif row.kind == ConditionKind.FREE_GOODS:
                result.append(engine.FreeGoodsCondition(
                    buy_quantity=row.buy_quantity, free_quantity=row.free_quantity, **common))
    return result


def conditions_for_basket(
    *, lineage_ids: Sequence[int], articles: Iterable[Article], family_ids: set[int], on_date: date | None
) -> list[engine.Condition]:
    """The active conditions that can touch these articles for this lineage: all-scope,
    or aimed at one of the articles, their brands or their families' lineages."""
    articles = list(articles)
    contracts = _contracts_for(lineage_ids, on_date)
    lineage = set(lineage_ids)
    contract_nodes = {
        contract.pk: ([contract.node_id] if contract.node_id else
                      [n.pk for n in contract.segment.nodes.all() if n.pk in lineage])
        for contract in contracts
    }
    scope = (
        Q(scope_kind="all")
        | Q(article_id__in=[a.pk for a in articles])
        | Q(brand_id__in={a.brand_id for a in articles if a.brand_id})
        | Q(family_id__in=family_ids)
    )
    rows = (
        Condition.objects.filter(contract__in=contracts).filter(scope)
        .select_related("contract").prefetch_related("tiers")
    )
    return engine_conditions(rows, contract_nodes=contract_nodes)


def cost_prices(article_ids: Iterable[int]) -> dict[int, Decimal]:
    """Cost price per base unit: the preferred supplier's purchase price, else the lowest."""
    result: dict[int, Decimal] = {}
    rows = SupplierArticle.objects.filter(article_id__in=list(article_ids)).order_by(
        "article_id", "-is_preferred", "purchase_price"
    )
    for row in rows.values_list("article_id", "purchase_price"):
        result.setdefault(row[0], row[1])
    return result


def resale_floor_coefficient() -> Decimal | None:
    company = Company.objects.only("resale_floor_coefficient").first()
    return company.resale_floor_coefficient if company else None


def _price(
    node: CustomerNode, lines: Sequence[BasketLine], *, on_date: date | None, line_dates: dict | None = None,
    extra: Sequence[engine.Condition] = (), exclude_contract: int | None = None,
) -> tuple[PriceList | None, engine.PricingBatch, int]:
    """Load everything a set of lines of one node needs and price them.

    ``on_date`` prices every line on that date and loads only the contracts valid then;
    with ``line_dates`` (line id → date) each line is priced on its own date and every
    active contract is loaded (the engine checks the dates). ``extra`` conditions are
    added (what-if), ``exclude_contract`` is left out.
    """
    settings = customer_node_effective_settings(node)
    price_list: PriceList | None = settings.value("price_list")
    lineage_ids = list(reversed(node.lineage_ids))  # nearest first
    article_ids = {line.article_id for line in lines}
    articles = {a.pk: a for a in Article.objects.filter(pk__in=article_ids).select_related("family")}
    missing = article_ids - set(articles)
    if missing:
        raise KeyError(f"unknown articles: {sorted(missing)}")
    packaging_sizes = {
        (p.article_id, p.level): p.quantity for p in Packaging.objects.filter(article_id__in=article_ids)
    }
    lineages = {pk: tuple(int(x) for x in a.family.path.strip("/").split("/") if x) for pk, a in articles.items()}
    family_ids = {family_id for lineage in lineages.values() for family_id in lineage}
    gross = _gross_prices(price_list, articles, packaging_sizes)
    conditions = conditions_for_basket(
        lineage_ids=lineage_ids, articles=articles.values(), family_ids=family_ids,
        on_date=on_date if line_dates is None else None,
    )
    if exclude_contract is not None:
        conditions = [c for c in conditions if c.contract_id != exclude_contract]
    index = engine.index_conditions([*conditions, *extra], levels=level_scheme())
    costs = cost_prices(article_ids)
    floor_coefficient = resale_floor_coefficient()
    requests = []
    for line in lines:
        article = articles[line.article_id]
        unit_size = (
            packaging_sizes.get((article.pk, line.packaging_level), Decimal(1)) if line.packaging_level else Decimal(1)
        )
        cost = costs.get(article.pk)
        requests.append(engine.PriceRequest(
            line_id=line.line_id,
            article_id=article.pk,
            brand_id=article.brand_id,
            family_lineage=lineages[article.pk],
            customer_path=tuple(lineage_ids),
            on_date=line_dates[line.line_id] if line_dates is not None else on_date,
            quantity=line.quantity,
            gross_prices=gross.get(article.pk, ()),
            unit=line.packaging_level or article.base_unit,
            base_units_per_unit=unit_size,
            base_units_per_layer=packaging_sizes.get((article.pk, PackagingLevel.LAYER)),
            base_units_per_pallet=packaging_sizes.get((article.pk, PackagingLevel.PALLET)),
            cost_price=cost,
            resale_floor=(cost * floor_coefficient) if cost is not None and floor_coefficient else None,
        ))
    return price_list, engine.price_lines(requests, index), index.condition_count


def price_basket(*, node: CustomerNode, lines: Sequence[BasketLine], on_date: date) -> BasketResult:
    """Price a basket for a customer node on a date, in a fixed number of queries
    whatever the number of lines. Unknown article ids raise ``KeyError``: callers
    validate their input first."""
    price_list, batch, condition_count = _price(node, lines, on_date=on_date)
    return BasketResult(
        node=node, on_date=on_date, price_list=price_list, lines=batch.lines,
        unpriced_line_ids=batch.unpriced_line_ids, condition_count=condition_count,
    )


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
    return rows.aggregate(total=Sum("net_amount"))["total"] or Decimal("0.00")


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
