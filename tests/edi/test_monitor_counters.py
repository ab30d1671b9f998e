"""The monitor's counters per partner: "unacknowledged" counts only what an
acknowledgement is expected for (a CONTRL asked for, an AS2 MDN), late."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from edi.eancom import make_segment
from edi.models import Interchange, InterchangeState, MdnMode, MessageType, TransportKind
from edi.selectors import partner_counters
from edi.services import message_send
from tests.factories import gln

pytestmark = pytest.mark.django_db

HOURS = 24
BODY = (
    make_segment("BGM", "231", "RSP-1", "29"),
    make_segment("DTM", ("137", "20240315", "102")),
)
CONTRL_BODY = (make_segment("UCI", "ORD0001", "3020000000005:14", "3012345000000:14", "7"),)


def sent(partner, message_type=MessageType.ORDRSP, *, hours_ago=HOURS + 1, state="sent"):  # noqa: ANN001, ANN201
    """An interchange we made ``hours_ago`` hours ago, now in ``state``."""
    body = CONTRL_BODY if message_type == MessageType.CONTRL else BODY
    row = message_send(partner=partner, message_type=message_type, body=body)
    Interchange.objects.filter(pk=row.pk).update(
        state=state, created_at=timezone.now() - timedelta(hours=hours_ago)
    )
    return row


def unacknowledged() -> dict[str, int]:
    counters = partner_counters(now=timezone.localtime(), unacknowledged_hours=HOURS)
    return {row.partner_code: row.unacknowledged for row in counters}


def test_an_interchange_asking_for_a_contrl_counts_once_late_until_acknowledged(make_partner):
    partner = make_partner(request_contrl=True)
    late_sent = sent(partner)
    sent(partner, state=InterchangeState.QUEUED)  # made long ago, never collected
    sent(partner, hours_ago=HOURS - 1)  # not late yet
    sent(partner, state=InterchangeState.ACKNOWLEDGED)
    sent(partner, state=InterchangeState.REJECTED)

    assert unacknowledged() == {"ENS": 2}

    Interchange.objects.filter(pk=late_sent.pk).update(state=InterchangeState.ACKNOWLEDGED)
    assert unacknowledged() == {"ENS": 1}


def test_our_contrl_is_never_waited_for(make_partner):
    partner = make_partner(request_contrl=True)
    sent(partner, MessageType.CONTRL)

    assert unacknowledged() == {"ENS": 0}


def test_a_partner_not_asked_for_a_contrl_is_never_waited_for(make_partner):
    partner = make_partner(request_contrl=False, transport=TransportKind.NONE)
    sent(partner)
    sent(partner, MessageType.CONTRL)

    assert unacknowledged() == {"ENS": 0}


def test_an_as2_interchange_waits_for_its_mdn_unless_the_partner_sends_none(make_partner):
    as2 = {
        "transport": TransportKind.AS2,
        "as2_url": "https://as2.example.com/",
        "as2_encrypt": False,
    }
    with_mdn = make_partner("MDN", gln=gln(1), as2_id="WITH-MDN", as2_mdn_mode=MdnMode.ASYNC, **as2)
    without_mdn = make_partner(
        "NOMDN", gln=gln(2), as2_id="NO-MDN", as2_mdn_mode=MdnMode.NONE, **as2
    )
    # An MDN acknowledges the AS2 message whatever it carries, a CONTRL too.
    sent(with_mdn)
    sent(with_mdn, MessageType.CONTRL)
    sent(without_mdn)

    assert unacknowledged() == {"MDN": 2, "NOMDN": 0}


def test_the_monitor_shows_the_late_interchanges_of_each_partner(
    make_partner, sales_user, client_for
):
    asking = make_partner("ASK", request_contrl=True)
    silent = make_partner("SILENT", gln=gln(3), request_contrl=False)
    sent(asking)
    sent(asking, MessageType.CONTRL)
    sent(silent)

    page = client_for(sales_user).get(reverse("edi:monitor"))

    assert {row.partner_code: row.unacknowledged for row in page.context["counters"]} == {
        "ASK": 1,
        "SILENT": 0,
    }
