"""Golden files both ways: parse → expected dataclasses; dataclasses → the exact bytes.

Plus the mapping faults, each located for CONTRL, and CONTRL built from them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from edi.eancom.codec import encode_interchange, parse_interchanges
from edi.eancom.envelope import (
    CONTRL_D3,
    DESADV_D96A,
    INVOIC_D96A,
    ORDERS_D96A,
    ORDRSP_D96A,
    Interchange,
    InterchangeHeader,
    Message,
    OutboundMessage,
    PartyIdentification,
)
from edi.eancom.errors import MappingError
from edi.eancom.messages import (
    Contrl,
    ContrlAction,
    Desadv,
    DespatchLine,
    ElementReport,
    Invoic,
    InvoiceLine,
    InvoiceType,
    LineAction,
    MessageReport,
    Note,
    OrderFunction,
    OrderLine,
    Orders,
    Ordrsp,
    Package,
    PackingLevel,
    Party,
    Price,
    Reference,
    ResponseLine,
    ResponseStatus,
    SegmentReport,
    StoreSplit,
    UnmappedSegment,
    VatBreakdown,
    build_contrl,
    build_desadv,
    build_invoic,
    build_orders,
    build_ordrsp,
    contrl_for,
    contrl_received,
    parse_contrl,
    parse_desadv,
    parse_invoic,
    parse_orders,
    parse_ordrsp,
)

from . import fixture_bytes, only_interchange, only_message

US = "3012345000000"
BUYER = "3020000000005"
PLATFORM = "3020000001002"
INVOICEE = "3020000000012"
STORES = ("3020000002016", "3020000002023", "3020000002030")
COFFEE, TEA, CHOCOLATE, CREAM = "3012345100014", "3012345100021", "3012345100038", "3012345100045"


def golden_header(interchange: Interchange) -> InterchangeHeader:
    assert interchange.header is not None
    return interchange.header


def rebuild(name: str, documents: list[tuple[str, object]], **options: object) -> bytes:
    """Write the documents again with the golden file's own UNB."""
    interchange = only_interchange(name)
    builders = {Orders: (build_orders, ORDERS_D96A), Ordrsp: (build_ordrsp, ORDRSP_D96A)}
    builders |= {Desadv: (build_desadv, DESADV_D96A), Contrl: (build_contrl, CONTRL_D3)}
    builders |= {Invoic: (build_invoic, INVOIC_D96A)}
    messages = []
    for reference, document in documents:
        build, identifier = builders[type(document)]
        messages.append(OutboundMessage(reference, identifier, build(document)))  # type: ignore[operator]
    options.setdefault("line_breaks", True)
    return encode_interchange(golden_header(interchange), messages, **options)  # type: ignore[arg-type]


# ---------------------------------------------------------------- ORDERS

ORDERS_ORIGINAL = Orders(
    document_number="PO-2024-0001",
    function=OrderFunction.ORIGINAL,
    order_date=date(2024, 3, 15),
    requested_delivery=date(2024, 3, 20),
    notes=(Note("DEL", "LIVRAISON QUAI 3 AVANT 10H"),),
    references=(Reference("CT", "CTR-2024-17", date=date(2024, 1, 1)),),
    parties=(
        Party("BY", BUYER),
        Party("SU", US, references=(Reference("VA", "FR32123456789"),)),
        Party("DP", PLATFORM),
        Party("IV", INVOICEE),
    ),
    currency="EUR",
    lines=(
        OrderLine(
            line_number="1",
            gtin=COFFEE,
            supplier_article="CF250",
            buyer_article="882001",
            description="CAFE MOULU PUR ARABICA 250G",
            quantity=Decimal("48"),
            units_per_pack=Decimal("12"),
            line_amount=Decimal("576.00"),
            net_price=Price(Decimal("12.0000")),
            gross_price=Price(Decimal("13.5000")),
        ),
        OrderLine(
            line_number="2",
            gtin=TEA,
            supplier_article="TH100",
            description="THE VERT SENCHA 100 SACHETS",
            quantity=Decimal("24"),
            delivery_date=date(2024, 3, 22),
            line_amount=Decimal("211.20"),
            net_price=Price(Decimal("8.8000")),
        ),
        OrderLine(
            line_number="3",
            gtin=CHOCOLATE,
            description="CHOCOLAT NOIR 70% 100G",
            quantity=Decimal("120"),
            unit_of_measure="PCE",
            line_amount=Decimal("198.00"),
            notes=(Note("PUR", "PROMOTION PAQUES"),),
            net_price=Price(Decimal("1.6500")),
        ),
    ),
)

