"""The exchange monitor and the partner screens through Django's test client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from edi.eancom import make_segment
from edi.forms import TradingPartnerForm
from edi.models import (
    Interchange,
    InterchangeState,
    MessageState,
    MessageType,
    PartnerMessageType,
    TradingPartner,
    TransportKind,
)
from edi.services import handlers, message_send

from . import fixture_bytes
from .gateway import PARTNER_GLN, interchange_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def exchanges(partner, receive):  # noqa: ANN001, ANN201
    """One ORDERS in the error queue (no handler yet) answered by our CONTRL."""
    row = receive(fixture_bytes("orders_original.edi"))
    return row, row.messages.get()


@pytest.mark.usefixtures("without_orders_handler")
def test_every_monitor_page_renders_for_sales(sales_user, client_for, exchanges):
    row, message = exchanges
    client = client_for(sales_user)

    pages = {
        "monitor": client.get(reverse("edi:monitor")),
        "filtered": client.get(
            reverse("edi:monitor"), {"state": "error", "direction": "in", "partner": row.partner_id}
        ),
        "interchanges": client.get(reverse("edi:interchange_list"), {"direction": "in"}),
        "errors": client.get(reverse("edi:error_queue")),
        "message": client.get(reverse("edi:message_detail", args=[message.pk])),
        "interchange": client.get(reverse("edi:interchange_detail", args=[row.pk])),
        "contrl": client.get(reverse("edi:interchange_detail", args=[row.contrl_id])),
        "raw": client.get(reverse("edi:interchange_raw", args=[row.pk])),
        "partners": client.get(reverse("edi:partner_list")),
        "partner": client.get(reverse("edi:partner_detail", args=[row.partner_id])),
    }

    assert {name: page.status_code for name, page in pages.items()} == dict.fromkeys(pages, 200)
    monitor = pages["monitor"].content.decode()
    assert "ENS" in monitor and "ORD0001" in monitor
    assert reverse("edi:monitor") in pages["monitor"].content.decode()  # the nav entry
    interchange = pages["interchange"].content.decode()
    # The raw payload, one segment per line.
    assert (
        "UNB+UNOC:3+3020000000005:14+3012345000000:14+240315:1030+ORD0001++++1&#x27;\nUNH+1+ORDERS"
        in interchange
    )
    no_handler = _("no handler for %(type)s") % {"type": "ORDERS"}
    assert escape(no_handler) in pages["errors"].content.decode()
    assert "UNT+37+1&#x27;" in pages["message"].content.decode()
    assert pages["raw"].content == row.payload_bytes


def test_the_monitor_refuses_anonymous_visitors_and_roles_without_edi(
    client, warehouse_user, client_for, exchanges
):
    row, message = exchanges
    urls = [
        reverse("edi:monitor"),
        reverse("edi:error_queue"),
        reverse("edi:message_detail", args=[message.pk]),
        reverse("edi:interchange_detail", args=[row.pk]),
        reverse("edi:interchange_raw", args=[row.pk]),
        reverse("edi:partner_list"),
        reverse("edi:partner_create"),
        reverse("edi:upload"),
    ]

    anonymous = [client.get(url) for url in urls]
    warehouse = [client_for(warehouse_user).get(url).status_code for url in urls]

    assert all(response.status_code == 302 for response in anonymous)
    assert all(response["Location"].startswith(reverse("login")) for response in anonymous)
    assert warehouse == [403] * len(urls)
    assert reverse("edi:monitor") not in client_for(warehouse_user).get("/").content.decode()


def test_replay_from_the_error_queue(sales_user, client_for, exchanges, monkeypatch):
    _row, message = exchanges
    monkeypatch.setitem(
        handlers.HANDLERS, MessageType.ORDERS, lambda row, m, p: ("test.Order", "9")
    )
    client = client_for(sales_user)

    response = client.post(
        reverse("edi:error_queue_replay"),
        {"selected": [message.pk], "next": reverse("edi:error_queue")},
    )

    assert response.status_code == 302 and response["Location"] == reverse("edi:error_queue")
    message.refresh_from_db()
    assert (message.state, message.document_id, message.replay_count) == (
        MessageState.PROCESSED,
        "9",
        1,
    )
    assert message.events.filter(kind="replayed", user=sales_user).exists()
    again = client.post(reverse("edi:message_replay", args=[message.pk]), follow=True)
    assert [m.level_tag for m in again.context["messages"]][-1] == "error"
    message.refresh_from_db()
    assert message.replay_count == 1


def test_resend_from_the_message_page(
    sales_user, client_for, partner, tmp_path, django_capture_on_commit_callbacks
):
    outbox = tmp_path / "out"
    partner.transport = TransportKind.DIRECTORY
    partner.inbox_path, partner.outbox_path = str(tmp_path), str(outbox)
    partner.save()
    sent = message_send(
        partner=partner, message_type=MessageType.ORDRSP, body=(make_segment("BGM", "231", "1"),)
    )
    Interchange.objects.filter(pk=sent.pk).update(state=InterchangeState.FAILED)
    outbox.mkdir()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(sales_user).post(reverse("edi:interchange_resend", args=[sent.pk]))

    assert response.status_code == 302
    sent.refresh_from_db()
    assert sent.state == InterchangeState.SENT
    assert [path.name for path in outbox.iterdir()] == [sent.metadata["filename"]]


def test_an_admin_creates_and_edits_a_partner_with_its_message_types(
    admin_user_role, client_for, hierarchy
):
    client = client_for(admin_user_role)
    form = {
        "code": "CEN",
        "name": "Centrale Test",
        "customer_node": hierarchy["group"].pk,
        "gln": "302 0000 000005",
        "interchange_id_qualifier": "14",
        "our_id": "3012345000000",
        "our_id_qualifier": "14",
        "syntax_identifier": "UNOC",
        "syntax_version": "3",
        "is_active": "on",
        "transport": "none",
        "as2_mdn_mode": "sync",
        "unknown_gtin_policy": "reject_line",
        "price_tolerance_percent": "1.5",
        "send_contrl": "on",
        "ordrsp_policy": "on_confirmation",
        "message_types-TOTAL_FORMS": "2",
        "message_types-INITIAL_FORMS": "0",
        "message_types-0-direction": "in",
        "message_types-0-message_type": "ORDERS",
        "message_types-0-version": "D",
        "message_types-0-release": "96A",
        "message_types-0-association_code": "",
        "message_types-0-is_enabled": "on",
        "message_types-1-direction": "out",
        "message_types-1-message_type": "CONTRL",
        "message_types-1-version": "D",
        "message_types-1-release": "96A",
        "message_types-1-is_enabled": "on",
    }

    assert client.get(reverse("edi:partner_create")).status_code == 200
    created = client.post(reverse("edi:partner_create"), form)

    partner = TradingPartner.objects.get(code="CEN")
    assert created.status_code == 302, created.content.decode()[:3000]
    assert (partner.gln, partner.interchange_id, partner.unknown_gtin_policy) == (
        PARTNER_GLN,
        PARTNER_GLN,
        "reject_line",
    )
    assert sorted(
        partner.message_types.values_list(
            "direction", "message_type", "release", "association_code"
        )
    ) == [
        ("in", "ORDERS", "96A", "EAN008"),
        ("out", "CONTRL", "3", ""),
    ]
    orders = partner.message_types.get(message_type="ORDERS")
    contrl = partner.message_types.get(message_type="CONTRL")
    edit = {
        **form,
        "name": "Centrale renommée",
        "message_types-INITIAL_FORMS": "2",
        "message_types-0-id": orders.pk,
        "message_types-0-partner": partner.pk,
        "message_types-1-id": contrl.pk,
        "message_types-1-partner": partner.pk,
        "message_types-1-DELETE": "on",
    }
    assert client.get(reverse("edi:partner_update", args=[partner.pk])).status_code == 200
    edited = client.post(reverse("edi:partner_update", args=[partner.pk]), edit)

    assert edited.status_code == 302, edited.content.decode()[:3000]
    partner.refresh_from_db()
    assert partner.name == "Centrale renommée"
    assert list(
        PartnerMessageType.objects.filter(partner=partner).values_list("message_type", flat=True)
    ) == ["ORDERS"]


def test_a_partner_form_error_shows_on_its_field_and_saves_nothing(
    admin_user_role, client_for, hierarchy
):
    response = client_for(admin_user_role).post(
        reverse("edi:partner_create"),
        {
            "code": "DIR",
            "name": "Sans dossiers",
            "customer_node": hierarchy["group"].pk,
            "gln": PARTNER_GLN,
            "interchange_id_qualifier": "14",
            "our_id": "3012345000000",
            "our_id_qualifier": "14",
            "syntax_identifier": "UNOC",
            "syntax_version": "3",
            "transport": "directory",
            "as2_mdn_mode": "sync",
            "unknown_gtin_policy": "reject_message",
            "price_tolerance_percent": "0",
            "ordrsp_policy": "never",
            "message_types-TOTAL_FORMS": "0",
            "message_types-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors.keys() >= {"inbox_path", "outbox_path"}
    assert not TradingPartner.objects.exists()


def test_an_admin_receives_a_file_by_hand(
    admin_user_role, client_for, partner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin_user_role).post(
            reverse("edi:upload"),
            {"file": SimpleUploadedFile("po.edi", interchange_text()), "partner": ""},
        )

    row = Interchange.objects.get(direction="in")
    assert response.status_code == 302
    assert response["Location"] == reverse("edi:interchange_detail", args=[row.pk])
    assert (row.transport, row.partner, row.metadata["filename"]) == ("upload", partner, "po.edi")
    assert row.state == InterchangeState.ERROR  # no ORDERS handler yet


@pytest.mark.usefixtures("without_orders_handler")
def test_the_monitor_lists_filter_by_search_partner_direction_type_and_days(
    sales_user, client_for, exchanges, make_partner
):
    row, message = exchanges
    contrl = Interchange.objects.get(pk=row.contrl_id)
    other = make_partner("AUTRE", gln="5412345000013")
    client = client_for(sales_user)
    today = timezone.localdate()

    def listed(name: str, **filters: object) -> set[int]:
        page = client.get(reverse(name), filters)
        key = "interchanges" if name == "edi:interchange_list" else "edi_messages"
        return {item.pk for item in page.context[key]}

    assert listed("edi:monitor", q=" ORD0001 ") == {message.pk}
    assert listed("edi:monitor", direction="out") == {contrl.messages.get().pk}
    assert listed("edi:monitor", message_type="ORDERS", state="error") == {message.pk}
    assert listed("edi:monitor", partner=other.pk) == set()
    assert listed("edi:monitor", date_to=today - timedelta(days=1)) == set()
    assert len(listed("edi:monitor", date_from=today, date_to=today)) == 2
    assert len(listed("edi:monitor", date_from="not a date")) == 2  # ignored, not an error
    assert listed("edi:interchange_list", q=row.checksum[:12]) == {row.pk}
    assert listed("edi:interchange_list", q=contrl.control_reference) == {contrl.pk}
    assert listed("edi:interchange_list", direction="in", transport="directory") == {row.pk}
    assert listed("edi:interchange_list", date_from=today + timedelta(days=1)) == set()
    assert listed("edi:error_queue", partner=row.partner_id, message_type="ORDERS") == {message.pk}
    assert listed("edi:error_queue", direction="out") == set()


def test_the_partner_form_shows_every_editable_field_once():
    shown = [name for _title, names in TradingPartnerForm.SECTIONS for name in names]

    assert sorted(shown) == sorted(TradingPartner.EDITABLE_FIELDS)
