"""The header part the message mappings share, read and written in one place.

Reading: :class:`HeaderCollector` keeps the state of one message being read (document
number, dates, references, parties with the RFF under their NAD, currency, notes,
unmapped segments, the line draft and count, the CNT control) and reads the common
header segments BGM, DTM, RFF, NAD, FTX, CUX and CNT. Each message module reads what is
specific to it and hands the rest over.

Writing: :func:`header_segments` (BGM, DTM, FTX, RFF, NAD, CUX) and
:func:`summary_segments` (UNS, CNT).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from enum import Enum
from typing import Generic, TypeVar

from ..envelope import Message
from ..errors import SyntaxErrorCode
from ..segment import Segment, make_segment
from .common import (
    DateValue,
    ErrorSink,
    Note,
    Party,
    Reference,
    UnmappedSegment,
    check_length,
    check_message_type,
    cux_segment,
    dtm_segment,
    ftx_segment,
    nad_segments,
    parse_control_count,
    parse_cux,
    parse_ftx,
    parse_nad,
    parse_rff,
    read_dtm,
    rff_segments,
)

CodeT = TypeVar("CodeT", bound=Enum)
DraftT = TypeVar("DraftT")
LineT = TypeVar("LineT")


def reference_with_date(references: list[Reference], value: DateValue) -> None:
    """DTM+171 after an RFF dates the reference just read."""
    if not references:
        return
    last = references[-1]
    day = value.date() if isinstance(value, datetime) else value
    references[-1] = Reference(last.qualifier, last.value, last.line_number, day)


def read_code(
    kind: type[CodeT],
    code: str,
    sink: ErrorSink,
    position: int,
    tag: str,
    element: int,
    *,
    what: str,
    supported: str,
) -> CodeT | None:
    """``kind(code)``, or None with error 12 (unsupported) or 13 (missing) at the element."""
    try:
        return kind(code)
    except ValueError:
        sink.add(
            SyntaxErrorCode.VALUE_NOT_SUPPORTED if code else SyntaxErrorCode.MISSING,
            f"{what} {code or '(none)'} is not supported ({supported} are)",
            position,
            tag,
            element,
        )
        return None


class HeaderCollector(Generic[DraftT, LineT]):
    """What one message being read has collected so far, and its common header segments.

    ``context`` tells which group the last segment opened ("rff", "nad", "nad-rff",
    "header", "line", "summary" …); the message modules read and set it for their own
    groups. ``context_dates`` maps a context to the DTM qualifier it takes (PAT → 13).
    """

    def __init__(
        self,
        message: Message,
        message_type: str,
        *,
        date_qualifiers: tuple[str, ...],
        finish_line: Callable[[DraftT, ErrorSink], LineT | None],
        context_dates: dict[str, str] | None = None,
        currency: bool = True,
        emit_line: Callable[[LineT], None] | None = None,
    ) -> None:
        self.message = message
        self.sink = ErrorSink(message.reference)
        check_message_type(message, message_type, self.sink)
        self.date_qualifiers = date_qualifiers
        self.context_dates = context_dates or {}
        self.reads_currency = currency
        self._finish_line = finish_line
        self.document_number = ""
        self.dates: dict[str, DateValue | None] = {}
        self.references: list[Reference] = []
        self.parties: list[Party] = []
        self.party_references: list[Reference] = []
        self.currency = ""
        self.notes: list[Note] = []
        self.unmapped: list[UnmappedSegment] = []
        self.lines: list[LineT] = []
        self._emit_line = emit_line or self.lines.append
        self.draft: DraftT | None = None
        self.context = ""
        self.line_count = 0
        self.bgm_seen = False
        self.control: tuple[Segment, int] | None = None

    # ------------------------------------------------------------ state

    def unmap(self, position: int, tag: str) -> None:
        self.unmapped.append(UnmappedSegment(position, tag))

    def close_party(self) -> None:
        """The RFF read under the last NAD become that party's references."""
        if self.parties and self.party_references:
            self.parties[-1] = replace(self.parties[-1], references=tuple(self.party_references))
        self.party_references.clear()

    def close_line(self) -> None:
        if self.draft is not None:
            line = self._finish_line(self.draft, self.sink)
            if line is not None:
                self._emit_line(line)
            self.draft = None

    def close(self) -> None:
        self.close_party()
        self.close_line()

    def begin_line(self) -> None:
        """LIN: closes the open party and line, counts the line; set ``draft`` next."""
        self.close()
        self.line_count += 1
        self.context = "line"

    # ------------------------------------------------------------ BGM

    def read_bgm(self, position: int, segment: Segment) -> None:
        """BGM must come right after UNH, once."""
        if self.bgm_seen or position != 2:
            self.sink.add(
                SyntaxErrorCode.NOT_SUPPORTED_IN_POSITION,
                "BGM must be the first segment after UNH",
                position,
                segment.tag,
            )
        self.bgm_seen = True

    def check_document_name(self, position: int, segment: Segment, code: str, what: str) -> None:
        if segment.value(1, 1) != code:
            self.sink.add(
                SyntaxErrorCode.VALUE_NOT_SUPPORTED,
                f"document name {segment.value(1, 1) or '(none)'} is not {what} ({code})",
                position,
                segment.tag,
                1,
                1,
            )

    def read_document_number(self, position: int, segment: Segment, what: str) -> None:
        self.document_number = segment.value(2)
        if not self.document_number:
            self.sink.add(SyntaxErrorCode.MISSING, f"{what} missing", position, segment.tag, 2)
        else:
            check_length(self.document_number, 35, self.sink, position, segment.tag, 2)

    # ------------------------------------------------------------ header segments

    def read_header(self, position: int, segment: Segment) -> bool:
        """DTM, RFF, NAD, FTX, CUX of the header; False for any other segment.

        Any segment but DTM, RFF and NAD closes the open party and leaves the context
        "header", whether read here or not.
        """
        tag = segment.tag
        sink = self.sink
        if tag == "DTM":
            qualifier, value = read_dtm(segment, sink, position)
            if self.context in ("rff", "nad-rff") and qualifier == "171":
                if value is not None:
                    reference_with_date(
                        self.references if self.context == "rff" else self.party_references,
                        value,
                    )
            elif (
                self.context_dates.get(self.context) == qualifier
                or qualifier in self.date_qualifiers
            ):
                self.dates[qualifier] = value
            else:
                self.unmap(position, tag)
            return True
        if tag == "RFF":
            reference = parse_rff(segment, sink, position)
            if self.context in ("nad", "nad-rff"):
                if reference is not None:
                    self.party_references.append(reference)
                self.context = "nad-rff"
            else:
                self.close_party()
                self.add_reference(reference)
            return True
        if tag == "NAD":
            self.close_party()
            party = parse_nad(segment, sink, position)
            if party is not None:
                self.parties.append(party)
            self.context = "nad"
            return True
        self.close_party()
        self.context = "header"
        if tag == "FTX":
            note = parse_ftx(segment, sink, position)
            if note is not None:
                self.notes.append(note)
            return True
        if tag == "CUX" and self.reads_currency:
            self.currency = parse_cux(segment, sink, position)
            return True
        return False

    def add_reference(self, reference: Reference | None) -> None:
        """A header RFF outside a NAD group (a subclass may keep some apart)."""
        if reference is not None:
            self.references.append(reference)
        self.context = "rff"

    def read_control(self, position: int, segment: Segment) -> None:
        """CNT+2 is checked at the end against the lines read; other CNT are unmapped."""
        if segment.value(1, 1) == "2":
            self.control = (segment, position)
        else:
            self.unmap(position, segment.tag)

    # ------------------------------------------------------------ end of message

    def check_start(self, date_what: str) -> DateValue | None:
        """BGM and DTM+137 must have been read; the document date."""
        if not self.bgm_seen:
            self.sink.add(SyntaxErrorCode.MISSING, "BGM missing", 2, "BGM")
        if "137" not in self.dates:
            self.sink.add(SyntaxErrorCode.MISSING, f"{date_what} (DTM+137) missing", 2, "DTM")
        return self.dates.get("137")

    def check_control(self) -> None:
        if self.control is not None:
            parse_control_count(
                self.control[0], self.sink, self.control[1], self.line_count, "lines"
            )


