"""Helpers of the gateway tests: our ids, small interchanges, reading what we answered."""

from __future__ import annotations

OUR_GLN = "3012345000000"
PARTNER_GLN = "3020000000005"  # the buyer of the golden ORDERS files


def interchange_text(
    *,
    reference: str = "ORD0001",
    sender: str = PARTNER_GLN,
    recipient: str = OUR_GLN,
    prepared: str = "240315:1030",
    body: str = "UNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+PO-1+9'UNT+3+1'",
    count: int = 1,
) -> bytes:
    """A small well-formed interchange (one ORDERS by default)."""
    return (
        f"UNA:+.? 'UNB+UNOC:3+{sender}:14+{recipient}:14+{prepared}+{reference}'"
        f"{body}UNZ+{count}+{reference}'"
    ).encode("latin-1")


def contrl_sent(interchange):  # noqa: ANN001, ANN201
    """The CONTRL we answered ``interchange`` with, parsed."""
    from dataclasses import replace

    from edi.eancom import Segment, parse_interchanges
    from edi.eancom.messages import parse_contrl

    interchange.refresh_from_db()
    assert interchange.contrl_id, "no CONTRL was sent"
    parsed = parse_interchanges(interchange.contrl.payload_bytes)
    assert parsed.accepted, parsed.all_errors
    (message,) = parsed.interchanges[0].messages
    # About an interchange whose UNB could not be read, UCI has no reference to copy:
    # give it one here so that the strict reader accepts the rest.
    segments = tuple(
        Segment("UCI", ("?", *segment.elements[1:]))
        if segment.tag == "UCI" and not segment.value(1)
        else segment
        for segment in message.segments
    )
    return parse_contrl(replace(message, segments=segments))
