"""Pricing demo data: price list lines, contracts down the customer hierarchy, sales
history and year-end rebates, generated over the master data that ``trade.demo`` seeded.

Run by ``python manage.py seed_demo`` (``comptoir/management/commands``) right after the
trade seed, in the same transaction. What it builds, for every chain the tree holds:

- **Price lists.** ``TARIF-GEN`` and ``TARIF-GMS`` price every article per base unit
  (the consumer unit, or the kilogram for goods sold by weight) and per case, with
  quantity breaks from a layer or a pallet on some cases; the hot-drinks family gets a
  price increase on the first day of next month. ``TARIF-PROXI`` derives from
  ``TARIF-GEN`` × 1.08 and only holds its own prices for fresh goods: every article
  has a price in each of the three lists, directly or through the derivation. Prices
  sit 35 % to 75 % above the purchase price (the preferred supplier's; a kit's is the
  sum of its components').
- **Contracts**, all active from 1 January of last year to 31 December of this year
  unless said otherwise: the chain's framework agreement (L1 and L3 family discounts,
  L2 tiers by layer and by pallet, "10 + 1" free goods on a few articles); the
  national buying group's contract (L3 on other families, contract net prices on a
  few articles, one of them a floor); a regional buying group's L6; each platform's
  L5 logistics discount; L4 promotions of the first store under each node, in monthly
  windows (last month, this month, next month); a segment of the franchisees
  delivered directly with an L6; and one draft contract per chain with a regional
  buying group, for the what-if simulation.
- **The benchmark lineage** (``BENCHMARK_STORE_CODE``: chain → buying group →
  platform → store, depth 4) also carries article-by-article conditions over the
  whole catalogue: L6 at the chain, L3 at the buying group (80 % of articles), L5 at
  the platform (85 %) and L4 promotions at the store (45 % of articles in each of this
  month's and next month's windows). At scale 100 (30,000 articles) that is over
  100,000 conditions, what ``bench/pricing.py`` prices against.
- **Sales history**: 12 months ending the day before the reference date,
  ``HISTORY_LINES_PER_STORE`` lines per store, fewer per store at large scales so that
  the table never exceeds ``HISTORY_MAX_LINES``.
- **Year-end rebates**: one agreement per national buying group for this calendar
  year, by step on the total turnover (chains with a regional buying group) or by
  slice on the "Épicerie salée" turnover (the others); thresholds set from the
  group's history so that the accrual shows progress.

No two active conditions tie (same level, node, scope and start date):
``tests/pricing/test_demo.py`` checks it with ``pricing.engine.find_conflicts``.

Why not the services: ``condition_save`` checks conflicts row by row, which is right
for a screen and far too slow for 100,000 rows. Rows are built in memory and bulk
inserted; the conflict-freedom the services would enforce holds by construction
(each node's conditions differ in level, scope or start date).

Determinism: every draw comes from a ``random.Random`` or a hash seeded with a string
naming the section and a business code (article, node), never with row ids, the
clock or set order. Dates derive from the reference date the caller passes (the
command uses today, so that promotions and history are current): the same catalogue,
tree and date give the same rows.
"""

from __future__ import annotations

import calendar
import hashlib
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import connection, models

from trade.models import (
    Article,
    ArticleFamily,
    CustomerNode,
    KitComponent,
    NodeKind,
    Packaging,
    PackagingLevel,
    PriceList,
    SupplierArticle,
)

from .models import (
    Condition,
    ConditionKind,
    ConditionTier,
    Contract,
    ContractStatus,
    ContractStatusChange,
    CustomerSegment,
    NetPriceMode,
    PriceListItem,
    RebateAgreement,
    RebateBase,
    RebateMethod,
    RebateTier,
    SalesHistoryLine,
    ScopeKind,
    TierBasis,
)

SEED = "comptoir-pricing-demo-v1"
BATCH_SIZE = 2000
# The framework contract of the first chain: its presence means the data is there.
DEMO_MARKER_CODE = "CTR-ENS-MDH"
# The store whose lineage (chain → buying group → platform → store) carries the
# article-by-article conditions that bench/pricing.py prices against.
BENCHMARK_STORE_CODE = "MAG-MDH-013"

GENERAL_LIST = "TARIF-GEN"
RETAIL_LIST = "TARIF-GMS"
PROXIMITY_LIST = "TARIF-PROXI"
PROXIMITY_COEFFICIENT = Decimal("1.0800")
# Families whose price changes on the first day of next month (coffee, tea, cocoa).
PRICE_INCREASE_FAMILY = "EPSU-PDJ"
PRICE_INCREASE = Decimal("1.04")

HISTORY_LINES_PER_STORE = 240
HISTORY_MIN_LINES_PER_STORE = 24
HISTORY_MAX_LINES = 300_000
HISTORY_ASSORTMENT = 150

