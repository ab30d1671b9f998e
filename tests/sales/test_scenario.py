"""The life of an order on PostgreSQL, through the service layer."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.sales.conftest import dlc

pytestmark = pytest.mark.django_db


def test_quote_to_order_to_two_deliveries(shop, receive, line, today, tomorrow, sales_user):  # noqa: ANN001
    from django.db.models import Sum

    from logistics.models import StockBalance, StockMove
    from trade.sales.models import DeliveryState, OrderState, QuoteState
    from trade.sales.services import (
        delivery_create,
        delivery_pick,
        delivery_ship,
        order_confirm,
        quote_accept,
        quote_create,
        quote_send,
    )
    from trade.services import customer_node_save

    store, yogurt = shop["store"], shop["yogurt"]
    store.min_shelf_life_value, store.min_shelf_life_unit = 10, "days"
    customer_node_save(store)
    # Three lots: one too short-dated for the store's 10-day rule, two good.
    receive(yogurt, 24, lot="L-SHORT", expiry=dlc(today, 5), location="A-01")
    receive(yogurt, 24, lot="L-GOOD1", expiry=dlc(today, 20), location="A-02")
    receive(yogurt, 12, lot="L-GOOD2", expiry=dlc(today, 25), location="B-01")

    quote = quote_create(ordering_node=store, lines=[line(yogurt, 5, "case")], requested_date=tomorrow,
                         user=sales_user)
    assert quote.state == QuoteState.DRAFT and quote.number == ""
    quote = quote_send(quote, user=sales_user)
    assert quote.number.startswith("DEV")
    order = quote_accept(quote, user=sales_user)
    assert order.quote_id == quote.pk and order.state == OrderState.DRAFT
    assert order.delivery_node == shop["platform"]  # delivered via its platform (inherited from the chain)
    assert order.invoicing_node == store
    order_line = order.lines.get()
    assert order_line.base_quantity == 60 and order_line.net_unit_price == Decimal("6.0000")  # case of 12 × 0.50

    result = order_confirm(order, user=sales_user)
    order.refresh_from_db()
    assert order.state == OrderState.CONFIRMED and order.number.startswith("CDE")
    # 36 good units (the short-dated lot is skipped); 24 short stay as backorder.
    assert [(line.pk, short) for line, short, _reason in result.short_lines] == [(order_line.pk, Decimal(24))]
    assert "short-dated" in result.short_lines[0][2]

    first = delivery_create(order, user=sales_user)
    assert [(dl.quantity) for dl in first.lines.all()] == [Decimal(36)]
    delivery_pick(first, picked={first.lines.get().pk: Decimal(30)}, user=sales_user)  # 6 not found
    delivery_ship(first, user=sales_user)
    delivery_ship(first, user=sales_user)  # twice: stock moves once
    first.refresh_from_db()
    assert first.state == DeliveryState.SHIPPED
    moves = StockMove.objects.filter(document_type="sales.delivery", document_id=first.number)
    assert sum(m.quantity for m in moves) == 30
    shipped_lots = {}
    for move in moves:
        shipped_lots[move.lot.number] = shipped_lots.get(move.lot.number, 0) + move.quantity
    # FEFO reserved 24 of L-GOOD1 and 12 of L-GOOD2; the 6 not found go back from the latest-expiring lot.
    assert shipped_lots == {"L-GOOD1": 24, "L-GOOD2": 6}
    assert all(m.customer_node_id == store.pk for m in moves)  # the store, even through its platform
    order.refresh_from_db()
    order_line.refresh_from_db()
    assert order.state == OrderState.PARTIALLY_DELIVERED
    assert order_line.delivered_quantity == 30 and order_line.remaining == 30

    # Stock arrives; the second delivery takes the rest (the 6 unpicked went back too).
    receive(yogurt, 48, lot="L-GOOD3", expiry=dlc(today, 28), location="A-01")
    second = delivery_create(order, user=sales_user)
    assert sum(dl.quantity for dl in second.lines.all()) == 30
    delivery_ship(second, user=sales_user)
    order.refresh_from_db()
    assert order.state == OrderState.DELIVERED
    totals = StockBalance.objects.filter(article=yogurt).aggregate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    assert totals == {"on_hand": Decimal(108 - 60), "reserved": Decimal(0)}


def test_cut_policy_cuts_short_lines(shop, receive, line, today, tomorrow, sales_user):  # noqa: ANN001
    from trade.sales.models import OrderState
    from trade.sales.services import delivery_create, delivery_ship, order_confirm, order_create
    from trade.services import customer_node_save

    store, plain = shop["store"], shop["plain"]
    store.backorder_policy = "cut"
    customer_node_save(store)
    receive(plain, 10)
    order = order_create(ordering_node=store, lines=[line(plain, 15)], requested_date=tomorrow, user=sales_user)
    order_confirm(order, user=sales_user)
    order_line = order.lines.get()
    assert order_line.cut_quantity == 5
    delivery_ship(delivery_create(order, user=sales_user), user=sales_user)
    order.refresh_from_db()
    assert order.state == OrderState.DELIVERED
