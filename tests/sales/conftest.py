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
