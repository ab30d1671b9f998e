"""Reads of the EDI gateway shared by services, the monitor and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from edi.eancom import PartyIdentification, parse_interchanges
from edi.eancom.syntax import encoding_for
from edi.eancom.tokenizer import split_segments

from .models import (
    Direction,
    EdiMessage,
    Interchange,
    InterchangeState,
    InterchangeTransport,
    MdnMode,
    MessageState,
    MessageType,
    PartnerMessageType,
    TradingPartner,
)

# Outbound interchanges not yet acknowledged (or rejected) by the partner.
UNACKNOWLEDGED_STATES = (InterchangeState.QUEUED, InterchangeState.SENT)
# Inbound interchanges whose processing has not finished.
PENDING_STATES = (InterchangeState.RECEIVED, InterchangeState.PARSED)


def partner_for_sender(sender: PartyIdentification) -> TradingPartner | None:
    """The partner an interchange comes from, by its UNB sender id and qualifier.

    Without a qualifier in UNB, the id alone decides when exactly one partner has it.
    Inactive partners are returned too: the caller refuses them with a clear reason.
    """
    if not sender.identifier or "\x00" in sender.identifier + sender.qualifier:
        return None  # PostgreSQL takes no NUL in a parameter; no partner has one anyway
    partners = TradingPartner.objects.filter(interchange_id=sender.identifier)
    if sender.qualifier:
        return partners.filter(interchange_id_qualifier=sender.qualifier).first()
    found = list(partners[:2])
    return found[0] if len(found) == 1 else None


def partner_for_user(user: object) -> TradingPartner | None:
    """The active partner whose API user is ``user`` (HTTP transport)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return TradingPartner.objects.filter(api_user=user, is_active=True).first()


def message_type_agreement(
    partner: TradingPartner, direction: str, message_type: str
) -> PartnerMessageType | None:
    """The enabled agreement for a message type in one direction, if any."""
    if "\x00" in message_type:
        return None
    return (
        PartnerMessageType.objects.filter(
            partner=partner, direction=direction, message_type=message_type, is_enabled=True
        )
        .order_by("pk")
        .first()
    )


def partner_wants_contrl(partner: TradingPartner, *, requested_in_unb: bool = False) -> bool:
    """We answer with a CONTRL when the partner rule or their UNB asks for one, and a
    CONTRL may go to them (the outbound CONTRL agreement is enabled)."""
    if not (partner.send_contrl or requested_in_unb):
        return False
    return message_type_agreement(partner, Direction.OUTBOUND, MessageType.CONTRL) is not None


def interchange_duplicate_of(interchange: Interchange) -> Interchange | None:
    """An earlier received interchange with the same bytes, already taken in hand.

    The authoritative check happens while processing (it also compares sender and
    control reference); this one lets a transport answer at once.
    """
    if interchange.state == InterchangeState.DUPLICATE and interchange.duplicate_of_id:
        return interchange.duplicate_of
    return (
        Interchange.objects.filter(direction=Direction.INBOUND, dedup_checksum=interchange.checksum)
        .exclude(pk=interchange.pk)
        .first()
    )


def interchanges_pending(*, older_than: datetime) -> QuerySet[Interchange]:
    """Received interchanges whose processing never finished (a lost task, a crash)."""
    return Interchange.objects.filter(
        direction=Direction.INBOUND, state__in=PENDING_STATES, created_at__lt=older_than
    ).order_by("pk")


