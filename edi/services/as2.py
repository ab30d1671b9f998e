"""AS2 in the gateway: our identity, partners as AS2 sees them, sending with MDN
tracking, receiving messages and MDNs. The protocol itself is ``edi.transports.as2``.

Sending (``as2_send``, the AS2 entry of ``outbound.SENDERS``) builds a signed and
encrypted message of the interchange's exact bytes, records its AS2 message id and MIC
on the queued row *before* posting it (an asynchronous MDN may come back before the
POST returns, and is matched by that id), then posts it outside any transaction. What
the partner answered is returned as metadata; once ``interchange_transmit`` has
recorded the interchange as sent, ``as2_sent_settle`` (its ``SENT_FOLLOW_UPS`` entry)
turns a synchronous MDN into the acknowledgement or the rejection. A network failure,
a timeout or an HTTP 5xx raises ``TransportError`` (retried with backoff); an HTTP 4xx
without MDN, or our own configuration, fails the interchange at once.

Receiving (``as2_inbound``, behind ``edi:as2_receive``): the partner is the active AS2
trading partner with that AS2 id; a message id already stored from them is a
duplicate (answered "processed/Warning: duplicate-document", not stored again). A
message that passes the AS2 checks is stored with ``interchange_receive`` (its
payload, decrypted, verified and decompressed) before the positive MDN is answered. A
message that fails them (unknown sender, bad signature, undecryptable…) is kept too,
raw as it came, in an interchange of its own that is never processed: its body has
not been authenticated, and a signed-only body carries the EDIFACT in clear, which the
pipeline would find and process. The asynchronous MDN a partner asks for is posted by
the Celery task ``edi.send_as2_mdn``, only to the host of the partner's agreed AS2 URL
(or to ``EDI_AS2_MDN_HOSTS``).

MDN tracking (``as2_mdn_inbound``, behind ``edi:as2_mdn``): an MDN is matched to what
we sent by the original message id stored in the interchange metadata; a verified
positive one acknowledges it, a negative one rejects it with its disposition, one that
cannot be trusted (signature not verified when we asked for a signed MDN, or sent by
another AS2 id) changes nothing but is noted in the interchange's events.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.exceptions import DomainError
from edi import conf
from edi.transports.as2 import (
    As2ConfigurationError,
    As2HttpResponse,
    As2Identity,
    As2InboundResult,
    As2Mdn,
    As2MdnReply,
    As2Partner,
    As2SendStatus,
    As2SentMessage,
    as2_mdn_parse,
    as2_mdn_send,
    as2_message_build,
    as2_message_receive,
    as2_message_send,
)

from ..lock_objects import interchange_lock
from ..models import (
    Direction,
    EventKind,
    Interchange,
    InterchangeState,
    InterchangeTransport,
    TradingPartner,
    TransportKind,
)
from .acknowledgements import interchange_acknowledge
from .base import Problem, event_record, printable, problems_data
from .inbound import interchange_receive
from .outbound import TransportError, interchange_file_name

logger = logging.getLogger(__name__)

_IDENTITY_SETTINGS = ("COMPTOIR_AS2_ID", "COMPTOIR_AS2_KEY_FILE", "COMPTOIR_AS2_CERT_FILE")
# Refusals after which nothing is stored: not an AS2 request at all, or a message id
# already stored from this partner (the first copy is kept).
_NOT_STORED = frozenset({"not-as2", "duplicate-document"})
_identity_cache: dict[tuple[object, ...], As2Identity] = {}


class As2DeliveryRefused(DomainError):
    """The partner's AS2 server refused our message without an MDN (HTTP 4xx)."""

    code = "as2_refused"


# --------------------------------------------------------------------------- identities


