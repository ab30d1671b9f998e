"""ORDRSP (EANCOM D96A, EAN005) ⇄ :class:`Ordrsp`.

Segments read and written, in message order::

    BGM+231+<response number>+<29 accepted | 4 accepted with changes | 27 not accepted>
    DTM+137 response date · DTM+2 delivery date (header)
    FTX
    RFF+ON:<buyer's order number> (DTM+171 order date) · other RFF
    NAD+BY/SU/DP/UC…+<GLN>::9
    CUX+2:<currency>:9
    per line (the buyer's line numbers are echoed in LIN):
    LIN+<buyer's line number>+<5 accepted | 3 changed | 7 not accepted | 1 added>+<GTIN>:EN
    PIA · IMD
    QTY+21:<ordered> · QTY+113:<confirmed; 0 when refused>
    DTM+2 confirmed delivery date · FTX
    PRI+AAA net · PRI+AAB gross
    RFF line references
    UNS+S · CNT+2:<number of lines>
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

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
    body_segments,
    check_length,
    check_message_type,
    cux_segment,
    dtm_segment,
    ftx_segment,
    nad_segments,
    parse_control_count,
    parse_cux,
    parse_decimal,
    parse_ftx,
    parse_nad,
    parse_rff,
    read_dtm,
    rff_segments,
)
from .orders import (
    Price,
    imd_segments,
    lin_segment,
    parse_price,
    pia_segment,
    price_segment,
    quantity_segment,
    read_imd_text,
    read_lin,
    read_pia,
    reference_with_date,
)


class ResponseStatus(StrEnum):
    """BGM 1225 for ORDRSP."""

    ACCEPTED = "29"
    ACCEPTED_WITH_CHANGES = "4"
    NOT_ACCEPTED = "27"


class LineAction(StrEnum):
    """LIN 1229 in ORDRSP."""

    ADDED = "1"
    CHANGED = "3"
    NO_ACTION = "4"
    ACCEPTED = "5"
    NOT_ACCEPTED = "7"


@dataclass(frozen=True)
class ResponseLine:
    line_number: str
    action: LineAction
    gtin: str = ""
    supplier_article: str = ""
    buyer_article: str = ""
    description: str = ""
    ordered_quantity: Decimal | None = None
    confirmed_quantity: Decimal | None = None
    unit_of_measure: str = ""
    delivery_date: DateValue | None = None
    net_price: Price | None = None
    gross_price: Price | None = None
    notes: tuple[Note, ...] = ()
    references: tuple[Reference, ...] = ()
    segment_position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Ordrsp:
    document_number: str
    status: ResponseStatus
    document_date: DateValue
    order_number: str
    lines: tuple[ResponseLine, ...]
    order_date: DateValue | None = None
    delivery_date: DateValue | None = None
    references: tuple[Reference, ...] = ()
    parties: tuple[Party, ...] = ()
    currency: str = ""
    notes: tuple[Note, ...] = ()
    unmapped: tuple[UnmappedSegment, ...] = field(default=(), compare=False)

    def party(self, role: str) -> Party | None:
        return next((party for party in self.parties if party.role == role), None)


@dataclass
class _Draft:
    position: int
    line_number: str
    gtin: str
    action: LineAction | None
    identifiers: dict[str, str] = field(default_factory=dict)
    description: list[str] = field(default_factory=list)
    quantities: dict[str, tuple[Decimal, str]] = field(default_factory=dict)
    delivery_date: DateValue | None = None
    prices: dict[str, Price] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)


def _finish(draft: _Draft, sink: ErrorSink) -> ResponseLine | None:
    if draft.action is None:
        return None
    confirmed = draft.quantities.get("113")
    ordered = draft.quantities.get("21")
    if draft.action is LineAction.NOT_ACCEPTED and confirmed is not None and confirmed[0] != 0:
        sink.add(
            SyntaxErrorCode.INVALID_VALUE,
            f"line {draft.line_number} is not accepted but confirms {confirmed[0]}",
            draft.position,
            "LIN",
            2,
        )
    unit = (confirmed or ordered or (Decimal(0), ""))[1]
    return ResponseLine(
        line_number=draft.line_number,
        action=draft.action,
        gtin=draft.gtin,
        supplier_article=draft.identifiers.get("SA", ""),
        buyer_article=draft.identifiers.get("IN", ""),
        description="".join(draft.description),
        ordered_quantity=ordered[0] if ordered else None,
        confirmed_quantity=confirmed[0] if confirmed else None,
        unit_of_measure=unit,
        delivery_date=draft.delivery_date,
        net_price=draft.prices.get("AAA"),
        gross_price=draft.prices.get("AAB"),
        notes=tuple(draft.notes),
        references=tuple(draft.references),
        segment_position=draft.position,
    )


def parse_ordrsp(message: Message) -> Ordrsp:
    """Read an ORDRSP message; raises :class:`MappingError` with every fault found."""
    sink = ErrorSink(message.reference)
    check_message_type(message, "ORDRSP", sink)
    document_number = ""
    status: ResponseStatus | None = None
    dates: dict[str, DateValue | None] = {}
    order_number = ""
    order_date: DateValue | None = None
    references: list[Reference] = []
    parties: list[Party] = []
    party_references: list[Reference] = []
    currency = ""
    notes: list[Note] = []
    unmapped: list[UnmappedSegment] = []
    lines: list[ResponseLine] = []
    draft: _Draft | None = None
    context = ""
    line_count = 0
    bgm_seen = False
    control: tuple[Segment, int] | None = None

    def close_party() -> None:
        if parties and party_references:
            last = parties[-1]
            parties[-1] = Party(
                last.role,
                last.identifier,
                last.agency,
                last.name,
                last.street,
                last.city,
                last.postal_code,
                last.country,
                tuple(party_references),
            )
        party_references.clear()

    def close_line() -> None:
        nonlocal draft
        if draft is not None:
            line = _finish(draft, sink)
            if line is not None:
                lines.append(line)
            draft = None

    for position, segment in body_segments(message):
        tag = segment.tag
        if tag == "BGM":
            if bgm_seen or position != 2:
                sink.add(
                    SyntaxErrorCode.NOT_SUPPORTED_IN_POSITION,
                    "BGM must be the first segment after UNH",
                    position,
                    tag,
                )
            bgm_seen = True
            if segment.value(1, 1) != "231":
                sink.add(
                    SyntaxErrorCode.VALUE_NOT_SUPPORTED,
                    f"document name {segment.value(1, 1) or '(none)'} is not an order response (231)",
                    position,
                    tag,
                    1,
                    1,
                )
            document_number = segment.value(2)
            if not document_number:
                sink.add(SyntaxErrorCode.MISSING, "response number missing", position, tag, 2)
            else:
                check_length(document_number, 35, sink, position, tag, 2)
            code = segment.value(3)
            try:
                status = ResponseStatus(code)
            except ValueError:
                sink.add(
                    SyntaxErrorCode.VALUE_NOT_SUPPORTED if code else SyntaxErrorCode.MISSING,
                    f"response function {code or '(none)'} is not supported (29, 4, 27 are)",
                    position,
                    tag,
                    3,
                )
            continue
        if tag == "LIN":
            close_party()
            close_line()
            line_count += 1
            line_number, gtin = read_lin(segment, sink, position)
            action_code = segment.value(2)
            action: LineAction | None = None
            try:
                action = LineAction(action_code)
            except ValueError:
                sink.add(
                    SyntaxErrorCode.VALUE_NOT_SUPPORTED if action_code else SyntaxErrorCode.MISSING,
                    f"line action {action_code or '(none)'} is not supported (5, 3, 7, 1, 4 are)",
                    position,
                    tag,
                    2,
                )
            draft = _Draft(position, line_number, gtin, action)
            context = "line"
            continue
        if tag == "UNS":
            close_party()
            close_line()
            context = "summary"
            continue
        if tag == "CNT":
            if segment.value(1, 1) == "2":
                control = (segment, position)
            else:
                unmapped.append(UnmappedSegment(position, tag))
            continue
        if draft is None and context != "summary":
            if tag == "DTM":
                qualifier, value = read_dtm(segment, sink, position)
                if context == "rff-on" and qualifier == "171":
                    order_date = value
                elif context == "rff" and qualifier == "171":
                    if value is not None:
                        reference_with_date(references, value)
                elif context == "nad-rff" and qualifier == "171":
                    if value is not None:
                        reference_with_date(party_references, value)
                elif qualifier in ("137", "2"):
                    dates[qualifier] = value
                else:
                    unmapped.append(UnmappedSegment(position, tag))
                continue
            if tag == "RFF":
                reference = parse_rff(segment, sink, position)
                if context in ("nad", "nad-rff"):
                    if reference is not None:
                        party_references.append(reference)
                    context = "nad-rff"
                    continue
                close_party()
                if reference is not None and reference.qualifier == "ON" and not order_number:
                    order_number = reference.value
                    context = "rff-on"
                else:
                    if reference is not None:
                        references.append(reference)
                    context = "rff"
                continue
            if tag == "NAD":
                close_party()
                party = parse_nad(segment, sink, position)
                if party is not None:
                    parties.append(party)
                context = "nad"
                continue
            close_party()
            context = "header"
            if tag == "FTX":
                note = parse_ftx(segment, sink, position)
                if note is not None:
                    notes.append(note)
            elif tag == "CUX":
                currency = parse_cux(segment, sink, position)
            else:
                unmapped.append(UnmappedSegment(position, tag))
            continue
        if draft is None:
            unmapped.append(UnmappedSegment(position, tag))
            continue
        previous_context, context = context, "line"
        if tag == "PIA":
            for kind, value in read_pia(segment).items():
                draft.identifiers.setdefault(kind, value)
        elif tag == "IMD":
            text = read_imd_text(segment)
            if text is None:
                unmapped.append(UnmappedSegment(position, tag))
            else:
                draft.description.append(text)
        elif tag == "QTY":
            qualifier = segment.value(1, 1)
            quantity = parse_decimal(
                segment.value(1, 2), sink, position, tag, 1, 2, what="quantity"
            )
            if qualifier in ("21", "113"):
                if quantity is not None:
                    draft.quantities[qualifier] = (quantity, segment.value(1, 3))
            else:
                unmapped.append(UnmappedSegment(position, tag))
        elif tag == "DTM":
            qualifier, value = read_dtm(segment, sink, position)
            if previous_context == "line-rff" and qualifier == "171":
                context = previous_context
                if value is not None:
                    reference_with_date(draft.references, value)
            elif qualifier == "2":
                draft.delivery_date = value
            else:
                unmapped.append(UnmappedSegment(position, tag))
        elif tag == "FTX":
            note = parse_ftx(segment, sink, position)
            if note is not None:
                draft.notes.append(note)
        elif tag == "PRI":
            qualifier = segment.value(1, 1)
            price = parse_price(segment, sink, position)
            if qualifier in ("AAA", "AAB"):
                if price is not None:
                    draft.prices[qualifier] = price
            else:
                unmapped.append(UnmappedSegment(position, tag))
        elif tag == "RFF":
            reference = parse_rff(segment, sink, position)
            if reference is not None:
                draft.references.append(reference)
            context = "line-rff"
        else:
            unmapped.append(UnmappedSegment(position, tag))
    close_party()
    close_line()

    if not bgm_seen:
        sink.add(SyntaxErrorCode.MISSING, "BGM missing", 2, "BGM")
    document_date = dates.get("137")
    if "137" not in dates:
        sink.add(SyntaxErrorCode.MISSING, "response date (DTM+137) missing", 2, "DTM")
    if not order_number:
        sink.add(SyntaxErrorCode.MISSING, "buyer's order number (RFF+ON) missing", 2, "RFF")
    if control is not None:
        parse_control_count(control[0], sink, control[1], line_count, "lines")
    sink.raise_if_any()
    assert status is not None and document_date is not None
    return Ordrsp(
        document_number=document_number,
        status=status,
        document_date=document_date,
        order_number=order_number,
        lines=tuple(lines),
        order_date=order_date,
        delivery_date=dates.get("2"),
        references=tuple(references),
        parties=tuple(parties),
        currency=currency,
        notes=tuple(notes),
        unmapped=tuple(unmapped),
    )


def build_ordrsp(response: Ordrsp) -> tuple[Segment, ...]:
    """The ORDRSP body (between UNH and UNT) for ``response``."""
    segments: list[Segment] = [
        make_segment("BGM", "231", response.document_number, response.status.value),
        dtm_segment("137", response.document_date),
    ]
    if response.delivery_date is not None:
        segments.append(dtm_segment("2", response.delivery_date))
    segments.extend(ftx_segment(note) for note in response.notes)
    segments.extend(rff_segments(Reference("ON", response.order_number)))
    if response.order_date is not None:
        segments.append(dtm_segment("171", response.order_date))
    for reference in response.references:
        segments.extend(rff_segments(reference))
    for party in response.parties:
        segments.extend(nad_segments(party))
    if response.currency:
        segments.append(cux_segment(response.currency))
    for line in response.lines:
        segments.append(lin_segment(line.line_number, line.gtin, line.action.value))
        pia = pia_segment(line.gtin, (line.supplier_article, "SA"), (line.buyer_article, "IN"))
        if pia is not None:
            segments.append(pia)
        if line.description:
            segments.extend(imd_segments(line.description))
        if line.ordered_quantity is not None:
            segments.append(quantity_segment("21", line.ordered_quantity, line.unit_of_measure))
        if line.confirmed_quantity is not None:
            segments.append(quantity_segment("113", line.confirmed_quantity, line.unit_of_measure))
        if line.delivery_date is not None:
            segments.append(dtm_segment("2", line.delivery_date))
        segments.extend(ftx_segment(note) for note in line.notes)
        if line.net_price is not None:
            segments.append(price_segment("AAA", line.net_price))
        if line.gross_price is not None:
            segments.append(price_segment("AAB", line.gross_price))
        for reference in line.references:
            segments.extend(rff_segments(reference))
    segments.append(make_segment("UNS", "S"))
    segments.append(make_segment("CNT", ("2", str(len(response.lines)))))
    return tuple(segments)
