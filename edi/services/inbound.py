"""The inbound pipeline: store raw, then read, de-duplicate, check, dispatch, answer.

1. ``interchange_receive`` stores the bytes exactly as received, with their checksum
   and transport metadata, in a transaction of their own that commits before anything
   reads them; processing is scheduled after that commit. Nothing received is lost,
   whatever happens next.
2. ``interchange_process`` (a Celery task) reads the bytes with the codec. A file of
   several interchanges is split into one part per interchange first. For each
   interchange, in one transaction: the envelope is read, duplicates are detected
   (same checksum, or same sender and control reference already taken in hand: a
   unique key, so two workers cannot both take the same interchange), the partner is
   identified by the UNB sender (and must match the transport's partner, if any), the
   recipient must be us; a message row is written per UNH.
3. Each message then runs its handler in its own transaction (``HANDLERS``): processed
   with the business document it produced, or in error with readable reasons. A
   handler's exception never escapes: the message goes to the error queue.
4. The partner gets a CONTRL when it wants one: accepted, or rejected with positions
   and codes (a duplicate is rejected with code 26). A CONTRL is never answered with
   a CONTRL.

Every step checks the state it starts from, so running it twice does nothing more:
a crashed or repeated task picks up where the previous one stopped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.bulk import instances_update
from comptoir.exceptions import DomainError, InvalidTransition
from edi.eancom import (
    EdifactError,
    ErrorLevel,
    MappingError,
    Message,
    PartyIdentification,
    SyntaxErrorCode,
    format_segments,
    parse_interchanges,
)
from edi.eancom import Interchange as ParsedInterchange
from edi.eancom.messages import Contrl, ContrlAction, build_contrl, contrl_for

from ..lock_objects import interchange_lock, message_lock
from ..models import (
    Direction,
    EdiMessage,
    EventKind,
    Interchange,
    InterchangeState,
    MessageState,
    MessageType,
    PartnerMessageType,
    TradingPartner,
)
from ..selectors import (
    interchanges_pending,
    message_type_agreement,
    partner_for_sender,
    partner_wants_contrl,
)
from . import handlers
from .acknowledgements import INTERCHANGE_DOCUMENT
from .base import (
    MessageRejected,
    Problem,
    event_record,
    events_record,
    events_record_each,
    printable,
    problem_from_edifact,
    problems_data,
    problems_summary,
)
from .outbound import message_send
from .scheduling import processing_schedule

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

OPEN_STATES = (InterchangeState.RECEIVED, InterchangeState.PARSED)
HEADER_FIELDS = (
    "sender_id",
    "sender_qualifier",
    "recipient_id",
    "recipient_qualifier",
    "control_reference",
    "syntax_identifier",
)


# --------------------------------------------------------------------------- receive


def _json_safe(metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    safe: dict[str, Any] = {}
    for key, value in (metadata or {}).items():
        if isinstance(value, int | float | bool) or value is None:
            safe[printable(str(key))] = value
        elif isinstance(value, bytes):
            safe[printable(str(key))] = printable(value.decode("latin-1"))
        else:
            safe[printable(str(key))] = printable(str(value))
    return safe


def interchange_receive(
    payload: bytes,
    *,
    transport: str,
    metadata: Mapping[str, Any] | None = None,
    partner: TradingPartner | None = None,
    user: AbstractBaseUser | None = None,
) -> Interchange:
    """Store a received payload as is, commit, and schedule its processing.

    ``partner`` is the partner the transport vouches for (the HTTP token's, the
    directory's); the UNB sender must then be that partner. Must be called outside any
    transaction: the raw row is committed on its own (``durable``), so even a crash of
    everything that follows leaves it stored. Never parses anything itself.
    """
    data = bytes(payload)
    with transaction.atomic(durable=True):
        row = Interchange.objects.create(
            direction=Direction.INBOUND,
            partner=partner,
            transport=transport,
            payload=data,
            checksum=hashlib.sha256(data).hexdigest(),
            size=len(data),
            metadata=_json_safe(metadata),
            received_at=timezone.now(),
            state=InterchangeState.RECEIVED,
        )
        event_record(
            interchange=row,
            kind=EventKind.RECEIVED,
            note=_("%(size)s bytes by %(transport)s") % {"size": len(data), "transport": transport},
            user=user,
        )
    processing_schedule(row.pk)
    return row


# --------------------------------------------------------------------------- helpers


def _reference_key(sender: PartyIdentification, control_reference: str) -> str:
    return printable(f"{sender.qualifier}:{sender.identifier}:{control_reference}")[:60]


def _claim(row: Interchange, field: str, key: str) -> Interchange | None:
    """Take a de-duplication key for ``row``; the holder when another row has it.

    The key is unique in the database: a concurrent worker holding it uncommitted
    makes this one wait, then fail, so only one of them goes on.
    """
    try:
        with transaction.atomic():
            Interchange.objects.filter(pk=row.pk).update(**{field: key})
    except IntegrityError:
        return Interchange.objects.filter(**{field: key}).exclude(pk=row.pk).first()
    setattr(row, field, key)
    return None


def _interchange_error(
    code: SyntaxErrorCode, reason: str, *, element: int | None = None
) -> EdifactError:
    return EdifactError(
        code=code,
        reason=reason,
        level=ErrorLevel.INTERCHANGE,
        segment_tag="UNB",
        segment_position=1,
        element_position=element,
    )


@dataclass(frozen=True)
class _Sender:
    """Who sent an interchange and what is wrong with that, at the interchange level."""

    partner: TradingPartner | None  # whom to answer (None: nobody to answer)
    errors: tuple[EdifactError, ...] = ()  # envelope faults to report (UCI)
    unknown_reason: str = ""  # no usable partner: the messages wait in the error queue


def _sender_identify(row: Interchange, parsed: ParsedInterchange | None) -> _Sender:
    """The partner of an interchange: the transport's, or the one of its UNB sender.

    The transport's partner (HTTP token, directory) must be the UNB sender; the UNB
    recipient must be our id towards the partner.
    """
    vouched = row.partner
    header = parsed.header if parsed is not None else None
    if header is None:
        return _Sender(vouched, unknown_reason="" if vouched else _("the sender is unknown"))
    sender = header.sender
    named = partner_for_sender(sender)
    if (
        vouched is not None
        and named != vouched
        and (
            sender.identifier != vouched.interchange_id
            or (sender.qualifier and sender.qualifier != vouched.interchange_id_qualifier)
        )
    ):
        return _Sender(
            vouched,
            errors=(
                _interchange_error(
                    SyntaxErrorCode.INVALID_VALUE,
                    f"the interchange sender {sender.identifier}:{sender.qualifier} is not "
                    f"the partner of this channel ({vouched.interchange_id})",
                    element=2,
                ),
            ),
        )
    partner = vouched or named
    if partner is None:
        return _Sender(
            None,
            unknown_reason=_("unknown sender %(id)s:%(qualifier)s: no trading partner has this id")
            % {"id": sender.identifier, "qualifier": sender.qualifier},
        )
    if not partner.is_active:
        return _Sender(
            None,
            unknown_reason=_("the trading partner %(code)s is inactive") % {"code": partner.code},
        )
    errors: list[EdifactError] = []
    if header.recipient.identifier and header.recipient.identifier != partner.our_id:
        errors.append(
            _interchange_error(
                SyntaxErrorCode.RECIPIENT_NOT_ACTUAL,
                f"the interchange recipient {header.recipient.identifier} is not us "
                f"({partner.our_id})",
                element=3,
            )
        )
    return _Sender(partner, errors=tuple(errors))


def _message_problems(message: Message) -> list[Problem]:
    return [problem_from_edifact(error) for error in message.errors]


def _profile_problems(partner: TradingPartner, message: Message, *,
                     agreements: dict[str, PartnerMessageType | None] | None = None) -> list[Problem]:
    """The message is agreed with the partner (type, version and release).
    ``agreements``: a cache of the partner's inbound agreements by type, for a batch."""
    identifier = message.identifier
    if identifier.message_type == MessageType.CONTRL:
        return []  # a service message: the answer to what we sent, always accepted
    if agreements is None:
        agreements = {}
    if identifier.message_type not in agreements:
        agreements[identifier.message_type] = message_type_agreement(
            partner, Direction.INBOUND, identifier.message_type)
    agreement = agreements[identifier.message_type]
    if agreement is None:
        return [
            Problem(
                reason=_("%(type)s is not agreed with partner %(partner)s")
                % {"type": identifier.message_type or "?", "partner": partner.code},
                segment="UNH",
                position=1,
                element="2.1",
                code=str(int(SyntaxErrorCode.NO_AGREEMENT)),
                level=ErrorLevel.MESSAGE,
            )
        ]
    if (identifier.version, identifier.release) != (agreement.version, agreement.release):
        return [
            Problem(
                reason=_("version %(got)s is not the agreed %(agreed)s")
                % {
                    "got": f"{identifier.version}:{identifier.release}",
                    "agreed": f"{agreement.version}:{agreement.release}",
                },
                segment="UNH",
                position=1,
                element="2.2",
                code=str(int(SyntaxErrorCode.VALUE_NOT_SUPPORTED)),
                level=ErrorLevel.MESSAGE,
            )
        ]
    return []


def _edifact_from_problem(problem: Problem, reference: str) -> EdifactError | None:
    """A stored syntax problem back as a codec error, for the CONTRL."""
    if not problem.level or not problem.code.isdigit():
        return None
    try:
        code = SyntaxErrorCode(int(problem.code))
    except ValueError:
        code = SyntaxErrorCode.UNSPECIFIED
    element, _dot, component = problem.element.partition(".")
    return EdifactError(
        code=code,
        reason=problem.reason,
        level=ErrorLevel(problem.level),
        segment_tag=problem.segment,
        segment_position=problem.position,
        element_position=int(element) if element.isdigit() else None,
        component_position=int(component) if component.isdigit() else None,
        message_reference=reference,
    )


def _stored_problems(row: EdiMessage) -> list[Problem]:
    return [
        Problem(**{key: item.get(key) for key in Problem.__dataclass_fields__ if key in item})
        for item in row.errors
    ]


def _contrl_send(row: Interchange, partner: TradingPartner, report: Contrl) -> Interchange | None:
    """Send our CONTRL about ``row`` to ``partner``; a CONTRL that cannot be written
    (a value the partner's syntax level cannot carry) is recorded, never raised."""
    try:
        contrl = message_send(
            partner=partner,
            message_type=MessageType.CONTRL,
            body=build_contrl(report),
            document_type=INTERCHANGE_DOCUMENT,
            document_id=str(row.pk),
        )
    except DomainError as exc:
        event_record(
            interchange=row,
            kind=EventKind.ERROR,
            note=_("The CONTRL could not be sent: %(reason)s") % {"reason": exc.message},
        )
        return None
    Interchange.objects.filter(pk=row.pk).update(contrl=contrl)
    row.contrl = contrl
    return contrl


def _contrl_wanted(partner: TradingPartner | None, parsed: ParsedInterchange | None) -> bool:
    if partner is None:
        return False
    if (
        parsed is not None
        and parsed.messages
        and all(message.message_type == MessageType.CONTRL for message in parsed.messages)
    ):
        return False  # a CONTRL is never answered with a CONTRL
    requested = bool(parsed and parsed.header and parsed.header.acknowledgement_requested)
    return partner_wants_contrl(partner, requested_in_unb=requested)


def _header_fill(row: Interchange, parsed: ParsedInterchange | None) -> None:
    header = parsed.header if parsed is not None else None
    if header is None:
        return
    row.sender_id = printable(header.sender.identifier)[:35]
    row.sender_qualifier = printable(header.sender.qualifier)[:4]
    row.recipient_id = printable(header.recipient.identifier)[:35]
    row.recipient_qualifier = printable(header.recipient.qualifier)[:4]
    row.control_reference = printable(header.control_reference)[:14]
    row.syntax_identifier = printable(header.syntax_identifier)[:4]


def _segments_text(message: Message, parsed: ParsedInterchange) -> str:
    try:
        return printable(format_segments(message.segments, parsed.characters))
    except ValueError:  # delimiters the codec refused anyway: show the values as read
        return printable("\n".join(str(segment) for segment in message.segments))


def _bare_interchange(errors: Sequence[EdifactError]) -> ParsedInterchange:
    """An interchange with no envelope at all (an empty file), to report its errors."""
    return ParsedInterchange(header=None, messages=(), errors=tuple(errors))


# --------------------------------------------------------------------------- process


def interchange_process(interchange_id: int) -> Interchange:
    """Process a received interchange (or file); see the module docstring. Idempotent."""
    row = Interchange.objects.get(pk=interchange_id)
    if row.direction != Direction.INBOUND or row.state not in OPEN_STATES:
        return row
    try:
        result = parse_interchanges(row.payload_bytes)
    except Exception as exc:  # noqa: BLE001 - the codec promises not to raise; if it does, the row must say so
        logger.exception("EDI codec failed on interchange %s", row.pk)
        return _interchange_unreadable(row.pk, exc)
    if row.state == InterchangeState.RECEIVED and len(result.interchanges) > 1:
        parts = _interchange_split(row.pk, result.interchanges)
        for part in parts:
            interchange_process(part.pk)
        row.refresh_from_db()
        return row
    parsed = result.interchanges[0] if result.interchanges else _bare_interchange(result.errors)
    try:
        if row.state == InterchangeState.RECEIVED:
            row = _interchange_open(row.pk, parsed)
            if row.state == InterchangeState.DUPLICATE:
                _duplicate_answer(row.pk, parsed)
        if row.state == InterchangeState.PARSED:
            partner = row.partner
            assert partner is not None  # a parsed interchange always has its partner
            _messages_dispatch(
                list(row.messages.filter(state=MessageState.PARSED).order_by("position")
                     .values_list("pk", "position")),
                parsed, partner,
            )
            row = _interchange_close(row.pk, parsed)
    except (OperationalError, InterfaceError):
        raise  # the database is away: the task retries, the row waits where it stopped
    except Exception as exc:  # noqa: BLE001 - a bug of ours must not leave the row pending forever
        logger.exception("EDI processing failed on interchange %s", row.pk)
        return _interchange_unreadable(row.pk, exc, parsed)
    return row


@transaction.atomic
def _interchange_unreadable(
    interchange_id: int, exc: Exception, parsed: ParsedInterchange | None = None
) -> Interchange:
    """Processing failed on a fault of ours: the interchange is in error with the
    exception as its reason (its raw payload untouched), and the partner is told."""
    row = interchange_lock(interchange_id)
    if row.state not in OPEN_STATES:
        return row
    problem = Problem(
        reason=printable(
            _("the payload could not be processed: %(error)s")
            % {"error": f"{exc.__class__.__name__}: {exc}"}
        ),
        code=str(int(SyntaxErrorCode.UNSPECIFIED)),
        level=ErrorLevel.INTERCHANGE,
    )
    row.state = InterchangeState.ERROR
    row.error = problem.reason
    row.errors = problems_data([problem])
    row.save(update_fields=["state", "error", "errors"])
    event_record(interchange=row, kind=EventKind.ERROR, note=row.error)
    header = parsed.header if parsed is not None else None
    if row.partner is not None and _contrl_wanted(row.partner, parsed):
        report = Contrl(
            interchange_reference=header.control_reference if header else "",
            sender=header.sender if header else PartyIdentification(""),
            recipient=header.recipient if header else PartyIdentification(""),
            action=ContrlAction.REJECTED,
            error_code=int(SyntaxErrorCode.UNSPECIFIED),
        )
        _contrl_send(row, row.partner, report)
    return row


@transaction.atomic
def _interchange_split(
    interchange_id: int, interchanges: Sequence[ParsedInterchange]
) -> list[Interchange]:
    """One part per interchange of a received file, each with its own bytes."""
    row = interchange_lock(interchange_id)
    if row.state != InterchangeState.RECEIVED:
        return list(row.parts.filter(state__in=OPEN_STATES).order_by("pk"))
    data = row.payload_bytes
    parts = []
    for number, parsed in enumerate(interchanges, start=1):
        piece = data[parsed.byte_offset : parsed.byte_offset + parsed.byte_length]
        parts.append(
            Interchange(
                direction=Direction.INBOUND,
                partner=row.partner,
                parent=row,
                transport=row.transport,
                payload=piece,
                checksum=hashlib.sha256(piece).hexdigest(),
                size=len(piece),
                metadata={**row.metadata, "part": number, "parts": len(interchanges)},
                received_at=row.received_at,
                state=InterchangeState.RECEIVED,
            )
        )
    parts = Interchange.objects.bulk_create(parts)
    row.state = InterchangeState.SPLIT
    row.save(update_fields=["state"])
    note = _("%(count)s interchanges in one file") % {"count": len(parts)}
    event_record(interchange=row, kind=EventKind.SPLIT, note=note)
    for part in parts:
        event_record(interchange=part, kind=EventKind.RECEIVED, note=note)
    return parts


@transaction.atomic
def _duplicate_answer(interchange_id: int, parsed: ParsedInterchange) -> None:
    """Tell the sender of a duplicate (CONTRL rejecting with code 26).

    A transaction of its own, after the duplicate is recorded: recording it checks its
    link to the original at commit, and the original's own processing may hold that
    row while it takes the partner's counter for its CONTRL; taking the counter in the
    same transaction as the link would lock the two in the opposite order.
    """
    row = interchange_lock(interchange_id)
    partner = row.partner
    if (
        row.state != InterchangeState.DUPLICATE
        or row.contrl_id
        or not _contrl_wanted(partner, parsed)
    ):
        return
    assert partner is not None
    header = parsed.header
    report = Contrl(
        interchange_reference=header.control_reference if header else "",
        sender=header.sender if header else PartyIdentification(""),
        recipient=header.recipient if header else PartyIdentification(""),
        action=ContrlAction.REJECTED,
        error_code=int(SyntaxErrorCode.DUPLICATE),
        segment_tag="UNB",
        element_position=5,
    )
    _contrl_send(row, partner, report)


@transaction.atomic
def _interchange_open(interchange_id: int, parsed: ParsedInterchange) -> Interchange:
    """Read the envelope, de-duplicate, identify the partner, write the messages."""
    row = interchange_lock(interchange_id)
    if row.state != InterchangeState.RECEIVED:
        return row
    _header_fill(row, parsed)
    header = parsed.header
    sender = _sender_identify(row, parsed)
    holder = _claim(row, "dedup_checksum", row.checksum)
    if holder is None and header is not None and header.control_reference and not parsed.errors:
        holder = _claim(
            row, "dedup_reference", _reference_key(header.sender, header.control_reference)
        )
    if holder is not None:
        row.partner = row.partner or sender.partner
        row.state = InterchangeState.DUPLICATE
        row.duplicate_of = holder
        row.error = _("duplicate of interchange #%(id)s (%(reference)s)") % {
            "id": holder.pk,
            "reference": holder.control_reference or holder.checksum[:12],
        }
        row.save(update_fields=[*HEADER_FIELDS, "partner", "state", "duplicate_of", "error"])
        event_record(interchange=row, kind=EventKind.DUPLICATE, note=row.error)
        return row  # the sender is told in a transaction of its own: _duplicate_answer

    row.partner = row.partner or sender.partner
    rejected = replace(parsed, errors=parsed.errors + sender.errors)
    interchange_problems = [problem_from_edifact(error) for error in rejected.errors]
    if sender.unknown_reason:
        interchange_problems.append(Problem(reason=sender.unknown_reason, code="unknown_partner"))
    rows = []
    for position, message in enumerate(parsed.messages, start=1):
        problems = interchange_problems + _message_problems(message)
        rows.append(
            EdiMessage(
                interchange=row,
                direction=Direction.INBOUND,
                partner=row.partner if not sender.unknown_reason else None,
                position=position,
                reference=printable(message.reference)[:14],
                message_type=printable(message.identifier.message_type)[:6],
                version=printable(message.identifier.version)[:3],
                release=printable(message.identifier.release)[:3],
                association_code=printable(message.identifier.association_code)[:6],
                state=MessageState.ERROR if problems else MessageState.PARSED,
                errors=problems_data(problems),
                segments_text=_segments_text(message, parsed),
            )
        )
    rows = EdiMessage.objects.bulk_create(rows)
    if rejected.errors or sender.unknown_reason:
        row.state = InterchangeState.REJECTED if rejected.errors else InterchangeState.ERROR
        row.error = problems_summary(interchange_problems)
        row.errors = problems_data(interchange_problems)
        row.save(update_fields=[*HEADER_FIELDS, "partner", "state", "error", "errors"])
        event_record(interchange=row, kind=EventKind(row.state), note=row.error)
        events_record(interchange=row, kind=EventKind.ERROR, messages=rows, note=row.error)
        if sender.partner is not None and _contrl_wanted(sender.partner, parsed):
            _contrl_send(row, sender.partner, contrl_for(rejected))
        return row
    row.state = InterchangeState.PARSED
    row.save(update_fields=[*HEADER_FIELDS, "partner", "state"])
    event_record(
        interchange=row,
        kind=EventKind.PARSED,
        note=_("%(count)s messages") % {"count": len(rows)},
    )
    events_record(
        interchange=row,
        kind=EventKind.PARSED,
        messages=[r for r in rows if r.state == MessageState.PARSED],
    )
    errors = [r for r in rows if r.state == MessageState.ERROR]
    for message_row in errors:
        event_record(
            interchange=row,
            message=message_row,
            kind=EventKind.ERROR,
            note=problems_summary(_stored_problems(message_row)),
        )
    return row


def _is_test(parsed: ParsedInterchange) -> bool:
    header = getattr(parsed, "header", None)
    return bool(header is not None and header.test_indicator)


# Messages handled together in one transaction by a batch handler.
BATCH_SIZE = 250


def _messages_dispatch(rows: Sequence[tuple[int, int]], parsed: ParsedInterchange, partner: TradingPartner) -> None:
    """Dispatch the parsed messages ``(id, position)`` of an interchange in order:
    runs of up to ``BATCH_SIZE`` messages of a type with a batch handler together,
    the others one by one. A test interchange's messages go one by one (they are
    checked, never applied)."""
    test = _is_test(parsed)
    run: list[tuple[int, Message]] = []
    for message_id, position in rows:
        message = parsed.messages[position - 1]
        batchable = not test and handlers.batch_handler(message.message_type) is not None
        if run and (not batchable or message.message_type != run[0][1].message_type or len(run) >= BATCH_SIZE):
            _message_batch_dispatch(run, partner)
            run = []
        if batchable:
            run.append((message_id, message))
        else:
            _message_dispatch(message_id, message, partner, test=test)
    if run:
        _message_batch_dispatch(run, partner)


def _message_batch_dispatch(items: list[tuple[int, Message]], partner: TradingPartner) -> None:
    """``_message_dispatch`` of messages of one type, handled together in one
    transaction by its batch handler; each message ends processed or in error on its
    own. If the batch fails on something unexpected, it is rolled back and its
    messages are dispatched one by one (each then fails or passes alone)."""
    handler = handlers.batch_handler(items[0][1].message_type)
    if handler is None:  # unregistered since: one by one, as any other type
        for pk, message in items:
            _message_dispatch(pk, message, partner)
        return
    try:
        with transaction.atomic():
            # Without the interchange's payload: read for every message, it would be a
            # thousand copies of a megabyte.
            locked = {row.pk: row for row in EdiMessage.objects.select_for_update(of=("self",))
                      .select_related("interchange").defer("interchange__payload")
                      .filter(pk__in=[pk for pk, _message in items]).order_by("pk")}
            agreements: dict[str, PartnerMessageType | None] = {}
            work: list[tuple[EdiMessage, Message]] = []
            outcomes: dict[int, tuple[list[Problem], tuple[str, str] | None]] = {}
            for pk, message in items:
                row = locked[pk]
                if row.state != MessageState.PARSED:
                    continue
                problems = _profile_problems(partner, message, agreements=agreements)
                if problems:
                    outcomes[pk] = (problems, None)
                else:
                    work.append((row, message))
            if work:
                for (row, _message), outcome in zip(work, handler(work, partner), strict=True):
                    if isinstance(outcome, (MessageRejected, MappingError)):
                        outcomes[row.pk] = (_rejection_problems(outcome), None)
                    else:
                        outcomes[row.pk] = ([], outcome)
            changed, events = [], []
            now = timezone.now()
            for pk, (problems, result) in outcomes.items():
                row = locked[pk]
                row.updated_at = now
                if problems:
                    row.state, row.errors = MessageState.ERROR, problems_data(problems)
                    events.append((row, EventKind.ERROR, problems_summary(problems)))
                else:
                    row.state, row.errors = MessageState.PROCESSED, []
                    if result:
                        row.document_type, row.document_id = result[0][:40], str(result[1])[:40]
                    events.append((row, EventKind.PROCESSED, f"{row.document_type} {row.document_id}".strip()))
                changed.append(row)
            instances_update(EdiMessage, changed, ["state", "errors", "document_type", "document_id", "updated_at"])
            if changed:
                events_record_each(interchange=changed[0].interchange, events=events)
    except (OperationalError, InterfaceError):
        raise
    except Exception:  # noqa: BLE001 - a bug of the batch: each message on its own
        logger.exception("EDI batch of %s messages failed; dispatching them one by one", len(items))
        for pk, message in items:
            _message_dispatch(pk, message, partner)


def _rejection_problems(exc: MessageRejected | MappingError) -> list[Problem]:
    """The problems a handler's rejection stores (and a CONTRL reports)."""
    if isinstance(exc, MappingError):
        return [problem_from_edifact(error) for error in exc.errors]
    return list(exc.problems) + [problem_from_edifact(error) for error in exc.contrl_errors]


def _message_dispatch(
    message_id: int,
    message: Message,
    partner: TradingPartner,
    *,
    user: AbstractBaseUser | None = None,
    test: bool = False,
) -> EdiMessage:
    """Run the handler of one parsed message in its own transaction (looked up now in
    ``handlers.HANDLERS``, so a handler registered later serves replays). A message of a
    test interchange (UNB 0035 = 1) is checked and acknowledged but never applied: no
    handler runs, it creates no business document."""
    with transaction.atomic():
        row = message_lock(message_id)
        if row.state != MessageState.PARSED:
            return row
        problems = _profile_problems(partner, message)
        result: tuple[str, str] | None = None
        handler = handlers.HANDLERS.get(message.message_type)
        if not problems and test:
            row.state = MessageState.PROCESSED
            row.errors = []
            row.save()
            event_record(interchange=row.interchange, message=row, kind=EventKind.PROCESSED, user=user,
                         note=_("Test interchange (UNB test indicator): checked, not applied."))
            return row
        if not problems and handler is None:
            problems = [
                Problem(
                    reason=_("no handler for %(type)s") % {"type": message.message_type or "?"},
                    code="no_handler",
                )
            ]
        if not problems and handler is not None:
            try:
                with transaction.atomic():
                    result = handler(row, message, partner)
            except (MessageRejected, MappingError) as exc:
                problems = _rejection_problems(exc)
            except Exception as exc:  # noqa: BLE001 - a handler's bug must not crash the worker
                logger.exception("EDI handler failed on message %s", row.pk)
                problems = [
                    Problem(
                        reason=_("internal error: %(error)s")
                        % {"error": f"{exc.__class__.__name__}: {exc}"},
                        code="internal_error",
                    )
                ]
        if problems:
            row.state = MessageState.ERROR
            row.errors = problems_data(problems)
            kind, note = EventKind.ERROR, problems_summary(problems)
        else:
            row.state = MessageState.PROCESSED
            row.errors = []
            if result:
                row.document_type, row.document_id = result[0][:40], str(result[1])[:40]
            kind = EventKind.PROCESSED
            note = f"{row.document_type} {row.document_id}".strip()
        row.save()
        event_record(interchange=row.interchange, message=row, kind=kind, note=note, user=user)
    return row


@transaction.atomic
def _interchange_close(interchange_id: int, parsed: ParsedInterchange) -> Interchange:
    """Every message dispatched: the interchange's state, and the CONTRL answer."""
    row = interchange_lock(interchange_id)
    if row.state != InterchangeState.PARSED:
        return row
    messages = list(row.messages.order_by("position"))
    in_error = [message for message in messages if message.state == MessageState.ERROR]
    row.state = InterchangeState.ERROR if in_error else InterchangeState.PROCESSED
    row.error = (
        _("%(count)s of %(total)s messages in error")
        % {"count": len(in_error), "total": len(messages)}
        if in_error
        else ""
    )
    row.save(update_fields=["state", "error"])
    event_record(interchange=row, kind=EventKind(row.state), note=row.error)
    partner = row.partner
    if _contrl_wanted(partner, parsed):
        assert partner is not None
        message_errors: dict[str, list[EdifactError]] = {}
        for message_row in in_error:
            if not parsed.messages[message_row.position - 1].accepted:
                continue  # its envelope errors are in the parsed message: CONTRL has them
            for problem in _stored_problems(message_row):
                error = _edifact_from_problem(problem, message_row.reference)
                if error is not None:
                    message_errors.setdefault(message_row.reference, []).append(error)
        _contrl_send(row, partner, contrl_for(parsed, message_errors=message_errors))
    return row


def _interchange_refresh(interchange_id: int) -> None:
    """After a replay: an inbound interchange is processed once no message is in error."""
    with transaction.atomic():
        row = interchange_lock(interchange_id)
        if row.state not in (InterchangeState.ERROR, InterchangeState.REJECTED):
            return
        states = set(row.messages.values_list("state", flat=True))
        if states and states <= {MessageState.PROCESSED}:
            row.state = InterchangeState.PROCESSED
            row.error = ""
            row.save(update_fields=["state", "error"])
            event_record(interchange=row, kind=EventKind.PROCESSED, note=_("after replay"))


# --------------------------------------------------------------------------- replay


def message_replay(*, message_id: int, user: AbstractBaseUser | None = None) -> EdiMessage:
    """Process a received message again from the stored raw payload.

    Only a message in error is replayed (a processed one is refused: it would make its
    document twice). The interchange's bytes are read again, the partner identified
    again (it may have been created since), the envelope and profile checked again,
    then the handler runs — so fixing a cross-reference (a GTIN, a GLN, an agreement)
    and replaying is enough. Refused, and nothing changes, when the sender is still
    unknown.
    """
    row = EdiMessage.objects.select_related("interchange").get(pk=message_id)
    if row.direction != Direction.INBOUND:
        raise InvalidTransition(
            _("Only received messages are replayed; resend the interchange of a sent one."),
            code="not_replayable",
        )
    if row.state != MessageState.ERROR:
        raise InvalidTransition(
            _("Message %(message)s is %(state)s: only a message in error is replayed.")
            % {"message": row, "state": row.get_state_display()},
            code="not_replayable",
        )
    interchange = row.interchange
    try:
        result = parse_interchanges(interchange.payload_bytes)
    except Exception as exc:  # noqa: BLE001 - same guard as processing
        raise DomainError(
            _("The payload cannot be read: %(error)s") % {"error": exc}, code="unreadable"
        ) from exc
    if len(result.interchanges) != 1 or len(result.interchanges[0].messages) < row.position:
        raise DomainError(_("The stored payload no longer holds this message."), code="unreadable")
    parsed = result.interchanges[0]
    message = parsed.messages[row.position - 1]
    sender = _sender_identify(interchange, parsed)
    if sender.partner is None:
        raise DomainError(
            _("%(reason)s: create or activate the trading partner, then replay.")
            % {"reason": sender.unknown_reason},
            code="unknown_partner",
        )
    partner = sender.partner
    with transaction.atomic():
        locked = message_lock(row.pk)
        if locked.state != MessageState.ERROR:
            raise InvalidTransition(
                _("Message %(message)s is no longer in error.") % {"message": locked},
                code="not_replayable",
            )
        if interchange.partner_id is None:
            Interchange.objects.filter(pk=interchange.pk).update(partner=partner)
            interchange.partner = partner
        problems = [problem_from_edifact(error) for error in parsed.errors + sender.errors]
        problems += _message_problems(message)
        EdiMessage.objects.filter(pk=locked.pk).update(
            replay_count=F("replay_count") + 1,
            partner=partner,
            state=MessageState.ERROR if problems else MessageState.PARSED,
            errors=problems_data(problems),
            segments_text=_segments_text(message, parsed),
        )
        event_record(interchange=interchange, message=locked, kind=EventKind.REPLAYED, user=user)
        if problems:
            event_record(
                interchange=interchange,
                message=locked,
                kind=EventKind.ERROR,
                note=problems_summary(problems),
                user=user,
            )
        else:
            _message_dispatch(locked.pk, message, partner, user=user, test=_is_test(parsed))
    _interchange_refresh(interchange.pk)
    row.refresh_from_db()
    return row


def messages_replay(
    *, message_ids: Iterable[int], user: AbstractBaseUser | None = None
) -> dict[int, str]:
    """Replay several messages, each on its own; ``{id: "" | refusal}``."""
    outcome: dict[int, str] = {}
    for message_id in message_ids:
        try:
            message_replay(message_id=message_id, user=user)
        except DomainError as exc:
            outcome[message_id] = str(exc.message)
        else:
            outcome[message_id] = ""
    return outcome


def interchanges_process_pending(
    *, now: datetime | None = None, older_than_seconds: int = 300
) -> int:
    """Schedule again the received interchanges left unprocessed (a lost task)."""
    now = now or timezone.now()
    pending = list(
        interchanges_pending(older_than=now - timedelta(seconds=older_than_seconds)).values_list(
            "pk", flat=True
        )[:500]
    )
    for interchange_id in pending:
        processing_schedule(interchange_id)
    return len(pending)
