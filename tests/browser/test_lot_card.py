"""The lot card as a stock controller uses it in a recall drill: find the lot, see every
customer it reached, block it."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comptoir import roles
from logistics.models import Location, Lot, LotStatus, Receipt, ReceiptLine, Warehouse
from logistics.services.documents import receipt_post
from logistics.services.reservations import ReserveLine, reservations_ship, stock_reserve
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shipped_lot(hierarchy):  # noqa: ANN001, ANN201
    """Lot Y-1 of a yogurt: 20 received in Lyon, 6 shipped to the store, 4 to the platform."""
    warehouse = Warehouse.objects.create(code="LYON", name="Entrepôt Lyon")
    bin_a = Location.objects.create(warehouse=warehouse, code="A-01", picking_order=1)
    yogurt = factories.ArticleFactory(
        code="YAOURT",
        designation="Yaourt nature 4 × 125 g",
        tracking_mode="lot_dlc",
        shelf_life_days=30,
    )
    supplier = factories.SupplierFactory(code="F-LAIT", name="Laiterie du Val")
    today = timezone.localdate()
    receipt = Receipt.objects.create(warehouse=warehouse, received_on=today, supplier=supplier)
    ReceiptLine.objects.create(
        receipt=receipt,
        article=yogurt,
        location=bin_a,
        quantity=Decimal("20"),
        unit_cost=Decimal("0.4"),
        lot_number="Y-1",
        expiry_date=today + timedelta(days=5),
    )
    receipt_post(receipt)
    for order, node, quantity in (
        ("CMD-1", hierarchy["store"], "6"),
        ("CMD-2", hierarchy["platform"], "4"),
    ):
        stock_reserve(
            document_type="order",
            document_id=order,
            warehouse=warehouse,
            delivery_date=today,
            lines=[ReserveLine("1", yogurt, Decimal(quantity))],
        )
        reservations_ship(document_type="order", document_id=order, customer_node=node)
    return Lot.objects.get(number="Y-1")


def test_controller_opens_a_lot_card_sees_its_customers_and_blocks_it(
    page, live_server, shipped_lot, make_user, screenshot_dir
):
    make_user(roles.WAREHOUSE, username="paul")

    page.goto("/accounts/login/")
    page.fill("#id_username", "paul")
    page.fill("#id_password", "pass-Comptoir-1")
    page.locator('form[action$="/accounts/login/"] button[type="submit"]').click()
    expect(page).to_have_url(f"{live_server.url}/")

    page.locator('.sidebar a[href="/stock/lots/"]').click()
    page.fill("#id_q", "Y-1")
    page.locator("form.filters button[type=submit]").click()
    page.locator('tr[data-lot="Y-1"] a', has_text="Y-1").click()
    expect(page).to_have_url(f"{live_server.url}/stock/lots/{shipped_lot.pk}/")

    card = page.locator(f'[data-lot-card="{shipped_lot.pk}"]')
    expect(card).to_have_attribute("data-status", "available")
    # A DLC five days away is flagged as close.
    expect(card.locator(".page-head [data-expiry]")).to_have_attribute("data-expiry", "soon")
    downstream = card.locator('[data-trace="downstream"]')
    expect(downstream.locator("tbody tr")).to_have_count(2)
    store_row = downstream.locator('tr[data-customer="MAG"]')
    expect(store_row).to_contain_text("Magasin Test")
    expect(store_row.locator("td.num")).to_have_text("6")
    expect(downstream.locator('tr[data-customer="PF"] td.num')).to_have_text("4")
    expect(card.locator('[data-stat="customers"]')).to_have_text("2")
    expect(card.locator('[data-trace="upstream"]')).to_contain_text("Laiterie du Val")
    page.screenshot(path=str(screenshot_dir / "comptoir-lot-card.png"), full_page=True)

    card.locator('[data-lot-action="block"]').click()
    expect(page).to_have_url(re.compile(rf"/stock/lots/{shipped_lot.pk}/status/block/$"))
    page.screenshot(path=str(screenshot_dir / "comptoir-lot-block-confirm.png"))
    page.locator("button[data-confirm]").click()

    expect(page).to_have_url(f"{live_server.url}/stock/lots/{shipped_lot.pk}/")
    card = page.locator(f'[data-lot-card="{shipped_lot.pk}"]')
    expect(card).to_have_attribute("data-status", "blocked")
    expect(card.locator('.page-head [data-lot-status="blocked"]')).to_be_visible()
    expect(page.locator(".msg-success")).to_be_visible()
    expect(card.locator('[data-lot-action="block"]')).to_have_count(0)
    expect(card.locator('[data-lot-action="release"]')).to_be_visible()
    # The customers to call are still listed on the blocked lot.
    expect(card.locator('[data-trace="downstream"] tbody tr')).to_have_count(2)
    page.screenshot(path=str(screenshot_dir / "comptoir-lot-blocked.png"), full_page=True)
    shipped_lot.refresh_from_db()
    assert shipped_lot.status == LotStatus.BLOCKED
