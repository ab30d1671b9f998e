"""Bytes ⇄ segments: the only module of the gateway that imports pydifact.

Reading — :func:`parse_interchanges` takes the bytes of a received file and always
returns a :class:`ParseResult`; it never raises on bad input. It

1. drops a UTF-8 byte order mark and white space (also NUL and Ctrl-Z padding)
   around interchanges;
2. finds each interchange (UNA optional, then UNB … UNZ) on a byte-transparent
   latin-1 view, so several interchanges in one file, each with its own UNA and
   syntax identifier, are read independently;
3. decodes each interchange with the encoding of its UNB syntax identifier
   (see :mod:`.syntax`); undecodable bytes become errors 21 at their segment;
4. tokenizes it — with our tokenizer (``engine="fast"``, the default) or with
   pydifact (``engine="pydifact"``, the reference the tests and the bench compare
   against); when the text cannot be tokenized as a whole, each segment is read on
   its own so that only the faulty ones are reported and the rest still parses;
5. checks the envelope (:func:`.envelope.analyse_interchange`).

Writing — :func:`encode_interchange` writes UNA (optional), UNB, each message framed
by UNH/UNT with its count computed, and UNZ with the message count, escaping every
value with the release character and making it fit the syntax level
(:func:`.syntax.prepare_text`). :func:`format_segments` renders segments one per
line for people (the exchange monitor).
"""

from __future__ import annotations

import bisect
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

from pydifact.control.characters import Characters
from pydifact.exceptions import EDISyntaxError
from pydifact.exceptions import ValidationError as PydifactValidationError
from pydifact.parser import Parser

from .envelope import (
    Interchange,
    InterchangeHeader,
    OutboundMessage,
    analyse_interchange,
    unb_segment,
    unz_segment,
    wrap_message,
)
from .errors import EdifactError, EncodeError, ErrorLevel, SyntaxErrorCode, TokenizeError
from .segment import Segment
from .syntax import (
    DEFAULT_CHARACTERS,
    CharsetPolicy,
    ServiceCharacters,
    encoding_for,
    escape,
    is_in_repertoire,
    prepare_text,
)
from .tokenizer import collection_paused, split_segments, tokenize, tokenize_segment

Engine = Literal["fast", "pydifact"]

_BOM = b"\xef\xbb\xbf"
_PADDING = " \t\r\n\x00\x1a"
_MAX_DECODE_ERRORS = 50


@dataclass(frozen=True)
class ParseResult:
    """Everything read from one file. ``errors`` are faults outside any interchange."""

    interchanges: tuple[Interchange, ...]
    errors: tuple[EdifactError, ...] = ()

    @property
    def accepted(self) -> bool:
        return not self.errors and all(interchange.accepted for interchange in self.interchanges)

    @property
    def all_errors(self) -> tuple[EdifactError, ...]:
        return self.errors + tuple(
            error for interchange in self.interchanges for error in interchange.all_errors
        )


@dataclass(frozen=True)
class _Span:
    start: int
    body_start: int
    complete_end: int
    end: int
    characters: ServiceCharacters
    una_present: bool
    has_trailer: bool
    truncated: bool
    una_error: str = ""


# ---------------------------------------------------------------- reading


def parse_interchanges(
    data: bytes, *, engine: Engine = "fast", strict_repertoire: bool = False
) -> ParseResult:
    """Read every interchange of ``data``. Never raises on malformed input.

    ``strict_repertoire`` also reports characters outside the syntax level's
    repertoire (e.g. lower case under UNOA) as errors 21; by default only bytes the
    encoding cannot decode are.
    """
    offset = len(_BOM) if data.startswith(_BOM) else 0
    view = data[offset:].decode("latin-1")
    if not view.strip(_PADDING):
        return ParseResult(
            interchanges=(),
            errors=(
                EdifactError(
                    code=SyntaxErrorCode.MISSING,
                    reason="no interchange: the file is empty",
                    level=ErrorLevel.INTERCHANGE,
                    segment_tag="UNB",
                ),
            ),
        )
    with collection_paused(len(data)):
        interchanges = tuple(
            _read_interchange(data, offset, view, span, engine, strict_repertoire)
            for span in _find_spans(view)
        )
    return ParseResult(interchanges=interchanges)


