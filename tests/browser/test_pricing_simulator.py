"""The price simulator as people use it: log in, price an article for a store, read
the breakdown level by level and follow a source to its contract."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from comptoir import roles
from pricing.models import Condition, Contract, PriceListItem
from pricing.services import condition_save, contract_activate, contract_save
from tests import factories
from trade.services import customer_node_save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NBSP = "\u00a0"


@pytest.fixture
def worked_example(hierarchy, admin_user_role):  # noqa: ANN001, ANN201
    """Gross 48.0000 per case of 12 on the chain's price list; the chain's contract
    gives −10 %, −5 %, −3 %, −2 % on levels 1, 2, 4 and 5."""
    price_list = factories.PriceListFactory(code="T2026", name="Tarif 2026")
    chain = hierarchy["chain"]
    chain.price_list = price_list
    customer_node_save(chain)
    article = factories.ArticleFactory(code="CAFE", designation="Café moulu 250 g")
    factories.PackagingFactory(article=article, level="case", quantity=Decimal("12"))
    factories.SupplierArticleFactory(article=article, purchase_price=Decimal("2.5000"))
    PriceListItem.objects.create(
        price_list=price_list,
        article=article,
        packaging_level="case",
        unit_price=Decimal("48.0000"),
    )
    contract = contract_save(
        Contract(code="C-ENS", name="Accord enseigne", node=chain, valid_from=date(2026, 1, 1))
    )
    for level, rate in [(1, "10"), (2, "5"), (4, "3"), (5, "2")]:
        condition_save(
            Condition(contract=contract, kind="discount", level=level, rate=Decimal(rate))
        )
    contract_activate(contract, user=admin_user_role)
    return {**hierarchy, "contract": contract, "article": article}


def test_user_prices_an_article_for_a_store_and_reads_the_breakdown_and_its_sources(
    page, live_server, worked_example, make_user, screenshot_dir
):
    make_user(roles.SALES, username="claire")
    contract = worked_example["contract"]

    page.goto("/accounts/login/")
    page.fill("#id_username", "claire")
    page.fill("#id_password", "pass-Comptoir-1")
    page.locator('form[action$="/accounts/login/"] button[type="submit"]').click()
    expect(page).to_have_url(f"{live_server.url}/")

    page.locator('.sidebar a[href="/pricing/simulator/"]').click()
    customer = page.locator("#id_customer")
    customer.press_sequentially("Magasin")
    # Type-ahead: the store is suggested by its code.
    expect(page.locator('#id_customer-suggestions option[value="MAG"]')).to_have_count(1)
    customer.fill("MAG")
    page.fill("#id_articles", "CAFE")
    page.fill("#id_quantity", "40")
    page.select_option("#id_unit", "case")
    page.fill("#id_on_date", "2026-06-15")
    page.locator(".simulator-form button[type=submit]").click()

    # A GET form: the result has an address of its own.
    expect(page).to_have_url(
        re.compile(r"/pricing/simulator/\?customer=MAG&articles=CAFE&.*on_date=2026-06-15")
    )
    line = page.locator('[data-line][data-article="CAFE"]')
    expect(line).to_have_attribute("data-net-unit-price", "39.0126")
    expect(line.locator("td.sim-net")).to_contain_text("39,0126")
    expect(line.locator("tr.sim-main")).to_contain_text(f"1{NBSP}560,50")

    # One line: its breakdown is open; each level says what it did and who set it.
    breakdown = line.locator("[data-breakdown]")
    expect(breakdown).to_be_visible()
    steps = breakdown.locator('tr[data-step="level"]')
    expect(steps).to_have_count(6)
    expected = {
        "1": ("applied", "C-ENS", "43,2000"),
        "2": ("applied", "C-ENS", "41,0400"),
        "3": ("none", None, "41,0400"),
        "4": ("applied", "C-ENS", "39,8088"),
        "5": ("applied", "C-ENS", "39,0126"),
        "6": ("none", None, "39,0126"),
    }
    for number, (status, source, price_after) in expected.items():
        step = breakdown.locator(f'tr[data-step="level"][data-level="{number}"]')
        expect(step).to_have_attribute("data-status", status)
        expect(step.locator("td").nth(3)).to_have_text(price_after)
        if source:
            expect(step.locator("a[data-contract]")).to_have_text(source)
        else:
            expect(step.locator("a[data-contract]")).to_have_count(0)
    expect(breakdown.locator('tr[data-step="gross"]')).to_contain_text("T2026")
    page.screenshot(path=str(screenshot_dir / "comptoir-price-simulator.png"), full_page=True)

    # The breakdown folds away, and a source leads to its contract.
    toggle = line.locator(".row-toggle")
    toggle.click()
    expect(breakdown).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    line.locator('td.step[data-level="4"] a[data-contract="C-ENS"]').click()
    expect(page).to_have_url(re.compile(rf"/pricing/contracts/{contract.pk}/#conditions$"))
    expect(page.locator("h1")).to_have_text("Accord enseigne")
