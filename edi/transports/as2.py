"""AS2 (RFC 4130): build, send and receive EDI messages and their MDNs, with pyas2lib.

This module knows no Django and no model: the gateway hands it frozen dataclasses
(``As2Identity`` for our side, ``As2Partner`` for theirs) and plain callables that
look partners and sent messages up, and gets frozen results back.

- ``as2_message_build`` turns a payload into a message id, HTTP headers, a body and
  the MIC the MDN must return; ``as2_message_send`` POSTs it and, for a synchronous
  MDN, verifies the answer.
- ``as2_message_receive`` decrypts, verifies and decompresses an inbound message and
  says which MDN to answer (in the HTTP response, or POSTed later by
  ``as2_mdn_send``). What a partner sends never raises: an unknown partner, a bad
  signature or an undecryptable body is a result with an error code and, when the
  partner asked for one, a negative MDN.
- ``as2_mdn_parse`` reads an asynchronous MDN for MDN tracking.

Trust: a partner's certificate is pinned (exchanged out of band and stored on the
partner); it is not validated against a CA chain or its dates, as AS2 partners
commonly use self-signed certificates. Watching expiry belongs to the partner screens.

Errors in our own configuration (our key does not load, encryption asked with no
partner certificate…) raise ``As2ConfigurationError``; exceptions raised by the
gateway's own look-up callables (a database outage) are raised again unchanged, so
the view answers 500 and the partner's AS2 server retries.
"""

from __future__ import annotations

import email
import email.message
import email.utils
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PureWindowsPath
from typing import Any

from comptoir.exceptions import DomainError

from ._oscrypto_compat import oscrypto_libcrypto_load

oscrypto_libcrypto_load()  # must run before pyas2lib imports oscrypto

import pyas2lib  # noqa: E402
from pyas2lib.exceptions import (  # noqa: E402
    AS2Exception,
    ImproperlyConfigured,
    PartnerNotFound,
)

logger = logging.getLogger(__name__)

MDN_MODES = ("sync", "async", "none")
DEFAULT_TIMEOUT_SECONDS = 60.0
# application/octet-stream is the one content type pyas2lib sends as binary; any
# other (application/EDIFACT…) is sent as MIME text, whose line breaks become CRLF.
DEFAULT_CONTENT_TYPE = "application/octet-stream"

