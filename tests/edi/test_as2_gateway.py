"""AS2 through the gateway, end to end: a retail chain's AS2 server (a ThreadingHTTPServer
on 127.0.0.1 speaking edi.transports.as2) and our Django endpoints, each with its own
key pair generated for the module; our key and certificate are files the settings name.

- receive: the chain POSTs signed and encrypted messages to ``edi:as2_receive``; the
  payload is stored and processed, the sync MDN verified by the chain; duplicates,
  tampered bodies and strangers;
- send: our queued interchanges go through ``interchange_transmit`` to the chain's
  server; its sync MDN acknowledges or rejects them; a server down is retried;
- async MDNs both ways (``edi:as2_mdn``, the ``edi.send_as2_mdn`` task).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from edi.eancom import make_segment
from edi.models import (
    EdiEvent,
    Interchange,
    InterchangeState,
    MessageState,
    MessageType,
    TransportKind,
)
from edi.services import TransportError, interchange_transmit, message_send
from edi.services import handlers as handler_registry
from edi.services.as2 import as2_identity
from edi.transports.as2 import (
    As2ConfigurationError,
    As2Identity,
    As2InboundResult,
    As2Mdn,
    As2OutboundMessage,
    As2Partner,
    As2SentMessage,
    as2_mdn_parse,
    as2_message_build,
    as2_message_receive,
)

from . import fixture_bytes
from .as2_keys import KeyPair, key_pair_generate

pytestmark = pytest.mark.django_db

US_ID = "COMPTOIR"
CHAIN_ID = "HYPERION AS2"
ORDERS = fixture_bytes("orders_original.edi")
ORDRSP_BODY = (
    make_segment("BGM", "231", "RSP-1", "29"),
    make_segment("DTM", ("137", "20240315", "102")),
    make_segment("RFF", ("ON", "PO-2024-0001")),
)
POSITIVE = "automatic-action/MDN-sent-automatically; processed"


@pytest.fixture(autouse=True)
def in_english(settings):  # noqa: ANN001, ANN201
    """These tests read the reasons the gateway records: in English, the msgids (the
    AS2 endpoints answer machines, in the site's default language)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def us_keys() -> KeyPair:
    return key_pair_generate("comptoir.test")


@pytest.fixture(scope="module")
def chain_keys() -> KeyPair:
    return key_pair_generate("hyperion.test")


@pytest.fixture(scope="module")
def stranger_keys() -> KeyPair:
    return key_pair_generate("stranger.test")


@pytest.fixture
def chain(chain_keys: KeyPair) -> As2Identity:
    return As2Identity(CHAIN_ID, chain_keys.key_pem, chain_keys.cert_pem)


@pytest.fixture
def our_as2(settings, tmp_path: Path, us_keys: KeyPair) -> None:
    """Our identity as production has it: an AS2 id and two files outside the code."""
    key_file, cert_file = tmp_path / "comptoir.key", tmp_path / "comptoir.crt"
    key_file.write_bytes(us_keys.key_pem)
    cert_file.write_bytes(us_keys.cert_pem)
    settings.COMPTOIR_AS2_ID = US_ID
    settings.COMPTOIR_AS2_KEY_FILE = str(key_file)
    settings.COMPTOIR_AS2_CERT_FILE = str(cert_file)
    settings.COMPTOIR_AS2_MDN_URL = "http://testserver/edi/as2/mdn/"
    settings.EDI_AS2_TIMEOUT_SECONDS = 10


def us_as_known_by(keys: KeyPair, **settings: Any) -> As2Partner:
    """How the chain (or a stranger) has us on file: our AS2 id, URL and certificate."""
    return As2Partner(US_ID, "http://testserver/edi/as2/", keys.cert_pem, **settings)


class ChainStation:
    """The chain's AS2 server: /as2 receives our messages (refusing us as an unknown
    partner when ``knows_us`` is False), /mdn takes the asynchronous MDNs we send it,
    /busy answers 503 and any other path 404."""

    def __init__(self, identity: As2Identity, us: As2Partner) -> None:
        self.identity = identity
        self.us = us
        self.knows_us = True
        self.received: list[As2InboundResult] = []
        self.mdns: list[As2Mdn] = []
        self.sent: dict[str, As2SentMessage] = {}
        station = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = dict(self.headers.items())
                if self.path == "/as2":
                    result = as2_message_receive(
                        identity=station.identity,
                        headers=headers,
                        body=body,
                        partner_find=lambda as2_from: (
                            station.us if station.knows_us and as2_from == US_ID else None
                        ),
                    )
                    station.received.append(result)
                    response = result.http_response()
                    self.answer(response.status, response.headers, response.body)
                elif self.path == "/mdn":
                    station.mdns.append(
                        as2_mdn_parse(
                            headers=headers, body=body, sent_message_find=station.sent.get
                        )
                    )
                    self.answer(200, {}, b"")
                elif self.path == "/busy":
                    self.answer(503, {"Content-Type": "text/plain"}, b"maintenance")
                else:
                    self.answer(404, {"Content-Type": "text/plain"}, b"no such path")

            def answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def build(
        self, payload: bytes, *, filename: str = "PO-2024-0001.edi", **settings: Any
    ) -> tuple[As2OutboundMessage, As2Partner]:
        """A message from the chain to us, as its server would POST it."""
        us = As2Partner(US_ID, self.us.url, self.us.cert_pem, **settings)
        message = as2_message_build(
            identity=self.identity, partner=us, payload=payload, filename=filename
        )
        self.sent[message.message_id] = As2SentMessage(message.message_id, us, message.mic)
        return message, us


@pytest.fixture
def station(chain: As2Identity, us_keys: KeyPair) -> Iterator[ChainStation]:
    station = ChainStation(chain, us_as_known_by(us_keys))
    station.thread.start()
    yield station
    station.server.shutdown()
    station.server.server_close()
    station.thread.join(timeout=5)


@pytest.fixture
def as2_partner(make_partner, chain_keys: KeyPair, station: ChainStation, our_as2):
    """The chain as our trading partner over AS2, its server being ``station``."""

    def make(**fields: Any):
        settings = {
            "transport": TransportKind.AS2,
            "as2_id": CHAIN_ID,
            "as2_url": f"{station.url}/as2",
            "as2_certificate": chain_keys.cert_pem.decode(),
            **fields,
        }
        return make_partner(**settings)

    return make


@pytest.fixture
def orders_handled(monkeypatch) -> None:
    """ORDERS handled by a stand-in: this file tests the transport, not the order mapping."""
    monkeypatch.setitem(
        handler_registry.HANDLERS,
        MessageType.ORDERS,
        lambda message_row, message, partner: ("test.Order", "PO-2024-0001"),
    )


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    """POST as a partner's AS2 server does: no session, CSRF checks on, raw body; then
    run what was scheduled after commit (processing, our CONTRL's transmission, MDNs)."""
    client = Client(enforce_csrf_checks=True)

    def run(url_name: str, headers: dict[str, str], body: bytes):
        headers = dict(headers)
        content_type = headers.pop("Content-Type", "application/octet-stream")
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse(url_name), data=body, content_type=content_type, headers=headers
            )

    return run