def as2_identity() -> As2Identity:
    """Our AS2 identity from ``COMPTOIR_AS2_ID`` and the key and certificate files.

    Read when called, kept while the files are unchanged (by modification time), so a
    renewed certificate is taken without a restart. Raises ``As2ConfigurationError``
    (code ``as2_not_configured``) naming what is missing or unreadable.
    """
    values = {name: str(getattr(settings, name, "") or "") for name in _IDENTITY_SETTINGS}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise As2ConfigurationError(
            _("AS2 is not configured: set %(settings)s.") % {"settings": ", ".join(missing)},
            code="as2_not_configured",
            settings=missing,
        )
    key_path = Path(values["COMPTOIR_AS2_KEY_FILE"])
    cert_path = Path(values["COMPTOIR_AS2_CERT_FILE"])
    password = str(getattr(settings, "COMPTOIR_AS2_KEY_PASSWORD", "") or "")
    try:
        stamp = (
            values["COMPTOIR_AS2_ID"],
            password,
            str(key_path),
            key_path.stat().st_mtime_ns,
            str(cert_path),
            cert_path.stat().st_mtime_ns,
        )
        identity = _identity_cache.get(stamp)
        if identity is None:
            identity = As2Identity(
                values["COMPTOIR_AS2_ID"], key_path.read_bytes(), cert_path.read_bytes(), password
            )
            _identity_cache.clear()
            _identity_cache[stamp] = identity
    except OSError as error:
        raise As2ConfigurationError(
            _("AS2 is not configured: %(file)s cannot be read (%(reason)s).")
            % {"file": error.filename, "reason": error.strerror},
            code="as2_not_configured",
        ) from error
    return identity


def as2_partner(partner: TradingPartner) -> As2Partner:
    """A trading partner as the AS2 transport knows it: id, URL, pinned certificate and
    what we send and require (signing, encryption, compression, MDN mode)."""
    certificate = partner.as2_certificate.strip()
    return As2Partner(
        as2_id=partner.as2_id,
        url=partner.as2_url,
        cert_pem=certificate.encode() + b"\n" if certificate else None,
        sign=partner.as2_sign,
        encrypt=partner.as2_encrypt,
        compress=partner.as2_compress,
        mdn_mode=partner.as2_mdn_mode,
        mdn_signed=partner.as2_mdn_signed,
        async_mdn_url=conf.as2_mdn_url() if partner.as2_mdn_mode == "async" else "",
    )


def _as2_partner_row(as2_id: str) -> TradingPartner | None:
    """The active AS2 partner with this AS2 id (the first, should several share it)."""
    if not as2_id or "\x00" in as2_id:
        return None
    return (
        TradingPartner.objects.filter(transport=TransportKind.AS2, is_active=True, as2_id=as2_id)
        .order_by("pk")
        .first()
    )


# --------------------------------------------------------------------------- sending


def as2_send(partner: TradingPartner, interchange: Interchange) -> dict[str, Any]:
    """The AS2 sender of ``outbound.SENDERS``: post the interchange, say what came back.

    Precondition: called by ``interchange_transmit`` outside any transaction, on a
    queued interchange. A fresh AS2 message id per attempt (the partner's EDI duplicate
    check knows the control reference); it is stored on the row before the POST.
    Returns the metadata merged into the interchange (``as2_message_id``, ``as2_mic``,
    ``as2_mic_algorithm``, ``as2_mdn_mode`` and, for a synchronous MDN, its outcome).
    Raises ``TransportError`` when a later attempt may succeed, ``As2DeliveryRefused``
    on an HTTP refusal, ``As2ConfigurationError`` when our side or theirs is not set up.
    """
    identity = as2_identity()
    their = as2_partner(partner)
    filename = interchange_file_name(partner, interchange)
    message = as2_message_build(
        identity=identity,
        partner=their,
        payload=interchange.payload_bytes,
        filename=filename,
        subject=f"EDI {interchange.control_reference}",
    )
    metadata: dict[str, Any] = {
        "filename": filename,
        "as2_message_id": message.message_id,
        "as2_mic": message.mic,
        "as2_mic_algorithm": message.mic_algorithm,
        "as2_mdn_mode": message.mdn_mode,
        "as2_signed": message.signed,
        "as2_encrypted": message.encrypted,
        "as2_compressed": message.compressed,
    }
    _attempt_record(interchange.pk, metadata)
    result = as2_message_send(message=message, partner=their, timeout=conf.as2_timeout_seconds())
    if result.status is As2SendStatus.TRANSPORT_ERROR:
        raise TransportError(f"AS2 to {their.url}: {result.detail}")
    if result.status is As2SendStatus.FAILED and result.mdn is None:
        raise As2DeliveryRefused(
            _("The partner's AS2 server refused the message: %(detail)s")
            % {"detail": result.detail},
            http_status=result.http_status,
        )
    metadata["as2_http_status"] = result.http_status
    if result.mdn is not None:
        metadata.update(_mdn_metadata(result.mdn))
    return metadata