FREE_GOODS_ARTICLES_PER_CHAIN = 4
NET_PRICE_ARTICLES_PER_GROUP = 4
PROMOTED_ARTICLES_PER_WINDOW = 3
# Shares of the catalogue under article-by-article conditions on the benchmark lineage.
BENCHMARK_GROUP_SHARE = 0.80
BENCHMARK_PLATFORM_SHARE = 0.85
BENCHMARK_PROMOTION_SHARE = 0.45

# Gross price over purchase price, by top family (low, high).
MARKUPS: dict[str, tuple[float, float]] = {
    "FRA": (1.35, 1.50),
    "PEM": (1.35, 1.55),
    "BOI": (1.40, 1.65),
    "COF": (1.45, 1.70),
}
DEFAULT_MARKUP = (1.45, 1.75)
# Chain framework agreements: L1 by top family, L3 on some of them, a sub-family L1.
CHAIN_L1_FAMILIES = ("EPS", "EPSU", "BOI", "FRA", "PEM", "BAZ", "COF")
CHAIN_L1_SUBFAMILY = "FRA-CRE"
CHAIN_L3_FAMILIES = ("EPS", "EPSU")
CHAIN_LAYER_TIER_FAMILY = "EPS"
CHAIN_PALLET_TIER_FAMILY = "BOI"
GROUP_L3_FAMILIES = ("BOI", "FRA")
PROMOTION_FAMILIES = ("EPS-APE", "BOI-SOD", "EPSU-BIS", "FRA-CRE-YAO", "EPS-PAT", "BOI-JUS")
REBATE_FAMILY = "EPS"

CENT = Decimal("0.01")
PLACES_4 = Decimal("0.0001")
ONE = Decimal(1)
ZERO = Decimal(0)

Log = Callable[[str], None]

PRICING_DEMO_MODELS: tuple[type[models.Model], ...] = (
    PriceListItem, CustomerSegment, Contract, ContractStatusChange, Condition, ConditionTier,
    SalesHistoryLine, RebateAgreement, RebateTier,
)
# Deletion order for a reset: rows before what they point to.
RESET_ORDER: tuple[type[models.Model], ...] = (
    RebateTier, RebateAgreement, SalesHistoryLine, ConditionTier, Condition, ContractStatusChange,
    Contract, CustomerSegment, PriceListItem,
)


@dataclass
class PricingSeedResult:
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


class MasterDataMissing(RuntimeError):
    """The pricing demo needs the trade demo data (price lists, catalogue, tree)."""


def pricing_demo_exists() -> bool:
    return Contract.objects.filter(code=DEMO_MARKER_CODE).exists()


def pricing_demo_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in PRICING_DEMO_MODELS}


def pricing_demo_reset() -> Counter[str]:
    """Delete every row of the pricing tables the demo fills (the company's discount
    levels are configuration and stay); return the deleted counts by model label."""
    deleted: Counter[str] = Counter()
    for model in RESET_ORDER:
        _count, per_model = model._base_manager.all().delete()
        deleted.update({label: count for label, count in per_model.items() if count})
    return deleted


def pricing_demo_seed(
    *, today: date, owner: AbstractUser | None, log: Log, sales_history: bool = True
) -> PricingSeedResult:
    """Insert the pricing demo data over the trade demo data, dated from ``today``.

    Preconditions: the trade demo data is there and the pricing data is not (see
    ``pricing_demo_exists``); run inside a transaction so that a failure leaves
    nothing. ``sales_history=False`` skips the history and the rebate agreements
    (which are set from it): what a benchmark that only prices baskets needs."""
    return _PricingDemoBuilder(today=today, owner=owner, log=log, sales_history=sales_history).run()


# --------------------------------------------------------------------------- helpers


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _places_4(value: Decimal) -> Decimal:
    return value.quantize(PLACES_4, rounding=ROUND_HALF_UP)