def mdn_of(response, sent: As2SentMessage) -> As2Mdn:
    """The sync MDN of our HTTP answer, read and verified as the sender does."""
    return as2_mdn_parse(
        headers=dict(response.headers.items()),
        body=response.content,
        sent_message_find={sent.message_id: sent}.get,
    )


def inbound_rows() -> list[Interchange]:
    return list(Interchange.objects.filter(direction="in").order_by("pk"))


def outbound_rows() -> list[Interchange]:
    return list(Interchange.objects.filter(direction="out").order_by("pk"))


def interchange_events(row: Interchange) -> list[tuple[str, str]]:
    return list(
        EdiEvent.objects.filter(interchange=row, message__isnull=True)
        .order_by("pk")
        .values_list("kind", "note")
    )


# --------------------------------------------------------------------------- endpoints


def test_the_endpoints_take_posts_without_login_or_csrf_token(as2_partner) -> None:
    anonymous = Client(enforce_csrf_checks=True)

    assert reverse("edi:as2_receive") == "/edi/as2/"
    assert reverse("edi:as2_mdn") == "/edi/as2/mdn/"
    assert anonymous.get("/edi/as2/").status_code == 405
    assert anonymous.get("/edi/as2/mdn/").status_code == 405
    not_as2 = anonymous.post("/edi/as2/", data=b"hello", content_type="text/plain")
    assert (not_as2.status_code, not_as2.content) == (
        400,
        b"not-as2: Not an AS2 message: missing header(s) AS2-From, AS2-To, Message-ID.",
    )
    assert anonymous.post("/edi/as2/mdn/", data=b"OK", content_type="text/plain").status_code == 200
    assert not Interchange.objects.exists()