def _find_spans(view: str) -> list[_Span]:
    spans: list[_Span] = []
    position = 0
    length = len(view)
    while True:
        while position < length and view[position] in _PADDING:
            position += 1
        if position >= length:
            return spans
        start = position
        una_present = view.startswith("UNA", position)
        characters = DEFAULT_CHARACTERS
        if una_present:
            advice = view[position + 3 : position + 9]
            problems = ["the UNA service string advice is truncated"] if len(advice) < 6 else []
            if not problems:
                characters = ServiceCharacters.from_una(advice)
                problems = characters.problems()
            if problems:
                # Without usable delimiters nothing further can be delimited.
                spans.append(
                    _Span(
                        start,
                        length,
                        length,
                        length,
                        DEFAULT_CHARACTERS,
                        True,
                        False,
                        False,
                        "; ".join(problems),
                    )
                )
                return spans
            position += 9
            while position < length and view[position] in _PADDING:
                position += 1
        body_start = position
        end, has_trailer, next_start = _find_end(view, body_start, characters)
        complete_end = _last_terminated(view, body_start, end, characters)
        truncated = bool(view[complete_end:end].strip(_PADDING))
        spans.append(
            _Span(
                start,
                body_start,
                complete_end,
                end,
                characters,
                una_present,
                has_trailer,
                truncated,
            )
        )
        position = next_start


@lru_cache(maxsize=16)
def _boundary_pattern(terminator: str, data: str, component: str) -> re.Pattern[str]:
    following = re.escape(data + component + terminator)
    return re.compile(re.escape(terminator) + r"[ \r\n]*(UNA|UN[BZ](?=[" + following + "]))")


def _released(view: str, position: int, floor: int, release: str) -> bool:
    run_start = position
    while run_start > floor and view[run_start - 1] == release:
        run_start -= 1
    return (position - run_start) % 2 == 1


def _next_terminator(view: str, start: int, characters: ServiceCharacters) -> int:
    search = start
    while True:
        found = view.find(characters.segment_terminator, search)
        if found < 0 or not _released(view, found, start, characters.release_character):
            return found
        search = found + 1


def _find_end(view: str, body_start: int, characters: ServiceCharacters) -> tuple[int, bool, int]:
    """End of the interchange starting at ``body_start``: (end, UNZ found, next start)."""
    pattern = _boundary_pattern(
        characters.segment_terminator, characters.data_separator, characters.component_separator
    )
    for match in pattern.finditer(view, body_start):
        if _released(view, match.start(), body_start, characters.release_character):
            continue
        tag_start = match.start(1)
        if match.group(1) == "UNZ":
            terminator = _next_terminator(view, tag_start, characters)
            if terminator < 0:
                return len(view), False, len(view)
            return terminator + 1, True, terminator + 1
        # A new interchange starts before this one was closed.
        return match.start() + 1, False, tag_start
    return len(view), False, len(view)


def _last_terminated(view: str, body_start: int, end: int, characters: ServiceCharacters) -> int:
    """Offset just after the last unreleased terminator in [body_start, end)."""
    search_end = end
    while True:
        found = view.rfind(characters.segment_terminator, body_start, search_end)
        if found < 0:
            return body_start
        if not _released(view, found, body_start, characters.release_character):
            return found + 1
        search_end = found


def _peek_syntax_identifier(view: str, body_start: int, characters: ServiceCharacters) -> str:
    terminator = _next_terminator(view, body_start, characters)
    first = view[body_start : terminator if terminator >= 0 else len(view)]
    elements = first.split(characters.data_separator)
    if elements[0].strip() != "UNB" or len(elements) < 2:
        return ""
    return elements[1].split(characters.component_separator)[0]


def _read_interchange(
    data: bytes, offset: int, view: str, span: _Span, engine: Engine, strict_repertoire: bool
) -> Interchange:
    byte_offset = offset + span.start
    byte_length = span.end - span.start
    if span.una_error:
        return Interchange(
            header=None,
            messages=(),
            errors=(
                EdifactError(
                    code=SyntaxErrorCode.INVALID_SERVICE_CHARACTER,
                    reason=f"unusable UNA: {span.una_error}",
                    level=ErrorLevel.INTERCHANGE,
                    segment_tag="UNA",
                ),
            ),
            una_present=True,
            byte_offset=byte_offset,
            byte_length=byte_length,
        )
    characters = span.characters
    syntax_identifier = _peek_syntax_identifier(view, span.body_start, characters)
    # An unknown syntax identifier is reported by the UNB check; latin-1 still lets us
    # read the envelope to say so.
    encoding = encoding_for(syntax_identifier) or "latin-1"
    raw = data[offset + span.body_start : offset + span.complete_end]
    faults: dict[int, list[EdifactError]] = {}
    segments: list[Segment] | None = None
    try:
        body = raw.decode(encoding)
    except UnicodeDecodeError:
        body = raw.decode(encoding, errors="replace")
        _record_decode_faults(raw, encoding, characters, syntax_identifier, faults)
    if not faults:
        text = characters.una_segment + body if span.una_present else body
        try:
            segments = _tokenize(text, characters, engine)
        except TokenizeError:
            segments = None
    if segments is None:
        segments = _tokenize_each(body, characters, faults)
    elif segments and segments[0].tag == "UNA":
        segments = segments[1:]
    if strict_repertoire and syntax_identifier:
        _record_repertoire_faults(segments, syntax_identifier, faults)
    return analyse_interchange(
        segments,
        characters=characters,
        una_present=span.una_present,
        faults=faults,
        truncated=span.truncated,
        byte_offset=byte_offset,
        byte_length=byte_length,
    )


