"""Orders through the service layer: bad input, changes, cancellation, kits,
serials, credit limit, prices that moved since keying."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils.translation import gettext as _

from tests.sales.conftest import dlc

pytestmark = pytest.mark.django_db


def _reserved(article) -> Decimal:  # noqa: ANN001
    from django.db.models import Sum

    from logistics.models import StockBalance

    return StockBalance.objects.filter(article=article).aggregate(total=Sum("reserved"))["total"] or Decimal(0)


def _line_error(message: str, position: int, article: str, **values) -> str:  # noqa: ANN003
    """A refused line's text in the active language, built as the services build it."""
    label = _("Line %(position)s (%(article)s)") % {"position": position, "article": article}
    return _(message) % {"line": label, **values}


def test_bad_lines_are_refused_by_name_and_nothing_is_saved(shop, line, today, tomorrow):  # noqa: ANN001
    from comptoir.exceptions import ValidationFailed
    from trade.sales.models import SalesOrder
    from trade.sales.services import order_create
    from trade.services import article_save, customer_node_save

    store, yogurt, plain, machine = shop["store"], shop["yogurt"], shop["plain"], shop["machine"]
    machine.status = "blocked"
    article_save(machine)
    store.full_cases_only = True
    customer_node_save(store)
    with pytest.raises(ValidationFailed) as refused:
        order_create(ordering_node=store, requested_date=tomorrow, lines=[
            line(plain, 3),
            line(yogurt, 5),  # not a multiple of the case of 12
            line(machine, 1),  # blocked
            line(plain, 0),
            line(plain, -2),
            line(yogurt, 1, "pallet"),  # no such packaging
            line(plain, 1, requested_date=today - timedelta(days=1)),
        ])
    from trade.models.catalogue import PackagingLevel

    # One text per bad line, in order; none about line 1.
    assert refused.value.errors["lines"] == [
        _line_error("%(line)s: this customer orders full cases only: %(quantity)s is not a multiple of %(case)s.",
                    2, "YAOURT", quantity="5", case="12"),
        _line_error("%(line)s: the article is blocked.", 3, "MACHINE"),
        _line_error("%(line)s: the quantity must be more than zero.", 4, "SUCRE"),
        _line_error("%(line)s: the quantity must be more than zero.", 5, "SUCRE"),
        _line_error("%(line)s: the article has no “%(level)s” packaging.", 6, "YAOURT",
                    level=PackagingLevel.PALLET.label),
        _line_error("%(line)s: the requested date %(date)s is in the past.", 7, "SUCRE",
                    date=(today - timedelta(days=1)).strftime("%d/%m/%Y")),
    ]
    assert SalesOrder.objects.count() == 0

    with pytest.raises(ValidationFailed) as past:
        order_create(ordering_node=store, requested_date=today - timedelta(days=2), lines=[line(plain, 12)])
    assert "requested_date" in past.value.errors
    # Full cases: 24 units of yogurt, or 2 cases, are fine.
    order = order_create(ordering_node=store, requested_date=tomorrow, lines=[line(yogurt, 24), line(yogurt, 2, "case")])
    assert [line.base_quantity for line in order.lines.all()] == [24, 24]


def test_blocked_customer_cannot_order_or_confirm(shop, line, tomorrow):  # noqa: ANN001
    from comptoir.exceptions import ValidationFailed
    from trade.sales.services import order_confirm, order_create
    from trade.services import customer_node_save

    store, group = shop["store"], shop["group"]
    order = order_create(ordering_node=store, requested_date=tomorrow, lines=[line(shop["plain"], 1)])
    group.is_blocked = True  # an ancestor blocked blocks the store
    customer_node_save(group)
    blocked = _("Customer %(node)s is blocked (or under a blocked node) or inactive: it cannot order.") % {
        "node": store}
    with pytest.raises(ValidationFailed) as on_create:
        order_create(ordering_node=store, requested_date=tomorrow, lines=[line(shop["plain"], 1)])
    assert blocked in on_create.value.errors["customer"]
    with pytest.raises(ValidationFailed) as on_confirm:
        order_confirm(order)
    assert blocked in on_confirm.value.errors["customer"]


