"""Truncated, corrupted and random input never crashes the codec or the mappings.

The codec returns a ParseResult for any bytes; the mappings raise only MappingError;
every rejected interchange carries located errors from which a CONTRL is built.
"""

from __future__ import annotations

import random
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi.eancom.codec import ParseResult, encode_interchange, parse_interchanges
from edi.eancom.envelope import CONTRL_D3, InterchangeHeader, OutboundMessage, PartyIdentification
from edi.eancom.errors import EdifactError, EncodeError, MappingError
from edi.eancom.messages import (
    build_contrl,
    contrl_for,
    parse_contrl,
    parse_desadv,
    parse_invoic,
    parse_orders,
    parse_ordrsp,
)

from . import FIXTURES, fixture_bytes

GOLDEN = sorted(path.name for path in FIXTURES.glob("*.edi"))
PARSERS = {
    "ORDERS": parse_orders,
    "ORDRSP": parse_ordrsp,
    "DESADV": parse_desadv,
    "CONTRL": parse_contrl,
    "INVOIC": parse_invoic,
}


def exercise(data: bytes) -> ParseResult:
    """Everything a worker does with received bytes, short of the database."""
    result = parse_interchanges(data)
    assert isinstance(result, ParseResult)
    for error in result.all_errors:
        assert isinstance(error, EdifactError)
        error.describe()
    if not result.interchanges:
        assert result.errors, "no interchange and no error"
    for interchange in result.interchanges:
        mapping_errors: dict[str, tuple[EdifactError, ...]] = {}
        for message in interchange.messages:
            parse = PARSERS.get(message.message_type)
            if parse is None:
                continue
            try:
                parse(message)
            except MappingError as error:
                assert error.errors, "a MappingError always says why"
                mapping_errors[message.reference] = error.errors
        if not interchange.accepted:
            assert interchange.all_errors, "a rejected interchange carries its errors"
        report = contrl_for(interchange, message_errors=mapping_errors)
        body = build_contrl(report)
        reply = InterchangeHeader(
            sender=PartyIdentification("3012345000000", "14"),
            recipient=interchange.header.sender
            if interchange.header
            else PartyIdentification("UNKNOWN"),
            control_reference="CTL1",
            prepared_at=datetime(2024, 3, 15, 10, 30),
            syntax_identifier="UNOY",
        )
        try:
            encode_interchange(reply, [OutboundMessage("1", CONTRL_D3, body)])
        except EncodeError as error:
            # Only control characters copied from the subject can refuse to be written.
            assert error.errors[0].code == 21
    return result


@pytest.mark.parametrize("name", GOLDEN)
def test_every_truncation_of_every_golden_file_is_handled(name: str) -> None:
    data = fixture_bytes(name)
    complete = data.rstrip(b"\r\n ")
    for cut in range(len(data)):
        result = exercise(data[:cut])
        if cut < len(complete) and name.startswith(
            ("orders", "ordrsp", "desadv", "contrl", "invoic")
        ):
            assert not result.accepted, f"cut at {cut} accepted"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_never_crash(data: bytes) -> None:
    exercise(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_random_bytes_after_a_valid_header_never_crash(tail: bytes) -> None:
    exercise(b"UNA:+.? 'UNB+UNOC:3+A:14+B:14+240315:1030+R1'UNH+1+ORDERS:D:96A:UN:EAN008'" + tail)


SPECIAL = [
    b"'",
    b"+",
    b":",
    b"?",
    b"??",
    b"\n",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"UNH+",
    b"UNT+",
    b"UNZ+",
    b"UNA",
    b"UNB+",
]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(GOLDEN),
    edits=st.lists(
        st.tuples(
            st.sampled_from(["replace", "insert", "delete", "duplicate"]),
            st.floats(min_value=0, max_value=1, allow_nan=False),
            st.one_of(st.sampled_from(SPECIAL), st.binary(min_size=1, max_size=3)),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_corrupted_golden_files_never_crash(
    name: str, edits: list[tuple[str, float, bytes]]
) -> None:
    data = bytearray(fixture_bytes(name))
    for kind, where, payload in edits:
        position = min(int(where * len(data)), max(len(data) - 1, 0))
        if kind == "replace" and data:
            data[position : position + len(payload)] = payload
        elif kind == "insert":
            data[position:position] = payload
        elif kind == "delete" and data:
            del data[position : position + len(payload)]
        else:
            data[position:position] = data[position : position + 40]
    exercise(bytes(data))


def test_shuffled_segments_never_crash() -> None:
    generator = random.Random(20240315)
    for name in GOLDEN:
        segments = fixture_bytes(name).split(b"'")
        for _ in range(30):
            generator.shuffle(segments)
            exercise(b"'".join(segments))
