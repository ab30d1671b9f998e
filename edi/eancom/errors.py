"""Structured EDIFACT errors: what went wrong, where, and with which UN/EDIFACT code.

Every fault the codec or a mapping finds becomes an :class:`EdifactError`. It carries
enough to be written back in a CONTRL message without any further lookup:

* ``level`` says which CONTRL segment reports it: ``INTERCHANGE`` → ``UCI`` (faults in
  UNA/UNB/UNZ or the interchange as a whole), ``MESSAGE`` → ``UCM`` (faults in UNH/UNT,
  or a message that cannot be read at all), ``SEGMENT`` → ``UCS``/``UCD`` (a segment or
  a data element inside a message body);
* ``segment_position`` is the position of the segment in its message, UNH being 1
  (the value of data element 0096 in UCS); for interchange-level faults it is the
  position in the interchange, UNB being 1, and is informational only;
* ``element_position`` / ``component_position`` are 1-based (0098 / 0104 in S011);
* ``code`` is a value of code list 0085 (:class:`SyntaxErrorCode`).

The codec never raises for bad input: it returns these errors. Mapping functions
(``parse_orders`` …) raise :class:`MappingError`, which carries all the errors found
in one message at once, so one CONTRL can list them all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum


class SyntaxErrorCode(IntEnum):
    """UN/EDIFACT code list 0085 (syntax error, coded), the values we emit."""

    SYNTAX_LEVEL_NOT_SUPPORTED = 2
    RECIPIENT_NOT_ACTUAL = 7
    INVALID_VALUE = 12
    MISSING = 13
    VALUE_NOT_SUPPORTED = 14
    NOT_SUPPORTED_IN_POSITION = 15
    TOO_MANY_CONSTITUENTS = 16
    NO_AGREEMENT = 17
    UNSPECIFIED = 18
    INVALID_SERVICE_CHARACTER = 20  # character invalid as service character (UNA advice)
    INVALID_CHARACTER = 21
    INVALID_SERVICE_CHARACTER_USED = 22  # invalid service character(s) (used in the data)
    DUPLICATE = 26
    REFERENCES_DO_NOT_MATCH = 28
    CONTROL_COUNT_MISMATCH = 29
    GROUPS_AND_MESSAGES_MIXED = 30
    LOWER_LEVEL_EMPTY = 32
    INVALID_OCCURRENCE_OUTSIDE_MESSAGE = 33
    TOO_MANY_REPETITIONS = 35
    INVALID_CHARACTER_TYPE = 37
    MISSING_DIGIT_BEFORE_DECIMAL = 38
    TOO_LONG = 39
    TOO_SHORT = 40


class ErrorLevel(StrEnum):
    """Which CONTRL segment reports the error."""

    INTERCHANGE = "interchange"
    MESSAGE = "message"
    SEGMENT = "segment"


@dataclass(frozen=True, slots=True)
class EdifactError:
    """One fault, located precisely enough for a CONTRL report and for people."""

    code: SyntaxErrorCode
    reason: str
    level: ErrorLevel
    segment_tag: str = ""
    segment_position: int | None = None
    element_position: int | None = None
    component_position: int | None = None
    message_reference: str = ""

    def describe(self) -> str:
        """A one-line, readable account: ``segment 7 (QTY) element 1.2: reason [12]``."""
        where: list[str] = []
        if self.message_reference:
            where.append(f"message {self.message_reference}")
        if self.segment_position is not None:
            tag = f" ({self.segment_tag})" if self.segment_tag else ""
            where.append(f"segment {self.segment_position}{tag}")
        elif self.segment_tag:
            where.append(f"segment {self.segment_tag}")
        if self.element_position is not None:
            element = str(self.element_position)
            if self.component_position is not None:
                element += f".{self.component_position}"
            where.append(f"element {element}")
        prefix = ", ".join(where)
        return (
            f"{prefix}: {self.reason} [{int(self.code)}]"
            if prefix
            else f"{self.reason} [{int(self.code)}]"
        )

    def in_message(self, message_reference: str) -> EdifactError:
        """The same error attributed to a message (mapping layers fill this in)."""
        return replace(self, message_reference=message_reference)


class EdifactException(Exception):
    """Base of every exception this package raises; it always carries errors."""

    def __init__(self, errors: Iterable[EdifactError]) -> None:
        self.errors: tuple[EdifactError, ...] = tuple(errors)
        summary = "; ".join(error.describe() for error in self.errors[:5])
        if len(self.errors) > 5:
            summary += f"; and {len(self.errors) - 5} more"
        super().__init__(summary or "EDIFACT error")


class TokenizeError(EdifactException):
    """The text cannot be split into segments (raised by the tokenizers).

    ``offset`` is the character offset in the tokenized text, ``segment_index`` the
    0-based index of the faulty segment among the segments after UNA.
    """

    def __init__(
        self,
        reason: str,
        *,
        code: SyntaxErrorCode,
        offset: int,
        segment_index: int,
        element_position: int | None = None,
    ) -> None:
        self.reason = reason
        self.code = code
        self.offset = offset
        self.segment_index = segment_index
        self.element_position = element_position
        super().__init__(
            [
                EdifactError(
                    code=code,
                    reason=reason,
                    level=ErrorLevel.INTERCHANGE,
                    segment_position=segment_index + 1,
                    element_position=element_position,
                )
            ]
        )


class MappingError(EdifactException):
    """A message could not be turned into its business dataclass."""


class EncodeError(EdifactException):
    """A value cannot be written in the requested syntax level or segment layout."""
