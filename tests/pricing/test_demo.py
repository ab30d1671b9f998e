"""The pricing demo data (``seed_demo`` after the master data): complete price lists above
cost, contracts on every level of the hierarchy with no tie, a store whose basket shows
several levels of its lineage, history and rebates that make the screens speak,
determinism and idempotence.

The scale-1 data set, dated ``DAY``, is seeded once for the module inside a transaction
rolled back at the end; each test runs in a savepoint inside it.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from pricing import engine
from pricing.demo import BENCHMARK_STORE_CODE, pricing_demo_counts, pricing_demo_reset
from pricing.models import (
    Condition,
    Contract,
    ContractStatus,
    CustomerSegment,
    PriceListItem,
    RebateAgreement,
    SalesHistoryLine,
)
from pricing.selectors import (
    BasketLine,
    contract_what_if,
    engine_conditions,
    price_basket,
    rebate_status,
)
from trade.models import Article, CustomerNode, NodeKind, Packaging, PriceList, SupplierArticle

DAY = date(2026, 6, 15)


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--force", "--date", DAY.isoformat(), *args, stdout=out)
    return out.getvalue()


def fingerprint() -> dict[str, list[tuple[object, ...]]]:
    """Business keys and values of the pricing data, not row ids."""
    return {
        "lists": list(PriceList.objects.order_by("code").values_list("code", "parent__code", "coefficient")),
        "items": list(PriceListItem.objects.order_by(
            "price_list__code", "article__code", "packaging_level", "min_quantity", "valid_from"
        ).values_list("price_list__code", "article__code", "packaging_level", "min_quantity", "unit_price",
                      "valid_from", "valid_to")),
        "contracts": list(Contract.objects.order_by("code").values_list(
            "code", "name", "node__code", "segment__code", "valid_from", "valid_to", "status", "owner__username")),
        "conditions": sorted(Condition.objects.values_list(
            "contract__code", "kind", "level", "scope_kind", "family__code", "article__code", "rate", "net_price",
            "net_price_mode", "buy_quantity", "free_quantity", "tier_basis", "valid_from", "valid_to"),
            key=repr),
        "segments": sorted(CustomerSegment.objects.values_list("code", "nodes__code")),
        "history": sorted(SalesHistoryLine.objects.values_list(
            "node__code", "article__code", "sold_on", "quantity", "net_amount"), key=repr),
        "rebates": list(RebateAgreement.objects.order_by("code", "tiers__threshold").values_list(
            "code", "node__code", "method", "base", "family__code", "period_start", "tiers__threshold",
            "tiers__rate")),
    }


def contract_nodes() -> dict[int, list[int]]:
    """Contract id → the nodes it stands on (its node, or its segment's members)."""
    result: dict[int, list[int]] = {}
    for contract in Contract.objects.prefetch_related("segment__nodes"):
        result[contract.pk] = [contract.node_id] if contract.node_id else [n.pk for n in contract.segment.nodes.all()]
    return result


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> Iterator[dict[str, int]]:  # noqa: ANN001
    with django_db_blocker.unblock(), transaction.atomic():
        seed()
        yield pricing_demo_counts()
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded: dict[str, int], db: None) -> dict[str, int]:  # noqa: ARG001
    return seeded


