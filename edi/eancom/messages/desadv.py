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
    check_sscc,
    dtm_segment,
    format_decimal,
    ftx_segment,
    nad_segments,
    parse_control_count,
    parse_decimal,
    parse_ftx,
    parse_nad,
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
    read_imd_text,
    read_lin,
    read_pia,
    reference_with_date,
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
    sink = ErrorSink(message.reference)
    check_message_type(message, "DESADV", sink)
    document_number = ""
    function = OrderFunction.ORIGINAL
    dates: dict[str, DateValue | None] = {}
    references: list[Reference] = []
    parties: list[Party] = []
    party_references: list[Reference] = []
    notes: list[Note] = []
    unmapped: list[UnmappedSegment] = []
    levels: list[_LevelDraft] = []
    line: _LineDraft | None = None
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
        nonlocal line
        if line is not None:
            finished = _finish_line(line, sink)
            if finished is not None:
                levels[-1].lines.append(finished)
            line = None

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
            if segment.value(1, 1) != "351":
                sink.add(
                    SyntaxErrorCode.VALUE_NOT_SUPPORTED,
                    f"document name {segment.value(1, 1) or '(none)'} is not a despatch advice (351)",
                    position,
                    tag,
                    1,
                    1,
                )
            document_number = segment.value(2)
            if not document_number:
                sink.add(
                    SyntaxErrorCode.MISSING, "despatch advice number missing", position, tag, 2
                )
            else:
                check_length(document_number, 35, sink, position, tag, 2)
            code = segment.value(3) or OrderFunction.ORIGINAL.value
            try:
                function = OrderFunction(code)
            except ValueError:
                sink.add(
                    SyntaxErrorCode.VALUE_NOT_SUPPORTED,
                    f"message function {code} is not supported (9, 5, 1, 4 are)",
                    position,
                    tag,
                    3,
                )
            continue
        if tag == "CPS":
            close_party()
            close_line()
            hierarchy_id = segment.value(1)
            if not hierarchy_id:
                sink.add(SyntaxErrorCode.MISSING, "hierarchical id missing", position, tag, 1)
            levels.append(_LevelDraft(position, hierarchy_id, segment.value(2)))
            context = "cps"
            continue
        if tag == "CNT":
            close_line()
            if segment.value(1, 1) == "2":
                control = (segment, position)
            else:
                unmapped.append(UnmappedSegment(position, tag))
            context = "summary"
            continue
        if not levels and context != "summary":
            if tag == "DTM":
                qualifier, value = read_dtm(segment, sink, position)
                if context == "rff" and qualifier == "171":
                    if value is not None:
                        reference_with_date(references, value)
                elif context == "nad-rff" and qualifier == "171":
                    if value is not None:
                        reference_with_date(party_references, value)
                elif qualifier in ("137", "11", "17", "358"):
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
                else:
                    close_party()
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
            else:
                unmapped.append(UnmappedSegment(position, tag))
            continue
        if not levels or context == "summary":
            unmapped.append(UnmappedSegment(position, tag))
            continue
        level = levels[-1]
        if tag == "LIN":
            close_line()
            line_count += 1
            line_number, gtin = read_lin(segment, sink, position)
            line = _LineDraft(position, line_number, gtin)
            context = "line"
            continue
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
                context = "pac"
            elif tag == "MEA" and level.packages and context in ("pac", "pac-mea"):
                if (segment.value(1), segment.value(2, 1), segment.value(3, 1)) == (
                    "PD",
                    "AAB",
                    "KGM",
                ):
                    level.packages[-1].gross_weight_kg = parse_decimal(
                        segment.value(3, 2), sink, position, tag, 3, 2, what="gross weight"
                    )
                else:
                    unmapped.append(UnmappedSegment(position, tag))
                context = "pac-mea"
            elif tag == "PCI" and level.packages:
                if segment.value(1) != "33E":
                    unmapped.append(UnmappedSegment(position, tag))
                context = "pci"
            elif tag == "GIN" and level.packages and context in ("pci", "gin"):
                if segment.value(1) != "BJ":
                    unmapped.append(UnmappedSegment(position, tag))
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
                context = "gin"
            else:
                unmapped.append(UnmappedSegment(position, tag))
            continue
        previous_context, context = context, "line"
        if tag == "PIA":
            for kind, value in read_pia(segment).items():
                line.identifiers.setdefault(kind, value)
        elif tag == "IMD":
            text = read_imd_text(segment)
            if text is None:
                unmapped.append(UnmappedSegment(position, tag))
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
                unmapped.append(UnmappedSegment(position, tag))
        elif tag == "DTM":
            qualifier, value = read_dtm(segment, sink, position)
            if previous_context == "line-rff" and qualifier == "171":
                context = previous_context
                if value is not None:
                    reference_with_date(line.references, value)
            elif qualifier in ("361", "36"):
                line.dates[qualifier] = _day(value)
            else:
                unmapped.append(UnmappedSegment(position, tag))
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
                unmapped.append(UnmappedSegment(position, tag))
        elif tag == "RFF":
            reference = parse_rff(segment, sink, position)
            if reference is not None:
                line.references.append(reference)
            context = "line-rff"
        else:
            unmapped.append(UnmappedSegment(position, tag))
    close_party()
    close_line()

    if not bgm_seen:
        sink.add(SyntaxErrorCode.MISSING, "BGM missing", 2, "BGM")
    document_date = dates.get("137")
    if "137" not in dates:
        sink.add(SyntaxErrorCode.MISSING, "document date (DTM+137) missing", 2, "DTM")
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
    if control is not None:
        parse_control_count(control[0], sink, control[1], line_count, "lines")
    sink.raise_if_any()
    assert document_date is not None
    return Desadv(
        document_number=document_number,
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
        despatch_date=dates.get("11"),
        estimated_delivery=dates.get("17"),
        expected_delivery=dates.get("358"),
        references=tuple(references),
        parties=tuple(parties),
        notes=tuple(notes),
        unmapped=tuple(unmapped),
    )


def build_desadv(advice: Desadv) -> tuple[Segment, ...]:
    """The DESADV body (between UNH and UNT) for ``advice``."""
    segments: list[Segment] = [
        make_segment("BGM", "351", advice.document_number, advice.function.value),
        dtm_segment("137", advice.document_date),
    ]
    for qualifier, value in (
        ("11", advice.despatch_date),
        ("17", advice.estimated_delivery),
        ("358", advice.expected_delivery),
    ):
        if value is not None:
            segments.append(dtm_segment(qualifier, value))
    segments.extend(ftx_segment(note) for note in advice.notes)
    for reference in advice.references:
        segments.extend(rff_segments(reference))
    for party in advice.parties:
        segments.extend(nad_segments(party))
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
    segments.append(make_segment("CNT", ("2", str(line_count))))
    return tuple(segments)