def test_a_body_over_the_limit_is_refused_with_413_and_not_stored(
    as2_partner,
    station: ChainStation,
    post,
    settings,
) -> None:
    as2_partner()
    message, _us = station.build(ORDERS)
    settings.EDI_HTTP_MAX_BYTES = len(message.body) - 1

    response = post("edi:as2_receive", message.headers, message.body)

    assert (response.status_code, response.content) == (
        413,
        f"the body exceeds {len(message.body) - 1} bytes".encode(),
    )
    assert not Interchange.objects.exists()


def test_a_body_over_djangos_upload_limit_is_read_from_the_stream(
    as2_partner, station: ChainStation, post, orders_handled, settings
) -> None:
    as2_partner(send_contrl=False)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20_000  # request.body would refuse the message
    payload = ORDERS + b"\r\n" * 10_000
    message, _us = station.build(payload)
    assert len(message.body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = post("edi:as2_receive", message.headers, message.body)

    assert mdn_of(response, station.sent[message.message_id]).processed is True
    [row] = inbound_rows()
    assert (row.size, row.state) == (len(payload), InterchangeState.PROCESSED)


def test_without_our_identity_the_endpoint_answers_503_and_stores_nothing(
    as2_partner,
    station: ChainStation,
    post,
    settings,
) -> None:
    as2_partner()
    message, _us = station.build(ORDERS)
    settings.COMPTOIR_AS2_KEY_FILE = ""

    response = post("edi:as2_receive", message.headers, message.body)

    assert (response.status_code, response.content) == (
        503,
        b"AS2 is not available; try again later.",
    )
    assert not Interchange.objects.exists()


def test_our_identity_is_read_from_the_files_and_reread_when_they_change(
    our_as2,
    settings,
    stranger_keys: KeyPair,
    us_keys: KeyPair,
) -> None:
    first = as2_identity()
    assert as2_identity() is first
    assert (first.as2_id, first.key_pem, first.cert_pem) == (
        US_ID,
        us_keys.key_pem,
        us_keys.cert_pem,
    )

    cert_file = Path(settings.COMPTOIR_AS2_CERT_FILE)
    cert_file.write_bytes(stranger_keys.cert_pem)
    stat = cert_file.stat()
    os.utime(cert_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))

    assert as2_identity().cert_pem == stranger_keys.cert_pem

    settings.COMPTOIR_AS2_ID = ""
    settings.COMPTOIR_AS2_CERT_FILE = ""
    with pytest.raises(As2ConfigurationError) as missing:
        as2_identity()
    assert missing.value.code == "as2_not_configured"
    assert missing.value.details == {"settings": ["COMPTOIR_AS2_ID", "COMPTOIR_AS2_CERT_FILE"]}


# --------------------------------------------------------------------------- receive


def test_a_signed_encrypted_orders_is_stored_processed_and_answered_with_a_verified_mdn(
    as2_partner,
    station: ChainStation,
    post,
    orders_handled,
) -> None:
    partner = as2_partner()
    message, _us = station.build(ORDERS)

    response = post("edi:as2_receive", message.headers, message.body)

    assert response.status_code == 200
    mdn = mdn_of(response, station.sent[message.message_id])
    assert (mdn.processed, mdn.disposition, mdn.mic_matches, mdn.signature_verified) == (
        True,
        POSITIVE,
        True,
        True,
    )
    [row] = inbound_rows()
    assert (row.transport, row.partner, row.payload_bytes) == ("as2", partner, ORDERS)
    assert row.metadata == {
        "as2_message_id": message.message_id,
        "as2_from": CHAIN_ID,
        "as2_to": US_ID,
        "filename": "PO-2024-0001.edi",
        "content_type": "application/octet-stream",
        "as2_mic": message.mic,
        "as2_signed": True,
        "as2_encrypted": True,
        "as2_compressed": False,
        "as2_mdn_mode": "sync",
        "as2_mdn_message_id": mdn.mdn_message_id,
        "remote_address": "127.0.0.1",
    }
    # The pipeline ran: envelope read, message handled, CONTRL answered — over AS2,
    # acknowledged by the chain's own MDN.
    assert (row.state, row.control_reference) == (InterchangeState.PROCESSED, "ORD0001")
    [orders] = row.messages.all()
    assert (orders.message_type, orders.state, orders.document_id) == (
        "ORDERS",
        MessageState.PROCESSED,
        "PO-2024-0001",
    )
    [contrl] = outbound_rows()
    assert row.contrl == contrl
    assert (contrl.transport, contrl.state) == ("as2", InterchangeState.ACKNOWLEDGED)
    [delivered] = station.received
    assert (delivered.processed, delivered.payload) == (True, contrl.payload_bytes)


