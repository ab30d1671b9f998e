"""ORDERS in → priced, confirmed sales orders; ORDRSP and DESADV out; the error queue,
fix and replay; replacement and cancellation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from .gateway import OUR_GLN, PARTNER_GLN

pytestmark = pytest.mark.django_db

YOGURT_GTIN = "3012345100014"
SUGAR_GTIN = "3012345100021"


def orders_text(*, number: str, lines: list[tuple[str, int, str | None]], reference: str = "ORD0001",
                function: str = "9", delivery: str, stores: dict[str, list[tuple[str, int]]] | None = None,
                buyer: str = PARTNER_GLN, on: str) -> bytes:
    """An ORDERS interchange: lines are (GTIN, quantity, net price or None); ``stores``
    maps a line's GTIN to its per-store split (store GLN, quantity)."""
    segments = ["UNH+1+ORDERS:D:96A:UN:EAN008", f"BGM+220+{number}+{function}", "DTM+137:20261120:102",
                f"DTM+2:{on}:102", f"NAD+BY+{buyer}::9", f"NAD+SU+{OUR_GLN}::9", f"NAD+DP+{delivery}::9",
                "CUX+2:EUR:9"]
    for position, (gtin, quantity, price) in enumerate(lines, start=1):
        segments += [f"LIN+{position}++{gtin}:EN", f"QTY+21:{quantity}"]
        if price:
            segments.append(f"PRI+AAA:{price}")
        for store, store_quantity in (stores or {}).get(gtin, []):
            segments += [f"LOC+7+{store}::9", f"QTY+11:{store_quantity}"]
    segments += ["UNS+S", f"CNT+2:{len(lines)}"]
    segments.append(f"UNT+{len(segments) + 1}+1")
    body = "'".join(segments) + "'"
    return (f"UNA:+.? 'UNB+UNOC:3+{PARTNER_GLN}:14+{OUR_GLN}:14+261120:0600+{reference}'"
            f"{body}UNZ+1+{reference}'").encode("latin-1")


@pytest.fixture
def retail(hierarchy, make_partner):  # noqa: ANN001, ANN201
    """The test hierarchy priced and stocked, a retail partner for its chain that wants
    ORDRSP on confirmation."""
    from datetime import date

    from django.utils import timezone

    from logistics.models import Location, Receipt, ReceiptLine, Warehouse
    from logistics.services.documents import receipt_post
    from pricing.models import PriceListItem
    from tests import factories
    from trade.services import customer_node_save

    today = timezone.localdate()
    warehouse = Warehouse.objects.create(code="LYON", name="Entrepôt Lyon")
    bin_ = Location.objects.create(warehouse=warehouse, code="A-01", picking_order=1)
    price_list = factories.PriceListFactory(code="TARIF")
    chain = hierarchy["chain"]
    chain.price_list = price_list
    customer_node_save(chain)
    group = hierarchy["group"]
    group.gln = PARTNER_GLN  # the buying group orders (NAD+BY)
    customer_node_save(group)
    yogurt = factories.ArticleFactory(code="YAOURT", tracking_mode="lot_dlc", shelf_life_days=30)
    factories.PackagingFactory(article=yogurt, level="consumer_unit", quantity=1, gtin=YOGURT_GTIN)
    sugar = factories.ArticleFactory(code="SUCRE")
    for article, price in ((yogurt, "0.5000"), (sugar, "1.2000")):
        PriceListItem.objects.create(price_list=price_list, article=article, unit_price=Decimal(price))
    receipt = Receipt.objects.create(warehouse=warehouse, received_on=date(2026, 6, 1))
    ReceiptLine.objects.create(receipt=receipt, article=yogurt, location=bin_, quantity=Decimal(100),
                               unit_cost=Decimal("0.3000"), lot_number="L1", expiry_date=today + timedelta(days=20))
    ReceiptLine.objects.create(receipt=receipt, article=sugar, location=bin_, quantity=Decimal(100),
                               unit_cost=Decimal("0.8000"))
    receipt_post(receipt)
    partner = make_partner(customer_node=chain, ordrsp_policy="on_confirmation",
                           price_tolerance_percent=Decimal("1.00"), unknown_gtin_policy="reject_message")
    on = (today + timedelta(days=3)).strftime("%Y%m%d")
    return {**hierarchy, "partner": partner, "yogurt": yogurt, "sugar": sugar, "on": on, "warehouse": warehouse}


def _sent(message_type: str):  # noqa: ANN202
    from edi.models import EdiMessage

    return list(EdiMessage.objects.filter(direction="out", message_type=message_type).order_by("pk"))


def _ordrsp_of(row):  # noqa: ANN001, ANN202
    from edi.eancom import parse_interchanges
    from edi.eancom.messages.ordrsp import parse_ordrsp

    parsed = parse_interchanges(row.interchange.payload_bytes)
    return parse_ordrsp(parsed.interchanges[0].messages[row.position - 1])


