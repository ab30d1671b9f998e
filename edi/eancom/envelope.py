"""Interchange and message envelopes: the model, the checks and the service segments.

Reading: :func:`analyse_interchange` takes the segments of one interchange (as the
codec tokenized them) and returns an :class:`Interchange` whose messages carry their
segments from UNH to UNT. Every envelope fault is an :class:`EdifactError`, never an
exception:

* interchange level (reported in UCI): UNB missing or unreadable (13/12/2), UNZ
  missing (13), UNZ count ≠ number of messages (29), UNZ reference ≠ UNB reference
  (28), a segment outside any message (33), functional groups (15, not used in
  EANCOM retail and not supported), no message at all (32);
* message level (reported in UCM): UNH reference or message identifier missing (13),
  reference used twice in the interchange (26), UNT missing (13), UNT count ≠
  segments from UNH to UNT inclusive (29), UNT reference ≠ UNH reference (28);
* segment level (UCS/UCD): faults the codec found while decoding or tokenizing a
  segment inside a message, re-attributed here to the message and position.

Writing: :func:`wrap_message` adds UNH and a UNT whose count is computed, and
:func:`unb_segment` / :func:`unz_segment` write the interchange header and trailer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from .errors import EdifactError, ErrorLevel, SyntaxErrorCode
from .segment import Segment, make_segment
from .syntax import DEFAULT_CHARACTERS, ServiceCharacters, encoding_for, is_digits


@dataclass(frozen=True)
class PartyIdentification:
    """Interchange sender or recipient (S002/S003): id, qualifier (14 = GLN), routing."""

    identifier: str
    qualifier: str = ""
    internal_routing: str = ""


@dataclass(frozen=True)
class InterchangeHeader:
    """What UNB says. ``prepared_at`` is None only when the UNB date was unreadable."""

    sender: PartyIdentification
    recipient: PartyIdentification
    control_reference: str
    prepared_at: datetime | None
    syntax_identifier: str = "UNOC"
    syntax_version: str = "3"
    application_reference: str = ""
    acknowledgement_requested: bool = False
    agreement_identifier: str = ""
    test_indicator: bool = False


@dataclass(frozen=True)
class MessageIdentifier:
    """S009: message type, version, release, controlling agency, association code."""

    message_type: str
    version: str
    release: str
    agency: str
    association_code: str = ""

    def components(self) -> tuple[str, ...]:
        return (self.message_type, self.version, self.release, self.agency, self.association_code)


ORDERS_D96A = MessageIdentifier("ORDERS", "D", "96A", "UN", "EAN008")
ORDRSP_D96A = MessageIdentifier("ORDRSP", "D", "96A", "UN", "EAN005")
DESADV_D96A = MessageIdentifier("DESADV", "D", "96A", "UN", "EAN005")
INVOIC_D96A = MessageIdentifier("INVOIC", "D", "96A", "UN", "EAN008")
CONTRL_D3 = MessageIdentifier("CONTRL", "D", "3", "UN")


@dataclass(frozen=True)
class Message:
    """One message: its segments from UNH to UNT inclusive (position = index + 1).

    ``interchange_position`` is the position of its UNH in the interchange, UNB = 1.
    """

    reference: str
    identifier: MessageIdentifier
    segments: tuple[Segment, ...]
    errors: tuple[EdifactError, ...] = ()
    interchange_position: int = field(default=0, compare=False)

    @property
    def accepted(self) -> bool:
        return not self.errors

    @property
    def message_type(self) -> str:
        return self.identifier.message_type


@dataclass(frozen=True)
class Interchange:
    """One interchange as read. ``errors`` are interchange-level (UCI) faults."""

    header: InterchangeHeader | None
    messages: tuple[Message, ...]
    errors: tuple[EdifactError, ...] = ()
    characters: ServiceCharacters = DEFAULT_CHARACTERS
    una_present: bool = False
    byte_offset: int = field(default=0, compare=False)
    byte_length: int = field(default=0, compare=False)

    @property
    def rejected(self) -> bool:
        """An interchange-level fault rejects the interchange and all its messages."""
        return bool(self.errors)

    @property
    def accepted(self) -> bool:
        return not self.errors and all(message.accepted for message in self.messages)

    @property
    def all_errors(self) -> tuple[EdifactError, ...]:
        return self.errors + tuple(error for message in self.messages for error in message.errors)

    def processable_messages(self) -> tuple[Message, ...]:
        """Messages a service may go on with: none if the interchange is rejected."""
        if self.errors:
            return ()
        return tuple(message for message in self.messages if message.accepted)


@dataclass(frozen=True)
class OutboundMessage:
    """A message to write: reference, identifier and body (without UNH and UNT)."""

    reference: str
    identifier: MessageIdentifier
    body: tuple[Segment, ...]


# ---------------------------------------------------------------- writing


def format_prepared_at(prepared_at: datetime, syntax_version: str) -> tuple[str, str]:
    """S004 date and time: YYMMDD before syntax version 4, CCYYMMDD from 4 on."""
    date_text = (
        prepared_at.strftime("%Y%m%d") if syntax_version >= "4" else prepared_at.strftime("%y%m%d")
    )
    return date_text, prepared_at.strftime("%H%M")


def unb_segment(header: InterchangeHeader) -> Segment:
    if header.prepared_at is None:
        raise ValueError("an outbound interchange header needs prepared_at")
    return make_segment(
        "UNB",
        (header.syntax_identifier, header.syntax_version),
        (header.sender.identifier, header.sender.qualifier, header.sender.internal_routing),
        (
            header.recipient.identifier,
            header.recipient.qualifier,
            header.recipient.internal_routing,
        ),
        format_prepared_at(header.prepared_at, header.syntax_version),
        header.control_reference,
        None,
        header.application_reference,
        None,
        "1" if header.acknowledgement_requested else None,
        header.agreement_identifier,
        "1" if header.test_indicator else None,
    )


def unz_segment(message_count: int, control_reference: str) -> Segment:
    return make_segment("UNZ", str(message_count), control_reference)


def wrap_message(message: OutboundMessage) -> tuple[Segment, ...]:
    """UNH + body + UNT, the UNT count being the number of segments UNH..UNT."""
    header = make_segment("UNH", message.reference, message.identifier.components())
    trailer = make_segment("UNT", str(len(message.body) + 2), message.reference)
    return (header, *message.body, trailer)


# ---------------------------------------------------------------- reading


def _interchange_error(
    code: SyntaxErrorCode,
    reason: str,
    tag: str,
    *,
    element: int | None = None,
    component: int | None = None,
    position: int | None = None,
) -> EdifactError:
    return EdifactError(
        code=code,
        reason=reason,
        level=ErrorLevel.INTERCHANGE,
        segment_tag=tag,
        segment_position=position,
        element_position=element,
        component_position=component,
    )


def _message_error(
    code: SyntaxErrorCode,
    reason: str,
    tag: str,
    reference: str,
    *,
    element: int | None = None,
    component: int | None = None,
    position: int | None = None,
) -> EdifactError:
    return EdifactError(
        code=code,
        reason=reason,
        level=ErrorLevel.MESSAGE,
        segment_tag=tag,
        segment_position=position,
        element_position=element,
        component_position=component,
        message_reference=reference,
    )


_STRUCTURE_TAGS = frozenset({"UNB", "UNH", "UNT", "UNZ", "UNG", "UNE"})


def parse_prepared_at(date_text: str, time_text: str) -> datetime | None:
    """S004: YYMMDD or CCYYMMDD, and HHMM. None when not a real date and time."""
    if not (is_digits(date_text) and is_digits(time_text) and len(time_text) == 4):
        return None
    try:
        if len(date_text) == 6:
            year = 2000 + int(date_text[:2])
            return datetime(
                year,
                int(date_text[2:4]),
                int(date_text[4:6]),
                int(time_text[:2]),
                int(time_text[2:]),
            )
        if len(date_text) == 8:
            return datetime(
                int(date_text[:4]),
                int(date_text[4:6]),
                int(date_text[6:8]),
                int(time_text[:2]),
                int(time_text[2:]),
            )
    except ValueError:
        return None
    return None


def parse_unb(segment: Segment) -> tuple[InterchangeHeader, list[EdifactError]]:
    """Read UNB leniently; each missing or invalid mandatory value is an error."""
    errors: list[EdifactError] = []

    def missing(element: int, component: int | None, what: str) -> None:
        errors.append(
            _interchange_error(
                SyntaxErrorCode.MISSING,
                f"{what} missing",
                "UNB",
                element=element,
                component=component,
                position=1,
            )
        )

    syntax_identifier = segment.value(1, 1)
    syntax_version = segment.value(1, 2)
    if not syntax_identifier:
        missing(1, 1, "syntax identifier")
    elif encoding_for(syntax_identifier) is None:
        errors.append(
            _interchange_error(
                SyntaxErrorCode.SYNTAX_LEVEL_NOT_SUPPORTED,
                f"syntax identifier {syntax_identifier!r} is not supported",
                "UNB",
                element=1,
                component=1,
                position=1,
            )
        )
    if not syntax_version:
        missing(1, 2, "syntax version")
    elif syntax_version not in ("1", "2", "3", "4"):
        errors.append(
            _interchange_error(
                SyntaxErrorCode.SYNTAX_LEVEL_NOT_SUPPORTED,
                f"syntax version {syntax_version!r} is not supported",
                "UNB",
                element=1,
                component=2,
                position=1,
            )
        )
    sender = PartyIdentification(segment.value(2, 1), segment.value(2, 2), segment.value(2, 3))
    recipient = PartyIdentification(segment.value(3, 1), segment.value(3, 2), segment.value(3, 3))
    if not sender.identifier:
        missing(2, 1, "interchange sender")
    if not recipient.identifier:
        missing(3, 1, "interchange recipient")
    date_text, time_text = segment.value(4, 1), segment.value(4, 2)
    prepared_at = None
    if not date_text or not time_text:
        missing(4, 1 if not date_text else 2, "date and time of preparation")
    else:
        prepared_at = parse_prepared_at(date_text, time_text)
        if prepared_at is None:
            errors.append(
                _interchange_error(
                    SyntaxErrorCode.INVALID_VALUE,
                    f"invalid date/time of preparation {date_text}:{time_text}",
                    "UNB",
                    element=4,
                    position=1,
                )
            )
    control_reference = segment.value(5)
    if not control_reference:
        missing(5, None, "interchange control reference")
    elif len(control_reference) > 14:
        errors.append(
            _interchange_error(
                SyntaxErrorCode.TOO_LONG,
                "interchange control reference longer than 14 characters",
                "UNB",
                element=5,
                position=1,
            )
        )
    header = InterchangeHeader(
        sender=sender,
        recipient=recipient,
        control_reference=control_reference,
        prepared_at=prepared_at,
        syntax_identifier=syntax_identifier,
        syntax_version=syntax_version,
        application_reference=segment.value(7),
        acknowledgement_requested=segment.value(9) == "1",
        agreement_identifier=segment.value(10),
        test_indicator=segment.value(11) == "1",
    )
    return header, errors


def _relevel(
    error: EdifactError, level: ErrorLevel, position: int, tag: str, reference: str = ""
) -> EdifactError:
    return replace(
        error,
        level=level,
        segment_position=position,
        segment_tag=tag or error.segment_tag,
        message_reference=reference,
    )


def analyse_interchange(
    segments: Sequence[Segment],
    *,
    characters: ServiceCharacters = DEFAULT_CHARACTERS,
    una_present: bool = False,
    faults: Mapping[int, Sequence[EdifactError]] | None = None,
    truncated: bool = False,
    byte_offset: int = 0,
    byte_length: int = 0,
) -> Interchange:
    """Group the segments of one interchange into messages and check the envelope.

    ``segments`` may start with the UNA segment. ``faults`` are errors the codec found
    in given segments (keyed by index among the segments after UNA); they are
    attributed here to their message and position. ``truncated`` says the text ended
    inside a segment, so a missing UNZ is explained as a truncation.
    """
    faults = faults or {}
    body = list(segments[1:]) if segments and segments[0].tag == "UNA" else list(segments)
    errors: list[EdifactError] = []
    header: InterchangeHeader | None = None
    index = 0
    if body and body[0].tag == "UNB":
        header, header_errors = parse_unb(body[0])
        errors.extend(header_errors)
        index = 1
    else:
        errors.append(
            _interchange_error(
                SyntaxErrorCode.MISSING,
                "the interchange does not start with UNB",
                "UNB",
                position=1,
            )
        )
    messages: list[Message] = []
    references: set[str] = set()
    trailer: Segment | None = None
    trailer_index = -1
    outside_tags: list[tuple[int, str]] = []

    def close(start: int, end: int, has_trailer: bool) -> None:
        messages.append(
            _close_message(start, tuple(body[start:end]), has_trailer, references, faults)
        )

    def outside(start: int, end: int) -> None:
        outside_tags.extend((later, body[later].tag) for later in range(start, end))

    # Only service segments change the structure: visit those, slice the rest.
    marks = [position for position, segment in enumerate(body) if segment[0] in _STRUCTURE_TAGS]
    current: int | None = None
    cursor = index
    for mark in marks:
        if mark < index:
            continue
        tag = body[mark].tag
        if current is None:
            outside(cursor, mark)
        if tag == "UNH":
            if current is not None:
                close(current, mark, False)
            current = mark
        elif tag == "UNT" and current is not None:
            close(current, mark + 1, True)
            current = None
        elif tag == "UNZ":
            if current is not None:
                close(current, mark, False)
                current = None
            trailer = body[mark]
            trailer_index = mark
            cursor = mark + 1
            outside(cursor, len(body))
            break
        else:
            if current is not None:
                close(current, mark, False)
                current = None
            outside_tags.append((mark, tag))
        cursor = mark + 1
    else:
        if current is not None:
            close(current, len(body), False)
        else:
            outside(cursor, len(body))

    for position_index, tag in outside_tags:
        if tag in ("UNG", "UNE"):
            errors.append(
                _interchange_error(
                    SyntaxErrorCode.NOT_SUPPORTED_IN_POSITION,
                    "functional groups (UNG/UNE) are not supported",
                    tag,
                    position=position_index + 1,
                )
            )
        else:
            errors.append(
                _interchange_error(
                    SyntaxErrorCode.INVALID_OCCURRENCE_OUTSIDE_MESSAGE,
                    f"segment {tag or '?'} outside any message",
                    tag,
                    position=position_index + 1,
                )
            )

    # Faults in segments that belong to no message are interchange-level.
    covered: set[int] = set()
    for message in messages:
        first_index = message.interchange_position - 1
        covered.update(range(first_index, first_index + len(message.segments)))
    for fault_index in sorted(faults):
        if fault_index in covered:
            continue
        tag = body[fault_index].tag if fault_index < len(body) else ""
        for fault in faults[fault_index]:
            errors.append(_relevel(fault, ErrorLevel.INTERCHANGE, fault_index + 1, tag))

    if trailer is None:
        errors.append(
            _interchange_error(
                SyntaxErrorCode.MISSING,
                "UNZ missing: the interchange is truncated" if truncated else "UNZ missing",
                "UNZ",
            )
        )
    else:
        count_text = trailer.value(1)
        if not is_digits(count_text):
            errors.append(
                _interchange_error(
                    SyntaxErrorCode.MISSING
                    if not count_text
                    else SyntaxErrorCode.INVALID_CHARACTER_TYPE,
                    f"UNZ message count {count_text!r} is not a number",
                    "UNZ",
                    element=1,
                    position=trailer_index + 1,
                )
            )
        elif int(count_text) != len(messages):
            errors.append(
                _interchange_error(
                    SyntaxErrorCode.CONTROL_COUNT_MISMATCH,
                    f"UNZ counts {int(count_text)} messages, the interchange has {len(messages)}",
                    "UNZ",
                    element=1,
                    position=trailer_index + 1,
                )
            )
        if header is not None and trailer.value(2) != header.control_reference:
            errors.append(
                _interchange_error(
                    SyntaxErrorCode.REFERENCES_DO_NOT_MATCH,
                    f"UNZ reference {trailer.value(2)!r} differs from UNB reference {header.control_reference!r}",
                    "UNZ",
                    element=2,
                    position=trailer_index + 1,
                )
            )
        if truncated:
            errors.append(
                _interchange_error(
                    SyntaxErrorCode.MISSING,
                    "unterminated data after UNZ",
                    "UNZ",
                    position=trailer_index + 1,
                )
            )
    if header is not None and not messages:
        errors.append(
            _interchange_error(
                SyntaxErrorCode.LOWER_LEVEL_EMPTY,
                "the interchange contains no message",
                "UNB",
                position=1,
            )
        )
    return Interchange(
        header=header,
        messages=tuple(messages),
        errors=tuple(errors),
        characters=characters,
        una_present=una_present,
        byte_offset=byte_offset,
        byte_length=byte_length,
    )


def _close_message(
    start_index: int,
    segments: tuple[Segment, ...],
    has_trailer: bool,
    references: set[str],
    faults: Mapping[int, Sequence[EdifactError]],
) -> Message:
    header = segments[0]
    reference = header.value(1)
    identifier = MessageIdentifier(
        header.value(2, 1),
        header.value(2, 2),
        header.value(2, 3),
        header.value(2, 4),
        header.value(2, 5),
    )
    errors: list[EdifactError] = []
    if not reference:
        errors.append(
            _message_error(
                SyntaxErrorCode.MISSING,
                "message reference missing",
                "UNH",
                reference,
                element=1,
                position=1,
            )
        )
    elif reference in references:
        errors.append(
            _message_error(
                SyntaxErrorCode.DUPLICATE,
                f"message reference {reference!r} used twice in the interchange",
                "UNH",
                reference,
                element=1,
                position=1,
            )
        )
    references.add(reference)
    for component, what in enumerate(
        ("message type", "version", "release", "controlling agency"), start=1
    ):
        if not header.value(2, component):
            errors.append(
                _message_error(
                    SyntaxErrorCode.MISSING,
                    f"{what} missing",
                    "UNH",
                    reference,
                    element=2,
                    component=component,
                    position=1,
                )
            )
    if not has_trailer:
        errors.append(_message_error(SyntaxErrorCode.MISSING, "UNT missing", "UNT", reference))
    else:
        trailer = segments[-1]
        position = len(segments)
        count_text = trailer.value(1)
        if not is_digits(count_text):
            errors.append(
                _message_error(
                    SyntaxErrorCode.MISSING
                    if not count_text
                    else SyntaxErrorCode.INVALID_CHARACTER_TYPE,
                    f"UNT segment count {count_text!r} is not a number",
                    "UNT",
                    reference,
                    element=1,
                    position=position,
                )
            )
        elif int(count_text) != len(segments):
            errors.append(
                _message_error(
                    SyntaxErrorCode.CONTROL_COUNT_MISMATCH,
                    f"UNT counts {int(count_text)} segments, the message has {len(segments)}",
                    "UNT",
                    reference,
                    element=1,
                    position=position,
                )
            )
        if trailer.value(2) != reference:
            errors.append(
                _message_error(
                    SyntaxErrorCode.REFERENCES_DO_NOT_MATCH,
                    f"UNT reference {trailer.value(2)!r} differs from UNH reference {reference!r}",
                    "UNT",
                    reference,
                    element=2,
                    position=position,
                )
            )
    for offset, segment in enumerate(segments):
        for fault in faults.get(start_index + offset, ()):
            errors.append(_relevel(fault, ErrorLevel.SEGMENT, offset + 1, segment.tag, reference))
    return Message(
        reference=reference,
        identifier=identifier,
        segments=segments,
        errors=tuple(errors),
        interchange_position=start_index + 1,
    )
