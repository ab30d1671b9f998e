"""Sales under concurrency, on PostgreSQL: users confirming orders for the last units
at the same moment never oversell nor deadlock, concurrently confirmed orders get
distinct numbers, and deliveries shipped at the same time (or one delivery shipped
twice at once) move stock exactly once.

Each worker thread has its own database connection (the pattern of
``tests/logistics/test_concurrency.py``): the services' row locks really meet."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum

from logistics.models import Reservation, StockBalance, StockMove
from logistics.selectors import balance_ledger_sum
from tests.logistics.test_concurrency import run_concurrently
from tests.sales.conftest import dlc

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


@pytest.fixture(autouse=True)
def _postgresql_only():  # noqa: ANN202
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL")


def drafts(shop, count, lines_of, tomorrow) -> list:  # noqa: ANN001
    from trade.sales.services import LineInput, order_create

    return [
        order_create(ordering_node=shop["store"], requested_date=tomorrow,
                     lines=[LineInput(article=article, quantity=D(quantity)) for article, quantity in lines_of(index)])
        for index in range(count)
    ]


def confirm_all(orders) -> list:  # noqa: ANN001
    from trade.sales.services import order_confirm

    def confirm(index: int):  # noqa: ANN202
        result = order_confirm(orders[index])
        return {line.pk: short for line, short, _reason in result.short_lines}

    return run_concurrently(confirm, count=len(orders))


def held_by_line(order) -> dict[str, Decimal]:  # noqa: ANN001
    rows = Reservation.objects.filter(document_type="sales.order", document_id=str(order.pk), status="active")
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[row.document_line] += row.quantity
    return dict(totals)


def assert_stock_consistent(*articles) -> None:  # noqa: ANN002
    for article in articles:
        for balance in StockBalance.objects.filter(article=article):
            assert D(0) <= balance.reserved <= balance.on_hand, balance
            assert balance.on_hand == balance_ledger_sum(balance)
            active = Reservation.objects.filter(balance=balance, status="active").aggregate(t=Sum("quantity"))["t"]
            assert balance.reserved == (active or D(0)), balance


def assert_orders_hold_what_they_say(orders, shorts) -> None:  # noqa: ANN001
    """Each order holds, per line, what it asked minus what confirmation said was short."""
    for order, short in zip(orders, shorts, strict=True):
        order.refresh_from_db()
        assert order.state == "confirmed"
        held = held_by_line(order)
        for line in order.lines.all():
            assert held.get(str(line.pk), D(0)) == line.base_quantity - short.get(line.pk, D(0)), (order, line)


def test_two_users_confirming_orders_for_the_last_units_never_oversell(shop, receive, today, tomorrow):  # noqa: ANN001
    yogurt = shop["yogurt"]
    receive(yogurt, 10, lot="L1", expiry=dlc(today, 20))
    orders = drafts(shop, 2, lambda index: [(yogurt, 8)], tomorrow)

    shorts = confirm_all(orders)

    assert not [r for r in shorts if isinstance(r, Exception)], shorts
    assert sorted(sum(short.values(), D(0)) for short in shorts) == [D(0), D(6)]  # 16 asked, 10 there
    assert StockBalance.objects.filter(article=yogurt).aggregate(t=Sum("reserved"))["t"] == 10
    assert_orders_hold_what_they_say(orders, shorts)
    assert_stock_consistent(yogurt)


def test_eight_users_confirming_two_line_orders_in_any_order_neither_oversell_nor_deadlock(
    shop, receive, today, tomorrow,  # noqa: ANN001
):
    yogurt, plain = shop["yogurt"], shop["plain"]
    receive(yogurt, 6, lot="L1", expiry=dlc(today, 20), location="A-01")
    receive(yogurt, 4, lot="L2", expiry=dlc(today, 25), location="B-01")
    receive(plain, 5, location="A-02")
    # Half the orders name the articles the other way round: locks must still be taken
    # in one order (balances by primary key), or two confirmations would deadlock.
    orders = drafts(shop, 8, lambda i: [(yogurt, 3), (plain, 2)] if i % 2 else [(plain, 2), (yogurt, 3)], tomorrow)

    shorts = confirm_all(orders)

    assert not [r for r in shorts if isinstance(r, Exception)], shorts
    reserved = {article.code: StockBalance.objects.filter(article=article).aggregate(t=Sum("reserved"))["t"]
                for article in (yogurt, plain)}
    assert reserved == {"YAOURT": 10, "SUCRE": 5}  # 24 and 16 asked: everything there is held, no more
    assert_orders_hold_what_they_say(orders, shorts)
    assert_stock_consistent(yogurt, plain)
    numbers = [order.number for order in orders]
    assert len(set(numbers)) == 8 and all(number.startswith("CDE") for number in numbers)


def test_concurrently_confirmed_orders_get_distinct_numbers(shop, receive, tomorrow):  # noqa: ANN001
    from trade.sales.models import SalesOrder

    receive(shop["plain"], 100)
    orders = drafts(shop, 8, lambda index: [(shop["plain"], 1)], tomorrow)

    results = confirm_all(orders)

    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = list(SalesOrder.objects.values_list("number", flat=True))
    assert len(numbers) == 8 and len(set(numbers)) == 8 and "" not in numbers


def test_two_deliveries_shipping_at_once_move_stock_once_each(shop, receive, today, tomorrow):  # noqa: ANN001
    from trade.sales.models import Delivery
    from trade.sales.services import delivery_create, delivery_ship, order_confirm

    yogurt = shop["yogurt"]
    receive(yogurt, 12, lot="L1", expiry=dlc(today, 20), location="A-01")
    receive(yogurt, 12, lot="L2", expiry=dlc(today, 25), location="B-01")
    orders = drafts(shop, 2, lambda index: [(yogurt, 12)], tomorrow)
    for order in orders:
        order_confirm(order)
    deliveries = [delivery_create(order) for order in orders]

    results = run_concurrently(lambda index: delivery_ship(deliveries[index]).state, count=2)

    assert results == ["shipped", "shipped"]
    for delivery in Delivery.objects.all():
        moves = StockMove.objects.filter(document_type="sales.delivery", document_id=delivery.number)
        assert sum(move.quantity for move in moves) == 12
    assert StockBalance.objects.filter(article=yogurt).aggregate(t=Sum("on_hand"), r=Sum("reserved")) == {
        "t": D(0), "r": D(0)}
    assert_stock_consistent(yogurt)


def test_one_delivery_shipped_twice_at_once_moves_stock_once(shop, receive, today, tomorrow):  # noqa: ANN001
    from trade.sales.services import delivery_create, delivery_ship, order_confirm

    yogurt = shop["yogurt"]
    receive(yogurt, 20, lot="L1", expiry=dlc(today, 20))
    [order] = drafts(shop, 1, lambda index: [(yogurt, 12)], tomorrow)
    order_confirm(order)
    delivery = delivery_create(order)

    results = run_concurrently(lambda index: delivery_ship(delivery).state, count=4)

    assert results == ["shipped"] * 4
    moves = StockMove.objects.filter(document_type="sales.delivery", document_id=delivery.number)
    assert sum(move.quantity for move in moves) == 12
    order.refresh_from_db()
    assert order.state == "delivered" and order.lines.get().delivered_quantity == 12
    assert_stock_consistent(yogurt)
