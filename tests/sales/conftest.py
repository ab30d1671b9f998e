"""Sales fixtures: a priced catalogue for the test hierarchy, stock in one warehouse."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.logistics.conftest import bins, receive, warehouse  # noqa: F401 (fixtures)


@pytest.fixture
def today():  # noqa: ANN201
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def shop(db, hierarchy, warehouse):  # noqa: ANN001, ANN201, F811
    """A price list on the chain, three articles (dated yogurt sold by the case of
    12, a serial-tracked machine, a plain article) priced on it."""
    from pricing.models import PriceListItem
    from tests import factories
    from trade.services import customer_node_save

    price_list = factories.PriceListFactory(code="TARIF", name="Tarif général")
    chain = hierarchy["chain"]
    chain.price_list = price_list
    customer_node_save(chain)
    yogurt = factories.ArticleFactory(code="YAOURT", designation="Yaourt nature", tracking_mode="lot_dlc",
                                      shelf_life_days=30)
    factories.PackagingFactory(article=yogurt, level="case", quantity=Decimal(12))
    machine = factories.ArticleFactory(code="MACHINE", designation="Machine à café", tracking_mode="serial",
                                       vat_rate="20.00")
    plain = factories.ArticleFactory(code="SUCRE", designation="Sucre 1 kg")
    for article, price in ((yogurt, "0.5000"), (machine, "120.0000"), (plain, "1.2000")):
        PriceListItem.objects.create(price_list=price_list, article=article, unit_price=Decimal(price))
    return {**hierarchy, "price_list": price_list, "yogurt": yogurt, "machine": machine, "plain": plain}


@pytest.fixture
def line():  # noqa: ANN201
    from trade.sales.services import LineInput

    def make(article, quantity, level="", **kwargs):  # noqa: ANN001, ANN003, ANN202
        return LineInput(article=article, quantity=Decimal(str(quantity)), packaging_level=level, **kwargs)

    return make


@pytest.fixture
def tomorrow(today):  # noqa: ANN001, ANN201
    return today + timedelta(days=1)


def dlc(today: date, days: int) -> date:
    return today + timedelta(days=days)


@pytest.fixture
def our_company(db):  # noqa: ANN001, ANN201
    """Our company's legal details, as the printed documents show them."""
    from comptoir.identifiers import fr_vat_from_siren, siren_with_check_digit
    from trade.demo.identifiers import gln, siret
    from trade.models import Company

    siren = siren_with_check_digit("41234567")
    return Company.objects.create(
        legal_name="Comptoir Test SAS", legal_form="SAS", share_capital=Decimal("150000.00"), rcs_city="Lyon",
        naf_code="4639B", line1="12 rue des Halles", postal_code="69002", city="Lyon", siren=siren,
        siret=siret(siren, 1), vat_number=fr_vat_from_siren(siren), gln=gln("376000999999"),
    )


@pytest.fixture
def picking_delivery(shop, receive, line, today, tomorrow, sales_user):  # noqa: ANN001, ANN201, F811
    """A confirmed order of three lines and its delivery, not picked yet:
    - yogurt, 3 cases (36): FEFO holds 24 of L-EARLY (DLC +20 d, bin B-01, walked last)
      and 12 of L-LATE (DLC +40 d, bin A-01, walked first);
    - the serial-tracked machine × 2 (SN-1, SN-2 in A-02);
    - sugar × 5, no lot (A-01)."""
    from tests import factories
    from trade.sales.services import delivery_create, order_confirm, order_create

    yogurt, machine, plain = shop["yogurt"], shop["machine"], shop["plain"]
    factories.PackagingFactory(article=yogurt, level="consumer_unit", quantity=Decimal(1),
                               gtin=factories.gtin(777001))
    receive(yogurt, 24, lot="L-EARLY", expiry=dlc(today, 20), location="B-01")
    receive(yogurt, 24, lot="L-LATE", expiry=dlc(today, 40), location="A-01")
    receive(machine, 2, serials=["SN-1", "SN-2"], location="A-02")
    receive(plain, 10, location="A-01")
    order = order_create(ordering_node=shop["store"], requested_date=tomorrow, customer_reference="PO-4711",
                         lines=[line(yogurt, 3, "case"), line(machine, 2), line(plain, 5)], user=sales_user)
    order_confirm(order, user=sales_user)
    delivery = delivery_create(order, user=sales_user)
    lines = {dl.article.code: dl for dl in delivery.lines.select_related("article")}
    return {**shop, "order": order, "delivery": delivery, "lines": lines}
