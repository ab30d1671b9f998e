"""Sending: interchanges written right and stored as sent, control references that never
repeat, transports with bounded retries, resend, and acknowledgements (CONTRL, MDN)."""

from __future__ import annotations

from pathlib import Path

import pytest

from comptoir.exceptions import DomainError, InvalidTransition
from edi.eancom import ORDRSP_D96A, make_segment, parse_interchanges
from edi.eancom.messages import ContrlAction
from edi.models import (
    EdiMessage,
    Interchange,
    InterchangeSequence,
    InterchangeState,
    MessageState,
    MessageType,
    TransportKind,
)
from edi.services import (
    OutboundDocument,
    interchange_acknowledge,
    interchange_resend,
    message_send,
    messages_send,
)

from .gateway import OUR_GLN, PARTNER_GLN, contrl_sent

pytestmark = pytest.mark.django_db

BODY = (
    make_segment("BGM", "231", "RSP-1", "29"),
    make_segment("DTM", ("137", "20240315", "102")),
    make_segment("RFF", ("ON", "PO-2024-0001")),
)


def contrl_about(reference: str, action: str = "7", messages: str = "") -> bytes:
    body = f"UCI+{reference}+{OUR_GLN}:14+{PARTNER_GLN}:14+{action}'{messages}"
    count = 2 + body.count("'")
    return (
        f"UNA:+.? 'UNB+UNOC:3+{PARTNER_GLN}:14+{OUR_GLN}:14+240321:0801+CTL{reference[-6:]}'"
        f"UNH+1+CONTRL:D:3:UN'{body}UNT+{count}+1'UNZ+1+CTL{reference[-6:]}'"
    ).encode()


def test_a_message_is_wrapped_stored_as_queued_and_reads_back(partner, committed):
    row = committed(
        message_send,
        partner=partner,
        message_type=MessageType.ORDRSP,
        body=BODY,
        document_type="sales.SalesOrder",
        document_id="12",
    )

    parsed = parse_interchanges(row.payload_bytes)
    assert parsed.accepted, parsed.all_errors
    (interchange,) = parsed.interchanges
    header = interchange.header
    assert (header.sender.identifier, header.sender.qualifier) == (OUR_GLN, "14")
    assert (header.recipient.identifier, header.recipient.qualifier) == (PARTNER_GLN, "14")
    assert header.control_reference == "00000001" == row.control_reference
    assert header.application_reference == "ORDRSP"
    assert not header.acknowledgement_requested
    (message,) = interchange.messages
    assert message.identifier == ORDRSP_D96A
    assert message.segments[1:-1] == BODY
    assert row.state == InterchangeState.QUEUED  # transport "none": waits to be collected
    assert row.size == len(row.payload_bytes)
    stored = row.messages.get()
    assert (stored.state, stored.document_type, stored.document_id) == (
        "queued",
        "sales.SalesOrder",
        "12",
    )
    assert stored.segments_text.splitlines()[0] == "UNH+1+ORDRSP:D:96A:UN:EAN005'"


def test_control_references_follow_each_other_per_partner(partner, make_partner):
    other = make_partner("AUTRE", gln="5412345000013")

    references = [
        message_send(partner=partner, message_type=MessageType.ORDRSP, body=BODY).control_reference,
        message_send(partner=partner, message_type=MessageType.ORDRSP, body=BODY).control_reference,
        message_send(partner=other, message_type=MessageType.ORDRSP, body=BODY).control_reference,
        message_send(partner=partner, message_type=MessageType.DESADV, body=BODY).control_reference,
    ]

    assert references == ["00000001", "00000002", "00000001", "00000003"]


def test_several_messages_in_one_interchange_and_an_acknowledgement_request(make_partner):
    partner = make_partner(request_contrl=True)

    row = messages_send(
        partner=partner,
        documents=[
            OutboundDocument(MessageType.DESADV, BODY, "sales.Delivery", "1"),
            OutboundDocument(MessageType.DESADV, BODY, "sales.Delivery", "2"),
        ],
    )

    (interchange,) = parse_interchanges(row.payload_bytes).interchanges
    assert [message.reference for message in interchange.messages] == ["1", "2"]
    assert interchange.header.acknowledgement_requested
    assert list(row.messages.values_list("document_id", flat=True).order_by("position")) == [
        "1",
        "2",
    ]


