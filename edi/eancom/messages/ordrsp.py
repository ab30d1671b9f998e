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

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ..envelope import Message
from ..errors import SyntaxErrorCode
from ..segment import Segment
from ._header import (
    HeaderCollector,
    header_segments,
    read_code,
    reference_with_date,
    summary_segments,
)
from .common import (
    DateValue,
    ErrorSink,
    Note,
    Party,
    Reference,
    UnmappedSegment,
    body_segments,
    dtm_segment,
    ftx_segment,
    parse_decimal,
    parse_ftx,
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


class _ResponseHeader(HeaderCollector[_Draft, ResponseLine]):
    """The first header RFF+ON is the buyer's order answered (its DTM+171 the order date)."""

    order_number = ""

    def add_reference(self, reference: Reference | None) -> None:
        if reference is not None and reference.qualifier == "ON" and not self.order_number:
            self.order_number = reference.value
            self.context = "rff-on"
        else:
            super().add_reference(reference)


def parse_ordrsp(message: Message) -> Ordrsp:
    """Read an ORDRSP message; raises :class:`MappingError` with every fault found."""
    header = _ResponseHeader(
        message,
        "ORDRSP",
        date_qualifiers=("137", "2"),
        context_dates={"rff-on": "171"},
        finish_line=_finish,
    )
    sink = header.sink
    status: ResponseStatus | None = None

    for position, segment in body_segments(message):
        tag = segment.tag
        if tag == "BGM":
            header.read_bgm(position, segment)
            header.check_document_name(position, segment, "231", "an order response")
            header.read_document_number(position, segment, "response number")
            status = read_code(
                ResponseStatus,
                segment.value(3),
                sink,
                position,
                tag,
                3,
                what="response function",
                supported="29, 4, 27",
            )
            continue
        if tag == "LIN":
            header.begin_line()
            line_number, gtin = read_lin(segment, sink, position)
            action = read_code(
                LineAction,
                segment.value(2),
                sink,
                position,
                tag,
                2,
                what="line action",
                supported="5, 3, 7, 1, 4",
            )
            header.draft = _Draft(position, line_number, gtin, action)
            continue
        if tag == "UNS":
            header.close()
            header.context = "summary"
            continue
        if tag == "CNT":
            header.read_control(position, segment)
            continue
        draft = header.draft
        if draft is None and header.context != "summary":
            if not header.read_header(position, segment):
                header.unmap(position, tag)
            continue
        if draft is None:
            header.unmap(position, tag)
            continue
        previous_context = header.context
        header.context = "line"
        if tag == "PIA":
            for kind, value in read_pia(segment).items():
                draft.identifiers.setdefault(kind, value)
        elif tag == "IMD":
            text = read_imd_text(segment)
            if text is None:
                header.unmap(position, tag)
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
                header.unmap(position, tag)
        elif tag == "DTM":
            qualifier, value = read_dtm(segment, sink, position)
            if previous_context == "line-rff" and qualifier == "171":
                header.context = previous_context
                if value is not None:
                    reference_with_date(draft.references, value)
            elif qualifier == "2":
                draft.delivery_date = value
            else:
                header.unmap(position, tag)
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
                header.unmap(position, tag)
        elif tag == "RFF":
            reference = parse_rff(segment, sink, position)
            if reference is not None:
                draft.references.append(reference)
            header.context = "line-rff"
        else:
            header.unmap(position, tag)
    header.close()

    document_date = header.check_start("response date")
    if not header.order_number:
        sink.add(SyntaxErrorCode.MISSING, "buyer's order number (RFF+ON) missing", 2, "RFF")
    header.check_control()
    sink.raise_if_any()
    assert status is not None and document_date is not None
    return Ordrsp(
        document_number=header.document_number,
        status=status,
        document_date=document_date,
        order_number=header.order_number,
        lines=tuple(header.lines),
        order_date=header.dates.get("171"),
        delivery_date=header.dates.get("2"),
        references=tuple(header.references),
        parties=tuple(header.parties),
        currency=header.currency,
        notes=tuple(header.notes),
        unmapped=tuple(header.unmapped),
    )


def _order_reference(response: Ordrsp) -> Iterator[Segment]:
    """RFF+ON (DTM+171): written after the notes, so built only then (lazily)."""
    yield from rff_segments(Reference("ON", response.order_number))
    if response.order_date is not None:
        yield dtm_segment("171", response.order_date)


def build_ordrsp(response: Ordrsp) -> tuple[Segment, ...]:
    """The ORDRSP body (between UNH and UNT) for ``response``."""
    segments = header_segments(
        ("231", response.document_number, response.status.value),
        response.document_date,
        (("2", response.delivery_date),),
        response.notes,
        response.references,
        response.parties,
        currency=response.currency,
        leading=_order_reference(response),
    )
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
    segments.extend(summary_segments(len(response.lines)))
    return tuple(segments)
