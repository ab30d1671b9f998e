"""Acknowledgements of what we sent: a partner's CONTRL (or an AS2 MDN) moves our
outbound interchange and its messages to acknowledged or rejected, with the reasons.

Outbound states: queued → sent → acknowledged | rejected; a later acknowledgement of
the same interchange replaces an earlier one (the events keep them all).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from edi.eancom import Message
from edi.eancom.messages import Contrl, ContrlAction, MessageReport, parse_contrl

from ..lock_objects import interchange_lock, interchange_messages_lock
from ..models import (
    Direction,
    EdiMessage,
    EventKind,
    Interchange,
    InterchangeState,
    MessageState,
    TradingPartner,
)
from .base import (
    HandlerResult,
    MessageRejected,
    Problem,
    event_record,
    problems_data,
    problems_summary,
    syntax_error_text,
)

INTERCHANGE_DOCUMENT = "edi.Interchange"


def _element(element: int | None, component: int | None) -> str:
    if element is None:
        return ""
    return f"{element}.{component}" if component is not None else str(element)


def contrl_problems(report: Contrl, message: MessageReport | None = None) -> list[Problem]:
    """Readable reasons of a rejection reported in a CONTRL: the interchange's (UCI) when
    ``message`` is None, else that message's (UCM, then each UCS/UCD)."""
    problems: list[Problem] = []
    if message is None:
        if report.error_code is not None:
            problems.append(
                Problem(
                    reason=_("interchange rejected by the partner: %(error)s")
                    % {"error": syntax_error_text(report.error_code)},
                    segment=report.segment_tag,
                    element=_element(report.element_position, report.component_position),
                    code=str(report.error_code),
                    level="interchange",
                )
            )
    else:
        if message.error_code is not None:
            problems.append(
                Problem(
                    reason=_("message rejected by the partner: %(error)s")
                    % {"error": syntax_error_text(message.error_code)},
                    segment=message.segment_tag,
                    element=_element(message.element_position, message.component_position),
                    code=str(message.error_code),
                    level="message",
                )
            )
        for segment in message.segments:
            if segment.error_code is not None:
                problems.append(
                    Problem(
                        reason=syntax_error_text(segment.error_code),
                        position=segment.position,
                        code=str(segment.error_code),
                        level="segment",
                    )
                )
            for element in segment.elements:
                problems.append(
                    Problem(
                        reason=syntax_error_text(element.error_code),
                        position=segment.position,
                        element=_element(element.element_position, element.component_position),
                        code=str(element.error_code),
                        level="segment",
                    )
                )
    if not problems:
        problems.append(Problem(reason=_("rejected by the partner, without a reason")))
    return problems


def _outbound_settle(
    interchange: Interchange,
    *,
    accepted: bool,
    message_states: dict[int, tuple[str, list[Problem]]],
    error: str,
    note: str,
    user: object = None,
) -> None:
    """Write the new states of a locked outbound interchange and its messages."""
    interchange.state = InterchangeState.ACKNOWLEDGED if accepted else InterchangeState.REJECTED
    interchange.error = error
    interchange.save(update_fields=["state", "error"])
    event_record(
        interchange=interchange,
        kind=EventKind.ACKNOWLEDGED if accepted else EventKind.REJECTED,
        note=note if accepted else f"{note}: {error}",
        user=user,  # type: ignore[arg-type]
    )
    for row in interchange_messages_lock(interchange):
        state, problems = message_states.get(row.pk, (MessageState.ACKNOWLEDGED, []))
        row.state = state
        if state == MessageState.REJECTED:
            row.errors = problems_data(problems)
        row.save(update_fields=["state", "errors", "updated_at"])
        event_record(
            interchange=interchange,
            message=row,
            kind=EventKind.ACKNOWLEDGED
            if state == MessageState.ACKNOWLEDGED
            else EventKind.REJECTED,
            note=note if state == MessageState.ACKNOWLEDGED else problems_summary(problems),
            user=user,  # type: ignore[arg-type]
        )


