"""document → EDIFACT bytes → document, per syntax level, with release characters.

* UNOC: latin-1 text (accents, apostrophes, + : ? ') comes back exactly;
* UNOY: any text comes back exactly;
* UNOA: level-A text comes back exactly; accented text comes back transliterated
  (accents removed, upper case), which is the documented outbound policy;
* UNOB: accents removed, case kept.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi.eancom.codec import encode_interchange, parse_interchanges
from edi.eancom.envelope import (
    CONTRL_D3,
    DESADV_D96A,
    INVOIC_D96A,
    ORDERS_D96A,
    ORDRSP_D96A,
    InterchangeHeader,
    MessageIdentifier,
    OutboundMessage,
    PartyIdentification,
)
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
    VatBreakdown,
    build_contrl,
    build_desadv,
    build_invoic,
    build_orders,
    build_ordrsp,
    parse_contrl,
    parse_desadv,
    parse_invoic,
    parse_orders,
    parse_ordrsp,
)
from edi.eancom.messages.common import gs1_check_digit_valid

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LEVEL_A = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-()/='+:?!\"%&*;<>"
LATIN_1 = "".join(chr(code) for code in range(0x20, 0x100) if chr(code).isprintable())
FRENCH = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzéèêëàâäîïôöûùüçÉÈÊÀÂÎÔÛÇ '-"


def check_digit(body: str) -> str:
    return next(
        body + str(digit) for digit in range(10) if gs1_check_digit_valid(body + str(digit))
    )


def gs1(length: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=length - 1, max_size=length - 1).map(check_digit)


GTIN = gs1(13)
GLN = gs1(13)
SSCC = gs1(18)
QUANTITY = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("99999"), places=3)
AMOUNT = st.decimals(min_value=Decimal("0"), max_value=Decimal("999999"), places=4)
DAY = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
MOMENT = st.builds(
    lambda day, hour, minute, second: datetime(day.year, day.month, day.day, hour, minute, second),
    DAY,
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from([0, 0, 0, 17]),
)
WHEN = st.one_of(DAY, MOMENT)
LINE_NUMBER = st.integers(1, 999999).map(str)
CODE = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=3)


def text(alphabet: str, max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)


def documents(alphabet: str) -> dict[str, st.SearchStrategy]:
    """Strategies for every message type, their free text drawn from ``alphabet``."""
    reference = st.builds(
        Reference,
        st.sampled_from(["CT", "PD", "ON", "DQ", "VA", "AAK"]),
        text(alphabet, 35, 1),
        st.one_of(st.just(""), LINE_NUMBER),
        st.one_of(st.none(), DAY),
    )
    party = st.builds(
        Party,
        st.sampled_from(["BY", "SU", "DP", "IV", "UC"]),
        GLN,
        name=text(alphabet, 175),
        street=text(alphabet, 140),
        city=text(alphabet, 35),
        postal_code=text(alphabet, 9),
        country=st.sampled_from(["", "FR", "BE", "DE"]),
        references=st.lists(reference, max_size=2).map(tuple),
    )
    note = st.builds(
        Note,
        st.sampled_from(["AAI", "DEL", "PUR", "ZZZ"]),
        text(alphabet, 350),
        st.sampled_from(["", "FR"]),
    )
    price = st.builds(
        Price,
        AMOUNT,
        st.sampled_from(["", "CT", "CA"]),
        st.one_of(
            st.none(), st.decimals(min_value=Decimal("1"), max_value=Decimal("1000"), places=0)
        ),
        st.sampled_from(["", "PCE", "KGM"]),
    )
    order_line = st.builds(
        OrderLine,
        line_number=LINE_NUMBER,
        quantity=QUANTITY,
        gtin=GTIN,
        supplier_article=text(alphabet, 35),
        buyer_article=text(alphabet, 35),
        description=text(alphabet, 140),
        unit_of_measure=st.sampled_from(["", "PCE", "KGM"]),
        units_per_pack=st.one_of(st.none(), QUANTITY),
        free_quantity=st.one_of(st.none(), QUANTITY),
        delivery_date=st.one_of(st.none(), WHEN),
        net_price=st.one_of(st.none(), price),
        gross_price=st.one_of(st.none(), price),
        line_amount=st.one_of(st.none(), AMOUNT),
        notes=st.lists(note, max_size=2).map(tuple),
        references=st.lists(reference, max_size=2).map(tuple),
        store_splits=st.lists(
            st.builds(StoreSplit, GLN, QUANTITY, st.one_of(st.none(), WHEN)), max_size=3
        ).map(tuple),
    )
    orders = st.builds(
        Orders,
        document_number=text(alphabet, 35, 1),
        function=st.sampled_from(list(OrderFunction)),
        order_date=WHEN,
        lines=st.lists(order_line, min_size=1, max_size=4).map(tuple),
        requested_delivery=st.one_of(st.none(), WHEN),
        earliest_delivery=st.one_of(st.none(), WHEN),
        latest_delivery=st.one_of(st.none(), WHEN),
        references=st.lists(reference, max_size=3).map(tuple),
        parties=st.lists(party, max_size=5).map(tuple),
        currency=st.sampled_from(["", "EUR", "USD"]),
        notes=st.lists(note, max_size=2).map(tuple),
    )

    def response_line(action: LineAction) -> st.SearchStrategy[ResponseLine]:
        confirmed = st.just(Decimal(0)) if action is LineAction.NOT_ACCEPTED else QUANTITY
        return st.builds(
            ResponseLine,
            line_number=LINE_NUMBER,
            action=st.just(action),
            gtin=GTIN,
            supplier_article=text(alphabet, 35),
            description=text(alphabet, 70),
            ordered_quantity=QUANTITY,
            confirmed_quantity=st.one_of(st.none(), confirmed),
            unit_of_measure=st.sampled_from(["", "PCE"]),
            delivery_date=st.one_of(st.none(), WHEN),
            net_price=st.one_of(st.none(), price),
            notes=st.lists(note, max_size=1).map(tuple),
            references=st.lists(reference, max_size=1).map(tuple),
        )

    ordrsp = st.builds(
        Ordrsp,
        document_number=text(alphabet, 35, 1),
        status=st.sampled_from(list(ResponseStatus)),
        document_date=WHEN,
        order_number=text(alphabet, 35, 1),
        lines=st.lists(st.sampled_from(list(LineAction)).flatmap(response_line), max_size=4).map(
            tuple
        ),
        order_date=st.one_of(st.none(), WHEN),
        delivery_date=st.one_of(st.none(), WHEN),
        references=st.lists(reference, max_size=2).map(tuple),
        parties=st.lists(party, max_size=3).map(tuple),
        currency=st.sampled_from(["", "EUR"]),
        notes=st.lists(note, max_size=1).map(tuple),
    )
    despatch_line = st.builds(
        DespatchLine,
        line_number=LINE_NUMBER,
        quantity=QUANTITY,
        gtin=GTIN,
        supplier_article=text(alphabet, 35),
        buyer_article=text(alphabet, 35),
        description=text(alphabet, 70),
        unit_of_measure=st.sampled_from(["", "PCE"]),
        ordered_quantity=st.one_of(st.none(), QUANTITY),
        batch_number=text(alphabet, 35),
        best_before_date=st.one_of(st.none(), DAY),
        expiry_date=st.one_of(st.none(), DAY),
        references=st.lists(reference, max_size=2).map(tuple),
    )
    package = st.builds(
        Package,
        st.integers(0, 99),
        st.sampled_from(["", "201", "CT", "PX"]),
        st.one_of(
            st.none(), st.decimals(min_value=Decimal("0.1"), max_value=Decimal("2000"), places=1)
        ),
        st.lists(SSCC, max_size=3).map(tuple),
    )

    def packing(count: int) -> st.SearchStrategy[tuple[PackingLevel, ...]]:
        return st.tuples(
            *(
                st.builds(
                    PackingLevel,
                    st.just(str(index + 1)),
                    st.just("" if index == 0 else "1"),
                    st.lists(package, max_size=2).map(tuple),
                    st.lists(despatch_line, max_size=3).map(tuple),
                )
                for index in range(count)
            )
        )

    desadv = st.builds(
        Desadv,
        document_number=text(alphabet, 35, 1),
        document_date=WHEN,
        packing=st.integers(1, 4).flatmap(packing),
        function=st.sampled_from(list(OrderFunction)),
        despatch_date=st.one_of(st.none(), WHEN),
        estimated_delivery=st.one_of(st.none(), WHEN),
        expected_delivery=st.one_of(st.none(), WHEN),
        references=st.lists(reference, max_size=3).map(tuple),
        parties=st.lists(party, max_size=4).map(tuple),
        notes=st.lists(note, max_size=1).map(tuple),
    )
    position = st.integers(1, 999)
    identifier = st.builds(
        MessageIdentifier,
        st.sampled_from(["ORDERS", "DESADV", "INVOIC"]),
        st.just("D"),
        st.just("96A"),
        st.just("UN"),
        st.sampled_from(["", "EAN008"]),
    )
    code = st.one_of(st.none(), st.sampled_from([12, 13, 14, 15, 21, 26, 28, 29, 37, 39]))
    contrl = st.builds(
        Contrl,
        interchange_reference=text(alphabet, 14, 1),
        sender=st.builds(PartyIdentification, GLN, st.sampled_from(["", "14"])),
        recipient=st.builds(PartyIdentification, GLN, st.sampled_from(["", "14"])),
        action=st.sampled_from(list(ContrlAction)),
        error_code=code,
        segment_tag=st.sampled_from(["", "UNB", "UNZ"]),
        element_position=st.one_of(st.none(), position),
        component_position=st.one_of(st.none(), position),
        messages=st.lists(
            st.builds(
                MessageReport,
                text(alphabet, 14, 1),
                identifier,
                st.sampled_from(list(ContrlAction)),
                code,
                st.sampled_from(["", "UNH", "UNT"]),
                st.one_of(st.none(), position),
                st.one_of(st.none(), position),
                st.lists(
                    st.builds(
                        SegmentReport,
                        position,
                        code,
                        st.lists(
                            st.builds(
                                ElementReport,
                                st.sampled_from([12, 13, 37]),
                                position,
                                st.one_of(st.none(), position),
                            ),
                            max_size=2,
                        ).map(tuple),
                    ),
                    max_size=3,
                ).map(tuple),
            ),
            max_size=3,
        ).map(tuple),
    )
    rate = st.sampled_from(
        [Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"), Decimal("0")]
    )
    invoice_line = st.builds(
        InvoiceLine,
        line_number=LINE_NUMBER,
        quantity=QUANTITY,
        gtin=GTIN,
        supplier_article=text(alphabet, 35),
        description=text(alphabet, 70),
        unit_of_measure=st.sampled_from(["", "PCE"]),
        line_amount=st.one_of(st.none(), AMOUNT),
        net_price=st.one_of(st.none(), price),
        gross_price=st.one_of(st.none(), price),
        vat_rate=st.one_of(st.none(), rate),
        vat_category=st.sampled_from(["", "S", "Z"]),
    ).map(lambda line: line if line.vat_rate is not None else replace(line, vat_category=""))
    invoic = st.builds(
        Invoic,
        document_number=text(alphabet, 35, 1),
        invoice_date=WHEN,
        lines=st.lists(invoice_line, min_size=1, max_size=4).map(tuple),
        document_type=st.sampled_from(list(InvoiceType)),
        function=st.sampled_from(list(OrderFunction)),
        delivery_date=st.one_of(st.none(), WHEN),
        due_date=st.one_of(st.none(), WHEN),
        references=st.lists(reference, max_size=3).map(tuple),
        parties=st.lists(party, max_size=4).map(tuple),
        currency=st.sampled_from(["", "EUR"]),
        notes=st.lists(note, max_size=2).map(tuple),
        total_amount=st.one_of(st.none(), AMOUNT),
        lines_amount=st.one_of(st.none(), AMOUNT),
        taxable_amount=st.one_of(st.none(), AMOUNT),
        tax_amount=st.one_of(st.none(), AMOUNT),
        vat_breakdown=st.lists(
            st.builds(VatBreakdown, rate, AMOUNT, AMOUNT, st.sampled_from(["S", "Z"])), max_size=3
        ).map(tuple),
    )
    return {
        "orders": orders,
        "ordrsp": ordrsp,
        "desadv": desadv,
        "contrl": contrl,
        "invoic": invoic,
    }


BUILDERS = {
    Orders: (build_orders, parse_orders, ORDERS_D96A),
    Ordrsp: (build_ordrsp, parse_ordrsp, ORDRSP_D96A),
    Desadv: (build_desadv, parse_desadv, DESADV_D96A),
    Contrl: (build_contrl, parse_contrl, CONTRL_D3),
    Invoic: (build_invoic, parse_invoic, INVOIC_D96A),
}


def round_trip(
    document: object, syntax: str, *, include_una: bool = True, line_breaks: bool = False
) -> object:
    build, parse, identifier = BUILDERS[type(document)]
    header = InterchangeHeader(
        sender=PartyIdentification("3012345000000", "14"),
        recipient=PartyIdentification("3020000000005", "14"),
        control_reference="RT1",
        prepared_at=datetime(2024, 3, 15, 10, 30),
        syntax_identifier=syntax,
    )
    data = encode_interchange(
        header,
        [OutboundMessage("M1", identifier, build(document))],  # type: ignore[operator]
        include_una=include_una,
        line_breaks=line_breaks,
    )
    result = parse_interchanges(data)
    assert result.all_errors == (), [error.describe() for error in result.all_errors]
    (message,) = result.interchanges[0].messages
    return parse(message)  # type: ignore[operator]


UNOC = documents(LATIN_1)
UNOA = documents(LEVEL_A)
UNOY = documents("".join(chr(code) for code in range(0x20, 0x7F)) + "éÆœ€東京Ωж—’😀")
FRENCH_DOCS = documents(FRENCH)


@SETTINGS
@given(UNOC["orders"], st.booleans(), st.booleans())
def test_orders_round_trip_under_unoc(order: Orders, include_una: bool, line_breaks: bool) -> None:
    assert round_trip(order, "UNOC", include_una=include_una, line_breaks=line_breaks) == order


@SETTINGS
@given(UNOC["ordrsp"])
def test_ordrsp_round_trip_under_unoc(response: Ordrsp) -> None:
    assert round_trip(response, "UNOC") == response


@SETTINGS
@given(UNOC["desadv"])
def test_desadv_round_trip_under_unoc(advice: Desadv) -> None:
    assert round_trip(advice, "UNOC") == advice


@SETTINGS
@given(UNOC["contrl"])
def test_contrl_round_trip_under_unoc(report: Contrl) -> None:
    assert round_trip(report, "UNOC") == report


@SETTINGS
@given(UNOC["invoic"])
def test_invoic_round_trip_under_unoc(invoice: Invoic) -> None:
    assert round_trip(invoice, "UNOC") == invoice


@SETTINGS
@given(UNOA["orders"])
def test_orders_round_trip_exactly_under_unoa_with_level_a_text(order: Orders) -> None:
    assert round_trip(order, "UNOA", include_una=False) == order


@SETTINGS
@given(UNOY["orders"])
def test_orders_round_trip_exactly_under_unoy_with_any_text(order: Orders) -> None:
    assert round_trip(order, "UNOY") == order


@SETTINGS
@given(UNOY["desadv"])
def test_desadv_round_trip_exactly_under_unoy_with_any_text(advice: Desadv) -> None:
    assert round_trip(advice, "UNOY") == advice


def strip_accents(value: str) -> str:
    return "".join(
        part for part in unicodedata.normalize("NFKD", value) if not unicodedata.combining(part)
    )


def transliterated_parties(order: Orders, upper: bool) -> Orders:
    def fix(value: str) -> str:
        value = strip_accents(value)
        return value.upper() if upper else value

    return replace(
        order,
        parties=tuple(
            replace(party, name=fix(party.name), street=fix(party.street), city=fix(party.city))
            for party in order.parties
        ),
    )


@SETTINGS
@given(
    FRENCH_DOCS["orders"].map(
        lambda order: replace(order, references=(), notes=(), lines=order.lines[:1])
    )
)
def test_accented_names_are_transliterated_under_unoa_and_unob(order: Orders) -> None:
    order = replace(
        order,
        document_number="PO1",
        parties=tuple(replace(party, postal_code="", references=()) for party in order.parties),
        lines=tuple(
            replace(
                line, supplier_article="", buyer_article="", description="", notes=(), references=()
            )
            for line in order.lines
        ),
    )
    assert round_trip(order, "UNOA") == transliterated_parties(order, upper=True)
    assert round_trip(order, "UNOB") == transliterated_parties(order, upper=False)
    assert round_trip(order, "UNOC") == order
