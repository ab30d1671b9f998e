"""Truncated, corrupted and random payloads through the whole inbound pipeline: it never
raises, always stores the raw payload, always finishes, and answers a CONTRL rejection
whenever the partner is identifiable and the codec found a fault."""

from __future__ import annotations

import pytest
from django.utils.translation import gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi.eancom import parse_interchanges
from edi.eancom.messages import ContrlAction
from edi.models import Interchange, InterchangeState

from . import FIXTURES, fixture_bytes
from .gateway import contrl_sent

GOLDEN = sorted(path.name for path in FIXTURES.glob("*.edi"))
FINISHED = {
    InterchangeState.PROCESSED,
    InterchangeState.ERROR,
    InterchangeState.REJECTED,
    InterchangeState.DUPLICATE,
    InterchangeState.SPLIT,
}


@st.composite
def damaged(draw) -> bytes:  # noqa: ANN001
    kind = draw(st.sampled_from(["truncated", "corrupted", "random"]))
    if kind == "random":
        return draw(st.binary(min_size=1, max_size=300))
    data = bytearray(fixture_bytes(draw(st.sampled_from(GOLDEN))))
    if kind == "truncated":
        return bytes(data[: draw(st.integers(1, max(1, len(data) - 1)))])
    for _ in range(draw(st.integers(1, 6))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.sampled_from(b"'+:?\x00\xff\xe9A9 \n"))
    return bytes(data)


def leaves(row: Interchange) -> list[Interchange]:
    return list(row.parts.order_by("pk")) if row.state == InterchangeState.SPLIT else [row]


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=damaged())
def test_any_payload_is_stored_processed_and_answered(make_partner, receive, payload):
    from edi.models import TradingPartner

    partner = TradingPartner.objects.filter(code="ENS").first() or make_partner(
        syntax_identifier="UNOY"
    )

    row = receive(payload, transport="http", partner=partner)

    assert row.payload_bytes == payload
    assert row.state in FINISHED, row.state
    for leaf in leaves(row):
        assert leaf.state in FINISHED - {InterchangeState.SPLIT}, leaf.state
        parsed = parse_interchanges(leaf.payload_bytes)
        only_contrl = (
            bool(parsed.interchanges)
            and all(
                message.message_type == "CONTRL"
                for interchange in parsed.interchanges
                for message in interchange.messages
            )
            and any(interchange.messages for interchange in parsed.interchanges)
        )
        if only_contrl:
            continue  # a CONTRL is never answered with a CONTRL
        if leaf.contrl_id is None:
            # Only a value copied from the subject that no syntax level can carry (a
            # control character) may keep our CONTRL from being written; it is recorded.
            not_sent = gettext("The CONTRL could not be sent: %(reason)s").split("%(reason)s")[0]
            assert leaf.events.filter(kind="error", note__startswith=not_sent).exists()
            continue
        report = contrl_sent(leaf)
        if not parsed.accepted or leaf.state == InterchangeState.DUPLICATE:
            assert report.action is ContrlAction.REJECTED or any(
                message.action is ContrlAction.REJECTED for message in report.messages
            )
