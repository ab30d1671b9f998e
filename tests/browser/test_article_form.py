"""Editing an article with its packagings inline, adding a line in the browser."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from comptoir import roles
from tests import factories
from trade.models import Packaging

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_buyer_adds_a_packaging_line_with_its_gtin(page, live_server, make_user):
    make_user(roles.PURCHASING, username="achat")
    article = factories.ArticleFactory(code="CONF370", designation="Confiture fraise 370 g")
    factories.PackagingFactory(article=article, level="case", quantity=Decimal("12"))
    pallet_gtin = factories.gtin(770001)

    page.goto("/accounts/login/")
    page.fill("#id_username", "achat")
    page.fill("#id_password", "pass-Comptoir-1")
    page.locator('form[action$="/accounts/login/"] button[type="submit"]').click()
    page.goto(f"/articles/{article.pk}/edit/")

    packagings = page.locator('[data-formset="packagings"]')
    packagings.locator("[data-formset-add]").click()
    expect(packagings.locator("tbody tr")).to_have_count(3)
    page.select_option("#id_packagings-2-level", "pallet")
    page.fill("#id_packagings-2-quantity", "960")
    page.fill("#id_packagings-2-gtin", pallet_gtin)
    page.locator('.form-actions button[type="submit"]').click()

    expect(page).to_have_url(f"{live_server.url}/articles/{article.pk}/")
    expect(page.locator(f'tr[data-gtin="{pallet_gtin}"]')).to_be_visible()
    assert Packaging.objects.get(gtin=pallet_gtin).quantity == Decimal("960.000")
