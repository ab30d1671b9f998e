"""The pricing REST API on PostgreSQL: CRUD through the services, contract actions,
what-if, rebates, and the basket quote (worked example, identifiers, refusals, query
count, permissions)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from comptoir import roles
from pricing.api.serializers import PriceBreakdownSerializer
from pricing.models import (
    Condition,
    ConditionTier,
    Contract,
    ContractStatus,
    ContractStatusChange,
    CustomerSegment,
    DiscountLevel,
    PriceListItem,
    RebateAgreement,
    SalesHistoryLine,
)
from pricing.selectors import BasketLine, price_basket
from pricing.services import condition_save, contract_activate, contract_save, describe_condition
from tests import factories
from trade.models import ArticleStatus
from trade.services import article_save, customer_node_save

pytestmark = pytest.mark.django_db

DAY = date(2026, 6, 15)
CASE_GTIN = factories.gtin(4242)
UNKNOWN_GTIN = factories.gtin(9999)


@pytest.fixture
def setup(hierarchy):  # noqa: ANN001, ANN201
    """The chain holds price list T2026; CAFE costs 48.0000 per case of 12, 2.50 per unit to buy."""
    price_list = factories.PriceListFactory(code="T2026", name="Tarif 2026")
    chain = hierarchy["chain"]
    chain.price_list = price_list
    customer_node_save(chain)
    article = factories.ArticleFactory(code="CAFE")
    factories.PackagingFactory(
        article=article, level="case", quantity=Decimal("12"), gtin=CASE_GTIN
    )
    factories.PackagingFactory(article=article, level="layer", quantity=Decimal("120"))
    factories.PackagingFactory(article=article, level="pallet", quantity=Decimal("600"))
    factories.SupplierArticleFactory(article=article, purchase_price=Decimal("2.5000"))
    PriceListItem.objects.create(
        price_list=price_list,
        article=article,
        packaging_level="case",
        unit_price=Decimal("48.0000"),
    )
    return {**hierarchy, "price_list": price_list, "article": article}


@pytest.fixture
def sales_api(sales_user, api_for) -> APIClient:  # noqa: ANN001
    return api_for(sales_user)


@pytest.fixture
def warehouse_api(warehouse_user, api_for) -> APIClient:  # noqa: ANN001
    return api_for(warehouse_user)


@pytest.fixture
def admin_api(admin_user_role, api_for) -> APIClient:  # noqa: ANN001
    return api_for(admin_user_role)


@pytest.fixture
def accounting_api(make_user, api_for) -> APIClient:  # noqa: ANN001
    return api_for(make_user(roles.ACCOUNTING, username="accounting"))


def contract(node, code: str, *, valid_from: date = date(2026, 1, 1), **fields) -> Contract:  # noqa: ANN001
    return contract_save(Contract(code=code, name=code, node=node, valid_from=valid_from, **fields))


def discount(contract_obj: Contract, level: int, rate: str, **scope) -> Condition:  # noqa: ANN003
    return condition_save(
        Condition(contract=contract_obj, kind="discount", level=level, rate=Decimal(rate), **scope)
    )


def worked_example_contract(setup, user) -> Contract:  # noqa: ANN001
    """−10 %, −5 %, −3 %, −2 % on levels 1, 2, 4, 5 for the chain, active."""
    c = contract(setup["chain"], "C-ENS")
    for level, rate in [(1, "10"), (2, "5"), (4, "3"), (5, "2")]:
        discount(c, level, rate)
    return contract_activate(c, user=user)


def error_of(response, status: int, code: str) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code, body
    return body


# --------------------------------------------------------------------------- price list lines


def test_sales_creates_filters_updates_and_deletes_price_list_lines(setup, sales_api):
    price_list, article = setup["price_list"], setup["article"]
    other = factories.ArticleFactory(code="THE")

    created = sales_api.post(
        "/api/price-list-items/",
        {
            "price_list": price_list.pk,
            "article": article.pk,
            "packaging_level": "",
            "min_quantity": "120",
            "unit_price": "3.85",
            "valid_from": "2026-01-01",
        },
        format="json",
    )
    per_unit_other = sales_api.post(
        "/api/price-list-items/",
        {"price_list": price_list.pk, "article": other.pk, "unit_price": "2"},
        format="json",
    )

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["unit_price"] == "3.8500"
    assert body["min_quantity"] == "120.000"
    assert body["price_list_code"] == "T2026"
    assert body["article_code"] == "CAFE"
    assert per_unit_other.status_code == 201
    listed = sales_api.get(f"/api/price-list-items/?article={article.pk}&packaging_level=case")
    assert [row["unit_price"] for row in listed.json()["results"]] == ["48.0000"]
    per_unit = sales_api.get(
        f"/api/price-list-items/?price_list={price_list.pk}&per_base_unit=true"
    )
    assert sorted(row["article_code"] for row in per_unit.json()["results"]) == ["CAFE", "THE"]

    item_id = body["id"]
    changed = sales_api.patch(
        f"/api/price-list-items/{item_id}/", {"unit_price": "3.9"}, format="json"
    )
    assert changed.status_code == 200
    assert PriceListItem.objects.get(pk=item_id).unit_price == Decimal("3.9000")

    assert sales_api.delete(f"/api/price-list-items/{item_id}/").status_code == 204
    assert not PriceListItem.objects.filter(pk=item_id).exists()


def test_a_duplicate_price_or_a_packaging_the_article_lacks_is_refused(setup, sales_api):
    article = factories.ArticleFactory(code="SANS-COLIS")
    payload = {
        "price_list": setup["price_list"].pk,
        "article": setup["article"].pk,
        "packaging_level": "case",
        "unit_price": "50",
    }

    duplicate = sales_api.post("/api/price-list-items/", payload, format="json")
    no_case = sales_api.post(
        "/api/price-list-items/", {**payload, "article": article.pk}, format="json"
    )

    error_of(duplicate, 400, "validation_failed")
    body = error_of(no_case, 400, "validation_failed")
    assert "packaging_level" in body["details"]["errors"]
    assert PriceListItem.objects.count() == 1


# --------------------------------------------------------------------------- discount levels


def test_the_six_levels_are_listed_in_cascade_order_and_admin_relabels_one(admin_api, sales_api):
    listed = sales_api.get("/api/discount-levels/")
    first = listed.json()[0]

    changed = admin_api.patch(
        f"/api/discount-levels/{first['id']}/", {"label": "Remise tarif"}, format="json"
    )
    refused = sales_api.patch(
        f"/api/discount-levels/{first['id']}/", {"label": "Piraté"}, format="json"
    )

    assert [row["number"] for row in listed.json()] == [1, 2, 3, 4, 5, 6]
    assert first["value_kind"] == "rate" and first["stacking"] == "multiplicative"
    assert changed.status_code == 200
    assert changed.json()["label"] == "Remise tarif"
    assert refused.status_code == 403
    assert DiscountLevel.objects.get(number=1).label == "Remise tarif"


def test_two_levels_at_one_place_are_refused_naming_both(admin_api):
    level_2 = DiscountLevel.objects.get(number=2)

    response = admin_api.patch(f"/api/discount-levels/{level_2.pk}/", {"order": 3}, format="json")

    body = error_of(response, 400, "validation_failed")
    problem = body["details"]["errors"]["order"][0]
    assert "L2" in problem and "L3" in problem and "3" in problem
    assert list(DiscountLevel.objects.order_by("number").values_list("order", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]


def test_the_scheme_endpoint_swaps_two_places_at_once(admin_api, sales_api):
    levels = [
        {
            "number": row.number,
            "label": row.label,
            "order": row.order,
            "value_kind": row.value_kind,
            "stacking": row.stacking,
            "exclusive": row.exclusive,
        }
        for row in DiscountLevel.objects.order_by("number")
    ]
    levels[3]["order"], levels[4]["order"] = 5, 4
    levels[4]["stacking"] = "additive"

    response = admin_api.put("/api/discount-levels/scheme/", {"levels": levels}, format="json")
    refused = sales_api.put("/api/discount-levels/scheme/", {"levels": levels}, format="json")

    assert response.status_code == 200, response.content
    assert [row["number"] for row in response.json()] == [1, 2, 3, 5, 4, 6]
    assert DiscountLevel.objects.get(number=5).order == 4
    assert DiscountLevel.objects.get(number=5).stacking == "additive"
    assert refused.status_code == 403


def test_a_level_turned_to_amounts_is_refused_while_a_condition_gives_it_a_rate(setup, admin_api):
    draft = contract(setup["chain"], "RATE-L1")
    condition = discount(draft, 1, "10")
    level_1 = DiscountLevel.objects.get(number=1)

    response = admin_api.patch(
        f"/api/discount-levels/{level_1.pk}/", {"value_kind": "amount"}, format="json"
    )

    body = error_of(response, 400, "validation_failed")
    [problem] = body["details"]["errors"]["value_kind"]
    assert "RATE-L1" in problem and str(condition.pk) in problem and "RATE-L1" in body["message"]
    assert DiscountLevel.objects.get(number=1).value_kind == "rate"


# --------------------------------------------------------------------------- segments


def test_sales_creates_a_segment_with_node_ids_and_filters_by_member(setup, sales_api):
    store, platform = setup["store"], setup["platform"]

    created = sales_api.post(
        "/api/segments/",
        {"code": "PROX-SUD", "name": "Proximité Sud", "nodes": [store.pk, platform.pk, store.pk]},
        format="json",
    )
    unknown = sales_api.post(
        "/api/segments/", {"code": "X", "name": "X", "nodes": [999999]}, format="json"
    )

    assert created.status_code == 201, created.content
    assert sorted(created.json()["nodes"]) == sorted([store.pk, platform.pk])
    assert error_of(unknown, 400, "validation_failed")["details"]["errors"]["nodes"]
    by_member = sales_api.get(f"/api/segments/?node={store.pk}").json()["results"]
    assert [row["code"] for row in by_member] == ["PROX-SUD"]


def test_new_members_that_tie_an_active_segment_contract_are_refused(
    setup, sales_api, admin_user_role
):
    segment = CustomerSegment.objects.create(code="SEG", name="Segment")
    segment.nodes.add(setup["store"])
    on_segment = contract_save(
        Contract(code="SEGC", name="S", segment=segment, valid_from=date(2026, 1, 1))
    )
    discount(on_segment, 3, "5")
    contract_activate(on_segment, user=admin_user_role)
    own = contract(setup["platform"], "PF")
    discount(own, 3, "7")
    contract_activate(own, user=admin_user_role)

    response = sales_api.patch(
        f"/api/segments/{segment.pk}/",
        {"nodes": [setup["store"].pk, setup["platform"].pk]},
        format="json",
    )

    body = error_of(response, 409, "condition_conflict")
    [conflict] = body["details"]["conflicts"]
    assert {conflict["condition"], conflict["with"]} == set(
        Condition.objects.filter(contract__in=[on_segment, own]).values_list("pk", flat=True)
    )
    assert list(segment.nodes.values_list("pk", flat=True)) == [setup["store"].pk]


# --------------------------------------------------------------------------- contracts


def test_sales_creates_a_draft_contract_it_owns_and_cannot_set_its_status(
    setup, sales_api, sales_user
):
    response = sales_api.post(
        "/api/contracts/",
        {
            "code": "C-2026",
            "name": "Accord 2026",
            "node": setup["chain"].pk,
            "valid_from": "2026-01-01",
            "status": "active",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["owner"] == sales_user.pk
    assert body["node_code"] == "ENS"
    assert body["conditions"] == [] and body["status_changes"] == []
    assert Contract.objects.get(code="C-2026").status == ContractStatus.DRAFT


def test_a_contract_needs_one_node_or_one_segment(setup, sales_api):
    segment = CustomerSegment.objects.create(code="SEG", name="Segment")

    both = sales_api.post(
        "/api/contracts/",
        {
            "code": "BOTH",
            "name": "x",
            "node": setup["chain"].pk,
            "segment": segment.pk,
            "valid_from": "2026-01-01",
        },
        format="json",
    )

    error_of(both, 400, "validation_failed")
    assert not Contract.objects.filter(code="BOTH").exists()


def test_contracts_are_filtered_and_read_with_their_conditions(setup, sales_api, admin_user_role):
    active = worked_example_contract(setup, admin_user_role)
    old = contract(setup["store"], "OLD", valid_from=date(2025, 1, 1), valid_to=date(2025, 12, 31))

    by_status = sales_api.get("/api/contracts/?status=active").json()["results"]
    by_node = sales_api.get(f"/api/contracts/?node={setup['store'].pk}").json()["results"]
    valid_2025 = sales_api.get("/api/contracts/?valid_on=2025-06-01").json()["results"]
    detail = sales_api.get(f"/api/contracts/{active.pk}/").json()

    assert [row["code"] for row in by_status] == ["C-ENS"]
    assert [row["code"] for row in by_node] == ["OLD"]
    assert [row["code"] for row in valid_2025] == [old.code]
    assert [(c["level"], c["rate"]) for c in detail["conditions"]] == [
        (1, "10.0000"),
        (2, "5.0000"),
        (4, "3.0000"),
        (5, "2.0000"),
    ]
    assert [(s["from_status"], s["to_status"]) for s in detail["status_changes"]] == [
        ("draft", "active")
    ]


def test_contracts_are_terminated_not_deleted(setup, sales_api):
    draft = contract(setup["chain"], "DRAFT")

    deleted = sales_api.delete(f"/api/contracts/{draft.pk}/")
    terminated = sales_api.post(f"/api/contracts/{draft.pk}/terminate/")
    again = sales_api.post(f"/api/contracts/{draft.pk}/terminate/")

    assert deleted.status_code == 405
    assert terminated.status_code == 200
    assert terminated.json()["status"] == "terminated"
    error_of(again, 409, "invalid_transition")


def test_activation_that_ties_with_an_active_contract_is_refused_naming_both(
    setup, sales_api, admin_user_role
):
    first = contract(setup["chain"], "A")
    first_condition = discount(first, 3, "10")
    second = contract(setup["chain"], "B")
    second_condition = discount(second, 3, "12")  # drafts do not tie with drafts
    contract_activate(first, user=admin_user_role)

    response = sales_api.post(f"/api/contracts/{second.pk}/activate/")

    body = error_of(response, 409, "condition_conflict")
    [conflict] = body["details"]["conflicts"]
    assert (conflict["condition"], conflict["with"]) == (second_condition.pk, first_condition.pk)
    assert describe_condition(first_condition) in body["message"]
    assert describe_condition(second_condition) in body["message"]
    second.refresh_from_db()
    assert second.status == ContractStatus.DRAFT
    assert not ContractStatusChange.objects.filter(contract=second).exists()


def test_sales_activates_a_contract_and_the_change_is_recorded(setup, sales_api, sales_user):
    draft = contract(setup["chain"], "GO")
    discount(draft, 1, "10")

    response = sales_api.post(f"/api/contracts/{draft.pk}/activate/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active"
    change = ContractStatusChange.objects.get(contract=draft)
    assert (change.from_status, change.to_status, change.changed_by) == (
        "draft",
        "active",
        sales_user,
    )


def test_impact_counts_the_covered_nodes_stores_and_articles(setup, sales_api):
    factories.ArticleFactory(code="AUTRE")
    on_group = contract(setup["group"], "IMPACT")
    discount(on_group, 3, "10", scope_kind="article", article=setup["article"])

    response = sales_api.get(f"/api/contracts/{on_group.pk}/impact/")

    assert response.status_code == 200
    body = response.json()
    assert (body["node_count"], body["store_count"], body["article_count"]) == (3, 1, 1)
    assert [node["code"] for node in body["nodes"]] == ["CEN"]


def test_what_if_replays_the_history_before_and_after_per_node_with_totals(setup, sales_api):
    store, article = setup["store"], setup["article"]
    SalesHistoryLine.objects.create(
        node=store,
        article=article,
        sold_on=date(2026, 3, 1),
        quantity=Decimal("120"),
        net_amount=Decimal("480.00"),
    )
    SalesHistoryLine.objects.create(
        node=store,
        article=article,
        sold_on=date(2025, 1, 1),
        quantity=Decimal("120"),
        net_amount=Decimal("480.00"),
    )
    draft = contract(setup["group"], "WHATIF")
    discount(draft, 3, "10")

    response = sales_api.get(f"/api/contracts/{draft.pk}/what-if/?until=2026-06-15")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["period_start"], body["period_end"]) == ("2025-06-15", "2026-06-15")
    assert body["unpriced_line_count"] == 0
    figures = {
        "line_count": 1,
        "turnover_before": "480.00",
        "turnover_after": "432.00",
        "turnover_change": "-48.00",
        "discount_before": "0.00",
        "discount_after": "48.00",
        "discount_change": "48.00",
        "margin_before": "180.00",
        "margin_after": "132.00",
        "margin_change": "-48.00",
    }
    assert body["nodes"] == [
        {"node": {"id": store.pk, "code": "MAG", "name": "Magasin Test"}, **figures}
    ]
    assert body["totals"] == figures
    bad_date = sales_api.get(f"/api/contracts/{draft.pk}/what-if/?until=15-06-2026")
    assert error_of(bad_date, 400, "validation_failed")["details"]["errors"]["until"]


# --------------------------------------------------------------------------- conditions


def test_conditions_are_created_with_tiers_filtered_updated_and_deleted(setup, sales_api):
    draft = contract(setup["chain"], "COND")

    tiers = sales_api.post(
        "/api/conditions/",
        {
            "contract": draft.pk,
            "kind": "tiers",
            "level": 2,
            "tier_basis": "layer",
            "tiers": [{"threshold": "1", "rate": "2"}, {"threshold": "5", "rate": "4"}],
        },
        format="json",
    )
    rate = sales_api.post(
        "/api/conditions/",
        {
            "contract": draft.pk,
            "kind": "discount",
            "level": 1,
            "rate": "10",
            "scope_kind": "article",
            "article": setup["article"].pk,
        },
        format="json",
    )

    assert tiers.status_code == 201, tiers.content
    assert tiers.json()["tiers"] == [
        {"threshold": "1.000", "rate": "2.0000"},
        {"threshold": "5.000", "rate": "4.0000"},
    ]
    assert rate.status_code == 201, rate.content
    assert rate.json()["scope_label"].startswith("CAFE")
    listed = sales_api.get(f"/api/conditions/?contract={draft.pk}&kind=discount").json()["results"]
    assert [row["id"] for row in listed] == [rate.json()["id"]]

    tier_id = tiers.json()["id"]
    retiered = sales_api.patch(
        f"/api/conditions/{tier_id}/", {"tiers": [{"threshold": "2", "rate": "3"}]}, format="json"
    )
    assert retiered.status_code == 200
    assert list(
        ConditionTier.objects.filter(condition_id=tier_id).values_list("threshold", "rate")
    ) == [(Decimal("2.000"), Decimal("3.0000"))]
    assert sales_api.delete(f"/api/conditions/{tier_id}/").status_code == 204
    assert not Condition.objects.filter(pk=tier_id).exists()


def test_an_incomplete_condition_is_refused(setup, sales_api):
    draft = contract(setup["chain"], "BAD")

    no_rate = sales_api.post(
        "/api/conditions/", {"contract": draft.pk, "kind": "discount", "level": 1}, format="json"
    )
    twice = sales_api.post(
        "/api/conditions/",
        {
            "contract": draft.pk,
            "kind": "tiers",
            "level": 2,
            "tier_basis": "quantity",
            "tiers": [{"threshold": "1", "rate": "2"}, {"threshold": "1", "rate": "3"}],
        },
        format="json",
    )

    assert "rate" in error_of(no_rate, 400, "validation_failed")["details"]["errors"]
    assert "tiers" in error_of(twice, 400, "validation_failed")["details"]["errors"]
    assert not Condition.objects.filter(contract=draft).exists()


def test_a_condition_that_ties_is_refused_with_409_naming_both(setup, sales_api, admin_user_role):
    active = contract(setup["chain"], "A")
    first = discount(active, 3, "10")
    contract_activate(active, user=admin_user_role)
    other = contract(setup["chain"], "B")

    response = sales_api.post(
        "/api/conditions/",
        {"contract": other.pk, "kind": "discount", "level": 3, "rate": "12"},
        format="json",
    )

    body = error_of(response, 409, "condition_conflict")
    [conflict] = body["details"]["conflicts"]
    assert conflict["with"] == first.pk
    refused = Condition(pk=conflict["condition"], contract=other, kind="discount", level=3)
    assert describe_condition(first) in conflict["message"]
    assert describe_condition(refused) in conflict["message"]
    assert not Condition.objects.filter(contract=other).exists()


def test_conditions_of_a_terminated_contract_cannot_change(setup, sales_api, admin_user_role):
    closed = contract(setup["chain"], "CLOSED")
    condition = discount(closed, 1, "5")
    contract_activate(closed, user=admin_user_role)
    sales_api.post(f"/api/contracts/{closed.pk}/terminate/")

    changed = sales_api.patch(f"/api/conditions/{condition.pk}/", {"rate": "50"}, format="json")
    deleted = sales_api.delete(f"/api/conditions/{condition.pk}/")

    error_of(changed, 409, "invalid_transition")
    error_of(deleted, 409, "invalid_transition")
    condition.refresh_from_db()
    assert condition.rate == Decimal("5.0000")


# --------------------------------------------------------------------------- rebates


REBATE_TIERS = [
    {"threshold": "0", "rate": "0"},
    {"threshold": "100000", "rate": "1"},
    {"threshold": "250000", "rate": "2.5"},
]


def test_rebate_status_by_step_and_by_slice_with_projection(setup, sales_api, accounting_api):
    SalesHistoryLine.objects.create(
        node=setup["store"],
        article=setup["article"],
        sold_on=date(2026, 3, 1),
        quantity=Decimal("1"),
        net_amount=Decimal("260000.00"),
    )
    created = sales_api.post(
        "/api/rebate-agreements/",
        {
            "code": "RFA-2026",
            "node": setup["group"].pk,
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "method": "step",
            "tiers": REBATE_TIERS,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    url = f"/api/rebate-agreements/{created.json()['id']}/"

    by_step = sales_api.get(f"{url}status/?on=2026-12-31").json()
    switched = accounting_api.patch(url, {"method": "slice"}, format="json")
    by_slice = accounting_api.get(f"{url}status/?on=2026-12-31").json()
    half_year = accounting_api.get(f"{url}status/?on=2026-07-01").json()

    assert by_step["turnover_to_date"] == "260000.00"
    assert (by_step["accrued_rate"], by_step["accrued_amount"]) == ("2.5000", "6500.00")
    assert by_step["accrued_slices"] == [
        {
            "threshold": "250000.00",
            "upper": None,
            "rate": "2.5000",
            "base": "260000.00",
            "amount": "6500.00",
        }
    ]
    assert switched.status_code == 200
    assert by_slice["accrued_amount"] == "1750.00"
    assert [(s["base"], s["amount"]) for s in by_slice["accrued_slices"]] == [
        ("100000.00", "0.00"),
        ("150000.00", "1500.00"),
        ("10000.00", "250.00"),
    ]
    # 182 of 365 days: 260,000 × 365 / 182; by slice 1,500 + 2.5 % × 271,428.57
    assert half_year["projected_turnover"] == "521428.57"
    assert half_year["projected_amount"] == "8285.71"
    assert half_year["turnover_to_date"] == "260000.00"


def test_settlement_freezes_the_rebate_once_and_the_agreement_no_longer_changes(
    setup, accounting_api, make_user, api_for
):
    SalesHistoryLine.objects.create(
        node=setup["store"],
        article=setup["article"],
        sold_on=date(2026, 3, 1),
        quantity=Decimal("1"),
        net_amount=Decimal("260000.00"),
    )
    created = accounting_api.post(
        "/api/rebate-agreements/",
        {
            "code": "RFA-S",
            "node": setup["group"].pk,
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "method": "slice",
            "tiers": REBATE_TIERS,
        },
        format="json",
    )
    url = f"/api/rebate-agreements/{created.json()['id']}/"

    early = accounting_api.post(f"{url}settle/", {"on": "2026-12-31"}, format="json")
    settled = accounting_api.post(f"{url}settle/", {"on": "2027-01-05"}, format="json")
    twice = accounting_api.post(f"{url}settle/", {"on": "2027-01-06"}, format="json")
    changed = accounting_api.patch(url, {"method": "step"}, format="json")
    deleted = accounting_api.delete(url)

    error_of(early, 409, "invalid_transition")
    assert settled.status_code == 200, settled.content
    body = settled.json()
    assert (body["settled_turnover"], body["settled_amount"]) == ("260000.00", "1750.00")
    assert body["settled_at"] is not None
    error_of(twice, 409, "invalid_transition")
    error_of(changed, 409, "rebate_settled")
    error_of(deleted, 409, "rebate_settled")
    assert RebateAgreement.objects.get(code="RFA-S").method == "slice"


def test_a_family_base_needs_its_family_and_tiers_are_unique(setup, sales_api, warehouse_api):
    payload = {
        "code": "RFA",
        "node": setup["group"].pk,
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "base": "family",
    }

    no_family = sales_api.post("/api/rebate-agreements/", payload, format="json")
    twice = sales_api.post(
        "/api/rebate-agreements/",
        {**payload, "base": "total", "tiers": [REBATE_TIERS[1], REBATE_TIERS[1]]},
        format="json",
    )
    backwards = sales_api.post(
        "/api/rebate-agreements/",
        {**payload, "base": "total", "period_end": "2025-12-31"},
        format="json",
    )
    warehouse = warehouse_api.get("/api/rebate-agreements/")

    assert "family" in error_of(no_family, 400, "validation_failed")["details"]["errors"]
    assert "tiers" in error_of(twice, 400, "validation_failed")["details"]["errors"]
    error_of(backwards, 400, "validation_failed")
    assert warehouse.status_code == 403
    assert not RebateAgreement.objects.exists()


# --------------------------------------------------------------------------- quote


def quote(client: APIClient, node_id: int, lines: list[dict], **extra):  # noqa: ANN003, ANN201
    return client.post(
        "/api/pricing/quote/",
        {"node": node_id, "date": DAY.isoformat(), "lines": lines, **extra},
        format="json",
    )


def test_the_worked_example_through_the_quote(setup, sales_api, admin_user_role):
    active = worked_example_contract(setup, admin_user_role)

    response = quote(
        sales_api,
        setup["store"].pk,
        [
            {
                "line_id": "L1",
                "article": setup["article"].pk,
                "quantity": "40",
                "packaging_level": "case",
            }
        ],
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["node"] == {"id": setup["store"].pk, "code": "MAG", "name": "Magasin Test"}
    assert body["price_list"] == {
        "id": setup["price_list"].pk,
        "code": "T2026",
        "name": "Tarif 2026",
        "currency": "EUR",
    }
    assert (body["date"], body["line_count"], body["priced_line_count"]) == ("2026-06-15", 1, 1)
    assert body["total_amount"] == "1560.50"
    assert body["unpriced"] == []
    line = body["lines"][0]
    assert (line["index"], line["line_id"], line["article_code"]) == (0, "L1", "CAFE")
    assert "caller_price" not in line and "price_difference" not in line
    breakdown = line["breakdown"]
    assert breakdown["gross"] == {
        "unit_price": "48.0000",
        "price_list_id": setup["price_list"].pk,
        "price_list_code": "T2026",
    }
    assert [(lvl["level"], lvl["rate"], lvl["price_after"]) for lvl in breakdown["levels"]] == [
        (1, "10.0000", "43.2000"),
        (2, "5.0000", "41.0400"),
        (3, None, "41.0400"),
        (4, "3.0000", "39.8088"),
        (5, "2.0000", "39.0126"),
        (6, None, "39.0126"),
    ]
    assert {lvl["source"]["contract_code"] for lvl in breakdown["levels"] if lvl["source"]} == {
        "C-ENS"
    }
    assert breakdown["levels"][0]["source"]["contract_id"] == active.pk
    assert breakdown["net_unit_price"] == "39.0126"
    assert breakdown["line_amount"] == "1560.50"
    assert breakdown["unit"] == "case" and breakdown["quantity"] == "40.000"
    assert breakdown["margin"]["cost_unit_price"] == "30.0000"  # 2.50 × 12


def test_articles_are_found_by_gtin_or_code_and_the_node_by_code_or_gln(
    setup, sales_api, admin_user_role
):
    worked_example_contract(setup, admin_user_role)

    by_gtin = sales_api.post(
        "/api/pricing/quote/",
        {
            "node_code": "MAG",
            "date": "2026-06-15",
            "lines": [{"gtin": CASE_GTIN, "quantity": "40"}],
        },
        format="json",
    )
    by_code = sales_api.post(
        "/api/pricing/quote/",
        {
            "node_gln": setup["store"].gln,
            "date": "2026-06-15",
            "lines": [{"article_code": "CAFE", "quantity": "480"}],
        },
        format="json",
    )

    assert by_gtin.status_code == 200, by_gtin.content
    gtin_line = by_gtin.json()["lines"][0]["breakdown"]
    assert (gtin_line["unit"], gtin_line["net_unit_price"], gtin_line["line_amount"]) == (
        "case",
        "39.0126",
        "1560.50",
    )
    assert by_code.status_code == 200, by_code.content
    unit_line = by_code.json()["lines"][0]["breakdown"]
    # per base unit: 48 / 12 = 4.0000 gross, the same cascade
    assert (unit_line["unit"], unit_line["gross"]["unit_price"], unit_line["net_unit_price"]) == (
        "unit",
        "4.0000",
        "3.2511",
    )


def test_every_bad_line_is_listed_and_nothing_is_priced(setup, sales_api):
    blocked = factories.ArticleFactory(code="BLOQUE")
    blocked.status = ArticleStatus.BLOCKED
    article_save(blocked)
    lines = [
        {"article": setup["article"].pk, "quantity": "1"},
        {"line_id": "G", "gtin": UNKNOWN_GTIN, "quantity": "1"},
        {"line_id": "Z", "article_code": "CAFE", "quantity": "0"},
        {"article_code": "BLOQUE", "quantity": "2"},
        {"article_code": "NOPE", "quantity": "2"},
        {"article": setup["article"].pk, "article_code": "CAFE", "quantity": "1"},
        {"gtin": CASE_GTIN, "packaging_level": "pallet", "quantity": "1"},
    ]

    response = quote(sales_api, setup["store"].pk, lines)

    body = error_of(response, 400, "validation_failed")
    problems = [(p["index"], p["line_id"], p["field"], p["code"]) for p in body["details"]["lines"]]
    assert problems == [
        (1, "G", "gtin", "unknown_gtin"),
        (2, "Z", "quantity", "quantity_not_positive"),
        (3, None, "article", "article_blocked"),
        (4, None, "article_code", "unknown_article"),
        (5, None, "article", "article_named_twice"),
        (6, None, "packaging_level", "packaging_mismatch"),
    ]
    assert "6" in body["message"] and "7" in body["message"]  # 6 bad lines of 7
    assert UNKNOWN_GTIN in body["details"]["lines"][0]["message"]


def test_the_basket_is_limited_to_10000_lines(setup, sales_api):
    lines = [{"article": setup["article"].pk, "quantity": "1"}] * 10_001

    response = quote(sales_api, setup["store"].pk, lines)

    body = error_of(response, 400, "validation_failed")
    assert "10000" in body["message"]


def test_an_unknown_node_is_refused(setup, sales_api):
    response = sales_api.post(
        "/api/pricing/quote/",
        {"node_code": "NOBODY", "lines": [{"article": setup["article"].pk, "quantity": "1"}]},
        format="json",
    )

    assert "node_code" in error_of(response, 400, "validation_failed")["details"]["errors"]


def test_lines_without_a_gross_price_are_listed_as_unpriced(setup, sales_api):
    unpriced = factories.ArticleFactory(code="SANS-PRIX")

    response = quote(
        sales_api,
        setup["store"].pk,
        [
            {"article": unpriced.pk, "quantity": "3", "line_id": "U"},
            {"article": setup["article"].pk, "quantity": "1", "packaging_level": "case"},
        ],
    )

    assert response.status_code == 200
    body = response.json()
    assert [line["index"] for line in body["lines"]] == [1]
    assert body["unpriced"] == [
        {
            "index": 0,
            "line_id": "U",
            "article_id": unpriced.pk,
            "article_code": "SANS-PRIX",
            "reason": "price_not_found",
            "message": body["unpriced"][0]["message"],
        }
    ]
    assert "SANS-PRIX" in body["unpriced"][0]["message"]
    assert body["total_amount"] == "48.00"


def test_the_callers_price_is_compared_never_used(setup, sales_api, admin_user_role):
    worked_example_contract(setup, admin_user_role)
    line = {"article": setup["article"].pk, "quantity": "40", "packaging_level": "case"}

    response = quote(
        sales_api, setup["store"].pk, [{**line, "price": "39.0000"}, {**line, "price": "39.0126"}]
    )

    rows = response.json()["lines"]
    assert [(row["caller_price"], row["price_difference"]) for row in rows] == [
        ("39.0000", "-0.0126"),
        ("39.0126", "0.0000"),
    ]
    assert [row["breakdown"]["line_amount"] for row in rows] == ["1560.50", "1560.50"]


def test_a_10000_line_quote_runs_in_a_bounded_number_of_queries(
    setup, sales_api, admin_user_role, django_assert_max_num_queries
):
    worked_example_contract(setup, admin_user_role)
    articles = [factories.ArticleFactory(code=f"B{n:03d}") for n in range(20)]
    for position, article in enumerate(articles):
        factories.PackagingFactory(article=article, level="case", quantity=Decimal("6"))
        PriceListItem.objects.create(
            price_list=setup["price_list"], article=article, unit_price=Decimal("1.5000") + position
        )
    gtin_line = {"gtin": CASE_GTIN, "quantity": "40"}
    big = [
        gtin_line
        if n % 3 == 0
        else {"article_code": articles[n % 20].code, "quantity": "7", "packaging_level": "case"}
        if n % 3 == 1
        else {"article": articles[n % 20].pk, "quantity": "5", "price": "1.0000"}
        for n in range(10_000)
    ]

    quote(sales_api, setup["store"].pk, big[:1])  # loads and caches the user's permissions
    with CaptureQueriesContext(connection) as one_line:
        small = quote(sales_api, setup["store"].pk, big[:3])
    with django_assert_max_num_queries(25) as many_lines:
        response = quote(sales_api, setup["store"].pk, big)

    assert small.status_code == 200
    assert response.status_code == 200
    body = response.json()
    assert (body["line_count"], body["priced_line_count"]) == (10_000, 10_000)
    assert body["lines"][9_999]["breakdown"]["line_amount"] == "1560.50"  # 9,999 % 3 == 0
    assert len(many_lines.captured_queries) == len(one_line.captured_queries)


def test_quoting_needs_the_price_list_view_permission(
    setup, sales_api, warehouse_api, make_user, api_for
):
    lines = [{"article": setup["article"].pk, "quantity": "1"}]
    purchasing = api_for(make_user(roles.PURCHASING, username="purchasing"))
    accounting = api_for(make_user(roles.ACCOUNTING, username="accounting"))

    anonymous = APIClient().post(
        "/api/pricing/quote/", {"node": setup["store"].pk, "lines": lines}, format="json"
    )

    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    error_of(quote(warehouse_api, setup["store"].pk, lines), 403, "permission_denied")
    for client in (sales_api, purchasing, accounting):
        assert quote(client, setup["store"].pk, lines).status_code == 200


def test_the_quote_matches_the_selector(setup, sales_api, admin_user_role):
    worked_example_contract(setup, admin_user_role)

    response = quote(sales_api, setup["store"].pk, [{"gtin": CASE_GTIN, "quantity": "12"}])
    direct = price_basket(
        node=setup["store"],
        lines=[BasketLine(0, setup["article"].pk, Decimal("12.000"), "case")],
        on_date=DAY,
    )

    assert response.json()["lines"][0]["breakdown"] == direct.line(0).to_breakdown()


def test_the_breakdown_schema_describes_every_key_of_the_snapshot(setup, admin_user_role):
    worked_example_contract(setup, admin_user_role)
    line = price_basket(
        node=setup["store"],
        lines=[BasketLine(0, setup["article"].pk, Decimal("1"), "case")],
        on_date=DAY,
    ).line(0)

    described = set(PriceBreakdownSerializer().fields)

    assert described == set(line.to_breakdown())


# --------------------------------------------------------------------------- permissions


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/pricing/quote/"),
        ("post", "/api/contracts/1/activate/"),
        ("post", "/api/contracts/1/terminate/"),
        ("get", "/api/contracts/1/impact/"),
        ("get", "/api/contracts/1/what-if/"),
        ("get", "/api/rebate-agreements/1/status/"),
        ("post", "/api/rebate-agreements/1/settle/"),
        ("put", "/api/discount-levels/scheme/"),
    ],
)
def test_anonymous_gets_401_on_pricing_actions(method, url):
    response = getattr(APIClient(), method)(url, {}, format="json")

    error_of(response, 401, "not_authenticated")


def test_warehouse_may_not_write_contracts_nor_read_prices(setup, warehouse_api, sales_api):
    draft = contract(setup["chain"], "W")
    payload = {"code": "W2", "name": "x", "node": setup["chain"].pk, "valid_from": "2026-01-01"}

    created = warehouse_api.post("/api/contracts/", payload, format="json")
    changed = warehouse_api.patch(f"/api/contracts/{draft.pk}/", {"name": "Piraté"}, format="json")
    activated = warehouse_api.post(f"/api/contracts/{draft.pk}/activate/")
    condition = warehouse_api.post(
        "/api/conditions/",
        {"contract": draft.pk, "kind": "discount", "level": 1, "rate": "50"},
        format="json",
    )
    prices = warehouse_api.get("/api/price-list-items/")

    for response in (created, changed, activated, condition, prices):
        error_of(response, 403, "permission_denied")
    draft.refresh_from_db()
    assert (draft.name, draft.status) == ("W", ContractStatus.DRAFT)
    assert not Condition.objects.filter(contract=draft).exists()
    assert sales_api.post("/api/contracts/", payload, format="json").status_code == 201


def test_accounting_reads_contracts_but_does_not_write_them(setup, accounting_api):
    draft = contract(setup["chain"], "ACC")

    read = accounting_api.get(f"/api/contracts/{draft.pk}/")
    activated = accounting_api.post(f"/api/contracts/{draft.pk}/activate/")

    assert read.status_code == 200
    error_of(activated, 403, "permission_denied")
