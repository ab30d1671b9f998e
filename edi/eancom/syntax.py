"""Service characters (UNA), release-character escaping and character repertoires.

Syntax identifiers and how bytes are read
-----------------------------------------
``UNOA`` and ``UNOB`` are subsets of ISO 646 and are decoded as ASCII; ``UNOC`` is
ISO 8859-1 (latin-1), ``UNOD``/``UNOE``/``UNOF`` ISO 8859-2/-5/-7, ``UNOW`` and
``UNOY`` UTF-8. A byte that the syntax identifier's encoding cannot decode is an
error 21 (invalid character) located at its segment and data element.

Character policy (decided here, applied by the codec)
-----------------------------------------------------
* **Inbound** we are strict on bytes and tolerant on letter case: bytes outside the
  encoding are refused (error 21), but lower-case letters under ``UNOA`` are accepted,
  because many senders declare ``UNOA`` and send mixed case and nothing is
  ambiguous about it. ``parse_interchanges(..., strict_repertoire=True)`` turns every
  character outside the level's repertoire into an error 21 for partners who want it.
* **Outbound** we transliterate rather than refuse: a customer called
  « Épicerie Sainte-Thérèse » must still receive its DESADV when its guide says
  ``UNOA``. :func:`prepare_text` removes diacritics (NFKD), spells out ligatures
  (``œ`` → ``oe``, ``ß`` → ``ss``), maps typographic quotes and dashes to ASCII, and
  upper-cases for ``UNOA``. It only changes what the syntax level cannot carry: under
  ``UNOC`` « Thérèse » stays as is and only characters outside latin-1 (``œ``, ``€``)
  are spelled out; under ``UNOY`` nothing changes. A character that still does not
  fit afterwards (a Chinese name under ``UNOA``) raises :class:`EncodeError` with
  code 21 rather than being dropped. ``CharsetPolicy.STRICT`` refuses any change and
  raises instead, for partners whose agreement forbids altering data.

Escaping
--------
The release character (``?`` by default) is written before each occurrence of the
component separator, the data element separator, the segment terminator and the
release character itself. The decimal mark is the point (EANCOM); on reading both
point and comma are accepted in numbers.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from .errors import EdifactError, EncodeError, ErrorLevel, SyntaxErrorCode

WHITESPACE_BETWEEN_SEGMENTS = " \r\n"


@dataclass(frozen=True, slots=True)
class ServiceCharacters:
    """The six characters of the UNA service string advice."""

    component_separator: str = ":"
    data_separator: str = "+"
    decimal_mark: str = "."
    release_character: str = "?"
    reserved: str = " "
    segment_terminator: str = "'"

    @classmethod
    def from_una(cls, advice: str) -> ServiceCharacters:
        """Build from the six characters after ``UNA`` (``":+.? '"``)."""
        if len(advice) != 6:
            raise ValueError(f"a service string advice has 6 characters, not {len(advice)}")
        return cls(advice[0], advice[1], advice[2], advice[3], advice[4], advice[5])

    @property
    def advice(self) -> str:
        return (
            self.component_separator
            + self.data_separator
            + self.decimal_mark
            + self.release_character
            + self.reserved
            + self.segment_terminator
        )

    @property
    def una_segment(self) -> str:
        return "UNA" + self.advice

    def problems(self) -> list[str]:
        """Why these characters cannot delimit an interchange (empty when they can)."""
        found: list[str] = []
        delimiters = {
            "component separator": self.component_separator,
            "data element separator": self.data_separator,
            "release character": self.release_character,
            "segment terminator": self.segment_terminator,
        }
        for name, char in delimiters.items():
            if len(char) != 1:
                found.append(f"{name} must be one character")
            elif char.isalnum():
                found.append(f"{name} {char!r} is a letter or digit")
            elif char in WHITESPACE_BETWEEN_SEGMENTS + "\t":
                found.append(f"{name} {char!r} is white space")
        values = list(delimiters.values())
        if len(set(values)) != len(values):
            found.append("the separators, terminator and release character must differ")
        return found


DEFAULT_CHARACTERS = ServiceCharacters()

SYNTAX_ENCODINGS: dict[str, str] = {
    "UNOA": "ascii",
    "UNOB": "ascii",
    "UNOC": "latin-1",
    "UNOD": "iso8859-2",
    "UNOE": "iso8859-5",
    "UNOF": "iso8859-7",
    "UNOW": "utf-8",
    "UNOY": "utf-8",
}

_LEVEL_A = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-()/='+:?!\"%&*;<>")
_LEVEL_B = _LEVEL_A | frozenset("abcdefghijklmnopqrstuvwxyz")


def encoding_for(syntax_identifier: str) -> str | None:
    """The Python codec for a syntax identifier, or None when we do not support it."""
    return SYNTAX_ENCODINGS.get(syntax_identifier)


def is_in_repertoire(char: str, syntax_identifier: str) -> bool:
    """Whether one character may appear in an interchange of this syntax level."""
    if syntax_identifier == "UNOA":
        return char in _LEVEL_A
    if syntax_identifier == "UNOB":
        return char in _LEVEL_B
    encoding = encoding_for(syntax_identifier)
    if encoding is None:
        return False
    if unicodedata.category(char) in ("Cc", "Cs") and char not in "\r\n":
        return False
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def is_digits(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts superscripts and other scripts)."""
    return text.isascii() and text.isdigit()