def test_change_after_confirmation_follows_the_reservation(shop, receive, line, today, tomorrow):  # noqa: ANN001
    from comptoir.exceptions import InvalidTransition, ValidationFailed
    from trade.sales.services import (
        delivery_create,
        delivery_ship,
        order_confirm,
        order_create,
        order_line_add,
        order_line_cancel,
        order_line_change,
    )

    yogurt, plain = shop["yogurt"], shop["plain"]
    receive(yogurt, 24, lot="A", expiry=dlc(today, 10))
    receive(yogurt, 24, lot="B", expiry=dlc(today, 20), location="A-02")
    receive(plain, 100)
    order = order_create(ordering_node=shop["store"], requested_date=tomorrow, lines=[line(yogurt, 2, "case")])
    order_confirm(order)
    yogurt_line = order.lines.get()
    assert _reserved(yogurt) == 24
    order_line_change(yogurt_line, quantity=Decimal(3))  # more: FEFO reserves the rest
    assert _reserved(yogurt) == 36
    order_line_change(yogurt_line, quantity=Decimal(1))  # less: the latest-expiring lot goes back first
    from logistics.models import Reservation

    held = Reservation.objects.filter(document_id=str(order.pk), status="active")
    assert {r.balance.lot.number for r in held} == {"A"} and sum(r.quantity for r in held) == 12
    added = order_line_add(order, line(plain, 10))
    assert _reserved(plain) == 10
    order_line_cancel(added)
    assert _reserved(plain) == 0
    added.refresh_from_db()
    assert added.state == "cancelled"
    with pytest.raises(ValidationFailed):
        order_line_change(yogurt_line, requested_date=today - timedelta(days=1))

    delivery_ship(delivery_create(order))
    yogurt_line.refresh_from_db()
    assert yogurt_line.delivered_quantity == 12
    with pytest.raises((InvalidTransition, ValidationFailed)):  # the order is delivered: no more changes
        order_line_change(yogurt_line, quantity=Decimal(2))


def test_delivered_quantity_can_never_be_changed(shop, receive, line, tomorrow):  # noqa: ANN001
    from comptoir.exceptions import ValidationFailed
    from trade.sales.services import (
        delivery_create,
        delivery_pick,
        delivery_ship,
        order_confirm,
        order_create,
        order_line_change,
    )

    plain = shop["plain"]
    receive(plain, 10)
    order = order_create(ordering_node=shop["store"], requested_date=tomorrow, lines=[line(plain, 20)])
    order_confirm(order)
    delivery = delivery_create(order)
    delivery_pick(delivery, picked={delivery.lines.get().pk: Decimal(10)})
    delivery_ship(delivery)
    order_line = order.lines.get()
    with pytest.raises(ValidationFailed) as below:
        order_line_change(order_line, quantity=Decimal(5))
    assert below.value.errors == {"lines": [_line_error(
        "%(line)s: %(quantity)s is less than what is delivered or being picked (%(floor)s base units).",
        1, "SUCRE", quantity="5", floor="10.000")]}
    order_line_change(order_line, quantity=Decimal(10))  # down to what shipped: the order is delivered
    order.refresh_from_db()
    assert order.state == "delivered"


def test_cancellation_releases_everything(shop, receive, line, today, tomorrow):  # noqa: ANN001
    from comptoir.exceptions import InvalidTransition
    from trade.sales.models import DeliveryState, OrderState
    from trade.sales.services import delivery_create, order_cancel, order_confirm, order_create

    yogurt, plain = shop["yogurt"], shop["plain"]
    receive(yogurt, 24, lot="A", expiry=dlc(today, 20))
    receive(plain, 50)
    order = order_create(ordering_node=shop["store"], requested_date=tomorrow,
                         lines=[line(yogurt, 1, "case"), line(plain, 30)])
    order_confirm(order)
    delivery = delivery_create(order)
    assert _reserved(yogurt) == 12 and _reserved(plain) == 30
    order_cancel(order, reason="Customer changed their mind")
    order.refresh_from_db()
    delivery.refresh_from_db()
    assert order.state == OrderState.CANCELLED and delivery.state == DeliveryState.CANCELLED
    assert _reserved(yogurt) == 0 and _reserved(plain) == 0
    assert order.events.filter(to_state="cancelled", message="Customer changed their mind").exists()
    with pytest.raises(InvalidTransition):
        order_confirm(order)