ORDERS_PLATFORM = Orders(
    document_number="CMD884512",
    function=OrderFunction.ORIGINAL,
    order_date=datetime(2024, 3, 18, 6, 0),
    earliest_delivery=datetime(2024, 3, 25, 6, 0),
    latest_delivery=datetime(2024, 3, 25, 12, 0),
    references=(Reference("PD", "PROMO-PAQUES-24"),),
    parties=(
        Party("BY", BUYER, name="CENTRALE REGIONALE DES MAGASINS DU SUD-OUEST"),
        Party("SU", US),
        Party(
            "DP",
            PLATFORM,
            name="PLATEFORME DE SARAN",
            street="ZA DES CHATAIGNIERS",
            city="SARAN",
            postal_code="45770",
            country="FR",
        ),
        Party("IV", INVOICEE),
    ),
    currency="EUR",
    lines=(
        OrderLine(
            line_number="1",
            gtin=COFFEE,
            quantity=Decimal("36"),
            units_per_pack=Decimal("12"),
            net_price=Price(Decimal("11.7500")),
            store_splits=tuple(StoreSplit(store, Decimal("12")) for store in STORES),
        ),
        OrderLine(
            line_number="2",
            gtin=TEA,
            quantity=Decimal("20"),
            net_price=Price(Decimal("8.8000")),
            store_splits=(
                StoreSplit(STORES[0], Decimal("8")),
                StoreSplit(STORES[2], Decimal("12")),
            ),
        ),
    ),
)

ORDERS_SINGLE_STORE = Orders(
    document_number="CMD884513",
    function=OrderFunction.ORIGINAL,
    order_date=datetime(2024, 3, 18, 6, 0),
    requested_delivery=date(2024, 3, 25),
    parties=(
        Party("BY", BUYER),
        Party("SU", US),
        Party("DP", PLATFORM),
        Party("UC", STORES[1], name="MAGASIN DE BLOIS"),
    ),
    currency="EUR",
    lines=(
        OrderLine(
            line_number="1",
            gtin=CHOCOLATE,
            quantity=Decimal("60"),
            net_price=Price(Decimal("1.6500")),
        ),
    ),
)

ORDERS_REPLACEMENT = Orders(
    document_number="PO-2024-0001",
    function=OrderFunction.REPLACE,
    order_date=date(2024, 3, 16),
    requested_delivery=date(2024, 3, 20),
    parties=(Party("BY", BUYER), Party("SU", US), Party("DP", PLATFORM)),
    currency="EUR",
    lines=(
        OrderLine(
            line_number="1",
            gtin=COFFEE,
            quantity=Decimal("60"),
            net_price=Price(Decimal("12.0000")),
        ),
        OrderLine(
            line_number="2", gtin=TEA, quantity=Decimal("24"), net_price=Price(Decimal("8.8000"))
        ),
    ),
)

ORDERS_CANCELLATION = Orders(
    document_number="PO-2024-0001",
    function=OrderFunction.CANCEL,
    order_date=date(2024, 3, 17),
    notes=(Note("AAI", "ANNULATION A LA DEMANDE DU MAGASIN"),),
    parties=(Party("BY", BUYER), Party("SU", US)),
    lines=(),
)

