"""AS2 transport: two local endpoints ("us" and a retail chain) exchange messages and MDNs.

No database: run with ``pytest tests/edi/test_as2.py -p no:django``. Keys and
self-signed certificates are generated for the session (tests/edi/as2_keys.py).
"""

from __future__ import annotations

import importlib
import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from edi.transports import _oscrypto_compat
from edi.transports.as2 import (
    As2ConfigurationError,
    As2Identity,
    As2InboundResult,
    As2Mdn,
    As2OutboundMessage,
    As2Partner,
    As2SendStatus,
    As2SentMessage,
    as2_mdn_parse,
    as2_mdn_send,
    as2_message_build,
    as2_message_receive,
    as2_message_send,
)

from . import fixture_bytes
from .as2_keys import KeyPair, key_pair_generate

ROOT = Path(__file__).resolve().parents[2]
US_ID = "COMPTOIR"
CHAIN_ID = "HYPERION AS2"  # a space: AS2 names are quoted in headers
EDIFACT_LATIN1 = fixture_bytes("orders_unoc_accents.edi")
BINARY = bytes(range(256)) * 3 + b"\r\n\n\r\x00 end"


@pytest.fixture(scope="session")
def us_keys() -> KeyPair:
    return key_pair_generate("comptoir.test")


@pytest.fixture(scope="session")
def chain_keys() -> KeyPair:
    return key_pair_generate("hyperion.test", password="s3cret-é")


@pytest.fixture(scope="session")
def stranger_keys() -> KeyPair:
    return key_pair_generate("stranger.test")


@pytest.fixture
def us(us_keys: KeyPair) -> As2Identity:
    return As2Identity(US_ID, us_keys.key_pem, us_keys.cert_pem)


@pytest.fixture
def chain(chain_keys: KeyPair) -> As2Identity:
    return As2Identity(CHAIN_ID, chain_keys.key_pem, chain_keys.cert_pem, key_password="s3cret-é")


def partner_of(
    identity: As2Identity, url: str = "http://127.0.0.1:9/as2", **settings: Any
) -> As2Partner:
    """How the other side has ``identity`` on file: its id and certificate."""
    return As2Partner(identity.as2_id, url, identity.cert_pem, **settings)


def exchange(
    sender: As2Identity,
    receiver: As2Identity,
    payload: bytes,
    filename: str = "orders.edi",
    **settings: Any,
) -> tuple[As2OutboundMessage, As2InboundResult]:
    """Build from sender to receiver and receive it, both sides with the same settings."""
    outbound = as2_message_build(
        identity=sender,
        partner=partner_of(receiver, **settings),
        payload=payload,
        filename=filename,
    )
    known = {sender.as2_id: partner_of(sender, **settings)}
    inbound = as2_message_receive(
        identity=receiver, headers=outbound.headers, body=outbound.body, partner_find=known.get
    )
    return outbound, inbound


def mdn_read_by_sender(
    outbound: As2OutboundMessage, inbound: As2InboundResult, receiver: As2Identity, **settings: Any
) -> As2Mdn:
    assert inbound.mdn is not None
    sent = As2SentMessage(outbound.message_id, partner_of(receiver, **settings), outbound.mic)
    return as2_mdn_parse(
        headers=inbound.mdn.headers,
        body=inbound.mdn.body,
        sent_message_find={sent.message_id: sent}.get,
    )


# --- the oscrypto fix -------------------------------------------------------------

