"""What the message mappings share: parties, references, notes, dates, numbers, GS1 keys.

Reading helpers never raise: they append an :class:`EdifactError` (segment level,
with the segment position in its message, UNH = 1) to an :class:`ErrorSink` and
return ``None``; each ``parse_*`` function raises one :class:`MappingError` with
everything found once the whole message has been read.

Writing helpers return segments built with :func:`make_segment`, so that what is
written reads back identical.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from ..envelope import Message
from ..errors import EdifactError, EncodeError, ErrorLevel, MappingError, SyntaxErrorCode
from ..segment import Segment, make_segment
from ..syntax import is_digits

DateValue = date | datetime
GLN_AGENCY = "9"


@dataclass(frozen=True)
class Reference:
    """RFF: qualifier (ON order, CT contract, PD promotion, DQ delivery note, VA VAT…)."""

    qualifier: str
    value: str
    line_number: str = ""
    date: date | None = None


@dataclass(frozen=True)
class Party:
    """NAD: a party in a role (BY, SU, DP, IV, UC…), identified by GLN (agency 9)."""

    role: str
    identifier: str
    agency: str = GLN_AGENCY
    name: str = ""
    street: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = ""
    references: tuple[Reference, ...] = ()

    @property
    def gln(self) -> str:
        return self.identifier if self.agency == GLN_AGENCY else ""

    def reference(self, qualifier: str) -> str:
        return next((ref.value for ref in self.references if ref.qualifier == qualifier), "")


@dataclass(frozen=True)
class Note:
    """FTX: free text with its subject (AAI general, DEL delivery, PUR purchasing…)."""

    subject: str
    text: str
    language: str = ""


@dataclass(frozen=True)
class UnmappedSegment:
    """A segment the mapping does not read; kept so later layers can warn about it."""

    position: int
    tag: str


@dataclass
class ErrorSink:
    """Collects the errors of one message while it is being read."""

    message_reference: str
    errors: list[EdifactError] = field(default_factory=list)

    def add(
        self,
        code: SyntaxErrorCode,
        reason: str,
        position: int,
        tag: str,
        element: int | None = None,
        component: int | None = None,
    ) -> None:
        self.errors.append(
            EdifactError(
                code=code,
                reason=reason,
                level=ErrorLevel.SEGMENT,
                segment_tag=tag,
                segment_position=position,
                element_position=element,
                component_position=component,
                message_reference=self.message_reference,
            )
        )

    def raise_if_any(self) -> None:
        if self.errors:
            raise MappingError(self.errors)


def body_segments(message: Message) -> Iterator[tuple[int, Segment]]:
    """The segments between UNH and UNT with their positions (UNH = 1)."""
    segments = message.segments
    end = len(segments) - 1 if segments and segments[-1].tag == "UNT" else len(segments)
    for index in range(1, end):
        yield index + 1, segments[index]


def check_message_type(message: Message, expected: str, sink: ErrorSink) -> None:
    if message.identifier.message_type != expected:
        sink.add(
            SyntaxErrorCode.VALUE_NOT_SUPPORTED,
            f"expected a {expected} message, got {message.identifier.message_type or 'nothing'}",
            1,
            "UNH",
            2,
            1,
        )


# ---------------------------------------------------------------- values


_NUMBER = re.compile(r"-?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")


def parse_decimal(
    text: str,
    sink: ErrorSink,
    position: int,
    tag: str,
    element: int,
    component: int | None = None,
    *,
    required: bool = True,
    what: str = "number",
) -> Decimal | None:
    """An EDIFACT numeric value (point or comma as decimal mark) as Decimal."""
    if not text:
        if required:
            sink.add(SyntaxErrorCode.MISSING, f"{what} missing", position, tag, element, component)
        return None
    if not _NUMBER.fullmatch(text):
        sink.add(
            SyntaxErrorCode.INVALID_CHARACTER_TYPE,
            f"{what} {text!r} is not a number",
            position,
            tag,
            element,
            component,
        )
        return None
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        sink.add(
            SyntaxErrorCode.INVALID_VALUE,
            f"{what} {text!r} is not a number",
            position,
            tag,
            element,
            component,
        )
        return None


def format_decimal(value: Decimal) -> str:
    """Plain notation, never an exponent; the point is the decimal mark (EANCOM)."""
    text = format(value, "f")
    return "0" if text in ("-0", "-0.0") else text


def parse_date_value(
    text: str,
    format_code: str,
    sink: ErrorSink,
    position: int,
    tag: str,
    element: int = 1,
) -> DateValue | None:
    """DTM C507 value by its format: 102 CCYYMMDD, 203 CCYYMMDDHHMM, 204 …SS, 101 YYMMDD.

    A missing format is inferred from the length (8 → 102, 12 → 203). An impossible
    date (30 February) is an error 12 at the value, never an exception.
    """
    if not text:
        sink.add(SyntaxErrorCode.MISSING, "date missing", position, tag, element, 2)
        return None
    if not format_code:
        format_code = {8: "102", 12: "203", 14: "204", 6: "101"}.get(len(text), "")
    expected_length = {"102": 8, "203": 12, "204": 14, "101": 6}.get(format_code)
    if expected_length is None:
        sink.add(
            SyntaxErrorCode.VALUE_NOT_SUPPORTED,
            f"date format {format_code or '(none)'} is not supported (102, 203, 204, 101 are)",
            position,
            tag,
            element,
            3,
        )
        return None
    if len(text) != expected_length or not is_digits(text):
        sink.add(
            SyntaxErrorCode.INVALID_VALUE,
            f"{text!r} is not a date in format {format_code}",
            position,
            tag,
            element,
            2,
        )
        return None
    try:
        if format_code == "101":
            return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))
        if format_code == "102":
            return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        seconds = int(text[12:14]) if format_code == "204" else 0
        return datetime(
            int(text[:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[8:10]),
            int(text[10:12]),
            seconds,
        )
    except ValueError:
        sink.add(
            SyntaxErrorCode.INVALID_VALUE,
            f"{text!r} is not a valid date in format {format_code}",
            position,
            tag,
            element,
            2,
        )
        return None


def read_dtm(segment: Segment, sink: ErrorSink, position: int) -> tuple[str, DateValue | None]:
    """DTM → (qualifier, value); value None when invalid (the error is recorded)."""
    return segment.value(1, 1), parse_date_value(
        segment.value(1, 2), segment.value(1, 3), sink, position, segment.tag
    )


def dtm_segment(qualifier: str, value: DateValue) -> Segment:
    """DTM with format 203 (or 204 with seconds) for a datetime, 102 for a date."""
    if isinstance(value, datetime):
        if value.second:
            return make_segment("DTM", (qualifier, value.strftime("%Y%m%d%H%M%S"), "204"))
        return make_segment("DTM", (qualifier, value.strftime("%Y%m%d%H%M"), "203"))
    return make_segment("DTM", (qualifier, value.strftime("%Y%m%d"), "102"))


def gs1_check_digit_valid(number: str) -> bool:
    """GS1 mod-10 check digit of a GTIN-8/12/13/14, GLN or SSCC."""
    if not is_digits(number) or len(number) < 2:
        return False
    total = 0
    for index, digit in enumerate(reversed(number[:-1])):
        total += int(digit) * (3 if index % 2 == 0 else 1)
    return (10 - total % 10) % 10 == int(number[-1])


def check_gtin(
    value: str, sink: ErrorSink, position: int, tag: str, element: int, component: int
) -> None:
    if len(value) not in (8, 12, 13, 14) or not gs1_check_digit_valid(value):
        sink.add(
            SyntaxErrorCode.INVALID_VALUE,
            f"{value!r} is not a valid GTIN (length or check digit)",
            position,
            tag,
            element,
            component,
        )


def check_gln(
    value: str, sink: ErrorSink, position: int, tag: str, element: int, component: int
) -> None:
    if len(value) != 13 or not gs1_check_digit_valid(value):
        sink.add(
            SyntaxErrorCode.INVALID_VALUE,
            f"{value!r} is not a valid GLN (13 digits with check digit)",
            position,
            tag,
            element,
            component,
        )


def check_sscc(
    value: str, sink: ErrorSink, position: int, tag: str, element: int, component: int
) -> None:
    if len(value) != 18 or not gs1_check_digit_valid(value):
        sink.add(
            SyntaxErrorCode.INVALID_VALUE,
            f"{value!r} is not a valid SSCC (18 digits with check digit)",
            position,
            tag,
            element,
            component,
        )


def split_text(text: str, size: int, parts: int, *, tag: str, what: str) -> tuple[str, ...]:
    """Cut ``text`` into at most ``parts`` pieces of ``size`` (repeated components)."""
    if len(text) > size * parts:
        raise EncodeError(
            [
                EdifactError(
                    code=SyntaxErrorCode.TOO_LONG,
                    reason=f"{what} longer than {size * parts} characters",
                    level=ErrorLevel.SEGMENT,
                    segment_tag=tag,
                )
            ]
        )
    # Cut after a space where one falls in the second half of a piece, so that words
    # stay whole for people reading the file; reading joins the pieces back exactly.
    pieces: list[str] = []
    rest = text
    while len(rest) > size:
        cut = rest.rfind(" ", size // 2, size) + 1 or size
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        pieces.append(rest)
    if len(pieces) > parts:
        return tuple(text[start : start + size] for start in range(0, len(text), size))
    return tuple(pieces)


def require_length(value: str, maximum: int, *, tag: str, what: str) -> str:
    if len(value) > maximum:
        raise EncodeError(
            [
                EdifactError(
                    code=SyntaxErrorCode.TOO_LONG,
                    reason=f"{what} {value!r} longer than {maximum} characters",
                    level=ErrorLevel.SEGMENT,
                    segment_tag=tag,
                )
            ]
        )
    return value


def check_length(
    value: str,
    maximum: int,
    sink: ErrorSink,
    position: int,
    tag: str,
    element: int,
    component: int | None = None,
) -> None:
    if len(value) > maximum:
        sink.add(
            SyntaxErrorCode.TOO_LONG,
            f"{value!r} is longer than {maximum} characters",
            position,
            tag,
            element,
            component,
        )


# ---------------------------------------------------------------- segments


def parse_rff(segment: Segment, sink: ErrorSink, position: int) -> Reference | None:
    qualifier, value = segment.value(1, 1), segment.value(1, 2)
    if not qualifier:
        sink.add(SyntaxErrorCode.MISSING, "reference qualifier missing", position, "RFF", 1, 1)
        return None
    if not value:
        sink.add(
            SyntaxErrorCode.MISSING, f"reference {qualifier} has no value", position, "RFF", 1, 2
        )
        return None
    check_length(value, 35, sink, position, "RFF", 1, 2)
    return Reference(qualifier=qualifier, value=value, line_number=segment.value(1, 3))


def rff_segments(reference: Reference) -> list[Segment]:
    """RFF, then DTM 171 (reference date) when the reference carries a date."""
    segments = [
        make_segment(
            "RFF",
            (
                reference.qualifier,
                require_length(reference.value, 35, tag="RFF", what="reference"),
                reference.line_number,
            ),
        )
    ]
    if reference.date is not None:
        segments.append(dtm_segment("171", reference.date))
    return segments


def parse_nad(segment: Segment, sink: ErrorSink, position: int) -> Party | None:
    role = segment.value(1)
    identifier = segment.value(2, 1)
    agency = segment.value(2, 3)
    if not role:
        sink.add(SyntaxErrorCode.MISSING, "party role missing", position, "NAD", 1)
        return None
    name = "".join(segment.components(4)[:5])
    if not identifier and not name:
        sink.add(
            SyntaxErrorCode.MISSING, f"party {role} has neither GLN nor name", position, "NAD", 2, 1
        )
        return None
    if identifier and agency == GLN_AGENCY:
        check_gln(identifier, sink, position, "NAD", 2, 1)
    return Party(
        role=role,
        identifier=identifier,
        agency=agency,
        name=name,
        street="".join(segment.components(5)[:4]),
        city=segment.value(6),
        postal_code=segment.value(8),
        country=segment.value(9),
    )


def nad_segments(party: Party) -> list[Segment]:
    """NAD (name in 35-character components), then RFF/DTM for the party's references."""
    name = split_text(party.name, 35, 5, tag="NAD", what="party name")
    street = split_text(party.street, 35, 4, tag="NAD", what="street")
    segments = [
        make_segment(
            "NAD",
            party.role,
            (party.identifier, "", party.agency if party.identifier else ""),
            None,
            name,
            street,
            require_length(party.city, 35, tag="NAD", what="city"),
            None,
            require_length(party.postal_code, 9, tag="NAD", what="postal code"),
            require_length(party.country, 3, tag="NAD", what="country"),
        )
    ]
    for reference in party.references:
        segments.extend(rff_segments(reference))
    return segments


