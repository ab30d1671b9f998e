"""Order entry as the back-office keys it: keyboard only from the customer to the
confirmation, then the delivery, shipping it and its delivery note."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from comptoir import roles
from pricing.models import Condition, Contract, PriceListItem
from pricing.services import condition_save, contract_activate, contract_save
from tests import factories
from tests.sales.conftest import bins, our_company, receive, shop, warehouse  # noqa: F401 (fixtures)
from trade.models import Packaging

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YOGURT_CASE_GTIN = "03760000000017"


@pytest.fixture
def stocked_shop(shop, receive, admin_user_role, our_company):  # noqa: ANN001, ANN201, F811
    """The sales shop plus flour and oil, a −10 % contract on the chain, cost prices,
    and stock of everything in Lyon."""
    today = timezone.localdate()
    flour = factories.ArticleFactory(code="FARINE", designation="Farine de blé T55 1 kg")
    oil = factories.ArticleFactory(code="HUILE", designation="Huile de tournesol 1 L")
    for article, price in ((flour, "0.9000"), (oil, "2.1000")):
        PriceListItem.objects.create(price_list=shop["price_list"], article=article, unit_price=Decimal(price))
    Packaging.objects.filter(article=shop["yogurt"], level="case").update(gtin=YOGURT_CASE_GTIN)
    factories.SupplierArticleFactory(article=shop["yogurt"], purchase_price=Decimal("0.3000"))
    contract = contract_save(Contract(code="C-ENS", name="Accord enseigne", node=shop["chain"],
                                      valid_from=date(2026, 1, 1)))
    condition_save(Condition(contract=contract, kind="discount", level=1, rate=Decimal("10")))
    contract_activate(contract, user=admin_user_role)
    receive(shop["plain"], 100)
    receive(flour, 50)
    receive(oil, 30)
    receive(shop["yogurt"], 36, lot="Y-2401", expiry=today + timedelta(days=20), location="A-02")
    receive(shop["machine"], 3, serials=["SN-1", "SN-2", "SN-3"])
    return {**shop, "flour": flour, "oil": oil}


def _key_line(page, article_keys, quantity: str) -> None:  # noqa: ANN001
    """Type into the article field (a list of keys: text or key names), then the quantity, Enter."""
    for key in article_keys:
        if key in ("Tab", "Enter", "ArrowDown"):
            page.keyboard.press(key)
        else:
            page.keyboard.type(key, delay=20)
            if key.isalpha() or not key.isdigit():
                expect(page.locator("#entry-article-list li").first).to_be_visible()
    expect(page.locator("#entry-quantity")).to_be_focused()
    page.keyboard.type(quantity)
    page.keyboard.press("Enter")


def test_an_order_keyed_with_the_keyboard_is_confirmed_delivered_and_shipped(
    page, live_server, stocked_shop, make_user, screenshot_dir  # noqa: ANN001
):
    make_user(roles.SALES, roles.WAREHOUSE, username="claire")
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto("/accounts/login/")
    page.fill("#id_username", "claire")
    page.fill("#id_password", "pass-Comptoir-1")
    page.locator('form[action$="/accounts/login/"] button[type="submit"]').click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.locator('.sidebar [data-nav="new-order"]').click()
    expect(page).to_have_url(f"{live_server.url}{reverse('sales:order_create')}")

    # The customer, by keyboard: the field has the focus; type, ↓, Enter.
    expect(page.locator("#entry-customer")).to_be_focused()
    page.keyboard.type("Magasin", delay=20)
    expect(page.locator("#entry-customer-list li")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#entry-customer")).to_have_value("MAG — Magasin Test")
    # The panel says where it goes: to the platform, via the hierarchy.
    expect(page.locator("[data-customer-panel]")).to_be_visible()
    expect(page.locator("#entry-delivery")).to_have_value("PF — Plateforme Test")
    expect(page.locator("#entry-article")).to_be_focused()

    lines = page.locator("[data-entry-table] tbody[data-entry-line]")
    # 1. a code, Tab to the quantity
    _key_line(page, ["SUCRE", "Tab"], "10")
    expect(lines).to_have_count(1)
    expect(page.locator("#entry-article")).to_be_focused()
    # 2. a GTIN: the case it identifies is the unit
    _key_line(page, [YOGURT_CASE_GTIN, "Tab"], "2")
    expect(lines).to_have_count(2)
    # 3. part of the designation, ↓ then Enter in the list
    _key_line(page, ["café", "ArrowDown", "Enter"], "1")
    expect(lines).to_have_count(3)
    # 4. another fragment, the only match picked with Enter
    _key_line(page, ["tournesol", "Enter"], "6")
    expect(lines).to_have_count(4)
    # 5. a code again
    _key_line(page, ["FARINE", "Tab"], "12")
    expect(lines).to_have_count(5)
    expect(page.locator("#entry-article")).to_be_focused()
    expect(page.locator("[data-entry-errors]")).to_be_hidden()

    # The draft exists, its address is the entry screen of that order.
    expect(page).to_have_url(re.compile(r"/sales/orders/\d+/edit/$"))
    sugar = page.locator('tbody[data-article="SUCRE"]')
    expect(sugar.locator("[data-net-price]")).to_have_text("1,0800")  # 1.20 − 10 %
    expect(sugar.locator("[data-available]")).to_have_text("100")
    yogurt = page.locator('tbody[data-article="YAOURT"]')
    expect(yogurt.locator(".line-unit")).to_contain_text("12")
    expect(yogurt.locator("[data-net-price]")).to_have_text("5,4000")  # case of 12 × 0.50 − 10 %
    expect(yogurt.locator("[data-fefo]")).to_contain_text("Y-2401")
    expect(page.locator('tbody[data-article="MACHINE"] [data-fefo]')).to_contain_text("SN-1")

    # The breakdown of one line, from its button.
    yogurt.locator("[data-breakdown-toggle]").click()
    breakdown = yogurt.locator("tr.line-detail")
    expect(breakdown).to_be_visible()
    expect(breakdown.locator('[data-step="gross"]')).to_contain_text("6,0000")
    expect(breakdown.locator('[data-step="level"][data-level="1"][data-status="applied"]')).to_contain_text("C-ENS")
    expect(breakdown.locator("[data-breakdown-net]")).to_have_text("5,4000")
    expect(breakdown.locator("[data-breakdown-margin]")).not_to_have_text("—")
    page.screenshot(path=str(screenshot_dir / "comptoir-order-entry.png"), full_page=True)

    # Back to the article field; an unknown code is refused next to the entry row.
    page.locator("#entry-article").focus()
    page.keyboard.type("ZZZ-404")
    page.keyboard.press("Enter")
    expect(page.locator("[data-entry-errors]")).to_be_visible()
    expect(lines).to_have_count(5)
    page.keyboard.press("Escape")
    # A sixth line, then removed from the keyboard (↑ to it, Ctrl+Delete).
    _key_line(page, ["SUCRE", "Tab"], "1")
    expect(lines).to_have_count(6)
    page.keyboard.press("ArrowUp")
    expect(lines.nth(5).locator("[data-line-quantity]")).to_be_focused()
    page.keyboard.press("Control+Delete")
    expect(lines).to_have_count(5)

    # The focus went to the line before: change its quantity with the keyboard.
    expect(page.locator('tbody[data-article="FARINE"] [data-line-quantity]')).to_be_focused()
    page.keyboard.type("20")
    page.keyboard.press("Enter")
    expect(page.locator('tbody[data-article="FARINE"] [data-line-quantity]')).to_have_value("20")
    expect(page.locator("#entry-article")).to_be_focused()

    # Confirm with the keyboard.
    page.keyboard.press("Control+Enter")
    expect(page).to_have_url(re.compile(r"/sales/orders/\d+/$"))
    expect(page.locator('.page-head [data-order-state="confirmed"]')).to_be_visible()
    expect(page.locator(".page-head h1")).to_contain_text(re.compile(r"CDE"))
    expect(page.locator("[data-order-lines] tbody[data-order-line]")).to_have_count(5)
    expect(page.locator('[data-held-lot="Y-2401"]')).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "comptoir-order-confirmed.png"), full_page=True)

    # Create the delivery, ship it, open its delivery note.
    page.locator('[data-action="deliver"]').click()
    expect(page).to_have_url(re.compile(r"/sales/deliveries/\d+/$"))
    page.locator('[data-action="ship"]').click()
    expect(page.locator('.page-head [data-delivery-state="shipped"]')).to_be_visible()
    note = page.locator("[data-delivery-note]").first
    expect(note).to_be_visible()
    response = page.request.get(note.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.body()[:4] == b"%PDF"


def test_a_quote_keyed_with_the_same_grid_is_created_and_sent(page, live_server, stocked_shop, make_user):  # noqa: ANN001
    from trade.sales.models import Quote

    make_user(roles.SALES, username="claire")
    page.goto("/accounts/login/")
    page.fill("#id_username", "claire")
    page.fill("#id_password", "pass-Comptoir-1")
    page.locator('form[action$="/accounts/login/"] button[type="submit"]').click()
    page.goto(reverse("sales:quote_create"))

    expect(page.locator("#entry-customer")).to_be_focused()
    page.keyboard.type("MAG", delay=20)
    expect(page.locator("#entry-customer-list li")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator("#entry-article")).to_be_focused()
    lines = page.locator("[data-entry-table] tbody[data-entry-line]")
    _key_line(page, ["SUCRE", "Tab"], "10")
    expect(lines).to_have_count(1)
    _key_line(page, ["FARINE", "Tab"], "5")
    expect(lines).to_have_count(2)
    # Lines are priced on the page before anything is saved.
    expect(page.locator('tbody[data-article="FARINE"] [data-net-price]')).to_have_text("0,8100")
    assert Quote.objects.count() == 0
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Control+Delete")
    expect(lines).to_have_count(1)
    page.keyboard.press("Control+Enter")

    expect(page).to_have_url(re.compile(r"/sales/quotes/\d+/$"))
    quote = Quote.objects.get()
    assert [(line.article.code, line.quantity) for line in quote.lines.all()] == [("SUCRE", Decimal(10))]
    page.locator('[data-action="send"]').click()
    expect(page.locator('.page-head [data-quote-state="sent"]')).to_be_visible()
    expect(page.locator("[data-quote-pdf]")).to_have_attribute("href", reverse("sales:quote_pdf", args=[quote.pk]))
