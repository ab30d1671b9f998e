"""What services and message handlers share: readable problems, the handler contract,
the rejection a handler raises, and the event log.

The handler contract (``edi.services.handlers.HANDLERS`` maps a message type to one):

    handler(message_row: EdiMessage, message: edi.eancom.Message, partner: TradingPartner)
        -> tuple[str, str] | None

* it runs inside a transaction (a savepoint of the dispatcher's): whatever it writes is
  kept when it returns and undone when it raises;
* it returns the business document it produced, as ``(document_type, document_id)``
  strings (``("sales.SalesOrder", "42")``), or None;
* it raises :class:`MessageRejected` with one :class:`Problem` per fault (per order line
  where it can: ``Problem(reason=…, line="3", segment="LIN", position=14)``): the
  message goes to the error queue with those reasons, to be fixed and replayed;
* a :class:`~edi.eancom.MappingError` from a ``parse_*`` mapping may simply propagate:
  its located errors go to the error queue *and* into the CONTRL answered;
* any other exception also lands the message in the error queue (reason: the
  exception), never crashes the worker, and leaves the raw payload as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from comptoir.exceptions import DomainError
from edi.eancom import EdifactError, Message, SyntaxErrorCode

from ..models import EdiEvent, EdiMessage, EventKind, Interchange

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from ..models import TradingPartner


@dataclass(frozen=True)
class Problem:
    """One fault, for people: what is wrong and where (stored in ``EdiMessage.errors``).

    ``line`` is the sender's line number (LIN 1082) when the fault is on an order line,
    ``segment`` the segment tag, ``position`` the segment's position in the message
    (UNH = 1), ``element`` ``"3"`` or ``"3.1"``, ``code`` a UN/EDIFACT 0085 code
    (``"12"``) or a business code of ours (``"unknown_gtin"``). ``level`` is set on
    syntax faults only (``"interchange"``, ``"message"``, ``"segment"``): those are the
    ones a CONTRL reports; business faults (an unknown GTIN) are not.
    """

    reason: str
    line: str = ""
    segment: str = ""
    position: int | None = None
    element: str = ""
    code: str = ""
    level: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class MessageRejected(DomainError):
    """A handler refuses a message; ``problems`` say why, per line where they can.

    ``contrl_errors`` (rarely needed) are syntax faults to report in the CONTRL too.
    """

    code = "message_rejected"

    def __init__(
        self,
        problems: Iterable[Problem | str],
        *,
        contrl_errors: Iterable[EdifactError] = (),
    ) -> None:
        self.problems: tuple[Problem, ...] = tuple(
            problem if isinstance(problem, Problem) else Problem(reason=problem)
            for problem in problems
        )
        self.contrl_errors: tuple[EdifactError, ...] = tuple(contrl_errors)
        summary = "; ".join(problem.reason for problem in self.problems[:3]) or _("rejected")
        super().__init__(summary, problems=[problem.as_dict() for problem in self.problems])


HandlerResult = tuple[str, str] | None
Handler = Callable[[EdiMessage, Message, "TradingPartner"], HandlerResult]
BatchHandler = Callable[[Sequence[tuple[EdiMessage, Message]], "TradingPartner"], list[Any]]

# Readable names of the UN/EDIFACT syntax error codes (code list 0085) we meet.
SYNTAX_ERROR_TEXT: dict[int, str] = {
    SyntaxErrorCode.SYNTAX_LEVEL_NOT_SUPPORTED: "syntax level not supported",
    SyntaxErrorCode.RECIPIENT_NOT_ACTUAL: "interchange recipient not actual",
    SyntaxErrorCode.INVALID_VALUE: "invalid value",
    SyntaxErrorCode.MISSING: "missing",
    SyntaxErrorCode.VALUE_NOT_SUPPORTED: "value not supported in this position",
    SyntaxErrorCode.NOT_SUPPORTED_IN_POSITION: "not supported in this position",
    SyntaxErrorCode.TOO_MANY_CONSTITUENTS: "too many constituents",
    SyntaxErrorCode.NO_AGREEMENT: "no agreement",
    SyntaxErrorCode.UNSPECIFIED: "unspecified error",
    SyntaxErrorCode.INVALID_SERVICE_CHARACTER: "character invalid as service character",
    SyntaxErrorCode.INVALID_CHARACTER: "invalid character",
    SyntaxErrorCode.INVALID_SERVICE_CHARACTER_USED: "invalid service character",
    SyntaxErrorCode.DUPLICATE: "duplicate detected",
    SyntaxErrorCode.REFERENCES_DO_NOT_MATCH: "references do not match",
    SyntaxErrorCode.CONTROL_COUNT_MISMATCH: "control count does not match",
    SyntaxErrorCode.GROUPS_AND_MESSAGES_MIXED: "groups and messages mixed",
    SyntaxErrorCode.LOWER_LEVEL_EMPTY: "lower level empty",
    SyntaxErrorCode.INVALID_OCCURRENCE_OUTSIDE_MESSAGE: "segment outside a message",
    SyntaxErrorCode.TOO_MANY_REPETITIONS: "too many repetitions",
    SyntaxErrorCode.INVALID_CHARACTER_TYPE: "invalid type of character",
    SyntaxErrorCode.MISSING_DIGIT_BEFORE_DECIMAL: "missing digit before the decimal mark",
    SyntaxErrorCode.TOO_LONG: "value too long",
    SyntaxErrorCode.TOO_SHORT: "value too short",
}


def syntax_error_text(code: int | None) -> str:
    if code is None:
        return ""
    return SYNTAX_ERROR_TEXT.get(code, f"error {code}")


def printable(text: str) -> str:
    """``text`` as PostgreSQL can store it (no NUL character, even in JSON): a NUL
    received in a payload is shown as ␀ in what we read from it."""
    return text.replace("\x00", "\u2400")


def problem_from_edifact(error: EdifactError) -> Problem:
    element = ""
    if error.element_position is not None:
        element = str(error.element_position)
        if error.component_position is not None:
            element += f".{error.component_position}"
    return Problem(
        reason=error.reason,
        segment=error.segment_tag,
        position=error.segment_position,
        element=element,
        code=str(int(error.code)),
        level=str(error.level),
    )


def problems_data(problems: Iterable[Problem]) -> list[dict[str, Any]]:
    return [
        {key: printable(value) if isinstance(value, str) else value for key, value in item.items()}
        for item in (problem.as_dict() for problem in problems)
    ]


def problems_summary(problems: Sequence[Problem], limit: int = 5) -> str:
    """``"segment 7 (QTY) element 1: invalid value [12]; …"`` for one text column."""
    parts = []
    for problem in problems[:limit]:
        where = []
        if problem.line:
            where.append(_("line %(line)s") % {"line": problem.line})
        if problem.position is not None:
            tag = f" ({problem.segment})" if problem.segment else ""
            where.append(_("segment %(position)s") % {"position": problem.position} + tag)
        elif problem.segment:
            where.append(problem.segment)
        if problem.element:
            where.append(_("element %(element)s") % {"element": problem.element})
        code = f" [{problem.code}]" if problem.code else ""
        prefix = ", ".join(where)
        parts.append(f"{prefix}: {problem.reason}{code}" if prefix else f"{problem.reason}{code}")
    if len(problems) > limit:
        parts.append(_("and %(count)s more") % {"count": len(problems) - limit})
    return printable("; ".join(parts))


def event_record(
    *,
    interchange: Interchange,
    kind: EventKind | str,
    message: EdiMessage | None = None,
    note: str = "",
    user: AbstractBaseUser | None = None,
) -> EdiEvent:
    """Append an event; call it inside the transaction of the change it records."""
    return EdiEvent.objects.create(
        interchange=interchange,
        message=message,
        kind=kind,
        note=printable(note[:2000]),
        user=user if user is not None and user.is_authenticated else None,
    )


def events_record(
    *,
    interchange: Interchange,
    kind: EventKind | str,
    messages: Iterable[EdiMessage],
    note: str = "",
    user: AbstractBaseUser | None = None,
) -> None:
    """One event per message, in one INSERT."""
    who = user if user is not None and user.is_authenticated else None
    EdiEvent.objects.bulk_create(
        EdiEvent(
            interchange=interchange, message=row, kind=kind, note=printable(note[:2000]), user=who
        )
        for row in messages
    )


def events_record_each(
    *,
    interchange: Interchange,
    events: Iterable[tuple[EdiMessage, EventKind | str, str]],
    user: AbstractBaseUser | None = None,
) -> None:
    """One event per (message, kind, note), in one INSERT."""
    who = user if user is not None and user.is_authenticated else None
    EdiEvent.objects.bulk_create(
        EdiEvent(interchange=interchange, message=row, kind=kind, note=printable(note[:2000]), user=who)
        for row, kind, note in events
    )
