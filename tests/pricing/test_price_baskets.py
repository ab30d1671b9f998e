"""``price_baskets``: the baskets of many customer nodes priced at once, exactly as each
alone through ``price_basket``, in a number of queries that does not grow with them."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from comptoir.exceptions import ValidationFailed
from pricing.models import Condition, Contract, CustomerSegment, PriceListItem
from pricing.selectors import BasketLine, BasketRequest, price_basket, price_baskets
from pricing.services import (
    TierInput,
    condition_save,
    contract_activate,
    contract_save,
    price_list_save,
)
from tests import factories
from trade.models import PriceList
from trade.selectors import customer_node_effective_settings
from trade.services import customer_node_save

pytestmark = pytest.mark.django_db
DAY = date(2026, 6, 15)
STORES_PER_PLATFORM = 5


def _contract(node=None, code="", *, segment=None, valid_from=date(2026, 1, 1), valid_to=None):
    return contract_save(Contract(code=code, name=code, node=node, segment=segment, valid_from=valid_from,
                                  valid_to=valid_to))


def _discount(contract, level, rate, **scope):
    return condition_save(Condition(contract=contract, kind="discount", level=level, rate=Decimal(rate), **scope))


@pytest.fixture
def chain(hierarchy, admin_user_role):
    """chain → group → platforms A and B → five stores each; a base list on the
    chain, a list derived from it on platform B, a list of its own on store B2;
    contracts at every level, a segment, store promotions, net prices, free goods,
    tiers, a draft and a future contract."""
    base = factories.PriceListFactory(code="T-BASE")
    derived = price_list_save(PriceList(code="T-DER", name="Dérivé", parent=base, coefficient=Decimal("1.1000")))
    own = factories.PriceListFactory(code="T-B2")
    top, group = hierarchy["chain"], hierarchy["group"]
    top.price_list = base
    customer_node_save(top)
    platform_a = hierarchy["platform"]
    platform_b = factories.CustomerNodeFactory(kind="platform", parent=group, code="PFB", price_list=derived)
    stores_a = [hierarchy["store"]] + [
        factories.CustomerNodeFactory(kind="store", parent=platform_a, code=f"MAG-A{n}")
        for n in range(2, STORES_PER_PLATFORM + 1)
    ]
    stores_b = [factories.CustomerNodeFactory(kind="store", parent=platform_b, code=f"MAG-B{n}")
                for n in range(1, STORES_PER_PLATFORM + 1)]
    stores_b[1].price_list = own
    customer_node_save(stores_b[1])

    grocery = factories.FamilyFactory(code="EPI")
    hot_drinks = factories.FamilyFactory(code="BOISSONS-CHAUDES", parent=grocery)
    coffee_brand = factories.BrandFactory(name="Marque Café")
    coffee = factories.ArticleFactory(code="CAFE", family=hot_drinks, brand=coffee_brand)
    tea = factories.ArticleFactory(code="THE", family=hot_drinks)
    sugar = factories.ArticleFactory(code="SUCRE", family=grocery)
    unpriced = factories.ArticleFactory(code="SANSPRIX", family=grocery)
    for article in (coffee, tea, sugar, unpriced):
        factories.PackagingFactory(article=article, level="case", quantity=Decimal("12"))
        factories.PackagingFactory(article=article, level="layer", quantity=Decimal("120"))
        factories.PackagingFactory(article=article, level="pallet", quantity=Decimal("600"))
        factories.SupplierArticleFactory(article=article, purchase_price=Decimal("2.5000"))
    for price_list, article, level, price, minimum in [
        (base, coffee, "case", "48.0000", "0"),
        (base, coffee, "case", "45.0000", "50"),  # a quantity break
        (base, coffee, "", "4.5000", "0"),
        (base, tea, "", "3.2000", "0"),
        (base, sugar, "case", "14.4000", "0"),
        (derived, tea, "", "3.0000", "0"),  # derived list's own price; the rest is base × 1.1
        (own, coffee, "case", "50.0000", "0"),  # store B2's list has coffee only
    ]:
        PriceListItem.objects.create(price_list=price_list, article=article, packaging_level=level,
                                     unit_price=Decimal(price), min_quantity=Decimal(minimum))

    chain_contract = _contract(top, "C-ENS")
    _discount(chain_contract, 1, "10")
    condition_save(Condition(contract=chain_contract, kind="tiers", level=2, tier_basis="layer",
                             scope_kind="article", article=coffee),
                   tiers=[TierInput(Decimal("1"), Decimal("2")), TierInput(Decimal("5"), Decimal("4"))])
    group_contract = _contract(group, "C-CEN")
    _discount(group_contract, 3, "5", scope_kind="family", family=grocery)
    platform_a_contract = _contract(platform_a, "C-PFA")
    _discount(platform_a_contract, 5, "3", scope_kind="brand", brand=coffee_brand)
    platform_b_contract = _contract(platform_b, "C-PFB")
    condition_save(Condition(contract=platform_b_contract, kind="net_price", scope_kind="article", article=tea,
                             net_price=Decimal("2.9000"), net_price_mode="floor"))
    segment = CustomerSegment.objects.create(code="SEG", name="Proximité")
    segment.nodes.add(platform_b, stores_a[0])
    segment_contract = _contract(code="C-SEG", segment=segment)
    _discount(segment_contract, 6, "1")
    promotion_a1 = _contract(stores_a[0], "P-A1", valid_from=date(2026, 6, 1), valid_to=date(2026, 6, 30))
    _discount(promotion_a1, 4, "8", scope_kind="article", article=coffee)
    promotion_b1 = _contract(stores_b[0], "P-B1", valid_from=date(2026, 6, 1), valid_to=date(2026, 6, 30))
    condition_save(Condition(contract=promotion_b1, kind="free_goods", scope_kind="article", article=coffee,
                             buy_quantity=Decimal("120"), free_quantity=Decimal("12")))
    condition_save(Condition(contract=promotion_b1, kind="net_price", scope_kind="article", article=sugar,
                             net_price=Decimal("1.0000"), net_price_mode="replace"))
    future = _contract(stores_a[2], "P-A3-FUTUR", valid_from=date(2026, 7, 1))
    _discount(future, 4, "20")
    for contract in (chain_contract, group_contract, platform_a_contract, platform_b_contract,
                     segment_contract, promotion_a1, promotion_b1, future):
        contract_activate(contract, user=admin_user_role)
    draft = _contract(stores_a[1], "P-A2-BROUILLON")
    _discount(draft, 4, "50")
    return {
        **hierarchy, "platform_b": platform_b, "stores_a": stores_a, "stores_b": stores_b,
        "stores": stores_a + stores_b, "nodes": [top, group, platform_a, platform_b, *stores_a, *stores_b],
        "articles": [coffee, tea, sugar, unpriced], "coffee": coffee, "tea": tea, "sugar": sugar,
        "unpriced": unpriced,
    }


def _basket(chain) -> list[BasketLine]:
    """The same line ids in every basket, as each EDI order numbers its own lines."""
    coffee, tea, sugar, unpriced = chain["articles"]
    return [
        BasketLine(1, coffee.pk, Decimal("40"), "case"),  # 4 layers: the first tier
        BasketLine(2, coffee.pk, Decimal("60"), "case"),  # a price break and the second tier
        BasketLine(3, coffee.pk, Decimal("1"), "layer"),
        BasketLine(4, tea.pk, Decimal("30")),
        BasketLine(5, sugar.pk, Decimal("5"), "case"),
        BasketLine(6, unpriced.pk, Decimal("2")),
        BasketLine("7-texte", coffee.pk, Decimal("7")),
    ]


def _one_by_one(requests: list[BasketRequest]):
    return [price_basket(node=request.node, lines=request.lines, on_date=DAY, settings=request.settings)
            for request in requests]


def _assert_same(batch, alone) -> None:
    assert len(batch) == len(alone)
    for together, single in zip(batch, alone, strict=True):
        # The snapshots first, for a readable difference; then the whole results.
        assert [line.to_breakdown() for line in together.lines] == [line.to_breakdown() for line in single.lines]
        assert together == single


def test_each_basket_is_priced_as_price_basket_prices_it_alone(chain):
    requests = [BasketRequest(node=node, lines=_basket(chain)) for node in chain["nodes"]]

    batch = price_baskets(requests, on_date=DAY)

    _assert_same(batch, _one_by_one(requests))
    by_code = {result.node.code: result for result in batch}
    # Each result keeps the caller's own line ids and its own unpriced lines.
    assert [line.line_id for line in by_code["MAG"].lines] == [1, 2, 3, 4, 5, "7-texte"]
    assert by_code["MAG"].unpriced_line_ids == (6,)
    assert by_code["MAG-B2"].unpriced_line_ids == (4, 5, 6)
    # Different lists down the two branches.
    assert {code: by_code[code].price_list.code for code in ("MAG", "MAG-A2", "PFB", "MAG-B1", "MAG-B2")} == {
        "MAG": "T-BASE", "MAG-A2": "T-BASE", "PFB": "T-DER", "MAG-B1": "T-DER", "MAG-B2": "T-B2"}
    assert by_code["MAG-B1"].line(1).price_list_code == "T-DER ← T-BASE"
    assert by_code["MAG-B1"].line(4).gross_unit_price == Decimal("3.0000")
    # The conditions each node sees: store A1's promotion and the segment, not B1's.
    a1_coffee = by_code["MAG"].line(1)
    assert {s.level.number: s.contract_code for s in a1_coffee.steps} == {
        1: "C-ENS", 2: "C-ENS", 3: "C-CEN", 4: "P-A1", 5: "C-PFA", 6: "C-SEG"}
    assert a1_coffee.free_goods is None
    b1_coffee = by_code["MAG-B1"].line(1)
    assert {s.level.number: s.contract_code for s in b1_coffee.steps} == {
        1: "C-ENS", 2: "C-ENS", 3: "C-CEN", 4: None, 5: None, 6: "C-SEG"}
    assert b1_coffee.free_quantity == Decimal("4")
    assert by_code["MAG-B1"].line(5).net_unit_price == Decimal("12.0000")  # 1.00 per unit × 12, B1's net price
    assert by_code["MAG-B3"].line(5).net_price is None
    assert by_code["MAG-A2"].line(1).step(6).contract_code is None  # not in the segment; its draft ignored
    assert by_code["MAG-A3"].line(1).step(4).contract_code is None  # its promotion starts in July
    assert by_code["MAG-B3"].line(2).step(2).rate == Decimal("4.0000")
    # The conditions each node's basket alone loads, not those of the whole batch.
    assert by_code["MAG"].condition_count == 6
    assert by_code["MAG-B1"].condition_count == 7
    assert by_code["MAG-A2"].condition_count == 4


def test_given_settings_repeated_nodes_and_empty_baskets_are_priced_as_alone(chain):
    store, other = chain["stores_b"][0], chain["stores_a"][0]
    coffee, tea = chain["coffee"], chain["tea"]
    requests = [
        BasketRequest(node=store, lines=_basket(chain), settings=customer_node_effective_settings(store)),
        BasketRequest(node=other, lines=[BasketLine(1, tea.pk, Decimal("3"))]),
        BasketRequest(node=store, lines=[BasketLine(1, coffee.pk, Decimal("130"), "case")]),
        BasketRequest(node=other, lines=[]),
    ]

    batch = price_baskets(requests, on_date=DAY)

    _assert_same(batch, _one_by_one(requests))
    assert batch[2].line(1).free_quantity == Decimal("13")
    assert batch[3].lines == () and batch[3].unpriced_line_ids == ()


def test_settings_of_another_node_are_refused(chain):
    store, other = chain["stores"][0], chain["stores"][1]
    request = BasketRequest(node=store, lines=_basket(chain), settings=customer_node_effective_settings(other))
    with pytest.raises(ValueError):
        price_baskets([request], on_date=DAY)


def _queries(requests: list[BasketRequest]) -> int:
    with CaptureQueriesContext(connection) as captured:
        price_baskets(requests, on_date=DAY)
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_nodes(chain):
    stores = chain["stores"]
    two = [BasketRequest(node=node, lines=_basket(chain)) for node in (stores[0], stores[-1])]
    ten = [BasketRequest(node=node, lines=_basket(chain)) for node in stores]
    hundred = [BasketRequest(node=stores[n % len(stores)], lines=_basket(chain)) for n in range(100)]

    # settings, price lists, articles, packagings, gross prices, contracts + their
    # segments' members, conditions, tiers, levels, cost prices
    assert _queries(two) == _queries(ten) == _queries(hundred) == 11
    with_settings = [BasketRequest(node=node, lines=_basket(chain), settings=customer_node_effective_settings(node))
                     for node in stores]
    assert _queries(with_settings) == 10
    assert _queries([]) == 0


def test_an_unknown_article_or_a_missing_packaging_fails_the_batch_as_it_fails_alone(chain):
    store, other = chain["stores"][0], chain["stores"][6]
    lonely = factories.ArticleFactory(code="SANSCOLIS")
    PriceListItem.objects.create(price_list=PriceList.objects.get(code="T-BASE"), article=lonely,
                                 unit_price=Decimal("2.0000"))
    good = BasketRequest(node=store, lines=_basket(chain))

    case_of_lonely = BasketRequest(node=other, lines=[BasketLine(1, lonely.pk, Decimal("3"), "case")])
    with pytest.raises(ValidationFailed) as batch_error:
        price_baskets([good, case_of_lonely], on_date=DAY)
    with pytest.raises(ValidationFailed) as alone_error:
        price_basket(node=other, lines=case_of_lonely.lines, on_date=DAY)
    assert batch_error.value.errors == alone_error.value.errors
    assert "packaging_level" in batch_error.value.errors

    unknown = BasketRequest(node=other, lines=[BasketLine(1, 999_999_999, Decimal("1"))])
    with pytest.raises(KeyError, match="999999999"):
        price_baskets([good, unknown], on_date=DAY)


@hypothesis_settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_baskets_priced_together_equal_them_priced_one_by_one(chain, data):
    articles = chain["articles"]
    line = st.builds(
        lambda article, quantity, level: BasketLine(0, articles[article].pk, Decimal(quantity), level),
        st.integers(0, len(articles) - 1), st.integers(0, 700), st.sampled_from(["", "case", "layer", "pallet"]),
    )
    baskets = data.draw(st.lists(
        st.tuples(st.integers(0, len(chain["nodes"]) - 1), st.lists(line, max_size=6)), min_size=1, max_size=8))
    requests = [
        BasketRequest(node=chain["nodes"][node], lines=[
            BasketLine(number, basket_line.article_id, basket_line.quantity, basket_line.packaging_level)
            for number, basket_line in enumerate(lines, start=1)
        ])
        for node, lines in baskets
    ]
    on_date = data.draw(st.sampled_from([DAY, date(2026, 5, 20), date(2026, 7, 2)]))

    batch = price_baskets(requests, on_date=on_date)

    assert batch == [price_basket(node=request.node, lines=request.lines, on_date=on_date)
                     for request in requests]
