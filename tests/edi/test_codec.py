"""The codec: decoding, tolerance, envelope checks as structured errors, writing."""

from __future__ import annotations

from datetime import datetime

import pytest

from edi.eancom.codec import (
    encode_interchange,
    format_segments,
    parse_interchanges,
    serialize_segments,
)
from edi.eancom.envelope import (
    ORDERS_D96A,
    InterchangeHeader,
    OutboundMessage,
    PartyIdentification,
)
from edi.eancom.errors import EncodeError, ErrorLevel, SyntaxErrorCode
from edi.eancom.segment import Segment, make_segment
from edi.eancom.syntax import CharsetPolicy, ServiceCharacters, escape, prepare_text

from . import FIXTURES, MALFORMED, WELL_FORMED, fixture_bytes, only_interchange

SENDER = PartyIdentification("3012345000000", "14")
RECIPIENT = PartyIdentification("3020000000005", "14")


def header(syntax: str = "UNOC", version: str = "3", reference: str = "X1") -> InterchangeHeader:
    return InterchangeHeader(
        sender=SENDER,
        recipient=RECIPIENT,
        control_reference=reference,
        prepared_at=datetime(2024, 3, 15, 10, 30),
        syntax_identifier=syntax,
        syntax_version=version,
    )


def one_message(*body: Segment, reference: str = "1") -> OutboundMessage:
    return OutboundMessage(reference, ORDERS_D96A, tuple(body))


def codes(errors) -> list[tuple[str, int, str, int | None]]:  # noqa: ANN001
    return [
        (error.level.value, int(error.code), error.segment_tag, error.element_position)
        for error in errors
    ]


# ---------------------------------------------------------------- golden files


@pytest.mark.parametrize("name", WELL_FORMED)
def test_well_formed_golden_files_parse_without_any_error(name: str) -> None:
    result = parse_interchanges(fixture_bytes(name))
    assert result.interchanges
    assert result.all_errors == ()
    assert result.accepted


def test_every_golden_file_is_listed() -> None:
    assert sorted(WELL_FORMED + MALFORMED) == sorted(path.name for path in FIXTURES.glob("*.edi"))


def test_interchange_header_is_read_from_unb() -> None:
    interchange = only_interchange("orders_original.edi")
    assert interchange.una_present
    assert interchange.header == InterchangeHeader(
        sender=PartyIdentification("3020000000005", "14"),
        recipient=PartyIdentification("3012345000000", "14"),
        control_reference="ORD0001",
        prepared_at=datetime(2024, 3, 15, 10, 30),
        syntax_identifier="UNOC",
        syntax_version="3",
        acknowledgement_requested=True,
    )
    message = interchange.messages[0]
    assert message.reference == "1"
    assert message.identifier == ORDERS_D96A
    assert message.segments[0].tag == "UNH" and message.segments[-1].tag == "UNT"
    assert len(message.segments) == 37


def test_interchange_with_two_messages_keeps_them_apart() -> None:
    interchange = only_interchange("orders_platform_stores.edi")
    assert [message.reference for message in interchange.messages] == ["ORD2-1", "ORD2-2"]
    assert interchange.messages[1].interchange_position == 33


def test_two_interchanges_in_one_file_are_read_with_their_own_syntax_level() -> None:
    data = fixture_bytes("two_interchanges.edi")
    result = parse_interchanges(data)
    first, second = result.interchanges
    assert (first.una_present, second.una_present) == (True, False)
    assert first.header is not None and second.header is not None
    assert (first.header.syntax_identifier, second.header.syntax_identifier) == ("UNOC", "UNOA")
    assert (first.header.control_reference, second.header.control_reference) == (
        "ORD0006",
        "ORD0008",
    )
    assert first.messages[0].segments[3] == make_segment(
        "NAD", "BY", ("3020000000005", "", "9"), None, "Supérette du Marché"
    )
    assert data[first.byte_offset : first.byte_offset + first.byte_length].endswith(
        b"UNZ+1+ORD0006'"
    )
    assert data[second.byte_offset :].startswith(b"UNB+UNOA:3")


def test_unoc_is_decoded_as_latin_1() -> None:
    interchange = only_interchange("orders_unoc_accents.edi")
    nad = interchange.messages[0].segments[3]
    assert nad.value(4) == "Centrale d'Achats Hypérion"
    assert nad.value(5) == "12 rue de l'Église"
    assert nad.value(6) == "Orléans"


def test_una_absent_uses_default_characters_and_release_character_is_honoured() -> None:
    interchange = only_interchange("orders_no_una_release.edi")
    assert not interchange.una_present
    segments = interchange.messages[0].segments
    assert segments[1] == Segment("BGM", ("220", "PO+4711", "9"))
    assert segments[3].value(4) == "ATTENTION: LIVRER A L'ACCUEIL+ SIGNER LE BL ? MERCI"
    assert segments[4].value(4) == "L'EPICERIE DU COIN"


