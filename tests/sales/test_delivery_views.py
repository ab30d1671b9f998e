"""Deliveries in the browser: the reads behind the screens (list filters, picking list
in walking order with lots, DLC and serials, the shipped view, delivery note lines),
then the screens themselves: permissions, picking with a short pick, shipping twice
(and at once) moving stock once, cancelling giving the reservations back."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db.models import Sum

from tests.sales.conftest import dlc

pytestmark = pytest.mark.django_db


def _rows(picking) -> list[tuple]:  # noqa: ANN001
    return [(stop.location.code, row.article.code, row.lot_number, row.serial_number, row.quantity)
            for stop in picking for row in stop.rows]


def _shipped_moves(delivery):  # noqa: ANN001, ANN202
    from logistics.models import StockMove

    return StockMove.objects.filter(document_type="sales.delivery", document_id=delivery.number)


# ---------------------------------------------------------------- selectors


def test_picking_list_walks_locations_in_picking_order_with_lots_and_serials(picking_delivery, today):  # noqa: ANN001
    from trade.sales.selectors.deliveries import picking_list

    picking = picking_list(picking_delivery["delivery"])

    # A-01 (order 1), A-02 (order 2), B-01 (order 3): the walk, not the FEFO order of the lots.
    assert [stop.location.code for stop in picking] == ["A-01", "A-02", "B-01"]
    assert _rows(picking) == [
        ("A-01", "SUCRE", "", "", Decimal(5)),
        ("A-01", "YAOURT", "L-LATE", "", Decimal(12)),
        ("A-02", "MACHINE", "", "SN-1", Decimal(1)),
        ("A-02", "MACHINE", "", "SN-2", Decimal(1)),
        ("B-01", "YAOURT", "L-EARLY", "", Decimal(24)),
    ]
    early = picking[2].rows[0]
    assert (early.expiry_date, early.expiry_kind) == (dlc(today, 20), "dlc")
    assert early.line_position == 1 and early.delivery_line_id == picking_delivery["lines"]["YAOURT"].pk
    assert picking[0].quantity == Decimal(17)


def test_picking_order_beats_location_code(picking_delivery):  # noqa: ANN001
    from logistics.models import Location
    from trade.sales.selectors.deliveries import picking_list

    Location.objects.filter(code="B-01").update(picking_order=0)  # B-01 is now walked first

    assert [stop.location.code for stop in picking_list(picking_delivery["delivery"])] == ["B-01", "A-01", "A-02"]


def test_shipped_delivery_lists_what_left_from_the_stock_moves(picking_delivery, sales_user):  # noqa: ANN001
    from trade.sales.selectors.deliveries import picking_list
    from trade.sales.services import delivery_pick, delivery_ship

    delivery, lines = picking_delivery["delivery"], picking_delivery["lines"]
    delivery_pick(delivery, picked={lines["YAOURT"].pk: Decimal(30)}, user=sales_user)
    delivery_ship(delivery, user=sales_user)
    delivery.refresh_from_db()

    # The 6 yogurts not found came back from the latest-expiring lot.
    assert _rows(picking_list(delivery)) == [
        ("A-01", "SUCRE", "", "", Decimal(5)),
        ("A-01", "YAOURT", "L-LATE", "", Decimal(6)),
        ("A-02", "MACHINE", "", "SN-1", Decimal(1)),
        ("A-02", "MACHINE", "", "SN-2", Decimal(1)),
        ("B-01", "YAOURT", "L-EARLY", "", Decimal(24)),
    ]


def test_cancelled_delivery_has_nothing_to_pick(picking_delivery, sales_user):  # noqa: ANN001
    from trade.sales.selectors.deliveries import picking_list
    from trade.sales.services import delivery_cancel

    delivery = delivery_cancel(picking_delivery["delivery"], user=sales_user)

    assert picking_list(delivery) == []


def test_delivery_note_lines_give_units_and_lots_shipped(picking_delivery, sales_user, today):  # noqa: ANN001
    from tests import factories
    from trade.sales.selectors.deliveries import delivery_note_lines
    from trade.sales.services import delivery_pick, delivery_ship

    delivery, lines = picking_delivery["delivery"], picking_delivery["lines"]
    assert [line.lots for line in delivery_note_lines(delivery)] == [(), (), ()]  # nothing left yet
    delivery_pick(delivery, picked={lines["YAOURT"].pk: Decimal(30)}, user=sales_user)
    delivery_ship(delivery, user=sales_user)
    delivery.refresh_from_db()

    yogurt, machine, sugar = delivery_note_lines(delivery)

    assert (yogurt.position, yogurt.article.code, yogurt.gtin) == (1, "YAOURT", factories.gtin(777001))
    assert yogurt.ordered_unit_gtin == yogurt.article.packagings.get(level="case").gtin
    assert (yogurt.unit, yogurt.ordered_quantity, yogurt.ordered_base_quantity) == ("case", 3, 36)
    assert (yogurt.shipped_base_quantity, yogurt.shipped_quantity, yogurt.short_base_quantity) == (30, Decimal("2.5"), 6)
    assert [(lot.lot_number, lot.expiry_date, lot.expiry_kind, lot.quantity) for lot in yogurt.lots] == [
        ("L-EARLY", dlc(today, 20), "dlc", Decimal(24)), ("L-LATE", dlc(today, 40), "dlc", Decimal(6))]
    assert machine.serial_numbers == ("SN-1", "SN-2") and machine.is_in_base_unit
    assert (machine.shipped_quantity, machine.gtin) == (2, "")
    assert [(lot.lot_number, lot.quantity) for lot in sugar.lots] == [("", Decimal(5))]


def test_delivery_list_filters(picking_delivery, hierarchy, sales_user, tomorrow):  # noqa: ANN001
    from tests import factories
    from trade.sales.models import Delivery, DeliveryState
    from trade.sales.selectors.deliveries import DeliveryFilters, delivery_list

    delivery = picking_delivery["delivery"]
    other_chain = factories.CustomerNodeFactory(kind="chain", code="AUTRE", name="Autre enseigne")

    def numbers(**filters) -> list[str]:  # noqa: ANN003
        return [d.number for d in delivery_list(DeliveryFilters(**filters))]

    assert numbers() == [delivery.number]
    assert delivery_list().get().line_count == 3
    assert numbers(state=DeliveryState.PICKING) == [delivery.number]
    assert numbers(state=DeliveryState.SHIPPED) == []
    assert numbers(planned_from=delivery.planned_date, planned_to=delivery.planned_date) == [delivery.number]
    assert numbers(planned_from=tomorrow.replace(year=tomorrow.year + 1)) == []
    assert numbers(customer_node=hierarchy["chain"]) == [delivery.number]  # the store is under the chain
    assert numbers(customer_node=hierarchy["platform"]) == [delivery.number]
    assert numbers(customer_node=other_chain) == []
    assert numbers(warehouse=delivery.warehouse) == [delivery.number]
    assert numbers(number=picking_delivery["order"].number[-6:]) == [delivery.number]
    assert numbers(number="PO-47") == [delivery.number]  # their reference
    assert numbers(number="nope") == []
    assert Delivery.objects.count() == 1


# ---------------------------------------------------------------- screens


def test_screens_need_login_and_the_view_permission(client, client_for, picking_delivery, make_user):  # noqa: ANN001
    from django.urls import reverse

    from comptoir import roles

    delivery = picking_delivery["delivery"]
    urls = [reverse("sales:delivery_list"), reverse("sales:delivery_detail", args=[delivery.pk]),
            reverse("sales:picking_list", args=[delivery.pk])]
    purchasing = client_for(make_user(roles.PURCHASING))  # reads orders, not deliveries
    accounting = client_for(make_user(roles.ACCOUNTING))

    assert all(client.get(url).status_code == 302 for url in urls)  # to the login page
    assert [purchasing.get(url).status_code for url in urls] == [403, 403, 403]
    assert [accounting.get(url).status_code for url in urls] == [200, 200, 200]
    # Reading is not acting: accounting sees no form and may not post one.
    page = accounting.get(urls[1]).content.decode()
    assert "data-pick-form" in page and 'data-action="ship"' not in page
    assert accounting.post(reverse("sales:delivery_ship", args=[delivery.pk])).status_code == 403
    assert accounting.post(reverse("sales:delivery_cancel", args=[delivery.pk])).status_code == 403
    assert not _shipped_moves(delivery).exists()


def test_list_and_detail_show_the_delivery_and_its_picking_list(client_for, warehouse_user, picking_delivery):  # noqa: ANN001
    from django.urls import reverse

    delivery = picking_delivery["delivery"]
    client = client_for(warehouse_user)

    listing = client.get(reverse("sales:delivery_list"), {"state": "picking", "customer": "ENS"})
    detail = client.get(reverse("sales:delivery_detail", args=[delivery.pk]))
    printable = client.get(reverse("sales:picking_list", args=[delivery.pk]))

    assert listing.status_code == 200 and f'data-delivery="{delivery.number}"' in listing.content.decode()
    assert list(listing.context["deliveries"]) == [delivery]
    assert client.get(reverse("sales:delivery_list"), {"state": "shipped"}).context["deliveries"].count() == 0
    page = detail.content.decode()
    assert detail.status_code == 200
    assert [stop.location.code for stop in detail.context["picking"]] == ["A-01", "A-02", "B-01"]
    assert "L-EARLY" in page and "SN-2" in page and 'data-action="ship"' in page
    assert page.count('class="pick-input"') == 3
    assert 'value="36"' in page  # the yogurt's input starts at the quantity to pick
    assert printable.status_code == 200
    assert printable.content.decode().index('data-location="A-01"') < printable.content.decode().index(
        'data-location="B-01"')


def test_pick_with_a_short_line_is_recorded_and_shown(client_for, warehouse_user, picking_delivery):  # noqa: ANN001
    from django.urls import reverse

    from trade.sales.models import DeliveryState

    delivery, lines = picking_delivery["delivery"], picking_delivery["lines"]
    client = client_for(warehouse_user)
    form = {f"picked-{line.pk}": str(line.quantity) for line in lines.values()}
    form[f"picked-{lines['YAOURT'].pk}"] = "30"

    response = client.post(reverse("sales:delivery_pick", args=[delivery.pk]), form, follow=True)

    delivery.refresh_from_db()
    lines["YAOURT"].refresh_from_db()
    assert delivery.state == DeliveryState.PICKED
    assert lines["YAOURT"].picked_quantity == 30 and lines["YAOURT"].short_quantity == 6
    page = response.content.decode()
    assert "−6" in page and 'class="is-short"' in page
    assert delivery.events.filter(to_state="picked", message__contains="30").exists()
    assert not _shipped_moves(delivery).exists()  # picking moves nothing


def test_a_picked_quantity_above_the_quantity_to_pick_is_refused_on_the_form(client_for, warehouse_user,  # noqa: ANN001
                                                                             picking_delivery):
    from django.urls import reverse

    from trade.sales.models import DeliveryState

    delivery, lines = picking_delivery["delivery"], picking_delivery["lines"]
    client = client_for(warehouse_user)

    response = client.post(reverse("sales:delivery_pick", args=[delivery.pk]),
                           {f"picked-{lines['YAOURT'].pk}": "40", f"picked-{lines['SUCRE'].pk}": "-1",
                            f"picked-{lines['MACHINE'].pk}": "2"})

    assert response.status_code == 400
    assert set(response.context["pick_form"].errors) == {f"picked-{lines['YAOURT'].pk}",
                                                         f"picked-{lines['SUCRE'].pk}"}
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PICKING
    assert not delivery.lines.filter(picked_quantity__isnull=False).exists()


def test_shipping_twice_through_the_view_moves_stock_once(client_for, warehouse_user, picking_delivery):  # noqa: ANN001
    from django.urls import reverse

    from logistics.models import StockBalance
    from trade.sales.models import DeliveryState, OrderState

    delivery, lines = picking_delivery["delivery"], picking_delivery["lines"]
    client = client_for(warehouse_user)
    url = reverse("sales:delivery_ship", args=[delivery.pk])
    # Ship straight from the pick form, with a short quantity typed but not confirmed first.
    form = {f"picked-{line.pk}": str(line.quantity) for line in lines.values()}
    form[f"picked-{lines['YAOURT'].pk}"] = "30"

    first = client.post(url, form)
    second = client.post(url, form, follow=True)  # the service is called again, and ships nothing

    assert first.status_code == 302 and second.status_code == 200
    assert [m.level_tag for m in second.context["messages"]] == ["success", "info"]
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SHIPPED
    assert _shipped_moves(delivery).aggregate(total=Sum("quantity"))["total"] == Decimal(30 + 2 + 5)
    assert _shipped_moves(delivery).count() == 5  # two lots, two serials, sugar
    assert delivery.events.filter(to_state="shipped").count() == 1
    yogurt_stock = StockBalance.objects.filter(article=picking_delivery["yogurt"]).aggregate(
        on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    assert yogurt_stock == {"on_hand": Decimal(48 - 30), "reserved": Decimal(0)}
    order = picking_delivery["order"]
    order.refresh_from_db()
    assert order.state == OrderState.PARTIALLY_DELIVERED  # the 6 yogurts stay as backorder
    page = client.get(reverse("sales:delivery_detail", args=[delivery.pk])).content.decode()
    assert "data-delivery-note" in page and 'data-action="ship"' not in page


@pytest.mark.django_db(transaction=True)
def test_two_ship_requests_at_once_move_stock_once(client_for, warehouse_user, picking_delivery):  # noqa: ANN001
    from django.db import connection
    from django.urls import reverse

    delivery = picking_delivery["delivery"]
    url = reverse("sales:delivery_ship", args=[delivery.pk])
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def ship() -> None:
        client = client_for(warehouse_user)
        barrier.wait()
        try:
            statuses.append(client.post(url).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=ship) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302, 302]
    assert _shipped_moves(delivery).aggregate(total=Sum("quantity"))["total"] == Decimal(36 + 2 + 5)
    assert delivery.events.filter(to_state="shipped").count() == 1


def test_cancel_gives_the_reservations_back_to_the_order(client_for, sales_user, picking_delivery):  # noqa: ANN001
    from django.urls import reverse

    from logistics.models import Reservation
    from trade.sales.models import DeliveryState

    delivery, order = picking_delivery["delivery"], picking_delivery["order"]
    held = Reservation.objects.filter(status="active").aggregate(total=Sum("quantity"))["total"]

    response = client_for(sales_user).post(reverse("sales:delivery_cancel", args=[delivery.pk]))

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.CANCELLED
    active = Reservation.objects.filter(status="active")
    assert set(active.values_list("document_type", "document_id")) == {("sales.order", str(order.pk))}
    assert active.aggregate(total=Sum("quantity"))["total"] == held == Decimal(36 + 2 + 5)
    by_line = dict(active.values("document_line").annotate(total=Sum("quantity"))
                   .values_list("document_line", "total"))
    assert by_line == {str(line.order_line_id): line.quantity for line in picking_delivery["lines"].values()}
    assert not _shipped_moves(delivery).exists()
    # Cancelled: no more actions, and shipping it is refused with a message.
    response = client_for(sales_user).post(reverse("sales:delivery_ship", args=[delivery.pk]), follow=True)
    assert not _shipped_moves(delivery).exists()
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_actions_refuse_get(client_for, sales_user, picking_delivery):  # noqa: ANN001
    from django.urls import reverse

    client = client_for(sales_user)
    delivery = picking_delivery["delivery"]

    assert [client.get(reverse(name, args=[delivery.pk])).status_code
            for name in ("sales:delivery_pick", "sales:delivery_ship", "sales:delivery_cancel")] == [405, 405, 405]


def test_actions_need_the_csrf_token(client_for, sales_user, picking_delivery):  # noqa: ANN001
    from django.test import Client
    from django.urls import reverse

    client = Client(enforce_csrf_checks=True)
    client.force_login(sales_user)
    delivery = picking_delivery["delivery"]

    assert client.post(reverse("sales:delivery_ship", args=[delivery.pk])).status_code == 403
    assert not _shipped_moves(delivery).exists()


def test_delivery_note_pdf_before_shipping_sends_back_to_the_delivery(client_for, sales_user, our_company,  # noqa: ANN001
                                                                       picking_delivery):
    from django.urls import reverse

    delivery = picking_delivery["delivery"]

    response = client_for(sales_user).get(reverse("sales:delivery_note_pdf", args=[delivery.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("sales:delivery_detail", args=[delivery.pk])
