"""INVOIC (EANCOM D96A, EAN008) ⇄ :class:`Invoic`.

Segments read and written, in message order::

    BGM+<380 invoice | 381 credit note>+<invoice number>+9
    DTM+137 invoice date · DTM+35 delivery date
    FTX (legal mentions: penalty rate, €40 recovery indemnity, discount terms …)
    RFF+ON:<buyer's order> (DTM+171) · RFF+DQ delivery note · RFF+AAK despatch
        advice · RFF+IV invoice corrected by a credit note
    NAD+SU/BY/IV/DP+<GLN>::9 — RFF+VA (VAT number), RFF+XA (company registration)
        under the NAD they qualify
    CUX+2:<currency>:4
    PAT+1 · DTM+13 due date
    per line:
    LIN+<line>++<GTIN>:EN · PIA · IMD
    QTY+47:<invoiced>[:<unit>] · MOA+203:<line amount, net of VAT>
    PRI+AAA net · PRI+AAB gross
    TAX+7+VAT+++:::<rate>+<category S, Z, E…>
    UNS+S · CNT+2:<number of lines>
    MOA+77 total including VAT · MOA+79 total of the lines · MOA+125 taxable
        amount · MOA+124 VAT amount
    per VAT rate: TAX+7+VAT+++:::<rate>+<category> · MOA+125 base · MOA+124 VAT
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from ..envelope import Message
from ..errors import SyntaxErrorCode
from ..segment import Segment, make_segment
from ._header import HeaderCollector, header_segments, summary_segments
from .common import (
    DateValue,
    ErrorSink,
    Note,
    Party,
    Reference,
    UnmappedSegment,
    body_segments,
    dtm_segment,
    format_decimal,
    parse_decimal,
)
from .orders import (
    OrderFunction,
    Price,
    imd_segments,
    lin_segment,
    parse_price,
    pia_segment,
    price_segment,
    quantity_segment,
    read_function,
    read_imd_text,
    read_lin,
    read_pia,
)


class InvoiceType(StrEnum):
    """BGM 1001 for INVOIC."""

    INVOICE = "380"
    CREDIT_NOTE = "381"


@dataclass(frozen=True)
class VatBreakdown:
    """Summary TAX + MOA 125/124: the base and the VAT of one rate."""

    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal
    category: str = "S"


@dataclass(frozen=True)
class InvoiceLine:
    line_number: str
    quantity: Decimal
    gtin: str = ""
    supplier_article: str = ""
    buyer_article: str = ""
    description: str = ""
    unit_of_measure: str = ""
    line_amount: Decimal | None = None
    net_price: Price | None = None
    gross_price: Price | None = None
    vat_rate: Decimal | None = None
    vat_category: str = ""
    segment_position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Invoic:
    document_number: str
    invoice_date: DateValue
    lines: tuple[InvoiceLine, ...]
    document_type: InvoiceType = InvoiceType.INVOICE
    function: OrderFunction = OrderFunction.ORIGINAL
    delivery_date: DateValue | None = None
    due_date: DateValue | None = None
    references: tuple[Reference, ...] = ()
    parties: tuple[Party, ...] = ()
    currency: str = ""
    notes: tuple[Note, ...] = ()
    total_amount: Decimal | None = None
    lines_amount: Decimal | None = None
    taxable_amount: Decimal | None = None
    tax_amount: Decimal | None = None
    vat_breakdown: tuple[VatBreakdown, ...] = ()
    unmapped: tuple[UnmappedSegment, ...] = field(default=(), compare=False)

    def party(self, role: str) -> Party | None:
        return next((party for party in self.parties if party.role == role), None)

    def reference(self, qualifier: str) -> str:
        return next((ref.value for ref in self.references if ref.qualifier == qualifier), "")


def tax_segment(rate: Decimal, category: str) -> Segment:
    return make_segment("TAX", "7", "VAT", None, None, ("", "", "", format_decimal(rate)), category)


def _read_tax(segment: Segment, sink: ErrorSink, position: int) -> tuple[Decimal | None, str]:
    if segment.value(1) != "7" or segment.value(2, 1) != "VAT":
        sink.add(
            SyntaxErrorCode.VALUE_NOT_SUPPORTED,
            "only TAX+7+VAT (value added tax) is supported",
            position,
            "TAX",
            2,
            1,
        )
        return None, ""
    rate = parse_decimal(segment.value(5, 4), sink, position, "TAX", 5, 4, what="VAT rate")
    return rate, segment.value(6)


@dataclass
class _LineDraft:
    position: int
    line_number: str
    gtin: str
    identifiers: dict[str, str] = field(default_factory=dict)
    description: list[str] = field(default_factory=list)
    quantity: tuple[Decimal, str] | None = None
    quantity_unreadable: bool = False
    line_amount: Decimal | None = None
    prices: dict[str, Price] = field(default_factory=dict)
    vat_rate: Decimal | None = None
    vat_category: str = ""


def _finish_line(draft: _LineDraft, sink: ErrorSink) -> InvoiceLine | None:
    if draft.quantity is None:
        if not draft.quantity_unreadable:
            sink.add(
                SyntaxErrorCode.MISSING,
                f"line {draft.line_number}: invoiced quantity (QTY+47) missing",
                draft.position,
                "LIN",
            )
        return None
    return InvoiceLine(
        line_number=draft.line_number,
        quantity=draft.quantity[0],
        unit_of_measure=draft.quantity[1],
        gtin=draft.gtin,
        supplier_article=draft.identifiers.get("SA", ""),
        buyer_article=draft.identifiers.get("IN", ""),
        description="".join(draft.description),
        line_amount=draft.line_amount,
        net_price=draft.prices.get("AAA"),
        gross_price=draft.prices.get("AAB"),
        vat_rate=draft.vat_rate,
        vat_category=draft.vat_category,
        segment_position=draft.position,
    )


_SUMMARY_AMOUNTS = ("77", "79", "125", "124")


@dataclass
class _VatDraft:
    position: int
    rate: Decimal | None
    category: str
    taxable_amount: Decimal | None = None
    tax_amount: Decimal | None = None


def parse_invoic(message: Message) -> Invoic:
    """Read an INVOIC message; raises :class:`MappingError` with every fault found."""
    header: HeaderCollector[_LineDraft, InvoiceLine] = HeaderCollector(
        message,
        "INVOIC",
        date_qualifiers=("137", "35"),
        context_dates={"pat": "13"},
        finish_line=_finish_line,
    )
    sink = header.sink
    document_type: InvoiceType | None = None
    function = OrderFunction.ORIGINAL
    totals: dict[str, Decimal | None] = {}
    breakdown: list[_VatDraft] = []

    for position, segment in body_segments(message):
        tag = segment.tag
        if tag == "BGM":
            header.read_bgm(position, segment)
            try:
                document_type = InvoiceType(segment.value(1, 1))
            except ValueError:
                sink.add(
                    SyntaxErrorCode.VALUE_NOT_SUPPORTED,
                    f"document name {segment.value(1, 1) or '(none)'} is not supported (380, 381 are)",
                    position,
                    tag,
                    1,
                    1,
                )
            header.read_document_number(position, segment, "invoice number")
            function = read_function(segment, sink, position) or function
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
        if header.context == "summary":
            if tag == "CNT":
                header.read_control(position, segment)
            elif tag == "MOA" and segment.value(1, 1) in _SUMMARY_AMOUNTS:
                qualifier = segment.value(1, 1)
                amount = parse_decimal(
                    segment.value(1, 2), sink, position, tag, 1, 2, what="amount"
                )
                if breakdown and qualifier == "125":
                    breakdown[-1].taxable_amount = amount
                elif breakdown and qualifier == "124":
                    breakdown[-1].tax_amount = amount
                else:
                    totals[qualifier] = amount
            elif tag == "TAX":
                rate, category = _read_tax(segment, sink, position)
                breakdown.append(_VatDraft(position, rate, category))
            else:
                header.unmap(position, tag)
            continue
        draft = header.draft
        if draft is None:
            if header.read_header(position, segment):
                pass
            elif tag == "PAT":
                header.context = "pat"
            else:
                header.unmap(position, tag)
            continue
        if tag == "PIA":
            for kind, value in read_pia(segment).items():
                draft.identifiers.setdefault(kind, value)
        elif tag == "IMD":
            text = read_imd_text(segment)
            if text is None:
                header.unmap(position, tag)
            else:
                draft.description.append(text)
        elif tag == "QTY" and segment.value(1, 1) == "47":
            quantity = parse_decimal(
                segment.value(1, 2), sink, position, tag, 1, 2, what="quantity"
            )
            if quantity is None:
                draft.quantity_unreadable = True
            else:
                draft.quantity = (quantity, segment.value(1, 3))
        elif tag == "MOA" and segment.value(1, 1) == "203":
            draft.line_amount = parse_decimal(
                segment.value(1, 2), sink, position, tag, 1, 2, what="line amount"
            )
        elif tag == "PRI" and segment.value(1, 1) in ("AAA", "AAB"):
            price = parse_price(segment, sink, position)
            if price is not None:
                draft.prices[segment.value(1, 1)] = price
        elif tag == "TAX":
            draft.vat_rate, draft.vat_category = _read_tax(segment, sink, position)
        else:
            header.unmap(position, tag)
    header.close()

    invoice_date = header.check_start("invoice date")
    if header.line_count == 0:
        sink.add(SyntaxErrorCode.MISSING, "the invoice has no line", len(message.segments), "LIN")
    vat_breakdown: list[VatBreakdown] = []
    for vat in breakdown:
        if vat.taxable_amount is None or vat.tax_amount is None:
            sink.add(
                SyntaxErrorCode.MISSING,
                "a VAT rate needs its taxable amount (MOA+125) and VAT amount (MOA+124)",
                vat.position,
                "TAX",
            )
        elif vat.rate is not None:
            vat_breakdown.append(
                VatBreakdown(vat.rate, vat.taxable_amount, vat.tax_amount, vat.category)
            )
    header.check_control()
    sink.raise_if_any()
    assert document_type is not None and invoice_date is not None
    return Invoic(
        document_number=header.document_number,
        invoice_date=invoice_date,
        lines=tuple(header.lines),
        document_type=document_type,
        function=function,
        delivery_date=header.dates.get("35"),
        due_date=header.dates.get("13"),
        references=tuple(header.references),
        parties=tuple(header.parties),
        currency=header.currency,
        notes=tuple(header.notes),
        total_amount=totals.get("77"),
        lines_amount=totals.get("79"),
        taxable_amount=totals.get("125"),
        tax_amount=totals.get("124"),
        vat_breakdown=tuple(vat_breakdown),
        unmapped=tuple(header.unmapped),
    )


def build_invoic(invoice: Invoic) -> tuple[Segment, ...]:
    """The INVOIC body (between UNH and UNT) for ``invoice``."""
    segments = header_segments(
        (invoice.document_type.value, invoice.document_number, invoice.function.value),
        invoice.invoice_date,
        (("35", invoice.delivery_date),),
        invoice.notes,
        invoice.references,
        invoice.parties,
        currency=invoice.currency,
        currency_usage="4",
    )
    if invoice.due_date is not None:
        segments.append(make_segment("PAT", "1"))
        segments.append(dtm_segment("13", invoice.due_date))
    for line in invoice.lines:
        segments.append(lin_segment(line.line_number, line.gtin))
        pia = pia_segment(line.gtin, (line.supplier_article, "SA"), (line.buyer_article, "IN"))
        if pia is not None:
            segments.append(pia)
        if line.description:
            segments.extend(imd_segments(line.description))
        segments.append(quantity_segment("47", line.quantity, line.unit_of_measure))
        if line.line_amount is not None:
            segments.append(make_segment("MOA", ("203", format_decimal(line.line_amount))))
        if line.net_price is not None:
            segments.append(price_segment("AAA", line.net_price))
        if line.gross_price is not None:
            segments.append(price_segment("AAB", line.gross_price))
        if line.vat_rate is not None:
            segments.append(tax_segment(line.vat_rate, line.vat_category))
    segments.extend(summary_segments(len(invoice.lines)))
    for qualifier, amount in (
        ("77", invoice.total_amount),
        ("79", invoice.lines_amount),
        ("125", invoice.taxable_amount),
        ("124", invoice.tax_amount),
    ):
        if amount is not None:
            segments.append(make_segment("MOA", (qualifier, format_decimal(amount))))
    for vat in invoice.vat_breakdown:
        segments.append(tax_segment(vat.rate, vat.category))
        segments.append(make_segment("MOA", ("125", format_decimal(vat.taxable_amount))))
        segments.append(make_segment("MOA", ("124", format_decimal(vat.tax_amount))))
    return tuple(segments)