def _tokenize(text: str, characters: ServiceCharacters, engine: Engine) -> list[Segment]:
    if engine == "pydifact":
        return tokenize_with_pydifact(text, characters)
    return tokenize(text, characters)


def tokenize_with_pydifact(text: str, characters: ServiceCharacters | None = None) -> list[Segment]:
    """pydifact's reading of one interchange text, as our :class:`Segment` values.

    Raises :class:`TokenizeError` where pydifact raises, so callers handle one type.
    """
    characters = characters or DEFAULT_CHARACTERS
    parser = Parser(characters=Characters.from_str(characters.una_segment))
    try:
        with warnings.catch_warnings():
            # pydifact warns on every service segment it has no XML schema for.
            warnings.simplefilter("ignore")
            return [
                Segment(
                    segment.tag,
                    tuple(
                        tuple(item) if isinstance(item, list) else item for item in segment.elements
                    ),
                )
                for segment in parser.parse(text)
            ]
    except (EDISyntaxError, PydifactValidationError, ValueError, IndexError) as error:
        raise TokenizeError(
            f"pydifact: {error}", code=SyntaxErrorCode.UNSPECIFIED, offset=0, segment_index=0
        ) from error


def _guess_tag(piece: str, characters: ServiceCharacters) -> str:
    head = piece.lstrip(" \r\n")
    for delimiter in (characters.data_separator, characters.component_separator):
        head = head.split(delimiter, 1)[0]
    return head if len(head) == 3 and head.isalnum() and head.isupper() else ""


def _tokenize_each(
    body: str, characters: ServiceCharacters, faults: dict[int, list[EdifactError]]
) -> list[Segment]:
    """Read segment by segment, keeping a placeholder for each unreadable one."""
    spans, _tail = split_segments(body, characters)
    segments: list[Segment] = []
    for index, (start, end) in enumerate(spans):
        piece = body[start:end]
        try:
            segments.append(tokenize_segment(piece, characters, follows_terminator=index > 0))
        except TokenizeError as error:
            segments.append(Segment(_guess_tag(piece, characters), ()))
            faults.setdefault(index, []).append(
                EdifactError(
                    code=error.code,
                    reason=error.reason,
                    level=ErrorLevel.SEGMENT,
                    element_position=error.element_position,
                )
            )
    return segments


def _count_unreleased(text: str, char: str, release: str) -> int:
    count = 0
    position = 0
    while position < len(text):
        current = text[position]
        if current == release:
            position += 2
            continue
        if current == char:
            count += 1
        position += 1
    return count


def _record_decode_faults(
    raw: bytes,
    encoding: str,
    characters: ServiceCharacters,
    syntax_identifier: str,
    faults: dict[int, list[EdifactError]],
) -> None:
    bad_offsets: list[int] = []
    position = 0
    while position < len(raw) and len(bad_offsets) < _MAX_DECODE_ERRORS:
        try:
            raw[position:].decode(encoding)
            break
        except UnicodeDecodeError as error:
            bad_offsets.append(position + error.start)
            position += error.end
    view = raw.decode("latin-1")
    spans, _tail = split_segments(view, characters)
    starts = [start for start, _end in spans]
    for bad in bad_offsets:
        index = max(0, bisect.bisect_right(starts, bad) - 1)
        segment_start = starts[index] if starts else 0
        prefix = view[segment_start:bad]
        element = _count_unreleased(prefix, characters.data_separator, characters.release_character)
        element_text = prefix.rsplit(characters.data_separator, 1)[-1]
        component = _count_unreleased(
            element_text, characters.component_separator, characters.release_character
        )
        faults.setdefault(index, []).append(
            EdifactError(
                code=SyntaxErrorCode.INVALID_CHARACTER,
                reason=f"byte 0x{raw[bad]:02X} is not a {syntax_identifier or 'valid'} character",
                level=ErrorLevel.SEGMENT,
                element_position=element or None,
                component_position=component + 1 if element and component else None,
            )
        )


