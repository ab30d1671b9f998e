"""The inbound pipeline: raw first, duplicates, partners, envelope checks, dispatch to
handlers, the error queue and replay, and the CONTRL we answer."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.utils.translation import gettext as _

from comptoir.exceptions import DomainError, InvalidTransition
from edi.eancom import EdifactError, ErrorLevel, MappingError, SyntaxErrorCode
from edi.eancom.messages import ContrlAction
from edi.models import (
    EdiEvent,
    EdiMessage,
    EventKind,
    Interchange,
    InterchangeState,
    MessageState,
    MessageType,
)
from edi.services import MessageRejected, Problem, interchange_process, message_replay
from edi.services import handlers as handler_registry
from trade.models import Packaging

from . import fixture_bytes
from .gateway import OUR_GLN, PARTNER_GLN, contrl_sent, interchange_text

pytestmark = pytest.mark.django_db


def register(monkeypatch, message_type: str, handler) -> None:  # noqa: ANN001
    monkeypatch.setitem(handler_registry.HANDLERS, message_type, handler)


# --------------------------------------------------------------------------- raw first


def test_the_raw_payload_is_stored_even_when_the_parser_raises(partner, receive, monkeypatch):
    def broken(data: bytes):  # noqa: ANN202
        raise RuntimeError("codec bug")

    monkeypatch.setattr("edi.services.inbound.parse_interchanges", broken)
    payload = fixture_bytes("orders_original.edi")

    row = receive(payload, partner=partner)

    assert row.payload_bytes == payload
    assert row.checksum == hashlib.sha256(payload).hexdigest()
    assert row.size == len(payload)
    assert row.state == InterchangeState.ERROR
    assert "codec bug" in row.error
    assert not row.messages.exists()
    assert list(row.events.values_list("kind", flat=True)) == ["received", "error"]
    # The partner is told: a rejection with "unspecified error" (18).
    report = contrl_sent(row)
    assert report.action is ContrlAction.REJECTED
    assert report.error_code == 18


@pytest.mark.usefixtures("without_orders_handler")
def test_an_orders_without_handler_waits_in_the_error_queue_and_is_acknowledged(partner, receive):
    payload = fixture_bytes("orders_original.edi")

    row = receive(payload, transport="directory", metadata={"filename": "po.edi"})

    assert row.state == InterchangeState.ERROR
    assert (row.sender_id, row.sender_qualifier, row.control_reference) == (
        PARTNER_GLN,
        "14",
        "ORD0001",
    )
    assert row.partner == partner
    assert row.metadata == {"filename": "po.edi"}
    (message,) = row.messages.all()
    assert (message.message_type, message.reference, message.state) == ("ORDERS", "1", "error")
    assert message.errors == [
        {
            "reason": _("no handler for %(type)s") % {"type": "ORDERS"},
            "line": "",
            "segment": "",
            "position": None,
            "element": "",
            "code": "no_handler",
            "level": "",
        }
    ]
    assert message.segments_text.splitlines()[0] == "UNH+1+ORDERS:D:96A:UN:EAN008'"
    assert message.segments_text.splitlines()[-1] == "UNT+37+1'"
    # A business fault is not a syntax fault: the CONTRL acknowledges the message.
    report = contrl_sent(row)
    assert report.action is ContrlAction.ACKNOWLEDGED
    assert report.interchange_reference == "ORD0001"
    assert [(m.reference, m.action) for m in report.messages] == [("1", ContrlAction.ACKNOWLEDGED)]
    contrl = row.contrl
    assert (contrl.direction, contrl.partner, contrl.state) == ("out", partner, "queued")
    assert contrl.recipient_id == PARTNER_GLN and contrl.sender_id == OUR_GLN


def test_envelope_errors_reject_the_interchange_with_positions_and_codes(partner, receive):
    row = receive(fixture_bytes("malformed_wrong_unt_count.edi"))

    (message,) = row.messages.all()
    assert row.state == InterchangeState.ERROR  # the interchange is fine, its message is not
    assert message.state == MessageState.ERROR
    assert message.errors[0]["code"] == "29"
    assert message.errors[0]["segment"] == "UNT"
    report = contrl_sent(row)
    assert report.action is ContrlAction.ACKNOWLEDGED
    (ucm,) = report.messages
    assert (ucm.action, ucm.error_code, ucm.segment_tag) == (ContrlAction.REJECTED, 29, "UNT")


def test_a_wrong_unz_reference_rejects_the_whole_interchange(partner, receive):
    row = receive(fixture_bytes("malformed_wrong_unz_reference.edi"))

    assert row.state == InterchangeState.REJECTED
    assert "[28]" in row.error
    assert set(row.messages.values_list("state", flat=True)) == {MessageState.ERROR}
    report = contrl_sent(row)
    assert (report.action, report.error_code, report.segment_tag) == (
        ContrlAction.REJECTED,
        28,
        "UNZ",
    )


def test_invalid_values_are_reported_at_their_segment_and_element(partner, receive, monkeypatch):
    def parse(message_row, message, partner):  # noqa: ANN001, ANN202
        from edi.eancom.messages import parse_orders

        parse_orders(message)

    register(monkeypatch, MessageType.ORDERS, parse)

    row = receive(fixture_bytes("malformed_invalid_values.edi"))

    (message,) = row.messages.all()
    assert message.state == MessageState.ERROR
    assert all(problem["level"] == "segment" for problem in message.errors)
    report = contrl_sent(row)
    (ucm,) = report.messages
    assert ucm.action is ContrlAction.REJECTED
    reported = {
        (s.position, e.error_code, e.element_position) for s in ucm.segments for e in s.elements
    }
    stored = {
        (p["position"], int(p["code"]), int(p["element"].split(".")[0]))
        for p in message.errors
        if p["element"]
    }
    assert reported == stored and reported


# --------------------------------------------------------------------------- partners


def test_an_unknown_sender_waits_in_the_error_queue_until_its_partner_exists(
    receive, make_partner, monkeypatch
):
    register(monkeypatch, MessageType.ORDERS, lambda row, message, partner: ("test.Order", "7"))

    row = receive(interchange_text(sender="5412345000013"))

    assert row.state == InterchangeState.ERROR and row.partner is None
    (message,) = row.messages.all()
    assert message.state == MessageState.ERROR
    assert message.errors[0]["code"] == "unknown_partner"
    assert "5412345000013:14" in message.errors[0]["reason"]
    assert row.contrl is None  # nobody to answer
    with pytest.raises(DomainError) as refused:
        message_replay(message_id=message.pk)
    assert refused.value.code == "unknown_partner"
    message.refresh_from_db()
    assert (message.state, message.replay_count) == (MessageState.ERROR, 0)

    partner = make_partner("PORT", gln="5412345000013")
    replayed = message_replay(message_id=message.pk)

    assert (replayed.state, replayed.document_type, replayed.document_id) == (
        MessageState.PROCESSED,
        "test.Order",
        "7",
    )
    assert replayed.partner == partner and replayed.replay_count == 1
    row.refresh_from_db()
    assert (row.partner, row.state) == (partner, InterchangeState.PROCESSED)


def test_the_transport_partner_must_be_the_unb_sender(partner, make_partner, receive):
    other = make_partner("AUTRE", gln="5412345000013")

    row = receive(interchange_text(sender=PARTNER_GLN), transport="http", partner=other)

    assert row.state == InterchangeState.REJECTED
    assert row.partner == other
    report = contrl_sent(row)
    assert (report.action, report.error_code, report.element_position) == (
        ContrlAction.REJECTED,
        12,
        2,
    )
    assert row.contrl.partner == other


def test_an_interchange_for_another_recipient_is_rejected_with_code_7(partner, receive):
    row = receive(interchange_text(recipient="3020000000012"))

    assert row.state == InterchangeState.REJECTED
    assert contrl_sent(row).error_code == 7


def test_a_message_type_not_agreed_is_rejected_with_code_17(make_partner, receive):
    make_partner(inbound=(MessageType.CONTRL,))

    row = receive(interchange_text())

    (message,) = row.messages.all()
    assert message.errors[0]["code"] == "17"
    (ucm,) = contrl_sent(row).messages
    assert (ucm.action, ucm.error_code) == (ContrlAction.REJECTED, 17)


def test_no_contrl_when_the_partner_wants_none(make_partner, receive):
    make_partner(send_contrl=False)

    row = receive(interchange_text())

    assert row.contrl is None
    assert not Interchange.objects.filter(direction="out").exists()


def test_the_unb_acknowledgement_request_brings_a_contrl_even_without_the_rule(
    make_partner, receive
):
    make_partner(send_contrl=False)
    payload = interchange_text().replace(b"+ORD0001'UNH", b"+ORD0001++++1'UNH")

    row = receive(payload)

    assert contrl_sent(row).action is ContrlAction.ACKNOWLEDGED


# --------------------------------------------------------------------------- files


def test_a_file_of_two_interchanges_is_split_and_each_is_processed(partner, receive):
    payload = fixture_bytes("two_interchanges.edi")

    row = receive(payload)

    assert row.state == InterchangeState.SPLIT
    first, second = row.parts.order_by("pk")
    assert first.payload_bytes.startswith(b"UNA") and first.payload_bytes.endswith(
        b"UNZ+1+ORD0006'"
    )
    assert second.payload_bytes.startswith(b"UNB") and second.payload_bytes.endswith(
        b"UNZ+1+ORD0008'"
    )
    assert first.payload_bytes in payload and second.payload_bytes in payload
    assert (first.control_reference, first.partner, first.state) == (
        "ORD0006",
        partner,
        InterchangeState.ERROR,  # no ORDERS handler yet
    )
    assert (second.control_reference, second.partner, second.state) == (
        "ORD0008",
        None,
        InterchangeState.ERROR,  # unknown sender
    )
    assert first.metadata["part"] == 1 and second.metadata["parts"] == 2
    assert first.contrl is not None and second.contrl is None


@pytest.mark.usefixtures("without_orders_handler")
def test_a_bom_and_white_space_around_the_interchange_are_tolerated(make_partner, receive):
    make_partner("PORT", gln="5412345000013")
    payload = b"\xef\xbb\xbf\r\n" + fixture_bytes("orders_no_una_release.edi") + b"\r\n\x1a"

    row = receive(payload)

    assert row.payload_bytes == payload
    assert row.messages.get().errors[0]["code"] == "no_handler"


def test_processing_twice_does_nothing_more(partner, receive):
    row = receive(interchange_text())
    events = EdiEvent.objects.count()

    again = interchange_process(row.pk)

    assert again.state == row.state
    assert EdiEvent.objects.count() == events
    assert EdiMessage.objects.filter(direction="in").count() == 1


# --------------------------------------------------------------------------- duplicates


def test_the_same_bytes_twice_are_a_duplicate_processed_once_and_the_sender_is_told(
    partner, receive, monkeypatch
):
    calls = []
    register(monkeypatch, MessageType.ORDERS, lambda row, message, p: calls.append(row.pk))
    payload = interchange_text()

    first = receive(payload)
    second = receive(payload)

    assert len(calls) == 1
    assert (first.state, second.state) == (InterchangeState.PROCESSED, InterchangeState.DUPLICATE)
    assert second.duplicate_of == first
    assert not second.messages.exists()
    assert second.payload_bytes == payload
    report = contrl_sent(second)
    assert (report.action, report.error_code, report.segment_tag, report.element_position) == (
        ContrlAction.REJECTED,
        26,
        "UNB",
        5,
    )
    assert report.interchange_reference == "ORD0001"


def test_the_same_sender_and_control_reference_is_a_duplicate(partner, receive, monkeypatch):
    calls = []
    register(monkeypatch, MessageType.ORDERS, lambda row, message, p: calls.append(row.pk))

    first = receive(interchange_text(prepared="240315:1030"))
    second = receive(interchange_text(prepared="240316:0900"))  # other bytes, same reference

    assert first.checksum != second.checksum
    assert (second.state, second.duplicate_of) == (InterchangeState.DUPLICATE, first)
    assert len(calls) == 1
    assert contrl_sent(second).error_code == 26


def test_a_rejected_interchange_corrected_under_the_same_reference_is_not_a_duplicate(
    partner, receive
):
    broken = interchange_text(body="UNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+PO-1+9'UNT+3+1'", count=2)
    fixed = interchange_text()

    first = receive(broken)
    second = receive(fixed)

    assert first.state == InterchangeState.REJECTED
    assert second.state != InterchangeState.DUPLICATE


# --------------------------------------------------------------------------- handlers


def test_a_handler_that_crashes_puts_only_its_message_in_error(partner, receive, monkeypatch):
    def handler(row, message, p):  # noqa: ANN001, ANN202
        if message.reference == "2":
            raise ZeroDivisionError("division by zero")
        return ("test.Order", message.reference)

    register(monkeypatch, MessageType.ORDERS, handler)
    body = (
        "UNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+PO-1+9'UNT+3+1'"
        "UNH+2+ORDERS:D:96A:UN:EAN008'BGM+220+PO-2+9'UNT+3+2'"
    )

    row = receive(interchange_text(body=body, count=2))

    first, second = row.messages.order_by("position")
    assert (first.state, first.document_id) == (MessageState.PROCESSED, "1")
    assert second.state == MessageState.ERROR
    assert second.errors[0]["code"] == "internal_error"
    assert "ZeroDivisionError" in second.errors[0]["reason"]
    assert row.state == InterchangeState.ERROR
    assert row.error == _("%(count)s of %(total)s messages in error") % {"count": 1, "total": 2}


def test_a_handler_rejection_lists_its_reasons_per_line_and_undoes_its_writes(
    partner, receive, monkeypatch
):
    from tests import factories

    def handler(row, message, p):  # noqa: ANN001, ANN202
        factories.FamilyFactory(code="WRITTEN")  # undone with the rejection
        raise MessageRejected(
            [
                Problem(
                    reason="unknown GTIN 3012345100014",
                    line="1",
                    segment="LIN",
                    position=14,
                    code="unknown_gtin",
                ),
                "blocked article",
            ]
        )

    register(monkeypatch, MessageType.ORDERS, handler)

    row = receive(fixture_bytes("orders_original.edi"))

    message = row.messages.get()
    assert [
        (p["line"], p["segment"], p["position"], p["code"], p["reason"]) for p in message.errors
    ] == [
        ("1", "LIN", 14, "unknown_gtin", "unknown GTIN 3012345100014"),
        ("", "", None, "", "blocked article"),
    ]
    from trade.models import ArticleFamily

    assert not ArticleFamily.objects.filter(code="WRITTEN").exists()
    assert contrl_sent(row).messages[0].action is ContrlAction.ACKNOWLEDGED


def test_a_mapping_error_goes_to_the_queue_and_into_the_contrl(partner, receive, monkeypatch):
    def handler(row, message, p):  # noqa: ANN001, ANN202
        raise MappingError(
            [
                EdifactError(
                    code=SyntaxErrorCode.INVALID_VALUE,
                    reason="QTY is not a number",
                    level=ErrorLevel.SEGMENT,
                    segment_tag="QTY",
                    segment_position=3,
                    element_position=1,
                    component_position=2,
                )
            ]
        )

    register(monkeypatch, MessageType.ORDERS, handler)

    row = receive(interchange_text())

    assert row.messages.get().errors[0]["element"] == "1.2"
    (ucm,) = contrl_sent(row).messages
    assert ucm.action is ContrlAction.REJECTED
    assert [
        (s.position, [(e.error_code, e.element_position, e.component_position) for e in s.elements])
        for s in ucm.segments
    ] == [(3, [(12, 1, 2)])]


# --------------------------------------------------------------------------- replay


def test_replay_after_fixing_a_cross_reference_succeeds(partner, receive, monkeypatch):
    from tests import factories

    def handler(row, message, p):  # noqa: ANN001, ANN202
        gtin = next(segment.value(3, 1) for segment in message.segments if segment.tag == "LIN")
        packaging = Packaging.objects.filter(gtin=gtin).first()
        if packaging is None:
            raise MessageRejected(
                [Problem(reason=f"unknown GTIN {gtin}", line="1", code="unknown_gtin")]
            )
        return ("trade.Packaging", str(packaging.pk))

    register(monkeypatch, MessageType.ORDERS, handler)
    row = receive(fixture_bytes("orders_original.edi"))
    message = row.messages.get()
    assert message.state == MessageState.ERROR
    contrl_count = Interchange.objects.filter(direction="out").count()

    article = factories.ArticleFactory()
    packaging = Packaging.objects.create(
        article=article, level="case", quantity=6, gtin="3012345100014"
    )
    replayed = message_replay(message_id=message.pk)

    assert (replayed.state, replayed.document_id, replayed.errors) == (
        MessageState.PROCESSED,
        str(packaging.pk),
        [],
    )
    assert replayed.replay_count == 1
    assert [e.kind for e in replayed.events.order_by("pk")][-2:] == [
        EventKind.REPLAYED,
        EventKind.PROCESSED,
    ]
    row.refresh_from_db()
    assert row.state == InterchangeState.PROCESSED
    assert row.payload_bytes == fixture_bytes("orders_original.edi")
    # A replay is ours, not a new receipt: no second CONTRL.
    assert Interchange.objects.filter(direction="out").count() == contrl_count


def test_replaying_a_processed_message_is_refused_and_changes_nothing(
    partner, receive, monkeypatch
):
    register(monkeypatch, MessageType.ORDERS, lambda row, message, p: ("test.Order", "1"))
    message = receive(interchange_text()).messages.get()
    events = EdiEvent.objects.count()

    with pytest.raises(InvalidTransition):
        message_replay(message_id=message.pk)

    message.refresh_from_db()
    assert (message.state, message.replay_count) == (MessageState.PROCESSED, 0)
    assert EdiEvent.objects.count() == events


@pytest.mark.usefixtures("without_orders_handler")
def test_a_replay_that_fails_again_stays_in_the_queue_with_the_new_reason(partner, receive):
    message = receive(interchange_text()).messages.get()

    replayed = message_replay(message_id=message.pk)

    assert (replayed.state, replayed.replay_count) == (MessageState.ERROR, 1)
    assert replayed.errors[0]["code"] == "no_handler"


def test_the_periodic_sweep_takes_up_an_interchange_whose_task_was_lost(partner, committed):
    from datetime import timedelta

    from django.utils import timezone

    from edi.tasks import process_pending

    payload = interchange_text()
    row = Interchange.objects.create(
        direction="in",
        partner=partner,
        transport="http",
        payload=payload,
        checksum=hashlib.sha256(payload).hexdigest(),
        size=len(payload),
        state=InterchangeState.RECEIVED,
    )
    Interchange.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(hours=1))

    assert committed(process_pending) == 1

    row.refresh_from_db()
    assert row.state == InterchangeState.ERROR  # processed: no ORDERS handler yet
    assert committed(process_pending) == 0


def test_the_database_is_postgresql():
    # The duplicate keys and the counters rely on PostgreSQL's unique checks and row locks.
    assert connection.vendor == "postgresql"
