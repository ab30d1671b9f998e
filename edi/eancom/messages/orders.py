"""ORDERS (EANCOM D96A, EAN008) ⇄ :class:`Orders`.

Segments read and written, in message order::

    BGM+220+<order number>+<function 9 original | 5 replace | 1 cancel | 4 change>
    DTM+137 order date · DTM+2 requested delivery · DTM+64 earliest · DTM+63 latest
        (format 102 CCYYMMDD or 203 CCYYMMDDHHMM)
    FTX+<subject>+++<text>                                   header notes
    RFF+<CT contract | PD promotion | ON …>:<value>  (DTM+171 reference date)
    NAD+<BY | SU | DP | IV | UC …>+<GLN>::9 (name, street, city, postcode, country)
        RFF under a NAD (e.g. VA) belongs to that party
    CUX+2:<currency>:9
    per line:
    LIN+<line number>++<GTIN>:EN
    PIA+1|5+<supplier article>:SA+<buyer article>:IN
    IMD+F++:::<description, 35 + 35 characters>
    QTY+21:<ordered>[:<unit>] · QTY+59:<units per pack> · QTY+192:<free goods>
    DTM+2 line delivery date · MOA+203:<line amount> · FTX line notes
    PRI+AAA:<net price> · PRI+AAB:<gross price>  ([:type::basis:unit] when sent)
    RFF line references
    LOC+7+<store GLN>::9 · QTY+11:<quantity for that store> (· DTM+2)  per-store split
    UNS+S · CNT+2:<number of lines>

Anything else is kept as :class:`UnmappedSegment` (position and tag), never silently
dropped. Each line keeps the position of its LIN so that later layers can say
"line 3 (segment 14): unknown GTIN".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ..envelope import Message
from ..errors import SyntaxErrorCode
from ..segment import Segment, make_segment
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
    check_gln,
    check_gtin,
    check_length,
    dtm_segment,
    format_decimal,
    ftx_segment,
    parse_decimal,
    parse_ftx,
    parse_rff,
    read_dtm,
    rff_segments,
    split_text,
)


class OrderFunction(StrEnum):
    """BGM 1225 for ORDERS."""

    ORIGINAL = "9"
    REPLACE = "5"
    CANCEL = "1"
    CHANGE = "4"


@dataclass(frozen=True)
class Price:
    """PRI C509: amount, and when sent the price type, basis quantity and unit."""

    amount: Decimal
    price_type: str = ""
    basis_quantity: Decimal | None = None
    unit: str = ""

    @property
    def unit_price(self) -> Decimal:
        """The price of one unit (the amount divided by the basis quantity, if any)."""
        if self.basis_quantity:
            return self.amount / self.basis_quantity
        return self.amount


@dataclass(frozen=True)
class StoreSplit:
    """LOC+7 + QTY+11: the part of a line to deliver for one store (allotment)."""

    location: str
    quantity: Decimal
    delivery_date: DateValue | None = None


@dataclass(frozen=True)
class OrderLine:
    line_number: str
    quantity: Decimal
    gtin: str = ""
    supplier_article: str = ""
    buyer_article: str = ""
    description: str = ""
    unit_of_measure: str = ""
    units_per_pack: Decimal | None = None
    free_quantity: Decimal | None = None
    delivery_date: DateValue | None = None
    net_price: Price | None = None
    gross_price: Price | None = None
    line_amount: Decimal | None = None
    notes: tuple[Note, ...] = ()
    references: tuple[Reference, ...] = ()
    store_splits: tuple[StoreSplit, ...] = ()
    segment_position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Orders:
    document_number: str
    function: OrderFunction
    order_date: DateValue
    lines: tuple[OrderLine, ...]
    document_type: str = "220"
    requested_delivery: DateValue | None = None
    earliest_delivery: DateValue | None = None
    latest_delivery: DateValue | None = None
    references: tuple[Reference, ...] = ()
    parties: tuple[Party, ...] = ()
    currency: str = ""
    notes: tuple[Note, ...] = ()
    unmapped: tuple[UnmappedSegment, ...] = field(default=(), compare=False)

    def party(self, role: str) -> Party | None:
        return next((party for party in self.parties if party.role == role), None)

    def reference(self, qualifier: str) -> str:
        return next((ref.value for ref in self.references if ref.qualifier == qualifier), "")

    @property
    def buyer(self) -> Party | None:
        return self.party("BY")

    @property
    def supplier(self) -> Party | None:
        return self.party("SU")

    @property
    def delivery_party(self) -> Party | None:
        return self.party("DP")

    @property
    def invoicee(self) -> Party | None:
        return self.party("IV")

    @property
    def ultimate_consignees(self) -> tuple[Party, ...]:
        return tuple(party for party in self.parties if party.role == "UC")

    @property
    def contract_number(self) -> str:
        return self.reference("CT")

    @property
    def promotion_number(self) -> str:
        return self.reference("PD")


# ---------------------------------------------------------------- shared line pieces


def parse_price(segment: Segment, sink: ErrorSink, position: int) -> Price | None:
    amount = parse_decimal(segment.value(1, 2), sink, position, "PRI", 1, 2, what="price")
    if amount is None:
        return None
    basis = parse_decimal(
        segment.value(1, 5), sink, position, "PRI", 1, 5, required=False, what="price basis"
    )
    if basis is not None and basis <= 0:
        sink.add(
            SyntaxErrorCode.INVALID_VALUE,
            "price basis quantity must be positive",
            position,
            "PRI",
            1,
            5,
        )
        basis = None
    return Price(
        amount=amount,
        price_type=segment.value(1, 3),
        basis_quantity=basis,
        unit=segment.value(1, 6),
    )


def price_segment(qualifier: str, price: Price) -> Segment:
    basis = format_decimal(price.basis_quantity) if price.basis_quantity is not None else ""
    return make_segment(
        "PRI", (qualifier, format_decimal(price.amount), price.price_type, "", basis, price.unit)
    )


def quantity_segment(qualifier: str, quantity: Decimal, unit: str = "") -> Segment:
    return make_segment("QTY", (qualifier, format_decimal(quantity), unit))


def lin_segment(line_number: str, gtin: str, action: str = "") -> Segment:
    return make_segment("LIN", line_number, action, (gtin, "EN") if gtin else None)


def pia_segment(gtin: str, *identifiers: tuple[str, str]) -> Segment | None:
    """PIA with the non-empty (value, type) identifiers: 1 additional, 5 main id."""
    present = [(value, kind) for value, kind in identifiers if value]
    if not present:
        return None
    return make_segment("PIA", "1" if gtin else "5", *present)


def imd_segments(description: str) -> list[Segment]:
    chunks = split_text(description, 35, 20, tag="IMD", what="description")
    return [
        make_segment("IMD", "F", None, ("", "", "", *chunks[start : start + 2]))
        for start in range(0, len(chunks), 2)
    ]


def read_function(segment: Segment, sink: ErrorSink, position: int) -> OrderFunction | None:
    """BGM 1225 of INVOIC and DESADV: 9 (original) when left out."""
    return read_code(
        OrderFunction,
        segment.value(3) or OrderFunction.ORIGINAL.value,
        sink,
        position,
        segment.tag,
        3,
        what="message function",
        supported="9, 5, 1, 4",
    )


def read_lin(segment: Segment, sink: ErrorSink, position: int) -> tuple[str, str]:
    """LIN → (line number, GTIN). The GTIN must be EN/UP/SRV typed with a check digit."""
    line_number = segment.value(1)
    if not line_number:
        sink.add(SyntaxErrorCode.MISSING, "line item number missing", position, "LIN", 1)
    else:
        check_length(line_number, 6, sink, position, "LIN", 1)
    gtin = segment.value(3, 1)
    kind = segment.value(3, 2)
    if gtin:
        if kind not in ("EN", "UP", "SRV"):
            sink.add(
                SyntaxErrorCode.VALUE_NOT_SUPPORTED,
                f"item number type {kind or '(none)'} is not supported (EN, UP, SRV are)",
                position,
                "LIN",
                3,
                2,
            )
            gtin = ""
        else:
            check_gtin(gtin, sink, position, "LIN", 3, 1)
    return line_number, gtin


def read_pia(segment: Segment) -> dict[str, str]:
    """PIA → {item number type: value} for the composites 2..6 (SA, IN, NB, BP …)."""
    found: dict[str, str] = {}
    for element in range(2, 7):
        value, kind = segment.value(element, 1), segment.value(element, 2)
        if value and kind and kind not in found:
            found[kind] = value
    return found


def read_imd_text(segment: Segment) -> str | None:
    """Free-form description text of IMD+F (components 4 and 5 of C273), else None."""
    if segment.value(1) != "F":
        return None
    return "".join(segment.components(3)[3:5])


def read_location(segment: Segment, sink: ErrorSink, position: int) -> str:
    location = segment.value(2, 1)
    if not location:
        sink.add(SyntaxErrorCode.MISSING, "location identification missing", position, "LOC", 2, 1)
    elif segment.value(2, 3) in ("", "9"):
        check_gln(location, sink, position, "LOC", 2, 1)
    return location


# ---------------------------------------------------------------- reading


@dataclass
class _LineDraft:
    position: int
    line_number: str
    gtin: str
    identifiers: dict[str, str] = field(default_factory=dict)
    description: list[str] = field(default_factory=list)
    quantities: dict[str, tuple[Decimal, str]] = field(default_factory=dict)
    unreadable_quantities: set[str] = field(default_factory=set)
    delivery_date: DateValue | None = None
    prices: dict[str, Price] = field(default_factory=dict)
    line_amount: Decimal | None = None
    notes: list[Note] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    splits: list[StoreSplit] = field(default_factory=list)


def _finish_line(draft: _LineDraft, sink: ErrorSink) -> OrderLine | None:
    ordered = draft.quantities.get("21")
    if ordered is None and "21" not in draft.unreadable_quantities:
        sink.add(
            SyntaxErrorCode.MISSING,
            f"line {draft.line_number}: ordered quantity (QTY+21) missing",
            draft.position,
            "LIN",
        )
    if not (draft.gtin or draft.identifiers.get("SA") or draft.identifiers.get("IN")):
        sink.add(
            SyntaxErrorCode.MISSING,
            f"line {draft.line_number}: no article identification (GTIN or PIA SA/IN)",
            draft.position,
            "LIN",
            3,
            1,
        )
    if ordered is None:
        return None
    units_per_pack = draft.quantities.get("59")
    free = draft.quantities.get("192")
    return OrderLine(
        line_number=draft.line_number,
        quantity=ordered[0],
        unit_of_measure=ordered[1],
        gtin=draft.gtin,
        supplier_article=draft.identifiers.get("SA", ""),
        buyer_article=draft.identifiers.get("IN", ""),
        description="".join(draft.description),
        units_per_pack=units_per_pack[0] if units_per_pack else None,
        free_quantity=free[0] if free else None,
        delivery_date=draft.delivery_date,
        net_price=draft.prices.get("AAA"),
        gross_price=draft.prices.get("AAB"),
        line_amount=draft.line_amount,
        notes=tuple(draft.notes),
        references=tuple(draft.references),
        store_splits=tuple(draft.splits),
        segment_position=draft.position,
    )


def parse_orders(message: Message) -> Orders:
    """Read an ORDERS message; raises :class:`MappingError` with every fault found."""
    header: HeaderCollector[_LineDraft, OrderLine] = HeaderCollector(
        message, "ORDERS", date_qualifiers=("137", "2", "63", "64"), finish_line=_finish_line
    )
    sink = header.sink
    document_type = ""
    function: OrderFunction | None = None

    for position, segment in body_segments(message):
        tag = segment.tag
        if tag == "BGM":
            header.read_bgm(position, segment)
            document_type = segment.value(1, 1)
            header.read_document_number(position, segment, "order number")
            if not document_type:
                sink.add(SyntaxErrorCode.MISSING, "document name code missing", position, tag, 1, 1)
            function = read_code(
                OrderFunction,
                segment.value(3),
                sink,
                position,
                tag,
                3,
                what="message function",
                supported="9, 5, 1, 4",
            )
            continue
        if tag == "LIN":
            header.begin_line()
            line_number, gtin = read_lin(segment, sink, position)
            header.draft = _LineDraft(position, line_number, gtin)
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
        # Line section.
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
            if previous_context == "loc" and qualifier == "11":
                header.context = "loc"
                if quantity is not None:
                    last = draft.splits[-1]
                    draft.splits[-1] = StoreSplit(last.location, quantity, last.delivery_date)
            elif qualifier in ("21", "59", "192") and previous_context != "loc":
                if quantity is None:
                    draft.unreadable_quantities.add(qualifier)
                else:
                    if qualifier in draft.quantities:
                        sink.add(
                            SyntaxErrorCode.DUPLICATE,
                            f"QTY+{qualifier} given twice in a line",
                            position,
                            tag,
                            1,
                            1,
                        )
                    draft.quantities[qualifier] = (quantity, segment.value(1, 3))
            else:
                header.unmap(position, tag)
        elif tag == "DTM":
            qualifier, value = read_dtm(segment, sink, position)
            if previous_context == "line-rff" and qualifier == "171":
                header.context = previous_context
                if value is not None:
                    reference_with_date(draft.references, value)
            elif previous_context == "loc" and qualifier == "2":
                header.context = previous_context
                last = draft.splits[-1]
                draft.splits[-1] = StoreSplit(last.location, last.quantity, value)
            elif qualifier == "2":
                draft.delivery_date = value
            else:
                header.unmap(position, tag)
        elif tag == "MOA":
            if segment.value(1, 1) == "203":
                draft.line_amount = parse_decimal(
                    segment.value(1, 2), sink, position, tag, 1, 2, what="line amount"
                )
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
        elif tag == "LOC" and segment.value(1) == "7":
            draft.splits.append(StoreSplit(read_location(segment, sink, position), Decimal(0)))
            header.context = "loc"
        else:
            header.unmap(position, tag)
    header.close()

    order_date = header.check_start("order date")
    if header.line_count == 0 and function is not OrderFunction.CANCEL:
        # A cancellation may leave out the lines: BGM function 1 cancels the whole order.
        sink.add(SyntaxErrorCode.MISSING, "the order has no line", len(message.segments), "LIN")
    header.check_control()
    lines = header.lines
    for draft_line in lines:
        for split in draft_line.store_splits:
            if split.quantity <= 0:
                sink.add(
                    SyntaxErrorCode.MISSING,
                    f"line {draft_line.line_number}: store {split.location} has no split quantity (QTY+11)",
                    draft_line.segment_position,
                    "LOC",
                )
    sink.raise_if_any()
    assert function is not None and order_date is not None
    return Orders(
        document_number=header.document_number,
        function=function,
        order_date=order_date,
        lines=tuple(lines),
        document_type=document_type,
        requested_delivery=header.dates.get("2"),
        earliest_delivery=header.dates.get("64"),
        latest_delivery=header.dates.get("63"),
        references=tuple(header.references),
        parties=tuple(header.parties),
        currency=header.currency,
        notes=tuple(header.notes),
        unmapped=tuple(header.unmapped),
    )


# ---------------------------------------------------------------- writing


def build_orders(order: Orders) -> tuple[Segment, ...]:
    """The ORDERS body (between UNH and UNT) for ``order``."""
    segments = header_segments(
        (order.document_type, order.document_number, order.function.value),
        order.order_date,
        (
            ("2", order.requested_delivery),
            ("64", order.earliest_delivery),
            ("63", order.latest_delivery),
        ),
        order.notes,
        order.references,
        order.parties,
        currency=order.currency,
    )
    for line in order.lines:
        segments.append(lin_segment(line.line_number, line.gtin))
        pia = pia_segment(line.gtin, (line.supplier_article, "SA"), (line.buyer_article, "IN"))
        if pia is not None:
            segments.append(pia)
        if line.description:
            segments.extend(imd_segments(line.description))
        segments.append(quantity_segment("21", line.quantity, line.unit_of_measure))
        if line.units_per_pack is not None:
            segments.append(quantity_segment("59", line.units_per_pack))
        if line.free_quantity is not None:
            segments.append(quantity_segment("192", line.free_quantity))
        if line.delivery_date is not None:
            segments.append(dtm_segment("2", line.delivery_date))
        if line.line_amount is not None:
            segments.append(make_segment("MOA", ("203", format_decimal(line.line_amount))))
        segments.extend(ftx_segment(note) for note in line.notes)
        if line.net_price is not None:
            segments.append(price_segment("AAA", line.net_price))
        if line.gross_price is not None:
            segments.append(price_segment("AAB", line.gross_price))
        for reference in line.references:
            segments.extend(rff_segments(reference))
        for split in line.store_splits:
            segments.append(make_segment("LOC", "7", (split.location, "", "9")))
            segments.append(quantity_segment("11", split.quantity))
            if split.delivery_date is not None:
                segments.append(dtm_segment("2", split.delivery_date))
    segments.extend(summary_segments(len(order.lines)))
    return tuple(segments)
