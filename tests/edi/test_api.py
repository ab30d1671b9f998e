"""The HTTP transport endpoint and the EDI REST API."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from comptoir import roles
from edi.eancom import make_segment
from edi.models import (
    Interchange,
    InterchangeState,
    MessageState,
    MessageType,
    TradingPartner,
    TransportKind,
)
from edi.services import message_send
from tests import factories

from . import fixture_bytes
from .gateway import PARTNER_GLN, interchange_text

pytestmark = pytest.mark.django_db
INBOUND = "/api/edi/inbound/"


@pytest.fixture
def http_partner(make_partner):  # noqa: ANN001, ANN201
    user = User.objects.create_user("ens-edi")
    partner = make_partner(transport=TransportKind.HTTP, api_user=user)
    return partner, Token.objects.create(user=user).key


def token_client(key: str) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)  # CSRF does not apply to token auth
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def post(client: APIClient, body: bytes, **headers):  # noqa: ANN003, ANN201
    return client.generic("POST", INBOUND, body, content_type="application/EDIFACT", **headers)


def test_the_endpoint_needs_a_token(http_partner):
    response = post(APIClient(), interchange_text())

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert not Interchange.objects.exists()


def test_a_token_of_a_user_who_is_no_partner_is_refused(http_partner, sales_user):
    response = post(token_client(Token.objects.create(user=sales_user).key), interchange_text())

    assert response.status_code == 403
    assert not Interchange.objects.exists()


def test_a_partner_posts_an_interchange_and_gets_its_id(
    http_partner, django_capture_on_commit_callbacks
):
    partner, key = http_partner
    body = fixture_bytes("orders_original.edi")

    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            token_client(key),
            body,
            HTTP_USER_AGENT="VAN/2.1",
            HTTP_X_REQUEST_ID="req-1",
            HTTP_CONTENT_DISPOSITION='attachment; filename="PO-1.edi"',
        )

    assert response.status_code == 202, response.content
    row = Interchange.objects.get(pk=response.json()["interchange"])
    assert response.json() == {"interchange": row.pk, "status": "received", "duplicate_of": None}
    assert row.payload_bytes == body
    assert (row.transport, row.partner) == ("http", partner)
    assert row.metadata["content_type"] == "application/EDIFACT"
    assert row.metadata["user_agent"] == "VAN/2.1"
    assert row.metadata["request_id"] == "req-1"
    assert row.metadata["filename"] == "PO-1.edi"
    assert "Token" not in str(row.metadata)
    assert row.state == InterchangeState.ERROR  # processed: waits for an ORDERS handler
    assert row.events.first().user.username == "ens-edi"


def test_a_second_post_of_the_same_file_is_answered_duplicate(
    http_partner, django_capture_on_commit_callbacks
):
    _partner, key = http_partner
    client = token_client(key)
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, interchange_text())

    with django_capture_on_commit_callbacks(execute=True):
        second = post(client, interchange_text())

    assert second.status_code == 200
    assert second.json() == {
        "interchange": second.json()["interchange"],
        "status": "duplicate",
        "duplicate_of": first.json()["interchange"],
    }
    assert Interchange.objects.get(pk=second.json()["interchange"]).state == "duplicate"


def test_an_empty_body_is_refused_and_nothing_is_stored(http_partner):
    response = post(token_client(http_partner[1]), b"")

    assert response.status_code == 400
    assert response.json()["code"] == "empty_payload"
    assert not Interchange.objects.exists()


def test_any_content_is_stored_as_received(http_partner, django_capture_on_commit_callbacks):
    body = b"\x00\xffnot EDIFACT\r\n"

    with django_capture_on_commit_callbacks(execute=True):
        response = token_client(http_partner[1]).generic(
            "POST", INBOUND, body, content_type="application/json"
        )

    assert response.status_code == 202
    row = Interchange.objects.get(pk=response.json()["interchange"])
    assert row.payload_bytes == body
    assert row.state == InterchangeState.REJECTED


def test_a_body_over_the_limit_is_refused(http_partner, settings):
    settings.EDI_HTTP_MAX_BYTES = 10

    response = post(token_client(http_partner[1]), interchange_text())

    assert response.status_code == 413
    assert not Interchange.objects.exists()


def test_an_http_partner_collects_what_we_sent_it(http_partner, make_partner):
    partner, key = http_partner
    other = make_partner("AUTRE", gln="5412345000013")
    body = (make_segment("BGM", "231", "1"),)
    first = message_send(partner=partner, message_type=MessageType.ORDRSP, body=body)
    second = message_send(partner=partner, message_type=MessageType.ORDRSP, body=body)
    foreign = message_send(partner=other, message_type=MessageType.ORDRSP, body=body)
    client = token_client(key)

    waiting = client.get("/api/edi/outbound/")
    download = client.get(f"/api/edi/outbound/{first.pk}/")
    not_theirs = client.get(f"/api/edi/outbound/{foreign.pk}/")
    collected = client.post(f"/api/edi/outbound/{first.pk}/collected/")
    again = client.post(f"/api/edi/outbound/{first.pk}/collected/")

    assert [row["id"] for row in waiting.json()] == [first.pk, second.pk]
    assert download.content == first.payload_bytes
    assert not_theirs.status_code == 404
    assert collected.status_code == 200 and collected.json()["state"] == "sent"
    assert again.status_code == 200
    first.refresh_from_db()
    assert (first.state, first.send_attempts, first.metadata["collected_by"]) == (
        "sent",
        1,
        "ens-edi",
    )
    assert first.messages.get().state == MessageState.SENT
    assert [row["id"] for row in client.get("/api/edi/outbound/").json()] == [second.pk]
    assert client.post(f"/api/edi/outbound/{foreign.pk}/collected/").status_code == 409
    assert APIClient().get("/api/edi/outbound/").status_code == 401


# --------------------------------------------------------------------------- REST API


def test_an_admin_creates_a_partner_with_its_message_types(admin_user_role, api_for, hierarchy):
    response = api_for(admin_user_role).post(
        "/api/edi/partners/",
        {
            "code": "CEN",
            "name": "Centrale",
            "customer_node": hierarchy["group"].pk,
            "gln": PARTNER_GLN,
            "our_id": "3012345000000",
            "transport": "directory",
            "inbox_path": "/srv/edi/cen/in",
            "outbox_path": "/srv/edi/cen/out",
            "price_tolerance_percent": "2.50",
            "message_types": [
                {"direction": "in", "message_type": "ORDERS"},
                {"direction": "out", "message_type": "CONTRL", "release": "96A"},
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["interchange_id"] == PARTNER_GLN  # defaults to the GLN
    assert data["price_tolerance_percent"] == "2.50"
    assert sorted(
        (row["direction"], row["message_type"], row["release"], row["association_code"])
        for row in data["message_types"]
    ) == [("in", "ORDERS", "96A", "EAN008"), ("out", "CONTRL", "3", "")]


def test_a_partner_with_a_bad_gln_or_two_parties_is_refused(admin_user_role, api_for, hierarchy):
    supplier = factories.SupplierFactory()
    client = api_for(admin_user_role)
    payload = {
        "code": "BAD",
        "name": "Bad",
        "customer_node": hierarchy["group"].pk,
        "gln": PARTNER_GLN,
        "our_id": "3012345000000",
    }

    bad_gln = client.post("/api/edi/partners/", {**payload, "gln": "3020000000006"}, format="json")
    two_parties = client.post(
        "/api/edi/partners/", {**payload, "supplier": supplier.pk}, format="json"
    )

    assert bad_gln.status_code == 400
    assert "gln" in bad_gln.json()["details"]["errors"]
    assert two_parties.status_code == 400
    assert "customer_node" in two_parties.json()["details"]["errors"]
    assert not TradingPartner.objects.exists()


@pytest.mark.usefixtures("without_orders_handler")
def test_sales_reads_the_exchanges_replays_and_resends_but_does_not_edit_partners(
    partner, sales_user, api_for, receive
):
    client = api_for(sales_user)
    row = receive(interchange_text())
    message = row.messages.get()
    sent = message_send(
        partner=partner, message_type=MessageType.ORDRSP, body=(make_segment("BGM", "231", "1"),)
    )

    listed = client.get("/api/edi/messages/", {"state": "error", "direction": "in"})
    detail = client.get(f"/api/edi/messages/{message.pk}/")
    interchange = client.get(f"/api/edi/interchanges/{row.pk}/")
    raw = client.get(f"/api/edi/interchanges/{row.pk}/raw/")
    replay = client.post(f"/api/edi/messages/{message.pk}/replay/")
    resend = client.post(f"/api/edi/interchanges/{sent.pk}/resend/")
    create = client.post("/api/edi/partners/", {"code": "X"}, format="json")

    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()["results"]] == [message.pk]
    assert listed.json()["results"][0]["errors"][0]["code"] == "no_handler"
    assert detail.json()["segments_text"].startswith("UNH+1+ORDERS")
    assert [event["kind"] for event in detail.json()["events"]] == ["parsed", "error"]
    assert interchange.json()["messages"][0]["id"] == message.pk
    assert raw.content == row.payload_bytes
    assert replay.status_code == 200 and replay.json()["replay_count"] == 1
    assert resend.status_code == 409  # still queued: nothing to resend
    assert resend.json()["code"] == "not_resendable"
    assert create.status_code == 403


def test_replaying_a_processed_message_answers_409(
    partner, admin_user_role, api_for, receive, monkeypatch
):
    from edi.services import handlers

    monkeypatch.setitem(handlers.HANDLERS, MessageType.ORDERS, lambda row, message, p: None)
    message = receive(interchange_text()).messages.get()
    assert message.state == MessageState.PROCESSED

    response = api_for(admin_user_role).post(f"/api/edi/messages/{message.pk}/replay/")

    assert response.status_code == 409
    assert response.json()["code"] == "not_replayable"


def test_the_warehouse_sees_no_edi(warehouse_user, api_for):
    client = api_for(warehouse_user)

    assert client.get("/api/edi/messages/").status_code == 403
    assert client.get("/api/edi/partners/").status_code == 403


def test_roles_hold_the_edi_permissions_documented():
    assert roles.ROLE_PERMISSIONS[roles.SALES]["edi.edimessage"] == ("view", "replay")
    assert roles.ROLE_PERMISSIONS[roles.SALES]["edi.interchange"] == ("view", "resend")
    assert roles.ROLE_PERMISSIONS[roles.ACCOUNTING]["edi.edimessage"] == ("view",)
    assert "edi.tradingpartner" not in roles.ROLE_PERMISSIONS[roles.WAREHOUSE]
