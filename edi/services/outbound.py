"""The outbound side: wrap messages in an interchange, store it as sent, transmit it.

``messages_send`` (and ``message_send`` for one message) is what the rest of the ERP
calls to send an ORDRSP, a DESADV, an INVOIC or our CONTRL: give it the message body
(the segments between UNH and UNT, as ``edi.eancom.messages.build_*`` return them).
It takes the next interchange control reference of the partner from a locked counter
row (so references never repeat, even under concurrency), writes UNB/UNZ and every
UNH/UNT with their counts, stores the exact bytes, and hands the interchange to the
partner's transport after commit (Celery task ``edi.send_interchange``, bounded
retries with exponential backoff).

States: queued → sent → acknowledged | rejected (``edi.services.acknowledgements``);
queued → failed when the transport gives up; a resend puts it back to queued.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.exceptions import DomainError, InvalidTransition, ValidationFailed
from edi.eancom import (
    EncodeError,
    InterchangeHeader,
    OutboundMessage,
    PartyIdentification,
    Segment,
    encode_interchange,
    format_segments,
)
from edi.eancom.envelope import wrap_message
from edi.transports import directory

from ..lock_objects import interchange_lock, interchange_sequence_lock
from ..models import (
    Direction,
    EdiMessage,
    EventKind,
    Interchange,
    InterchangeSequence,
    InterchangeState,
    MessageState,
    MessageType,
    TradingPartner,
    TransportKind,
)
from ..selectors import message_type_agreement
from .base import Problem, event_record, events_record, problems_data
from .partners import agreement_identifier
from .scheduling import transmission_schedule

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

CONTROL_REFERENCE_DIGITS = 8  # zero-padded; grows past 8 digits, never past 14


class TransportError(Exception):
    """A transmission failed in a way a later attempt may not (network, full disk…)."""


@dataclass(frozen=True)
class OutboundDocument:
    """One message to send: its type, its body (between UNH and UNT), and the business
    document it carries (``("sales.SalesOrder", "42")``), shown in the monitor."""

    message_type: str
    body: Sequence[Segment]
    document_type: str = ""
    document_id: str = ""


def message_send(
    *,
    partner: TradingPartner,
    message_type: str,
    body: Sequence[Segment],
    document_type: str = "",
    document_id: str = "",
    user: AbstractBaseUser | None = None,
) -> Interchange:
    """Send one message to ``partner`` in an interchange of its own (see module doc)."""
    return messages_send(
        partner=partner,
        documents=[OutboundDocument(message_type, body, document_type, document_id)],
        user=user,
    )


@transaction.atomic
def messages_send(
    *,
    partner: TradingPartner,
    documents: Sequence[OutboundDocument],
    user: AbstractBaseUser | None = None,
) -> Interchange:
    """Send several messages to ``partner`` in one interchange.

    Preconditions: the partner is active and each message type is agreed outbound with
    it (``DomainError`` ``message_type_not_agreed`` otherwise). Every value must fit the
    partner's syntax level after transliteration (``DomainError`` ``edi_encode_failed``
    naming the segment and element otherwise). Runs in the caller's transaction when
    there is one: the counter row stays locked until it commits (lock order: counter,
    then the interchange), and the transport only starts after the commit, so a
    rolled-back document never leaves.
    """
    if not documents:
        raise ValidationFailed({"documents": [_("Nothing to send.")]})
    if not partner.is_active:
        raise DomainError(
            _("Trading partner %(code)s is inactive.") % {"code": partner.code},
            code="partner_inactive",
        )
    types = sorted({document.message_type for document in documents})
    agreed = {}
    for message_type in types:
        agreement = message_type_agreement(partner, Direction.OUTBOUND, message_type)
        if agreement is None:
            raise DomainError(
                _("%(type)s is not agreed outbound with partner %(partner)s.")
                % {"type": message_type, "partner": partner.code},
                code="message_type_not_agreed",
            )
        agreed[message_type] = agreement_identifier(agreement)
    identifiers = [agreed[document.message_type] for document in documents]
    messages = [
        OutboundMessage(str(position), identifier, tuple(document.body))
        for position, (document, identifier) in enumerate(
            zip(documents, identifiers, strict=True), start=1
        )
    ]

    sequence = interchange_sequence_lock(partner)
    InterchangeSequence.objects.filter(pk=sequence.pk).update(last_number=F("last_number") + 1)
    control_reference = f"{sequence.last_number + 1:0{CONTROL_REFERENCE_DIGITS}d}"
    only_contrl = types == [MessageType.CONTRL]
    header = InterchangeHeader(
        sender=PartyIdentification(partner.our_id, partner.our_id_qualifier),
        recipient=PartyIdentification(partner.interchange_id, partner.interchange_id_qualifier),
        control_reference=control_reference,
        prepared_at=timezone.localtime().replace(tzinfo=None, second=0, microsecond=0),
        syntax_identifier=partner.syntax_identifier,
        syntax_version=partner.syntax_version,
        application_reference=types[0] if len(types) == 1 else "",
        # A CONTRL is never acknowledged.
        acknowledgement_requested=partner.request_contrl and not only_contrl,
        test_indicator=partner.test_indicator,
    )
    try:
        payload = encode_interchange(header, messages)
    except EncodeError as exc:
        raise DomainError(
            _("The interchange cannot be written for %(partner)s: %(reason)s")
            % {"partner": partner.code, "reason": exc},
            code="edi_encode_failed",
            errors=[error.describe() for error in exc.errors],
        ) from exc
    row = Interchange.objects.create(
        direction=Direction.OUTBOUND,
        partner=partner,
        transport=partner.transport,
        payload=payload,
        checksum=hashlib.sha256(payload).hexdigest(),
        size=len(payload),
        sender_id=header.sender.identifier,
        sender_qualifier=header.sender.qualifier,
        recipient_id=header.recipient.identifier,
        recipient_qualifier=header.recipient.qualifier,
        control_reference=control_reference,
        syntax_identifier=header.syntax_identifier,
        state=InterchangeState.QUEUED,
    )
    rows = EdiMessage.objects.bulk_create(
        EdiMessage(
            interchange=row,
            direction=Direction.OUTBOUND,
            partner=partner,
            position=position,
            reference=message.reference,
            message_type=message.identifier.message_type,
            version=message.identifier.version,
            release=message.identifier.release,
            association_code=message.identifier.association_code,
            state=MessageState.QUEUED,
            segments_text=format_segments(wrap_message(message)),
            document_type=document.document_type[:40],
            document_id=str(document.document_id)[:40],
        )
        for position, (message, document) in enumerate(
            zip(messages, documents, strict=True), start=1
        )
    )
    note = ", ".join(types)
    event_record(interchange=row, kind=EventKind.QUEUED, note=note, user=user)
    events_record(interchange=row, kind=EventKind.QUEUED, messages=rows, user=user)
    transmission_schedule(row.pk)
    return row


# --------------------------------------------------------------------------- transports

Sender = Callable[[TradingPartner, Interchange], dict[str, Any]]


def interchange_file_name(partner: TradingPartner, interchange: Interchange) -> str:
    """``ENS_00000042_ORDRSP.edi``: what a transport calls the file of an interchange."""
    types = (
        "-".join(sorted(set(interchange.messages.values_list("message_type", flat=True)))) or "EDI"
    )
    code = re.sub(r"[^A-Za-z0-9_-]+", "_", partner.code) or "partner"
    return f"{code}_{interchange.control_reference}_{types}.edi"


def _directory_send(partner: TradingPartner, interchange: Interchange) -> dict[str, Any]:
    path = directory.outbox_write(
        Path(partner.outbox_path),
        interchange_file_name(partner, interchange),
        interchange.payload_bytes,
    )
    return {"filename": path.name, "path": str(path)}


# edi.services.as2 imports this module: its functions are imported when first called.
def _as2_send(partner: TradingPartner, interchange: Interchange) -> dict[str, Any]:
    from .as2 import as2_send

    return as2_send(partner, interchange)


def _as2_sent(interchange: Interchange, metadata: dict[str, Any]) -> None:
    from .as2 import as2_sent_settle

    as2_sent_settle(interchange=interchange, metadata=metadata)


# Transport kind → how to transmit. HTTP partners collect what we send through the API,
# partners without transport get it by hand (the monitor's download): nothing to do.
SENDERS: dict[str, Sender] = {
    TransportKind.DIRECTORY: _directory_send,
    TransportKind.AS2: _as2_send,
}

# Transport kind → what follows once the interchange is recorded as sent, given the
# metadata its sender returned: AS2's synchronous MDN acknowledges or rejects it. It
# runs after ``_interchange_sent`` has committed, because an acknowledgement settles a
# sent interchange: taken before, it would leave the row queued-then-acknowledged, and
# ``_interchange_sent`` (which only moves a queued row) would drop the sent record.
SENT_FOLLOW_UPS: dict[str, Callable[[Interchange, dict[str, Any]], None]] = {
    TransportKind.AS2: _as2_sent,
}


def interchange_transmit(*, interchange_id: int, final_attempt: bool = True) -> Interchange:
    """Hand a queued interchange to its partner's transport (the task's body).

    The transport runs outside any transaction and lock. On success the interchange
    (and its messages) become ``sent`` unless an acknowledgement overtook them; then the
    transport's follow-up, if any, runs (``SENT_FOLLOW_UPS``: an AS2 synchronous MDN). A
    ``TransportError``/``OSError`` is recorded and raised again for the task to retry,
    except on the ``final_attempt``, which marks the interchange ``failed`` and its
    messages in error (the error queue, where it can be resent). Any other exception is
    a fault no retry cures: failed at once. Idempotent: only a queued interchange moves.
    """
    row = Interchange.objects.select_related("partner").get(pk=interchange_id)
    if row.direction != Direction.OUTBOUND or row.state != InterchangeState.QUEUED:
        return row
    partner = row.partner
    assert partner is not None
    sender = SENDERS.get(partner.transport)
    if sender is None:
        return row
    try:
        metadata = sender(partner, row)
    except (TransportError, OSError) as exc:
        _transmission_failed(row.pk, exc, final=final_attempt)
        if not final_attempt:
            raise TransportError(str(exc)) from exc
        row.refresh_from_db()
        return row
    except Exception as exc:  # noqa: BLE001 - no retry cures it; the row must say so
        logger.exception("EDI transport %s failed on interchange %s", partner.transport, row.pk)
        _transmission_failed(row.pk, exc, final=True)
        row.refresh_from_db()
        return row
    note = metadata.get("filename") or metadata.get("message_id") or partner.transport
    row = _interchange_sent(row.pk, metadata, note=str(note))
    follow_up = SENT_FOLLOW_UPS.get(partner.transport)
    if follow_up is not None and row.state == InterchangeState.SENT:
        follow_up(row, metadata)
        row.refresh_from_db()
    return row


@transaction.atomic
def _interchange_sent(
    interchange_id: int,
    metadata: dict[str, Any],
    *,
    note: str,
    user: AbstractBaseUser | None = None,
) -> Interchange:
    """A queued interchange has left: sent, with what the transport said about it
    (unless an acknowledgement overtook the transport's answer)."""
    locked = interchange_lock(interchange_id)
    if locked.state == InterchangeState.QUEUED:
        Interchange.objects.filter(pk=locked.pk).update(send_attempts=F("send_attempts") + 1)
        locked.state = InterchangeState.SENT
        locked.sent_at = timezone.now()
        locked.error = ""
        locked.metadata = {**locked.metadata, **metadata}
        locked.save(update_fields=["state", "sent_at", "error", "metadata"])
        queued = list(locked.messages.filter(state=MessageState.QUEUED))
        EdiMessage.objects.filter(pk__in=[m.pk for m in queued]).update(
            state=MessageState.SENT, errors=[]
        )
        event_record(interchange=locked, kind=EventKind.SENT, note=note, user=user)
        events_record(interchange=locked, kind=EventKind.SENT, messages=queued, user=user)
    locked.refresh_from_db()
    return locked


def interchanges_waiting(partner: TradingPartner) -> list[Interchange]:
    """What a partner without automatic transport (HTTP) has to collect, oldest first."""
    return list(
        Interchange.objects.filter(
            direction=Direction.OUTBOUND, partner=partner, state=InterchangeState.QUEUED
        )
        .defer("payload")
        .order_by("pk")
    )


def interchange_collect_confirm(
    *, interchange_id: int, partner: TradingPartner, user: AbstractBaseUser | None = None
) -> Interchange:
    """The HTTP partner confirms it collected an interchange (``GET`` then ``POST``):
    sent. Confirming twice is harmless; another partner's interchange is not found."""
    row = Interchange.objects.filter(
        pk=interchange_id, direction=Direction.OUTBOUND, partner=partner
    ).first()
    if row is None:
        raise DomainError(_("No such interchange for this partner."), code="not_found")
    who = user.get_username() if user is not None and user.is_authenticated else ""
    return _interchange_sent(
        row.pk, {"collected_by": who}, note=_("collected by the partner"), user=user
    )


@transaction.atomic
def _transmission_failed(interchange_id: int, exc: Exception, *, final: bool) -> None:
    row = interchange_lock(interchange_id)
    Interchange.objects.filter(pk=row.pk).update(send_attempts=F("send_attempts") + 1)
    reason = f"{exc.__class__.__name__}: {exc}"
    event_record(
        interchange=row,
        kind=EventKind.SEND_FAILED,
        note=(_("gave up: %(reason)s") if final else _("will retry: %(reason)s"))
        % {"reason": reason},
    )
    if not final or row.state != InterchangeState.QUEUED:
        return
    problem = Problem(
        reason=_("the transport failed: %(reason)s") % {"reason": reason}, code="transport"
    )
    row.state = InterchangeState.FAILED
    row.error = problem.reason
    row.save(update_fields=["state", "error"])
    queued = list(row.messages.filter(state=MessageState.QUEUED))
    EdiMessage.objects.filter(pk__in=[m.pk for m in queued]).update(
        state=MessageState.ERROR, errors=problems_data([problem])
    )
    events_record(interchange=row, kind=EventKind.ERROR, messages=queued, note=problem.reason)


@transaction.atomic
def interchange_resend(*, interchange_id: int, user: AbstractBaseUser | None = None) -> Interchange:
    """Transmit a sent interchange again, the same bytes (same control reference: the
    partner's duplicate check recognises it if the first copy did arrive).

    Refused for an interchange we received, one already acknowledged, and one still
    waiting for its transport.
    """
    row = interchange_lock(interchange_id)
    if row.direction != Direction.OUTBOUND:
        raise InvalidTransition(
            _("Only interchanges we sent are resent; replay the messages of a received one."),
            code="not_resendable",
        )
    if row.state in (InterchangeState.ACKNOWLEDGED, InterchangeState.QUEUED):
        raise InvalidTransition(
            _("Interchange %(reference)s is %(state)s: it is not resent.")
            % {"reference": row.control_reference, "state": row.get_state_display()},
            code="not_resendable",
        )
    row.state = InterchangeState.QUEUED
    row.error = ""
    row.save(update_fields=["state", "error"])
    messages = list(row.messages.all())
    EdiMessage.objects.filter(interchange=row).update(state=MessageState.QUEUED, errors=[])
    event_record(interchange=row, kind=EventKind.RESENT, user=user)
    events_record(interchange=row, kind=EventKind.RESENT, messages=messages, user=user)
    transmission_schedule(row.pk)
    return row


def interchanges_transmit_pending(*, older_than_seconds: int = 300) -> int:
    """Schedule again the queued interchanges of automatic transports left behind (a
    lost task, a broker outage at commit time)."""
    limit = timezone.now() - timedelta(seconds=older_than_seconds)
    pending = list(
        Interchange.objects.filter(
            direction=Direction.OUTBOUND,
            state=InterchangeState.QUEUED,
            created_at__lt=limit,
            partner__transport__in=list(SENDERS),
        ).values_list("pk", flat=True)[:500]
    )
    for interchange_id in pending:
        transmission_schedule(interchange_id)
    return len(pending)