@transaction.atomic
def _attempt_record(interchange_id: int, metadata: Mapping[str, Any]) -> None:
    """Write this attempt's AS2 message id and MIC on the queued row, so that an MDN
    overtaking the POST's answer finds it."""
    row = interchange_lock(interchange_id)
    if row.state == InterchangeState.QUEUED:
        row.metadata = {**row.metadata, **metadata}
        row.save(update_fields=["metadata"])


def _mdn_metadata(mdn: As2Mdn) -> dict[str, Any]:
    return {
        "as2_mdn_message_id": mdn.mdn_message_id,
        "as2_mdn_processed": mdn.processed,
        "as2_mdn_status": mdn.status,
        "as2_mdn_detail": mdn.detail,
        "as2_mdn_disposition": mdn.disposition,
        "as2_mdn_signed": mdn.signature_verified,
    }


def _mdn_reason(mdn: Mapping[str, Any]) -> str:
    """The partner's disposition, with our own finding when it is not in it."""
    disposition = str(mdn.get("as2_mdn_disposition") or mdn.get("as2_mdn_status") or "")
    detail = str(mdn.get("as2_mdn_detail") or "")
    if detail and detail not in disposition:
        disposition = f"{disposition} ({detail})" if disposition else detail
    return _("AS2 MDN: %(disposition)s") % {"disposition": disposition or _("negative")}


def as2_sent_settle(*, interchange: Interchange, metadata: Mapping[str, Any]) -> None:
    """After the interchange is recorded as sent: its synchronous MDN acknowledges it
    (positive) or rejects it with the disposition (negative). Nothing for an
    asynchronous MDN (``as2_mdn_inbound`` settles it) or no MDN.

    Precondition: ``interchange`` is ``sent`` and ``metadata`` is what ``as2_send``
    returned for it.
    """
    if metadata.get("as2_mdn_mode") != "sync" or "as2_mdn_processed" not in metadata:
        return
    if metadata["as2_mdn_processed"]:
        interchange_acknowledge(interchange_id=interchange.pk, accepted=True, source="mdn")
    else:
        interchange_acknowledge(
            interchange_id=interchange.pk,
            accepted=False,
            reasons=[_mdn_reason(metadata)],
            source="mdn",
        )


# --------------------------------------------------------------------------- MDN tracking


def as2_mdn_inbound(headers: Mapping[str, str], body: bytes) -> As2HttpResponse:
    """An asynchronous MDN about a message we sent: acknowledge or reject the interchange.

    Answers 200 whatever the MDN says (RFC 4130); an MDN about a message we do not know
    is logged and dropped. Raises only what the database raises (the partner retries).
    """
    found: dict[str, Interchange] = {}

    def sent_message_find(original_message_id: str) -> As2SentMessage | None:
        if not original_message_id or "\x00" in original_message_id:
            return None
        row = (
            Interchange.objects.select_related("partner")
            .defer("payload")
            .filter(
                direction=Direction.OUTBOUND,
                transport=InterchangeTransport.AS2,
                metadata__as2_message_id=original_message_id,
            )
            .order_by("-pk")
            .first()
        )
        if row is None or row.partner is None:
            return None
        found["row"] = row
        return As2SentMessage(
            original_message_id, as2_partner(row.partner), row.metadata.get("as2_mic") or None
        )

    mdn = as2_mdn_parse(headers=headers, body=body, sent_message_find=sent_message_find)
    row = found.get("row")
    if row is None:
        logger.warning(
            "AS2 MDN %s about unknown message %s dropped",
            mdn.mdn_message_id,
            mdn.original_message_id,
        )
        return As2HttpResponse(200)
    assert row.partner is not None
    fields = _mdn_metadata(mdn)
    if mdn.processed:
        interchange_acknowledge(interchange_id=row.pk, accepted=True, source="mdn")
    elif _mdn_trusted(mdn, row.partner):
        interchange_acknowledge(
            interchange_id=row.pk, accepted=False, reasons=[_mdn_reason(fields)], source="mdn"
        )
    else:
        logger.warning("AS2 MDN about interchange %s not trusted: %s", row.pk, mdn.detail)
        event_record(
            interchange=row,
            kind=EventKind.ERROR,
            note=_("AS2 MDN %(id)s ignored, it cannot be trusted: %(reason)s")
            % {"id": mdn.mdn_message_id or "?", "reason": mdn.detail or mdn.status},
        )
    return As2HttpResponse(200)