ORDERS_ACCENTS = Orders(
    document_number="PO-2024-0107",
    function=OrderFunction.ORIGINAL,
    order_date=datetime(2024, 4, 2, 8, 15),
    parties=(
        Party(
            "BY",
            BUYER,
            name="Centrale d'Achats Hypérion",
            street="12 rue de l'Église",
            city="Orléans",
            postal_code="45000",
            country="FR",
        ),
        Party("SU", US, name="Comptoir Négoce SAS"),
        Party(
            "DP",
            PLATFORM,
            name="Entrepôt Régional Centre",
            street="ZA des Châtaigniers",
            city="Saran",
            postal_code="45770",
            country="FR",
        ),
    ),
    lines=(
        OrderLine(
            line_number="1",
            gtin=CREAM,
            description="Crème fraîche d'Isigny AOP 20cl",
            quantity=Decimal("30"),
            net_price=Price(Decimal("2.35")),
        ),
    ),
)

ORDERS_RELEASE = Orders(
    document_number="PO+4711",
    function=OrderFunction.ORIGINAL,
    order_date=date(2024, 3, 19),
    notes=(Note("AAI", "ATTENTION: LIVRER A L'ACCUEIL+ SIGNER LE BL ? MERCI"),),
    parties=(Party("BY", "5412345000013", name="L'EPICERIE DU COIN"), Party("SU", US)),
    lines=(
        OrderLine(
            line_number="1", gtin=COFFEE, description="CAFE 1+1 GRATUIT", quantity=Decimal("10")
        ),
    ),
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("orders_original.edi", [ORDERS_ORIGINAL]),
        ("orders_platform_stores.edi", [ORDERS_PLATFORM, ORDERS_SINGLE_STORE]),
        ("orders_replacement.edi", [ORDERS_REPLACEMENT]),
        ("orders_cancellation.edi", [ORDERS_CANCELLATION]),
        ("orders_unoc_accents.edi", [ORDERS_ACCENTS]),
        ("orders_no_una_release.edi", [ORDERS_RELEASE]),
    ],
)
def test_golden_orders_parse_to_the_expected_documents(name: str, expected: list[Orders]) -> None:
    messages = only_interchange(name).messages
    assert [parse_orders(message) for message in messages] == expected
    assert all(parse_orders(message).unmapped == () for message in messages)


@pytest.mark.parametrize(
    ("name", "documents", "options"),
    [
        ("orders_original.edi", [("1", ORDERS_ORIGINAL)], {}),
        (
            "orders_platform_stores.edi",
            [("ORD2-1", ORDERS_PLATFORM), ("ORD2-2", ORDERS_SINGLE_STORE)],
            {},
        ),
        ("orders_replacement.edi", [("1", ORDERS_REPLACEMENT)], {}),
        ("orders_cancellation.edi", [("1", ORDERS_CANCELLATION)], {}),
        ("orders_unoc_accents.edi", [("ORD7", ORDERS_ACCENTS)], {}),
        (
            "orders_no_una_release.edi",
            [("ORD5", ORDERS_RELEASE)],
            {"include_una": False, "line_breaks": False},
        ),
    ],
)
def test_golden_orders_are_rebuilt_byte_for_byte(
    name: str, documents: list[tuple[str, Orders]], options: dict
) -> None:  # noqa: E501
    assert rebuild(name, documents, **options) == fixture_bytes(name)  # type: ignore[arg-type]


def test_each_order_line_keeps_the_position_of_its_lin_segment() -> None:
    order = parse_orders(only_message("orders_original.edi"))
    assert [(line.line_number, line.segment_position) for line in order.lines] == [
        ("1", 14),
        ("2", 22),
        ("3", 29),
    ]
    assert all(
        only_message("orders_original.edi").segments[line.segment_position - 1].tag == "LIN"
        for line in order.lines
    )


def test_orders_accessors_name_the_four_roles_and_the_stores() -> None:
    platform, single_store = (
        parse_orders(message) for message in only_interchange("orders_platform_stores.edi").messages
    )
    assert (platform.buyer.gln, platform.delivery_party.gln, platform.invoicee.gln) == (
        BUYER,
        PLATFORM,
        INVOICEE,
    )  # type: ignore[union-attr]
    assert platform.promotion_number == "PROMO-PAQUES-24"
    assert [split.location for split in platform.lines[0].store_splits] == list(STORES)
    assert [party.gln for party in single_store.ultimate_consignees] == [STORES[1]]
    assert parse_orders(only_message("orders_original.edi")).contract_number == "CTR-2024-17"
    assert (
        parse_orders(only_message("orders_original.edi")).supplier.reference("VA")
        == "FR32123456789"
    )  # type: ignore[union-attr]