SIGN_IN_A_FRESH_INTERPRETER = """
import json, re, sys
import oscrypto
if sys.argv[1] == "ctypes":
    oscrypto.use_ctypes()
from edi.transports._oscrypto_compat import oscrypto_libcrypto_load
patched = oscrypto_libcrypto_load()
again = oscrypto_libcrypto_load()
import pyas2lib
from oscrypto._openssl import _libcrypto
from tests.edi.as2_keys import key_pair_generate
keys = key_pair_generate("fresh")
organization = pyas2lib.Organization("A", sign_key=keys.key_pem + keys.cert_pem)
partner = pyas2lib.Partner("B", verify_cert=keys.cert_pem, sign=True, validate_certs=False)
message = pyas2lib.Message(organization, partner)
message.build(b"UNA:+.? 'UNB+UNOC:3'", filename="x.edi")
received = pyas2lib.Message()
status, _, _ = received.parse(
    message.headers_str + b"\\r\\n" + message.content, lambda _: organization, lambda _: partner
)
version_string = sys.modules["oscrypto._openssl._libcrypto_" + oscrypto.ffi()].version_string
print(json.dumps({
    "patched": patched,
    "again": again,
    "old_regex_fails": re.search(r"\\b(\\d\\.\\d\\.\\d[a-z]*)\\b", version_string) is None,
    "version_info": list(_libcrypto.libcrypto_version_info),
    "status": status,
    "signed": received.signed,
    "content": received.content.decode(),
}))
"""


