"""Our own EDIFACT tokenizer: the segments pydifact produces, many times faster.

pydifact reads one character at a time through a generator of token objects. This
module resolves release characters first, in one regular-expression pass that swaps
each released delimiter for a private-use character absent from the text, then
splits with ``str.split`` (segments, elements, components) and puts the released
delimiters back in the few values that had one. A character-by-character port of
pydifact's reading remains for unusual UNA advice (repeated or blank delimiters) and
for reading one faulty segment on its own.

Contract (proved by ``tests/edi/test_tokenizer_equivalence.py``): for any text
that does not contain ``'UNA`` after its start, :func:`tokenize` returns the segments
pydifact's ``Parser().parse(text)`` yields (same tags, same elements, composites as
tuples instead of lists), and raises :class:`TokenizeError` exactly when pydifact
raises. That includes pydifact's reading of edge cases:

* white space (space, CR, LF, even released) right after a segment terminator is
  skipped; after the UNA header only CR and LF are;
* a release character before a character that needs no release is dropped; a release
  character before a line feed is an error;
* trailing empty components are dropped (``A:B:`` reads as ``A:B``), empty elements
  are kept as ``""``;
* an unterminated last segment is silently ignored when it ends with a separator and
  is an error when it ends with data;
* a tag must be three upper-case letters or digits.

Two documented differences, both pydifact defects the codec never exposes: pydifact
searches the whole text for ``'UNA`` and silently discards everything before it (we
treat a later UNA as an invalid segment; the codec splits interchanges before
tokenizing), and pydifact crashes with ``IndexError`` on a UNB whose first element is
shorter than two characters (we return the segment; the envelope check reports it).
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

from .errors import SyntaxErrorCode, TokenizeError
from .segment import Element, Segment
from .syntax import DEFAULT_CHARACTERS, WHITESPACE_BETWEEN_SEGMENTS, ServiceCharacters

_WS = WHITESPACE_BETWEEN_SEGMENTS
_COMPONENT, _DATA, _TERMINATOR, _CONTENT = 0, 1, 2, 3


@contextmanager
def collection_paused(size: int) -> Iterator[None]:
    """Pause the cyclic garbage collector while a large text becomes segments.

    Reading 4 MB creates some 200,000 small tuples, which by themselves trigger
    dozens of collections that traverse everything built so far, doubling the
    parse time. Segments hold no reference cycles, so nothing is lost by collecting
    once at the end instead (the collector is re-enabled, never left off).
    """
    pause = size > 65_536 and gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        if pause:
            gc.enable()


def tokenize(text: str, characters: ServiceCharacters | None = None) -> list[Segment]:
    """Split one interchange text into segments (a UNA header gives a UNA segment).

    ``characters`` apply when the text has no UNA header (default ``:+.? '``).
    Raises :class:`TokenizeError` on text pydifact cannot read either.
    """
    with collection_paused(len(text)):
        return _tokenize(text, characters)


def _tokenize(text: str, characters: ServiceCharacters | None) -> list[Segment]:
    segments: list[Segment] = []
    if text.startswith("UNA"):
        advice = text[3:9]
        if len(advice) != 6:
            raise TokenizeError(
                "the UNA service string advice is truncated",
                code=SyntaxErrorCode.INVALID_SERVICE_CHARACTER,
                offset=0,
                segment_index=0,
            )
        characters = ServiceCharacters.from_una(advice)
        segments.append(Segment("UNA", (advice,)))
        body = text[9:].lstrip("\r\n")
        base = len(text) - len(body)
    else:
        characters = characters or DEFAULT_CHARACTERS
        body = text
        base = 0
    if fast_path_applies(characters):
        segments.extend(_tokenize_fast(body, characters, base))
    else:
        segments.extend(_tokenize_general(body, characters, base))
    return segments


def fast_path_applies(characters: ServiceCharacters) -> bool:
    """Distinct, non-blank delimiters: the split-based reading is then exact."""
    delimiters = (
        characters.component_separator,
        characters.data_separator,
        characters.release_character,
        characters.segment_terminator,
    )
    return len(set(delimiters)) == 4 and not any(char in _WS for char in delimiters)


def split_segments(body: str, characters: ServiceCharacters) -> tuple[list[tuple[int, int]], int]:
    """Spans ``(start, end)`` of the terminated segments of ``body`` and the tail start.

    ``end`` is the offset of the segment terminator. Only for delimiters accepted by
    :func:`fast_path_applies` (the codec refuses any other UNA).
    """
    return _split_spans(body, characters.segment_terminator, characters.release_character)


def _split_spans(body: str, terminator: str, release: str) -> tuple[list[tuple[int, int]], int]:
    spans: list[tuple[int, int]] = []
    start = 0
    search = 0
    while True:
        found = body.find(terminator, search)
        if found < 0:
            return spans, start
        # A terminator is released when an odd run of release characters precedes it.
        run_start = found
        while run_start > start and body[run_start - 1] == release:
            run_start -= 1
        if (found - run_start) % 2 == 1:
            search = found + 1
            continue
        spans.append((start, found))
        start = found + 1
        search = start


def tokenize_segment(
    raw: str, characters: ServiceCharacters, *, follows_terminator: bool = True
) -> Segment:
    """Read one segment (without its terminator) as :func:`tokenize` would.

    The codec uses it to isolate a faulty segment when a whole interchange cannot be
    read: each segment is then reported on its own.
    """
    segment = _segment_general(raw, characters, follows_terminator, 0, 0)
    if segment is None:
        raise TokenizeError(
            "empty segment",
            code=SyntaxErrorCode.MISSING,
            offset=0,
            segment_index=0,
        )
    return segment


def _normalise(raw_element: str, component: str) -> Element:
    components = raw_element.split(component)
    while components and components[-1] == "":
        components.pop()
    if not components:
        return ""
    if len(components) == 1:
        return components[0]
    return tuple(components)


def _valid_tag(tag: Element) -> bool:
    return (
        isinstance(tag, str) and tag != "UNA" and len(tag) == 3 and tag.isalnum() and tag.isupper()
    )


def _check_tag(tag: Element, index: int, offset: int) -> str:
    if _valid_tag(tag):
        return tag  # type: ignore[return-value]
    shown = tag if isinstance(tag, str) else ":".join(tag)
    reason = (
        "a UNA segment may only open the interchange"
        if tag == "UNA"
        else f"invalid segment tag {shown!r}"
    )
    raise TokenizeError(
        reason,
        code=SyntaxErrorCode.NOT_SUPPORTED_IN_POSITION,
        offset=offset,
        segment_index=index,
    )


def _free_characters(text: str, count: int) -> list[str]:
    """Private-use characters absent from ``text``, to stand for released delimiters."""
    found: list[str] = []
    for code in range(0xE000, 0xF900):
        if chr(code) not in text:
            found.append(chr(code))
            if len(found) == count:
                return found
    raise TokenizeError(
        "the text uses every private-use character",
        code=SyntaxErrorCode.UNSPECIFIED,
        offset=0,
        segment_index=0,
    )


def _protect_released(
    body: str, characters: ServiceCharacters, base: int
) -> tuple[str, dict[int, str], str]:
    """Resolve release characters up front so that plain splitting becomes exact.

    Each released delimiter is replaced by a private-use character absent from the
    text (restored in the values afterwards); any other released character stands
    for itself, as pydifact reads it. Pairs are consumed left to right, exactly like
    pydifact's character reader, and a released line feed is refused.
    """
    component = characters.component_separator
    data = characters.data_separator
    release = characters.release_character
    terminator = characters.segment_terminator
    # An odd run of release characters at the very end releases nothing: dropped.
    run = len(body) - len(body.rstrip(release))
    if run % 2:
        body = body[:-1]
    stand_ins = _free_characters(body, 3)
    protect = {component: stand_ins[0], data: stand_ins[1], terminator: stand_ins[2]}

    def resolve(match: re.Match[str]) -> str:
        released = match.group(1)
        if released == "\n":
            index = len(_split_spans(body[: match.start()], terminator, release)[0])
            raise TokenizeError(
                "a release character may not precede a line feed",
                code=SyntaxErrorCode.INVALID_CHARACTER,
                offset=base + match.start(),
                segment_index=index,
            )
        return protect.get(released, released)

    protected = re.sub(re.escape(release) + "(.)", resolve, body, flags=re.DOTALL)
    restore = {ord(stand_in): char for char, stand_in in protect.items()}
    return protected, restore, "".join(stand_ins)


def _restore(
    elements: list[Element], restore: dict[int, str], has_stand_in: Callable[[str], object]
) -> list[Element]:
    """Put released delimiters back in the values that had one."""
    restored: list[Element] = []
    for element in elements:
        if isinstance(element, str):
            restored.append(element.translate(restore) if has_stand_in(element) else element)
        else:
            restored.append(
                tuple(
                    value.translate(restore) if has_stand_in(value) else value for value in element
                )
            )
    return restored


@lru_cache(maxsize=16)
def _blank_after(terminator: str) -> re.Pattern[str]:
    return re.compile(re.escape(terminator) + "[ \r\n]+")


@lru_cache(maxsize=16)
def _stand_in_pattern(stand_ins: str) -> re.Pattern[str]:
    return re.compile("[" + re.escape(stand_ins) + "]")


def _tokenize_fast(body: str, characters: ServiceCharacters, base: int) -> list[Segment]:
    component = characters.component_separator
    data = characters.data_separator
    terminator = characters.segment_terminator
    restore: dict[int, str] | None = None
    has_stand_in = None
    if characters.release_character in body:
        body, restore, stand_ins = _protect_released(body, characters, base)
        has_stand_in = _stand_in_pattern(stand_ins).search
    # White space after a terminator is skipped (released white space too, which the
    # protection above has already resolved); done once for the whole text.
    if "\n" in body or " " in body or "\r" in body:
        body = _blank_after(terminator).sub(terminator, body)
    pieces = body.split(terminator)
    tail = pieces.pop()
    segments: list[Segment] = []
    append = segments.append
    new = tuple.__new__
    valid_tags: set[Element] = set()
    for raw in pieces:
        if not raw:
            index = len(segments)
            if index == len(pieces) - 1:
                # pydifact reads a terminator that opens a segment as data of a
                # segment that never ends: nothing, unless data follows (the tail).
                break
            raise _empty_segment(pieces, index, base)
        elements: list[Element] = raw.split(data)  # type: ignore[assignment]
        if component in raw:
            elements = [
                (
                    (
                        tuple(element.split(component))
                        if element[-1] != component
                        else _normalise(element, component)
                    )
                    if component in element
                    else element
                )
                for element in elements  # type: ignore[union-attr]
            ]
        if has_stand_in is not None and restore is not None and has_stand_in(raw):
            elements = _restore(elements, restore, has_stand_in)
        tag = elements[0]
        if tag not in valid_tags:
            if not _valid_tag(tag):
                index = len(segments)
                _check_tag(tag, index, base + _offset_of(pieces, index))
            valid_tags.add(tag)
        append(new(Segment, (tag, tuple(elements[1:]))))
    if tail and tail[-1] not in (component, data):
        raise TokenizeError(
            "unexpected end of data: the last segment has no terminator",
            code=SyntaxErrorCode.MISSING,
            offset=base + len(body),
            segment_index=len(pieces),
        )
    return segments


def _offset_of(pieces: list[str], index: int) -> int:
    return sum(len(piece) + 1 for piece in pieces[:index])


def _empty_segment(pieces: list[str], index: int, base: int) -> TokenizeError:
    return TokenizeError(
        "empty segment",
        code=SyntaxErrorCode.MISSING,
        offset=base + _offset_of(pieces, index),
        segment_index=index,
    )


def _stream(raw: str, release: str, index: int, offset: int) -> list[tuple[str, bool]]:
    """Characters with their escaped flag, as pydifact's read_next_char sees them."""
    items: list[tuple[str, bool]] = []
    position = 0
    length = len(raw)
    while position < length:
        char = raw[position]
        if char == release:
            if position + 1 >= length:
                break
            following = raw[position + 1]
            if following == "\n":
                raise TokenizeError(
                    "a release character may not precede a line feed",
                    code=SyntaxErrorCode.INVALID_CHARACTER,
                    offset=offset + position,
                    segment_index=index,
                )
            items.append((following, True))
            position += 2
        else:
            items.append((char, False))
            position += 1
    return items


def _segment_general(
    raw: str, characters: ServiceCharacters, follows_terminator: bool, index: int, base: int
) -> Segment | None:
    """One terminated segment read character by character (release-aware)."""
    component = characters.component_separator
    data = characters.data_separator
    items = _stream(raw, characters.release_character, index, base)
    position = 0
    if follows_terminator:
        while position < len(items) and items[position][0] in _WS:
            position += 1
    if position >= len(items):
        return None
    elements: list[Element] = []
    components: list[str] = []
    buffer: list[str] = []
    for char, escaped in items[position:]:
        if not escaped and char == data:
            components.append("".join(buffer))
            elements.append(_finish(components))
            components = []
            buffer = []
        elif not escaped and char == component:
            components.append("".join(buffer))
            buffer = []
        else:
            buffer.append(char)
    components.append("".join(buffer))
    elements.append(_finish(components))
    tag = _check_tag(elements[0], index, base)
    return Segment(tag, tuple(elements[1:]))


def _finish(components: list[str]) -> Element:
    while components and components[-1] == "":
        components.pop()
    if not components:
        return ""
    if len(components) == 1:
        return components[0]
    return tuple(components)


def _tokenize_general(body: str, characters: ServiceCharacters, base: int) -> list[Segment]:
    """A faithful port of pydifact's reading, for delimiters the fast path cannot split.

    Used for unusual UNA advice (repeated or blank delimiters); the codec refuses
    those, so this runs only when the tokenizer is called directly.
    """
    selector = {
        characters.component_separator: _COMPONENT,
        characters.data_separator: _DATA,
        characters.segment_terminator: _TERMINATOR,
    }
    release = characters.release_character
    # pydifact reads a release character before checking for delimiters.
    items = _stream(body, release, 0, base)
    tokens: list[tuple[int, str]] = []
    position = 0
    count = len(items)
    while position < count:
        char, escaped = items[position]
        if not escaped and char in selector:
            kind = selector[char]
            tokens.append((kind, char))
            position += 1
            if kind == _TERMINATOR:
                while position < count and items[position][0] in _WS:
                    position += 1
            continue
        buffer: list[str] = []
        while True:
            if position >= count:
                raise TokenizeError(
                    "unexpected end of data: the last segment has no terminator",
                    code=SyntaxErrorCode.MISSING,
                    offset=base + len(body),
                    segment_index=sum(1 for kind, _ in tokens if kind == _TERMINATOR),
                )
            char, escaped = items[position]
            if not escaped and char in selector:
                break
            buffer.append(char)
            position += 1
        tokens.append((_CONTENT, "".join(buffer)))
    segments: list[Segment] = []
    in_segment = False
    current: list[Element] = []
    element: list[str] = []
    empty_components = 0
    for kind, value in tokens:
        if in_segment:
            if kind == _TERMINATOR:
                in_segment = False
                current.append(_collapse(element))
                element = []
                tag = _check_tag(current[0], len(segments), base)
                segments.append(Segment(tag, tuple(current[1:])))
                continue
        else:
            current = []
            element = []
            empty_components = 0
            in_segment = True
        if kind == _DATA:
            current.append(_collapse(element))
            element = []
            empty_components = 0
            continue
        if kind == _COMPONENT:
            empty_components += 1
            continue
        backfill = empty_components if element else empty_components + 1
        element.extend([""] * max(0, backfill - 1))
        element.append(value)
        empty_components = 0
    return segments


def _collapse(element: list[str]) -> Element:
    if not element:
        return ""
    if len(element) == 1:
        return element[0]
    return tuple(element)
