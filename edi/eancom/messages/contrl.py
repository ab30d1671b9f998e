"""CONTRL (syntax and service report, ``CONTRL:D:3:UN``) ⇄ :class:`Contrl`.

Segments::

    UCI+<interchange ref>+<sender>:<qual>+<recipient>:<qual>+<action>[+<error>+<tag>+<element>:<component>]
    UCM+<message ref>+<type>:<version>:<release>:<agency>[:<assoc>]+<action>[+<error>+<tag>+<element>:<component>]
    UCS+<segment position in message, UNH = 1>[+<error>]
    UCD+<error>+<element position>:<component position>

Action codes (0083): 7 acknowledged (and all lower levels not explicitly rejected),
4 rejected (this level and all lower levels), 8 received (no syntax check reported).
UCI identifies the subject interchange by copying *its* sender, recipient and control
reference; the CONTRL itself travels in a new interchange in the other direction.

:func:`contrl_for` builds the report of an interchange we read from the structured
errors of the codec and of the mappings: interchange-level errors go to UCI, UNH/UNT
errors to UCM, errors inside a message body to UCS/UCD.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ..envelope import Interchange, Message, MessageIdentifier, PartyIdentification
from ..errors import EdifactError, ErrorLevel, SyntaxErrorCode
from ..segment import Segment, make_segment
from ..syntax import is_digits
from .common import ErrorSink, UnmappedSegment, body_segments, check_message_type


class ContrlAction(StrEnum):
    """Data element 0083."""

    REJECTED = "4"
    ACKNOWLEDGED = "7"
    RECEIVED = "8"


@dataclass(frozen=True)
class ElementReport:
    """UCD: an erroneous data element (1-based positions)."""

    error_code: int
    element_position: int
    component_position: int | None = None


@dataclass(frozen=True)
class SegmentReport:
    """UCS (+ its UCDs): an erroneous segment, by position in its message."""

    position: int
    error_code: int | None = None
    elements: tuple[ElementReport, ...] = ()


@dataclass(frozen=True)
class MessageReport:
    """UCM (+ its UCS/UCD groups)."""

    reference: str
    identifier: MessageIdentifier
    action: ContrlAction
    error_code: int | None = None
    segment_tag: str = ""
    element_position: int | None = None
    component_position: int | None = None
    segments: tuple[SegmentReport, ...] = ()


@dataclass(frozen=True)
class Contrl:
    """A syntax and service report about one interchange (the subject interchange)."""

    interchange_reference: str
    sender: PartyIdentification
    recipient: PartyIdentification
    action: ContrlAction
    error_code: int | None = None
    segment_tag: str = ""
    element_position: int | None = None
    component_position: int | None = None
    messages: tuple[MessageReport, ...] = ()
    unmapped: tuple[UnmappedSegment, ...] = field(default=(), compare=False)

    @property
    def rejected(self) -> bool:
        return self.action is ContrlAction.REJECTED

    def message_report(self, reference: str) -> MessageReport | None:
        return next((report for report in self.messages if report.reference == reference), None)


# ---------------------------------------------------------------- building from errors


def _segment_reports(errors: Sequence[EdifactError]) -> tuple[SegmentReport, ...]:
    by_position: dict[int, tuple[list[int], list[ElementReport]]] = {}
    for error in errors:
        position = error.segment_position or 1
        codes, elements = by_position.setdefault(position, ([], []))
        if error.element_position is None:
            codes.append(int(error.code))
        else:
            elements.append(
                ElementReport(int(error.code), error.element_position, error.component_position)
            )
    return tuple(
        SegmentReport(position, codes[0] if codes else None, tuple(elements))
        for position, (codes, elements) in sorted(by_position.items())
    )


def _message_report(
    message: Message, extra: Sequence[EdifactError], action_if_clean: ContrlAction
) -> MessageReport:
    errors = [*message.errors, *extra]
    header_errors = [error for error in errors if error.level is ErrorLevel.MESSAGE]
    body_errors = [error for error in errors if error.level is not ErrorLevel.MESSAGE]
    first = header_errors[0] if header_errors else None
    if not errors:
        return MessageReport(message.reference, message.identifier, action_if_clean)
    return MessageReport(
        reference=message.reference,
        identifier=message.identifier,
        action=ContrlAction.REJECTED,
        error_code=int(first.code) if first else None,
        segment_tag=first.segment_tag if first else "",
        element_position=first.element_position if first else None,
        component_position=first.component_position if first else None,
        segments=_segment_reports(body_errors),
    )


def contrl_for(
    interchange: Interchange,
    *,
    message_errors: Mapping[str, Sequence[EdifactError]] | None = None,
    report_accepted_messages: bool = True,
) -> Contrl:
    """The CONTRL answering ``interchange``.

    ``message_errors`` adds, per message reference, the errors the mappings raised
    (``MappingError.errors``). The interchange is rejected (UCI action 4) when it has
    interchange-level errors; otherwise it is acknowledged (7) and each faulty message
    is rejected in its UCM. ``report_accepted_messages`` also lists accepted messages
    (UCM action 7), which most retail guides ask for.
    """
    message_errors = message_errors or {}
    header = interchange.header
    first = interchange.errors[0] if interchange.errors else None
    if first is not None:
        action = ContrlAction.REJECTED
        reports = tuple(
            _message_report(
                message, message_errors.get(message.reference, ()), ContrlAction.REJECTED
            )
            for message in interchange.messages
            if message.errors or message_errors.get(message.reference)
        )
    else:
        action = ContrlAction.ACKNOWLEDGED
        reports = tuple(
            report
            for report in (
                _message_report(
                    message, message_errors.get(message.reference, ()), ContrlAction.ACKNOWLEDGED
                )
                for message in interchange.messages
            )
            if report_accepted_messages or report.action is ContrlAction.REJECTED
        )
    return Contrl(
        interchange_reference=header.control_reference if header else "",
        sender=header.sender if header else PartyIdentification(""),
        recipient=header.recipient if header else PartyIdentification(""),
        action=action,
        error_code=int(first.code) if first else None,
        segment_tag=first.segment_tag if first else "",
        element_position=first.element_position if first else None,
        component_position=first.component_position if first else None,
        messages=reports,
    )


def contrl_received(interchange: Interchange) -> Contrl:
    """A bare receipt (UCI action 8) for partners who only want that."""
    header = interchange.header
    return Contrl(
        interchange_reference=header.control_reference if header else "",
        sender=header.sender if header else PartyIdentification(""),
        recipient=header.recipient if header else PartyIdentification(""),
        action=ContrlAction.RECEIVED,
    )


# ---------------------------------------------------------------- segments


def _position_text(value: int | None) -> str:
    return str(value) if value is not None else ""


def _code_text(value: int | None) -> str:
    return str(value) if value is not None else ""


def build_contrl(report: Contrl) -> tuple[Segment, ...]:
    """The CONTRL body (between UNH and UNT)."""
    segments = [
        make_segment(
            "UCI",
            report.interchange_reference,
            (report.sender.identifier, report.sender.qualifier, report.sender.internal_routing),
            (
                report.recipient.identifier,
                report.recipient.qualifier,
                report.recipient.internal_routing,
            ),
            report.action.value,
            _code_text(report.error_code),
            report.segment_tag,
            (_position_text(report.element_position), _position_text(report.component_position)),
        )
    ]
    for message in report.messages:
        segments.append(
            make_segment(
                "UCM",
                message.reference,
                message.identifier.components(),
                message.action.value,
                _code_text(message.error_code),
                message.segment_tag,
                (
                    _position_text(message.element_position),
                    _position_text(message.component_position),
                ),
            )
        )
        for segment_report in message.segments:
            segments.append(
                make_segment(
                    "UCS", str(segment_report.position), _code_text(segment_report.error_code)
                )
            )
            for element in segment_report.elements:
                segments.append(
                    make_segment(
                        "UCD",
                        str(element.error_code),
                        (str(element.element_position), _position_text(element.component_position)),
                    )
                )
    return tuple(segments)


def _int_or_error(
    text: str, sink: ErrorSink, position: int, tag: str, element: int, component: int | None = None
) -> int | None:
    if not text:
        return None
    if not is_digits(text):
        sink.add(
            SyntaxErrorCode.INVALID_CHARACTER_TYPE,
            f"{text!r} is not a number",
            position,
            tag,
            element,
            component,
        )
        return None
    return int(text)


def _action(
    text: str, sink: ErrorSink, position: int, tag: str, element: int
) -> ContrlAction | None:
    try:
        return ContrlAction(text)
    except ValueError:
        sink.add(
            SyntaxErrorCode.VALUE_NOT_SUPPORTED if text else SyntaxErrorCode.MISSING,
            f"action code {text or '(none)'} is not supported (4, 7, 8 are)",
            position,
            tag,
            element,
        )
        return None


def parse_contrl(message: Message) -> Contrl:
    """Read a CONTRL a partner sent about one of our interchanges."""
    sink = ErrorSink(message.reference)
    check_message_type(message, "CONTRL", sink)
    uci: Contrl | None = None
    messages: list[MessageReport] = []
    segment_reports: list[SegmentReport] = []
    unmapped: list[UnmappedSegment] = []

    def close_segment_reports() -> None:
        if messages and segment_reports:
            last = messages[-1]
            messages[-1] = MessageReport(
                last.reference,
                last.identifier,
                last.action,
                last.error_code,
                last.segment_tag,
                last.element_position,
                last.component_position,
                tuple(segment_reports),
            )
        segment_reports.clear()

    for position, segment in body_segments(message):
        tag = segment.tag
        if tag == "UCI":
            if uci is not None:
                sink.add(SyntaxErrorCode.TOO_MANY_REPETITIONS, "UCI given twice", position, tag)
                continue
            reference = segment.value(1)
            if not reference:
                sink.add(SyntaxErrorCode.MISSING, "interchange reference missing", position, tag, 1)
            action = _action(segment.value(4), sink, position, tag, 4)
            uci = Contrl(
                interchange_reference=reference,
                sender=PartyIdentification(
                    segment.value(2, 1), segment.value(2, 2), segment.value(2, 3)
                ),
                recipient=PartyIdentification(
                    segment.value(3, 1), segment.value(3, 2), segment.value(3, 3)
                ),
                action=action or ContrlAction.RECEIVED,
                error_code=_int_or_error(segment.value(5), sink, position, tag, 5),
                segment_tag=segment.value(6),
                element_position=_int_or_error(segment.value(7, 1), sink, position, tag, 7, 1),
                component_position=_int_or_error(segment.value(7, 2), sink, position, tag, 7, 2),
            )
        elif tag == "UCM":
            close_segment_reports()
            if uci is None:
                sink.add(SyntaxErrorCode.NOT_SUPPORTED_IN_POSITION, "UCM before UCI", position, tag)
            action = _action(segment.value(3), sink, position, tag, 3)
            messages.append(
                MessageReport(
                    reference=segment.value(1),
                    identifier=MessageIdentifier(
                        segment.value(2, 1),
                        segment.value(2, 2),
                        segment.value(2, 3),
                        segment.value(2, 4),
                        segment.value(2, 5),
                    ),
                    action=action or ContrlAction.RECEIVED,
                    error_code=_int_or_error(segment.value(4), sink, position, tag, 4),
                    segment_tag=segment.value(5),
                    element_position=_int_or_error(segment.value(6, 1), sink, position, tag, 6, 1),
                    component_position=_int_or_error(
                        segment.value(6, 2), sink, position, tag, 6, 2
                    ),
                )
            )
        elif tag == "UCS":
            if not messages:
                sink.add(
                    SyntaxErrorCode.NOT_SUPPORTED_IN_POSITION,
                    "UCS outside a UCM group",
                    position,
                    tag,
                )
                continue
            segment_position = _int_or_error(segment.value(1), sink, position, tag, 1)
            if segment_position is None:
                sink.add(SyntaxErrorCode.MISSING, "segment position missing", position, tag, 1)
                continue
            segment_reports.append(
                SegmentReport(
                    segment_position, _int_or_error(segment.value(2), sink, position, tag, 2)
                )
            )
        elif tag == "UCD":
            if not segment_reports:
                sink.add(
                    SyntaxErrorCode.NOT_SUPPORTED_IN_POSITION,
                    "UCD outside a UCS group",
                    position,
                    tag,
                )
                continue
            code = _int_or_error(segment.value(1), sink, position, tag, 1)
            element = _int_or_error(segment.value(2, 1), sink, position, tag, 2, 1)
            if code is None or element is None:
                sink.add(
                    SyntaxErrorCode.MISSING, "error code or element position missing", position, tag
                )
                continue
            last = segment_reports[-1]
            segment_reports[-1] = SegmentReport(
                last.position,
                last.error_code,
                (
                    *last.elements,
                    ElementReport(
                        code, element, _int_or_error(segment.value(2, 2), sink, position, tag, 2, 2)
                    ),
                ),
            )
        else:
            unmapped.append(UnmappedSegment(position, tag))
    close_segment_reports()
    if uci is None:
        sink.add(SyntaxErrorCode.MISSING, "UCI missing", 2, "UCI")
    sink.raise_if_any()
    assert uci is not None
    return Contrl(
        interchange_reference=uci.interchange_reference,
        sender=uci.sender,
        recipient=uci.recipient,
        action=uci.action,
        error_code=uci.error_code,
        segment_tag=uci.segment_tag,
        element_position=uci.element_position,
        component_position=uci.component_position,
        messages=tuple(messages),
        unmapped=tuple(unmapped),
    )