def _mdn_trusted(mdn: As2Mdn, partner: TradingPartner) -> bool:
    """A negative MDN rejects what we sent only when it is the partner's: signed when
    we ask for signed MDNs, and from their AS2 id."""
    if partner.as2_mdn_signed and not mdn.signature_verified:
        return False
    return not mdn.detail.startswith("MDN sent by")


# --------------------------------------------------------------------------- receiving


def as2_inbound(
    headers: Mapping[str, str], body: bytes, *, remote_address: str = ""
) -> As2HttpResponse:
    """Receive an AS2 message POSTed to us; returns the HTTP answer (with a sync MDN).

    Must be called outside any transaction (``interchange_receive`` commits the payload
    on its own before the MDN says we have it). Raises ``As2ConfigurationError`` when
    our identity is missing or unusable (answer 503: the partner retries later) and
    what the database raises; never raises for what the partner sent.
    """
    identity = as2_identity()
    found: dict[str, Any] = {}

    def partner_find(as2_from: str) -> As2Partner | None:
        partner = _as2_partner_row(as2_from)
        found["partner"] = partner
        return as2_partner(partner) if partner is not None else None

    def message_is_duplicate(message_id: str, as2_from: str) -> bool:
        if "\x00" in message_id + as2_from:
            return False
        original = (
            Interchange.objects.filter(
                direction=Direction.INBOUND,
                transport=InterchangeTransport.AS2,
                metadata__as2_message_id=message_id,
                metadata__as2_from=as2_from,
            )
            # A copy that failed the AS2 checks does not count: its resend, once the
            # certificates are right, must get in.
            .exclude(metadata__has_key="as2_error")
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        found["original"] = original
        return original is not None

    result = as2_message_receive(
        identity=identity,
        headers=headers,
        body=body,
        partner_find=partner_find,
        message_is_duplicate=message_is_duplicate,
    )
    partner: TradingPartner | None = found.get("partner")
    metadata = _inbound_metadata(result, remote_address)
    row: Interchange | None = None
    if result.processed:
        assert result.payload is not None and partner is not None
        row = interchange_receive(
            result.payload, transport=InterchangeTransport.AS2, metadata=metadata, partner=partner
        )
    elif result.error_code not in _NOT_STORED:
        row = _refused_store(body, result, metadata=metadata, partner=partner)
    if result.mdn is not None and result.mdn.mode == "async":
        interchange_id = row.pk if row is not None else found.get("original")
        _mdn_delivery_schedule(result.mdn, interchange_id=interchange_id, partner=partner)
    return result.http_response()


def _inbound_metadata(result: As2InboundResult, remote_address: str) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "as2_message_id": result.message_id or "",
        "as2_from": result.sender_as2_id or "",
        "as2_to": result.receiver_as2_id or "",
        "filename": result.filename or "",
        "content_type": result.content_type or "",
        "as2_mic": result.mic or "",
        "as2_signed": result.signed,
        "as2_encrypted": result.encrypted,
        "as2_compressed": result.compressed,
        "as2_mdn_mode": result.mdn.mode if result.mdn is not None else "none",
    }
    if result.mdn is not None:
        metadata["as2_mdn_message_id"] = result.mdn.message_id
        if result.mdn.mode == "async":
            metadata["as2_mdn_url"] = result.mdn.url
    if remote_address:
        metadata["remote_address"] = remote_address
    if not result.processed:
        metadata["as2_error"] = result.error_code
        metadata["as2_error_message"] = result.error_message[:500]
    return {
        key: printable(value) if isinstance(value, str) else value
        for key, value in metadata.items()
    }


def _refused_store(
    body: bytes,
    result: As2InboundResult,
    *,
    metadata: Mapping[str, Any],
    partner: TradingPartner | None,
) -> Interchange:
    """Keep the raw body of a message that failed the AS2 checks, in error from the
    start: stored, shown in the monitor, never processed (see the module docstring)."""
    data = bytes(body)
    reason = printable(
        _("refused by the AS2 checks (%(code)s): %(message)s")
        % {"code": result.error_code, "message": result.error_message}
    )[:2000]
    with transaction.atomic(durable=True):
        row = Interchange.objects.create(
            direction=Direction.INBOUND,
            partner=partner,
            transport=InterchangeTransport.AS2,
            payload=data,
            checksum=hashlib.sha256(data).hexdigest(),
            size=len(data),
            metadata=dict(metadata),
            received_at=timezone.now(),
            state=InterchangeState.ERROR,
            error=reason,
            errors=problems_data([Problem(reason=reason, code=f"as2:{result.error_code}")]),
        )
        event_record(
            interchange=row,
            kind=EventKind.RECEIVED,
            note=_("%(size)s bytes by %(transport)s") % {"size": len(data), "transport": "as2"},
        )
        event_record(interchange=row, kind=EventKind.ERROR, note=reason)
    return row


