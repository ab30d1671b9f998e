"""Tests of the pure EDIFACT layers (edi/eancom): codec, tokenizer, mappings.

Shared helpers live here: where the golden files are and how to read one.
"""

from __future__ import annotations

from pathlib import Path

from edi.eancom.codec import parse_interchanges
from edi.eancom.envelope import Interchange, Message

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "edi"

WELL_FORMED = (
    "orders_original.edi",
    "orders_platform_stores.edi",
    "orders_replacement.edi",
    "orders_cancellation.edi",
    "orders_unoc_accents.edi",
    "orders_no_una_release.edi",
    "two_interchanges.edi",
    "ordrsp.edi",
    "desadv_two_pallets.edi",
    "invoic.edi",
    "contrl_accepted.edi",
    "contrl_rejected.edi",
)
MALFORMED = (
    "malformed_truncated.edi",
    "malformed_wrong_unt_count.edi",
    "malformed_wrong_unz_reference.edi",
    "malformed_invalid_values.edi",
)


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def only_interchange(name: str) -> Interchange:
    result = parse_interchanges(fixture_bytes(name))
    assert len(result.interchanges) == 1, result
    return result.interchanges[0]


def only_message(name: str) -> Message:
    interchange = only_interchange(name)
    assert len(interchange.messages) == 1
    return interchange.messages[0]