# ---------------------------------------------------------------- ORDRSP, DESADV

ORDRSP = Ordrsp(
    document_number="RSP-2024-0001",
    status=ResponseStatus.ACCEPTED_WITH_CHANGES,
    document_date=date(2024, 3, 15),
    order_number="PO-2024-0001",
    order_date=date(2024, 3, 15),
    parties=(Party("BY", BUYER), Party("SU", US)),
    lines=(
        ResponseLine(
            line_number="1",
            action=LineAction.ACCEPTED,
            gtin=COFFEE,
            ordered_quantity=Decimal("48"),
            confirmed_quantity=Decimal("48"),
            delivery_date=date(2024, 3, 20),
            net_price=Price(Decimal("12.0000")),
        ),
        ResponseLine(
            line_number="2",
            action=LineAction.CHANGED,
            gtin=TEA,
            ordered_quantity=Decimal("24"),
            confirmed_quantity=Decimal("18"),
            delivery_date=date(2024, 3, 22),
            net_price=Price(Decimal("8.8000")),
        ),
        ResponseLine(
            line_number="3",
            action=LineAction.NOT_ACCEPTED,
            gtin=CHOCOLATE,
            ordered_quantity=Decimal("120"),
            confirmed_quantity=Decimal("0"),
            unit_of_measure="PCE",
            notes=(Note("AAI", "ARTICLE EN RUPTURE JUSQU'AU 15/04"),),
        ),
    ),
)

DESADV = Desadv(
    document_number="BL-2024-0456",
    document_date=date(2024, 3, 19),
    despatch_date=datetime(2024, 3, 19, 16, 0),
    estimated_delivery=date(2024, 3, 20),
    references=(
        Reference("ON", "PO-2024-0001", date=date(2024, 3, 15)),
        Reference("DQ", "BL-2024-0456"),
    ),
    parties=(Party("SU", US), Party("BY", BUYER), Party("DP", PLATFORM)),
    packing=(
        PackingLevel("1", packages=(Package(2, "201"),)),
        PackingLevel(
            "2",
            "1",
            packages=(Package(1, "201", Decimal("412.5"), ("330123450000000018",)),),
            lines=(
                DespatchLine(
                    line_number="1",
                    gtin=COFFEE,
                    batch_number="L2403A",
                    quantity=Decimal("24"),
                    best_before_date=date(2025, 1, 31),
                    references=(Reference("ON", "PO-2024-0001", "1"),),
                ),
                DespatchLine(
                    line_number="2",
                    gtin=COFFEE,
                    batch_number="L2403B",
                    quantity=Decimal("24"),
                    best_before_date=date(2025, 2, 15),
                    references=(Reference("ON", "PO-2024-0001", "1"),),
                ),
            ),
        ),
        PackingLevel(
            "3",
            "1",
            packages=(Package(1, "201", Decimal("298"), ("330123450000000025",)),),
            lines=(
                DespatchLine(
                    line_number="3",
                    gtin=TEA,
                    batch_number="TS2403",
                    quantity=Decimal("18"),
                    expiry_date=date(2024, 6, 1),
                    references=(Reference("ON", "PO-2024-0001", "2"),),
                ),
            ),
        ),
    ),
)


def test_golden_ordrsp_both_ways() -> None:
    assert parse_ordrsp(only_message("ordrsp.edi")) == ORDRSP
    assert rebuild("ordrsp.edi", [("1", ORDRSP)]) == fixture_bytes("ordrsp.edi")


def test_ordrsp_echoes_the_buyer_line_numbers_of_the_order() -> None:
    order = parse_orders(only_message("orders_original.edi"))
    response = parse_ordrsp(only_message("ordrsp.edi"))
    assert [line.line_number for line in response.lines] == [
        line.line_number for line in order.lines
    ]
    assert response.order_number == order.document_number


