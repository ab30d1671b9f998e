"""The EDI error queue as sales works it: an ORDERS received with a GTIN we do not know
waits in the queue; map the GTIN from the message's page, replay, and the order is
there, confirmed, with the buyer's order number."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils.translation import gettext as _
from playwright.sync_api import expect

from comptoir import roles
from tests.edi.conftest import make_partner  # noqa: F401 (fixture)
from tests.edi.test_orders_gateway import SUGAR_GTIN, YOGURT_GTIN, orders_text, retail  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



@pytest.fixture(autouse=True)
def in_the_ui_language(settings):  # noqa: ANN001, ANN201
    """Expected texts in the language the browser is served (whatever an earlier test
    left active in this thread)."""
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield

def test_an_unknown_gtin_is_mapped_from_the_error_queue_and_the_order_appears(
    page, live_server, retail, make_user, tmp_path, screenshot_dir  # noqa: ANN001, F811
):
    from edi.models import EdiMessage
    from trade.models.catalogue import PackagingLevel
    from trade.sales.models import SalesOrder
    from trade.services import article_save

    sugar = retail["sugar"]
    sugar.designation = "Sucre en poudre 1 kg"
    article_save(sugar)

    # Sales, who may also change articles and receive a file by hand.
    user = make_user(roles.SALES, username="lea")
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label__in=("trade", "edi"), codename__in=("add_interchange",)))
    orders_file = tmp_path / "orders-po-900.edi"
    orders_file.write_bytes(orders_text(number="PO-900", on=retail["on"], delivery=retail["store"].gln,
                                        lines=[(YOGURT_GTIN, 30, None), (SUGAR_GTIN, 10, None)]))

    page.goto("/accounts/login/")
    page.fill("#id_username", "lea")
    page.fill("#id_password", "pass-Comptoir-1")
    page.locator('form[action$="/accounts/login/"] button[type="submit"]').click()
    expect(page).to_have_url(f"{live_server.url}/")

    # The file arrives through the monitor's upload screen and is processed at once.
    page.goto(reverse("edi:upload"))
    page.set_input_files("#id_file", str(orders_file))
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/edi/interchanges/\d+/$"))

    # The error queue (a tab of the monitor's lists) names the GTIN of line 2.
    page.locator(f'.breadcrumb a[href="{reverse("edi:interchange_list")}"]').click()
    page.locator(f'nav.tabs a[href="{reverse("edi:error_queue")}"]').click()
    unknown = _("Unknown GTIN %(gtin)s%(article)s: map it to an article.") % {"gtin": SUGAR_GTIN, "article": ""}
    row = page.locator("tbody tr", has_text=SUGAR_GTIN)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(unknown)
    expect(row).to_contain_text("[unknown_gtin]")
    message = EdiMessage.objects.get(direction="in", message_type="ORDERS")
    row.locator("[data-fix-link]").click()
    expect(page).to_have_url(f"{live_server.url}{reverse('edi:message_detail', args=[message.pk])}#crossrefs")

    # Map it: the article by type-ahead on its designation, the level, replay ticked.
    fix = page.locator(f'[data-crossref="gtin:{SUGAR_GTIN}"]')
    expect(fix).to_contain_text(_("Map GTIN %(gtin)s to:") % {"gtin": SUGAR_GTIN})
    article = fix.locator("input[name=article]")
    article.click()
    page.keyboard.type("Sucre en", delay=20)
    expect(fix.locator('datalist option[value="SUCRE"]')).to_have_count(1)
    article.fill("")
    page.keyboard.type("SUCRE")
    level = fix.locator("select[name=level]")
    quantity = fix.locator("[data-show-for]")
    expect(level).to_have_value("consumer_unit")
    expect(quantity).to_be_hidden()  # a consumer unit holds one base unit
    level.select_option("case")
    expect(quantity).to_be_visible()
    level.select_option("consumer_unit")
    expect(quantity).to_be_hidden()
    expect(fix.locator("input[name=replay]")).to_be_checked()
    page.screenshot(path=str(screenshot_dir / "comptoir-edi-map-gtin.png"), full_page=True)
    fix.locator("button[type=submit]").click()

    # Mapped, replayed, processed: the page links the order it made.
    flashes = page.locator(".messages .msg-success")
    expect(flashes).to_have_text([
        _("GTIN %(gtin)s mapped to %(article)s (%(level)s).") % {
            "gtin": SUGAR_GTIN, "article": "SUCRE", "level": PackagingLevel.CONSUMER_UNIT.label},
        _("Message %(message)s replayed and processed.") % {"message": message},
    ])
    expect(page.locator('[data-crossref]')).to_have_count(0)
    order = SalesOrder.objects.get()
    link = page.locator(f'[data-sales-orders] a[href="{reverse("sales:order_detail", args=[order.pk])}"]')
    expect(link).to_have_text(order.display_number)
    page.screenshot(path=str(screenshot_dir / "comptoir-edi-replayed.png"), full_page=True)
    link.click()

    expect(page).to_have_url(f"{live_server.url}{reverse('sales:order_detail', args=[order.pk])}")
    expect(page.locator("[data-order-detail]")).to_have_attribute("data-state", "confirmed")
    expect(page.locator(".page-head .subtitle")).to_contain_text("PO-900")
    expect(page.locator("main")).to_contain_text("SUCRE")
    message.refresh_from_db()
    assert (message.state, message.replay_count) == ("processed", 1)
