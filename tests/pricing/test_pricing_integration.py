"""Pricing on PostgreSQL: price lists and contracts down the hierarchy, through the engine."""

from datetime import date
from decimal import Decimal

import pytest

from comptoir.exceptions import InvalidTransition
from pricing.models import Condition, Contract, ContractStatus, CustomerSegment, PriceListItem
from pricing.selectors import BasketLine, price_basket
from pricing.services import (
    ConditionConflict,
    TierInput,
    condition_save,
    contract_activate,
    contract_impact,
    contract_save,
    contract_terminate,
    contracts_expire,
    price_list_save,
)
from tests import factories
from trade.models import PriceList
from trade.services import customer_node_save

pytestmark = pytest.mark.django_db
DAY = date(2026, 6, 15)


@pytest.fixture
def setup(hierarchy):
    price_list = factories.PriceListFactory(code="T2026")
    chain = hierarchy["chain"]
    chain.price_list = price_list
    customer_node_save(chain)
    article = factories.ArticleFactory(code="CAFE")
    factories.PackagingFactory(article=article, level="case", quantity=Decimal("12"))
    factories.PackagingFactory(article=article, level="layer", quantity=Decimal("120"))
    factories.PackagingFactory(article=article, level="pallet", quantity=Decimal("600"))
    factories.SupplierArticleFactory(article=article, purchase_price=Decimal("2.5000"))
    PriceListItem.objects.create(price_list=price_list, article=article, packaging_level="case",
                                 unit_price=Decimal("48.0000"))
    return {**hierarchy, "price_list": price_list, "article": article}


def contract(node, code, *, status="active", valid_from=date(2026, 1, 1), valid_to=None, user=None):
    obj = contract_save(Contract(code=code, name=code, node=node, valid_from=valid_from, valid_to=valid_to))
    return obj


def discount(contract_obj, level, rate, **scope):
    return condition_save(Condition(contract=contract_obj, kind="discount", level=level, rate=Decimal(rate), **scope))


def price(setup, node_key="store", quantity="40", level="case", on=DAY):
    result = price_basket(
        node=setup[node_key], lines=[BasketLine(1, setup["article"].pk, Decimal(quantity), level)], on_date=on
    )
    return result.line(1)


def test_the_worked_example_through_the_database(setup, admin_user_role):
    c = contract(setup["chain"], "C-ENS")
    for level, rate in [(1, "10"), (2, "5"), (4, "3"), (5, "2")]:
        discount(c, level, rate)
    contract_activate(c, user=admin_user_role)
    line = price(setup)
    assert line.gross_unit_price == Decimal("48.0000")
    assert line.net_unit_price == Decimal("39.0126")
    assert line.line_amount == Decimal("1560.50")
    assert line.price_list_code == "T2026"
    assert [s.contract_code for s in line.steps] == ["C-ENS", "C-ENS", None, "C-ENS", "C-ENS", None]


def test_a_store_inherits_chain_l3_platform_l5_and_its_own_contract_overrides_l4(setup, admin_user_role):
    chain_contract = contract(setup["chain"], "C-CHAIN")
    discount(chain_contract, 3, "10")
    discount(chain_contract, 4, "2")
    platform_contract = contract(setup["platform"], "C-PF")
    discount(platform_contract, 5, "3")
    store_contract = contract(setup["store"], "C-STORE")
    discount(store_contract, 4, "5")
    for c in (chain_contract, platform_contract, store_contract):
        contract_activate(c, user=admin_user_role)
    line = price(setup)
    sources = {s.level.number: s.contract_code for s in line.steps}
    assert sources == {1: None, 2: None, 3: "C-CHAIN", 4: "C-STORE", 5: "C-PF", 6: None}
    # 48 × 0.90 × 0.95 × 0.97 = 39.8088 (4 places)
    assert line.net_unit_price == Decimal("39.8088")
    # the platform itself does not get the store's own L4
    assert {s.level.number: s.contract_code for s in price(setup, "platform").steps}[4] == "C-CHAIN"


def test_draft_contracts_do_not_price(setup):
    c = contract(setup["chain"], "DRAFT")
    discount(c, 1, "50")
    assert price(setup).net_unit_price == Decimal("48.0000")


def test_net_price_replaces_and_free_goods(setup, admin_user_role):
    c = contract(setup["chain"], "NET")
    discount(c, 1, "10")
    condition_save(Condition(contract=c, kind="net_price", scope_kind="article", article=setup["article"],
                             net_price=Decimal("3.5000"), net_price_mode="replace"))
    condition_save(Condition(contract=c, kind="free_goods", scope_kind="article", article=setup["article"],
                             buy_quantity=Decimal("120"), free_quantity=Decimal("12")))
    contract_activate(c, user=admin_user_role)
    line = price(setup)
    assert line.net_unit_price == Decimal("42.0000")  # 3.50 per base unit × 12
    assert line.free_quantity == Decimal("4")
    assert line.line_amount == Decimal("1680.00")


