"""The logistics REST API on PostgreSQL: stock reads, documents and their commands,
reservations, trace and recall, reports, permissions and Idempotency-Key replays."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from comptoir import roles
from logistics.api.idempotency import idempotency_cache_key
from logistics.api.urls import router
from logistics.models import (
    AssemblyOrder,
    InventoryCount,
    Location,
    Lot,
    Receipt,
    ReceiptLine,
    Reservation,
    SerialNumber,
    StockBalance,
    StockMove,
    Warehouse,
)
from logistics.services.reservations import ReserveLine, reservations_ship, stock_reserve
from tests import factories
from trade.services import customer_node_save, kit_components_set

pytestmark = pytest.mark.django_db
D = Decimal

EXTRA_READ_URLS = [
    "/api/stock/by-article/",
    "/api/stock/available/?article=1&warehouse=1",
    "/api/stock/valuation/",
    "/api/stock/anomalies/",
    "/api/stock/replenishment/?warehouse=1",
    "/api/lots/1/trace/",
    "/api/lots/1/recall-list.csv",
    "/api/recalls/1/recall-list.csv",
]
COMMAND_URLS = [
    "/api/receipts/1/post/",
    "/api/stock/adjustments/",
    "/api/transfers/1/ship/",
    "/api/transfers/1/receive/",
    "/api/counts/1/submit/",
    "/api/counts/1/approve/",
    "/api/assembly-orders/1/post/",
    "/api/lots/1/status/",
    "/api/reservations/release/",
]


@pytest.fixture(autouse=True)
def _empty_cache():  # noqa: ANN202
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def warehouse_api(warehouse_user, api_for) -> APIClient:  # noqa: ANN001
    return api_for(warehouse_user)


@pytest.fixture
def sales_api(sales_user, api_for) -> APIClient:  # noqa: ANN001
    return api_for(sales_user)


@pytest.fixture
def admin_api(admin_user_role, api_for) -> APIClient:  # noqa: ANN001
    return api_for(admin_user_role)


@pytest.fixture
def accounting_api(make_user, api_for) -> APIClient:  # noqa: ANN001
    return api_for(make_user(roles.ACCOUNTING, username="accounting"))


@pytest.fixture
def kettle(db):  # noqa: ANN001, ANN201
    return factories.ArticleFactory(code="BOUILLOIRE", tracking_mode="serial")


def on_hand(article, location=None) -> Decimal:  # noqa: ANN001
    rows = StockBalance.objects.filter(article=article)
    if location is not None:
        rows = rows.filter(location=location)
    return sum((row.on_hand for row in rows), D(0))


def receipt_payload(warehouse, lines, **header) -> dict:  # noqa: ANN001
    return {"warehouse": warehouse.pk, "received_on": "2026-06-01", "lines": lines, **header}


def yogurt_line(yogurt, bins, **overrides) -> dict:  # noqa: ANN001
    return {
        "article": yogurt.pk,
        "location": bins["A-01"].pk,
        "quantity": "10",
        "unit_cost": "0.5000",
        "lot_number": "L1",
        "expiry_date": "2026-06-20",
        **overrides,
    }


# --------------------------------------------------------------------------- security


LIST_URL_NAMES = [
    f"logistics_api:{basename}-list" for _prefix, _viewset, basename in router.registry
]


@pytest.mark.parametrize("url_name", LIST_URL_NAMES)
def test_anonymous_gets_401_on_every_logistics_list(url_name):
    response = APIClient().get(reverse(url_name))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"code", "message", "details"}


@pytest.mark.parametrize("url", EXTRA_READ_URLS)
def test_anonymous_gets_401_on_reports_trace_and_csv(url):
    assert APIClient().get(url).status_code == 401


@pytest.mark.parametrize("url", COMMAND_URLS)
def test_anonymous_gets_401_on_every_command(url):
    assert APIClient().post(url, {}, format="json").status_code == 401


def test_sales_may_not_create_nor_post_a_receipt_and_nothing_is_written(
    sales_api, warehouse, bins, yogurt
):
    draft = Receipt.objects.create(warehouse=warehouse, received_on=date(2026, 6, 1))
    ReceiptLine.objects.create(
        receipt=draft,
        article=yogurt,
        location=bins["A-01"],
        quantity=D("5"),
        unit_cost=D("1"),
        lot_number="L1",
        expiry_date=date(2026, 6, 20),
    )

    created = sales_api.post(
        "/api/receipts/", receipt_payload(warehouse, [yogurt_line(yogurt, bins)]), format="json"
    )
    posted = sales_api.post(f"/api/receipts/{draft.pk}/post/")

    assert [created.status_code, posted.status_code] == [403, 403]
    assert posted.json()["code"] == "permission_denied"
    assert Receipt.objects.count() == 1 and not StockMove.objects.exists()


def test_sales_reads_stock_but_neither_costs_nor_valuation(
    sales_api, accounting_api, receive, yogurt
):
    receive(yogurt, "10", lot="L1", expiry=date(2026, 6, 20), cost="0.5000")

    balances = sales_api.get("/api/stock/balances/")
    moves = sales_api.get("/api/stock/moves/").json()["results"]
    valuation = sales_api.get("/api/stock/valuation/")
    accounting_moves = accounting_api.get("/api/stock/moves/").json()["results"]

    assert balances.status_code == 200
    assert "unit_cost" not in moves[0]
    assert valuation.status_code == 403
    assert accounting_moves[0]["unit_cost"] == "0.5000"
    assert accounting_api.get("/api/stock/valuation/").status_code == 200


def test_only_roles_allowed_to_reserve_may_reserve(sales_api, warehouse_api, warehouse, yogurt):
    payload = {
        "document_type": "order",
        "document_id": "1",
        "warehouse": warehouse.pk,
        "delivery_date": "2026-06-01",
        "lines": [{"line_id": "1", "article": yogurt.pk, "quantity": "1"}],
    }

    assert sales_api.get("/api/reservations/").status_code == 200
    assert sales_api.post("/api/reservations/", payload, format="json").status_code == 403
    assert warehouse_api.post("/api/reservations/", payload, format="json").status_code == 403


# --------------------------------------------------------------------------- receipts


def test_warehouse_creates_and_posts_a_receipt_with_lots_and_serials(
    warehouse_api, warehouse, bins, yogurt, kettle
):
    supplier = factories.SupplierFactory()
    payload = receipt_payload(
        warehouse,
        [
            yogurt_line(yogurt, bins),
            {
                "article": kettle.pk,
                "location": bins["A-02"].pk,
                "quantity": "2",
                "unit_cost": "25.0000",
                "serial_numbers": ["K-1", "K-2"],
            },
        ],
        supplier=supplier.pk,
        reference="BL-778",
    )

    created = warehouse_api.post("/api/receipts/", payload, format="json")
    receipt_id = created.json()["id"]
    posted = warehouse_api.post(f"/api/receipts/{receipt_id}/post/")

    assert created.status_code == 201
    assert created.json()["status"] == "draft" and created.json()["number"] is None
    assert created.json()["lines"][1]["serial_numbers"] == ["K-1", "K-2"]
    assert posted.status_code == 200, posted.json()
    body = posted.json()
    assert (body["status"], body["number"], body["supplier_code"]) == (
        "posted",
        "REC2026-000001",
        supplier.code,
    )
    assert [
        (line["article_code"], line["quantity"], line["unit_cost"]) for line in body["lines"]
    ] == [("YAOURT", "10.000", "0.5000"), ("BOUILLOIRE", "2.000", "25.0000")]
    lot = Lot.objects.get(article=yogurt)
    assert (lot.number, lot.expiry_date, lot.expiry_kind, lot.supplier) == (
        "L1",
        date(2026, 6, 20),
        "dlc",
        supplier,
    )
    assert on_hand(yogurt, bins["A-01"]) == D("10") and on_hand(kettle, bins["A-02"]) == D("2")
    assert set(
        SerialNumber.objects.filter(location=bins["A-02"]).values_list("number", flat=True)
    ) == {"K-1", "K-2"}
    assert (
        StockMove.objects.filter(document_type="receipt", document_id=str(receipt_id)).count() == 3
    )


def test_posting_a_receipt_twice_is_refused_and_moves_stock_once(warehouse_api, receive, yogurt):
    receipt = receive(yogurt, "10", lot="L1", expiry=date(2026, 6, 20))

    response = warehouse_api.post(f"/api/receipts/{receipt.pk}/post/")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert on_hand(yogurt) == D("10")


@pytest.mark.parametrize(
    ("line_overrides", "field"),
    [
        ({"quantity": "-5"}, "lines[1].quantity"),
        ({"article": 999_999}, "lines[1].article"),
    ],
)
def test_a_bad_receipt_line_is_refused_by_its_position_and_nothing_is_written(
    warehouse_api, warehouse, bins, yogurt, line_overrides, field
):
    payload = receipt_payload(
        warehouse, [yogurt_line(yogurt, bins), yogurt_line(yogurt, bins, **line_overrides)]
    )

    response = warehouse_api.post("/api/receipts/", payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["message"].startswith(f"{field}: ")
    assert not Receipt.objects.exists() and not ReceiptLine.objects.exists()


@pytest.mark.parametrize(
    ("line_overrides", "missing"),
    [({"lot_number": ""}, "lot"), ({"expiry_date": None}, "DLC/DDM")],
)
def test_posting_a_line_without_its_lot_or_date_names_the_line_and_moves_nothing(
    warehouse_api, warehouse, bins, yogurt, line_overrides, missing
):
    jam = factories.ArticleFactory(code="CONFITURE")
    payload = receipt_payload(
        warehouse,
        [
            {
                "article": jam.pk,
                "location": bins["A-01"].pk,
                "quantity": "3",
                "unit_cost": "2.0000",
            },
            yogurt_line(yogurt, bins, **line_overrides),
        ],
    )
    receipt_id = warehouse_api.post("/api/receipts/", payload, format="json").json()["id"]

    response = warehouse_api.post(f"/api/receipts/{receipt_id}/post/")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    [message] = body["details"]["errors"]["lines"]
    assert "2 (YAOURT)" in message and missing in message
    assert not StockMove.objects.exists() and not Lot.objects.exists()
    assert not StockBalance.objects.filter(on_hand__gt=0).exists()
    assert Receipt.objects.get(pk=receipt_id).status == "draft"


def test_a_draft_receipt_can_be_corrected_or_deleted_but_not_once_posted(
    warehouse_api, warehouse, bins, yogurt, receive
):
    draft_id = warehouse_api.post(
        "/api/receipts/",
        receipt_payload(warehouse, [yogurt_line(yogurt, bins, lot_number="")]),
        format="json",
    ).json()["id"]
    posted = receive(yogurt, "1", lot="P", expiry=date(2026, 6, 20))

    corrected = warehouse_api.patch(
        f"/api/receipts/{draft_id}/", {"lines": [yogurt_line(yogurt, bins)]}, format="json"
    )
    changed_posted = warehouse_api.patch(
        f"/api/receipts/{posted.pk}/", {"reference": "x"}, format="json"
    )
    deleted = warehouse_api.delete(f"/api/receipts/{draft_id}/")
    deleted_posted = warehouse_api.delete(f"/api/receipts/{posted.pk}/")

    assert corrected.status_code == 200 and corrected.json()["lines"][0]["lot_number"] == "L1"
    assert (
        changed_posted.status_code == 409 and changed_posted.json()["code"] == "invalid_transition"
    )
    assert deleted.status_code == 204 and not Receipt.objects.filter(pk=draft_id).exists()
    assert deleted_posted.status_code == 409 and Receipt.objects.filter(pk=posted.pk).exists()


# --------------------------------------------------------------------------- idempotency


def test_an_idempotency_key_replays_the_adjustment_and_posts_it_once(warehouse_api, bins):
    rice = factories.ArticleFactory(code="RIZ")
    payload = {"article": rice.pk, "location": bins["A-01"].pk, "quantity": "4", "note": "trouvé"}

    first = warehouse_api.post(
        "/api/stock/adjustments/", payload, format="json", HTTP_IDEMPOTENCY_KEY="scan-42"
    )
    second = warehouse_api.post(
        "/api/stock/adjustments/", payload, format="json", HTTP_IDEMPOTENCY_KEY="scan-42"
    )
    other_body = warehouse_api.post(
        "/api/stock/adjustments/",
        {**payload, "quantity": "5"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="scan-42",
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert other_body.status_code == 409 and other_body.json()["code"] == "idempotency_key_reused"
    assert StockMove.objects.filter(article=rice).count() == 1
    assert on_hand(rice) == D("4")


def test_an_idempotency_key_replays_a_receipt_posting_instead_of_refusing_it(
    warehouse_api, warehouse, bins, yogurt
):
    receipt_id = warehouse_api.post(
        "/api/receipts/", receipt_payload(warehouse, [yogurt_line(yogurt, bins)]), format="json"
    ).json()["id"]
    url = f"/api/receipts/{receipt_id}/post/"

    first = warehouse_api.post(url, HTTP_IDEMPOTENCY_KEY="hh-7-post")
    replay = warehouse_api.post(url, HTTP_IDEMPOTENCY_KEY="hh-7-post")
    without_key = warehouse_api.post(url)

    assert (first.status_code, replay.status_code, without_key.status_code) == (200, 200, 409)
    assert replay.json() == first.json()
    assert on_hand(yogurt) == D("10")


def test_a_refused_command_does_not_keep_its_idempotency_key(warehouse_api, bins):
    rice = factories.ArticleFactory(code="RIZ")
    payload = {"article": rice.pk, "location": bins["A-01"].pk, "quantity": "-4", "note": "casse"}

    refused = warehouse_api.post(
        "/api/stock/adjustments/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    warehouse_api.post("/api/stock/adjustments/", {**payload, "quantity": "10"}, format="json")
    retried = warehouse_api.post(
        "/api/stock/adjustments/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_stock"
    assert retried.status_code == 201
    assert on_hand(rice) == D("6")


def test_a_key_still_in_flight_is_refused_instead_of_running_twice(
    warehouse_api, warehouse_user, bins
):
    rice = factories.ArticleFactory(code="RIZ")
    payload = {"article": rice.pk, "location": bins["A-01"].pk, "quantity": "4", "note": "trouvé"}
    # What the first request leaves while its transaction is still running.
    cache.add(
        idempotency_cache_key(warehouse_user.pk, "scan-9"),
        {"state": "in_flight", "fingerprint": "?"},
    )

    duplicate = warehouse_api.post(
        "/api/stock/adjustments/", payload, format="json", HTTP_IDEMPOTENCY_KEY="scan-9"
    )
    too_long = warehouse_api.post(
        "/api/stock/adjustments/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256
    )

    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "idempotency_key_in_use"
    assert too_long.status_code == 400
    assert not StockMove.objects.exists()


# --------------------------------------------------------------------------- adjustments


def test_adjustments_add_and_remove_stock_and_refuse_going_short(
    warehouse_api, receive, yogurt, bins
):
    receive(yogurt, "10", lot="L1", expiry=date(2026, 6, 20))
    lot = Lot.objects.get()
    base = {"article": yogurt.pk, "location": bins["A-01"].pk, "lot": lot.pk}

    added = warehouse_api.post(
        "/api/stock/adjustments/", {**base, "quantity": "2", "note": "oubli"}, format="json"
    )
    removed = warehouse_api.post(
        "/api/stock/adjustments/",
        {**base, "quantity": "-3", "note": "casse", "reason": "scrap"},
        format="json",
    )
    short = warehouse_api.post(
        "/api/stock/adjustments/", {**base, "quantity": "-50", "note": "?"}, format="json"
    )
    no_lot = warehouse_api.post(
        "/api/stock/adjustments/",
        {**base, "lot": None, "quantity": "1", "note": "x"},
        format="json",
    )

    assert added.status_code == 201
    assert (added.json()["reason"], added.json()["quantity"], added.json()["to_location_code"]) == (
        "adjustment",
        "2.000",
        "A-01",
    )
    assert (removed.json()["reason"], removed.json()["from_location_code"]) == ("scrap", "A-01")
    assert short.status_code == 409
    assert short.json()["code"] == "insufficient_stock"
    assert short.json()["details"]["lines"][0]["on_hand"] == "9.000"
    assert no_lot.status_code == 400 and "lot" in no_lot.json()["details"]["errors"]
    assert on_hand(yogurt) == D("9")


# --------------------------------------------------------------------------- transfers


def test_a_transfer_is_shipped_through_transit_then_received(
    warehouse_api, warehouse, bins, receive
):
    other = Warehouse.objects.create(code="LILLE", name="Entrepôt Lille")
    destination = Location.objects.create(warehouse=other, code="A-01")
    article = factories.ArticleFactory(code="SUCRE")
    receive(article, "10")
    payload = {
        "from_warehouse": warehouse.pk,
        "to_warehouse": other.pk,
        "lines": [
            {
                "article": article.pk,
                "from_location": bins["A-01"].pk,
                "to_location": destination.pk,
                "quantity": "4",
            }
        ],
    }

    same = warehouse_api.post(
        "/api/transfers/", {**payload, "to_warehouse": warehouse.pk}, format="json"
    )
    transfer_id = warehouse_api.post("/api/transfers/", payload, format="json").json()["id"]
    shipped = warehouse_api.post(f"/api/transfers/{transfer_id}/ship/")
    in_transit = on_hand(article, Location.objects.get(warehouse=other, code="TRANSIT"))
    received = warehouse_api.post(f"/api/transfers/{transfer_id}/receive/")
    again = warehouse_api.post(f"/api/transfers/{transfer_id}/receive/")

    assert same.status_code == 400
    assert (shipped.status_code, shipped.json()["status"]) == (200, "in_transit")
    assert in_transit == D("4")
    assert (received.status_code, received.json()["status"]) == (200, "received")
    assert again.status_code == 409
    assert on_hand(article, bins["A-01"]) == D("6") and on_hand(article, destination) == D("4")


# --------------------------------------------------------------------------- counts


def test_a_count_with_a_variance_is_entered_submitted_and_approved(
    warehouse_api, warehouse, bins, receive
):
    article = factories.ArticleFactory(code="SUCRE")
    found = factories.ArticleFactory(code="SEL")
    receive(article, "20")

    opened = warehouse_api.post(
        "/api/counts/", {"warehouse": warehouse.pk, "location_prefix": "A-"}, format="json"
    )
    count = opened.json()
    [line] = count["lines"]
    early = warehouse_api.post(f"/api/counts/{count['id']}/submit/")
    entered = warehouse_api.patch(
        f"/api/counts/{count['id']}/lines/",
        {
            "lines": [
                {"id": line["id"], "counted": "18"},
                {"article": found.pk, "location": bins["A-02"].pk, "counted": "3"},
            ]
        },
        format="json",
    )
    submitted = warehouse_api.post(f"/api/counts/{count['id']}/submit/")
    late_entry = warehouse_api.patch(
        f"/api/counts/{count['id']}/lines/",
        {"lines": [{"id": line["id"], "counted": "1"}]},
        format="json",
    )
    approved = warehouse_api.post(f"/api/counts/{count['id']}/approve/")

    assert opened.status_code == 201
    assert (count["status"], line["article_code"], line["expected"], line["counted"]) == (
        "counting",
        "SUCRE",
        "20.000",
        None,
    )
    assert early.status_code == 400
    assert [
        (row["article_code"], row["expected"], row["counted"], row["variance"])
        for row in entered.json()["lines"]
    ] == [("SUCRE", "20.000", "18.000", "-2.000"), ("SEL", "0.000", "3.000", "3.000")]
    assert submitted.json()["status"] == "submitted"
    assert late_entry.status_code == 409
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    assert on_hand(article) == D("18") and on_hand(found, bins["A-02"]) == D("3")
    assert InventoryCount.objects.get().approved_by.username == "warehouse"


def test_a_cycle_count_without_locations_or_articles_is_refused_and_nothing_is_written(
    warehouse_api, warehouse
):
    response = warehouse_api.post("/api/counts/", {"warehouse": warehouse.pk}, format="json")

    assert response.status_code == 400
    assert "location_prefix" in response.json()["details"]["errors"]
    assert not InventoryCount.objects.exists()


# --------------------------------------------------------------------------- reservations


@pytest.fixture
def three_yogurt_lots(receive, yogurt):  # noqa: ANN001, ANN201
    receive(
        yogurt, "10", lot="SHORT", expiry=date(2026, 6, 10)
    )  # 9 days left on 06-01: < 18 (60 % of 30)
    receive(yogurt, "10", lot="MID", expiry=date(2026, 6, 25), location="A-02")
    receive(yogurt, "10", lot="LATE", expiry=date(2026, 6, 30), location="B-01")


def test_reservation_is_fefo_and_honours_a_60_percent_shelf_life_inherited_from_the_chain(
    admin_api, warehouse, yogurt, hierarchy, three_yogurt_lots
):
    chain = hierarchy["chain"]
    chain.min_shelf_life_value, chain.min_shelf_life_unit = 60, "percent"
    customer_node_save(chain)
    payload = {
        "document_type": "order",
        "document_id": "SO-1",
        "warehouse": warehouse.pk,
        "delivery_date": "2026-06-01",
        "customer_node": hierarchy["store"].pk,
        "lines": [{"line_id": "1", "article": yogurt.pk, "quantity": "25"}],
    }

    response = admin_api.post("/api/reservations/", payload, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["document_id"], body["is_complete"]) == ("SO-1", False)
    [line] = body["plans"]
    assert (
        line["kind"],
        line["components"],
        line["quantity_allocated"],
        line["quantity_short"],
    ) == ("article", [], "20.000", "5.000")
    plan = line["plan"]
    assert [
        (p["lot_number"], p["expiry_date"], p["location_code"], p["quantity"])
        for p in plan["picks"]
    ] == [("MID", "2026-06-25", "A-02", "10.000"), ("LATE", "2026-06-30", "B-01", "10.000")]
    [shortfall] = plan["shortfall"]
    assert (shortfall["reason"], shortfall["quantity"]) == ("too_short_dated", "5.000")
    assert [
        (s["lot_number"], s["remaining_days"], s["required_days"]) for s in shortfall["skipped"]
    ] == [("SHORT", 9, 18)]
    assert Reservation.objects.filter(document_id="SO-1", status="active").count() == 2
    assert StockBalance.objects.get(lot__number="MID").reserved == D("10")


def test_a_kit_stocked_as_components_reserves_whole_kits(admin_api, warehouse, receive, yogurt):
    jam = factories.ArticleFactory(code="CONFITURE")
    kit = factories.ArticleFactory(code="COFFRET", kit_kind="components")
    kit_components_set(kit=kit, components=[(jam, D("2")), (yogurt, D("1"))])
    receive(jam, "7")
    receive(yogurt, "10", lot="Y", expiry=date(2026, 6, 30))
    payload = {
        "document_type": "order",
        "document_id": "K1",
        "warehouse": warehouse.pk,
        "delivery_date": "2026-06-01",
        "lines": [{"line_id": "1", "article": kit.pk, "quantity": "5"}],
    }

    available = admin_api.get(f"/api/stock/available/?article={kit.pk}&warehouse={warehouse.pk}")
    [line] = admin_api.post("/api/reservations/", payload, format="json").json()["plans"]

    assert available.json()["quantity_available"] == "3.000"
    assert (line["kind"], line["plan"], line["quantity_allocated"]) == ("kit", None, "3.000")
    assert sorted(
        (c["plan"]["article_code"], c["quantity_per_kit"], c["plan"]["quantity_allocated"])
        for c in line["components"]
    ) == [("CONFITURE", "2.000", "6.000"), ("YAOURT", "1.000", "3.000")]


def test_release_gives_back_a_document_once(admin_api, warehouse, yogurt, three_yogurt_lots):
    stock_reserve(
        document_type="order",
        document_id="SO-2",
        warehouse=warehouse,
        delivery_date=date(2026, 6, 1),
        lines=[ReserveLine("1", yogurt, D("4")), ReserveLine("2", yogurt, D("3"))],
    )

    listed = admin_api.get("/api/reservations/?document_id=SO-2").json()
    line_2 = admin_api.post(
        "/api/reservations/release/",
        {"document_type": "order", "document_id": "SO-2", "document_line": "2"},
        format="json",
    )
    rest = admin_api.post(
        "/api/reservations/release/",
        {"document_type": "order", "document_id": "SO-2"},
        format="json",
    )
    again = admin_api.post(
        "/api/reservations/release/",
        {"document_type": "order", "document_id": "SO-2"},
        format="json",
    )

    assert [(r["document_line"], r["lot_number"], r["quantity"]) for r in listed["results"]] == [
        ("1", "SHORT", "4.000"),
        ("2", "SHORT", "3.000"),
    ]
    assert [line_2.json(), rest.json(), again.json()] == [
        {"released": 1},
        {"released": 1},
        {"released": 0},
    ]
    assert StockBalance.objects.get(lot__number="SHORT").reserved == 0


# --------------------------------------------------------------------------- lots, trace, recall


def _ship(warehouse, article, quantity, customer, document_id):  # noqa: ANN001, ANN202
    stock_reserve(
        document_type="order",
        document_id=document_id,
        warehouse=warehouse,
        delivery_date=date(2026, 6, 1),
        customer_node=customer,
        lines=[ReserveLine("1", article, D(quantity))],
    )
    reservations_ship(document_type="order", document_id=document_id, customer_node=customer)


def test_the_trace_of_a_lot_gives_its_supplier_and_customers_and_the_csv_lists_them(
    warehouse_api, sales_api, warehouse, yogurt, hierarchy, receive
):
    supplier = factories.SupplierFactory(name="Laiterie du Val")
    receive(yogurt, "10", lot="R1", expiry=date(2026, 6, 25), supplier=supplier)
    _ship(warehouse, yogurt, "3", hierarchy["store"], "SO-9")
    lot = Lot.objects.get(number="R1")

    trace = warehouse_api.get(f"/api/lots/{lot.pk}/trace/")
    csv_response = warehouse_api.get(f"/api/lots/{lot.pk}/recall-list.csv")

    assert trace.status_code == 200
    body = trace.json()
    assert (
        body["lot"]["number"],
        body["on_hand"],
        body["shipped_quantity"],
        body["customer_count"],
    ) == ("R1", "7.000", "3.000", 1)
    [upstream] = body["upstream"]
    assert (upstream["supplier_name"], upstream["quantity"]) == ("Laiterie du Val", "10.000")
    [downstream] = body["downstream"]
    assert (
        downstream["customer_code"],
        downstream["customer_kind"],
        downstream["quantity"],
        downstream["documents"],
        downstream["via_lot"],
    ) == ("MAG", "store", "3.000", ["order SO-9"], None)
    assert csv_response.status_code == 200
    assert csv_response["Content-Type"].startswith("text/csv")
    lines = csv_response.content.decode().splitlines()
    assert lines[0].startswith("lot;article;via_kit_lot;customer_code")
    assert lines[1].startswith("R1;YAOURT;;MAG;Magasin Test;store")
    assert sales_api.get(f"/api/lots/{lot.pk}/recall-list.csv").status_code == 200


def test_a_recall_by_supplier_blocks_its_lots_and_answers_with_the_affected_customers(
    warehouse_api, warehouse, yogurt, hierarchy, receive
):
    supplier = factories.SupplierFactory()
    receive(yogurt, "10", lot="R1", expiry=date(2026, 6, 25), supplier=supplier)
    receive(
        yogurt, "10", lot="R2", expiry=date(2026, 6, 28), supplier=supplier, on=date(2026, 6, 3)
    )
    receive(yogurt, "10", lot="OTHER", expiry=date(2026, 6, 28))
    _ship(warehouse, yogurt, "12", hierarchy["store"], "SO-1")

    response = warehouse_api.post(
        "/api/recalls/",
        {
            "reference": "RAP-2026-01",
            "reason": "Listeria",
            "supplier": supplier.pk,
            "received_from": "2026-06-01",
            "received_to": "2026-06-02",
        },
        format="json",
    )
    duplicate = warehouse_api.post(
        "/api/recalls/",
        {"reference": "RAP-2026-01", "reason": "x", "lots": [Lot.objects.get(number="R2").pk]},
        format="json",
    )
    recall_csv = warehouse_api.get(f"/api/recalls/{response.json()['id']}/recall-list.csv")

    assert response.status_code == 201
    body = response.json()
    assert [lot["number"] for lot in body["lots"]] == ["R1"]
    assert [
        (row["lot_number"], row["customer_code"], row["quantity"]) for row in body["affected"]
    ] == [("R1", "MAG", "10.000")]
    assert dict(Lot.objects.values_list("number", "status")) == {
        "R1": "recalled",
        "R2": "available",
        "OTHER": "available",
    }
    assert duplicate.status_code == 400
    assert "MAG;Magasin Test" in recall_csv.content.decode()


def test_a_blocked_lot_is_skipped_by_reservations_and_sales_may_not_block(
    warehouse_api, sales_api, admin_api, warehouse, yogurt, receive
):
    receive(yogurt, "10", lot="A", expiry=date(2026, 6, 25))
    receive(yogurt, "10", lot="B", expiry=date(2026, 6, 28))
    lot = Lot.objects.get(number="A")

    refused = sales_api.post(f"/api/lots/{lot.pk}/status/", {"status": "blocked"}, format="json")
    blocked = warehouse_api.post(
        f"/api/lots/{lot.pk}/status/", {"status": "blocked"}, format="json"
    )
    listed = warehouse_api.get(f"/api/lots/?status=blocked&article={yogurt.pk}").json()
    reserved = admin_api.post(
        "/api/reservations/",
        {
            "document_type": "order",
            "document_id": "1",
            "warehouse": warehouse.pk,
            "delivery_date": "2026-06-01",
            "lines": [{"line_id": "1", "article": yogurt.pk, "quantity": "12"}],
        },
        format="json",
    ).json()

    assert refused.status_code == 403
    assert (blocked.status_code, blocked.json()["status"]) == (200, "blocked")
    assert [row["number"] for row in listed["results"]] == ["A"]
    plan = reserved["plans"][0]["plan"]
    assert [p["lot_number"] for p in plan["picks"]] == ["B"]
    assert [(s["reason"], s["quantity"]) for s in plan["shortfall"]] == [("blocked", "2.000")]


def test_lots_are_filtered_by_expiry_supplier_and_number(warehouse_api, yogurt, receive):
    supplier = factories.SupplierFactory()
    receive(yogurt, "1", lot="E1", expiry=date(2026, 6, 10), supplier=supplier)
    receive(yogurt, "1", lot="E2", expiry=date(2026, 6, 20))
    receive(yogurt, "1", lot="E3", expiry=date(2026, 6, 30))

    def numbers(query: str) -> list[str]:
        return [row["number"] for row in warehouse_api.get(f"/api/lots/?{query}").json()["results"]]

    assert numbers("expiry_before=2026-06-20") == ["E1", "E2"]
    assert numbers("expiry_after=2026-06-20") == ["E2", "E3"]
    assert numbers(f"supplier={supplier.pk}") == ["E1"]
    assert numbers("number=E3") == ["E3"]


# --------------------------------------------------------------------------- assembly


def test_an_assembly_order_consumes_components_and_the_kit_lot_traces_back(
    warehouse_api, warehouse, bins, yogurt, receive
):
    jam = factories.ArticleFactory(code="CONF2", tracking_mode="lot_ddm", shelf_life_days=365)
    kit = factories.ArticleFactory(
        code="PANIER", kit_kind="assembled", tracking_mode="lot_dlc", shelf_life_days=20
    )
    kit_components_set(kit=kit, components=[(jam, D("1")), (yogurt, D("2"))])
    today = date.today()
    receive(jam, "10", lot="J1", expiry=today + timedelta(days=200))
    receive(yogurt, "10", lot="Y1", expiry=today + timedelta(days=20))

    order_id = warehouse_api.post(
        "/api/assembly-orders/",
        {"kit": kit.pk, "quantity": "3", "location": bins["A-01"].pk},
        format="json",
    ).json()["id"]
    posted = warehouse_api.post(
        f"/api/assembly-orders/{order_id}/post/", {"kit_lot_number": "PAN-1"}, format="json"
    )
    trace = warehouse_api.get(f"/api/lots/{Lot.objects.get(number='PAN-1').pk}/trace/").json()

    assert posted.status_code == 200
    assert (posted.json()["status"], posted.json()["kit_lot_number"]) == ("posted", "PAN-1")
    assert on_hand(kit) == D("3") and on_hand(jam) == D("7") and on_hand(yogurt) == D("4")
    assert sorted(lot["number"] for lot in trace["component_lots"]) == ["J1", "Y1"]
    assert AssemblyOrder.objects.get().number.startswith("ASM")


# --------------------------------------------------------------------------- stock reads and reports


def test_balances_by_article_and_journal_are_filtered(
    warehouse_api, warehouse, bins, yogurt, receive
):
    rice = factories.ArticleFactory(code="RIZ")
    receive(yogurt, "10", lot="L1", expiry=date(2026, 6, 20))
    receive(rice, "5", location="B-01")
    empty = StockBalance.objects.create(article=rice, location=bins["A-02"])

    balances = warehouse_api.get(f"/api/stock/balances/?warehouse={warehouse.pk}").json()["results"]
    with_empty = warehouse_api.get(
        f"/api/stock/balances/?article={rice.pk}&only_positive=false"
    ).json()
    by_article = warehouse_api.get("/api/stock/by-article/").json()["results"]
    today = date.today().isoformat()
    journal = warehouse_api.get(
        f"/api/stock/moves/?article={yogurt.pk}&reason=receipt&date_from={today}&date_to={today}"
    ).json()["results"]
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    before = warehouse_api.get(f"/api/stock/moves/?date_to={yesterday}").json()["results"]

    assert [
        (
            b["article_code"],
            b["location_code"],
            b["lot_number"],
            b["expiry_kind"],
            b["on_hand"],
            b["available"],
        )
        for b in balances
    ] == [
        ("RIZ", "B-01", None, None, "5.000", "5.000"),
        ("YAOURT", "A-01", "L1", "dlc", "10.000", "10.000"),
    ]
    assert empty.pk in {row["id"] for row in with_empty["results"]}
    assert [(row["article_code"], row["on_hand"], row["available"]) for row in by_article] == [
        ("RIZ", "5.000", "5.000"),
        ("YAOURT", "10.000", "10.000"),
    ]
    assert [
        (m["reason"], m["lot_number"], m["quantity"], m["to_location_code"]) for m in journal
    ] == [("receipt", "L1", "10.000", "A-01")]
    assert before == []


def test_valuation_at_a_date_uses_the_weighted_average_cost(
    accounting_api, warehouse, bins, receive
):
    rice = factories.ArticleFactory(code="RIZ")
    receive(rice, "100", cost="2.0000")
    receive(rice, "50", cost="3.5000")

    today = accounting_api.get(f"/api/stock/valuation/?warehouse={warehouse.pk}")
    past = accounting_api.get("/api/stock/valuation/?date=2000-01-01")

    assert today.status_code == 200
    body = today.json()
    assert (body["total_value"], body["warehouse"]) == ("375.00", warehouse.pk)
    assert [
        (r["article_code"], r["warehouse_code"], r["quantity"], r["unit_cost"], r["value"])
        for r in body["rows"]
    ] == [("RIZ", "LYON", "150.000", "2.5000", "375.00")]
    assert past.json()["rows"] == [] and past.json()["total_value"] == "0.00"


def test_anomalies_report_expired_dlc_lots_and_big_count_variances(warehouse_api, yogurt, receive):
    receive(yogurt, "5", lot="OLD", expiry=date(2026, 6, 5))

    response = warehouse_api.get("/api/stock/anomalies/?date=2026-06-06")

    assert response.status_code == 200
    body = response.json()
    assert (body["date"], body["count_variance_threshold"]) == ("2026-06-06", "10.000")
    assert [(a["kind"], a["lot_number"], a["quantity"]) for a in body["anomalies"]] == [
        ("expired_dlc", "OLD", "5.000")
    ]


def test_replenishment_suggests_ordering_up_to_the_maximum(make_user, api_for, warehouse, receive):
    from logistics.models import ReplenishmentRule

    purchasing_api = api_for(make_user(roles.PURCHASING, username="buyer"))
    article = factories.ArticleFactory(code="HUILE")
    supplier_article = factories.SupplierArticleFactory(article=article)
    receive(article, "5")
    ReplenishmentRule.objects.create(
        warehouse=warehouse, article=article, minimum=D("10"), maximum=D("50")
    )

    response = purchasing_api.get(f"/api/stock/replenishment/?warehouse={warehouse.pk}")
    missing_warehouse = purchasing_api.get("/api/stock/replenishment/")

    assert response.status_code == 200
    [suggestion] = response.json()["suggestions"]
    assert (
        suggestion["article_code"],
        suggestion["available"],
        suggestion["reorder_point"],
        suggestion["maximum"],
        suggestion["suggested_quantity"],
        suggestion["supplier"],
    ) == ("HUILE", "5.000", "10.000", "50.000", "45.000", supplier_article.supplier_id)
    assert missing_warehouse.status_code == 400


# --------------------------------------------------------------------------- schema


def test_the_logistics_endpoints_are_described_with_string_decimals_and_idempotency_keys():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths, components = schema["paths"], schema["components"]["schemas"]

    for path in (
        "/api/lots/{id}/trace/",
        "/api/lots/{id}/recall-list.csv",
        "/api/stock/valuation/",
        "/api/stock/balances/",
        "/api/reservations/release/",
        "/api/counts/{id}/lines/",
    ):
        assert path in paths
    for path in ("/api/receipts/{id}/post/", "/api/stock/adjustments/", "/api/reservations/"):
        assert "Idempotency-Key" in {p["name"] for p in paths[path]["post"]["parameters"]}
    assert components["StockBalance"]["properties"]["on_hand"]["type"] == "string"
    assert "unit_cost" not in components["StockMove"]["required"]
    assert (
        "text/csv" in paths["/api/lots/{id}/recall-list.csv"]["get"]["responses"]["200"]["content"]
    )