def parse_ftx(segment: Segment, sink: ErrorSink, position: int) -> Note | None:
    subject = segment.value(1)
    text = "".join(segment.components(4)[:5])
    if not subject:
        sink.add(SyntaxErrorCode.MISSING, "free text subject missing", position, "FTX", 1)
        return None
    return Note(subject=subject, text=text, language=segment.value(5))


def ftx_segment(note: Note) -> Segment:
    return make_segment(
        "FTX",
        note.subject,
        None,
        None,
        split_text(note.text, 70, 5, tag="FTX", what="free text"),
        note.language,
    )


def parse_cux(segment: Segment, sink: ErrorSink, position: int) -> str:
    currency = segment.value(1, 2)
    if not currency:
        sink.add(SyntaxErrorCode.MISSING, "currency missing", position, "CUX", 1, 2)
    elif len(currency) != 3 or not currency.isalpha():
        sink.add(
            SyntaxErrorCode.INVALID_VALUE,
            f"{currency!r} is not an ISO 4217 currency",
            position,
            "CUX",
            1,
            2,
        )
    return currency


def cux_segment(currency: str, usage: str = "9") -> Segment:
    """CUX+2:EUR:9 — reference currency, used for the order (4 for an invoice)."""
    return make_segment("CUX", ("2", currency, usage))


def parse_control_count(
    segment: Segment, sink: ErrorSink, position: int, expected: int, what: str
) -> int | None:
    """CNT+2:n (number of line items): n must equal the lines actually sent (29)."""
    count = parse_decimal(segment.value(1, 2), sink, position, "CNT", 1, 2, what="control value")
    if count is None:
        return None
    if count != expected:
        sink.add(
            SyntaxErrorCode.CONTROL_COUNT_MISMATCH,
            f"CNT {segment.value(1, 1)} says {segment.value(1, 2)} {what}, the message has {expected}",
            position,
            "CNT",
            1,
            2,
        )
    return int(count) if count == count.to_integral_value() else None