# Headers that describe the HTTP connection, not the AS2 message.
_HOP_BY_HOP_HEADERS = frozenset(
    {
        "connection",
        "content-length",
        "host",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_REQUIRED_INBOUND_HEADERS = ("AS2-From", "AS2-To", "Message-ID")
_RETRYABLE_HTTP_STATUSES = frozenset({408, 429})
_LINE_BREAKS = re.compile(r"[ \t]*[\r\n]+[ \t]*")


class As2ConfigurationError(DomainError):
    """Our side of an AS2 exchange is misconfigured (keys, certificates, settings)."""

    code = "as2_configuration"


@dataclass(frozen=True)
class As2Identity:
    """Our side. Keys come from files named in settings or the environment, never the repo."""

    as2_id: str
    key_pem: bytes  # our private key, PEM, unencrypted or encrypted with key_password
    cert_pem: bytes  # our certificate, for signing and decryption
    key_password: str = ""


@dataclass(frozen=True)
class As2Partner:
    """A trading partner. ``sign``/``encrypt`` are what we send and what we require of them."""

    as2_id: str
    url: str  # where we POST messages to them
    cert_pem: bytes | None  # theirs: verifies their signatures, encrypts to them
    sign: bool = True
    encrypt: bool = True
    compress: bool = False
    mdn_mode: str = "sync"  # "sync" | "async" | "none"
    mdn_signed: bool = True
    async_mdn_url: str = ""  # our URL they must send an async MDN to
    encryption_algorithm: str = "aes_256_cbc"
    digest_algorithm: str = "sha256"

    def __post_init__(self) -> None:
        if self.mdn_mode not in MDN_MODES:
            raise As2ConfigurationError(
                f"AS2 partner {self.as2_id}: MDN mode {self.mdn_mode!r} is not one of {MDN_MODES}.",
                field="mdn_mode",
            )
        if self.encryption_algorithm not in pyas2lib.ENCRYPTION_ALGORITHMS:
            raise As2ConfigurationError(
                f"AS2 partner {self.as2_id}: encryption algorithm "
                f"{self.encryption_algorithm!r} is not one of {pyas2lib.ENCRYPTION_ALGORITHMS}.",
                field="encryption_algorithm",
            )
        if self.digest_algorithm not in pyas2lib.DIGEST_ALGORITHMS:
            raise As2ConfigurationError(
                f"AS2 partner {self.as2_id}: digest algorithm {self.digest_algorithm!r} "
                f"is not one of {pyas2lib.DIGEST_ALGORITHMS}.",
                field="digest_algorithm",
            )


@dataclass(frozen=True)
class As2OutboundMessage:
    """A built message, ready to POST. Keep ``message_id`` and ``mic`` for MDN tracking."""

    message_id: str  # without angle brackets
    partner_as2_id: str
    headers: dict[str, str]
    body: bytes
    mic: str | None  # base64 digest the MDN must return; None when not signed
    mic_algorithm: str | None
    mdn_mode: str
    signed: bool
    encrypted: bool
    compressed: bool


@dataclass(frozen=True)
class As2SentMessage:
    """What an MDN is checked against: returned by the gateway's look-up for async MDNs."""

    message_id: str
    partner: As2Partner
    mic: str | None


@dataclass(frozen=True)
class As2Mdn:
    """A received MDN, read and verified."""

    original_message_id: str | None
    mdn_message_id: str | None
    processed: bool  # "processed" with no error, signature and MIC checked
    status: str  # "processed", "processed/Error", "processed/Warning", "failed/Failure"
    detail: str  # why it is not processed ("decryption-failed", …); "" when processed
    disposition: str  # the Disposition field as the partner wrote it
    text: str  # the human-readable part of the MDN
    received_mic: str | None
    expected_mic: str | None
    signature_verified: bool

    @property
    def mic_matches(self) -> bool | None:
        """None when no MIC was expected (unsigned message)."""
        if self.expected_mic is None:
            return None
        return self.received_mic == self.expected_mic


class As2SendStatus(StrEnum):
    DELIVERED = "delivered"  # positive synchronous MDN, verified
    AWAITING_MDN = "awaiting_mdn"  # accepted; the MDN comes later to our URL
    SENT = "sent"  # accepted; no MDN was asked for
    FAILED = "failed"  # refused: negative or unverifiable MDN, HTTP 4xx
    TRANSPORT_ERROR = "transport_error"  # no answer, timeout, HTTP 5xx: retry later


@dataclass(frozen=True)
class As2SendResult:
    message_id: str
    status: As2SendStatus
    detail: str
    http_status: int | None = None
    mdn: As2Mdn | None = None

    @property
    def retryable(self) -> bool:
        return self.status is As2SendStatus.TRANSPORT_ERROR


@dataclass(frozen=True)
class As2MdnReply:
    """The MDN to answer an inbound message with."""

    mode: str  # "sync": in the HTTP response; "async": POST it to ``url`` (as2_mdn_send)
    headers: dict[str, str]
    body: bytes
    url: str = ""
    message_id: str = ""
    processed: bool = False


@dataclass(frozen=True)
class As2HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class As2InboundResult:
    """An inbound message, processed or not; never an exception for what the partner sent."""

    processed: bool
    message_id: str | None
    sender_as2_id: str | None
    receiver_as2_id: str | None
    partner: As2Partner | None  # as found by the look-up; None when unknown
    payload: bytes | None  # only when processed
    filename: str | None  # base name only: never trust a partner's path
    content_type: str | None
    error_code: str  # disposition modifier ("authentication-failed", …); "" when processed
    error_message: str
    signed: bool
    encrypted: bool
    compressed: bool
    mic: str | None
    mdn: As2MdnReply | None

    def http_response(self) -> As2HttpResponse:
        """What to answer the POST with: the synchronous MDN, else 200, else 400.

        A negative MDN still travels with HTTP 200 (RFC 4130): the MDN carries the refusal.
        """
        if self.mdn is not None and self.mdn.mode == "sync":
            return As2HttpResponse(200, dict(self.mdn.headers), self.mdn.body)
        if self.processed or self.mdn is not None:
            return As2HttpResponse(200)
        return As2HttpResponse(
            400,
            {"Content-Type": "text/plain; charset=utf-8"},
            f"{self.error_code}: {self.error_message}".encode(),
        )


# --- build and send ---------------------------------------------------------------


def as2_message_build(
    *,
    identity: As2Identity,
    partner: As2Partner,
    payload: bytes,
    filename: str,
    content_type: str = DEFAULT_CONTENT_TYPE,
    subject: str = "EDI",
    message_id: str | None = None,
) -> As2OutboundMessage:
    """Compress, sign and encrypt ``payload`` for ``partner`` as its settings say.

    ``message_id`` is the left part of the Message-ID (the right part is derived
    from our AS2 id); a unique one is generated when omitted. Raises
    ``As2ConfigurationError`` when our key or their certificate cannot be used.
    """
    if partner.encrypt and not partner.cert_pem:
        raise As2ConfigurationError(
            f"AS2 partner {partner.as2_id}: encryption needs their certificate.",
            field="cert_pem",
        )
    if partner.mdn_mode != "none" and partner.mdn_signed and not partner.cert_pem:
        raise As2ConfigurationError(
            f"AS2 partner {partner.as2_id}: a signed MDN needs their certificate to verify it.",
            field="cert_pem",
        )
    if partner.mdn_mode == "async" and not partner.async_mdn_url:
        raise As2ConfigurationError(
            f"AS2 partner {partner.as2_id}: an asynchronous MDN needs our MDN URL.",
            field="async_mdn_url",
        )
    organization = _organization(identity, mdn_url=partner.async_mdn_url or None)
    message = pyas2lib.Message(sender=organization, receiver=_pyas2lib_partner(partner))
    try:
        message.build(
            payload,
            filename=filename,
            subject=subject,
            content_type=content_type,
            disposition_notification_to=identity.as2_id,
            message_id=message_id,
        )
    except (AS2Exception, ImproperlyConfigured, ValueError) as error:
        raise As2ConfigurationError(
            f"AS2 message to {partner.as2_id} could not be built: {error}"
        ) from error
    return As2OutboundMessage(
        message_id=message.message_id,
        partner_as2_id=partner.as2_id,
        headers={name: str(value) for name, value in message.headers.items()},
        body=message.content,
        mic=message.mic.decode("ascii") if message.mic else None,
        mic_algorithm=message.digest_alg if message.mic else None,
        mdn_mode=partner.mdn_mode,
        signed=message.signed,
        encrypted=message.encrypted,
        compressed=message.compressed,
    )


def as2_message_send(
    *,
    message: As2OutboundMessage,
    partner: As2Partner,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> As2SendResult:
    """POST ``message`` to ``partner.url``; verify the synchronous MDN if one is expected.

    Never call it inside a transaction holding locks (STYLE 14). Network failures,
    timeouts and HTTP 5xx give ``TRANSPORT_ERROR`` (retry the same built message);
    a refusal gives ``FAILED``.
    """
    if message.partner_as2_id != partner.as2_id:
        raise ValueError(
            f"Message {message.message_id} was built for {message.partner_as2_id}, "
            f"not {partner.as2_id}."
        )
    answer = _http_post(partner.url, message.headers, message.body, timeout, message.message_id)
    if isinstance(answer, As2SendResult):
        return answer
    http_status, response_headers, response_body = answer
    if partner.mdn_mode == "none":
        return As2SendResult(message.message_id, As2SendStatus.SENT, "", http_status)
    if partner.mdn_mode == "async":
        return As2SendResult(
            message.message_id, As2SendStatus.AWAITING_MDN, "awaiting MDN", http_status
        )
    sent = As2SentMessage(message.message_id, partner, message.mic)
    mdn = _mdn_read(
        _header_items(response_headers),
        response_body,
        lambda original_message_id: sent if original_message_id == sent.message_id else None,
    )
    status = As2SendStatus.DELIVERED if mdn.processed else As2SendStatus.FAILED
    return As2SendResult(message.message_id, status, _mdn_summary(mdn), http_status, mdn)


def as2_mdn_send(*, mdn: As2MdnReply, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> As2SendResult:
    """POST an asynchronous MDN to the URL the partner asked for.

    That URL comes from the partner's message: only http(s) is followed, and the
    gateway should check it against what the partner agreed to before calling this.
    """
    if mdn.mode != "async" or not mdn.url.lower().startswith(("http://", "https://")):
        return As2SendResult(
            mdn.message_id,
            As2SendStatus.FAILED,
            f"not an asynchronous MDN to an http(s) URL: {mdn.url!r}",
        )
    answer = _http_post(mdn.url, mdn.headers, mdn.body, timeout, mdn.message_id)
    if isinstance(answer, As2SendResult):
        return answer
    return As2SendResult(mdn.message_id, As2SendStatus.SENT, "", answer[0])


# --- receive ----------------------------------------------------------------------


def as2_message_receive(
    *,
    identity: As2Identity,
    headers: Mapping[str, str],
    body: bytes,
    partner_find: Callable[[str], As2Partner | None],
    message_is_duplicate: Callable[[str, str], bool] | None = None,
) -> As2InboundResult:
    """Decrypt, verify and decompress an inbound AS2 message; build the MDN it asked for.

    ``headers`` are the HTTP request headers (any case; Django's ``request.headers``
    fits), ``body`` the raw request body. ``partner_find(as2_from)`` returns the
    partner or None; ``message_is_duplicate(message_id, as2_from)``, when given,
    makes an already received message id answer "processed/Warning:
    duplicate-document". Both are called at most once.

    An unknown partner, a security level below the partner's settings, a bad
    signature, an undecryptable or undecompressable body: ``processed=False`` with
    the RFC 4130 disposition modifier as ``error_code`` and a negative MDN when the
    partner asked for an MDN. Raises only ``As2ConfigurationError`` (our key) and
    what the two callables raise.
    """
    header_items = _header_items(headers)
    missing = [name for name in _REQUIRED_INBOUND_HEADERS if not _header(header_items, name)]
    sender_as2_id = _unquoted(_header(header_items, "AS2-From"))
    receiver_as2_id = _unquoted(_header(header_items, "AS2-To"))
    message_id = (_header(header_items, "Message-ID") or "").strip().strip("<>") or None
    if missing:
        return _inbound_failure(
            message_id,
            sender_as2_id,
            receiver_as2_id,
            "not-as2",
            f"Not an AS2 message: missing header(s) {', '.join(missing)}.",
        )
    lookup = _InboundLookup(identity, partner_find, message_is_duplicate)
    message = pyas2lib.Message()
    try:
        status, (exception, _traceback), mdn = message.parse(
            _raw_mime(header_items, body),
            find_org_cb=lookup.organization_find,
            find_partner_cb=lookup.partner_find,
            find_message_cb=lookup.message_check,
        )
    except Exception as error:  # untrusted input through a third-party parser
        # pyas2lib catches what happens while decrypting and verifying; what escapes
        # comes from its MDN building or MIME parsing on a malformed message.
        lookup.callback_error_raise()
        logger.warning("AS2 message %s from %s not readable", message_id, sender_as2_id)
        return _inbound_failure(
            message_id,
            sender_as2_id,
            receiver_as2_id,
            "unexpected-processing-error",
            f"{type(error).__name__}: {error}",
            partner=lookup.partner,
        )
    lookup.callback_error_raise()
    mdn_reply = (
        _mdn_reply(
            mdn,
            processed=status == "processed",
            as2_from=_header(header_items, "AS2-To") or "",
            as2_to=_header(header_items, "AS2-From") or "",
        )
        if mdn is not None
        else None
    )
    common: dict[str, Any] = {
        "message_id": message.message_id,
        "sender_as2_id": sender_as2_id,
        "receiver_as2_id": receiver_as2_id,
        "partner": lookup.partner,
        "signed": message.signed,
        "encrypted": message.encrypted,
        "compressed": message.compressed,
        "mic": message.mic.decode("ascii") if message.mic else None,
        "mdn": mdn_reply,
    }
    if status != "processed":
        # The modifier pyas2lib puts in the MDN; exceptions not its own are "unexpected".
        error_code = getattr(exception, "disposition_modifier", "unexpected-processing-error")
        logger.warning(
            "AS2 message %s from %s refused: %s (%s)",
            message.message_id,
            sender_as2_id,
            error_code,
            exception,
        )
        return As2InboundResult(
            processed=False,
            payload=None,
            filename=None,
            content_type=None,
            error_code=error_code,
            error_message=str(exception) if exception else status,
            **common,
        )
    content = message.content
    return As2InboundResult(
        processed=True,
        payload=content if isinstance(content, bytes) else content.encode(),
        filename=_safe_filename(message.payload.get_filename()),
        content_type=message.payload.get_content_type(),
        error_code="",
        error_message="",
        **common,
    )


# --- MDNs -------------------------------------------------------------------------


def as2_mdn_parse(
    *,
    headers: Mapping[str, str],
    body: bytes,
    sent_message_find: Callable[[str], As2SentMessage | None],
) -> As2Mdn:
    """Read and verify an asynchronous MDN POSTed to our MDN URL.

    ``sent_message_find(original_message_id)`` returns the message we sent (with
    its partner and expected MIC) or None. The result says which message it
    answers, whether it was processed, and whether the MIC matches. Never raises
    for what the partner sent; raises what ``sent_message_find`` raises. Answer the
    HTTP request with 200 whatever the result.
    """
    return _mdn_read(_header_items(headers), body, sent_message_find)


def _mdn_read(
    items: list[tuple[str, str]],
    body: bytes,
    sent_message_find: Callable[[str], As2SentMessage | None],
) -> As2Mdn:
    found: list[As2SentMessage] = []
    callback_errors: list[Exception] = []

    def find_message(original_message_id: str, _original_recipient: str) -> Any:
        # pyas2lib swallows every exception of this callback: keep ours to raise again.
        try:
            sent = sent_message_find(original_message_id)
        except Exception as error:
            callback_errors.append(error)
            raise
        if sent is None:
            return None
        found.append(sent)
        stand_in = pyas2lib.Message(receiver=_pyas2lib_partner(sent.partner))
        stand_in.message_id = sent.message_id
        stand_in.mic = sent.mic.encode("ascii") if sent.mic else None
        return stand_in

    mdn = pyas2lib.Mdn()
    status, detail = mdn.parse(_raw_mime(items, body), find_message)
    if callback_errors:
        raise callback_errors[0]
    status = status or "failed/Failure"
    detail = detail or ""
    if status == "processed/warning" and detail == "Message Integrity check failed.":
        # pyas2lib's own MIC check rewrote the partner's "processed": checked below.
        status, detail = "processed", ""
    fields = _disposition_fields(mdn.payload)
    received_mic = (fields.get("received-content-mic") or "").split(",")[0].strip() or None
    sent = found[0] if found else None
    expected_mic = sent.mic if sent else None
    sender = _unquoted(_header(items, "AS2-From"))
    if sent is None:
        detail = detail or "original-message-not-found"
    elif sender != sent.partner.as2_id:
        detail = f"MDN sent by {sender!r}, not by {sent.partner.as2_id!r}"
    elif status == "processed" and expected_mic is not None and received_mic != expected_mic:
        detail = "mic-missing" if received_mic is None else "mic-mismatch"
    processed = sent is not None and status == "processed" and not detail
    return As2Mdn(
        original_message_id=mdn.orig_message_id,
        mdn_message_id=mdn.message_id,
        processed=processed,
        status=status,
        detail="" if processed else detail or status,
        disposition=fields.get("disposition", ""),
        text=_mdn_text(mdn.payload),
        received_mic=received_mic,
        expected_mic=expected_mic,
        signature_verified=mdn.digest_alg is not None,
    )


def _mdn_reply(mdn: pyas2lib.Mdn, *, processed: bool, as2_from: str, as2_to: str) -> As2MdnReply:
    headers = {name: str(value) for name, value in mdn.headers.items()}
    # pyas2lib quotes the ids of the message a second time ('"\\"A B\\""'); these
    # outer headers are not signed, so they are set back to the message's own ones.
    headers.update(
        {"AS2-From": _LINE_BREAKS.sub(" ", as2_from), "AS2-To": _LINE_BREAKS.sub(" ", as2_to)}
    )
    return As2MdnReply(
        mode="async" if mdn.mdn_mode == "ASYNC" else "sync",
        headers=headers,
        body=mdn.content,
        url=mdn.mdn_url or "",
        message_id=mdn.message_id or "",
        processed=processed,
    )


def _disposition_fields(payload: email.message.Message | None) -> dict[str, str]:
    """The fields of the message/disposition-notification part, lower-cased names."""
    fields: dict[str, str] = {}
    if payload is None:
        return fields
    for part in payload.walk():
        if part.get_content_type() != "message/disposition-notification":
            continue
        blocks = part.get_payload()
        if isinstance(blocks, str):  # an MDN we built rather than parsed
            blocks = [email.message_from_string(blocks)]
        for block in blocks:
            for name, value in block.items():
                fields.setdefault(name.lower(), " ".join(str(value).split()))
    return fields


def _mdn_text(payload: email.message.Message | None) -> str:
    if payload is None:
        return ""
    for part in payload.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True)
            if isinstance(text, bytes):
                return text.decode("utf-8", errors="replace").strip()
    return ""


def _mdn_summary(mdn: As2Mdn) -> str:
    if mdn.processed:
        return mdn.disposition or mdn.status
    reason = f"{mdn.status}: {mdn.detail}" if mdn.detail else mdn.status
    return f"{reason} ({mdn.disposition})" if mdn.disposition else reason


# --- helpers ----------------------------------------------------------------------


class _InboundLookup:
    """The callbacks pyas2lib calls while parsing, and what they found.

    pyas2lib builds the MDN after its try block and signs it with
    ``message.sender.sign_alg``: when the partner is unknown (``sender`` None) and a
    signed MDN was asked for, it raises AttributeError instead of answering
    "unknown-trading-partner". So an unknown partner gets a stand-in Partner and
    the refusal is raised from ``message_check``, which pyas2lib calls inside its
    try block right after; the negative MDN is then built and signed normally.
    """

    def __init__(
        self,
        identity: As2Identity,
        partner_find: Callable[[str], As2Partner | None],
        message_is_duplicate: Callable[[str, str], bool] | None,
    ) -> None:
        self.identity = identity
        self.organization = _organization(identity)
        self._partner_find = partner_find
        self._message_is_duplicate = message_is_duplicate
        self.partner: As2Partner | None = None
        self._unknown_partner_id: str | None = None
        self._callback_error: Exception | None = None

    def organization_find(self, as2_to: str) -> pyas2lib.Organization | None:
        return self.organization if as2_to == self.identity.as2_id else None

    def partner_find(self, as2_from: str) -> pyas2lib.Partner:
        try:
            self.partner = self._partner_find(as2_from)
        except Exception as error:
            self._callback_error = error
            raise
        if self.partner is None:
            self._unknown_partner_id = as2_from
            return pyas2lib.Partner(as2_name=as2_from)
        return _pyas2lib_partner(self.partner)

    def message_check(self, message_id: str, as2_from: str) -> bool:
        if self._unknown_partner_id is not None:
            raise PartnerNotFound(f"Unknown AS2 partner with id {self._unknown_partner_id}")
        if self._message_is_duplicate is None:
            return False
        try:
            return self._message_is_duplicate(message_id, as2_from)
        except Exception as error:
            self._callback_error = error
            raise

    def callback_error_raise(self) -> None:
        if self._callback_error is not None:
            raise self._callback_error


def _organization(identity: As2Identity, mdn_url: str | None = None) -> pyas2lib.Organization:
    key = identity.key_pem.rstrip(b"\r\n") + b"\n" + identity.cert_pem
    password = identity.key_password or None
    try:
        return pyas2lib.Organization(
            as2_name=identity.as2_id,
            sign_key=key,
            sign_key_pass=password,
            decrypt_key=key,
            decrypt_key_pass=password,
            mdn_url=mdn_url,
            domain=_message_id_domain(identity.as2_id),
        )
    except (AS2Exception, ValueError, TypeError, OSError) as error:
        raise As2ConfigurationError(
            f"Our AS2 key or certificate ({identity.as2_id}) cannot be loaded: {error}",
            field="key_pem",
        ) from error


def _pyas2lib_partner(partner: As2Partner) -> pyas2lib.Partner:
    return pyas2lib.Partner(
        as2_name=partner.as2_id,
        verify_cert=partner.cert_pem,
        encrypt_cert=partner.cert_pem,
        validate_certs=False,  # pinned certificate, see the module docstring
        compress=partner.compress,
        sign=partner.sign,
        encrypt=partner.encrypt,
        enc_alg=partner.encryption_algorithm,
        digest_alg=partner.digest_algorithm,
        mdn_mode={"sync": "SYNC", "async": "ASYNC"}.get(partner.mdn_mode),
        mdn_digest_alg=partner.digest_algorithm if partner.mdn_signed else None,
    )


def _message_id_domain(as2_id: str) -> str:
    # pyas2lib would otherwise ask the DNS for our host name on every message.
    return re.sub(r"[^A-Za-z0-9.-]+", "-", as2_id).strip("-.") or "as2"


def _http_post(
    url: str, headers: Mapping[str, str], body: bytes, timeout: float, message_id: str
) -> tuple[int, list[tuple[str, str]], bytes] | As2SendResult:
    """The answer (status, headers, body), or a FAILED / TRANSPORT_ERROR result."""
    request = urllib.request.Request(
        url,
        data=body,
        headers={**headers, "User-Agent": "Comptoir AS2"},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, list(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        detail = error.read()[:500].decode("utf-8", errors="replace").strip()
        status = (
            As2SendStatus.TRANSPORT_ERROR
            if error.code >= 500 or error.code in _RETRYABLE_HTTP_STATUSES
            else As2SendStatus.FAILED
        )
        return As2SendResult(
            message_id, status, f"HTTP {error.code} {error.reason}: {detail}", error.code
        )
    except (urllib.error.URLError, OSError) as error:  # refused, DNS, TLS, timeout
        return As2SendResult(
            message_id, As2SendStatus.TRANSPORT_ERROR, f"{type(error).__name__}: {error}"
        )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib turns a redirected POST into a GET without body: an AS2 message must not.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _header_items(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [
        (str(name), str(value))
        for name, value in items
        if str(name).lower() not in _HOP_BY_HOP_HEADERS
    ]


def _header(items: Iterable[tuple[str, str]], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in items if key.lower() == wanted), None)


def _unquoted(as2_name: str | None) -> str | None:
    if not as2_name:
        return None
    name = as2_name.strip()
    # pyas2lib quotes an already quoted name again in its MDNs: '"\\"A B\\""'.
    while len(name) > 1 and name.startswith('"') and name.endswith('"'):
        name = email.utils.unquote(name)
    return name


def _raw_mime(header_items: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """HTTP headers and body as the one MIME entity pyas2lib parses."""
    # Line breaks in a value would end the header block early: unfold them.
    head = "".join(
        f"{name}: {_LINE_BREAKS.sub(' ', value).strip()}\r\n" for name, value in header_items
    )
    return head.encode("utf-8") + b"\r\n" + body


def _safe_filename(filename: str | None) -> str | None:
    if not filename:
        return None
    name = PureWindowsPath(filename).name  # drops both / and \ directories
    name = "".join(character for character in name if character.isprintable())
    return name if name not in ("", ".", "..") else None


def _inbound_failure(
    message_id: str | None,
    sender_as2_id: str | None,
    receiver_as2_id: str | None,
    error_code: str,
    error_message: str,
    *,
    partner: As2Partner | None = None,
) -> As2InboundResult:
    return As2InboundResult(
        processed=False,
        message_id=message_id,
        sender_as2_id=sender_as2_id,
        receiver_as2_id=receiver_as2_id,
        partner=partner,
        payload=None,
        filename=None,
        content_type=None,
        error_code=error_code,
        error_message=error_message,
        signed=False,
        encrypted=False,
        compressed=False,
        mic=None,
        mdn=None,
    )
