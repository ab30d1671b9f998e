"""Concurrency on PostgreSQL: reservations lock balance rows in primary-key order, so
concurrent reservations against the last units never oversell and never deadlock."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections

from comptoir.numbering import number_next
from logistics.models import Location, Receipt, ReceiptLine, StockBalance, StockMove, Warehouse
from logistics.selectors import balance_ledger_sum
from logistics.services.documents import receipt_post
from logistics.services.ledger import InsufficientStock, stock_adjust
from logistics.services.reservations import ReserveLine, stock_reserve
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
WORKERS = 8


def run_concurrently(work, count: int = WORKERS) -> list:  # noqa: ANN001
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hung: deadlock?"
    return results


@pytest.fixture
def stocked():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL")
    warehouse = Warehouse.objects.create(code="CC", name="Concurrence")
    bins = [Location.objects.create(warehouse=warehouse, code=f"B{i}", picking_order=i) for i in range(2)]
    article = factories.ArticleFactory(code="DERNIER", tracking_mode="lot_dlc", shelf_life_days=30)
    receipt = Receipt.objects.create(warehouse=warehouse, received_on=date(2026, 6, 1))
    ReceiptLine.objects.create(receipt=receipt, article=article, location=bins[0], quantity=Decimal("5"),
                               unit_cost=Decimal("1"), lot_number="L1", expiry_date=date(2026, 6, 20))
    ReceiptLine.objects.create(receipt=receipt, article=article, location=bins[1], quantity=Decimal("5"),
                               unit_cost=Decimal("1"), lot_number="L2", expiry_date=date(2026, 6, 25))
    receipt_post(receipt)
    return warehouse, article


def test_eight_concurrent_reservations_of_the_last_units_never_oversell(stocked):
    warehouse, article = stocked

    def reserve(index: int) -> Decimal:
        batch = stock_reserve(document_type="order", document_id=f"C{index}", warehouse=warehouse,
                              delivery_date=date(2026, 6, 1), lines=[ReserveLine("1", article, Decimal("3"))])
        return batch.plans[0].quantity_allocated

    results = run_concurrently(reserve)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == Decimal("10")  # 10 units in stock, 8 × 3 asked
    balances = StockBalance.objects.filter(article=article)
    assert sum(b.reserved for b in balances) == Decimal("10")
    assert all(b.reserved <= b.on_hand for b in balances)


def test_concurrent_moves_keep_every_balance_equal_to_its_ledger(stocked):
    warehouse, article = stocked
    location = Location.objects.get(warehouse=warehouse, code="B0")
    lot = StockBalance.objects.get(location=location, article=article).lot

    def adjust(index: int) -> str:
        quantity = Decimal("2") if index % 2 else Decimal("-1")
        try:
            stock_adjust(article=article, location=location, lot=lot, quantity=quantity, note=f"t{index}")
        except InsufficientStock:
            return "short"
        return "ok"

    results = run_concurrently(adjust)
    assert not [r for r in results if isinstance(r, Exception)], results
    for balance in StockBalance.objects.filter(article=article):
        assert balance.on_hand == balance_ledger_sum(balance)
        assert balance.on_hand >= 0
    assert StockMove.objects.filter(reason="adjustment").count() == WORKERS


def test_concurrent_numbering_gives_distinct_numbers():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL")
    from django.db import transaction

    def take(index: int) -> str:
        with transaction.atomic():
            return number_next(prefix="TST", on_date=date(2026, 1, 1))

    results = run_concurrently(take)
    assert sorted(results) == [f"TST2026-{i:06d}" for i in range(1, WORKERS + 1)]