def _factor(rng: random.Random, low: float, high: float) -> Decimal:
    """A factor drawn in [low, high], with 3 decimals."""
    return Decimal(round(rng.uniform(low, high), 3)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def _rate(rng: random.Random, low: float, high: float, step: float = 0.5) -> Decimal:
    """A rate in percent drawn on a grid of ``step`` between ``low`` and ``high``."""
    steps = round((high - low) / step)
    return Decimal(str(low + step * rng.randint(0, steps))).quantize(PLACES_4)


def _fraction(*parts: str) -> float:
    """A deterministic number in [0, 1) from a key: cheaper than a seeded Random when
    one draw per article is all that is needed."""
    digest = hashlib.blake2b("/".join((SEED, *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _month_start(day: date, months: int = 0) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


def _month_end(day: date, months: int = 0) -> date:
    start = _month_start(day, months)
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def _suffix(code: str) -> str:
    """``ENS-MDH`` → ``MDH``: node codes are ``<kind prefix>-<rest>``."""
    return code.split("-", 1)[1]


def _insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert rows given as tuples of column values (``fields`` order): with COPY on
    PostgreSQL, with multi-row INSERT statements elsewhere.

    ``bulk_create`` builds a model instance per row and prepares every field through
    it, and PostgreSQL parses a 2,000-row INSERT slowly: for the hundreds of thousands
    of rows of scale 100 (price list lines, conditions, sales history) COPY is several
    times faster. The values are already what the database stores: int, plain str
    (never a choices enum member), Decimal, date or None."""
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
        per_statement = max(1, (connection.features.max_query_params or 999) // len(fields))
        pending = list(rows)
        for start in range(0, len(pending), per_statement):
            batch = pending[start:start + per_statement]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(batch))}",
                [value for row in batch for value in row],
            )


@dataclass(frozen=True, slots=True)
class _ConditionSpec:
    """A condition to insert; quantities, prices and rates as the model stores them."""

    kind: str
    scope_kind: str = ScopeKind.ALL.value
    level: int | None = None
    family_id: int | None = None
    article_id: int | None = None
    rate: Decimal | None = None
    net_price: Decimal | None = None
    net_price_mode: str = ""
    buy_quantity: Decimal | None = None
    free_quantity: Decimal | None = None
    tier_basis: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    tiers: tuple[tuple[Decimal, Decimal], ...] = ()

    def row(self, contract_id: int) -> tuple[Any, ...]:
        """Column values in ``CONDITION_COLUMNS`` order."""
        return (contract_id, self.kind, self.level, self.scope_kind, self.family_id, None, self.article_id,
                self.rate, None, self.net_price, self.net_price_mode, self.buy_quantity, self.free_quantity,
                self.tier_basis, ZERO, self.valid_from, self.valid_to)

    def instance(self, contract: Contract) -> Condition:
        return Condition(
            contract=contract, kind=self.kind, level=self.level, scope_kind=self.scope_kind,
            family_id=self.family_id, article_id=self.article_id, rate=self.rate, net_price=self.net_price,
            net_price_mode=self.net_price_mode, buy_quantity=self.buy_quantity, free_quantity=self.free_quantity,
            tier_basis=self.tier_basis, valid_from=self.valid_from, valid_to=self.valid_to,
        )


CONDITION_COLUMNS = (
    "contract", "kind", "level", "scope_kind", "family", "brand", "article", "rate", "amount", "net_price",
    "net_price_mode", "buy_quantity", "free_quantity", "tier_basis", "min_quantity", "valid_from", "valid_to",
)
PRICE_LIST_ITEM_COLUMNS = ("price_list", "article", "packaging_level", "min_quantity", "unit_price", "valid_from",
                           "valid_to")
SALES_HISTORY_COLUMNS = ("node", "article", "sold_on", "quantity", "net_amount")
_DISCOUNT = ConditionKind.DISCOUNT.value
_CASE = PackagingLevel.CASE.value


@dataclass(frozen=True, slots=True)
class _Article:
    pk: int
    code: str
    family_id: int
    family_code: str
    top_family: str
    brand_id: int | None
    by_weight: bool
    is_kit: bool
    is_active: bool
    cost: Decimal | None
    case: Decimal
    layer: Decimal | None
    pallet: Decimal | None


@dataclass(frozen=True, slots=True)
class _Node:
    pk: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    path: str
    price_list_id: int | None


@dataclass
class _ContractPlan:
    contract: Contract
    conditions: list[_ConditionSpec] = field(default_factory=list)
    segment_members: tuple[_Node, ...] = ()

    def add(self, condition: _ConditionSpec) -> None:
        self.conditions.append(condition)


# --------------------------------------------------------------------------- the builder


class _PricingDemoBuilder:
    def __init__(self, *, today: date, owner: AbstractUser | None, log: Log, sales_history: bool) -> None:
        self.today = today
        self.owner = owner
        self.log = log
        self.with_history = sales_history
        self.result = PricingSeedResult()
        self.framework_start = date(today.year - 1, 1, 1)
        self.framework_end = date(today.year, 12, 31)
        self.price_lists: dict[str, PriceList] = {}
        self.articles: list[_Article] = []
        self.sellable: list[_Article] = []
        self.family_ids: dict[str, int] = {}
        self.nodes: dict[int, _Node] = {}
        self.children: dict[int | None, list[_Node]] = defaultdict(list)
        # Gross price per base unit by list code and article id (the current prices).
        self.unit_prices: dict[str, dict[int, Decimal]] = defaultdict(dict)
        self.plans: list[_ContractPlan] = []
        # (store id, article id, sold on, quantity, net amount)
        self.history: list[tuple[int, int, date, Decimal, Decimal]] = []

    def run(self) -> PricingSeedResult:
        steps: list[tuple[str, Callable[[], None]]] = [
            ("pricing: load", self.load),
            ("pricing: price lists", self.seed_price_lists),
            ("pricing: contracts", self.seed_contracts),
        ]
        if self.with_history:
            steps += [("pricing: sales history", self.seed_sales_history),
                      ("pricing: rebates", self.seed_rebates)]
        for label, step in steps:
            started = time.perf_counter()
            step()
            elapsed = time.perf_counter() - started
            self.result.timings[label] = elapsed
            self.log(f"  {label:<22} {elapsed:6.2f} s")
        self.result.counts = pricing_demo_counts()
        return self.result

    # ------------------------------------------------------------------ master data

    def load(self) -> None:
        self.price_lists = {pl.code: pl for pl in PriceList.objects.filter(
            code__in=[GENERAL_LIST, RETAIL_LIST, PROXIMITY_LIST])}
        if len(self.price_lists) != 3 or not CustomerNode.objects.filter(code=BENCHMARK_STORE_CODE).exists():
            raise MasterDataMissing("The demo master data is incomplete: a price list or the benchmark store is missing.")
        families = {pk: (code, path) for pk, code, path in ArticleFamily.objects.values_list("pk", "code", "path")}
        self.family_ids = {code: pk for pk, (code, _path) in families.items()}
        top_family = {pk: families[int(path.strip("/").split("/")[0])][0] for pk, (_code, path) in families.items()}
        sizes: dict[int, dict[str, Decimal]] = defaultdict(dict)
        for article_id, level, quantity in Packaging.objects.values_list("article_id", "level", "quantity"):
            sizes[article_id][level] = quantity
        costs: dict[int, Decimal] = {}
        for article_id, price in SupplierArticle.objects.order_by(
            "article_id", "-is_preferred", "purchase_price", "pk"
        ).values_list("article_id", "purchase_price"):
            costs.setdefault(article_id, price)
        kit_costs: dict[int, Decimal] = defaultdict(Decimal)
        kits_without_cost: set[int] = set()
        for kit_id, component_id, quantity in KitComponent.objects.values_list("kit_id", "component_id", "quantity"):
            if component_id in costs:
                kit_costs[kit_id] += costs[component_id] * quantity
            else:
                kits_without_cost.add(kit_id)
        for kit_id, cost in kit_costs.items():
            if kit_id not in kits_without_cost:
                costs.setdefault(kit_id, _places_4(cost))
        rows = Article.objects.order_by("code").values_list(
            "pk", "code", "family_id", "brand_id", "base_unit", "kit_kind", "status")
        for pk, code, family_id, brand_id, base_unit, kit_kind, status in rows:
            article_sizes = sizes.get(pk, {})
            article = _Article(
                pk=pk, code=code, family_id=family_id, family_code=families[family_id][0],
                top_family=top_family[family_id], brand_id=brand_id, by_weight=base_unit == "kg",
                is_kit=bool(kit_kind), is_active=status == "active", cost=costs.get(pk),
                case=article_sizes.get(PackagingLevel.CASE, ONE), layer=article_sizes.get(PackagingLevel.LAYER),
                pallet=article_sizes.get(PackagingLevel.PALLET),
            )
            self.articles.append(article)
        self.sellable = [a for a in self.articles if a.is_active and not a.is_kit and a.cost is not None]
        for pk, code, name, kind, parent_id, path, price_list_id in CustomerNode.objects.order_by("code").values_list(
            "pk", "code", "name", "kind", "parent_id", "path", "price_list_id"
        ):
            node = _Node(pk, code, name, kind, parent_id, path, price_list_id)
            self.nodes[pk] = node
            self.children[parent_id].append(node)

    def _effective_list_code(self, node: _Node) -> str | None:
        """The code of the price list the node holds or inherits (the nearest one set)."""
        codes = {pl.pk: code for code, pl in self.price_lists.items()}
        for pk in reversed(node.path.strip("/").split("/")):
            list_id = self.nodes[int(pk)].price_list_id
            if list_id is not None:
                return codes.get(list_id)
        return None

    # ------------------------------------------------------------------ price lists

    def seed_price_lists(self) -> None:
        general, retail, proximity = (self.price_lists[c] for c in (GENERAL_LIST, RETAIL_LIST, PROXIMITY_LIST))
        # The proximity list derives from the general one (a header change: pricing
        # owns the derivation rules, trade the header).
        PriceList.objects.filter(pk=proximity.pk).update(parent=general, coefficient=PROXIMITY_COEFFICIENT)
        next_month = _month_start(self.today, 1)
        this_month_end = _month_end(self.today)
        rows: list[tuple[Any, ...]] = []
        for article in self.articles:
            if article.cost is None:
                continue  # a kit whose components have no purchase price: nothing to price from
            rng = random.Random(f"{SEED}/prices/{article.code}")
            low, high = MARKUPS.get(article.top_family, DEFAULT_MARKUP)
            general_unit = max(_cents(article.cost * _factor(rng, low, high)), _cents(article.cost * Decimal("1.3")) + CENT)
            retail_unit = _cents(general_unit * _factor(rng, 0.92, 0.96))
            proximity_unit = _cents(general_unit * _factor(rng, 1.02, 1.05))
            layer_break = article.layer is not None and rng.random() < 0.6
            pallet_break = article.pallet is not None and rng.random() < 0.4
            increases = article.family_code == PRICE_INCREASE_FAMILY
            periods = [(None, this_month_end, ONE), (next_month, None, PRICE_INCREASE)] if increases else [
                (None, None, ONE)]
            for valid_from, valid_to, change in periods:
                rows += self._list_rows(general.pk, article, _cents(general_unit * change), valid_from, valid_to,
                                        layer_break=False, pallet_break=pallet_break)
                rows += self._list_rows(retail.pk, article, _cents(retail_unit * change), valid_from, valid_to,
                                        layer_break=layer_break, pallet_break=pallet_break)
                if article.top_family == "FRA":
                    rows += self._list_rows(proximity.pk, article, _cents(proximity_unit * change), valid_from,
                                            valid_to, layer_break=False, pallet_break=False)
            self.unit_prices[GENERAL_LIST][article.pk] = general_unit
            self.unit_prices[RETAIL_LIST][article.pk] = retail_unit
            self.unit_prices[PROXIMITY_LIST][article.pk] = (
                proximity_unit if article.top_family == "FRA" else _places_4(general_unit * PROXIMITY_COEFFICIENT)
            )
        _insert_rows(PriceListItem, PRICE_LIST_ITEM_COLUMNS, rows)

    @staticmethod
    def _list_rows(list_id: int, article: _Article, unit_price: Decimal, valid_from: date | None,
                   valid_to: date | None, *, layer_break: bool, pallet_break: bool) -> list[tuple[Any, ...]]:
        """A price per base unit, a price per case (2 % under 'case size × unit price'),
        and the case price's breaks from a layer (−1.5 %) and from a pallet (−3 %)."""
        case_price = _cents(unit_price * article.case * Decimal("0.98"))
        rows = [
            (list_id, article.pk, "", ZERO, unit_price, valid_from, valid_to),
            (list_id, article.pk, _CASE, ZERO, case_price, valid_from, valid_to),
        ]
        if layer_break and article.layer is not None:
            rows.append((list_id, article.pk, _CASE, article.layer, _cents(case_price * Decimal("0.985")),
                         valid_from, valid_to))
        if pallet_break and article.pallet is not None:
            rows.append((list_id, article.pk, _CASE, article.pallet, _cents(case_price * Decimal("0.97")),
                         valid_from, valid_to))
        return rows

    # ------------------------------------------------------------------ contracts

    def _contract(self, code: str, name: str, *, node: _Node | None = None, segment: CustomerSegment | None = None,
                  valid_from: date | None = None, valid_to: date | None = None,
                  status: str = ContractStatus.ACTIVE, notes: str = "") -> _ContractPlan:
        if valid_from is None:  # a framework contract: last year and this one
            valid_from, valid_to = self.framework_start, self.framework_end
        contract = Contract(
            code=code, name=name, node_id=node.pk if node else None, segment=segment, valid_from=valid_from,
            valid_to=valid_to, status=status, owner=self.owner, notes=notes,
        )
        plan = _ContractPlan(contract)
        self.plans.append(plan)
        return plan

    def _scope(self, *, family: str | None = None, article: _Article | None = None) -> dict[str, Any]:
        if article is not None:
            return {"scope_kind": ScopeKind.ARTICLE.value, "article_id": article.pk}
        if family is not None:
            return {"scope_kind": ScopeKind.FAMILY.value, "family_id": self.family_ids[family]}
        return {"scope_kind": ScopeKind.ALL.value}

    def _discount(self, level: int, rate: Decimal, *, family: str | None = None, article: _Article | None = None,
                  valid_from: date | None = None, valid_to: date | None = None) -> _ConditionSpec:
        return _ConditionSpec(kind=_DISCOUNT, level=level, rate=rate, valid_from=valid_from, valid_to=valid_to,
                              **self._scope(family=family, article=article))

    def seed_contracts(self) -> None:
        benchmark = next(node for node in self.nodes.values() if node.code == BENCHMARK_STORE_CODE)
        benchmark_lineage = [self.nodes[int(pk)] for pk in benchmark.path.strip("/").split("/")]
        for chain in self.children[None]:
            if chain.kind != NodeKind.CHAIN:
                continue
            self._chain_contracts(chain)
        self._benchmark_contracts(benchmark_lineage)
        self._insert_contracts()

    def _subtree(self, node: _Node) -> list[_Node]:
        found: list[_Node] = []
        stack = [node]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(reversed(self.children[current.pk]))
        return found

    def _chain_contracts(self, chain: _Node) -> None:
        rng = random.Random(f"{SEED}/contracts/{chain.code}")
        suffix = _suffix(chain.code)
        years = f"{self.framework_start.year}–{self.framework_end.year}"
        subtree = self._subtree(chain)
        list_code = self._effective_list_code(chain) or GENERAL_LIST

        framework = self._contract(f"CTR-{chain.code}", f"Accord cadre {chain.name} {years}", node=chain)
        for family in CHAIN_L1_FAMILIES:
            framework.add(self._discount(1, _rate(rng, 2, 6), family=family))
        framework.add(self._discount(1, _rate(rng, 6, 8), family=CHAIN_L1_SUBFAMILY))
        for family in CHAIN_L3_FAMILIES:
            framework.add(self._discount(3, _rate(rng, 2, 4), family=family))
        framework.add(_ConditionSpec(
            kind=ConditionKind.TIERS.value, level=2, tier_basis=TierBasis.LAYER.value,
            tiers=((ONE, _rate(rng, 1, 1.5)), (Decimal(3), _rate(rng, 2, 3))),
            **self._scope(family=CHAIN_LAYER_TIER_FAMILY),
        ))
        framework.add(_ConditionSpec(
            kind=ConditionKind.TIERS.value, level=2, tier_basis=TierBasis.PALLET.value,
            tiers=((ONE, _rate(rng, 2.5, 3)), (Decimal(2), _rate(rng, 4, 5))),
            **self._scope(family=CHAIN_PALLET_TIER_FAMILY),
        ))
        # "10 + 1": per 10 cases ordered, one case of the same article free.
        for article in rng.sample(self.sellable, min(FREE_GOODS_ARTICLES_PER_CHAIN, len(self.sellable))):
            framework.add(_ConditionSpec(kind=ConditionKind.FREE_GOODS.value, buy_quantity=article.case * 10,
                                         free_quantity=article.case, **self._scope(article=article)))

        for group in (n for n in self.children[chain.pk] if n.kind == NodeKind.BUYING_GROUP):
            self._group_contracts(rng, chain, group, list_code)
        for node in subtree:
            if node.kind == NodeKind.BUYING_GROUP and self.nodes[node.parent_id].kind == NodeKind.BUYING_GROUP:
                regional = self._contract(f"CTR-{node.code}", f"Remise régionale {node.name} {years}", node=node)
                regional.add(self._discount(6, Decimal("1.0000")))
            elif node.kind == NodeKind.PLATFORM:
                logistics = self._contract(f"LOG-{node.code}", f"Remise logistique {node.name} {years}", node=node)
                logistics.add(self._discount(5, _rate(rng, 1.5, 3)))
        # Promotions: the first store under each node that has stores.
        for parent in subtree:
            stores = [n for n in self.children[parent.pk] if n.kind == NodeKind.STORE]
            if stores:
                self._promotions(stores[0])
        # Franchisees delivered directly (stores right under a buying group): a segment.
        direct = [n for n in subtree if n.kind == NodeKind.STORE and self.nodes[n.parent_id].kind == NodeKind.BUYING_GROUP]
        if direct:
            segment = CustomerSegment(code=f"SEG-{suffix}", name=f"Franchisés en livraison directe {chain.name}")
            plan = self._contract(f"CTR-SEG-{suffix}", f"Remise livraison directe {chain.name} {years}",
                                  segment=segment)
            plan.segment_members = tuple(direct)
            plan.add(self._discount(6, Decimal("1.5000")))

    def _group_contracts(self, rng: random.Random, chain: _Node, group: _Node, list_code: str) -> None:
        years = f"{self.framework_start.year}–{self.framework_end.year}"
        contract = self._contract(f"CTR-{group.code}", f"Contrat {group.name} {years}", node=group)
        for family in GROUP_L3_FAMILIES:
            contract.add(self._discount(3, _rate(rng, 2, 5), family=family))
        prices = self.unit_prices[list_code]
        picks = rng.sample(self.sellable, min(NET_PRICE_ARTICLES_PER_GROUP, len(self.sellable)))
        for position, article in enumerate(picks):
            assert article.cost is not None
            if position == 0:
                # A floor: whatever the cascade gives, never under 15 % over cost.
                contract.add(_ConditionSpec(
                    kind=ConditionKind.NET_PRICE.value, net_price=_places_4(article.cost * Decimal("1.15")),
                    net_price_mode=NetPriceMode.FLOOR.value, **self._scope(article=article),
                ))
                continue
            net = max(_places_4(prices[article.pk] * _factor(rng, 0.78, 0.86)), _places_4(article.cost * Decimal("1.08")))
            contract.add(_ConditionSpec(kind=ConditionKind.NET_PRICE.value, net_price=net,
                                        net_price_mode=NetPriceMode.REPLACE.value, **self._scope(article=article)))
        has_regional = any(n.kind == NodeKind.BUYING_GROUP for n in self.children[group.pk])
        if has_regional:
            # What the buying group asks for, replayed by the what-if screen over the last
            # 12 months of sales: so it starts with the framework, before that history.
            # Its scopes differ from the group's active conditions: activating it ties with
            # nothing.
            draft = self._contract(
                f"PRJ-{group.code}", f"Projet de renégociation {group.name}", node=group,
                valid_from=self.framework_start, valid_to=None, status=ContractStatus.DRAFT,
                notes="Demande de la centrale : 2,5 % de remise complémentaire sur tout l'assortiment et une "
                      "remise quantitative par palier.",
            )
            draft.add(self._discount(6, Decimal("2.5000")))
            draft.add(_ConditionSpec(kind=ConditionKind.TIERS.value, level=2, tier_basis=TierBasis.QUANTITY.value,
                                     tiers=((Decimal(100), ONE), (Decimal(500), Decimal(2)))))

    def _promotions(self, store: _Node) -> _ContractPlan:
        """L4 promotions in three monthly windows: last month, this month, next month."""
        rng = random.Random(f"{SEED}/promotions/{store.code}")
        plan = self._contract(
            f"PRO-{store.code}", f"Promotions {store.name}", node=store,
            valid_from=_month_start(self.today, -1), valid_to=_month_end(self.today, 1),
        )
        families = rng.sample(PROMOTION_FAMILIES, 3)
        for offset, family in zip((-1, 0, 1), families, strict=True):
            start, end = _month_start(self.today, offset), _month_end(self.today, offset)
            plan.add(self._discount(4, _rate(rng, 8, 15), family=family, valid_from=start, valid_to=end))
            picks = rng.sample(self.sellable, min(PROMOTED_ARTICLES_PER_WINDOW, len(self.sellable)))
            for article in picks:
                plan.add(self._discount(4, _rate(rng, 15, 25, 5), article=article, valid_from=start, valid_to=end))
        return plan

    def _benchmark_contracts(self, lineage: list[_Node]) -> None:
        """Article-by-article conditions over the whole catalogue on the benchmark
        store's lineage, each node on its own level."""
        chain, store = lineage[0], lineage[-1]
        group = next(n for n in reversed(lineage) if n.kind == NodeKind.BUYING_GROUP)
        platform = next(n for n in reversed(lineage) if n.kind == NodeKind.PLATFORM)
        years = f"{self.framework_start.year}–{self.framework_end.year}"
        chain_plan = self._contract(f"ART-{chain.code}", f"Conditions article par article {chain.name} {years}",
                                    node=chain)
        group_plan = self._contract(f"ART-{group.code}", f"Remises enseigne par article {group.name} {years}",
                                    node=group)
        platform_plan = self._contract(f"ART-{platform.code}", f"Remises logistiques par article {platform.name} "
                                       f"{years}", node=platform)
        promotions = next((plan for plan in self.plans if plan.contract.code == f"PRO-{store.code}"), None)
        if promotions is None:
            promotions = self._promotions(store)
        taken = {(condition.valid_from, condition.article_id) for condition in promotions.conditions
                 if condition.article_id is not None}
        windows = [(_month_start(self.today, offset), _month_end(self.today, offset)) for offset in (0, 1)]
        for article in self.articles:
            code = article.code
            chain_plan.add(self._discount(6, _grid(_fraction("l6", code), 0.5, 3.0, 0.25), article=article))
            if _fraction("l3", code) < BENCHMARK_GROUP_SHARE:
                group_plan.add(self._discount(3, _grid(_fraction("l3-rate", code), 2, 8, 0.5), article=article))
            if _fraction("l5", code) < BENCHMARK_PLATFORM_SHARE:
                platform_plan.add(self._discount(5, _grid(_fraction("l5-rate", code), 0.5, 2.5, 0.25),
                                                 article=article))
            for number, (start, end) in enumerate(windows):
                if _fraction(f"l4-{number}", code) < BENCHMARK_PROMOTION_SHARE and (start, article.pk) not in taken:
                    promotions.add(self._discount(4, _grid(_fraction(f"l4-rate-{number}", code), 5, 15, 5),
                                                  article=article, valid_from=start, valid_to=end))

    def _insert_contracts(self) -> None:
        segments = [plan.contract.segment for plan in self.plans if plan.contract.segment is not None]
        CustomerSegment.objects.bulk_create(segments, batch_size=BATCH_SIZE)
        membership = CustomerSegment.nodes.through
        membership.objects.bulk_create([
            membership(customersegment_id=plan.contract.segment.pk, customernode_id=node.pk)
            for plan in self.plans if plan.contract.segment is not None for node in plan.segment_members
        ], batch_size=BATCH_SIZE)
        Contract.objects.bulk_create([plan.contract for plan in self.plans], batch_size=BATCH_SIZE)
        ContractStatusChange.objects.bulk_create([
            ContractStatusChange(contract=plan.contract, from_status=ContractStatus.DRAFT,
                                 to_status=ContractStatus.ACTIVE, changed_by=self.owner)
            for plan in self.plans if plan.contract.status == ContractStatus.ACTIVE
        ], batch_size=BATCH_SIZE)
        # Tier conditions go through bulk_create, which returns the keys their tiers
        # need; the others (nearly all) as plain rows.
        tiered = [(spec.instance(plan.contract), spec.tiers)
                  for plan in self.plans for spec in plan.conditions if spec.tiers]
        Condition.objects.bulk_create([condition for condition, _tiers in tiered], batch_size=BATCH_SIZE)
        ConditionTier.objects.bulk_create([
            ConditionTier(condition=condition, threshold=threshold, rate=rate)
            for condition, tiers in tiered for threshold, rate in tiers
        ], batch_size=BATCH_SIZE)
        _insert_rows(Condition, CONDITION_COLUMNS, (
            spec.row(plan.contract.pk) for plan in self.plans for spec in plan.conditions if not spec.tiers
        ))

    # ------------------------------------------------------------------ sales history

    def seed_sales_history(self) -> None:
        stores = [node for node in self.nodes.values() if node.kind == NodeKind.STORE]
        if not stores or not self.sellable:
            return
        per_store = max(HISTORY_MIN_LINES_PER_STORE, min(HISTORY_LINES_PER_STORE, HISTORY_MAX_LINES // len(stores)))
        for store in stores:
            rng = random.Random(f"{SEED}/history/{store.code}")
            prices = self.unit_prices[self._effective_list_code(store) or GENERAL_LIST]
            assortment = rng.sample(self.sellable, min(HISTORY_ASSORTMENT, len(self.sellable)))
            lines: list[tuple[int, int, date, Decimal, Decimal]] = []
            for _line in range(per_store):
                article = rng.choice(assortment)
                quantity = article.case * rng.choice((1, 1, 1, 2, 2, 3, 4, 6, 10))
                discount = Decimal(rng.randint(800, 2200)) / 10000
                lines.append((store.pk, article.pk, self.today - timedelta(days=rng.randint(1, 365)), quantity,
                              _cents(quantity * prices[article.pk] * (ONE - discount))))
            lines.sort(key=lambda line: (line[2], line[1]))
            self.history.extend(lines)
        _insert_rows(SalesHistoryLine, SALES_HISTORY_COLUMNS, self.history)

    # ------------------------------------------------------------------ year-end rebates

    def seed_rebates(self) -> None:
        """One agreement per national buying group for this calendar year; thresholds
        from the group's turnover over the last 12 months so that tiers are in reach."""
        period_start, period_end = date(self.today.year, 1, 1), date(self.today.year, 12, 31)
        in_family = {a.pk for a in self.articles if a.top_family == REBATE_FAMILY}
        total_by_store: dict[int, Decimal] = defaultdict(Decimal)
        family_by_store: dict[int, Decimal] = defaultdict(Decimal)
        for store_id, article_id, _sold_on, _quantity, net_amount in self.history:
            total_by_store[store_id] += net_amount
            if article_id in in_family:
                family_by_store[store_id] += net_amount
        agreements: list[tuple[RebateAgreement, list[tuple[Decimal, Decimal]]]] = []
        for chain in (n for n in self.children[None] if n.kind == NodeKind.CHAIN):
            for group in (n for n in self.children[chain.pk] if n.kind == NodeKind.BUYING_GROUP):
                by_step = any(n.kind == NodeKind.BUYING_GROUP for n in self.children[group.pk])
                by_store = total_by_store if by_step else family_by_store
                turnover = sum((by_store[node.pk] for node in self._subtree(group)), ZERO)
                agreement = RebateAgreement(
                    code=f"RFA-{group.code}"[:30], node_id=group.pk, period_start=period_start,
                    period_end=period_end,
                    base=RebateBase.TOTAL if by_step else RebateBase.FAMILY,
                    family_id=None if by_step else self.family_ids[REBATE_FAMILY],
                    method=RebateMethod.STEP if by_step else RebateMethod.SLICE,
                )
                shares = ((0.6, "1.0000"), (0.95, "2.5000")) if by_step else ((0.4, "1.5000"), (0.8, "3.0000"))
                tiers = [(ZERO, ZERO)]
                for share, rate in shares:
                    threshold = max(Decimal(round(float(turnover) * share, -3)), tiers[-1][0] + 1000)
                    tiers.append((threshold.quantize(CENT), Decimal(rate)))
                agreements.append((agreement, tiers))
        RebateAgreement.objects.bulk_create([agreement for agreement, _tiers in agreements])
        RebateTier.objects.bulk_create([
            RebateTier(agreement=agreement, threshold=threshold, rate=rate)
            for agreement, tiers in agreements for threshold, rate in tiers
        ])


def _grid(fraction: float, low: float, high: float, step: float) -> Decimal:
    """A rate on a grid of ``step`` between ``low`` and ``high``, picked by ``fraction``."""
    steps = round((high - low) / step)
    return Decimal(str(low + step * min(int(fraction * (steps + 1)), steps))).quantize(PLACES_4)