def test_a_message_id_received_before_is_answered_duplicate_and_not_stored_again(
    as2_partner,
    station: ChainStation,
    post,
    orders_handled,
) -> None:
    as2_partner()
    message, _us = station.build(ORDERS)
    post("edi:as2_receive", message.headers, message.body)

    again = post("edi:as2_receive", message.headers, message.body)

    assert again.status_code == 200
    mdn = mdn_of(again, station.sent[message.message_id])
    assert (mdn.processed, mdn.status, mdn.detail) == (
        False,
        "processed/Warning",
        "duplicate-document",
    )
    assert len(inbound_rows()) == 1
    assert len(outbound_rows()) == 1  # one CONTRL


def test_a_tampered_encrypted_body_gets_a_negative_mdn_and_its_raw_body_is_kept(
    as2_partner,
    station: ChainStation,
    post,
) -> None:
    partner = as2_partner()
    message, _us = station.build(ORDERS)
    tampered = bytearray(message.body)
    tampered[-17] ^= 0xFF  # the padding of the last CBC block: decryption fails

    response = post("edi:as2_receive", message.headers, bytes(tampered))

    assert response.status_code == 200
    mdn = mdn_of(response, station.sent[message.message_id])
    assert (mdn.processed, mdn.status, mdn.detail, mdn.signature_verified) == (
        False,
        "processed/Error",
        "decryption-failed",
        True,
    )
    [row] = inbound_rows()
    assert (row.payload_bytes, row.partner, row.transport) == (bytes(tampered), partner, "as2")
    assert row.state == InterchangeState.ERROR
    assert row.error.startswith("refused by the AS2 checks (decryption-failed): ")
    assert row.errors[0]["code"] == "as2:decryption-failed"
    assert (row.metadata["as2_error"], row.metadata["as2_message_id"]) == (
        "decryption-failed",
        message.message_id,
    )
    assert [kind for kind, _note in interchange_events(row)] == ["received", "error"]
    assert not row.messages.exists()
    assert outbound_rows() == []  # no CONTRL: the MDN told them


def test_a_tampered_signed_only_body_is_kept_but_its_clear_edifact_never_processed(
    as2_partner,
    station: ChainStation,
    post,
    orders_handled,
) -> None:
    as2_partner(as2_encrypt=False)
    message, _us = station.build(ORDERS, encrypt=False)
    tampered = message.body.replace(b"PO-2024-0001", b"PO-2024-9999")
    assert tampered != message.body

    response = post("edi:as2_receive", message.headers, tampered)

    mdn = mdn_of(response, station.sent[message.message_id])
    assert (mdn.processed, mdn.detail) == (False, "authentication-failed")
    [row] = inbound_rows()
    assert (row.payload_bytes, row.state) == (tampered, InterchangeState.ERROR)
    assert row.metadata["as2_error"] == "authentication-failed"
    assert not row.messages.exists() and not row.parts.exists()
    assert outbound_rows() == []


