"""DESADV (EANCOM D96A, EAN005) ⇄ :class:`Desadv`.

Segments read and written, in message order::

    BGM+351+<despatch advice number>+9
    DTM+137 document date · DTM+11 despatch · DTM+17 estimated delivery
        · DTM+358 expected delivery (as the partner's guide asks)
    FTX
    RFF+ON:<buyer's order> · RFF+DQ:<delivery note> (each with DTM+171)
    NAD+SU/BY/DP/UC…+<GLN>::9 — one message per store uses NAD+UC
    packing hierarchy, top-down:
    CPS+<id>[+<parent id>]             CPS+1 the consignment, CPS+2+1 a pallet in it …
      PAC+<count>++<type: 201 pallet ISO 1, CT carton …>
      MEA+PD+AAB+KGM:<gross weight>
      PCI+33E                          marked with an SSCC
      GIN+BJ+<SSCC>                    one GIN per SSCC
      LIN+<line>++<GTIN>:EN            the items packed at this level
      PIA+1|5+<supplier article>:SA+<buyer article>:IN+<batch>:NB
      IMD · QTY+12:<despatched> · QTY+21:<ordered>
      DTM+361 best-before date (DDM) · DTM+36 expiry / use-by date (DLC)
      RFF+ON:<order>:<order line> (DTM+171)
    CNT+2:<number of lines>

On reading, a batch is also taken from GIN+BX or GIR (…:BX) in the line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ..envelope import Message
from ..errors import SyntaxErrorCode
from ..segment import Segment, make_segment
from ._header import HeaderCollector, cnt_segment, header_segments, reference_with_date
from .common import (
    DateValue,
    ErrorSink,
    Note,
    Party,
    Reference,
    UnmappedSegment,
    body_segments,
    check_sscc,
    dtm_segment,
    format_decimal,
    parse_decimal,
    parse_rff,
    read_dtm,
    rff_segments,
)
from .orders import (
    OrderFunction,
    imd_segments,
    lin_segment,
    pia_segment,
    quantity_segment,
    read_function,
    read_imd_text,
    read_lin,
    read_pia,
)


@dataclass(frozen=True)
class Package:
    """PAC group: how many packages of which type, their weight and SSCCs."""

    quantity: int
    package_type: str = ""
    gross_weight_kg: Decimal | None = None
    sscc: tuple[str, ...] = ()


@dataclass(frozen=True)
class DespatchLine:
    line_number: str
    quantity: Decimal
    gtin: str = ""
    supplier_article: str = ""
    buyer_article: str = ""
    description: str = ""
    unit_of_measure: str = ""
    ordered_quantity: Decimal | None = None
    batch_number: str = ""
    best_before_date: date | None = None
    expiry_date: date | None = None
    references: tuple[Reference, ...] = ()
    segment_position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class PackingLevel:
    """CPS: one level of the packing hierarchy (consignment, pallet, case …)."""

    hierarchy_id: str
    parent_id: str = ""
    packages: tuple[Package, ...] = ()
    lines: tuple[DespatchLine, ...] = ()
    segment_position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Desadv:
    document_number: str
    document_date: DateValue
    packing: tuple[PackingLevel, ...]
    function: OrderFunction = OrderFunction.ORIGINAL
    despatch_date: DateValue | None = None
    estimated_delivery: DateValue | None = None
    expected_delivery: DateValue | None = None
    references: tuple[Reference, ...] = ()
    parties: tuple[Party, ...] = ()
    notes: tuple[Note, ...] = ()
    unmapped: tuple[UnmappedSegment, ...] = field(default=(), compare=False)

    def party(self, role: str) -> Party | None:
        return next((party for party in self.parties if party.role == role), None)

    def reference(self, qualifier: str) -> str:
        return next((ref.value for ref in self.references if ref.qualifier == qualifier), "")

    @property
    def order_number(self) -> str:
        return self.reference("ON")

    @property
    def delivery_note_number(self) -> str:
        return self.reference("DQ")

    def iter_lines(self) -> Iterator[DespatchLine]:
        for level in self.packing:
            yield from level.lines

    @property
    def sscc_list(self) -> tuple[str, ...]:
        return tuple(
            code for level in self.packing for package in level.packages for code in package.sscc
        )


@dataclass
class _PackageDraft:
    quantity: int
    package_type: str
    gross_weight_kg: Decimal | None = None
    sscc: list[str] = field(default_factory=list)


@dataclass
class _LineDraft:
    position: int
    line_number: str
    gtin: str
    identifiers: dict[str, str] = field(default_factory=dict)
    description: list[str] = field(default_factory=list)
    quantities: dict[str, tuple[Decimal, str]] = field(default_factory=dict)
    unreadable_quantities: set[str] = field(default_factory=set)
    batch_number: str = ""
    dates: dict[str, date | None] = field(default_factory=dict)
    references: list[Reference] = field(default_factory=list)


@dataclass
class _LevelDraft:
    position: int
    hierarchy_id: str
    parent_id: str
    packages: list[_PackageDraft] = field(default_factory=list)
    lines: list[DespatchLine] = field(default_factory=list)


def _day(value: DateValue | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value


def _finish_line(draft: _LineDraft, sink: ErrorSink) -> DespatchLine | None:
    despatched = draft.quantities.get("12")
    if despatched is None:
        if "12" in draft.unreadable_quantities:
            return None
        sink.add(
            SyntaxErrorCode.MISSING,
            f"line {draft.line_number}: despatched quantity (QTY+12) missing",
            draft.position,
            "LIN",
        )
        return None
    ordered = draft.quantities.get("21")
    batch = draft.batch_number or draft.identifiers.get("NB", "")
    return DespatchLine(
        line_number=draft.line_number,
        quantity=despatched[0],
        unit_of_measure=despatched[1],
        gtin=draft.gtin,
        supplier_article=draft.identifiers.get("SA", ""),
        buyer_article=draft.identifiers.get("IN", ""),
        description="".join(draft.description),
        ordered_quantity=ordered[0] if ordered else None,
        batch_number=batch,
        best_before_date=draft.dates.get("361"),
        expiry_date=draft.dates.get("36"),
        references=tuple(draft.references),
        segment_position=draft.position,
    )


def parse_desadv(message: Message) -> Desadv:
    """Read a DESADV message; raises :class:`MappingError` with every fault found."""
    levels: list[_LevelDraft] = []
    header: HeaderCollector[_LineDraft, DespatchLine] = HeaderCollector(
        message,
        "DESADV",
        date_qualifiers=("137", "11", "17", "358"),
        currency=False,
        finish_line=_finish_line,
        emit_line=lambda finished: levels[-1].lines.append(finished),
    )
    sink = header.sink
    function = OrderFunction.ORIGINAL

    for position, segment in body_segments(message):
        tag = segment.tag
        if tag == "BGM":
            header.read_bgm(position, segment)
            header.check_document_name(position, segment, "351", "a despatch advice")
            header.read_document_number(position, segment, "despatch advice number")
            function = read_function(segment, sink, position) or function
            continue
        if tag == "CPS":
            header.close()
            hierarchy_id = segment.value(1)
            if not hierarchy_id:
                sink.add(SyntaxErrorCode.MISSING, "hierarchical id missing", position, tag, 1)
            levels.append(_LevelDraft(position, hierarchy_id, segment.value(2)))
            header.context = "cps"
            continue
        if tag == "CNT":
            header.close_line()
            header.read_control(position, segment)
            header.context = "summary"
            continue
        if not levels and header.context != "summary":
            if not header.read_header(position, segment):
                header.unmap(position, tag)
            continue
        if not levels or header.context == "summary":
            header.unmap(position, tag)
            continue
        level = levels[-1]
        if tag == "LIN":
            header.begin_line()
            line_number, gtin = read_lin(segment, sink, position)
            header.draft = _LineDraft(position, line_number, gtin)
            continue
        line = header.draft
        if line is None:
            # Package section of the current CPS level.
            if tag == "PAC":
                count = parse_decimal(
                    segment.value(1), sink, position, tag, 1, what="number of packages"
                )
                if count is not None and (count != count.to_integral_value() or count < 0):
                    sink.add(
                        SyntaxErrorCode.INVALID_VALUE,
                        "number of packages must be a whole number",
                        position,
                        tag,
                        1,
                    )
                    count = None
                level.packages.append(
                    _PackageDraft(int(count) if count is not None else 0, segment.value(3, 1))
                )
                header.context = "pac"
            elif tag == "MEA" and level.packages and header.context in ("pac", "pac-mea"):
                if (segment.value(1), segment.value(2, 1), segment.value(3, 1)) == (
                    "PD",
                    "AAB",
                    "KGM",
                ):
                    level.packages[-1].gross_weight_kg = parse_decimal(
                        segment.value(3, 2), sink, position, tag, 3, 2, what="gross weight"
                    )
                else:
                    header.unmap(position, tag)
                header.context = "pac-mea"
            elif tag == "PCI" and level.packages:
                if segment.value(1) != "33E":
                    header.unmap(position, tag)
                header.context = "pci"
            elif tag == "GIN" and level.packages and header.context in ("pci", "gin"):
                if segment.value(1) != "BJ":
                    header.unmap(position, tag)
                else:
                    for element in range(2, 7):
                        code = segment.value(element, 1)
                        if not code:
                            continue
                        check_sscc(code, sink, position, tag, element, 1)
                        if segment.value(element, 2):
                            sink.add(
                                SyntaxErrorCode.VALUE_NOT_SUPPORTED,
                                "SSCC ranges are not supported: list each SSCC",
                                position,
                                tag,
                                element,
                                2,
                            )
                        level.packages[-1].sscc.append(code)
                header.context = "gin"
            else:
                header.unmap(position, tag)
            continue
        previous_context = header.context
        header.context = "line"
        if tag == "PIA":
            for kind, value in read_pia(segment).items():
                line.identifiers.setdefault(kind, value)
        elif tag == "IMD":
            text = read_imd_text(segment)
            if text is None:
                header.unmap(position, tag)
            else:
                line.description.append(text)
        elif tag == "QTY":
            qualifier = segment.value(1, 1)
            quantity = parse_decimal(
                segment.value(1, 2), sink, position, tag, 1, 2, what="quantity"
            )
            if qualifier in ("12", "21"):
                if quantity is None:
                    line.unreadable_quantities.add(qualifier)
                else:
                    line.quantities[qualifier] = (quantity, segment.value(1, 3))
            else:
                header.unmap(position, tag)
        elif tag == "DTM":
            qualifier, value = read_dtm(segment, sink, position)
            if previous_context == "line-rff" and qualifier == "171":
                header.context = previous_context
                if value is not None:
                    reference_with_date(line.references, value)
            elif qualifier in ("361", "36"):
                line.dates[qualifier] = _day(value)
            else:
                header.unmap(position, tag)
        elif tag == "GIN" and segment.value(1) == "BX":
            line.batch_number = segment.value(2, 1)
        elif tag == "GIR":
            batch = next(
                (
                    segment.value(element, 1)
                    for element in range(2, 7)
                    if segment.value(element, 2) == "BX"
                ),
                "",
            )
            if batch:
                line.batch_number = batch
            else:
                header.unmap(position, tag)
        elif tag == "RFF":
            reference = parse_rff(segment, sink, position)
            if reference is not None:
                line.references.append(reference)
            header.context = "line-rff"
        else:
            header.unmap(position, tag)
    header.close()

    document_date = header.check_start("document date")
    if not levels:
        sink.add(
            SyntaxErrorCode.MISSING, "no packing hierarchy (CPS)", len(message.segments), "CPS"
        )
    known = {level.hierarchy_id for level in levels}
    for level in levels:
        if level.parent_id and level.parent_id not in known:
            sink.add(
                SyntaxErrorCode.INVALID_VALUE,
                f"CPS {level.hierarchy_id} refers to unknown parent {level.parent_id}",
                level.position,
                "CPS",
                2,
            )
    header.check_control()
    sink.raise_if_any()
    assert document_date is not None
    return Desadv(
        document_number=header.document_number,
        document_date=document_date,
        packing=tuple(
            PackingLevel(
                hierarchy_id=level.hierarchy_id,
                parent_id=level.parent_id,
                packages=tuple(
                    Package(
                        package.quantity,
                        package.package_type,
                        package.gross_weight_kg,
                        tuple(package.sscc),
                    )
                    for package in level.packages
                ),
                lines=tuple(level.lines),
                segment_position=level.position,
            )
            for level in levels
        ),
        function=function,
        despatch_date=header.dates.get("11"),
        estimated_delivery=header.dates.get("17"),
        expected_delivery=header.dates.get("358"),
        references=tuple(header.references),
        parties=tuple(header.parties),
        notes=tuple(header.notes),
        unmapped=tuple(header.unmapped),
    )


def build_desadv(advice: Desadv) -> tuple[Segment, ...]:
    """The DESADV body (between UNH and UNT) for ``advice``."""
    segments = header_segments(
        ("351", advice.document_number, advice.function.value),
        advice.document_date,
        (
            ("11", advice.despatch_date),
            ("17", advice.estimated_delivery),
            ("358", advice.expected_delivery),
        ),
        advice.notes,
        advice.references,
        advice.parties,
    )
    line_count = 0
    for level in advice.packing:
        segments.append(make_segment("CPS", level.hierarchy_id, level.parent_id))
        for package in level.packages:
            segments.append(make_segment("PAC", str(package.quantity), None, package.package_type))
            if package.gross_weight_kg is not None:
                segments.append(
                    make_segment(
                        "MEA", "PD", "AAB", ("KGM", format_decimal(package.gross_weight_kg))
                    )
                )
            if package.sscc:
                segments.append(make_segment("PCI", "33E"))
                segments.extend(make_segment("GIN", "BJ", code) for code in package.sscc)
        for line in level.lines:
            line_count += 1
            segments.append(lin_segment(line.line_number, line.gtin))
            pia = pia_segment(
                line.gtin,
                (line.supplier_article, "SA"),
                (line.buyer_article, "IN"),
                (line.batch_number, "NB"),
            )
            if pia is not None:
                segments.append(pia)
            if line.description:
                segments.extend(imd_segments(line.description))
            segments.append(quantity_segment("12", line.quantity, line.unit_of_measure))
            if line.ordered_quantity is not None:
                segments.append(quantity_segment("21", line.ordered_quantity, line.unit_of_measure))
            if line.best_before_date is not None:
                segments.append(dtm_segment("361", line.best_before_date))
            if line.expiry_date is not None:
                segments.append(dtm_segment("36", line.expiry_date))
            for reference in line.references:
                segments.extend(rff_segments(reference))
    segments.append(cnt_segment(line_count))
    return tuple(segments)