def test_every_article_has_a_price_in_each_list_above_its_purchase_price(demo: dict[str, int]) -> None:
    lists = {pl.code: pl for pl in PriceList.objects.all()}
    general, retail, proximity = lists["TARIF-GEN"], lists["TARIF-GMS"], lists["TARIF-PROXI"]
    assert (proximity.parent_id, proximity.coefficient) == (general.pk, Decimal("1.0800"))
    articles = set(Article.objects.values_list("pk", flat=True))
    for price_list in (general, retail):
        for level in ("", "case"):
            priced = set(PriceListItem.objects.filter(price_list=price_list, packaging_level=level, min_quantity=0)
                         .values_list("article_id", flat=True))
            assert priced == articles, (price_list.code, level)
    # The derived list holds its own prices for fresh goods only; the rest derive.
    own = Article.objects.filter(pk__in=PriceListItem.objects.filter(price_list=proximity).values("article_id"))
    assert own.exists() and set(own.values_list("family__path", flat=True)) == set(
        Article.objects.filter(family__code__startswith="FRA").values_list("family__path", flat=True))
    # Quantity breaks on the case price, from a layer or a pallet.
    breaks = PriceListItem.objects.filter(min_quantity__gt=0)
    assert breaks.exists() and set(breaks.values_list("packaging_level", flat=True)) == {"case"}
    # Every price per base unit is above the purchase price (kits: their components').
    costs: dict[int, Decimal] = {}
    for article_id, price in SupplierArticle.objects.filter(is_preferred=True).values_list(
            "article_id", "purchase_price"):
        costs[article_id] = price
    cases = dict(Packaging.objects.filter(level="case").values_list("article_id", "quantity"))
    for article_id, level, unit_price in PriceListItem.objects.values_list("article_id", "packaging_level",
                                                                           "unit_price"):
        if article_id in costs:
            per_unit = unit_price / (cases[article_id] if level == "case" else 1)
            assert per_unit > costs[article_id] * Decimal("1.1"), article_id


def test_contracts_sit_on_every_level_of_the_hierarchy(demo: dict[str, int]) -> None:
    active = Contract.objects.filter(status=ContractStatus.ACTIVE)
    kinds = Counter(active.exclude(node=None).values_list("node__kind", flat=True))
    assert kinds[NodeKind.CHAIN] >= 2 and kinds[NodeKind.BUYING_GROUP] >= 3
    assert kinds[NodeKind.PLATFORM] >= 3 and kinds[NodeKind.STORE] >= 2
    chain = Condition.objects.filter(contract__code="CTR-ENS-MDH")
    assert set(chain.filter(kind="discount", scope_kind="family").values_list("level", flat=True)) == {1, 3}
    assert set(chain.filter(kind="tiers").values_list("tier_basis", flat=True)) == {"layer", "pallet"}
    cases = dict(Packaging.objects.filter(level="case").values_list("article_id", "quantity"))
    free_goods = chain.filter(kind="free_goods")
    assert free_goods.exists()
    for article_id, buy, free in free_goods.values_list("article_id", "buy_quantity", "free_quantity"):
        assert (buy, free) == (10 * cases[article_id], cases[article_id])  # 10 + 1 cases
    group = Condition.objects.filter(contract__code="CTR-CEN-MDH")
    assert set(group.filter(kind="discount").values_list("level", flat=True)) == {3}
    assert Counter(group.filter(kind="net_price").values_list("net_price_mode", flat=True)) == {
        "replace": 3, "floor": 1}
    assert set(Condition.objects.filter(contract__node__kind=NodeKind.PLATFORM, contract__code__startswith="LOG-")
               .values_list("level", flat=True)) == {5}
    # Store promotions: L4 in monthly windows inside the contract's dates.
    promotions = Condition.objects.filter(contract__node__kind=NodeKind.STORE)
    assert set(promotions.values_list("level", flat=True)) == {4}
    windows = set(promotions.values_list("valid_from", "valid_to"))
    assert {(date(2026, 5, 1), date(2026, 5, 31)), (date(2026, 6, 1), date(2026, 6, 30)),
            (date(2026, 7, 1), date(2026, 7, 31))} == windows
    segment_contract = Contract.objects.get(segment__isnull=False)
    assert segment_contract.segment.nodes.filter(kind=NodeKind.STORE).count() == 5
    assert list(Contract.objects.filter(status=ContractStatus.DRAFT).values_list("code", flat=True)) == [
        "PRJ-CEN-MDH"]
    assert all(change == ("draft", "active") for change in active.values_list(
        "status_changes__from_status", "status_changes__to_status"))


def test_no_two_conditions_tie_even_with_the_draft_activated(demo: dict[str, int]) -> None:
    rows = Condition.objects.select_related("contract").prefetch_related("tiers")
    candidates = engine_conditions(rows, contract_nodes=contract_nodes())
    assert len(candidates) == Condition.objects.count() + 4  # the segment contract stands on 5 stores
    assert engine.find_conflicts(candidates) == ()