def test_a_type_not_agreed_is_refused_and_nothing_is_used_up(make_partner):
    partner = make_partner(outbound=(MessageType.CONTRL,))

    with pytest.raises(DomainError) as refused:
        message_send(partner=partner, message_type=MessageType.INVOIC, body=BODY)

    assert refused.value.code == "message_type_not_agreed"
    assert not Interchange.objects.exists()
    assert InterchangeSequence.objects.get(partner=partner).last_number == 0


def test_a_value_the_syntax_level_cannot_carry_is_refused_with_its_place(make_partner):
    partner = make_partner(syntax_identifier="UNOA")

    with pytest.raises(DomainError) as refused:
        message_send(
            partner=partner,
            message_type=MessageType.ORDRSP,
            body=(make_segment("FTX", "AAI", "", "", "北京"),),
        )

    assert refused.value.code == "edi_encode_failed"
    assert "FTX" in refused.value.details["errors"][0]
    assert not Interchange.objects.exists()


# --------------------------------------------------------------------------- transports


def test_the_directory_transport_writes_the_file_whole_and_marks_it_sent(
    make_partner, committed, tmp_path
):
    outbox = tmp_path / "out"
    outbox.mkdir()
    partner = make_partner(
        transport=TransportKind.DIRECTORY, inbox_path=str(tmp_path), outbox_path=str(outbox)
    )

    row = committed(message_send, partner=partner, message_type=MessageType.ORDRSP, body=BODY)

    row.refresh_from_db()
    assert row.state == InterchangeState.SENT and row.sent_at is not None
    assert row.metadata["filename"] == "ENS_00000001_ORDRSP.edi"
    assert [path.name for path in outbox.iterdir()] == ["ENS_00000001_ORDRSP.edi"]
    assert (outbox / "ENS_00000001_ORDRSP.edi").read_bytes() == row.payload_bytes
    assert row.send_attempts == 1
    assert row.messages.get().state == MessageState.SENT


def test_a_failing_transport_retries_a_bounded_number_of_times_then_fails(
    make_partner, committed, tmp_path
):
    from edi.tasks import send_interchange

    missing = tmp_path / "not-there"
    partner = make_partner(
        transport=TransportKind.DIRECTORY, inbox_path=str(tmp_path), outbox_path=str(missing)
    )
    row = message_send(partner=partner, message_type=MessageType.ORDRSP, body=BODY)

    # As a worker runs it: each failure retries (eagerly here, without the backoff wait;
    # eager retries only loop when errors are not propagated).
    conf = send_interchange.app.conf
    propagates, conf.task_eager_propagates = conf.task_eager_propagates, False
    try:
        result = send_interchange.apply(args=[row.pk])
    finally:
        conf.task_eager_propagates = propagates

    assert result.get() == "failed"
    row.refresh_from_db()
    assert row.state == InterchangeState.FAILED
    assert row.send_attempts == send_interchange.max_retries + 1
    assert "FileNotFoundError" in row.error
    message = row.messages.get()
    assert (message.state, message.errors[0]["code"]) == (MessageState.ERROR, "transport")
    kinds = list(row.events.values_list("kind", flat=True))
    assert kinds.count("send_failed") == send_interchange.max_retries + 1

    missing.mkdir()
    committed(interchange_resend, interchange_id=row.pk)

    row.refresh_from_db()
    assert row.state == InterchangeState.SENT
    assert row.messages.get().state == MessageState.SENT
    assert "resent" in row.events.values_list("kind", flat=True)


def test_the_send_task_is_declared_with_bounded_retries_and_backoff():
    from edi.tasks import send_interchange

    assert send_interchange.max_retries == 6
    assert send_interchange.retry_backoff == 30
    assert send_interchange.retry_backoff_max == 3600
    assert send_interchange.autoretry_for


def test_resend_is_refused_for_received_acknowledged_and_queued_interchanges(partner, receive):
    received = receive(b"UNB+UNOC:3+x+y+240101:0000+1'")
    queued = message_send(partner=partner, message_type=MessageType.ORDRSP, body=BODY)
    acknowledged = message_send(partner=partner, message_type=MessageType.ORDRSP, body=BODY)
    interchange_acknowledge(interchange_id=acknowledged.pk, accepted=True)
    acknowledged.refresh_from_db()

    for row in (received, queued, acknowledged):
        with pytest.raises(InvalidTransition):
            interchange_resend(interchange_id=row.pk)
        state = row.state
        row.refresh_from_db()
        assert row.state == state