# ---------------------------------------------------------------- tolerance


def test_bom_crlf_and_blank_lines_between_segments_are_tolerated() -> None:
    original = fixture_bytes("orders_original.edi")
    variant = b"\xef\xbb\xbf\r\n  " + original.replace(b"'\n", b"'\r\n  \r\n") + b"\x1a"
    expected = parse_interchanges(original).interchanges[0]
    result = parse_interchanges(variant)
    assert result.all_errors == ()
    assert result.interchanges[0].messages == expected.messages
    assert result.interchanges[0].header == expected.header


def test_interchange_on_a_single_line_parses_like_one_segment_per_line() -> None:
    original = fixture_bytes("orders_original.edi")
    one_line = original.replace(b"'\n", b"'").replace(b"UNA:+.? '", b"UNA:+.? '")
    assert b"\n" not in one_line.rstrip(b"\n")
    assert parse_interchanges(one_line).interchanges[0].messages == (
        parse_interchanges(original).interchanges[0].messages
    )


def test_una_with_other_service_characters_is_used_for_the_whole_interchange() -> None:
    text = (
        "UNA|*.# ~UNB*UNOC|3*A|14*B|14*240315|1030*R1~UNH*1*ORDERS|D|96A|UN~"
        "BGM*220*A#*B#|C#~#'*9~UNT*3*1~UNZ*1*R1~"
    )
    interchange = parse_interchanges(text.encode()).interchanges[0]
    assert interchange.errors == ()
    assert interchange.characters == ServiceCharacters("|", "*", ".", "#", " ", "~")
    assert interchange.messages[0].segments[1] == Segment("BGM", ("220", "A*B|C~'", "9"))


# ---------------------------------------------------------------- envelope errors


def test_truncated_interchange_reports_missing_unz_and_unt() -> None:
    interchange = only_interchange("malformed_truncated.edi")
    assert codes(interchange.errors) == [("interchange", 13, "UNZ", None)]
    assert "truncated" in interchange.errors[0].reason
    message = interchange.messages[0]
    assert codes(message.errors) == [("message", 13, "UNT", None)]
    assert interchange.processable_messages() == ()


def test_wrong_unt_count_is_a_message_level_29() -> None:
    interchange = only_interchange("malformed_wrong_unt_count.edi")
    assert interchange.errors == ()
    error = interchange.messages[0].errors[0]
    assert (
        error.level,
        error.code,
        error.segment_tag,
        error.segment_position,
        error.element_position,
    ) == (
        ErrorLevel.MESSAGE,
        SyntaxErrorCode.CONTROL_COUNT_MISMATCH,
        "UNT",
        10,
        1,
    )
    assert (
        error.describe()
        == "message 1, segment 10 (UNT), element 1: UNT counts 12 segments, the message has 10 [29]"
    )


def test_wrong_unz_reference_is_an_interchange_level_28() -> None:
    interchange = only_interchange("malformed_wrong_unz_reference.edi")
    assert codes(interchange.errors) == [("interchange", 28, "UNZ", 2)]
    assert interchange.rejected
    assert interchange.messages[0].errors == ()


def _orders_interchange(*middle: str, trailer: str = "UNZ+1+R1'") -> bytes:
    message = "UNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+X+9'UNT+3+1'"
    return (
        "UNB+UNOC:3+A:14+B:14+240315:1030+R1'" + "".join(middle or (message,)) + trailer
    ).encode()


def test_unz_count_mismatch_is_29() -> None:
    result = parse_interchanges(_orders_interchange(trailer="UNZ+2+R1'"))
    assert codes(result.interchanges[0].errors) == [("interchange", 29, "UNZ", 1)]


def test_unt_reference_mismatch_is_28() -> None:
    result = parse_interchanges(_orders_interchange("UNH+1+ORDERS:D:96A:UN'BGM+220+X+9'UNT+3+2'"))
    assert codes(result.interchanges[0].messages[0].errors) == [("message", 28, "UNT", 2)]


def test_duplicate_message_reference_is_26() -> None:
    message = "UNH+7+ORDERS:D:96A:UN'BGM+220+X+9'UNT+3+7'"
    result = parse_interchanges(_orders_interchange(message, message, trailer="UNZ+2+R1'"))
    first, second = result.interchanges[0].messages
    assert first.errors == ()
    assert codes(second.errors) == [("message", 26, "UNH", 1)]