def _record_repertoire_faults(
    segments: Sequence[Segment], syntax_identifier: str, faults: dict[int, list[EdifactError]]
) -> None:
    for index, segment in enumerate(segments):
        for element_index, element in enumerate(segment.elements, start=1):
            components = (element,) if isinstance(element, str) else element
            for component_index, component in enumerate(components, start=1):
                bad = next(
                    (char for char in component if not is_in_repertoire(char, syntax_identifier)),
                    None,
                )
                if bad is None:
                    continue
                faults.setdefault(index, []).append(
                    EdifactError(
                        code=SyntaxErrorCode.INVALID_CHARACTER,
                        reason=f"character {bad!r} is outside the {syntax_identifier} repertoire",
                        level=ErrorLevel.SEGMENT,
                        element_position=element_index,
                        component_position=component_index
                        if not isinstance(element, str)
                        else None,
                    )
                )


# ---------------------------------------------------------------- writing


def serialize_segments(
    segments: Iterable[Segment],
    characters: ServiceCharacters = DEFAULT_CHARACTERS,
    *,
    line_breaks: bool = False,
) -> str:
    """Segments as EDIFACT text (no UNA), values escaped, trailing empties dropped."""
    data = characters.data_separator
    component = characters.component_separator
    terminator = characters.segment_terminator + ("\n" if line_breaks else "")
    parts: list[str] = []
    for segment in segments:
        elements: list[str] = []
        for element in segment.elements:
            if isinstance(element, str):
                elements.append(escape(element, characters))
            else:
                values = [escape(value, characters) for value in element]
                while values and values[-1] == "":
                    values.pop()
                elements.append(component.join(values))
        while elements and elements[-1] == "":
            elements.pop()
        parts.append(data.join([segment.tag, *elements]) + terminator)
    return "".join(parts)


def format_segments(
    segments: Iterable[Segment], characters: ServiceCharacters = DEFAULT_CHARACTERS
) -> str:
    """One segment per line, for people (the monitor's pretty-printed payload)."""
    return serialize_segments(segments, characters, line_breaks=True)


def _prepare_segment(
    segment: Segment, position: int, reference: str, syntax_identifier: str, policy: CharsetPolicy
) -> Segment:
    elements: list[str | tuple[str, ...]] = []
    for element_index, element in enumerate(segment.elements, start=1):
        values = (element,) if isinstance(element, str) else element
        prepared: list[str] = []
        for component_index, value in enumerate(values, start=1):
            try:
                prepared.append(prepare_text(value, syntax_identifier, policy))
            except EncodeError as error:
                raise EncodeError(
                    [
                        replace(
                            fault,
                            segment_tag=segment.tag,
                            segment_position=position,
                            element_position=element_index,
                            component_position=None
                            if isinstance(element, str)
                            else component_index,
                            message_reference=reference,
                        )
                        for fault in error.errors
                    ]
                ) from error
        elements.append(prepared[0] if isinstance(element, str) else tuple(prepared))
    return Segment(segment.tag, tuple(elements))


def encode_interchange(
    header: InterchangeHeader,
    messages: Sequence[OutboundMessage],
    *,
    characters: ServiceCharacters = DEFAULT_CHARACTERS,
    include_una: bool = True,
    line_breaks: bool = False,
    charset_policy: CharsetPolicy = CharsetPolicy.TRANSLITERATE,
) -> bytes:
    """Write one interchange; UNT and UNZ counts and references are computed here.

    Raises :class:`EncodeError` (code 21, with the segment and element) when a value
    cannot be written under the header's syntax identifier with ``charset_policy``.
    """
    encoding = encoding_for(header.syntax_identifier)
    if encoding is None:
        raise EncodeError(
            [
                EdifactError(
                    code=SyntaxErrorCode.SYNTAX_LEVEL_NOT_SUPPORTED,
                    reason=f"syntax identifier {header.syntax_identifier!r} is not supported",
                    level=ErrorLevel.INTERCHANGE,
                    segment_tag="UNB",
                    element_position=1,
                    component_position=1,
                )
            ]
        )
    problems = characters.problems()
    if problems:
        raise EncodeError(
            [
                EdifactError(
                    code=SyntaxErrorCode.INVALID_SERVICE_CHARACTER,
                    reason="; ".join(problems),
                    level=ErrorLevel.INTERCHANGE,
                    segment_tag="UNA",
                )
            ]
        )
    syntax_identifier = header.syntax_identifier
    segments: list[Segment] = [
        _prepare_segment(unb_segment(header), 1, "", syntax_identifier, charset_policy)
    ]
    for message in messages:
        for position, segment in enumerate(wrap_message(message), start=1):
            segments.append(
                _prepare_segment(
                    segment, position, message.reference, syntax_identifier, charset_policy
                )
            )
    segments.append(unz_segment(len(messages), header.control_reference))
    text = serialize_segments(segments, characters, line_breaks=line_breaks)
    if include_una:
        text = characters.una_segment + ("\n" if line_breaks else "") + text
    return text.encode(encoding)