def fits(value: str, syntax_identifier: str) -> bool:
    """Whether every character of ``value`` is in the level's repertoire (fast paths first)."""
    if syntax_identifier == "UNOA":
        return _LEVEL_A.issuperset(value)
    if syntax_identifier == "UNOB":
        return _LEVEL_B.issuperset(value)
    if value.isascii() and value.isprintable() and encoding_for(syntax_identifier) is not None:
        return True
    return all(is_in_repertoire(char, syntax_identifier) for char in value)


def invalid_characters(text: str, syntax_identifier: str) -> list[int]:
    """Offsets of the characters of ``text`` outside the level's repertoire."""
    return [
        index for index, char in enumerate(text) if not is_in_repertoire(char, syntax_identifier)
    ]


class CharsetPolicy(StrEnum):
    """What to do with text the target syntax level cannot carry."""

    TRANSLITERATE = "transliterate"
    STRICT = "strict"


_SPELLED_OUT = {
    "œ": "oe",
    "Œ": "OE",
    "æ": "ae",
    "Æ": "AE",
    "ß": "ss",
    "ẞ": "SS",
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ł": "l",
    "Ł": "L",
    "þ": "th",
    "Þ": "TH",
    "ð": "d",
    "Ð": "D",
    "ı": "i",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "«": '"',
    "»": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "…": "...",
    "€": "EUR",
    "°": "O",
    "№": "NO",
}


def _transliterate_char(char: str, syntax_identifier: str) -> str:
    if char in _SPELLED_OUT:
        return _SPELLED_OUT[char]
    decomposed = unicodedata.normalize("NFKD", char)
    stripped = "".join(part for part in decomposed if not unicodedata.combining(part))
    if stripped and all(is_in_repertoire(part, syntax_identifier) for part in stripped):
        return stripped
    # Some compatibility decompositions (ligatures like "ﬁ") only fit once spelled out.
    return stripped or char


def prepare_text(value: str, syntax_identifier: str, policy: CharsetPolicy) -> str:
    """Make ``value`` writable under ``syntax_identifier`` or raise :class:`EncodeError`.

    See the module docstring for the policy. Returns ``value`` unchanged when it
    already fits (the common case, checked first and cheaply).
    """
    if fits(value, syntax_identifier):
        return value
    if syntax_identifier in ("UNOY", "UNOW"):
        bad = next(char for char in value if not is_in_repertoire(char, syntax_identifier))
        raise _encode_error(value, bad, syntax_identifier)
    if encoding_for(syntax_identifier) is None:
        raise EncodeError(
            [
                EdifactError(
                    code=SyntaxErrorCode.SYNTAX_LEVEL_NOT_SUPPORTED,
                    reason=f"syntax identifier {syntax_identifier!r} is not supported",
                    level=ErrorLevel.INTERCHANGE,
                    segment_tag="UNB",
                    element_position=1,
                    component_position=1,
                )
            ]
        )
    if policy is CharsetPolicy.STRICT:
        bad = next(char for char in value if not is_in_repertoire(char, syntax_identifier))
        raise _encode_error(value, bad, syntax_identifier)
    pieces: list[str] = []
    for char in value:
        if is_in_repertoire(char, syntax_identifier):
            pieces.append(char)
        else:
            pieces.append(_transliterate_char(char, syntax_identifier))
    result = "".join(pieces)
    if syntax_identifier == "UNOA":
        result = result.upper()
    bad = [char for char in result if not is_in_repertoire(char, syntax_identifier)]
    if bad:
        raise _encode_error(value, bad[0], syntax_identifier)
    return result


def _encode_error(value: str, char: str, syntax_identifier: str) -> EncodeError:
    return EncodeError(
        [
            EdifactError(
                code=SyntaxErrorCode.INVALID_CHARACTER,
                reason=(
                    f"character {char!r} (U+{ord(char):04X}) in {value!r} "
                    f"cannot be written under {syntax_identifier}"
                ),
                level=ErrorLevel.SEGMENT,
            )
        ]
    )


def escape(value: str, characters: ServiceCharacters = DEFAULT_CHARACTERS) -> str:
    """Insert the release character before every service character in ``value``."""
    release = characters.release_character
    specials = (
        release,
        characters.component_separator,
        characters.data_separator,
        characters.segment_terminator,
    )
    if not any(special in value for special in specials):
        return value
    # The release character first, so the releases added next are not doubled.
    value = value.replace(release, release + release)
    for special in specials[1:]:
        value = value.replace(special, release + special)
    return value