def test_segment_outside_a_message_is_33() -> None:
    result = parse_interchanges(
        _orders_interchange(
            "UNH+1+ORDERS:D:96A:UN'UNT+2+1'", "FTX+AAI+++LOST'", trailer="UNZ+1+R1'"
        )
    )
    assert codes(result.interchanges[0].errors) == [("interchange", 33, "FTX", None)]


def test_missing_unb_is_13_and_missing_message_is_32() -> None:
    missing_unb = parse_interchanges(b"UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+R1'")
    assert ("interchange", 13, "UNB", None) in codes(missing_unb.interchanges[0].errors)
    empty = parse_interchanges(b"UNB+UNOC:3+A:14+B:14+240315:1030+R1'UNZ+0+R1'")
    assert codes(empty.interchanges[0].errors) == [("interchange", 32, "UNB", None)]


def test_unb_faults_are_located() -> None:
    result = parse_interchanges(
        b"UNB+UNOZ:3+:14+B:14+240231:1030+R1'UNH+1+ORDERS:D:96A:UN'UNT+2+1'UNZ+1+R1'"
    )
    errors = result.interchanges[0].errors
    assert [(int(e.code), e.element_position, e.component_position) for e in errors] == [
        (2, 1, 1),
        (13, 2, 1),
        (12, 4, None),
    ]


def test_empty_file_is_an_error_not_an_exception() -> None:
    result = parse_interchanges(b" \r\n")
    assert result.interchanges == ()
    assert codes(result.errors) == [("interchange", 13, "UNB", None)]


def test_unusable_una_is_20() -> None:
    result = parse_interchanges(b"UNA::.? 'UNB+UNOC:3+A+B+240315:1030+R1'")
    assert codes(result.interchanges[0].errors) == [("interchange", 20, "UNA", None)]


def test_byte_outside_unoa_is_21_at_its_segment_and_element() -> None:
    data = (
        _orders_interchange().replace(b"UNOC", b"UNOA").replace(b"BGM+220+X+9", b"BGM+220+X\xe9+9")
    )
    message = parse_interchanges(data).interchanges[0].messages[0]
    assert [
        (int(e.code), e.level.value, e.segment_position, e.element_position) for e in message.errors
    ] == [(21, "segment", 2, 2)]


def test_invalid_utf8_under_unoy_is_21() -> None:
    data = (
        _orders_interchange().replace(b"UNOC", b"UNOY").replace(b"BGM+220+X+9", b"BGM+220+\xc3(+9")
    )
    message = parse_interchanges(data).interchanges[0].messages[0]
    assert codes(message.errors) == [("segment", 21, "BGM", 2)]


def test_valid_utf8_under_unoy_is_decoded() -> None:
    data = (
        _orders_interchange()
        .replace(b"UNOC", b"UNOY")
        .replace(b"BGM+220+X+9", "BGM+220+Zoë 東京+9".encode())
    )
    assert parse_interchanges(data).interchanges[0].messages[0].segments[1].value(2) == "Zoë 東京"


def test_strict_repertoire_refuses_lower_case_under_unoa() -> None:
    data = _orders_interchange().replace(b"UNOC", b"UNOA").replace(b"BGM+220+X+9", b"BGM+220+Xy+9")
    assert parse_interchanges(data).accepted
    message = parse_interchanges(data, strict_repertoire=True).interchanges[0].messages[0]
    assert codes(message.errors) == [("segment", 21, "BGM", 2)]


def test_an_unreadable_segment_rejects_only_its_message() -> None:
    good = "UNH+1+ORDERS:D:96A:UN'BGM+220+X+9'UNT+3+1'"
    bad = "UNH+2+ORDERS:D:96A:UN'BGM+220+Y+9'lin+1'UNT+4+2'"
    for engine in ("fast", "pydifact"):
        result = parse_interchanges(
            _orders_interchange(good, bad, trailer="UNZ+2+R1'"), engine=engine
        )
        interchange = result.interchanges[0]
        assert interchange.errors == ()
        first, second = interchange.messages
        assert first.errors == ()
        assert [(int(e.code), e.segment_position) for e in second.errors] == [(15, 3)]


def test_release_character_before_a_line_feed_is_21() -> None:
    data = _orders_interchange("UNH+1+ORDERS:D:96A:UN'BGM+220+X?\n+9'UNT+3+1'")
    message = parse_interchanges(data).interchanges[0].messages[0]
    assert codes(message.errors) == [("segment", 21, "BGM", None)]


# ---------------------------------------------------------------- writing