def test_an_unknown_as2_from_gets_a_signed_negative_mdn_and_is_kept_without_partner(
    as2_partner,
    post,
    stranger_keys: KeyPair,
    us_keys: KeyPair,
) -> None:
    as2_partner()
    stranger = As2Identity("STRANGER", stranger_keys.key_pem, stranger_keys.cert_pem)
    us = us_as_known_by(us_keys)
    message = as2_message_build(identity=stranger, partner=us, payload=ORDERS, filename="o.edi")

    response = post("edi:as2_receive", message.headers, message.body)

    mdn = mdn_of(response, As2SentMessage(message.message_id, us, message.mic))
    assert (mdn.processed, mdn.detail, mdn.signature_verified) == (
        False,
        "unknown-trading-partner",
        True,
    )
    [row] = inbound_rows()
    assert (row.partner, row.state, row.metadata["as2_from"], row.metadata["as2_error"]) == (
        None,
        InterchangeState.ERROR,
        "STRANGER",
        "unknown-trading-partner",
    )


def test_a_resend_after_a_refused_copy_is_not_a_duplicate(
    as2_partner,
    station: ChainStation,
    post,
    orders_handled,
    stranger_keys: KeyPair,
) -> None:
    # The chain's first copy came while we had a wrong certificate on file for it.
    partner = as2_partner(as2_certificate=stranger_keys.cert_pem.decode())
    message, _us = station.build(ORDERS)
    first = post("edi:as2_receive", message.headers, message.body)
    assert mdn_of(first, station.sent[message.message_id]).detail == "authentication-failed"
    partner.as2_certificate = station.identity.cert_pem.decode()
    partner.save(update_fields=["as2_certificate"])

    response = post("edi:as2_receive", message.headers, message.body)

    assert mdn_of(response, station.sent[message.message_id]).processed is True
    refused, stored = inbound_rows()
    assert (refused.state, stored.state) == (InterchangeState.ERROR, InterchangeState.PROCESSED)


def test_an_async_mdn_asked_by_the_chain_is_posted_to_its_server(
    as2_partner,
    station: ChainStation,
    post,
    orders_handled,
) -> None:
    as2_partner(send_contrl=False)
    message, _us = station.build(ORDERS, mdn_mode="async", async_mdn_url=f"{station.url}/mdn")

    response = post("edi:as2_receive", message.headers, message.body)

    assert (response.status_code, response.content) == (200, b"")
    [mdn] = station.mdns
    assert (mdn.processed, mdn.original_message_id, mdn.mic_matches) == (
        True,
        message.message_id,
        True,
    )
    [row] = inbound_rows()
    assert row.metadata["as2_mdn_url"] == f"{station.url}/mdn"
    assert (
        "sent",
        f"AS2 MDN {mdn.mdn_message_id} sent to {station.url}/mdn",
    ) in interchange_events(row)


def test_an_async_mdn_to_a_host_not_agreed_is_not_sent(
    as2_partner,
    station: ChainStation,
    post,
    orders_handled,
) -> None:
    as2_partner(send_contrl=False)
    message, _us = station.build(
        ORDERS, mdn_mode="async", async_mdn_url="http://intranet.example:8080/mdn"
    )

    response = post("edi:as2_receive", message.headers, message.body)

    assert response.status_code == 200
    assert station.mdns == []
    [row] = inbound_rows()
    assert row.state == InterchangeState.PROCESSED
    assert (
        "send_failed",
        "AS2 MDN not sent: http://intranet.example:8080/mdn is not on the partner's agreed "
        "AS2 host.",
    ) in interchange_events(row)


# --------------------------------------------------------------------------- send


def test_a_queued_interchange_is_sent_and_acknowledged_by_the_chains_signed_mdn(
    as2_partner,
    station: ChainStation,
    committed,
) -> None:
    partner = as2_partner()

    row = committed(
        message_send, partner=partner, message_type=MessageType.ORDRSP, body=ORDRSP_BODY
    )

    row.refresh_from_db()
    [received] = station.received
    assert (received.processed, received.payload, received.filename) == (
        True,
        row.payload_bytes,
        "ENS_00000001_ORDRSP.edi",
    )
    assert (received.signed, received.encrypted, received.sender_as2_id) == (True, True, US_ID)
    assert received.mdn is not None
    assert row.state == InterchangeState.ACKNOWLEDGED
    assert row.metadata == {
        "filename": "ENS_00000001_ORDRSP.edi",
        "as2_message_id": received.message_id,
        "as2_mic": received.mic,
        "as2_mic_algorithm": "sha256",
        "as2_mdn_mode": "sync",
        "as2_signed": True,
        "as2_encrypted": True,
        "as2_compressed": False,
        "as2_http_status": 200,
        "as2_mdn_message_id": received.mdn.message_id,
        "as2_mdn_processed": True,
        "as2_mdn_status": "processed",
        "as2_mdn_detail": "",
        "as2_mdn_disposition": POSITIVE,
        "as2_mdn_signed": True,
    }
    assert (row.send_attempts, row.sent_at is not None, row.error) == (1, True, "")
    assert [kind for kind, _note in interchange_events(row)] == ["queued", "sent", "acknowledged"]
    assert row.messages.get().state == MessageState.ACKNOWLEDGED