def interchanges_unacknowledged(*, made_before: datetime) -> QuerySet[Interchange]:
    """Outbound interchanges made before ``made_before`` still waiting for an
    acknowledgement the partner is expected to send.

    One is expected when the partner is asked for a CONTRL ("ask for CONTRL": UNB 0031
    = 1) and the interchange holds a message other than a CONTRL (a CONTRL is never
    acknowledged, nor asked to be), or when it travels by AS2 to a partner who sends
    MDNs. Interchanges to partners who acknowledge neither way are never waited for.
    Read from the partner as it is set up now.
    """
    message_not_contrl = EdiMessage.objects.filter(interchange=OuterRef("pk")).exclude(
        message_type=MessageType.CONTRL
    )
    contrl_expected = Q(partner__request_contrl=True) & Exists(message_not_contrl)
    mdn_expected = Q(transport=InterchangeTransport.AS2) & ~Q(partner__as2_mdn_mode=MdnMode.NONE)
    return Interchange.objects.filter(
        contrl_expected | mdn_expected,
        direction=Direction.OUTBOUND,
        state__in=UNACKNOWLEDGED_STATES,
        created_at__lt=made_before,
    )


@dataclass(frozen=True)
class PartnerCounters:
    partner_id: int | None
    partner_code: str
    partner_name: str
    today: int
    errors: int
    unacknowledged: int


def partner_counters(*, now: datetime, unacknowledged_hours: int) -> list[PartnerCounters]:
    """Per partner: messages today (both directions), messages in error, and outbound
    interchanges whose expected acknowledgement has not come ``unacknowledged_hours``
    after they were queued (``interchanges_unacknowledged``).

    Two aggregate queries whatever the number of partners; messages of unknown senders
    count under a partner-less row.
    """
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    late = now - timedelta(hours=unacknowledged_hours)
    message_rows = (
        EdiMessage.objects.values("partner")
        .annotate(
            today=Count("pk", filter=Q(created_at__gte=start_of_day)),
            errors=Count("pk", filter=Q(state=MessageState.ERROR)),
        )
        .filter(Q(today__gt=0) | Q(errors__gt=0))
    )
    interchange_rows = (
        interchanges_unacknowledged(made_before=late).values("partner").annotate(count=Count("pk"))
    )
    by_partner: dict[int | None, dict[str, int]] = {}
    for row in message_rows:
        by_partner.setdefault(row["partner"], {}).update(today=row["today"], errors=row["errors"])
    for row in interchange_rows:
        by_partner.setdefault(row["partner"], {})["unacknowledged"] = row["count"]
    partners = {
        partner.pk: partner
        for partner in TradingPartner.objects.filter(Q(pk__in=by_partner) | Q(is_active=True))
    }
    result = []
    for partner_id in sorted(partners, key=lambda pk: partners[pk].code):
        counts = by_partner.get(partner_id, {})
        partner = partners[partner_id]
        result.append(
            PartnerCounters(
                partner_id,
                partner.code,
                partner.name,
                counts.get("today", 0),
                counts.get("errors", 0),
                counts.get("unacknowledged", 0),
            )
        )
    if None in by_partner:
        counts = by_partner[None]
        result.append(
            PartnerCounters(
                None,
                "",
                "",
                counts.get("today", 0),
                counts.get("errors", 0),
                counts.get("unacknowledged", 0),
            )
        )
    return result


def payload_lines(payload: bytes) -> list[str]:
    """The raw payload one segment per line, as received (escapes kept), for people.

    Each interchange of the file is decoded with its UNB syntax identifier; bytes that
    cannot be read as EDIFACT are shown as latin-1 text rather than hidden.
    """
    result = parse_interchanges(payload)
    lines: list[str] = []
    for interchange in result.interchanges:
        raw = payload[interchange.byte_offset : interchange.byte_offset + interchange.byte_length]
        header = interchange.header
        encoding = encoding_for(header.syntax_identifier) if header else None
        text = raw.decode(encoding or "latin-1", errors="replace")
        characters = interchange.characters
        body = text
        if interchange.una_present and text.startswith("UNA"):
            lines.append(text[:9])
            body = text[9:]
        spans, tail = split_segments(body, characters)
        for start, end in spans:
            segment = body[start : end + 1].strip(" \r\n")
            if segment:
                lines.append(segment)
        rest = body[tail:].strip(" \r\n\x00\x1a")
        if rest:
            lines.append(rest)
    if not result.interchanges:
        text = payload.decode("latin-1").strip()
        if text:
            lines.extend(text.splitlines())
    return lines
