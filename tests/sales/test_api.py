"""The sales REST API on PostgreSQL: authentication and roles, orders named by id,
code or GTIN, bad input refused line by line with nothing saved, the caller's price
compared and never used, confirmation and reservation, picking and shipping (twice),
line changes, Idempotency-Key replays, quotes, and the delivery note."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db.models import Sum
from django.utils.translation import gettext as _
from rest_framework.test import APIClient

from comptoir import roles
from logistics.models import Reservation, StockBalance, StockMove
from pricing.models import PriceListItem
from tests.sales.conftest import dlc
from trade.models import Company
from trade.sales.models import Delivery, Quote, SalesEvent, SalesOrder, SalesOrderLine
from trade.services import article_save, customer_node_save

pytestmark = pytest.mark.django_db
D = Decimal
ORDERS = "/api/sales/orders/"


@pytest.fixture(autouse=True)
def _empty_cache():  # noqa: ANN202
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sales_api(sales_user, api_for) -> APIClient:  # noqa: ANN001
    return api_for(sales_user)


@pytest.fixture
def warehouse_api(warehouse_user, api_for) -> APIClient:  # noqa: ANN001
    return api_for(warehouse_user)


@pytest.fixture
def accounting_api(make_user, api_for) -> APIClient:  # noqa: ANN001
    return api_for(make_user(roles.ACCOUNTING, username="accounting"))


@pytest.fixture
def stocked(shop, receive, today):  # noqa: ANN001, ANN201
    """60 yogurts in two dated lots and 100 bags of sugar."""
    receive(shop["yogurt"], 36, lot="L-A", expiry=dlc(today, 20), location="A-01")
    receive(shop["yogurt"], 24, lot="L-B", expiry=dlc(today, 25), location="B-01")
    receive(shop["plain"], 100, location="A-02")
    return shop


def order_payload(shop, lines, **header) -> dict:  # noqa: ANN001
    return {"ordering_node_code": shop["store"].code,
            "requested_date": str(header.pop("requested_date", None) or _tomorrow()), "lines": lines, **header}


def _tomorrow():  # noqa: ANN202
    from django.utils import timezone

    return timezone.localdate() + timedelta(days=1)


def create_order(api, shop, lines, **header) -> dict:  # noqa: ANN001
    response = api.post(ORDERS, order_payload(shop, lines, **header), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def line_messages(response) -> list[str]:  # noqa: ANN001
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == "validation_failed"
    return body["details"]["errors"]["lines"]


def line_error(message: str, position: int, article: str | None = None, **values) -> str:  # noqa: ANN003
    """A refused line's text in the active language, built as the services build it:
    ``message`` (an English msgid with ``%(line)s``) about line ``position`` of ``article``."""
    return _(message) % {"line": line_name(position, article), **values}


def line_name(position: int, article: str | None = None) -> str:
    if article is None:
        return _("Line %(position)s") % {"position": position}
    return _("Line %(position)s (%(article)s)") % {"position": position, "article": article}


def reserved(article) -> Decimal:  # noqa: ANN001
    return StockBalance.objects.filter(article=article).aggregate(total=Sum("reserved"))["total"] or D(0)


def on_hand(article) -> Decimal:  # noqa: ANN001
    return StockBalance.objects.filter(article=article).aggregate(total=Sum("on_hand"))["total"] or D(0)


# --------------------------------------------------------------------------- security


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", ORDERS),
        ("post", ORDERS),
        ("get", "/api/sales/orders/1/"),
        ("post", "/api/sales/orders/1/confirm/"),
        ("post", "/api/sales/orders/1/deliveries/"),
        ("patch", "/api/sales/order-lines/1/"),
        ("get", "/api/sales/deliveries/"),
        ("post", "/api/sales/deliveries/1/ship/"),
        ("get", "/api/sales/deliveries/1/delivery-note/"),
        ("get", "/api/sales/quotes/"),
        ("post", "/api/sales/quotes/1/accept/"),
    ],
)
def test_every_sales_endpoint_needs_authentication(method, url):  # noqa: ANN001
    response = getattr(APIClient(), method)(url, {}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_warehouse_reads_orders_but_cannot_create_or_confirm_them(stocked, sales_api, warehouse_api):  # noqa: ANN001
    order = create_order(sales_api, stocked, [{"article_code": "SUCRE", "quantity": "5"}])

    refused = warehouse_api.post(ORDERS, order_payload(stocked, [{"article_code": "SUCRE", "quantity": "5"}]),
                                 format="json")
    confirm = warehouse_api.post(f"{ORDERS}{order['id']}/confirm/")

    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    assert confirm.status_code == 403
    assert warehouse_api.get(ORDERS).status_code == 200
    assert warehouse_api.get(f"{ORDERS}{order['id']}/").status_code == 200
    assert SalesOrder.objects.count() == 1
    assert SalesOrder.objects.get().state == "draft"


def test_the_warehouse_picks_and_ships_but_accounting_only_reads(stocked, sales_api, warehouse_api, accounting_api):  # noqa: ANN001
    order = create_order(sales_api, stocked, [{"article_code": "SUCRE", "quantity": "5"}])
    assert sales_api.post(f"{ORDERS}{order['id']}/confirm/").status_code == 200
    delivery = warehouse_api.post(f"{ORDERS}{order['id']}/deliveries/", {}, format="json")
    assert delivery.status_code == 201, delivery.json()
    url = f"/api/sales/deliveries/{delivery.json()['id']}/"

    assert accounting_api.get(url).status_code == 200
    assert accounting_api.post(f"{url}ship/").status_code == 403
    assert warehouse_api.post(f"{url}pick/", {}, format="json").status_code == 200
    shipped = warehouse_api.post(f"{url}ship/")
    assert shipped.status_code == 200 and shipped.json()["state"] == "shipped"
    # The warehouse sees what it ships, not our margins.
    line = warehouse_api.get(f"{ORDERS}{order['id']}/").json()["lines"][0]
    assert "breakdown" not in line and "margin_amount" not in line and "cost_unit_price" not in line
    assert "breakdown" in sales_api.get(f"{ORDERS}{order['id']}/").json()["lines"][0]


# --------------------------------------------------------------------------- create


def test_an_order_names_its_articles_by_id_code_or_gtin(shop, sales_api):  # noqa: ANN001
    case_gtin = shop["yogurt"].packagings.get(level="case").gtin

    body = create_order(sales_api, shop, [
        {"article": shop["plain"].pk, "quantity": "3", "customer_line_reference": "10"},
        {"article_code": "YAOURT", "quantity": "24", "requested_date": str(_tomorrow() + timedelta(days=2))},
        {"gtin": case_gtin, "quantity": "2"},
    ], customer_reference="PO-778", notes="Quai 3")

    order = SalesOrder.objects.get()
    assert body["id"] == order.pk and body["origin"] == "api" and body["state"] == "draft"
    assert body["ordering_node"]["code"] == "MAG"
    assert body["delivery_node"]["code"] == "PF"  # delivered via the platform, from the hierarchy
    assert body["customer_reference"] == "PO-778" and body["notes"] == "Quai 3"
    assert [(row["article_code"], row["packaging_level"], row["quantity"], row["base_quantity"],
             row["net_unit_price"], row["line_amount"]) for row in body["lines"]] == [
        ("SUCRE", "", "3.000", "3.000", "1.2000", "3.60"),
        ("YAOURT", "", "24.000", "24.000", "0.5000", "12.00"),
        ("YAOURT", "case", "2.000", "24.000", "6.0000", "12.00"),  # the GTIN is the case's
    ]
    assert body["lines"][0]["customer_line_reference"] == "10"
    assert body["lines"][1]["requested_date"] == str(_tomorrow() + timedelta(days=2))
    assert body["total_amount"] == "27.60"
    assert body["lines"][0]["breakdown"]["net_unit_price"] == "1.2000"
    assert body["events"][0]["to_state"] == "draft"


def test_the_customer_can_be_named_by_gln_or_id(shop, sales_api):  # noqa: ANN001
    by_gln = sales_api.post(ORDERS, {"ordering_node_gln": shop["store"].gln, "requested_date": str(_tomorrow()),
                                     "lines": [{"article_code": "SUCRE", "quantity": "1"}]}, format="json")
    by_id = sales_api.post(ORDERS, {"ordering_node": shop["store"].pk, "requested_date": str(_tomorrow()),
                                    "delivery_node_code": "MAG",
                                    "lines": [{"article_code": "SUCRE", "quantity": "1"}]}, format="json")
    unknown = sales_api.post(ORDERS, {"ordering_node_code": "NOPE", "requested_date": str(_tomorrow()),
                                      "lines": [{"article_code": "SUCRE", "quantity": "1"}]}, format="json")

    assert by_gln.status_code == 201 and by_gln.json()["ordering_node"]["code"] == "MAG"
    assert by_id.status_code == 201 and by_id.json()["delivery_node"]["code"] == "MAG"
    assert unknown.status_code == 400
    assert "NOPE" in unknown.json()["details"]["errors"]["ordering_node_code"][0]
    assert SalesOrder.objects.count() == 2


def test_every_bad_line_is_named_and_nothing_is_saved(shop, sales_api, today):  # noqa: ANN001
    machine = shop["machine"]
    machine.status = "blocked"
    article_save(machine)
    shop["store"].full_cases_only = True
    customer_node_save(shop["store"])

    response = sales_api.post(ORDERS, order_payload(shop, [
        {"article_code": "SUCRE", "quantity": "3"},  # fine
        {"article_code": "NOPE", "quantity": "1"},  # unknown code
        {"gtin": "3761009999991", "quantity": "1"},  # unknown GTIN (valid check digit or not)
        {"article": 999999, "quantity": "1"},  # unknown id
        {"article_code": "MACHINE", "quantity": "1"},  # blocked
        {"article_code": "YAOURT", "quantity": "5"},  # not a multiple of the case of 12
        {"article_code": "SUCRE", "quantity": "1", "requested_date": str(today - timedelta(days=1))},
        {"article_code": "SUCRE", "quantity": "0"},
        {"article_code": "SUCRE", "quantity": "-4"},
        {"article_code": "SUCRE", "quantity": "abc"},
        {"quantity": "1"},  # no article named
    ]), format="json")

    assert response.status_code == 400
    messages = line_messages(response)
    yesterday = (today - timedelta(days=1)).strftime("%d/%m/%Y")
    expected = [
        line_error("%(line)s: no article has the code %(code)s.", 2, code="NOPE"),
        line_error("%(line)s: no article has the GTIN %(gtin)s.", 3, gtin="3761009999991"),
        line_error("%(line)s: no article has the id %(id)s.", 4, id=999999),
        line_error("%(line)s: the article is blocked.", 5, "MACHINE"),
        line_error("%(line)s: this customer orders full cases only: %(quantity)s is not a multiple of %(case)s.",
                   6, "YAOURT", quantity="5", case="12"),
        line_error("%(line)s: the requested date %(date)s is in the past.", 7, "SUCRE", date=yesterday),
        line_error("%(line)s: the quantity must be more than zero.", 8, "SUCRE"),
        line_error("%(line)s: the quantity must be more than zero.", 9, "SUCRE"),
        line_error("%(line)s: name the article by exactly one of article, article_code or gtin.", 11),
    ]
    for message in expected:
        assert message in messages, (message, messages)
    # Line 10's quantity is not a number: DRF's own text, about the field "quantity".
    assert any(m.startswith(f"{line_name(10)}: quantity: ") for m in messages), messages
    assert len(messages) == len(expected) + 1  # one per bad line, none about line 1
    assert SalesOrder.objects.count() == 0 and SalesOrderLine.objects.count() == 0


@pytest.mark.parametrize("fault", ["blocked_customer", "past_date", "only_unknown_gtin"])
def test_bad_header_or_a_single_bad_line_is_refused_and_nothing_is_saved(shop, sales_api, today, fault):  # noqa: ANN001
    lines = [{"article_code": "SUCRE", "quantity": "2"}]
    header = {}
    if fault == "blocked_customer":
        shop["group"].is_blocked = True  # an ancestor blocked blocks the store
        customer_node_save(shop["group"])
    elif fault == "past_date":
        header["requested_date"] = today - timedelta(days=1)
    else:
        lines = [{"gtin": "0000000000000", "quantity": "1"}]

    response = sales_api.post(ORDERS, order_payload(shop, lines, **header), format="json")

    assert response.status_code == 400
    errors = response.json()["details"]["errors"]
    expected = {"blocked_customer": "customer", "past_date": "requested_date", "only_unknown_gtin": "lines"}[fault]
    assert list(errors) == [expected]
    if fault == "only_unknown_gtin":
        assert errors["lines"] == [line_error("%(line)s: no article has the GTIN %(gtin)s.", 1,
                                              gtin="0000000000000")]
    assert SalesOrder.objects.count() == 0


def test_the_callers_price_is_compared_never_used(shop, sales_api):  # noqa: ANN001
    body = create_order(sales_api, shop, [
        {"article_code": "SUCRE", "quantity": "10", "unit_price": "0.1000"},  # too cheap: ignored
        {"article_code": "YAOURT", "quantity": "12", "unit_price": "0.5000"},  # ours
        {"article_code": "SUCRE", "quantity": "1"},  # no price sent
    ])

    first, second, third = body["lines"]
    assert first["net_unit_price"] == "1.2000" and first["line_amount"] == "12.00"
    assert first["caller_unit_price"] == "0.1000" and first["caller_price_differs"] is True
    assert first["caller_price_flagged"] is True and first["caller_price_difference"] == "-1.1000"
    assert second["caller_price_differs"] is False and second["caller_price_flagged"] is False
    assert third["caller_unit_price"] is None and third["caller_price_difference"] is None
    assert body["caller_price_mismatches"] == [1]
    assert body["total_amount"] == "19.20"


# --------------------------------------------------------------------------- confirm, deliver


def test_confirm_reserves_fefo_and_reports_price_changes_and_short_lines(stocked, sales_api):  # noqa: ANN001
    order = create_order(sales_api, stocked, [
        {"article_code": "YAOURT", "quantity": "4", "packaging_level": "case"},  # 48 of 60
        {"article_code": "SUCRE", "quantity": "120"},  # 100 in stock: 20 short, kept as backorder
    ])
    PriceListItem.objects.filter(article=stocked["plain"]).update(unit_price=D("1.3500"))

    response = sales_api.post(f"{ORDERS}{order['id']}/confirm/")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["order"]["state"] == "confirmed" and body["order"]["number"].startswith("CDE")
    assert body["price_changes"] == [{"line": order["lines"][1]["id"], "position": 2, "article_code": "SUCRE",
                                      "keyed_net_unit_price": "1.2000", "net_unit_price": "1.3500"}]
    [short] = body["short_lines"]
    assert (short["position"], short["short_quantity"], short["cut"]) == (2, "20.000", False)
    assert "no stock" in short["reason"]
    yogurt_line, sugar_line = body["order"]["lines"]
    assert yogurt_line["reserved_quantity"] == "48.000" and yogurt_line["remaining_quantity"] == "48.000"
    assert sugar_line["reserved_quantity"] == "100.000" and sugar_line["price_changed"] is True
    lots = {r.balance.lot.number: r.quantity for r in Reservation.objects.filter(
        document_type="sales.order", document_id=str(order["id"]), article=stocked["yogurt"], status="active")}
    assert lots == {"L-A": D(36), "L-B": D(12)}  # first expiring first
    assert reserved(stocked["yogurt"]) == 48 and reserved(stocked["plain"]) == 100

    again = sales_api.post(f"{ORDERS}{order['id']}/confirm/")
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    assert reserved(stocked["yogurt"]) == 48


def test_pick_short_then_ship_twice_moves_stock_once(stocked, sales_api, warehouse_api):  # noqa: ANN001
    yogurt = stocked["yogurt"]
    order = create_order(sales_api, stocked, [{"article_code": "YAOURT", "quantity": "40"}])
    sales_api.post(f"{ORDERS}{order['id']}/confirm/")
    created = sales_api.post(f"{ORDERS}{order['id']}/deliveries/", {}, format="json")
    assert created.status_code == 201, created.json()
    delivery = created.json()
    assert [(row["location_code"], row["lot_number"], row["quantity"]) for row in delivery["picking_list"]] == [
        ("A-01", "L-A", "36.000"), ("B-01", "L-B", "4.000")]
    [delivery_line] = delivery["lines"]
    url = f"/api/sales/deliveries/{delivery['id']}/"

    bad = warehouse_api.post(f"{url}pick/", {"lines": [{"id": delivery_line["id"], "picked_quantity": "41"}]},
                             format="json")
    assert bad.status_code == 400 and bad.json()["details"]["errors"]["lines"] == [
        line_error("%(line)s: the picked quantity must be between 0 and %(max)s.", 1, "YAOURT", max="40.000")]
    picked = warehouse_api.post(f"{url}pick/", {"lines": [{"id": delivery_line["id"], "picked_quantity": "30"}]},
                                format="json")
    assert picked.status_code == 200 and picked.json()["state"] == "picked"
    assert picked.json()["lines"][0]["short_quantity"] == "10.000"
    first = warehouse_api.post(f"{url}ship/")
    second = warehouse_api.post(f"{url}ship/")

    assert first.status_code == 200 and second.status_code == 200
    assert first.json()["state"] == second.json()["state"] == "shipped"
    moves = StockMove.objects.filter(document_type="sales.delivery", document_id=delivery["number"])
    assert sum(m.quantity for m in moves) == 30 and moves.count() == 1  # 30 of L-A, once
    # The 10 not found go back to free stock; the order keeps them as a backorder.
    assert on_hand(yogurt) == 60 - 30 and reserved(yogurt) == 0
    assert [(row["lot_number"], row["quantity"]) for row in second.json()["picking_list"]] == [("L-A", "30.000")]
    detail = sales_api.get(f"{ORDERS}{order['id']}/").json()
    assert detail["state"] == "partially_delivered"
    assert detail["lines"][0]["delivered_quantity"] == "30.000"
    assert detail["lines"][0]["remaining_quantity"] == "10.000"
    assert [d["number"] for d in detail["deliveries"]] == [delivery["number"]]


def test_deliveries_are_listed_and_filtered(stocked, sales_api):  # noqa: ANN001
    order = create_order(sales_api, stocked, [{"article_code": "SUCRE", "quantity": "5"}])
    sales_api.post(f"{ORDERS}{order['id']}/confirm/")
    delivery = sales_api.post(f"{ORDERS}{order['id']}/deliveries/", {}, format="json").json()

    picking = sales_api.get("/api/sales/deliveries/", {"state": "picking"}).json()
    shipped = sales_api.get("/api/sales/deliveries/", {"state": "shipped"}).json()

    assert [row["number"] for row in picking["results"]] == [delivery["number"]]
    assert picking["results"][0]["order_number"] == Delivery.objects.get().order.number
    assert shipped["count"] == 0
    nothing = sales_api.post(f"{ORDERS}{order['id']}/deliveries/", {}, format="json")
    assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_to_deliver"


def test_the_delivery_note_is_a_pdf_once_shipped(stocked, sales_api):  # noqa: ANN001
    Company.objects.create(legal_name="Comptoir Test SAS", legal_form="SAS", share_capital=D("150000.00"),
                           rcs_city="Lyon", line1="1 rue du Port", postal_code="69007", city="Lyon",
                           siren="732829320")
    order = create_order(sales_api, stocked, [{"article_code": "YAOURT", "quantity": "12"}])
    sales_api.post(f"{ORDERS}{order['id']}/confirm/")
    delivery = sales_api.post(f"{ORDERS}{order['id']}/deliveries/", {}, format="json").json()
    url = f"/api/sales/deliveries/{delivery['id']}/"

    early = sales_api.get(f"{url}delivery-note/")
    sales_api.post(f"{url}ship/")
    note = sales_api.get(f"{url}delivery-note/")

    assert early.status_code == 409
    assert note.status_code == 200 and note["Content-Type"] == "application/pdf"
    assert note.content.startswith(b"%PDF")
    assert delivery["number"] in note["Content-Disposition"]


# --------------------------------------------------------------------------- changes


def test_lines_are_added_changed_and_cancelled_after_confirmation(stocked, sales_api):  # noqa: ANN001
    yogurt, plain = stocked["yogurt"], stocked["plain"]
    order = create_order(sales_api, stocked, [{"article_code": "YAOURT", "quantity": "24"}])
    sales_api.post(f"{ORDERS}{order['id']}/confirm/")
    line_url = f"/api/sales/order-lines/{order['lines'][0]['id']}/"

    less = sales_api.patch(line_url, {"quantity": "12"}, format="json")
    added = sales_api.post(f"{ORDERS}{order['id']}/lines/", {"article_code": "SUCRE", "quantity": "7"},
                           format="json")
    unknown = sales_api.post(f"{ORDERS}{order['id']}/lines/", {"gtin": "3761009999991", "quantity": "1"},
                             format="json")
    past = sales_api.patch(line_url, {"requested_date": str(_tomorrow() - timedelta(days=3))}, format="json")

    assert less.status_code == 200 and less.json()["reserved_quantity"] == "12.000"
    assert reserved(yogurt) == 12
    assert added.status_code == 201 and added.json()["position"] == 2
    assert added.json()["reserved_quantity"] == "7.000" and reserved(plain) == 7
    assert unknown.status_code == 400 and line_messages(unknown) == [
        line_error("%(line)s: no article has the GTIN %(gtin)s.", 3, gtin="3761009999991")]
    assert past.status_code == 400
    cancelled = sales_api.post(f"/api/sales/order-lines/{added.json()['id']}/cancel/")
    assert cancelled.status_code == 200
    assert [line["state"] for line in cancelled.json()["lines"]] == ["open", "cancelled"]
    assert reserved(plain) == 0
    assert SalesEvent.objects.filter(order_id=order["id"], kind="change").count() == 3


def test_cancel_releases_and_copy_makes_a_new_draft(stocked, sales_api):  # noqa: ANN001
    order = create_order(sales_api, stocked, [{"article_code": "YAOURT", "quantity": "24"}])
    sales_api.post(f"{ORDERS}{order['id']}/confirm/")
    assert reserved(stocked["yogurt"]) == 24

    cancelled = sales_api.post(f"{ORDERS}{order['id']}/cancel/", {"reason": "Client a annulé"}, format="json")
    copy = sales_api.post(f"{ORDERS}{order['id']}/copy/", {"requested_date": str(_tomorrow())}, format="json")

    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert reserved(stocked["yogurt"]) == 0
    assert copy.status_code == 201 and copy.json()["state"] == "draft" and copy.json()["id"] != order["id"]
    assert [line["quantity"] for line in copy.json()["lines"]] == ["24.000"]
    close = sales_api.post(f"{ORDERS}{order['id']}/close/", {}, format="json")
    assert close.status_code == 409 and close.json()["code"] == "invalid_transition"


def test_orders_are_filtered_by_state_customer_origin_and_lateness(stocked, sales_api, hierarchy):  # noqa: ANN001
    from trade.sales.services import LineInput, order_create

    draft = create_order(sales_api, stocked, [{"article_code": "SUCRE", "quantity": "1"}], customer_reference="A1")
    confirmed = create_order(sales_api, stocked, [{"article_code": "SUCRE", "quantity": "1"}])
    sales_api.post(f"{ORDERS}{confirmed['id']}/confirm/")
    late = order_create(ordering_node=stocked["store"], requested_date=_tomorrow(),
                        lines=[LineInput(article=stocked["plain"], quantity=D(1))])
    sales_api.post(f"{ORDERS}{late.pk}/confirm/")
    SalesOrder.objects.filter(pk=late.pk).update(requested_date=_tomorrow() - timedelta(days=5))

    def ids(**query) -> list[int]:  # noqa: ANN003
        response = sales_api.get(ORDERS, query)
        assert response.status_code == 200, response.json()
        return sorted(row["id"] for row in response.json()["results"])

    assert ids(state="draft") == [draft["id"]]
    assert ids(state=["confirmed", "draft"]) == sorted([draft["id"], confirmed["id"], late.pk])
    assert ids(late="true") == [late.pk]
    assert ids(late="false") == sorted([draft["id"], confirmed["id"]])
    assert ids(origin="back_office") == [late.pk]
    assert ids(customer=hierarchy["chain"].pk) == sorted([draft["id"], confirmed["id"], late.pk])
    assert ids(customer_reference="a1") == [draft["id"]]
    assert ids(requested_before=str(_tomorrow() - timedelta(days=1))) == [late.pk]
    assert sales_api.get(f"{ORDERS}{late.pk}/").json()["is_late"] is True


# --------------------------------------------------------------------------- idempotency


def test_an_idempotency_key_replays_the_answer_and_creates_once(shop, sales_api):  # noqa: ANN001
    payload = order_payload(shop, [{"article_code": "SUCRE", "quantity": "2"}])

    first = sales_api.post(ORDERS, payload, format="json", HTTP_IDEMPOTENCY_KEY="po-778")
    again = sales_api.post(ORDERS, payload, format="json", HTTP_IDEMPOTENCY_KEY="po-778")
    other = sales_api.post(ORDERS, {**payload, "notes": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="po-778")

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert SalesOrder.objects.count() == 1
    order_id = first.json()["id"]
    confirm = sales_api.post(f"{ORDERS}{order_id}/confirm/", HTTP_IDEMPOTENCY_KEY="confirm-1")
    replay = sales_api.post(f"{ORDERS}{order_id}/confirm/", HTTP_IDEMPOTENCY_KEY="confirm-1")
    assert confirm.status_code == replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert SalesEvent.objects.filter(order_id=order_id, to_state="confirmed").count() == 1


# --------------------------------------------------------------------------- quotes


def test_a_quote_is_sent_then_accepted_into_an_order_or_refused(shop, sales_api, warehouse_api):  # noqa: ANN001
    created = sales_api.post("/api/sales/quotes/", order_payload(shop, [
        {"article_code": "YAOURT", "quantity": "2", "packaging_level": "case"},
        {"article_code": "SUCRE", "quantity": "10", "unit_price": "1.0000"},
    ], customer_reference="RFQ-1"), format="json")
    assert created.status_code == 201, created.json()
    quote = created.json()
    assert quote["state"] == "draft" and quote["number"] == "" and quote["total_amount"] == "24.00"
    assert quote["lines"][1]["caller_price_differs"] is True
    url = f"/api/sales/quotes/{quote['id']}/"

    assert warehouse_api.post(f"{url}send/").status_code == 403
    early = sales_api.post(f"{url}accept/", {}, format="json")
    sent = sales_api.post(f"{url}send/")
    accepted = sales_api.post(f"{url}accept/", {}, format="json")

    assert early.status_code == 409
    assert sent.status_code == 200 and sent.json()["number"].startswith("DEV")
    assert accepted.status_code == 201, accepted.json()
    order = accepted.json()
    assert order["state"] == "draft" and order["quote"] == quote["id"]
    assert order["customer_reference"] == "RFQ-1"
    assert [(line["article_code"], line["quantity"]) for line in order["lines"]] == [
        ("YAOURT", "2.000"), ("SUCRE", "10.000")]
    assert sales_api.get(url).json()["order"] == order["id"]

    other = sales_api.post("/api/sales/quotes/", order_payload(shop, [{"article_code": "SUCRE", "quantity": "1"}]),
                           format="json").json()
    sales_api.post(f"/api/sales/quotes/{other['id']}/send/")
    refused = sales_api.post(f"/api/sales/quotes/{other['id']}/refuse/", {"reason": "Trop cher"}, format="json")
    assert refused.status_code == 200 and refused.json()["state"] == "refused"
    assert refused.json()["events"][-1]["message"] == "Trop cher"
    listed = sales_api.get("/api/sales/quotes/", {"state": "refused"}).json()
    assert [row["id"] for row in listed["results"]] == [other["id"]]
    bad = sales_api.post("/api/sales/quotes/", order_payload(shop, [{"article_code": "NOPE", "quantity": "1"}]),
                         format="json")
    assert bad.status_code == 400 and line_messages(bad) == [
        line_error("%(line)s: no article has the code %(code)s.", 1, code="NOPE")]
    assert Quote.objects.count() == 2


def test_lists_read_in_a_fixed_number_of_queries(stocked, sales_api):  # noqa: ANN001
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def documents(count: int) -> None:
        for _document in range(count):
            order = create_order(sales_api, stocked, [{"article_code": "SUCRE", "quantity": "1"}])
            sales_api.post(f"{ORDERS}{order['id']}/confirm/")
            sales_api.post(f"{ORDERS}{order['id']}/deliveries/", {}, format="json")
            quote = order_payload(stocked, [{"article_code": "SUCRE", "quantity": "1"}])
            assert sales_api.post("/api/sales/quotes/", quote, format="json").status_code == 201

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert sales_api.get(url).status_code == 200
        return len(captured)

    urls = (ORDERS, "/api/sales/deliveries/", "/api/sales/quotes/")
    documents(1)
    few = [queries(url) for url in urls]
    documents(4)
    many = [queries(url) for url in urls]

    assert many == few and min(few) > 0 and max(few) <= 6, (few, many)