@pytest.mark.parametrize("ffi", ["cffi", "ctypes"])
def test_pyas2lib_imports_and_signs_in_a_fresh_interpreter(ffi: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", SIGN_IN_A_FRESH_INTERPRETER, ffi],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    # Patched exactly when the released regex cannot read this OpenSSL's version.
    assert report["patched"] is report["old_regex_fails"]
    assert report["again"] is False
    assert len(report["version_info"]) == 3
    assert (report["status"], report["signed"]) == ("processed", True)
    assert report["content"] == "UNA:+.? 'UNB+UNOC:3'"


def test_compat_leaves_a_working_oscrypto_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import oscrypto

    name = f"oscrypto._openssl._libcrypto_{oscrypto.ffi()}"
    imported: list[str] = []
    monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(importlib, "import_module", imported.append)
    monkeypatch.setattr(_oscrypto_compat, "_module_with_fixed_regex_load", pytest.fail)

    assert _oscrypto_compat.oscrypto_libcrypto_load() is False
    assert imported == [name]


def test_compat_raises_other_libcrypto_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    import oscrypto
    from oscrypto.errors import LibraryNotFoundError

    def missing_library(name: str) -> None:
        raise LibraryNotFoundError("The library libcrypto could not be found")

    monkeypatch.delitem(sys.modules, f"oscrypto._openssl._libcrypto_{oscrypto.ffi()}")
    monkeypatch.setattr(importlib, "import_module", missing_library)

    with pytest.raises(LibraryNotFoundError, match="could not be found"):
        _oscrypto_compat.oscrypto_libcrypto_load()


# --- round trips ------------------------------------------------------------------

SECURITY_LEVELS = {
    "signed and encrypted": {"sign": True, "encrypt": True},
    "signed only": {"sign": True, "encrypt": False},
    "plain": {"sign": False, "encrypt": False, "mdn_signed": False},
    "compressed, signed and encrypted": {"sign": True, "encrypt": True, "compress": True},
    "compressed only": {"sign": False, "encrypt": False, "compress": True},
}


@pytest.mark.parametrize("level", SECURITY_LEVELS)
@pytest.mark.parametrize("direction", ["chain to us", "us to chain"])
@pytest.mark.parametrize("payload", [EDIFACT_LATIN1, BINARY], ids=["edifact-latin1", "binary"])
def test_payload_comes_back_byte_identical_with_a_verified_sync_mdn(
    us: As2Identity, chain: As2Identity, level: str, direction: str, payload: bytes
) -> None:
    settings = SECURITY_LEVELS[level]
    sender, receiver = (chain, us) if direction == "chain to us" else (us, chain)

    outbound, inbound = exchange(sender, receiver, payload, **settings)

    assert inbound.error_message == ""
    assert inbound.processed is True
    assert inbound.payload == payload
    assert (inbound.filename, inbound.content_type) == ("orders.edi", "application/octet-stream")
    assert (inbound.message_id, inbound.sender_as2_id, inbound.receiver_as2_id) == (
        outbound.message_id,
        sender.as2_id,
        receiver.as2_id,
    )
    assert inbound.partner == partner_of(sender, **settings)
    assert (inbound.signed, inbound.encrypted, inbound.compressed) == (
        settings["sign"],
        settings["encrypt"],
        settings.get("compress", False),
    )
    assert (outbound.signed, outbound.encrypted, outbound.compressed) == (
        inbound.signed,
        inbound.encrypted,
        inbound.compressed,
    )
    assert inbound.mic == outbound.mic
    assert (outbound.mic is not None) is settings["sign"]

    assert inbound.mdn is not None
    assert (inbound.mdn.mode, inbound.mdn.processed) == ("sync", True)
    response = inbound.http_response()
    assert (response.status, response.body) == (200, inbound.mdn.body)

    mdn = mdn_read_by_sender(outbound, inbound, receiver, **settings)
    assert mdn.processed is True
    assert (mdn.status, mdn.detail) == ("processed", "")
    assert mdn.original_message_id == outbound.message_id
    assert mdn.mic_matches is (True if settings["sign"] else None)
    assert mdn.signature_verified is settings.get("mdn_signed", True)
    assert mdn.disposition == "automatic-action/MDN-sent-automatically; processed"


def test_async_mdn_is_built_by_the_receiver_and_parsed_by_the_sender(
    us: As2Identity, chain: As2Identity
) -> None:
    settings = {"mdn_mode": "async", "async_mdn_url": "https://chain.example/as2/mdn"}

    outbound, inbound = exchange(chain, us, EDIFACT_LATIN1, **settings)

    assert inbound.processed is True
    assert inbound.mdn is not None
    assert (inbound.mdn.mode, inbound.mdn.url) == ("async", "https://chain.example/as2/mdn")
    assert inbound.http_response().status == 200
    assert inbound.http_response().body == b""
    mdn = mdn_read_by_sender(outbound, inbound, us, **settings)
    assert (mdn.processed, mdn.mic_matches, mdn.signature_verified) == (True, True, True)
    assert mdn.original_message_id == outbound.message_id
    assert mdn.mdn_message_id == inbound.mdn.message_id


def test_no_mdn_asked_for_gives_none_and_an_empty_200(us: As2Identity, chain: As2Identity) -> None:
    _outbound, inbound = exchange(chain, us, b"UNA:+.? '", mdn_mode="none")

    assert (inbound.processed, inbound.mdn) == (True, None)
    assert inbound.http_response().status == 200


def test_a_partners_path_in_the_filename_is_dropped(us: As2Identity, chain: As2Identity) -> None:
    _outbound, inbound = exchange(chain, us, b"x", filename="..\\..\\etc/passwd")

    assert inbound.filename == "passwd"


# --- refusals: results, never exceptions ------------------------------------------


def test_a_tampered_encrypted_body_gives_a_negative_mdn(
    us: As2Identity, chain: As2Identity
) -> None:
    outbound = as2_message_build(
        identity=chain, partner=partner_of(us), payload=EDIFACT_LATIN1, filename="o.edi"
    )
    # The ciphertext ends the body; by CBC, flipping the last byte of its last-but-one
    # block flips the padding byte of the plaintext: the decryption fails every time.
    tampered = bytearray(outbound.body)
    tampered[-17] ^= 0xFF

    inbound = as2_message_receive(
        identity=us,
        headers=outbound.headers,
        body=bytes(tampered),
        partner_find={CHAIN_ID: partner_of(chain)}.get,
    )

    assert (inbound.processed, inbound.payload, inbound.error_code) == (
        False,
        None,
        "decryption-failed",
    )
    assert inbound.mdn is not None and inbound.mdn.processed is False
    assert inbound.http_response().status == 200  # the refusal travels in the MDN
    mdn = mdn_read_by_sender(outbound, inbound, us)
    assert (mdn.processed, mdn.status, mdn.detail) == (
        False,
        "processed/Error",
        "decryption-failed",
    )
    assert mdn.signature_verified is True
    assert mdn.disposition.endswith("processed/Error: decryption-failed")


def test_a_tampered_signed_body_fails_authentication(us: As2Identity, chain: As2Identity) -> None:
    settings = {"encrypt": False}
    outbound = as2_message_build(
        identity=chain, partner=partner_of(us, **settings), payload=b"UNH+1+ORDERS'", filename="o"
    )
    assert b"UNH+1+ORDERS'" in outbound.body

    inbound = as2_message_receive(
        identity=us,
        headers=outbound.headers,
        body=outbound.body.replace(b"UNH+1+ORDERS'", b"UNH+1+ORDERZ'"),
        partner_find={CHAIN_ID: partner_of(chain, **settings)}.get,
    )

    assert (inbound.processed, inbound.error_code) == (False, "authentication-failed")
    mdn = mdn_read_by_sender(outbound, inbound, us, **settings)
    assert (mdn.processed, mdn.detail) == (False, "authentication-failed")


def test_a_wrong_certificate_on_file_fails_the_signature_check(
    us: As2Identity, chain: As2Identity, stranger_keys: KeyPair
) -> None:
    outbound = as2_message_build(
        identity=chain, partner=partner_of(us), payload=b"UNB'", filename="o.edi"
    )
    chain_with_a_wrong_certificate = replace(partner_of(chain), cert_pem=stranger_keys.cert_pem)

    inbound = as2_message_receive(
        identity=us,
        headers=outbound.headers,
        body=outbound.body,
        partner_find={CHAIN_ID: chain_with_a_wrong_certificate}.get,
    )

    assert (inbound.processed, inbound.error_code) == (False, "authentication-failed")
    assert inbound.partner == chain_with_a_wrong_certificate


def test_an_mdn_signed_with_another_key_is_not_trusted(
    us: As2Identity, chain: As2Identity, stranger_keys: KeyPair
) -> None:
    outbound, inbound = exchange(chain, us, b"UNB'")
    assert inbound.mdn is not None
    us_with_a_wrong_certificate = replace(partner_of(us), cert_pem=stranger_keys.cert_pem)
    sent = As2SentMessage(outbound.message_id, us_with_a_wrong_certificate, outbound.mic)

    mdn = as2_mdn_parse(
        headers=inbound.mdn.headers, body=inbound.mdn.body, sent_message_find=lambda _: sent
    )

    assert (mdn.processed, mdn.status, mdn.signature_verified) == (False, "failed/Failure", False)


def test_an_unknown_as2_from_gets_a_signed_negative_mdn(
    us: As2Identity, chain: As2Identity
) -> None:
    outbound = as2_message_build(
        identity=chain, partner=partner_of(us), payload=b"UNB'", filename="o.edi"
    )

    inbound = as2_message_receive(
        identity=us, headers=outbound.headers, body=outbound.body, partner_find=lambda _: None
    )

    assert (inbound.processed, inbound.error_code, inbound.partner) == (
        False,
        "unknown-trading-partner",
        None,
    )
    assert inbound.error_message == f"Unknown AS2 partner with id {CHAIN_ID}"
    assert inbound.mdn is not None
    assert inbound.http_response().status == 200
    mdn = mdn_read_by_sender(outbound, inbound, us)
    assert (mdn.processed, mdn.status, mdn.detail) == (
        False,
        "processed/Error",
        "unknown-trading-partner",
    )
    assert mdn.signature_verified is True


def test_a_message_for_another_as2_id_is_refused(us: As2Identity, chain: As2Identity) -> None:
    someone_else = replace(partner_of(us), as2_id="NOT-US")
    outbound = as2_message_build(identity=chain, partner=someone_else, payload=b"x", filename="o")

    inbound = as2_message_receive(
        identity=us,
        headers=outbound.headers,
        body=outbound.body,
        partner_find={CHAIN_ID: partner_of(chain)}.get,
    )

    assert (inbound.processed, inbound.error_code) == (False, "unknown-trading-partner")
    assert inbound.error_message == "Unknown AS2 organization with id NOT-US"


def test_an_unencrypted_message_from_a_partner_who_must_encrypt_is_refused(
    us: As2Identity, chain: As2Identity
) -> None:
    outbound = as2_message_build(
        identity=chain, partner=partner_of(us, encrypt=False), payload=b"x", filename="o"
    )

    inbound = as2_message_receive(
        identity=us,
        headers=outbound.headers,
        body=outbound.body,
        partner_find={CHAIN_ID: partner_of(chain, encrypt=True)}.get,
    )

    assert (inbound.processed, inbound.error_code) == (False, "insufficient-message-security")


def test_a_message_id_received_before_is_a_duplicate(us: As2Identity, chain: As2Identity) -> None:
    outbound = as2_message_build(identity=chain, partner=partner_of(us), payload=b"x", filename="o")
    checked: list[tuple[str, str]] = []

    def seen_before(message_id: str, as2_from: str) -> bool:
        checked.append((message_id, as2_from))
        return True

    inbound = as2_message_receive(
        identity=us,
        headers=outbound.headers,
        body=outbound.body,
        partner_find={CHAIN_ID: partner_of(chain)}.get,
        message_is_duplicate=seen_before,
    )

    assert checked == [(outbound.message_id, CHAIN_ID)]
    assert (inbound.processed, inbound.error_code) == (False, "duplicate-document")
    mdn = mdn_read_by_sender(outbound, inbound, us)
    assert (mdn.processed, mdn.status, mdn.detail) == (
        False,
        "processed/Warning",
        "duplicate-document",
    )


def test_a_request_without_as2_headers_is_a_400(us: As2Identity) -> None:
    inbound = as2_message_receive(
        identity=us,
        headers={"content-type": "text/plain", "as2-from": "X"},
        body=b"hello",
        partner_find=pytest.fail,
    )

    assert (inbound.processed, inbound.error_code, inbound.mdn) == (False, "not-as2", None)
    assert inbound.error_message == "Not an AS2 message: missing header(s) AS2-To, Message-ID."
    assert inbound.http_response().status == 400


def test_garbage_with_as2_headers_is_an_error_result(us: As2Identity, chain: As2Identity) -> None:
    headers = {
        "AS2-From": CHAIN_ID,
        "AS2-To": US_ID,
        "Message-ID": "<1@x>",
        "Content-Type": 'application/pkcs7-mime; smime-type="enveloped-data"',
        "Disposition-Notification-To": "x",
        "Disposition-Notification-Options": "signed-receipt-protocol=required, pkcs7-signature; "
        "signed-receipt-micalg=optional, sha256",
    }

    inbound = as2_message_receive(
        identity=us, headers=headers, body=b"\x00garbage", partner_find=lambda _: partner_of(chain)
    )

    assert (inbound.processed, inbound.error_code) == (False, "unexpected-processing-error")
    assert inbound.error_message == "Insufficient data - 103 bytes requested but only 6 available"
    assert inbound.mdn is not None and inbound.mdn.processed is False


def test_headers_are_read_whatever_their_case(us: As2Identity, chain: As2Identity) -> None:
    outbound = as2_message_build(identity=chain, partner=partner_of(us), payload=b"x", filename="o")
    lower = {name.lower(): value for name, value in outbound.headers.items()}
    lower["content-length"] = str(len(outbound.body))
    lower["transfer-encoding"] = "chunked"

    inbound = as2_message_receive(
        identity=us, headers=lower, body=outbound.body, partner_find=lambda _: partner_of(chain)
    )

    assert (inbound.processed, inbound.payload) == (True, b"x")


def test_a_failing_partner_lookup_is_raised_again(us: As2Identity, chain: As2Identity) -> None:
    outbound = as2_message_build(identity=chain, partner=partner_of(us), payload=b"x", filename="o")

    def database_down(_as2_from: str) -> As2Partner:
        raise ConnectionError("database down")

    with pytest.raises(ConnectionError, match="database down"):
        as2_message_receive(
            identity=us, headers=outbound.headers, body=outbound.body, partner_find=database_down
        )


def test_an_mdn_with_another_mic_is_not_a_delivery(us: As2Identity, chain: As2Identity) -> None:
    outbound, inbound = exchange(chain, us, b"x")
    assert inbound.mdn is not None
    sent = As2SentMessage(outbound.message_id, partner_of(us), "bm90IHRoZSBtaWM=")

    mdn = as2_mdn_parse(
        headers=inbound.mdn.headers, body=inbound.mdn.body, sent_message_find=lambda _: sent
    )

    assert (mdn.processed, mdn.status, mdn.detail, mdn.mic_matches) == (
        False,
        "processed",
        "mic-mismatch",
        False,
    )


def test_an_mdn_for_an_unknown_message_is_not_a_delivery(
    us: As2Identity, chain: As2Identity
) -> None:
    _outbound, inbound = exchange(chain, us, b"x")
    assert inbound.mdn is not None

    mdn = as2_mdn_parse(
        headers=inbound.mdn.headers, body=inbound.mdn.body, sent_message_find=lambda _: None
    )

    assert (mdn.processed, mdn.detail) == (False, "original-message-not-found")


def test_a_body_that_is_no_mdn_is_not_a_delivery() -> None:
    mdn = as2_mdn_parse(
        headers={"Content-Type": "text/plain"}, body=b"OK", sent_message_find=pytest.fail
    )

    assert (mdn.processed, mdn.status, mdn.detail) == (False, "failed/Failure", "mdn-not-found")


# --- configuration errors ---------------------------------------------------------


def test_partner_settings_are_checked(chain: As2Identity) -> None:
    with pytest.raises(As2ConfigurationError, match="MDN mode"):
        partner_of(chain, mdn_mode="SYNC")
    with pytest.raises(As2ConfigurationError, match="encryption algorithm"):
        partner_of(chain, encryption_algorithm="des")


def test_encrypting_without_their_certificate_is_a_configuration_error(us: As2Identity) -> None:
    no_certificate = As2Partner("X", "http://127.0.0.1:9/", None, mdn_signed=False)

    with pytest.raises(As2ConfigurationError, match="needs their certificate") as caught:
        as2_message_build(identity=us, partner=no_certificate, payload=b"x", filename="o")
    assert caught.value.details == {"field": "cert_pem"}


def test_a_wrong_key_password_is_a_configuration_error(us: As2Identity, chain: As2Identity) -> None:
    with pytest.raises(As2ConfigurationError, match="cannot be loaded"):
        as2_message_build(
            identity=replace(chain, key_password="wrong"),
            partner=partner_of(us),
            payload=b"x",
            filename="o",
        )


# --- over HTTP --------------------------------------------------------------------


class Endpoint:
    """One ThreadingHTTPServer on 127.0.0.1: /as2 receives as ``identity``; /mdn takes MDNs."""

    def __init__(self, identity: As2Identity, partners: dict[str, As2Partner]) -> None:
        self.identity = identity
        self.partners = partners
        self.received: list[As2InboundResult] = []
        self.mdns: list[As2Mdn] = []
        self.sent: dict[str, As2SentMessage] = {}
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = dict(self.headers.items())
                if self.path == "/as2":
                    result = as2_message_receive(
                        identity=endpoint.identity,
                        headers=headers,
                        body=body,
                        partner_find=endpoint.partners.get,
                    )
                    endpoint.received.append(result)
                    response = result.http_response()
                    self.answer(response.status, response.headers, response.body)
                elif self.path == "/mdn":
                    endpoint.mdns.append(
                        as2_mdn_parse(
                            headers=headers, body=body, sent_message_find=endpoint.sent.get
                        )
                    )
                    self.answer(200, {}, b"")
                else:
                    self.answer(503, {"Content-Type": "text/plain"}, b"maintenance")

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

    def __enter__(self) -> Endpoint:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def our_endpoint(us: As2Identity, chain: As2Identity) -> Iterator[Endpoint]:
    with Endpoint(us, {CHAIN_ID: partner_of(chain)}) as endpoint:
        yield endpoint


@pytest.mark.parametrize("payload", [EDIFACT_LATIN1, BINARY], ids=["edifact-latin1", "binary"])
def test_http_round_trip_with_a_sync_mdn(
    our_endpoint: Endpoint, us: As2Identity, payload: bytes, chain: As2Identity
) -> None:
    us_for_the_chain = partner_of(us, url=f"{our_endpoint.url}/as2")
    outbound = as2_message_build(
        identity=chain, partner=us_for_the_chain, payload=payload, filename="ORDERS_0007.edi"
    )

    result = as2_message_send(message=outbound, partner=us_for_the_chain, timeout=10)

    assert result.detail == "automatic-action/MDN-sent-automatically; processed"
    assert (result.status, result.http_status, result.retryable) == (
        As2SendStatus.DELIVERED,
        200,
        False,
    )
    assert result.mdn is not None and result.mdn.mic_matches is True
    [received] = our_endpoint.received
    assert (received.processed, received.payload, received.filename) == (
        True,
        payload,
        "ORDERS_0007.edi",
    )
    assert received.message_id == result.message_id == outbound.message_id


def test_http_round_trip_with_an_async_mdn(
    our_endpoint: Endpoint, us: As2Identity, chain: As2Identity
) -> None:
    # The chain's own MDN URL is the same test server's /mdn (its sent list is ours here).
    us_for_the_chain = partner_of(
        us, url=f"{our_endpoint.url}/as2", mdn_mode="async", async_mdn_url=f"{our_endpoint.url}/mdn"
    )
    outbound = as2_message_build(
        identity=chain, partner=us_for_the_chain, payload=EDIFACT_LATIN1, filename="o.edi"
    )
    our_endpoint.sent[outbound.message_id] = As2SentMessage(
        outbound.message_id, us_for_the_chain, outbound.mic
    )

    result = as2_message_send(message=outbound, partner=us_for_the_chain, timeout=10)

    assert (result.status, result.detail, result.mdn) == (
        As2SendStatus.AWAITING_MDN,
        "awaiting MDN",
        None,
    )
    [received] = our_endpoint.received
    assert received.payload == EDIFACT_LATIN1
    assert received.mdn is not None and received.mdn.url == f"{our_endpoint.url}/mdn"

    delivery = as2_mdn_send(mdn=received.mdn, timeout=10)

    assert (delivery.status, delivery.http_status) == (As2SendStatus.SENT, 200)
    [mdn] = our_endpoint.mdns
    assert (mdn.processed, mdn.original_message_id, mdn.mic_matches) == (
        True,
        outbound.message_id,
        True,
    )


def test_an_unknown_partner_over_http_is_failed_with_the_mdn_text(
    our_endpoint: Endpoint, us: As2Identity, stranger_keys: KeyPair
) -> None:
    stranger = As2Identity("STRANGER", stranger_keys.key_pem, stranger_keys.cert_pem)
    us_for_the_stranger = partner_of(us, url=f"{our_endpoint.url}/as2")
    outbound = as2_message_build(
        identity=stranger, partner=us_for_the_stranger, payload=b"x", filename="o"
    )

    result = as2_message_send(message=outbound, partner=us_for_the_stranger, timeout=10)

    assert result.status is As2SendStatus.FAILED
    assert result.detail == (
        "processed/Error: unknown-trading-partner (automatic-action/MDN-sent-automatically; "
        "processed/Error: unknown-trading-partner)"
    )


def test_a_5xx_or_no_answer_is_a_retryable_transport_error(
    our_endpoint: Endpoint, us: As2Identity, chain: As2Identity
) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    for url in (f"{our_endpoint.url}/down", f"http://127.0.0.1:{closed_port}/as2"):
        partner = partner_of(us, url=url)
        outbound = as2_message_build(identity=chain, partner=partner, payload=b"x", filename="o")

        result = as2_message_send(message=outbound, partner=partner, timeout=5)

        assert (result.status, result.retryable) == (As2SendStatus.TRANSPORT_ERROR, True), url
        assert result.message_id == outbound.message_id
    assert our_endpoint.received == []