def test_a_store_basket_shows_conditions_from_every_level_of_its_lineage(demo: dict[str, int]) -> None:
    store = CustomerNode.objects.get(code=BENCHMARK_STORE_CODE)
    lineage = list(CustomerNode.objects.filter(pk__in=store.lineage_ids).order_by("depth"))
    assert [node.kind for node in lineage] == ["chain", "buying_group", "platform", "store"]
    article_ids = list(Article.objects.order_by("code").values_list("pk", flat=True)[::10])
    levels = ["", "case", "layer", "pallet"]
    lines = [BasketLine(n, pk, Decimal(2), levels[n % 4]) for n, pk in enumerate(article_ids)]
    result = price_basket(node=store, lines=lines, on_date=DAY)
    assert not result.unpriced_line_ids and result.price_list.code == "TARIF-GMS"
    sources = Counter(
        (step.source.node_id, step.level.number) for line in result.lines for step in line.steps if step.source)
    by_node = {node.code: {level for node_id, level in sources if node_id == node.pk} for node in lineage}
    # The chain gives L1 and L3 by family, L2 tiers by layer or pallet and L6 by article.
    assert by_node == {"ENS-MDH": {1, 2, 3, 6}, "CEN-MDH": {3}, "PF-MDH-RA": {5}, "MAG-MDH-013": {4}}
    # A franchise store on the derived list: chain, buying group and platform conditions.
    franchise = price_basket(node=CustomerNode.objects.get(code="MAG-PXS-003"), lines=lines, on_date=DAY)
    assert franchise.price_list.code == "TARIF-PROXI"
    assert any(line.price_list_code == "TARIF-PROXI ← TARIF-GEN" for line in franchise.lines)
    contracts = {step.contract_code for line in franchise.lines for step in line.steps if step.source}
    assert contracts == {"CTR-ENS-PXS", "CTR-CEN-PXS", "LOG-PF-PXS-IDF"}


def test_each_store_has_twelve_months_of_history(demo: dict[str, int]) -> None:
    per_store = Counter(SalesHistoryLine.objects.values_list("node__code", flat=True))
    stores = CustomerNode.objects.filter(kind=NodeKind.STORE).count()
    assert len(per_store) == stores and set(per_store.values()) == {240}
    assert SalesHistoryLine.objects.filter(node__kind=NodeKind.STORE).count() == 240 * stores
    dates = SalesHistoryLine.objects.values_list("sold_on", flat=True)
    assert min(dates) >= DAY - timedelta(days=365) and max(dates) < DAY
    assert not SalesHistoryLine.objects.filter(net_amount__lte=0).exists()


def test_the_draft_contract_changes_the_replayed_turnover(demo: dict[str, int]) -> None:
    draft = Contract.objects.get(code="PRJ-CEN-MDH")
    result = contract_what_if(draft, until=DAY)
    assert len(result.nodes) == 26 and result.unpriced_line_count == 0
    assert result.total("turnover_after") < result.total("turnover_before")
    assert result.total("margin_after") < result.total("margin_before")


def test_rebates_by_step_and_by_slice_are_within_reach(demo: dict[str, int]) -> None:
    agreements = {a.method: a for a in RebateAgreement.objects.all()}
    assert set(agreements) == {"step", "slice"}
    assert agreements["slice"].base == "family" and agreements["slice"].family.code == "EPS"
    for agreement in agreements.values():
        status = rebate_status(agreement, on_date=DAY)
        assert status.turnover_to_date > 0
        thresholds = [tier.threshold for tier in agreement.tiers.all()]
        assert len(thresholds) == 3 and thresholds[1] < status.projected_turnover
        assert status.projected.amount > 0


def test_seeding_again_changes_nothing(demo: dict[str, int]) -> None:
    before = fingerprint()
    assert "already present" in seed()
    assert pricing_demo_counts() == demo
    assert fingerprint() == before


def test_reset_reseeds_the_same_pricing_data(demo: dict[str, int]) -> None:
    before = fingerprint()
    seed("--reset")
    assert pricing_demo_counts() == demo
    assert fingerprint() == before


def test_pricing_data_alone_is_seeded_over_existing_master_data(demo: dict[str, int]) -> None:
    before = fingerprint()
    pricing_demo_reset()
    assert not Contract.objects.exists()
    output = seed()
    assert "seeding what is missing" in output
    assert pricing_demo_counts() == demo
    assert fingerprint() == before