def test_golden_desadv_both_ways() -> None:
    advice = parse_desadv(only_message("desadv_two_pallets.edi"))
    assert advice == DESADV
    assert advice.sscc_list == ("330123450000000018", "330123450000000025")
    assert (advice.order_number, advice.delivery_note_number) == ("PO-2024-0001", "BL-2024-0456")
    assert [line.segment_position for line in advice.iter_lines()] == [19, 24, 34]
    assert rebuild("desadv_two_pallets.edi", [("1", DESADV)]) == fixture_bytes(
        "desadv_two_pallets.edi"
    )


def test_desadv_reads_batches_given_by_gin_or_gir() -> None:
    text = (
        "UNB+UNOC:3+A:14+B:14+240315:1030+R1'UNH+1+DESADV:D:96A:UN:EAN005'BGM+351+D1+9'"
        "DTM+137:20240319:102'CPS+1'LIN+1++3012345100014:EN'QTY+12:5'GIN+BX+LOT-GIN'"
        "LIN+2++3012345100021:EN'QTY+12:6'GIR+3+LOT-GIR:BX'UNT+11+1'UNZ+1+R1'"
    )
    lines = list(
        parse_desadv(parse_interchanges(text.encode()).interchanges[0].messages[0]).iter_lines()
    )
    assert [line.batch_number for line in lines] == ["LOT-GIN", "LOT-GIR"]


# ---------------------------------------------------------------- INVOIC

INVOICE = Invoic(
    document_number="FA-2024-000123",
    invoice_date=date(2024, 3, 20),
    delivery_date=date(2024, 3, 20),
    due_date=date(2024, 5, 31),
    notes=(
        Note("AAB", "PAIEMENT A 45 JOURS FIN DE MOIS. PAS D'ESCOMPTE POUR PAIEMENT ANTICIPE"),
        Note(
            "REG",
            "PENALITES DE RETARD: 3 FOIS LE TAUX D'INTERET LEGAL. "
            "INDEMNITE FORFAITAIRE DE 40 EUR POUR FRAIS DE RECOUVREMENT",
        ),
    ),
    references=(
        Reference("ON", "PO-2024-0001", date=date(2024, 3, 15)),
        Reference("DQ", "BL-2024-0456"),
        Reference("AAK", "BL-2024-0456"),
    ),
    parties=(
        Party(
            "SU",
            US,
            name="COMPTOIR NEGOCE SAS",
            street="4 RUE DES HALLES",
            city="ORLEANS",
            postal_code="45000",
            country="FR",
            references=(
                Reference("VA", "FR32123456789"),
                Reference("XA", "RCS ORLEANS 123 456 789"),
            ),
        ),
        Party("BY", BUYER, references=(Reference("VA", "FR45987654321"),)),
        Party("IV", INVOICEE),
        Party("DP", PLATFORM),
    ),
    currency="EUR",
    lines=(
        InvoiceLine(
            "1",
            Decimal("48"),
            gtin=COFFEE,
            line_amount=Decimal("576.00"),
            net_price=Price(Decimal("12.0000")),
            gross_price=Price(Decimal("13.5000")),
            vat_rate=Decimal("5.5"),
            vat_category="S",
        ),
        InvoiceLine(
            "2",
            Decimal("18"),
            gtin=TEA,
            line_amount=Decimal("158.40"),
            net_price=Price(Decimal("8.8000")),
            vat_rate=Decimal("5.5"),
            vat_category="S",
        ),
        InvoiceLine(
            "3",
            Decimal("10"),
            gtin="3012345100052",
            description="FILTRES A CAFE NO 4 X100",
            line_amount=Decimal("25.00"),
            net_price=Price(Decimal("2.5000")),
            vat_rate=Decimal("20"),
            vat_category="S",
        ),
    ),
    total_amount=Decimal("804.79"),
    lines_amount=Decimal("759.40"),
    taxable_amount=Decimal("759.40"),
    tax_amount=Decimal("45.39"),
    vat_breakdown=(
        VatBreakdown(Decimal("5.5"), Decimal("734.40"), Decimal("40.39")),
        VatBreakdown(Decimal("20"), Decimal("25.00"), Decimal("5.00")),
    ),
)