def test_encode_computes_counts_and_references() -> None:
    data = encode_interchange(
        header(),
        [
            one_message(make_segment("BGM", "220", "A", "9")),
            one_message(make_segment("BGM", "220", "B", "9"), reference="2"),
        ],
    )
    assert data == (
        b"UNA:+.? 'UNB+UNOC:3+3012345000000:14+3020000000005:14+240315:1030+X1'"
        b"UNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+A+9'UNT+3+1'"
        b"UNH+2+ORDERS:D:96A:UN:EAN008'BGM+220+B+9'UNT+3+2'UNZ+2+X1'"
    )
    assert parse_interchanges(data).accepted


def test_encode_escapes_every_service_character() -> None:
    data = encode_interchange(
        header(),
        [one_message(make_segment("FTX", "AAI", None, None, ("a?b:c+d'e",)))],
        include_una=False,
        line_breaks=True,
    )
    assert b"FTX+AAI+++a??b?:c?+d?'e'\n" in data
    assert not data.startswith(b"UNA")
    parsed = parse_interchanges(data).interchanges[0].messages[0].segments[1]
    assert parsed.value(4) == "a?b:c+d'e"


def test_encode_unoc_writes_latin_1_and_spells_out_what_latin_1_lacks() -> None:
    data = encode_interchange(
        header("UNOC"), [one_message(make_segment("FTX", "AAI", None, None, "Œuf à la crème €"))]
    )
    assert "FTX+AAI+++OEuf à la crème EUR'".encode("latin-1") in data


def test_encode_unoa_transliterates_to_upper_case() -> None:
    data = encode_interchange(
        header("UNOA"),
        [one_message(make_segment("NAD", "BY", None, None, "Épicerie Sainte-Thérèse"))],
    )
    assert b"NAD+BY+++EPICERIE SAINTE-THERESE'" in data


def test_encode_unob_keeps_lower_case_and_drops_accents() -> None:
    data = encode_interchange(
        header("UNOB"), [one_message(make_segment("NAD", "BY", None, None, "Épicerie Thérèse"))]
    )
    assert b"NAD+BY+++Epicerie Therese'" in data


def test_encode_refuses_what_cannot_be_written_with_its_position() -> None:
    with pytest.raises(EncodeError) as raised:
        encode_interchange(
            header("UNOA"),
            [
                one_message(
                    make_segment("BGM", "220", "A", "9"),
                    make_segment("NAD", "BY", None, None, ("X", "東京")),
                )
            ],
        )
    error = raised.value.errors[0]
    assert (
        error.code,
        error.segment_tag,
        error.segment_position,
        error.element_position,
        error.component_position,
    ) == (
        SyntaxErrorCode.INVALID_CHARACTER,
        "NAD",
        3,
        4,
        2,
    )
    with pytest.raises(EncodeError):
        encode_interchange(
            header("UNOC"),
            [one_message(make_segment("NAD", "BY", None, None, "Œuf"))],
            charset_policy=CharsetPolicy.STRICT,
        )


def test_encode_unoy_keeps_any_text() -> None:
    data = encode_interchange(
        header("UNOY"), [one_message(make_segment("NAD", "BY", None, None, "Zoë 東京 Œuf"))]
    )
    assert "NAD+BY+++Zoë 東京 Œuf'".encode() in data


def test_encode_unsupported_syntax_level_is_2() -> None:
    with pytest.raises(EncodeError) as raised:
        encode_interchange(header("UNOX"), [])
    assert raised.value.errors[0].code is SyntaxErrorCode.SYNTAX_LEVEL_NOT_SUPPORTED


def test_syntax_version_4_writes_the_century() -> None:
    data = encode_interchange(
        header("UNOC", "4"), [one_message(make_segment("BGM", "220", "A", "9"))]
    )
    assert b"+20240315:1030+X1'" in data
    assert parse_interchanges(data).interchanges[0].header.prepared_at == datetime(
        2024, 3, 15, 10, 30
    )


def test_serialize_drops_trailing_empties_and_format_segments_breaks_lines() -> None:
    segments = [Segment("LIN", ("1", "", ("3012345100014", "EN", ""), "")), Segment("UNS", ("S",))]
    assert serialize_segments(segments) == "LIN+1++3012345100014:EN'UNS+S'"
    assert format_segments(segments) == "LIN+1++3012345100014:EN'\nUNS+S'\n"


def test_escape_and_prepare_text_helpers() -> None:
    assert escape("?:+'") == "???:?+?'"
    assert prepare_text("Crème brûlée", "UNOC", CharsetPolicy.TRANSLITERATE) == "Crème brûlée"
    assert prepare_text("Crème brûlée", "UNOA", CharsetPolicy.TRANSLITERATE) == "CREME BRULEE"
    assert prepare_text("l’œuf – «bio»", "UNOB", CharsetPolicy.TRANSLITERATE) == 'l\'oeuf - "bio"'