def test_an_orders_becomes_a_confirmed_order_answered_with_contrl_and_ordrsp(retail, receive):  # noqa: ANN001
    from edi.models import MessageState
    from trade.sales.models import OrderOrigin, OrderState, SalesOrder

    store = retail["store"]
    payload = orders_text(number="PO-777", on=retail["on"], delivery=store.gln,
                          lines=[(YOGURT_GTIN, 30, "0.5000"), (SUGAR_GTIN, 10, "9.9900")])
    # Sugar's GTIN is not known yet: the whole message waits in the error queue.
    row = receive(payload)
    message = row.messages.get()
    assert message.state == MessageState.ERROR
    assert any(e["code"] == "unknown_gtin" and e["line"] == "2" for e in message.errors)
    assert not SalesOrder.objects.exists()
    assert row.contrl_id  # the interchange itself was fine: CONTRL accepted it

    # A person maps the GTIN and replays: the order appears, priced by us and confirmed.
    from edi.services import message_replay
    from tests import factories

    factories.PackagingFactory(article=retail["sugar"], level="consumer_unit", quantity=1, gtin=SUGAR_GTIN)
    message = message_replay(message_id=message.pk)
    assert message.state == MessageState.PROCESSED, message.errors
    order = SalesOrder.objects.get()
    assert (order.origin, order.state, order.customer_reference) == (OrderOrigin.EDI, OrderState.CONFIRMED,
                                                                    "PO-777")
    assert order.ordering_node == store and order.delivery_node == store
    assert message.document_type == "sales.SalesOrder" and message.document_id == str(order.pk)
    yogurt_line, sugar_line = order.lines.order_by("position")
    assert yogurt_line.net_unit_price == Decimal("0.5000") and not yogurt_line.caller_price_flagged
    # Their 9.99 for sugar is compared, flagged, never taken.
    assert sugar_line.net_unit_price == Decimal("1.2000") and sugar_line.caller_unit_price == Decimal("9.9900")
    assert sugar_line.caller_price_flagged
    assert [line.customer_line_reference for line in (yogurt_line, sugar_line)] == ["1", "2"]


def test_ordrsp_echoes_lines_and_confirmed_quantities(retail, receive, committed):  # noqa: ANN001
    from edi.eancom.messages.ordrsp import LineAction, ResponseStatus
    from trade.sales.models import SalesOrder

    payload = orders_text(number="PO-778", on=retail["on"], delivery=retail["store"].gln,
                          lines=[(YOGURT_GTIN, 120, "0.5000")])  # 100 in stock
    receive(payload)
    order = SalesOrder.objects.get()
    assert order.state == "confirmed"
    (ordrsp,) = _sent("ORDRSP")
    response = _ordrsp_of(ordrsp)
    assert response.order_number == "PO-778" and response.status == ResponseStatus.ACCEPTED_WITH_CHANGES
    (line,) = response.lines
    assert (line.line_number, line.action, line.ordered_quantity, line.confirmed_quantity) == (
        "1", LineAction.CHANGED, Decimal(120), Decimal(100))
    assert ordrsp.document_type == "edi.EdiMessage"  # one answer per ORDERS message


def test_platform_order_split_per_store(retail, receive, make_partner):  # noqa: ANN001
    from tests import factories
    from trade.sales.models import SalesOrder

    platform, store = retail["platform"], retail["store"]
    second = factories.CustomerNodeFactory(kind="store", parent=platform, code="MAG2", name="Magasin 2")
    payload = orders_text(number="PO-PF", on=retail["on"], delivery=platform.gln,
                          lines=[(YOGURT_GTIN, 30, None)],
                          stores={YOGURT_GTIN: [(store.gln, 12), (second.gln, 18)]})
    receive(payload)
    orders = {order.ordering_node.code: order for order in SalesOrder.objects.all()}
    assert set(orders) == {"MAG", "MAG2"}
    assert all(order.delivery_node == platform for order in orders.values())
    assert orders["MAG"].lines.get().quantity == 12 and orders["MAG2"].lines.get().quantity == 18
    # One ORDRSP for the ORDERS, its line answered with the quantities of both stores.
    (ordrsp,) = _sent("ORDRSP")
    (line,) = _ordrsp_of(ordrsp).lines
    assert (line.line_number, line.ordered_quantity, line.confirmed_quantity) == ("1", Decimal(30), Decimal(30))