def test_a_negative_sync_mdn_rejects_the_interchange_with_its_disposition(
    as2_partner,
    station: ChainStation,
    committed,
) -> None:
    partner = as2_partner()
    station.knows_us = False

    row = committed(
        message_send, partner=partner, message_type=MessageType.ORDRSP, body=ORDRSP_BODY
    )

    row.refresh_from_db()
    reason = (
        "AS2 MDN: automatic-action/MDN-sent-automatically; processed/Error: unknown-trading-partner"
    )
    assert (row.state, row.sent_at is not None) == (InterchangeState.REJECTED, True)
    assert reason in row.error
    assert row.metadata["as2_mdn_processed"] is False
    assert [kind for kind, _note in interchange_events(row)] == ["queued", "sent", "rejected"]
    message = row.messages.get()
    assert (message.state, message.errors[0]["reason"], message.errors[0]["code"]) == (
        MessageState.REJECTED,
        reason,
        "mdn",
    )


def test_a_chain_server_down_is_retried_then_failed_on_the_last_attempt(
    as2_partner,
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    partner = as2_partner(as2_url=f"http://127.0.0.1:{closed_port}/as2")
    row = message_send(partner=partner, message_type=MessageType.ORDRSP, body=ORDRSP_BODY)

    with pytest.raises(TransportError, match=f"AS2 to http://127.0.0.1:{closed_port}/as2"):
        interchange_transmit(interchange_id=row.pk, final_attempt=False)
    row.refresh_from_db()
    assert (row.state, row.send_attempts) == (InterchangeState.QUEUED, 1)
    first_attempt = row.metadata["as2_message_id"]  # recorded before the POST

    failed = interchange_transmit(interchange_id=row.pk, final_attempt=True)

    assert (failed.state, failed.send_attempts) == (InterchangeState.FAILED, 2)
    assert failed.error.startswith(
        f"the transport failed: TransportError: AS2 to http://127.0.0.1:{closed_port}/as2: "
    )
    assert failed.metadata["as2_message_id"] != first_attempt  # a fresh id per attempt
    assert [kind for kind, _note in interchange_events(failed)] == [
        "queued",
        "send_failed",
        "send_failed",
    ]
    message = failed.messages.get()
    assert (message.state, message.errors[0]["code"]) == (MessageState.ERROR, "transport")


def test_the_send_task_retries_a_busy_server_a_bounded_number_of_times(
    as2_partner,
    station: ChainStation,
) -> None:
    from edi.tasks import send_interchange

    partner = as2_partner(as2_url=f"{station.url}/busy")
    row = message_send(partner=partner, message_type=MessageType.ORDRSP, body=ORDRSP_BODY)
    conf = send_interchange.app.conf
    propagates, conf.task_eager_propagates = conf.task_eager_propagates, False
    try:
        result = send_interchange.apply(args=[row.pk])
    finally:
        conf.task_eager_propagates = propagates

    assert result.get() == "failed"
    row.refresh_from_db()
    assert row.send_attempts == send_interchange.max_retries + 1
    assert "HTTP 503" in row.error


def test_an_http_refusal_without_mdn_fails_at_once(
    as2_partner,
    station: ChainStation,
) -> None:
    partner = as2_partner(as2_url=f"{station.url}/gone")
    row = message_send(partner=partner, message_type=MessageType.ORDRSP, body=ORDRSP_BODY)

    failed = interchange_transmit(interchange_id=row.pk, final_attempt=False)

    assert (failed.state, failed.send_attempts) == (InterchangeState.FAILED, 1)
    assert failed.error == (
        "the transport failed: As2DeliveryRefused: The partner's AS2 server refused the "
        "message: HTTP 404 Not Found: no such path"
    )


def test_sending_without_our_identity_fails_at_once_naming_the_settings(
    as2_partner,
    settings,
) -> None:
    partner = as2_partner()
    settings.COMPTOIR_AS2_ID = ""
    row = message_send(partner=partner, message_type=MessageType.ORDRSP, body=ORDRSP_BODY)

    failed = interchange_transmit(interchange_id=row.pk, final_attempt=False)

    assert failed.state == InterchangeState.FAILED
    assert failed.error == (
        "the transport failed: As2ConfigurationError: AS2 is not configured: set COMPTOIR_AS2_ID."
    )


# --------------------------------------------------------------------------- async MDN


def test_an_async_mdn_from_the_chain_acknowledges_what_we_sent(
    as2_partner,
    station: ChainStation,
    committed,
    post,
) -> None:
    partner = as2_partner(as2_mdn_mode="async")
    row = committed(
        message_send, partner=partner, message_type=MessageType.ORDRSP, body=ORDRSP_BODY
    )
    row.refresh_from_db()
    assert (row.state, row.metadata["as2_mdn_mode"]) == (InterchangeState.SENT, "async")
    assert "as2_mdn_processed" not in row.metadata
    [received] = station.received
    assert received.mdn is not None
    assert (received.mdn.mode, received.mdn.url) == ("async", "http://testserver/edi/as2/mdn/")

    response = post("edi:as2_mdn", received.mdn.headers, received.mdn.body)

    assert response.status_code == 200
    row.refresh_from_db()
    assert row.state == InterchangeState.ACKNOWLEDGED
    assert interchange_events(row)[-1] == ("acknowledged", "mdn: accepted")
    assert row.messages.get().state == MessageState.ACKNOWLEDGED


def test_a_negative_async_mdn_rejects_what_we_sent(
    as2_partner,
    station: ChainStation,
    committed,
    post,
) -> None:
    partner = as2_partner(as2_mdn_mode="async")
    station.knows_us = False
    row = committed(
        message_send, partner=partner, message_type=MessageType.ORDRSP, body=ORDRSP_BODY
    )
    [received] = station.received
    assert received.mdn is not None

    response = post("edi:as2_mdn", received.mdn.headers, received.mdn.body)

    assert response.status_code == 200
    row.refresh_from_db()
    assert row.state == InterchangeState.REJECTED
    assert "processed/Error: unknown-trading-partner" in row.error


def test_a_forged_mdn_changes_nothing(
    as2_partner,
    station: ChainStation,
    committed,
    post,
) -> None:
    partner = as2_partner(as2_mdn_mode="async")
    row = committed(
        message_send, partner=partner, message_type=MessageType.ORDRSP, body=ORDRSP_BODY
    )
    [received] = station.received
    assert received.mdn is not None
    forged = received.mdn.body.replace(
        b"MDN-sent-automatically; processed", b"MDN-sent-automatically; failed/Failure"
    )
    assert forged != received.mdn.body

    response = post("edi:as2_mdn", received.mdn.headers, forged)

    assert response.status_code == 200
    row.refresh_from_db()
    assert row.state == InterchangeState.SENT
    kind, note = interchange_events(row)[-1]
    assert kind == "error" and note.startswith("AS2 MDN ") and "cannot be trusted" in note


def test_an_mdn_about_a_message_we_never_sent_is_dropped(
    as2_partner,
    chain: As2Identity,
    post,
    us_keys: KeyPair,
    chain_keys: KeyPair,
) -> None:
    as2_partner()
    # The chain answers a message we never recorded (built outside the gateway).
    us = As2Identity(US_ID, us_keys.key_pem, us_keys.cert_pem)
    chain_on_file = As2Partner(CHAIN_ID, "http://127.0.0.1:9/as2", chain_keys.cert_pem)
    message = as2_message_build(identity=us, partner=chain_on_file, payload=b"x", filename="x")
    answer = as2_message_receive(
        identity=chain,
        headers=message.headers,
        body=message.body,
        partner_find=lambda _as2_from: us_as_known_by(us_keys),
    )
    assert answer.mdn is not None

    response = post("edi:as2_mdn", answer.mdn.headers, answer.mdn.body)

    assert response.status_code == 200
    assert not Interchange.objects.exists()