def test_quantity_tiers_at_layer_and_pallet(setup, admin_user_role):
    c = contract(setup["chain"], "TIERS")
    condition_save(Condition(contract=c, kind="tiers", level=2, tier_basis="layer"),
                   tiers=[TierInput(Decimal("1"), Decimal("2")), TierInput(Decimal("5"), Decimal("4"))])
    contract_activate(c, user=admin_user_role)
    assert price(setup, quantity="9").step(2).rate is None  # 108 units: no full layer
    assert price(setup, quantity="10").step(2).rate == Decimal("2.0000")  # one layer
    assert price(setup, quantity="50").step(2).rate == Decimal("4.0000")  # 600 units = 5 layers


def test_a_tie_is_refused_at_save_naming_both(setup, admin_user_role):
    c = contract(setup["chain"], "A")
    first = discount(c, 3, "10")
    contract_activate(c, user=admin_user_role)
    other = contract(setup["chain"], "B")
    with pytest.raises(ConditionConflict) as excinfo:
        discount(other, 3, "12")
    from pricing.services import describe_condition

    assert describe_condition(first) in excinfo.value.message
    assert excinfo.value.details["conflicts"][0]["with"] == first.pk
    assert not Condition.objects.filter(contract=other).exists()
    # a later start is not a tie: the later one wins on its dates
    later = contract(setup["chain"], "C", valid_from=date(2026, 6, 1))
    discount(later, 3, "12")
    contract_activate(later, user=admin_user_role)
    assert price(setup).step(3).contract_code == "C"
    assert price(setup, on=date(2026, 5, 31)).step(3).contract_code == "A"


def test_validity_edges(setup, admin_user_role):
    c = contract(setup["chain"], "JUNE", valid_from=date(2026, 6, 1), valid_to=date(2026, 6, 30))
    discount(c, 1, "10")
    contract_activate(c, user=admin_user_role)
    assert price(setup, on=date(2026, 5, 31)).step(1).rate is None
    assert price(setup, on=date(2026, 6, 1)).step(1).rate == Decimal("10.0000")
    assert price(setup, on=date(2026, 6, 30)).step(1).rate == Decimal("10.0000")
    assert price(setup, on=date(2026, 7, 1)).step(1).rate is None
    assert contracts_expire(on_date=date(2026, 7, 1)) == 1
    assert Contract.objects.get(pk=c.pk).status == ContractStatus.EXPIRED


def test_transitions_are_checked_and_recorded(setup, admin_user_role):
    c = contract(setup["chain"], "T")
    contract_activate(c, user=admin_user_role)
    with pytest.raises(InvalidTransition):
        contract_activate(c, user=admin_user_role)
    contract_terminate(c, user=admin_user_role)
    assert list(c.status_changes.values_list("from_status", "to_status")) == [
        ("draft", "active"), ("active", "terminated")]
    with pytest.raises(InvalidTransition):
        discount(c, 1, "5")


def test_segment_contracts_apply_to_their_members(setup, admin_user_role):
    segment = CustomerSegment.objects.create(code="SEG", name="Segment")
    segment.nodes.add(setup["platform"])
    c = contract_save(Contract(code="SEGC", name="S", segment=segment, valid_from=date(2026, 1, 1)))
    discount(c, 6, "1")
    contract_activate(c, user=admin_user_role)
    assert price(setup).step(6).contract_code == "SEGC"
    impact = contract_impact(c)
    assert (impact.node_count, impact.store_count, impact.article_count) == (2, 1, 1)


def test_derived_price_list_takes_its_parent_times_coefficient(setup):
    derived = price_list_save(PriceList(code="T-DER", name="Dérivé", parent=setup["price_list"],
                                        coefficient=Decimal("1.1000")))
    store = setup["store"]
    store.price_list = derived
    customer_node_save(store)
    assert price(setup).gross_unit_price == Decimal("52.8000")
    setup["price_list"].parent = derived
    with pytest.raises(Exception) as excinfo:
        price_list_save(setup["price_list"])
    assert "cycle" in str(excinfo.value)


def test_margin_and_below_cost(setup, admin_user_role):
    c = contract(setup["chain"], "LOW")
    discount(c, 1, "95")
    contract_activate(c, user=admin_user_role)
    line = price(setup)
    assert line.net_unit_price == Decimal("2.4000")
    assert line.flags.below_cost is True


def test_what_if_replays_history_before_and_after(setup, admin_user_role):
    from pricing.models import SalesHistoryLine
    from pricing.selectors import contract_what_if

    store, article = setup["store"], setup["article"]
    SalesHistoryLine.objects.create(node=store, article=article, sold_on=date(2026, 3, 1),
                                    quantity=Decimal("120"), net_amount=Decimal("480.00"))
    SalesHistoryLine.objects.create(node=store, article=article, sold_on=date(2025, 1, 1),  # too old
                                    quantity=Decimal("120"), net_amount=Decimal("480.00"))
    draft = contract(setup["group"], "WHATIF")
    discount(draft, 3, "10")
    result = contract_what_if(draft, until=date(2026, 6, 15))
    assert [row.node for row in result.nodes] == [store]
    row = result.nodes[0]
    assert row.line_count == 1
    assert row.turnover_before == Decimal("480.00")  # 120 units at 48/12 = 4.00
    assert row.turnover_after == Decimal("432.00")
    assert row.discount_after - row.discount_before == Decimal("48.00")
    assert row.margin_before == Decimal("180.00")  # cost 2.50 per unit
    assert row.margin_after == Decimal("132.00")