def test_kit_order_reserves_and_ships_components(shop, receive, line, today, tomorrow):  # noqa: ANN001
    from logistics.models import StockMove
    from pricing.models import PriceListItem
    from tests import factories
    from trade.models import KitComponent
    from trade.sales.services import delivery_create, delivery_ship, order_confirm, order_create

    plain, yogurt = shop["plain"], shop["yogurt"]
    kit = factories.ArticleFactory(code="COFFRET", designation="Coffret petit-déjeuner", kit_kind="components")
    KitComponent.objects.create(kit=kit, component=plain, quantity=Decimal(2))
    KitComponent.objects.create(kit=kit, component=yogurt, quantity=Decimal(4))
    PriceListItem.objects.create(price_list=shop["price_list"], article=kit, unit_price=Decimal("9.9000"))
    receive(plain, 10)
    receive(yogurt, 12, lot="K1", expiry=dlc(today, 20))
    order = order_create(ordering_node=shop["store"], requested_date=tomorrow, lines=[line(kit, 4)])
    result = order_confirm(order)
    # Yogurt limits to 3 kits: all-or-nothing per kit, 1 kit short.
    assert [(short) for _line, short, _reason in result.short_lines] == [Decimal(1)]
    assert _reserved(plain) == 6 and _reserved(yogurt) == 12
    delivery = delivery_create(order)
    assert delivery.lines.get().quantity == 3
    delivery_ship(delivery)
    moves = StockMove.objects.filter(document_id=delivery.number)
    assert {(m.article_id, m.quantity) for m in moves} == {(plain.pk, Decimal(6)), (yogurt.pk, Decimal(12))}
    kit_line = order.lines.get()
    assert kit_line.delivered_quantity == 3 and kit_line.remaining == 1


def test_serial_tracked_order_ships_the_reserved_serials(shop, receive, line, tomorrow):  # noqa: ANN001
    from logistics.models import SerialNumber, StockMove
    from trade.sales.services import delivery_create, delivery_ship, order_confirm, order_create

    machine = shop["machine"]
    receive(machine, 3, serials=["SN-1", "SN-2", "SN-3"])
    order = order_create(ordering_node=shop["store"], requested_date=tomorrow, lines=[line(machine, 2)])
    order_confirm(order)
    assert SerialNumber.objects.filter(status="reserved").count() == 2
    delivery_ship(delivery_create(order))
    shipped = StockMove.objects.filter(document_type="sales.delivery", serial__isnull=False)
    assert shipped.count() == 2
    assert SerialNumber.objects.filter(status="shipped").count() == 2
    assert SerialNumber.objects.filter(status="in_stock").count() == 1


def test_credit_limit_refuses_confirmation(shop, receive, line, tomorrow):  # noqa: ANN001
    from comptoir.exceptions import ValidationFailed
    from trade.sales.services import order_confirm, order_create
    from trade.services import customer_node_save

    store, machine = shop["store"], shop["machine"]
    receive(machine, 5, serials=[f"S{i}" for i in range(5)])
    store.credit_limit = Decimal("300.00")
    customer_node_save(store)
    first = order_create(ordering_node=store, requested_date=tomorrow, lines=[line(machine, 2)])
    order_confirm(first)  # 240.00: within the limit
    second = order_create(ordering_node=store, requested_date=tomorrow, lines=[line(machine, 1)])
    with pytest.raises(ValidationFailed) as over:
        order_confirm(second)
    assert over.value.errors == {"credit_limit": [
        _("Credit limit exceeded for %(node)s: %(exposure)s already on order + %(total)s for this order "
          "> limit %(limit)s.") % {"node": store, "exposure": "240.00", "total": "120.00", "limit": "300.00"}]}
    second.refresh_from_db()
    assert second.state == "draft" and second.number == ""