def test_golden_invoic_both_ways() -> None:
    invoice = parse_invoic(only_message("invoic.edi"))
    assert invoice == INVOICE
    assert invoice.document_type is InvoiceType.INVOICE
    assert invoice.party("SU").reference("VA") == "FR32123456789"  # type: ignore[union-attr]
    assert sum(line.line_amount for line in invoice.lines) == invoice.lines_amount  # type: ignore[misc]
    assert sum(vat.tax_amount for vat in invoice.vat_breakdown) == invoice.tax_amount
    assert invoice.lines_amount + invoice.tax_amount == invoice.total_amount  # type: ignore[operator]
    assert rebuild("invoic.edi", [("1", INVOICE)]) == fixture_bytes("invoic.edi")


def test_invoic_vat_rate_needs_its_amounts() -> None:
    body = (
        "BGM+381+AV1+9'DTM+137:20240315:102'LIN+1++3012345100014:EN'QTY+47:1'"
        "UNS+S'TAX+7+VAT+++:::20+S'MOA+125:10'"
    )
    assert fault_list(body, parse_invoic, "INVOIC") == [(13, 7, "TAX", None, None)]


# ---------------------------------------------------------------- CONTRL

SUBJECT_SENDER = PartyIdentification(BUYER, "14")
SUBJECT_RECIPIENT = PartyIdentification(US, "14")

CONTRL_ACCEPTED = Contrl(
    interchange_reference="ORD0001",
    sender=SUBJECT_SENDER,
    recipient=SUBJECT_RECIPIENT,
    action=ContrlAction.ACKNOWLEDGED,
    messages=(MessageReport("1", ORDERS_D96A, ContrlAction.ACKNOWLEDGED),),
)

CONTRL_REJECTED = Contrl(
    interchange_reference="ORD0009",
    sender=SUBJECT_SENDER,
    recipient=SUBJECT_RECIPIENT,
    action=ContrlAction.ACKNOWLEDGED,
    messages=(
        MessageReport(
            "1",
            ORDERS_D96A,
            ContrlAction.REJECTED,
            segments=(
                SegmentReport(3, elements=(ElementReport(12, 1, 2),)),
                SegmentReport(6, elements=(ElementReport(12, 3, 1),)),
                SegmentReport(9, elements=(ElementReport(37, 1, 2),)),
            ),
        ),
    ),
)


def test_golden_contrl_files_parse_to_the_expected_reports() -> None:
    assert parse_contrl(only_message("contrl_accepted.edi")) == CONTRL_ACCEPTED
    assert parse_contrl(only_message("contrl_rejected.edi")) == CONTRL_REJECTED


def test_contrl_accepted_is_built_from_the_order_it_answers() -> None:
    subject = only_interchange("orders_original.edi")
    report = contrl_for(subject)
    assert report == CONTRL_ACCEPTED
    assert rebuild("contrl_accepted.edi", [("1", report)]) == fixture_bytes("contrl_accepted.edi")


def test_contrl_rejected_is_built_from_the_mapping_errors_of_the_faulty_order() -> None:
    subject = only_interchange("malformed_invalid_values.edi")
    with pytest.raises(MappingError) as raised:
        parse_orders(subject.messages[0])
    assert [error.describe() for error in raised.value.errors] == [
        "message 1, segment 3 (DTM), element 1.2: '20240230' is not a valid date in format 102 [12]",
        "message 1, segment 6 (LIN), element 3.1: '3012345100015' is not a valid GTIN (length or check digit) [12]",
        "message 1, segment 9 (QTY), element 1.2: quantity '2A' is not a number [37]",
    ]
    report = contrl_for(subject, message_errors={"1": raised.value.errors})
    assert report == CONTRL_REJECTED
    assert rebuild("contrl_rejected.edi", [("1", report)]) == fixture_bytes("contrl_rejected.edi")


def test_contrl_rejects_the_interchange_for_an_envelope_fault() -> None:
    report = contrl_for(only_interchange("malformed_wrong_unz_reference.edi"))
    assert (report.action, report.error_code, report.segment_tag, report.element_position) == (
        ContrlAction.REJECTED,
        28,
        "UNZ",
        2,
    )
    assert report.messages == ()
    assert build_contrl(report)[0].elements[3:] == ("4", "28", "UNZ", "2")