# ---------------------------------------------------------------- writing


def header_segments(
    bgm: tuple[str, str, str],
    document_date: DateValue,
    dates: Iterable[tuple[str, DateValue | None]],
    notes: Iterable[Note],
    references: Iterable[Reference],
    parties: Iterable[Party],
    *,
    currency: str = "",
    currency_usage: str = "9",
    leading: Iterable[Segment] = (),
) -> list[Segment]:
    """BGM, DTM+137 and the other dates sent, FTX, ``leading``, RFF, NAD, CUX if any."""
    segments = [make_segment("BGM", *bgm), dtm_segment("137", document_date)]
    segments.extend(
        dtm_segment(qualifier, value) for qualifier, value in dates if value is not None
    )
    segments.extend(ftx_segment(note) for note in notes)
    segments.extend(leading)
    for reference in references:
        segments.extend(rff_segments(reference))
    for party in parties:
        segments.extend(nad_segments(party))
    if currency:
        segments.append(cux_segment(currency, currency_usage))
    return segments


def cnt_segment(count: int) -> Segment:
    return make_segment("CNT", ("2", str(count)))


def summary_segments(count: int) -> list[Segment]:
    """UNS+S, CNT+2:<number of lines>."""
    return [make_segment("UNS", "S"), cnt_segment(count)]