def test_a_price_changed_since_keying_is_shown(shop, line, tomorrow):  # noqa: ANN001
    from pricing.models import PriceListItem
    from trade.sales.services import order_confirm, order_create

    plain = shop["plain"]
    order = order_create(ordering_node=shop["store"], requested_date=tomorrow, lines=[line(plain, 10)])
    PriceListItem.objects.filter(article=plain).update(unit_price=Decimal("1.3500"))
    result = order_confirm(order)
    order_line = order.lines.get()
    assert [changed.pk for changed in result.price_changes] == [order_line.pk]
    assert order_line.keyed_net_unit_price == Decimal("1.2000") and order_line.net_unit_price == Decimal("1.3500")
    assert order_line.price_changed
    assert order.events.filter(kind="price").exists()


def test_unpriced_line_cannot_be_confirmed(shop, line, tomorrow):  # noqa: ANN001
    from comptoir.exceptions import ValidationFailed
    from tests import factories
    from trade.sales.services import order_confirm, order_create

    unpriced = factories.ArticleFactory(code="SANSPRIX")
    order = order_create(ordering_node=shop["store"], requested_date=tomorrow, lines=[line(unpriced, 1)])
    assert order.lines.get().net_unit_price is None
    with pytest.raises(ValidationFailed) as unpriced_refused:
        order_confirm(order)
    assert unpriced_refused.value.errors == {"lines": [
        _line_error("%(line)s: no price for this customer (no price list line valid on the date).", 1, "SANSPRIX")]}


def test_quote_expiry_and_refusal(shop, line, today, tomorrow):  # noqa: ANN001
    from comptoir.exceptions import InvalidTransition
    from trade.sales.models import QuoteState
    from trade.sales.services import (
        quote_accept,
        quote_create,
        quote_refuse,
        quote_send,
        quotes_expire,
    )

    quote = quote_send(quote_create(ordering_node=shop["store"], requested_date=tomorrow, valid_until=today,
                                    lines=[line(shop["plain"], 5)]))
    assert quotes_expire(today=today + timedelta(days=1)) == 1
    quote.refresh_from_db()
    assert quote.state == QuoteState.EXPIRED
    with pytest.raises(InvalidTransition):
        quote_accept(quote)
    other = quote_send(quote_create(ordering_node=shop["store"], requested_date=tomorrow,
                                    lines=[line(shop["plain"], 5)]))
    quote_refuse(other, reason="Too expensive")
    other.refresh_from_db()
    assert other.state == QuoteState.REFUSED
    assert list(other.events.values_list("to_state", flat=True)) == ["draft", "sent", "refused"]


def test_an_accepted_quote_keeps_its_prices(shop, line, tomorrow):  # noqa: ANN001
    from pricing.models import PriceListItem
    from trade.sales.services import order_confirm, quote_accept, quote_create, quote_send

    plain = shop["plain"]
    quote = quote_send(quote_create(ordering_node=shop["store"], requested_date=tomorrow, lines=[line(plain, 10)]))
    PriceListItem.objects.filter(article=plain).update(unit_price=Decimal("1.5000"))  # prices rise after the quote
    order = quote_accept(quote)
    order_confirm(order)
    order_line = order.lines.get()
    assert order_line.net_unit_price == Decimal("1.2000") and order_line.line_amount == Decimal("12.00")
    assert order_line.breakdown["quote"]["engine_net_unit_price"] == "1.5000"
    assert not order_line.price_changed


def test_the_daily_task_expires_sent_quotes(shop, line, today, tomorrow):  # noqa: ANN001
    from datetime import timedelta as days

    from trade.sales.models import Quote
    from trade.sales.services import quote_create, quote_send
    from trade.sales.tasks import expire_quotes

    quote = quote_send(quote_create(ordering_node=shop["store"], requested_date=tomorrow, valid_until=today,
                                    lines=[line(shop["plain"], 5)]))
    Quote.objects.filter(pk=quote.pk).update(valid_until=today - days(1))
    assert expire_quotes.delay().get() == 1
    quote.refresh_from_db()
    assert quote.state == "expired"