def test_replacement_and_cancellation_update_the_order_until_it_ships(retail, receive):  # noqa: ANN001
    from edi.models import MessageState
    from trade.sales.models import SalesOrder
    from trade.sales.services import delivery_create, delivery_ship

    store = retail["store"]
    receive(orders_text(number="PO-R", reference="R1", on=retail["on"], delivery=store.gln,
                        lines=[(YOGURT_GTIN, 10, None)]))
    order = SalesOrder.objects.get()
    # The same order number again as an original: refused, not doubled.
    duplicate = receive(orders_text(number="PO-R", reference="R1B", on=retail["on"], delivery=store.gln,
                                    lines=[(YOGURT_GTIN, 10, None)])).messages.get()
    assert duplicate.state == MessageState.ERROR and duplicate.errors[0]["code"] == "duplicate_order"
    # A replacement: more yogurt, and sugar added.
    from tests import factories

    factories.PackagingFactory(article=retail["sugar"], level="consumer_unit", quantity=1, gtin=SUGAR_GTIN)
    replaced = receive(orders_text(number="PO-R", reference="R2", function="5", on=retail["on"],
                                   delivery=store.gln, lines=[(YOGURT_GTIN, 20, None), (SUGAR_GTIN, 5, None)]))
    assert replaced.messages.get().state == MessageState.PROCESSED
    assert SalesOrder.objects.count() == 1
    assert {(line.article.code, line.quantity) for line in order.lines.filter(state="open")} == {
        ("YAOURT", 20), ("SUCRE", 5)}
    delivery_ship(delivery_create(order))
    # Shipped: a cancellation is refused with the reason, the order stays as it is.
    cancelled = receive(orders_text(number="PO-R", reference="R3", function="1", on=retail["on"],
                                    delivery=store.gln, lines=[(YOGURT_GTIN, 20, None)])).messages.get()
    assert cancelled.state == MessageState.ERROR and cancelled.errors[0]["code"] == "already_shipped"
    order.refresh_from_db()
    assert order.state == "delivered"


def test_cancellation_before_shipping_cancels_and_releases(retail, receive):  # noqa: ANN001
    from trade.sales.models import SalesOrder

    store = retail["store"]
    receive(orders_text(number="PO-C", reference="C1", on=retail["on"], delivery=store.gln,
                        lines=[(YOGURT_GTIN, 10, None)]))
    receive(orders_text(number="PO-C", reference="C2", function="1", on=retail["on"], delivery=store.gln,
                        lines=[(YOGURT_GTIN, 10, None)]))
    order = SalesOrder.objects.get()
    assert order.state == "cancelled"
    from logistics.models import Reservation

    assert not Reservation.objects.filter(status="active").exists()


def test_desadv_when_the_delivery_ships(retail, receive, committed):  # noqa: ANN001
    from edi.eancom import parse_interchanges
    from edi.eancom.messages.desadv import parse_desadv
    from trade.sales.models import SalesOrder
    from trade.sales.services import delivery_create, delivery_ship

    receive(orders_text(number="PO-D", on=retail["on"], delivery=retail["store"].gln,
                        lines=[(YOGURT_GTIN, 24, None)]))
    order = SalesOrder.objects.get()
    committed(delivery_ship, delivery_create(order))
    (desadv,) = _sent("DESADV")
    parsed = parse_interchanges(desadv.interchange.payload_bytes)
    advice = parse_desadv(parsed.interchanges[0].messages[desadv.position - 1])
    (line,) = [line for level in advice.packing for line in level.lines]
    assert (line.gtin, line.quantity, line.batch_number) == (YOGURT_GTIN, Decimal(24), "L1")
    assert line.expiry_date is not None
    assert ("ON", "PO-D") in {(ref.qualifier, ref.value) for ref in advice.references}


def test_a_partner_cannot_order_for_another_chains_store(retail, receive):  # noqa: ANN001
    from edi.models import MessageState
    from tests import factories
    from trade.sales.models import SalesOrder

    other_chain = factories.CustomerNodeFactory(kind="chain", code="AUTRE-ENS", name="Autre enseigne")
    stranger = factories.CustomerNodeFactory(kind="store", parent=other_chain, code="AUTRE", name="Autre magasin")
    message = receive(orders_text(number="PO-F", on=retail["on"], delivery=stranger.gln,
                                  lines=[(YOGURT_GTIN, 5, None)])).messages.get()
    assert message.state == MessageState.ERROR
    assert {error["code"] for error in message.errors} == {"foreign_customer"}
    assert not SalesOrder.objects.exists()


def test_bad_date_and_unknown_gln_go_to_the_error_queue(retail, receive):  # noqa: ANN001
    from edi.models import MessageState
    from tests import factories
    from trade.sales.models import SalesOrder

    message = receive(orders_text(number="PO-X", on="20200101", delivery=factories.gln(987654),
                                  lines=[(YOGURT_GTIN, 5, None)])).messages.get()
    assert message.state == MessageState.ERROR
    codes = {error["code"] for error in message.errors}
    assert {"past_date", "unknown_gln"} <= codes
    assert not SalesOrder.objects.exists()


def test_a_test_interchange_is_checked_but_creates_no_order(retail, receive):  # noqa: ANN001
    from edi.models import MessageState
    from trade.sales.models import SalesOrder

    payload = orders_text(number="PO-T", on=retail["on"], delivery=retail["store"].gln,
                          lines=[(YOGURT_GTIN, 5, None)])
    payload = payload.replace(b"+ORD0001'UNH", b"+ORD0001++++++1'UNH")  # UNB 0035 test indicator
    row = receive(payload)
    message = row.messages.get()
    assert message.state == MessageState.PROCESSED
    from django.utils.translation import gettext

    assert message.events.order_by("pk").last().note == gettext(
        "Test interchange (UNB test indicator): checked, not applied.")
    assert not SalesOrder.objects.exists()
    assert row.contrl_id  # still acknowledged