@transaction.atomic
def contrl_apply(
    *, interchange_id: int, report: Contrl, via: EdiMessage | None = None
) -> Interchange:
    """Apply a partner's CONTRL to the outbound interchange it reports on.

    UCI action 4 rejects the interchange and every message; 7 (or 8, a bare receipt)
    acknowledges it, each message being rejected when its UCM says 4 and acknowledged
    otherwise. Locks the interchange, then its messages.
    """
    interchange = interchange_lock(interchange_id)
    rows = list(interchange.messages.order_by("position"))
    note = (
        _("CONTRL received in message #%(id)s") % {"id": via.pk}
        if via is not None
        else _("CONTRL received")
    )
    states: dict[int, tuple[str, list[Problem]]] = {}
    if report.action is ContrlAction.REJECTED:
        problems = contrl_problems(report)
        for row in rows:
            message_report = report.message_report(row.reference)
            extra = contrl_problems(report, message_report) if message_report else []
            states[row.pk] = (MessageState.REJECTED, problems + extra)
        _outbound_settle(
            interchange,
            accepted=False,
            message_states=states,
            error=problems_summary(problems),
            note=note,
        )
        return interchange
    for row in rows:
        message_report = report.message_report(row.reference)
        if message_report is not None and message_report.action is ContrlAction.REJECTED:
            states[row.pk] = (MessageState.REJECTED, contrl_problems(report, message_report))
        else:
            states[row.pk] = (MessageState.ACKNOWLEDGED, [])
    rejected = [
        problem
        for state, found in states.values()
        if state == MessageState.REJECTED
        for problem in found
    ]
    _outbound_settle(
        interchange,
        accepted=True,
        message_states=states,
        error=problems_summary(rejected),
        note=note,
    )
    return interchange


def contrl_handle(
    message_row: EdiMessage, message: Message, partner: TradingPartner
) -> HandlerResult:
    """Handler of a received CONTRL: find the interchange we sent that it reports on
    (same partner, same control reference) and apply it."""
    report = parse_contrl(message)  # a MappingError goes to the error queue and our CONTRL
    if "\x00" in report.interchange_reference:
        raise MessageRejected([Problem(reason=_("invalid interchange reference"), segment="UCI")])
    outbound = (
        Interchange.objects.filter(
            direction=Direction.OUTBOUND,
            partner=partner,
            control_reference=report.interchange_reference,
        )
        .only("pk")
        .first()
    )
    if outbound is None:
        raise MessageRejected(
            [
                Problem(
                    reason=_(
                        "this CONTRL reports on interchange %(reference)s, which we did not "
                        "send to %(partner)s"
                    )
                    % {"reference": report.interchange_reference or "?", "partner": partner.code},
                    segment="UCI",
                    position=2,
                    element="1",
                    code="unknown_interchange",
                )
            ]
        )
    contrl_apply(interchange_id=outbound.pk, report=report, via=message_row)
    return (INTERCHANGE_DOCUMENT, str(outbound.pk))


@transaction.atomic
def interchange_acknowledge(
    *,
    interchange_id: int,
    accepted: bool,
    reasons: Sequence[str] = (),
    source: str = "mdn",
    user: object = None,
) -> Interchange:
    """Record an acknowledgement that is not a CONTRL (an AS2 MDN, or a person who
    checked with the partner): the interchange and all its messages are acknowledged,
    or rejected with ``reasons``."""
    interchange = interchange_lock(interchange_id)
    if interchange.direction != Direction.OUTBOUND:
        raise MessageRejected([_("Only interchanges we sent are acknowledged.")])
    problems = [Problem(reason=reason, code=source) for reason in reasons] or (
        [] if accepted else [Problem(reason=_("rejected (%(source)s)") % {"source": source})]
    )
    state = MessageState.ACKNOWLEDGED if accepted else MessageState.REJECTED
    states = {row.pk: (state, problems) for row in interchange.messages.all()}
    _outbound_settle(
        interchange,
        accepted=accepted,
        message_states=states,
        error="" if accepted else problems_summary(problems),
        note=_("%(source)s: %(outcome)s")
        % {
            "source": source,
            "outcome": "; ".join(reasons) or (_("accepted") if accepted else _("rejected")),
        },
        user=user,
    )
    return interchange