# --------------------------------------------------------------------------- async MDNs


def _mdn_url_allowed(url: str, partner: TradingPartner | None) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    hosts = set(conf.as2_mdn_hosts())
    if partner is not None and partner.as2_url:
        hosts.add((urlsplit(partner.as2_url).hostname or "").lower())
    return parts.hostname.lower() in hosts


def _mdn_delivery_schedule(
    mdn: As2MdnReply, *, interchange_id: int | None, partner: TradingPartner | None
) -> None:
    """Post the asynchronous MDN after the answer, by the Celery task, when its URL is
    on the partner's agreed host; otherwise record why it is not sent."""
    if not _mdn_url_allowed(mdn.url, partner):
        note = _("AS2 MDN not sent: %(url)s is not on the partner's agreed AS2 host.") % {
            "url": mdn.url
        }
        logger.warning("%s (interchange %s)", note, interchange_id)
        if interchange_id is not None:
            with transaction.atomic():
                event_record(
                    interchange=Interchange.objects.get(pk=interchange_id),
                    kind=EventKind.SEND_FAILED,
                    note=note,
                )
        return
    data = {
        "url": mdn.url,
        "headers": dict(mdn.headers),
        "body": base64.b64encode(mdn.body).decode("ascii"),
        "message_id": mdn.message_id,
        "processed": mdn.processed,
    }
    transaction.on_commit(lambda: _enqueue_mdn_delivery(data, interchange_id), robust=True)


def _enqueue_mdn_delivery(data: dict[str, Any], interchange_id: int | None) -> None:
    from edi.tasks import send_as2_mdn  # the task module imports the services

    # A second's delay: the partner should have our HTTP answer before the MDN.
    send_as2_mdn.apply_async(args=[data, interchange_id], countdown=1)


def as2_mdn_deliver(
    *, mdn: Mapping[str, Any], interchange_id: int | None = None, final_attempt: bool = True
) -> str:
    """POST an asynchronous MDN we owe (the body of the task ``edi.send_as2_mdn``).

    ``mdn`` is what ``_mdn_delivery_schedule`` queued (the MDN is signed once, when the
    message is received, and travels in the task). Records the outcome on the
    interchange it answers. Raises ``TransportError`` for the task to retry, except on
    the ``final_attempt``. Sending it twice is harmless: the same MDN.
    """
    reply = As2MdnReply(
        mode="async",
        headers={str(name): str(value) for name, value in dict(mdn["headers"]).items()},
        body=base64.b64decode(str(mdn["body"])),
        url=str(mdn["url"]),
        message_id=str(mdn.get("message_id") or ""),
        processed=bool(mdn.get("processed")),
    )
    result = as2_mdn_send(mdn=reply, timeout=conf.as2_timeout_seconds())
    retry = result.retryable and not final_attempt
    if result.status is As2SendStatus.SENT:
        kind, note = (
            EventKind.SENT,
            _("AS2 MDN %(id)s sent to %(url)s") % {"id": reply.message_id, "url": reply.url},
        )
    else:
        kind, note = (
            EventKind.SEND_FAILED,
            (_("AS2 MDN, will retry: %(reason)s") if retry else _("AS2 MDN, gave up: %(reason)s"))
            % {"reason": result.detail},
        )
    if interchange_id is not None:
        _mdn_event_record(interchange_id, kind, note)
    if retry:
        raise TransportError(result.detail)
    return "sent" if result.status is As2SendStatus.SENT else "failed"


@transaction.atomic
def _mdn_event_record(interchange_id: int, kind: EventKind, note: str) -> None:
    row = Interchange.objects.filter(pk=interchange_id).first()
    if row is not None:
        event_record(interchange=row, kind=kind, note=note)