def test_contrl_rejects_a_message_with_a_wrong_unt_count_in_its_ucm() -> None:
    report = contrl_for(only_interchange("malformed_wrong_unt_count.edi"))
    assert report.action is ContrlAction.ACKNOWLEDGED
    assert report.messages == (
        MessageReport("1", ORDERS_D96A, ContrlAction.REJECTED, 29, "UNT", 1),
    )


def test_contrl_for_a_truncated_interchange_rejects_it() -> None:
    report = contrl_for(only_interchange("malformed_truncated.edi"))
    assert (report.action, report.error_code, report.segment_tag) == (
        ContrlAction.REJECTED,
        13,
        "UNZ",
    )
    assert report.messages[0].error_code == 13 and report.messages[0].segment_tag == "UNT"


def test_contrl_received_and_quiet_acknowledgement() -> None:
    subject = only_interchange("orders_original.edi")
    assert contrl_received(subject).action is ContrlAction.RECEIVED
    assert contrl_for(subject, report_accepted_messages=False).messages == ()


# ---------------------------------------------------------------- mapping faults


def message_from(body: str, message_type: str = "ORDERS") -> Message:
    segments = body.count("'") + 2
    text = f"UNB+UNOC:3+A:14+B:14+240315:1030+R1'UNH+1+{message_type}:D:96A:UN'{body}UNT+{segments}+1'UNZ+1+R1'"
    interchange = parse_interchanges(text.encode()).interchanges[0]
    assert interchange.all_errors == ()
    return interchange.messages[0]


def fault_list(
    body: str, parse=parse_orders, message_type: str = "ORDERS"
) -> list[tuple[int, int, str, int | None, int | None]]:  # noqa: ANN001
    with pytest.raises(MappingError) as raised:
        parse(message_from(body, message_type))
    return [
        (
            int(error.code),
            error.segment_position or 0,
            error.segment_tag,
            error.element_position,
            error.component_position,
        )
        for error in raised.value.errors
    ]


LINE = "LIN+1++3012345100014:EN'QTY+21:5'"


def test_invalid_dates_are_located_errors_not_exceptions() -> None:
    assert fault_list("BGM+220+X+9'DTM+137:20241301:102'" + LINE) == [(12, 3, "DTM", 1, 2)]
    assert fault_list("BGM+220+X+9'DTM+137:202403151261:203'" + LINE) == [(12, 3, "DTM", 1, 2)]
    assert fault_list("BGM+220+X+9'DTM+137:2024-03-15:102'" + LINE) == [(12, 3, "DTM", 1, 2)]
    assert fault_list("BGM+220+X+9'DTM+137:20240315:718'" + LINE) == [(14, 3, "DTM", 1, 3)]


def test_dates_without_format_are_inferred_from_their_length() -> None:
    order = parse_orders(message_from("BGM+220+X+9'DTM+137:20240315'DTM+2:202403201430'" + LINE))
    assert (order.order_date, order.requested_delivery) == (
        date(2024, 3, 15),
        datetime(2024, 3, 20, 14, 30),
    )


def test_order_function_and_mandatory_parts_are_checked() -> None:
    assert fault_list("BGM+220+X+7'DTM+137:20240315:102'" + LINE) == [(14, 2, "BGM", 3, None)]
    assert fault_list("DTM+137:20240315:102'" + LINE) == [(13, 2, "BGM", None, None)]
    assert fault_list("BGM+220+X+9'" + LINE) == [(13, 2, "DTM", None, None)]
    assert fault_list("BGM+220+X+9'DTM+137:20240315:102'UNS+S'") == [(13, 5, "LIN", None, None)]
    assert fault_list("BGM+220+X+9'DTM+137:20240315:102'LIN+1++3012345100014:EN'") == [
        (13, 4, "LIN", None, None)
    ]
    assert fault_list("BGM+220+X+9'DTM+137:20240315:102'LIN+1'QTY+21:5'") == [(13, 4, "LIN", 3, 1)]