# --------------------------------------------------------------------------- acknowledgements


def test_a_received_contrl_acknowledges_what_we_sent(partner, receive):
    sent = message_send(partner=partner, message_type=MessageType.ORDRSP, body=BODY)

    row = receive(contrl_about(sent.control_reference, "7", "UCM+1+ORDRSP:D:96A:UN:EAN005+7'"))

    sent.refresh_from_db()
    assert sent.state == InterchangeState.ACKNOWLEDGED
    assert sent.messages.get().state == MessageState.ACKNOWLEDGED
    received = row.messages.get()
    assert (received.state, received.document_type, received.document_id) == (
        MessageState.PROCESSED,
        "edi.Interchange",
        str(sent.pk),
    )
    assert row.contrl is None  # a CONTRL is never answered with a CONTRL


def test_a_received_contrl_rejecting_a_message_records_the_reasons(partner, receive):
    sent = messages_send(
        partner=partner,
        documents=[
            OutboundDocument(MessageType.ORDRSP, BODY),
            OutboundDocument(MessageType.ORDRSP, BODY),
        ],
    )

    receive(
        contrl_about(
            sent.control_reference,
            "7",
            "UCM+1+ORDRSP:D:96A:UN:EAN005+7'UCM+2+ORDRSP:D:96A:UN:EAN005+4'UCS+3'UCD+12+2:1'",
        )
    )

    sent.refresh_from_db()
    first, second = sent.messages.order_by("position")
    assert sent.state == InterchangeState.ACKNOWLEDGED
    assert first.state == MessageState.ACKNOWLEDGED
    assert second.state == MessageState.REJECTED
    assert [(p["position"], p["element"], p["code"], p["reason"]) for p in second.errors] == [
        (3, "2.1", "12", "invalid value")
    ]
    assert "segment 3" in sent.error


def test_a_received_contrl_rejecting_the_interchange_rejects_every_message(partner, receive):
    sent = message_send(partner=partner, message_type=MessageType.ORDRSP, body=BODY)

    receive(contrl_about(sent.control_reference, "4+29+UNZ+1"))

    sent.refresh_from_db()
    assert sent.state == InterchangeState.REJECTED
    message = sent.messages.get()
    assert message.state == MessageState.REJECTED
    assert message.errors[0]["code"] == "29"
    assert "control count does not match" in sent.error


def test_a_contrl_about_an_interchange_we_never_sent_goes_to_the_error_queue(partner, receive):
    row = receive(contrl_about("99999999"))

    message = row.messages.get()
    assert message.state == MessageState.ERROR
    assert message.errors[0]["code"] == "unknown_interchange"


def test_an_mdn_acknowledges_or_rejects_with_its_reason(partner):
    sent = message_send(partner=partner, message_type=MessageType.ORDRSP, body=BODY)
    other = message_send(partner=partner, message_type=MessageType.ORDRSP, body=BODY)

    interchange_acknowledge(interchange_id=sent.pk, accepted=True, source="mdn")
    interchange_acknowledge(interchange_id=other.pk, accepted=False, reasons=["decryption-failed"])

    sent.refresh_from_db()
    other.refresh_from_db()
    assert sent.state == InterchangeState.ACKNOWLEDGED
    assert other.state == InterchangeState.REJECTED
    assert other.messages.get().errors[0]["reason"] == "decryption-failed"


def test_our_contrl_is_itself_an_outbound_interchange_with_a_control_reference(partner, receive):
    row = receive(b"garbage that is no EDIFACT at all", partner=partner)

    report = contrl_sent(row)
    assert report.action is ContrlAction.REJECTED
    assert row.contrl.control_reference == "00000001"
    assert EdiMessage.objects.get(interchange=row.contrl).message_type == "CONTRL"


def test_the_outbox_file_never_appears_half_written(tmp_path: Path, monkeypatch):
    from edi.transports import directory

    seen: list[list[str]] = []
    real_replace = directory.os.replace

    def watching_replace(source, target):  # noqa: ANN001, ANN202
        seen.append(sorted(path.name for path in tmp_path.iterdir()))
        return real_replace(source, target)

    monkeypatch.setattr(directory.os, "replace", watching_replace)

    directory.outbox_write(tmp_path, "a.edi", b"UNB+...'")

    assert seen == [["a.edi.tmp"]]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a.edi"]