def test_rebates_by_step_and_by_slice_with_accrual_and_projection(setup):
    from pricing.models import RebateAgreement, RebateTier, SalesHistoryLine
    from pricing.selectors import rebate_status

    agreement = RebateAgreement.objects.create(code="RFA", node=setup["group"], period_start=date(2026, 1, 1),
                                               period_end=date(2026, 12, 31), method="step")
    for threshold, rate in [("0", "0"), ("100000", "1"), ("250000", "2.5")]:
        RebateTier.objects.create(agreement=agreement, threshold=Decimal(threshold), rate=Decimal(rate))
    SalesHistoryLine.objects.create(node=setup["store"], article=setup["article"], sold_on=date(2026, 3, 1),
                                    quantity=Decimal("1"), net_amount=Decimal("260000.00"))
    status = rebate_status(agreement, on_date=date(2026, 12, 31))
    assert status.turnover_to_date == Decimal("260000.00")
    assert status.accrued.amount == Decimal("6500.00")
    agreement.method = "slice"
    agreement.save()
    assert rebate_status(agreement, on_date=date(2026, 12, 31)).accrued.amount == Decimal("1750.00")
    half = rebate_status(agreement, on_date=date(2026, 7, 1))  # 182 of 365 days
    assert half.projected_turnover == Decimal("521428.57")


def test_the_expiry_task_runs_the_service(setup, admin_user_role):
    from pricing.tasks import expire_contracts

    c = contract(setup["chain"], "OLD", valid_from=date(2020, 1, 1), valid_to=date(2020, 12, 31))
    contract_activate(c, user=admin_user_role)
    assert expire_contracts.delay().get() == 1
    assert expire_contracts.delay().get() == 0
    assert Contract.objects.get(pk=c.pk).status == ContractStatus.EXPIRED


def test_a_rebate_is_settled_once_after_its_period(setup, admin_user_role):
    from pricing.models import RebateAgreement, RebateTier, SalesHistoryLine
    from pricing.services import rebate_settle

    agreement = RebateAgreement.objects.create(code="RFA2", node=setup["group"], period_start=date(2026, 1, 1),
                                               period_end=date(2026, 6, 30), method="step")
    RebateTier.objects.create(agreement=agreement, threshold=Decimal("0"), rate=Decimal("2"))
    SalesHistoryLine.objects.create(node=setup["store"], article=setup["article"], sold_on=date(2026, 3, 1),
                                    quantity=Decimal("1"), net_amount=Decimal("1000.00"))
    with pytest.raises(InvalidTransition):
        rebate_settle(agreement, on_date=date(2026, 6, 30), user=admin_user_role)
    settled = rebate_settle(agreement, on_date=date(2026, 7, 1), user=admin_user_role)
    assert (settled.settled_turnover, settled.settled_amount) == (Decimal("1000.00"), Decimal("20.00"))
    with pytest.raises(InvalidTransition):
        rebate_settle(agreement, on_date=date(2026, 7, 2), user=admin_user_role)


def test_a_packaging_without_its_own_price_takes_the_case_price_and_its_breaks(setup):
    article, price_list = setup["article"], setup["price_list"]
    PriceListItem.objects.create(price_list=price_list, article=article, packaging_level="",
                                 unit_price=Decimal("4.5000"))
    PriceListItem.objects.create(price_list=price_list, article=article, packaging_level="case",
                                 min_quantity=Decimal("600"), unit_price=Decimal("45.0000"))
    assert price(setup, quantity="10", level="").gross_unit_price == Decimal("4.5000")
    # A layer (120 units): the case price, 48.00 / 12 × 120, not the base-unit price.
    assert price(setup, quantity="1", level="layer").gross_unit_price == Decimal("480.0000")
    # A pallet (600 units) reaches the case price's break: 45.00 / 12 × 600.
    assert price(setup, quantity="1", level="pallet").gross_unit_price == Decimal("2250.0000")


def test_a_packaging_the_article_lacks_is_refused_not_priced_as_one_unit(setup):
    from comptoir.exceptions import ValidationFailed

    article = factories.ArticleFactory(code="SANSCOLIS")
    PriceListItem.objects.create(price_list=setup["price_list"], article=article, unit_price=Decimal("2.0000"))
    with pytest.raises(ValidationFailed) as excinfo:
        price_basket(node=setup["store"], lines=[BasketLine(1, article.pk, Decimal("3"), "case")], on_date=DAY)
    assert "packaging_level" in excinfo.value.errors