def test_line_count_mismatch_is_29_and_bad_gln_is_12() -> None:
    assert fault_list("BGM+220+X+9'DTM+137:20240315:102'" + LINE + "UNS+S'CNT+2:2'") == [
        (29, 7, "CNT", 1, 2)
    ]
    assert fault_list("BGM+220+X+9'DTM+137:20240315:102'NAD+BY+3020000000006::9'" + LINE) == [
        (12, 4, "NAD", 2, 1)
    ]


def test_store_split_without_quantity_is_reported() -> None:
    body = "BGM+220+X+9'DTM+137:20240315:102'" + LINE + "LOC+7+3020000002016::9'"
    assert fault_list(body) == [(13, 4, "LOC", None, None)]


def test_wrong_message_type_is_14_at_unh() -> None:
    body = "BGM+220+X+9'DTM+137:20240315:102'" + LINE
    assert fault_list(body, message_type="ORDCHG") == [(14, 1, "UNH", 2, 1)]


def test_unmapped_segments_are_kept_with_their_position() -> None:
    body = "BGM+220+X+9'DTM+137:20240315:102'ALI+FR'TDT+20'LIN+1++3012345100014:EN'QTY+21:5'PAC+2++CT'UNS+S'MOA+86:10'"
    order = parse_orders(message_from(body))
    assert order.unmapped == (
        UnmappedSegment(4, "ALI"),
        UnmappedSegment(5, "TDT"),
        UnmappedSegment(8, "PAC"),
        UnmappedSegment(10, "MOA"),
    )


def test_price_with_a_basis_quantity_gives_the_unit_price() -> None:
    order = parse_orders(
        message_from("BGM+220+X+9'DTM+137:20240315:102'" + LINE + "PRI+AAA:125:CT::10:PCE'")
    )
    price = order.lines[0].net_price
    assert price == Price(Decimal("125"), "CT", Decimal("10"), "PCE")
    assert price.unit_price == Decimal("12.5")  # type: ignore[union-attr]


def test_ordrsp_refusing_a_line_must_confirm_nothing() -> None:
    body = "BGM+231+R+29'DTM+137:20240315:102'RFF+ON:PO1'LIN+1+7+3012345100014:EN'QTY+113:5'"
    assert fault_list(body, parse_ordrsp, "ORDRSP") == [(12, 5, "LIN", 2, None)]
    assert fault_list("BGM+231+R+29'DTM+137:20240315:102'", parse_ordrsp, "ORDRSP") == [
        (13, 2, "RFF", None, None)
    ]


def test_desadv_checks_sscc_and_hierarchy() -> None:
    body = "BGM+351+D+9'DTM+137:20240315:102'CPS+1'CPS+2+9'PAC+1++201'PCI+33E'GIN+BJ+330123450000000019'"
    assert fault_list(body, parse_desadv, "DESADV") == [
        (12, 8, "GIN", 2, 1),
        (12, 5, "CPS", 2, None),
    ]


def test_contrl_from_a_partner_is_read_with_its_segment_and_element_reports() -> None:
    body = (
        "UCI+OUT42+3012345000000:14+3020000000005:14+7'UCM+1+DESADV:D:96A:UN:EAN005+4'"
        "UCS+12+13'UCS+15'UCD+12+2:1'UCM+2+DESADV:D:96A:UN:EAN005+7'"
    )
    report = parse_contrl(message_from(body, "CONTRL"))
    assert report.interchange_reference == "OUT42"
    assert report.message_report("1") == MessageReport(
        "1",
        DESADV_D96A,
        ContrlAction.REJECTED,
        segments=(SegmentReport(12, 13), SegmentReport(15, None, (ElementReport(12, 2, 1),))),
    )
    assert report.message_report("2").action is ContrlAction.ACKNOWLEDGED  # type: ignore[union-attr]


def test_documents_are_frozen() -> None:
    with pytest.raises(AttributeError):
        ORDERS_ORIGINAL.document_number = "other"  # type: ignore[misc]
    assert replace(ORDERS_ORIGINAL, currency="USD").currency == "USD"
