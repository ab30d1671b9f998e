"""ORDERS of one interchange handled in batches: good and bad messages side by side,
an original and its replacement in the same interchange, a credit limit reached
mid-batch, the fallback to one-by-one when a batch fails, the supplier's GLN
(NAD+SU), the partner's price tolerance on a replacement, and a query count that
does not grow with the number of messages."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.identifiers import gs1_with_check_digit

from .gateway import OUR_GLN, PARTNER_GLN, contrl_sent
from .test_orders_gateway import SUGAR_GTIN, YOGURT_GTIN, retail  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

UNKNOWN_GTIN = gs1_with_check_digit("301234599999")
OTHER_SUPPLIER_GLN = gs1_with_check_digit("309999900000")

Line = tuple  # (GTIN, quantity, PRI AAA or None[, line delivery date YYYYMMDD])


def orders_message(reference: str, *, number: str, on: str, delivery: str, lines: list[Line],
                   function: str = "9", supplier: str | None = OUR_GLN) -> str:
    """One ORDERS message (UNH … UNT) of reference ``reference``; ``supplier`` None
    leaves NAD+SU out."""
    segments = [f"UNH+{reference}+ORDERS:D:96A:UN:EAN008", f"BGM+220+{number}+{function}",
                "DTM+137:20261120:102", f"DTM+2:{on}:102", f"NAD+BY+{PARTNER_GLN}::9"]
    if supplier is not None:
        segments.append(f"NAD+SU+{supplier}::9")
    segments += [f"NAD+DP+{delivery}::9", "CUX+2:EUR:9"]
    for position, (gtin, quantity, price, *line_date) in enumerate(lines, start=1):
        segments += [f"LIN+{position}++{gtin}:EN", f"QTY+21:{quantity}"]
        if line_date:
            segments.append(f"DTM+2:{line_date[0]}:102")
        if price:
            segments.append(f"PRI+AAA:{price}")
    segments += ["UNS+S", f"CNT+2:{len(lines)}"]
    segments.append(f"UNT+{len(segments) + 1}+{reference}")
    return "'".join(segments) + "'"


def interchange_of(messages: list[str], *, reference: str = "BATCH1") -> bytes:
    """One interchange from the partner to us holding these messages."""
    return (f"UNA:+.? 'UNB+UNOC:3+{PARTNER_GLN}:14+{OUR_GLN}:14+261120:0600+{reference}'"
            + "".join(messages) + f"UNZ+{len(messages)}+{reference}'").encode("latin-1")


def _messages(interchange):  # noqa: ANN001, ANN202
    return list(interchange.messages.order_by("position"))


def _ordrsps():  # noqa: ANN202
    from edi.models import EdiMessage

    return list(EdiMessage.objects.filter(direction="out", message_type="ORDRSP").order_by("pk"))


def _ordrsp_of(row):  # noqa: ANN001, ANN202
    from edi.eancom import parse_interchanges
    from edi.eancom.messages.ordrsp import parse_ordrsp

    parsed = parse_interchanges(row.interchange.payload_bytes)
    return parse_ordrsp(parsed.interchanges[0].messages[row.position - 1])


def _answer_lines(row) -> list[tuple[str, str, Decimal, Decimal]]:  # noqa: ANN001
    """(line number, action, ordered, confirmed) of an ORDRSP we sent."""
    return [(line.line_number, line.action, line.ordered_quantity, line.confirmed_quantity)
            for line in _ordrsp_of(row).lines]


def _reserved(order) -> dict[str, Decimal]:  # noqa: ANN001
    """Active reservations of an order, by article code."""
    from django.db.models import Sum

    from logistics.models import Reservation

    rows = (Reservation.objects.filter(document_type="sales.order", document_id=str(order.pk), status="active")
            .values_list("article__code").annotate(total=Sum("quantity")).order_by("article__code"))
    return dict(rows)


def _open_lines(order) -> set[tuple[str, Decimal]]:  # noqa: ANN001
    return {(line.article.code, line.quantity) for line in order.lines.filter(state="open")}


@pytest.fixture
def batch(retail):  # noqa: ANN001, ANN201, F811
    """``retail`` with sugar's GTIN known and four more stores under the platform:
    MAG2, MAG3, MAG4 ordinary, MAGC ordering full cases only (yogurt's case holds
    12), MAGB blocked."""
    from tests import factories
    from trade.services import customer_node_save

    factories.PackagingFactory(article=retail["sugar"], level="consumer_unit", quantity=1, gtin=SUGAR_GTIN)
    factories.PackagingFactory(article=retail["yogurt"], level="case", quantity=12)
    platform = retail["platform"]
    stores = {"MAG": retail["store"]}
    for code in ("MAG2", "MAG3", "MAG4", "MAGC", "MAGB"):
        stores[code] = factories.CustomerNodeFactory(kind="store", parent=platform, code=code,
                                                     name=f"Magasin {code}")
    stores["MAGC"].full_cases_only = True
    customer_node_save(stores["MAGC"])
    stores["MAGB"].is_blocked = True
    customer_node_save(stores["MAGB"])
    return {**retail, "stores": stores}


@pytest.fixture
def our_company(db):  # noqa: ANN001, ANN201
    """Our company, whose GLN is the one the partner addresses us by (NAD+SU)."""
    from trade.models import Company

    return Company.objects.create(legal_name="Comptoir Test SAS", legal_form="SAS",
                                  share_capital=Decimal("150000.00"), rcs_city="Lyon", line1="12 rue des Halles",
                                  postal_code="69002", city="Lyon", gln=OUR_GLN)


# ------------------------------------------------------------------ one interchange, good and bad


def test_good_orders_are_confirmed_and_bad_ones_rejected_alone_with_one_ordrsp_interchange(
        batch, receive):  # noqa: ANN001
    from edi.eancom.messages import ContrlAction
    from edi.models import EdiMessage, InterchangeState, MessageState
    from trade.sales.models import SalesOrder

    stores, on = batch["stores"], batch["on"]
    messages = [
        orders_message("1", number="PO-1", on=on, delivery=stores["MAG"].gln,
                       lines=[(YOGURT_GTIN, 12, "0.5000"), (SUGAR_GTIN, 5, None)]),
        orders_message("2", number="PO-2", on=on, delivery=stores["MAG2"].gln, lines=[(YOGURT_GTIN, 6, None)]),
        orders_message("3", number="PO-3", on=on, delivery=stores["MAG3"].gln, lines=[(SUGAR_GTIN, 10, None)]),
        orders_message("4", number="PO-4", on=on, delivery=stores["MAG"].gln,
                       lines=[(YOGURT_GTIN, 3, None), (UNKNOWN_GTIN, 7, None)]),
        orders_message("5", number="PO-5", on=on, delivery=stores["MAGC"].gln, lines=[(YOGURT_GTIN, 5, None)]),
        orders_message("6", number="PO-6", on=on, delivery=stores["MAG4"].gln,
                       lines=[(YOGURT_GTIN, 10, None), (SUGAR_GTIN, 2, None)]),
        orders_message("7", number="PO-7", on=on, delivery=stores["MAGB"].gln, lines=[(SUGAR_GTIN, 1, None)]),
    ]
    interchange = receive(interchange_of(messages))
    rows = _messages(interchange)
    assert [row.state for row in rows] == [MessageState.PROCESSED] * 3 + [MessageState.ERROR] * 2 + [
        MessageState.PROCESSED, MessageState.ERROR]

    # The four good ones: one confirmed, reserved order each, linked both ways.
    good = {"PO-1": rows[0], "PO-2": rows[1], "PO-3": rows[2], "PO-6": rows[5]}
    orders = {order.customer_reference: order for order in SalesOrder.objects.select_related("ordering_node")}
    assert set(orders) == set(good)
    for number, row in good.items():
        order = orders[number]
        assert (row.document_type, row.document_id) == ("sales.SalesOrder", str(order.pk))
        assert order.source == f"edi-message:{row.pk}"
        assert order.state == "confirmed" and order.number
    assert {number: order.ordering_node.code for number, order in orders.items()} == {
        "PO-1": "MAG", "PO-2": "MAG2", "PO-3": "MAG3", "PO-6": "MAG4"}
    assert _open_lines(orders["PO-1"]) == {("YAOURT", 12), ("SUCRE", 5)}
    assert _reserved(orders["PO-1"]) == {"SUCRE": Decimal(5), "YAOURT": Decimal(12)}
    assert _reserved(orders["PO-2"]) == {"YAOURT": Decimal(6)}
    assert _reserved(orders["PO-3"]) == {"SUCRE": Decimal(10)}
    assert _reserved(orders["PO-6"]) == {"SUCRE": Decimal(2), "YAOURT": Decimal(10)}
    assert orders["PO-1"].total_amount == Decimal("12.00")  # 12 × 0.50 + 5 × 1.20

    # The bad ones: in error, no document, a reason per line a person can read.
    unknown, full_cases, blocked = rows[3], rows[4], rows[6]
    for row in (unknown, full_cases, blocked):
        assert (row.document_type, row.document_id) == ("", "")
    reason = _("Unknown GTIN %(gtin)s%(article)s: map it to an article.") % {"gtin": UNKNOWN_GTIN, "article": ""}
    assert [(e["code"], e["line"], e["segment"], e["reason"]) for e in unknown.errors] == [
        ("unknown_gtin", "2", "LIN", reason)]
    line_text = _("%(line)s: this customer orders full cases only: %(quantity)s is not a multiple of %(case)s.") % {
        "line": _("Line %(position)s (%(article)s)") % {"position": 1, "article": "YAOURT"},
        "quantity": "5", "case": "12"}
    assert [(e["code"], e["reason"]) for e in full_cases.errors] == [("order_refused", f"MAGC: {line_text}")]
    blocked_text = _("Customer %(node)s is blocked (or under a blocked node) or inactive: it cannot order.") % {
        "node": stores["MAGB"]}
    assert [(e["code"], e["reason"]) for e in blocked.errors] == [
        ("order_refused", f"MAGB: {blocked_text}")]

    interchange.refresh_from_db()
    assert interchange.state == InterchangeState.ERROR
    assert interchange.error == _("%(count)s of %(total)s messages in error") % {"count": 3, "total": 7}

    # One CONTRL: the interchange and its seven messages are syntactically fine.
    assert EdiMessage.objects.filter(direction="out", message_type="CONTRL").count() == 1
    report = contrl_sent(interchange)
    assert report.action == ContrlAction.ACKNOWLEDGED
    assert [(m.reference, m.action) for m in report.messages] == [
        (str(n), ContrlAction.ACKNOWLEDGED) for n in range(1, 8)]

    # The four answers leave together, each answering its ORDERS message.
    answers = _ordrsps()
    assert len(answers) == 4
    assert len({answer.interchange_id for answer in answers}) == 1
    assert answers[0].interchange.messages.count() == 4
    assert {(a.document_type, a.document_id) for a in answers} == {
        ("edi.EdiMessage", str(row.pk)) for row in good.values()}
    by_message = {answer.document_id: _ordrsp_of(answer) for answer in answers}
    assert {number: by_message[str(row.pk)].order_number for number, row in good.items()} == {
        number: number for number in good}


# ------------------------------------------------------------------ replacement and duplicate in one interchange


def test_replacement_in_the_same_interchange_changes_the_order_and_a_repeated_number_is_a_duplicate(
        batch, receive):  # noqa: ANN001
    from edi.eancom.messages.ordrsp import LineAction
    from edi.models import MessageState
    from trade.sales.models import SalesOrder

    stores, on = batch["stores"], batch["on"]
    messages = [
        orders_message("1", number="PO-A", on=on, delivery=stores["MAG"].gln, lines=[(YOGURT_GTIN, 10, None)]),
        orders_message("2", number="PO-A", function="5", on=on, delivery=stores["MAG"].gln,
                       lines=[(YOGURT_GTIN, 20, None), (SUGAR_GTIN, 5, None)]),
        orders_message("3", number="PO-B", on=on, delivery=stores["MAG2"].gln, lines=[(SUGAR_GTIN, 4, None)]),
        orders_message("4", number="PO-B", on=on, delivery=stores["MAG2"].gln, lines=[(SUGAR_GTIN, 4, None)]),
    ]
    rows = _messages(receive(interchange_of(messages)))
    assert [row.state for row in rows] == [MessageState.PROCESSED] * 3 + [MessageState.ERROR]

    order_a = SalesOrder.objects.get(customer_reference="PO-A")
    order_b = SalesOrder.objects.get(customer_reference="PO-B")
    assert SalesOrder.objects.count() == 2
    # The replacement changed the order the original created: 20 yogurts, sugar added.
    assert order_a.state == "confirmed"
    assert _open_lines(order_a) == {("YAOURT", 20), ("SUCRE", 5)}
    assert _reserved(order_a) == {"SUCRE": Decimal(5), "YAOURT": Decimal(20)}
    assert order_a.total_amount == Decimal("16.00")  # 20 × 0.50 + 5 × 1.20
    assert [(row.document_type, row.document_id) for row in rows[:3]] == [
        ("sales.SalesOrder", str(order_a.pk)), ("sales.SalesOrder", str(order_a.pk)),
        ("sales.SalesOrder", str(order_b.pk))]
    assert order_a.source == f"edi-message:{rows[0].pk}"

    # PO-B sent twice as an original: the second is refused, not doubled.
    duplicate = rows[3]
    assert [(e["code"], e["segment"], e["reason"]) for e in duplicate.errors] == [(
        "duplicate_order", "BGM",
        _("Order %(number)s was already received (our %(orders)s): send a replacement (BGM function 5) "
          "to change it.") % {"number": "PO-B", "orders": order_b.display_number})]
    assert _open_lines(order_b) == {("SUCRE", 4)}
    assert _reserved(order_b) == {"SUCRE": Decimal(4)}

    # Each of the three processed messages is answered once; the replacement's answer
    # tells what the order now holds.
    answered = {answer.document_id: answer for answer in _ordrsps()}
    assert set(answered) == {str(rows[0].pk), str(rows[1].pk), str(rows[2].pk)}
    assert _answer_lines(answered[str(rows[1].pk)]) == [
        ("1", LineAction.ACCEPTED, Decimal(20), Decimal(20)), ("2", LineAction.ACCEPTED, Decimal(5), Decimal(5))]
    assert _ordrsp_of(answered[str(rows[1].pk)]).order_number == "PO-A"
    assert _answer_lines(answered[str(rows[2].pk)]) == [("1", LineAction.ACCEPTED, Decimal(4), Decimal(4))]


# ------------------------------------------------------------------ credit limit mid-batch


def test_an_order_over_the_credit_limit_stays_a_draft_and_is_answered_once_a_person_confirms_it(
        batch, receive, committed):  # noqa: ANN001
    from edi.models import EventKind, MessageState
    from trade.sales.models import SalesOrder
    from trade.sales.services import order_confirm
    from trade.services import customer_node_save

    group = batch["group"]
    group.invoicing_node = group  # every store of the group is invoiced to it
    group.credit_limit = Decimal("25.00")
    customer_node_save(group)
    stores, on = batch["stores"], batch["on"]
    messages = [orders_message(str(n), number=f"PO-C{n}", on=on, delivery=stores[code].gln,
                               lines=[(YOGURT_GTIN, 20, None)])  # 10.00 each
                for n, code in enumerate(("MAG", "MAG2", "MAG3"), start=1)]
    rows = _messages(receive(interchange_of(messages)))
    assert [row.state for row in rows] == [MessageState.PROCESSED] * 3

    orders = [SalesOrder.objects.get(customer_reference=f"PO-C{n}") for n in (1, 2, 3)]
    assert [order.invoicing_node_id for order in orders] == [group.pk] * 3
    assert [order.state for order in orders] == ["confirmed", "confirmed", "draft"]
    assert [order.total_amount for order in orders] == [Decimal("10.00")] * 3
    third, third_row = orders[2], rows[2]
    assert (third_row.document_type, third_row.document_id) == ("sales.SalesOrder", str(third.pk))
    assert _reserved(third) == {}
    reason = _(
        "Credit limit exceeded for %(node)s: %(exposure)s already on order + %(total)s for this order "
        "> limit %(limit)s.") % {"node": group, "exposure": "20.00", "total": "10.00", "limit": "25.00"}
    notes = list(third_row.events.filter(kind=EventKind.PROCESSED).order_by("pk").values_list("note", flat=True))
    assert _("Order %(order)s left as a draft: %(reason)s") % {"order": third.display_number,
                                                              "reason": reason} in notes
    for row in rows[:2]:
        draft_note = _("Order %(order)s left as a draft: %(reason)s").split("%(order)s")[0]
        assert not any(note.startswith(draft_note) for note in row.events.values_list("note", flat=True))

    # Messages 1 and 2 are answered (together); message 3 waits for its order.
    answers = _ordrsps()
    assert {answer.document_id for answer in answers} == {str(rows[0].pk), str(rows[1].pk)}
    assert len({answer.interchange_id for answer in answers}) == 1

    # A person raises the limit and confirms: now message 3 is answered, once.
    group.credit_limit = Decimal("100.00")
    customer_node_save(group)
    committed(order_confirm, third)
    third.refresh_from_db()
    assert third.state == "confirmed"
    assert _reserved(third) == {"YAOURT": Decimal(20)}
    answers = _ordrsps()
    assert [answer.document_id for answer in answers[2:]] == [str(third_row.pk)]
    assert answers[2].interchange_id != answers[0].interchange_id

    from edi.services.answers import ordrsps_send

    committed(ordrsps_send, [order.pk for order in orders])
    assert len(_ordrsps()) == 3  # answered once, whoever asks again


# ------------------------------------------------------------------ fallback to one by one


@pytest.mark.parametrize(("module", "failing", "calls_expected"), [
    # Before anything is written: the batch's orders_create, then one per message.
    ("edi.services.orders", "orders_create", 4),
    # Orders created, not confirmed yet.
    ("edi.services.orders", "orders_confirm", 4),
    # At the very end: orders created, confirmed, reserved and their ORDRSPs scheduled.
    ("edi.services.inbound", "events_record_each", 1),
])
def test_a_batch_that_fails_unexpectedly_is_rolled_back_and_each_message_dispatched_alone(
        batch, receive, monkeypatch, caplog, module, failing, calls_expected):  # noqa: ANN001
    import importlib

    from django.db.models import Sum

    from edi.models import EventKind, MessageState
    from logistics.models import Reservation
    from trade.sales.models import SalesOrder

    target = importlib.import_module(module)
    real = getattr(target, failing)
    calls: list[int] = []

    def failing_once(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("bug of the batch")
        return real(*args, **kwargs)

    monkeypatch.setattr(target, failing, failing_once)
    stores, on = batch["stores"], batch["on"]
    messages = [orders_message(str(n), number=f"PO-F{n}", on=on, delivery=stores[code].gln,
                               lines=[(YOGURT_GTIN, 4, None), (SUGAR_GTIN, n, None)])
                for n, code in enumerate(("MAG", "MAG2", "MAG3"), start=1)]
    with caplog.at_level(logging.ERROR, logger="edi.services.inbound"):
        interchange = receive(interchange_of(messages))
    assert len(calls) == calls_expected
    assert "EDI batch of 3 messages failed; dispatching them one by one" in caplog.text

    rows = _messages(interchange)
    assert [row.state for row in rows] == [MessageState.PROCESSED] * 3
    assert interchange.state == "processed"
    # Exactly one order per message, nothing left of the batch's.
    orders = list(SalesOrder.objects.order_by("pk"))
    assert [order.customer_reference for order in orders] == ["PO-F1", "PO-F2", "PO-F3"]
    assert [order.state for order in orders] == ["confirmed"] * 3
    assert [(row.document_type, row.document_id) for row in rows] == [
        ("sales.SalesOrder", str(order.pk)) for order in orders]
    assert [order.source for order in orders] == [f"edi-message:{row.pk}" for row in rows]
    assert [_reserved(order) for order in orders] == [
        {"SUCRE": Decimal(n), "YAOURT": Decimal(4)} for n in (1, 2, 3)]
    assert Reservation.objects.filter(status="active").aggregate(total=Sum("quantity"))["total"] == Decimal(18)
    # One "processed" event per message (the batch's were rolled back with it), no error.
    for row in rows:
        assert list(row.events.filter(kind__in=(EventKind.PROCESSED, EventKind.ERROR))
                    .values_list("kind", flat=True)) == [EventKind.PROCESSED]
    # One answer per message: the rolled-back batch's scheduled answers never left.
    assert sorted(answer.document_id for answer in _ordrsps()) == sorted(str(row.pk) for row in rows)


def test_an_original_repeated_after_a_message_handled_alone_is_still_a_duplicate(batch, receive):  # noqa: ANN001
    from edi.models import MessageState
    from trade.sales.models import SalesOrder

    stores, on = batch["stores"], batch["on"]
    messages = [
        orders_message("1", number="PO-X", on=on, delivery=stores["MAG"].gln, lines=[(YOGURT_GTIN, 2, None)]),
        # Any message handled alone in between (here a cancellation of an order we do not have).
        orders_message("2", number="PO-Y", function="1", on=on, delivery=stores["MAG2"].gln,
                       lines=[(YOGURT_GTIN, 2, None)]),
        orders_message("3", number="PO-X", on=on, delivery=stores["MAG"].gln, lines=[(YOGURT_GTIN, 2, None)]),
    ]
    rows = _messages(receive(interchange_of(messages)))
    assert [row.state for row in rows[:2]] == [MessageState.PROCESSED, MessageState.ERROR]
    assert rows[1].errors[0]["code"] == "unknown_order"
    assert SalesOrder.objects.filter(customer_reference="PO-X").count() == 1
    assert rows[2].state == MessageState.ERROR
    assert [error["code"] for error in rows[2].errors] == ["duplicate_order"]


# ------------------------------------------------------------------ NAD+SU


def test_an_order_addressed_to_another_supplier_is_rejected(batch, our_company, receive):  # noqa: ANN001
    from edi.models import MessageState
    from trade.sales.models import SalesOrder

    stores, on = batch["stores"], batch["on"]
    messages = [
        orders_message("1", number="PO-S1", on=on, delivery=stores["MAG"].gln, lines=[(YOGURT_GTIN, 2, None)],
                       supplier=OTHER_SUPPLIER_GLN),
        orders_message("2", number="PO-S2", on=on, delivery=stores["MAG2"].gln, lines=[(YOGURT_GTIN, 2, None)],
                       supplier=OUR_GLN),
        orders_message("3", number="PO-S3", on=on, delivery=stores["MAG3"].gln, lines=[(YOGURT_GTIN, 2, None)],
                       supplier=None),
    ]
    rows = _messages(receive(interchange_of(messages)))
    assert [row.state for row in rows] == [MessageState.ERROR, MessageState.PROCESSED, MessageState.PROCESSED]
    assert [(e["code"], e["segment"], e["reason"]) for e in rows[0].errors] == [(
        "other_supplier", "NAD",
        _("The order is addressed to supplier %(gln)s, not to us (%(ours)s).")
        % {"gln": OTHER_SUPPLIER_GLN, "ours": OUR_GLN})]
    assert sorted(SalesOrder.objects.values_list("customer_reference", flat=True)) == ["PO-S2", "PO-S3"]


# ------------------------------------------------------------------ replacement and the price tolerance


def test_a_line_added_by_a_replacement_is_flagged_only_beyond_the_price_tolerance(batch, receive):  # noqa: ANN001
    from edi.eancom.messages.ordrsp import LineAction
    from edi.models import MessageState
    from trade.sales.models import SalesOrder

    assert batch["partner"].price_tolerance_percent == Decimal("1.00")
    stores, on = batch["stores"], batch["on"]
    messages = [
        orders_message("1", number="PO-P1", on=on, delivery=stores["MAG"].gln, lines=[(YOGURT_GTIN, 10, None)]),
        orders_message("2", number="PO-P2", on=on, delivery=stores["MAG2"].gln, lines=[(YOGURT_GTIN, 10, None)]),
        # Sugar is ours at 1.2000: 1.2500 is 4.2 % off, 1.2100 is 0.8 % off.
        orders_message("3", number="PO-P1", function="5", on=on, delivery=stores["MAG"].gln,
                       lines=[(YOGURT_GTIN, 10, None), (SUGAR_GTIN, 5, "1.2500")]),
        orders_message("4", number="PO-P2", function="5", on=on, delivery=stores["MAG2"].gln,
                       lines=[(YOGURT_GTIN, 10, None), (SUGAR_GTIN, 5, "1.2100")]),
    ]
    rows = _messages(receive(interchange_of(messages)))
    assert [row.state for row in rows] == [MessageState.PROCESSED] * 4

    def sugar_line(number: str):  # noqa: ANN202
        return SalesOrder.objects.get(customer_reference=number).lines.get(article__code="SUCRE", state="open")

    beyond, within = sugar_line("PO-P1"), sugar_line("PO-P2")
    assert (beyond.net_unit_price, beyond.caller_unit_price, beyond.caller_price_flagged) == (
        Decimal("1.2000"), Decimal("1.2500"), True)
    assert (within.net_unit_price, within.caller_unit_price, within.caller_price_flagged) == (
        Decimal("1.2000"), Decimal("1.2100"), False)
    assert beyond.customer_line_reference == within.customer_line_reference == "2"
    # The replacements' answers say so: "changed" for the flagged line only.
    answered = {answer.document_id: answer for answer in _ordrsps()}
    assert _answer_lines(answered[str(rows[2].pk)]) == [
        ("1", LineAction.ACCEPTED, Decimal(10), Decimal(10)), ("2", LineAction.CHANGED, Decimal(5), Decimal(5))]
    assert _answer_lines(answered[str(rows[3].pk)]) == [
        ("1", LineAction.ACCEPTED, Decimal(10), Decimal(10)), ("2", LineAction.ACCEPTED, Decimal(5), Decimal(5))]


def test_a_replacement_applies_a_new_price_and_line_date_on_a_kept_line(batch, receive):  # noqa: ANN001
    from edi.models import MessageState
    from trade.sales.models import SalesOrder

    stores, on = batch["stores"], batch["on"]
    later = timezone.localdate() + timedelta(days=5)
    messages = [
        orders_message("1", number="PO-K", on=on, delivery=stores["MAG"].gln,
                       lines=[(YOGURT_GTIN, 10, "0.5000"), (SUGAR_GTIN, 3, "1.2000")]),
        # Same quantities; yogurt now sent at 0.6000 (20 % off ours) for a later day.
        orders_message("2", number="PO-K", function="5", on=on, delivery=stores["MAG"].gln,
                       lines=[(YOGURT_GTIN, 10, "0.6000", later.strftime("%Y%m%d")), (SUGAR_GTIN, 3, "1.2000")]),
    ]
    rows = _messages(receive(interchange_of(messages)))
    assert [row.state for row in rows] == [MessageState.PROCESSED] * 2
    order = SalesOrder.objects.get()
    yogurt, sugar = order.lines.filter(state="open").order_by("position")
    assert (yogurt.quantity, yogurt.caller_unit_price, yogurt.caller_price_flagged, yogurt.requested_date) == (
        Decimal(10), Decimal("0.6000"), True, later)
    assert yogurt.net_unit_price == Decimal("0.5000")  # never taken as our price
    assert (sugar.quantity, sugar.caller_unit_price, sugar.caller_price_flagged, sugar.requested_date) == (
        Decimal(3), Decimal("1.2000"), False, None)
    assert order.lines.count() == 2  # changed in place, not cancelled and re-added
    assert _reserved(order) == {"SUCRE": Decimal(3), "YAOURT": Decimal(10)}


# ------------------------------------------------------------------ queries


def test_processing_queries_do_not_grow_with_the_number_of_messages(
        batch, monkeypatch, django_capture_on_commit_callbacks):  # noqa: ANN001
    from edi.models import Interchange, MessageState
    from edi.services import inbound, interchange_receive
    from tests import factories
    from trade.sales.models import SalesOrder

    platform, on = batch["platform"], batch["on"]
    stores = [factories.CustomerNodeFactory(kind="store", parent=platform, code=f"Q{n:02d}", name=f"Magasin Q{n}")
              for n in range(41)]
    monkeypatch.setattr(inbound, "processing_schedule", lambda interchange_id: None)

    def process(count: int, first: int, reference: str) -> int:
        messages = [orders_message(str(n), number=f"PO-Q{first + n}", on=on, delivery=stores[first + n].gln,
                                   lines=[(YOGURT_GTIN, 1, "0.5000"), (SUGAR_GTIN, 1, None)])
                    for n in range(count)]
        with django_capture_on_commit_callbacks(execute=True):
            row = interchange_receive(interchange_of(messages, reference=reference), transport="directory")
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            inbound.interchange_process(row.pk)
        row = Interchange.objects.get(pk=row.pk)
        assert row.state == "processed"
        assert set(row.messages.values_list("state", flat=True)) == {MessageState.PROCESSED}
        assert len(_ordrsps()) == first + count  # every message answered
        return len(queries)

    process(1, 0, "WARM")  # caches filled: the two runs compared start alike
    ten = process(10, 1, "TEN")
    thirty = process(30, 11, "THIRTY")
    assert SalesOrder.objects.filter(state="confirmed").count() == 41
    assert thirty < ten * Decimal("1.5"), (ten, thirty)
