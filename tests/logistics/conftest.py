"""Stock fixtures: one warehouse with bins, dated and serial articles, a receipt helper."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

# Model imports live in the fixtures: the allocation engine tests run without Django.


@pytest.fixture
def warehouse(db):  # noqa: ANN001, ANN201
    from logistics.models import Location, LocationKind, Warehouse

    warehouse = Warehouse.objects.create(code="LYON", name="Entrepôt Lyon")
    for order, code in enumerate(["A-01", "A-02", "B-01"], start=1):
        Location.objects.create(warehouse=warehouse, code=code, picking_order=order)
    Location.objects.create(warehouse=warehouse, code="QUAI", kind=LocationKind.RECEIVING, picking_order=0)
    return warehouse


@pytest.fixture
def bins(warehouse):  # noqa: ANN001, ANN201
    return {loc.code: loc for loc in warehouse.locations.all()}


@pytest.fixture
def yogurt(db):  # noqa: ANN001, ANN201
    from tests import factories

    return factories.ArticleFactory(code="YAOURT", tracking_mode="lot_dlc", shelf_life_days=30)


@pytest.fixture
def receive(warehouse, bins):  # noqa: ANN001, ANN201
    from logistics.models import Receipt, ReceiptLine
    from logistics.services.documents import receipt_post

    def make(article, quantity, *, lot="", expiry=None, cost="1.0000", location="A-01", serials=(),  # noqa: ANN001, ANN202
             on=date(2026, 6, 1), supplier=None, user=None):
        receipt = Receipt.objects.create(warehouse=warehouse, received_on=on, supplier=supplier)
        ReceiptLine.objects.create(receipt=receipt, article=article, location=bins[location], quantity=Decimal(quantity),
                                   unit_cost=Decimal(cost), lot_number=lot, expiry_date=expiry,
                                   serial_numbers="\n".join(serials))
        return receipt_post(receipt, user=user)

    return make
