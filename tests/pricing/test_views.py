"""Browser screens of pricing, through Django's test client: contracts and their
condition grid, activation, the price simulator, what-if, price lists, discount
levels and year-end rebates."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.forms import BaseForm
from django.urls import reverse

from comptoir import roles
from pricing.forms import parse_tiers
from pricing.models import (
    Condition,
    ConditionTier,
    Contract,
    ContractStatus,
    DiscountLevel,
    PriceListItem,
    RebateAgreement,
    RebateTier,
    SalesHistoryLine,
)
from pricing.services import TierInput, condition_save, contract_activate, contract_save
from tests import factories
from trade.models import PriceList
from trade.services import customer_node_save

pytestmark = pytest.mark.django_db
DAY = date(2026, 6, 15)
NBSP = "\u00a0"


# ---------------------------------------------------------------- helpers


def fields_of(form: BaseForm) -> dict[str, str]:
    data: dict[str, str] = {}
    for bound in form:
        value = bound.value()
        if value is None or value is False:
            continue
        if isinstance(value, date):
            value = value.isoformat()
        data[bound.html_name] = "on" if value is True else str(value)
    return data


def formset_data(formset: Any) -> dict[str, str]:
    """What a browser posts back for an unchanged formset."""
    data = fields_of(formset.management_form)
    for form in formset.forms:
        data.update(fields_of(form))
    return data


def grid_rows(rows: list[dict[str, str]], *, initial: int = 0) -> dict[str, str]:
    """A condition grid POST: ``rows`` become forms 0…n-1 (after ``initial`` stored rows)."""
    data = {
        "conditions-TOTAL_FORMS": str(len(rows)),
        "conditions-INITIAL_FORMS": str(initial),
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        defaults = {"scope_kind": "all", "min_quantity": "0"}
        for name, value in (defaults | row).items():
            data[f"conditions-{index}-{name}"] = value
    return data


def activate(contract: Contract, user: Any) -> Contract:
    return contract_activate(contract, user=user)


def discount(contract: Contract, level: int, rate: str, **scope: Any) -> Condition:
    return condition_save(
        Condition(contract=contract, kind="discount", level=level, rate=Decimal(rate), **scope)
    )


def new_contract(node: Any, code: str, **kwargs: Any) -> Contract:
    return contract_save(
        Contract(
            code=code, name=f"Contrat {code}", node=node, valid_from=date(2026, 1, 1), **kwargs
        )
    )


@pytest.fixture
def priced(hierarchy):  # noqa: ANN001, ANN201
    """The worked example's data: a price list on the chain, a coffee sold by the case
    of 12 at 48.0000, bought 2.50 per unit."""
    price_list = factories.PriceListFactory(code="T2026", name="Tarif 2026")
    chain = hierarchy["chain"]
    chain.price_list = price_list
    customer_node_save(chain)
    family = factories.FamilyFactory(code="EPI", name="Épicerie")
    article = factories.ArticleFactory(code="CAFE", designation="Café moulu 250 g", family=family)
    case = factories.PackagingFactory(article=article, level="case", quantity=Decimal("12"))
    factories.PackagingFactory(article=article, level="layer", quantity=Decimal("120"))
    factories.PackagingFactory(article=article, level="pallet", quantity=Decimal("600"))
    factories.SupplierArticleFactory(article=article, purchase_price=Decimal("2.5000"))
    PriceListItem.objects.create(
        price_list=price_list,
        article=article,
        packaging_level="case",
        unit_price=Decimal("48.0000"),
    )
    return {
        **hierarchy,
        "price_list": price_list,
        "article": article,
        "case": case,
        "family": family,
    }


@pytest.fixture
def worked_example(priced, admin_user_role):  # noqa: ANN001, ANN201
    contract = new_contract(priced["chain"], "C-ENS")
    for level, rate in [(1, "10"), (2, "5"), (4, "3"), (5, "2")]:
        discount(contract, level, rate)
    activate(contract, admin_user_role)
    return {**priced, "contract": contract}


@pytest.fixture
def accounting_user(make_user):  # noqa: ANN001, ANN201
    return make_user(roles.ACCOUNTING, username="compta")


# ---------------------------------------------------------------- access


def test_every_pricing_screen_renders_for_a_user_with_the_rights(
    admin_user_role, client_for, worked_example
):
    client = client_for(admin_user_role)
    contract, price_list = worked_example["contract"], worked_example["price_list"]
    draft = new_contract(worked_example["group"], "DRAFT")
    agreement = RebateAgreement.objects.create(
        code="RFA-1",
        node=worked_example["group"],
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
    )
    urls = [
        reverse("pricing:contract_list") + "?status=active&customer=MAG&valid_on=2026-06-15&q=C",
        reverse("pricing:contract_detail", args=[contract.pk]),
        reverse("pricing:contract_detail", args=[draft.pk]),
        reverse("pricing:contract_create"),
        reverse("pricing:contract_update", args=[draft.pk]),
        reverse("pricing:contract_activate", args=[draft.pk]),
        reverse("pricing:contract_terminate", args=[contract.pk]),
        reverse("pricing:contract_what_if", args=[draft.pk]) + "?until=2026-06-15",
        reverse("pricing:simulator"),
        reverse("pricing:simulator")
        + "?customer=MAG&articles=CAFE&quantity=40&unit=case&on_date=2026-06-15",
        reverse("pricing:price_list_list") + "?q=T20&active=yes",
        reverse("pricing:price_list_detail", args=[price_list.pk]) + "?article=CAFE",
        reverse("pricing:price_list_create"),
        reverse("pricing:price_list_update", args=[price_list.pk]),
        reverse("pricing:price_list_items", args=[price_list.pk]),
        reverse("pricing:discount_levels"),
        reverse("pricing:rebate_list") + "?q=RFA&running_on=2026-06-15",
        reverse("pricing:rebate_detail", args=[agreement.pk]) + "?on_date=2026-06-30",
        reverse("pricing:rebate_create"),
        reverse("pricing:rebate_update", args=[agreement.pk]),
        reverse("pricing:lookup_customers") + "?q=MAG",
        reverse("pricing:lookup_articles") + "?q=CAF",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    navigation = client.get(reverse("home")).content.decode()
    assert reverse("pricing:contract_list") in navigation
    assert reverse("pricing:simulator") in navigation


def test_a_warehouse_user_gets_403_on_every_pricing_screen_and_changes_nothing(
    warehouse_user, client_for, worked_example
):
    client = client_for(warehouse_user)
    contract, price_list = worked_example["contract"], worked_example["price_list"]
    gets = [
        reverse("pricing:contract_list"),
        reverse("pricing:contract_detail", args=[contract.pk]),
        reverse("pricing:contract_create"),
        reverse("pricing:contract_what_if", args=[contract.pk]),
        reverse("pricing:simulator"),
        reverse("pricing:price_list_list"),
        reverse("pricing:price_list_detail", args=[price_list.pk]),
        reverse("pricing:price_list_items", args=[price_list.pk]),
        reverse("pricing:discount_levels"),
        reverse("pricing:rebate_list"),
        reverse("pricing:rebate_create"),
    ]
    posts = [
        reverse("pricing:contract_terminate", args=[contract.pk]),
        reverse("pricing:contract_detail", args=[contract.pk]),
        reverse("pricing:discount_levels"),
    ]

    statuses = [client.get(url).status_code for url in gets] + [
        client.post(url).status_code for url in posts
    ]

    assert statuses == [403] * (len(gets) + len(posts))
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE
    assert reverse("pricing:contract_list") not in client.get(reverse("home")).content.decode()


def test_a_read_only_role_sees_the_contract_without_the_grid_or_the_actions(
    accounting_user, client_for, worked_example
):
    client = client_for(accounting_user)
    contract = worked_example["contract"]

    response = client.get(reverse("pricing:contract_detail", args=[contract.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["formset"] is None
    assert len(re.findall(r'<tr data-condition="\d+">', html)) == 4
    for name in ("contract_update", "contract_terminate"):
        assert reverse(f"pricing:{name}", args=[contract.pk]) not in html
    assert client.get(reverse("pricing:contract_update", args=[contract.pk])).status_code == 403
    assert client.post(reverse("pricing:contract_detail", args=[contract.pk])).status_code == 403
    levels = client.get(reverse("pricing:discount_levels"))
    assert levels.status_code == 200 and levels.context["formset"] is None


# ---------------------------------------------------------------- contracts and their grid


def test_sales_user_creates_a_contract_then_its_conditions_through_the_grid(
    sales_user, client_for, priced
):
    client = client_for(sales_user)
    case_gtin = priced["case"].gtin

    created = client.post(
        reverse("pricing:contract_create"),
        {
            "code": "C-CEN-26",
            "name": "Accord centrale 2026",
            "node": "cen",  # codes are matched whatever their case
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
            "owner": str(sales_user.pk),
        },
    )

    contract = Contract.objects.get(code="C-CEN-26")
    assert created.status_code == 302
    assert created["Location"] == reverse("pricing:contract_detail", args=[contract.pk])
    assert (contract.node, contract.status, contract.owner) == (
        priced["group"],
        "draft",
        sales_user,
    )

    page = client.get(created["Location"])
    assert formset_data(page.context["formset"])["conditions-TOTAL_FORMS"] == "1"
    saved = client.post(
        created["Location"],
        grid_rows(
            [
                {"kind": "discount", "level": "3", "rate": "10"},
                {"kind": "tiers", "level": "2", "tier_basis": "layer", "tiers": "1:2; 5:4,5"},
                {
                    "kind": "net_price",
                    "scope_kind": "article",
                    "article": case_gtin,
                    "net_price": "3.5",
                    "net_price_mode": "floor",
                },
                {
                    "kind": "free_goods",
                    "scope_kind": "family",
                    "family": str(priced["family"].pk),
                    "buy_quantity": "120",
                    "free_quantity": "12",
                    "min_quantity": "120",
                    # a value of another kind, left in a row, is not stored
                    "rate": "99",
                },
            ]
        ),
    )

    assert saved.status_code == 302
    rows = {c.kind: c for c in contract.conditions.all()}
    assert sorted(rows) == ["discount", "free_goods", "net_price", "tiers"]
    assert (rows["discount"].level, rows["discount"].rate) == (3, Decimal("10.0000"))
    assert list(rows["tiers"].tiers.values_list("threshold", "rate")) == [
        (Decimal("1.000"), Decimal("2.0000")),
        (Decimal("5.000"), Decimal("4.5000")),
    ]
    assert rows["net_price"].article == priced["article"]
    assert rows["net_price"].net_price_mode == "floor"
    assert (rows["free_goods"].family, rows["free_goods"].rate) == (priced["family"], None)

    # Reopened, the grid shows the tiers as typed and the article by its code.
    page = client.get(created["Location"])
    data = formset_data(page.context["formset"])
    tier_row = next(k for k, v in data.items() if v == "tiers" and k.endswith("-kind"))
    assert data[tier_row.replace("-kind", "-tiers")] == "1:2; 5:4.5"
    assert "CAFE" in data.values()


def test_the_grid_edits_and_deletes_rows_in_one_save(sales_user, client_for, priced):
    contract = new_contract(priced["chain"], "C-EDIT")
    kept = discount(contract, 1, "10")
    dropped = discount(contract, 2, "5")
    client = client_for(sales_user)
    url = reverse("pricing:contract_detail", args=[contract.pk])
    data = formset_data(client.get(url).context["formset"])
    index = {v: k.split("-")[1] for k, v in data.items() if k.endswith("-id")}
    data[f"conditions-{index[str(kept.pk)]}-rate"] = "12"
    data[f"conditions-{index[str(dropped.pk)]}-DELETE"] = "on"

    response = client.post(url, data)

    assert response.status_code == 302
    assert list(contract.conditions.values_list("pk", "level", "rate")) == [
        (kept.pk, 1, Decimal("12.0000"))
    ]


def test_a_conflict_in_the_grid_is_refused_naming_both_and_nothing_is_saved(
    sales_user, client_for, priced, admin_user_role
):
    active = new_contract(priced["chain"], "ACCORD-A")
    first = discount(active, 3, "10")
    activate(active, admin_user_role)
    draft = new_contract(priced["chain"], "ACCORD-B")
    client = client_for(sales_user)
    url = reverse("pricing:contract_detail", args=[draft.pk])

    response = client.post(
        url,
        grid_rows(
            [
                {"kind": "discount", "level": "1", "rate": "5"},  # fine on its own
                {"kind": "discount", "level": "3", "rate": "12"},  # ties with A's L3
            ]
        ),
    )

    assert response.status_code == 200
    errors = [str(e) for e in response.context["formset"].non_form_errors()]
    assert len(errors) == 1
    # Both named: each contract's code with its condition's number (French by default).
    assert re.search(rf"ACCORD-A\D+{first.pk}\b", errors[0])
    assert re.search(r"ACCORD-B\D+\d+", errors[0])
    assert errors[0] in response.content.decode()
    assert not Condition.objects.filter(contract=draft).exists()
    assert ConditionTier.objects.count() == 0
    # The rows come back as typed, without ids from the rolled-back inserts.
    assert all(form.instance.pk is None for form in response.context["formset"].forms)


def test_a_row_the_service_refuses_shows_on_its_field_and_nothing_is_saved(
    sales_user, client_for, priced
):
    contract = new_contract(priced["chain"], "C-BAD")
    client = client_for(sales_user)

    response = client.post(
        reverse("pricing:contract_detail", args=[contract.pk]),
        grid_rows(
            [
                {"kind": "discount", "level": "1", "rate": "5"},
                {"kind": "discount", "level": "2", "rate": "5", "amount": "1"},  # both: refused
                {"kind": "tiers", "level": "4", "tier_basis": "quantity", "tiers": "10:2; ten:3"},
            ]
        ),
    )

    forms = response.context["formset"].forms
    assert response.status_code == 200
    assert list(forms[1].errors) == ["rate"]
    assert "ten:3" in forms[2].errors["tiers"][0]
    assert not contract.conditions.exists()


def test_tiers_are_parsed_strictly():
    assert parse_tiers(" 10:2 ; 50 : 4,5 ;") == [
        TierInput(Decimal("10"), Decimal("2")),
        TierInput(Decimal("50"), Decimal("4.5")),
    ]
    assert parse_tiers("") == []
    for text in ("10-2", "10:2;;50:3", "10:2; 10:3", "10:101", "1.0001:2", "10:2 50:3"):
        with pytest.raises(Exception) as excinfo:
            parse_tiers(text)
        assert excinfo.type.__name__ == "ValidationError", text


def test_contract_header_refused_by_the_model_keeps_nothing(sales_user, client_for, priced):
    customer_less = {
        "code": "C-NONE",
        "name": "Sans client",
        "valid_from": "2026-03-01",
        "valid_to": "2026-02-01",
    }

    response = client_for(sales_user).post(reverse("pricing:contract_create"), customer_less)

    assert response.status_code == 200
    assert {"node", "__all__"} <= set(response.context["form"].errors)
    assert not Contract.objects.filter(code="C-NONE").exists()


def test_an_unknown_or_ambiguous_customer_is_refused_with_a_clear_message(
    sales_user, client_for, priced
):
    factories.CustomerNodeFactory(
        kind="store", parent=priced["platform"], code="MAG2", name="Magasin Test 2"
    )
    client = client_for(sales_user)
    base = {"code": "C-X", "name": "X", "valid_from": "2026-01-01"}

    unknown = client.post(reverse("pricing:contract_create"), base | {"node": "NOPE"})
    ambiguous = client.post(reverse("pricing:contract_create"), base | {"node": "Magasin"})
    by_name = client.post(reverse("pricing:contract_create"), base | {"node": "plateforme test"})

    assert "NOPE" in unknown.context["form"].errors["node"][0]
    assert "MAG, MAG2" in ambiguous.context["form"].errors["node"][0]
    assert by_name.status_code == 302
    assert Contract.objects.get(code="C-X").node == priced["platform"]


def test_activation_shows_the_impact_then_activates(sales_user, client_for, priced):
    factories.CustomerNodeFactory(
        kind="store", parent=priced["platform"], code="MAG2", name="Magasin 2"
    )
    contract = new_contract(priced["group"], "C-ACT")
    discount(contract, 3, "10", scope_kind="family", family=priced["family"])
    client = client_for(sales_user)
    url = reverse("pricing:contract_activate", args=[contract.pk])

    confirm = client.get(url)
    html = confirm.content.decode()
    activated = client.post(url)

    assert 'data-node-count="4"' in html  # the group, its platform and two stores
    assert 'data-store-count="2"' in html
    assert 'data-article-count="1"' in html
    assert "Centrale Test" in html
    contract.refresh_from_db()
    assert activated.status_code == 302
    assert contract.status == ContractStatus.ACTIVE
    assert list(contract.status_changes.values_list("from_status", "to_status", "changed_by")) == [
        ("draft", "active", sales_user.pk)
    ]
    detail = client.get(activated["Location"]).content.decode()
    assert 'data-transition="draft-active"' in detail
    assert reverse("pricing:contract_activate", args=[contract.pk]) not in detail


def test_activation_refused_by_a_conflict_names_both_and_changes_nothing(
    sales_user, client_for, priced, admin_user_role
):
    first = new_contract(priced["chain"], "FIRST")
    kept = discount(first, 3, "10")
    second = new_contract(priced["chain"], "SECOND")
    clash = discount(second, 3, "12")  # no tie yet: FIRST is still a draft
    activate(first, admin_user_role)
    client = client_for(sales_user)

    response = client.post(reverse("pricing:contract_activate", args=[second.pk]))

    assert response.status_code == 200
    refusal = response.context["errors"]
    assert len(refusal) == 1
    assert re.search(rf"FIRST\D+{kept.pk}\b", refusal[0]) and re.search(
        rf"SECOND\D+{clash.pk}\b", refusal[0]
    )
    assert Contract.objects.get(pk=second.pk).status == ContractStatus.DRAFT
    assert not second.status_changes.exists()


def test_terminate_closes_the_contract_and_its_grid(sales_user, client_for, worked_example):
    contract = worked_example["contract"]
    client = client_for(sales_user)

    response = client.post(reverse("pricing:contract_terminate", args=[contract.pk]))

    assert response.status_code == 302
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.TERMINATED
    page = client.get(reverse("pricing:contract_detail", args=[contract.pk]))
    assert page.context["formset"] is None
    assert client.get(reverse("pricing:contract_update", args=[contract.pk])).status_code == 302


def test_contract_list_filters_by_customer_reached_status_and_date(
    sales_user, client_for, worked_example
):
    new_contract(worked_example["platform"], "PF-DRAFT", valid_to=date(2026, 3, 31))
    other_chain = factories.CustomerNodeFactory(kind="chain", code="ENS2", name="Autre enseigne")
    new_contract(other_chain, "OTHER")
    client = client_for(sales_user)
    url = reverse("pricing:contract_list")

    def codes(query: str) -> list[str]:
        return sorted(c.code for c in client.get(f"{url}?{query}").context["contracts"])

    assert codes("customer=MAG") == ["C-ENS", "PF-DRAFT"]
    assert codes("customer=MAG&status=active") == ["C-ENS"]
    assert codes("valid_on=2026-06-15") == ["C-ENS", "OTHER"]
    assert codes("q=other") == ["OTHER"]


# ---------------------------------------------------------------- simulator


def simulate(client: Any, **params: str) -> Any:
    query = {
        "customer": "MAG",
        "articles": "CAFE",
        "quantity": "40",
        "unit": "case",
        "on_date": "2026-06-15",
    }
    return client.get(reverse("pricing:simulator"), query | params)


def line_html(html: str, code: str) -> str:
    match = re.search(
        rf'<tbody class="sim-line" data-line data-article="{code}".*?</tbody>', html, re.S
    )
    assert match, f"no line for {code}"
    return match.group(0)


def test_the_simulator_shows_the_worked_example_with_its_sources(
    sales_user, client_for, worked_example
):
    response = simulate(client_for(sales_user))

    html = response.content.decode()
    line = line_html(html, "CAFE")
    assert 'data-gross="48.0000"' in line
    assert 'data-net-unit-price="39.0126"' in line
    assert 'data-line-amount="1560.50"' in line
    steps = dict(
        re.findall(
            r'<td class="num step step-\w+" data-level="(\d)"[^>]*?(?:data-contract="([^"]*)")?>',
            line,
        )
    )
    assert steps == {"1": "C-ENS", "2": "C-ENS", "3": "", "4": "C-ENS", "5": "C-ENS", "6": ""}
    rates = dict(re.findall(r'data-level="(\d)" data-status="applied" data-rate="([\d.]+)"', line))
    assert rates == {"1": "10.0000", "2": "5.0000", "4": "3.0000", "5": "2.0000"}
    # French formatting of what people read.
    assert "39,0126" in line
    assert f"1{NBSP}560,50" in line
    assert "−10 %" in line
    contract_url = reverse("pricing:contract_detail", args=[worked_example["contract"].pk])
    assert f'href="{contract_url}#conditions"' in line
    # The breakdown: the price after each level, then the net.
    after = re.findall(r'data-step="level" data-level="(\d)" data-status="(\w+)"', line)
    assert after == [
        ("1", "applied"),
        ("2", "applied"),
        ("3", "none"),
        ("4", "applied"),
        ("5", "applied"),
        ("6", "none"),
    ]
    for price in ("43,2000", "41,0400", "39,8088", "39,0126"):
        assert price in line
    assert 'data-flag="none"' in line
    assert 'data-price-list="T2026"' in html


def test_the_simulator_flags_a_price_below_cost_and_shows_free_goods(
    sales_user, client_for, priced, admin_user_role
):
    contract = new_contract(priced["chain"], "LOW")
    discount(contract, 1, "95")
    condition_save(
        Condition(
            contract=contract,
            kind="free_goods",
            scope_kind="article",
            article=priced["article"],
            buy_quantity=Decimal("120"),
            free_quantity=Decimal("12"),
        )
    )
    activate(contract, admin_user_role)

    line = line_html(simulate(client_for(sales_user)).content.decode(), "CAFE")

    assert 'data-flag="below_cost"' in line
    assert 'data-free-quantity="4.000"' in line
    assert 'data-flag="none"' not in line


def test_the_simulator_prices_a_family_capped_with_a_message(
    sales_user, client_for, priced, monkeypatch
):
    monkeypatch.setattr("pricing.forms.SIMULATOR_MAX_ARTICLES", 2)
    for code in ("CAFE2", "CAFE3"):
        factories.ArticleFactory(code=code, family=priced["family"])

    response = simulate(
        client_for(sales_user), articles="", family=str(priced["family"].pk), unit="base"
    )

    html = response.content.decode()
    assert response.context["capped_family_count"] == 3
    assert [article.code for article in response.context["form"].cleaned_data["article_list"]] == [
        "CAFE",
        "CAFE2",
    ]
    assert "data-unpriced" in html  # CAFE2 has no gross price
    assert [row.article.code for row in response.context["rows"]] == ["CAFE"]


def test_the_simulator_explains_what_it_cannot_price(sales_user, client_for, priced):
    factories.ArticleFactory(code="NOCASE")
    client = client_for(sales_user)

    unknown = simulate(client, articles="CAFE NOPE 1234567890128")
    no_case = simulate(client, articles="CAFE NOCASE")
    bad_customer = simulate(client, customer="ZZZ")

    errors = unknown.context["form"].errors["articles"]
    assert len(errors) == 2 and "NOPE" in errors[0] and "1234567890128" in errors[1]
    assert [a.code for a in no_case.context["without_packaging"]] == ["NOCASE"]
    assert [row.article.code for row in no_case.context["rows"]] == ["CAFE"]
    assert "customer" in bad_customer.context["form"].errors


def test_the_simulator_finds_the_customer_by_gln_and_the_article_by_gtin(
    sales_user, client_for, worked_example
):
    store, case = worked_example["store"], worked_example["case"]

    response = simulate(client_for(sales_user), customer=store.gln, articles=case.gtin)

    assert response.context["node"] == store
    assert 'data-net-unit-price="39.0126"' in response.content.decode()


# ---------------------------------------------------------------- what-if


def test_what_if_replays_the_year_per_node_with_totals(sales_user, client_for, priced):
    store, article = priced["store"], priced["article"]
    store2 = factories.CustomerNodeFactory(
        kind="store", parent=priced["platform"], code="MAG2", name="Magasin 2"
    )
    for node, quantity, amount in [(store, "120", "480.00"), (store2, "240", "960.00")]:
        SalesHistoryLine.objects.create(
            node=node,
            article=article,
            sold_on=date(2026, 3, 1),
            quantity=Decimal(quantity),
            net_amount=Decimal(amount),
        )
    draft = new_contract(priced["group"], "WHATIF")
    discount(draft, 3, "10")
    client = client_for(sales_user)
    detail = client.get(reverse("pricing:contract_detail", args=[draft.pk])).content.decode()
    url = reverse("pricing:contract_what_if", args=[draft.pk])
    assert url in detail

    response = client.get(url, {"until": "2026-06-15"})

    html = response.content.decode()
    assert [row.node.code for row in response.context["rows"]] == ["MAG", "MAG2"]
    total = re.search(r"<tr class=\"total-row\" data-total>.*?</tr>", html, re.S).group(0)
    figures = dict(re.findall(r'data-figure="(\w+)" data-value="([-\d.]+)"', total))
    assert figures == {
        "turnover_before": "1440.00",
        "turnover_after": "1296.00",
        "turnover_change": "-144.00",
        "discount_before": "0.00",
        "discount_after": "144.00",
        "discount_change": "144.00",
        "margin_before": "540.00",  # 1,440 − 360 units × 2.50
        "margin_after": "396.00",
        "margin_change": "-144.00",
    }
    assert f"1{NBSP}296,00" in total


# ---------------------------------------------------------------- price lists


def test_a_derived_price_list_is_created_and_its_lines_added_by_gtin(
    sales_user, client_for, priced
):
    client = client_for(sales_user)

    created = client.post(
        reverse("pricing:price_list_create"),
        {
            "code": "T-GMS",
            "name": "Tarif GMS",
            "currency": "eur",
            "parent": str(priced["price_list"].pk),
            "coefficient": "1.05",
            "is_active": "on",
        },
    )

    derived = PriceList.objects.get(code="T-GMS")
    assert created.status_code == 302
    assert (derived.parent, derived.coefficient, derived.currency) == (
        priced["price_list"],
        Decimal("1.0500"),
        "EUR",
    )
    items_url = reverse("pricing:price_list_items", args=[derived.pk])
    data = formset_data(client.get(items_url).context["formset"])
    data.update(
        {
            "items-0-article": priced["case"].gtin,
            "items-0-packaging_level": "case",
            "items-0-unit_price": "50",
            "items-0-min_quantity": "0",
            "items-1-article": "CAFE",
            "items-1-packaging_level": "case",
            "items-1-unit_price": "49",
            "items-1-min_quantity": "120",
        }
    )
    saved = client.post(items_url, data)
    assert saved.status_code == 302
    assert list(derived.items.values_list("article__code", "min_quantity", "unit_price")) == [
        ("CAFE", Decimal("0.000"), Decimal("50.0000")),
        ("CAFE", Decimal("120.000"), Decimal("49.0000")),
    ]
    detail = client.get(reverse("pricing:price_list_detail", args=[derived.pk]) + "?article=caf")
    assert len(detail.context["items_page"].object_list) == 2
    assert "T2026" in detail.content.decode()


def test_a_duplicate_price_line_is_refused_and_no_line_is_saved(sales_user, client_for, priced):
    client = client_for(sales_user)
    url = reverse("pricing:price_list_items", args=[priced["price_list"].pk])
    data = formset_data(client.get(url).context["formset"])
    data.update(
        {
            "items-0-unit_price": "47",  # a change to the stored line…
            "items-1-article": "CAFE",
            "items-1-packaging_level": "case",
            "items-1-unit_price": "46",
            "items-1-min_quantity": "0",
        }
    )  # …and a duplicate

    response = client.post(url, data)

    assert response.status_code == 200
    assert response.context["formset"].forms[1].non_field_errors()
    assert list(PriceListItem.objects.values_list("unit_price", flat=True)) == [Decimal("48.0000")]


def test_a_price_list_cannot_derive_from_itself_through_another(sales_user, client_for, priced):
    client = client_for(sales_user)
    base = priced["price_list"]
    derived = PriceList.objects.create(code="T-DER", name="Dérivé", parent=base)

    response = client.post(
        reverse("pricing:price_list_update", args=[base.pk]),
        {
            "code": base.code,
            "name": base.name,
            "currency": "EUR",
            "parent": str(derived.pk),
            "coefficient": "1",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    assert PriceList.objects.get(pk=base.pk).parent is None


# ---------------------------------------------------------------- discount levels


def level_data(client: Any) -> dict[str, str]:
    return formset_data(client.get(reverse("pricing:discount_levels")).context["formset"])


def level_row(data: dict[str, str], number: int) -> str:
    pk = DiscountLevel.objects.get(number=number).pk
    return next(k for k, v in data.items() if k.endswith("-id") and v == str(pk)).removesuffix(
        "-id"
    )


def test_two_levels_swap_places_in_one_save(admin_user_role, client_for):
    client = client_for(admin_user_role)
    data = level_data(client)
    data[f"{level_row(data, 4)}-order"] = "5"
    data[f"{level_row(data, 5)}-order"] = "4"
    data[f"{level_row(data, 5)}-label"] = "Remise logistique (avant promo)"
    data[f"{level_row(data, 2)}-stacking"] = "additive"

    response = client.post(reverse("pricing:discount_levels"), data)

    assert response.status_code == 302
    assert list(DiscountLevel.objects.order_by("order").values_list("number", flat=True)) == [
        1,
        2,
        3,
        5,
        4,
        6,
    ]
    assert DiscountLevel.objects.get(number=5).label == "Remise logistique (avant promo)"
    assert DiscountLevel.objects.get(number=2).stacking == "additive"


def test_levels_the_engine_refuses_are_not_saved(admin_user_role, client_for):
    client = client_for(admin_user_role)
    data = level_data(client)
    data[f"{level_row(data, 6)}-order"] = "1"

    response = client.post(reverse("pricing:discount_levels"), data)

    assert response.status_code == 200
    assert "two levels share the same order" in response.context["formset"].non_form_errors()[0]
    assert DiscountLevel.objects.get(number=6).order == 6


def test_a_level_cannot_turn_to_amounts_while_conditions_give_it_rates(
    admin_user_role, client_for, worked_example
):
    client = client_for(admin_user_role)
    data = level_data(client)
    data[f"{level_row(data, 2)}-value_kind"] = "amount"

    response = client.post(reverse("pricing:discount_levels"), data)

    assert response.status_code == 200
    errors = response.context["formset"].non_form_errors()
    assert "level 2 takes a amount" in errors[0]
    assert DiscountLevel.objects.get(number=2).value_kind == "rate"
    assert list(DiscountLevel.objects.order_by("number").values_list("order", flat=True)) == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]


# ---------------------------------------------------------------- year-end rebates


@pytest.fixture
def rebate(priced):  # noqa: ANN001, ANN201
    agreement = RebateAgreement.objects.create(
        code="RFA-CEN",
        node=priced["group"],
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        method="step",
    )
    for threshold, rate in [("0", "0"), ("100000", "1"), ("250000", "2.5")]:
        RebateTier.objects.create(
            agreement=agreement, threshold=Decimal(threshold), rate=Decimal(rate)
        )
    SalesHistoryLine.objects.create(
        node=priced["store"],
        article=priced["article"],
        sold_on=date(2026, 3, 1),
        quantity=Decimal("1"),
        net_amount=Decimal("260000.00"),
    )
    return agreement


def test_rebate_status_by_step_on_260000(sales_user, client_for, rebate):
    response = client_for(sales_user).get(
        reverse("pricing:rebate_detail", args=[rebate.pk]), {"on_date": "2026-12-31"}
    )

    html = response.content.decode()
    assert 'data-turnover="260000.00"' in html
    assert 'data-accrued="6500.00"' in html
    assert 'data-rate-reached="2.5000"' in html
    assert f"6{NBSP}500,00" in html
    assert f"260{NBSP}000,00" in html
    assert re.findall(r'data-slice="([\d.]+)" data-amount="([\d.]+)"', html) == [
        ("250000.00", "6500.00")
    ]


def test_rebate_status_by_slice_with_projection(sales_user, client_for, rebate):
    rebate.method = "slice"
    rebate.save()

    response = client_for(sales_user).get(
        reverse("pricing:rebate_detail", args=[rebate.pk]), {"on_date": "2026-07-01"}
    )

    html = response.content.decode()
    assert 'data-accrued="1750.00"' in html
    assert re.findall(r'data-slice="([\d.]+)" data-amount="([\d.]+)"', html) == [
        ("0.00", "0.00"),
        ("100000.00", "1500.00"),
        ("250000.00", "250.00"),
    ]
    assert 'data-projected-turnover="521428.57"' in html


def test_a_rebate_agreement_is_created_with_its_tiers(sales_user, client_for, priced):
    client = client_for(sales_user)
    data = formset_data(client.get(reverse("pricing:rebate_create")).context["formsets"]["tiers"])
    data.update(
        {
            "code": "RFA-PF",
            "node": "PF",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "base": "family",
            "family": str(priced["family"].pk),
            "method": "slice",
            "tiers-0-threshold": "0",
            "tiers-0-rate": "0.5",
            "tiers-1-threshold": "50000",
            "tiers-1-rate": "1",
        }
    )

    response = client.post(reverse("pricing:rebate_create"), data)

    agreement = RebateAgreement.objects.get(code="RFA-PF")
    assert response.status_code == 302
    assert (agreement.node, agreement.family, agreement.method) == (
        priced["platform"],
        priced["family"],
        "slice",
    )
    assert list(agreement.tiers.values_list("threshold", "rate")) == [
        (Decimal("0.00"), Decimal("0.5000")),
        (Decimal("50000.00"), Decimal("1.0000")),
    ]


def test_a_rebate_on_a_family_needs_the_family_and_a_tier(sales_user, client_for, priced):
    client = client_for(sales_user)
    data = formset_data(client.get(reverse("pricing:rebate_create")).context["formsets"]["tiers"])
    data.update(
        {
            "code": "RFA-X",
            "node": "PF",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "base": "family",
            "method": "step",
        }
    )

    response = client.post(reverse("pricing:rebate_create"), data)

    assert response.status_code == 200
    assert "family" in response.context["form"].errors
    assert response.context["formsets"]["tiers"].non_form_errors()
    assert not RebateAgreement.objects.filter(code="RFA-X").exists()


# ---------------------------------------------------------------- look-ups


def test_lookups_suggest_customers_and_articles(sales_user, client_for, priced):
    client = client_for(sales_user)

    customers = client.get(reverse("pricing:lookup_customers"), {"q": "test"}).json()["results"]
    articles = client.get(reverse("pricing:lookup_articles"), {"q": priced["case"].gtin}).json()[
        "results"
    ]

    assert [row["value"] for row in customers] == ["ENS", "CEN", "PF", "MAG"]
    assert articles == [{"value": "CAFE", "label": "Café moulu 250 g"}]


def test_an_ended_agreement_is_settled_once_from_its_page(accounting_user, client_for, rebate):
    rebate.period_end = date(2025, 12, 31)
    rebate.period_start = date(2025, 1, 1)
    rebate.save()
    SalesHistoryLine.objects.update(sold_on=date(2025, 3, 1))
    client = client_for(accounting_user)
    detail_url = reverse("pricing:rebate_detail", args=[rebate.pk])
    settle_url = reverse("pricing:rebate_settle", args=[rebate.pk])
    assert settle_url in client.get(detail_url).content.decode()

    confirm = client.get(settle_url)
    settled = client.post(settle_url)
    again = client.post(settle_url)

    assert 'data-amount="6500.00"' in confirm.content.decode()
    assert settled.status_code == 302
    rebate.refresh_from_db()
    assert (rebate.settled_amount, rebate.settled_turnover, rebate.settled_by) == (
        Decimal("6500.00"),
        Decimal("260000.00"),
        accounting_user,
    )
    assert again.status_code == 200 and again.context["errors"]
    page = client.get(detail_url).content.decode()
    assert 'data-settled-amount="6500.00"' in page
    assert settle_url not in page
    # A settled agreement no longer opens in the form.
    assert client.get(reverse("pricing:rebate_update", args=[rebate.pk]))["Location"] == detail_url


def test_a_link_with_only_the_customer_fills_the_simulator_in(sales_user, client_for, priced):
    response = client_for(sales_user).get(reverse("pricing:simulator"), {"customer": "MAG"})

    form = response.context["form"]
    assert not form.is_bound
    assert form["customer"].value() == "MAG"
    assert "node" not in response.context


def test_the_grid_of_a_long_contract_edits_one_page_at_a_time(
    sales_user, client_for, priced, monkeypatch
):
    monkeypatch.setattr("pricing.views.contracts.CONDITION_PAGE_SIZE", 2)
    contract = new_contract(priced["chain"], "C-LONG")
    first, second, third = (discount(contract, level, "1") for level in (1, 2, 3))
    client = client_for(sales_user)
    url = reverse("pricing:contract_detail", args=[contract.pk])

    page = client.get(url, {"page": "2"})
    data = formset_data(page.context["formset"])
    data["conditions-0-rate"] = "7"
    saved = client.post(f"{url}?page=2", data)

    assert data["conditions-INITIAL_FORMS"] == "1"
    assert data["conditions-0-id"] == str(third.pk)
    assert saved["Location"] == f"{url}?page=2#conditions"
    assert list(contract.conditions.order_by("level").values_list("rate", flat=True)) == [
        Decimal("1.0000"),
        Decimal("1.0000"),
        Decimal("7.0000"),
    ]
    assert page.context["conditions_page"].paginator.count == 3
