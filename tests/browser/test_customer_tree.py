"""The customer hierarchy as people use it: log in, walk the tree, read a card."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from comptoir import roles
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_user_walks_the_tree_down_to_a_store_and_reads_an_inherited_setting(
    page, live_server, hierarchy, make_user, screenshot_dir
):
    make_user(roles.SALES, username="claire")
    store, group = hierarchy["store"], hierarchy["group"]

    page.goto("/accounts/login/")
    page.fill("#id_username", "claire")
    page.fill("#id_password", "pass-Comptoir-1")
    page.locator('form[action$="/accounts/login/"] button[type="submit"]').click()
    expect(page).to_have_url(f"{live_server.url}/")

    page.locator('.sidebar a[href="/customers/"]').click()
    expect(page.locator('.tree-node[data-code="ENS"]')).to_be_visible()
    # Only the roots come with the page; everything below is fetched on demand.
    expect(page.locator('.tree-node[data-code="CEN"]')).to_have_count(0)

    for code in ("ENS", "CEN", "PF"):
        node = page.locator(f'.tree-node[data-code="{code}"]')
        node.locator(":scope > .tree-row .tree-toggle").click()
        expect(node).to_have_attribute("aria-expanded", "true")
    store_label = page.locator('.tree-node[data-code="MAG"] .tree-label')
    expect(store_label).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "comptoir-tree.png"))

    store_label.click()
    card = page.locator(f'[data-tree-panel] [data-node-card="{store.pk}"]')
    expect(card).to_be_visible()
    terms = card.locator('tr[data-setting="payment_terms"]')
    expect(terms.locator("td.value")).to_have_text("45 jours fin de mois")
    expect(terms).to_have_attribute("data-source", "inherited")
    expect(terms.locator("[data-source-node] a")).to_have_text("Centrale Test")
    expect(terms.locator("[data-source-node] a")).to_have_attribute(
        "href", f"/customers/{group.pk}/"
    )
    expect(page).to_have_url(re.compile(rf"\?node={store.pk}$"))
    card.screenshot(path=str(screenshot_dir / "comptoir-card.png"))

    # A reload reopens the tree down to the same store, with its card.
    page.reload()
    expect(page.locator('.tree-node[data-code="MAG"]')).to_have_class(re.compile("is-selected"))
    expect(
        page.locator('[data-tree-panel] tr[data-setting="payment_terms"] td.value')
    ).to_have_text("45 jours fin de mois")


def test_large_platform_loads_its_stores_a_page_at_a_time(
    page, live_server, hierarchy, make_user, monkeypatch
):
    monkeypatch.setattr("trade.views.customers.TREE_CHILDREN_PAGE", 3)
    for number in range(4):
        factories.CustomerNodeFactory(
            kind="store", parent=hierarchy["platform"], code=f"S{number}", name=f"Store {number}"
        )
    user = make_user(roles.WAREHOUSE, username="paul")
    page.context.add_cookies([_session_cookie(user, live_server.url)])

    platform = hierarchy["platform"]
    page.goto(f"/customers/?node={platform.pk}")
    # The link reopens the tree down to the platform and selects it.
    platform_node = page.locator(f'.tree-node[data-id="{platform.pk}"]')
    expect(platform_node).to_have_class(re.compile("is-selected"))
    platform_node.locator(":scope > .tree-row .tree-toggle").click()
    stores = platform_node.locator(":scope > ul > .tree-node")
    expect(stores).to_have_count(3)
    page.locator("[data-more-url]").click()
    expect(stores).to_have_count(5)
    expect(page.locator("[data-more-url]")).to_have_count(0)
    # A warehouse user reads the card but is offered no edit.
    expect(page.locator("[data-tree-panel] [data-node-card]")).to_be_visible()
    expect(
        page.locator(f'[data-tree-panel] a[href="/customers/{platform.pk}/edit/"]')
    ).to_have_count(0)


def _session_cookie(user, url: str) -> dict[str, str]:  # noqa: ANN001
    """Log ``user`` in without the form (the first test covers the form)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": url,
    }
