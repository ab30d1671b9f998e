"""The order and quote screens through the Django test client: permissions, the
entry endpoints the keyboard script calls (JSON with server-rendered rows), every
detail-page action, the list filters, the lookups, and nothing half-saved on refusal."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.sales.conftest import dlc

pytestmark = pytest.mark.django_db

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def _reserved(article) -> Decimal:  # noqa: ANN001
    from django.db.models import Sum

    from logistics.models import StockBalance

    return StockBalance.objects.filter(article=article).aggregate(total=Sum("reserved"))["total"] or Decimal(0)


@pytest.fixture
def sales(client_for, sales_user):  # noqa: ANN001, ANN201
    return client_for(sales_user)


@pytest.fixture
def gtins(shop):  # noqa: ANN001, ANN201
    """GTINs: the yogurt's case and the sugar's consumer unit."""
    from trade.models import Packaging

    case = Packaging.objects.get(article=shop["yogurt"], level="case")
    case.gtin = "03760000000017"
    case.save()
    sugar = Packaging.objects.create(article=shop["plain"], level="consumer_unit", quantity=Decimal(1),
                                     gtin="3760000000024")
    return {"yogurt_case": case.gtin, "sugar": sugar.gtin}


def _header(shop, tomorrow, **extra):  # noqa: ANN001, ANN003, ANN202
    data = {"customer": shop["store"].pk, "requested_date": tomorrow.isoformat(), "customer_reference": "PO-77",
            "warehouse": _warehouse_pk(), "notes": ""}
    data.update(extra)
    return data


def _warehouse_pk() -> int:
    from logistics.models import Warehouse

    return Warehouse.objects.get(code="LYON").pk


def _json(response):  # noqa: ANN001, ANN202
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    return json.loads(response.content)


def _draft(shop, line, tomorrow, *lines):  # noqa: ANN001, ANN002, ANN202
    from trade.sales.services import order_create

    return order_create(ordering_node=shop["store"], requested_date=tomorrow, lines=[line(*spec) for spec in lines])


# ---------------------------------------------------------------- access


def test_pages_need_a_login(client, shop, line, tomorrow):  # noqa: ANN001
    order = _draft(shop, line, tomorrow, (shop["plain"], 2))
    for url in (reverse("sales:order_list"), reverse("sales:order_create"),
                reverse("sales:order_detail", args=[order.pk]), reverse("sales:quote_list"),
                reverse("sales:lookup_articles") + "?q=SUC"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post(reverse("sales:order_line_add", args=[order.pk]), {"article": "SUCRE", "quantity": "1"})
    assert response.status_code == 302
    assert order.lines.count() == 1


def test_roles_without_the_permission_are_refused(client_for, make_user, warehouse_user, shop, line,  # noqa: ANN001
                                                  tomorrow):
    order = _draft(shop, line, tomorrow, (shop["plain"], 2))
    nobody = client_for(make_user())
    assert nobody.get(reverse("sales:order_list")).status_code == 403
    assert nobody.get(reverse("sales:order_detail", args=[order.pk])).status_code == 403
    # The warehouse reads orders but does not key or change them.
    warehouse = client_for(warehouse_user)
    assert warehouse.get(reverse("sales:order_list")).status_code == 200
    page = warehouse.get(reverse("sales:order_detail", args=[order.pk]))
    assert page.status_code == 200 and b'data-action="confirm"' not in page.content
    assert warehouse.get(reverse("sales:order_create")).status_code == 403
    for name in ("order_confirm", "order_cancel", "order_copy"):
        assert warehouse.post(reverse(f"sales:{name}", args=[order.pk])).status_code == 403, name
    assert warehouse.post(reverse("sales:order_line_add", args=[order.pk]),
                          {"article": "SUCRE", "quantity": "1"}, **FETCH).status_code == 403
    order.refresh_from_db()
    assert order.state == "draft" and order.lines.count() == 1


def test_the_sales_menu_shows_for_those_who_read_orders(sales, client_for, make_user, shop):  # noqa: ANN001
    page = sales.get(reverse("home")).content.decode()
    assert reverse("sales:order_list") in page and reverse("sales:order_create") in page
    assert reverse("sales:quote_list") in page
    nobody = client_for(make_user()).get(reverse("home")).content.decode()
    assert reverse("sales:order_list") not in nobody


# ---------------------------------------------------------------- lookups


def test_customer_lookup_by_code_name_and_gln(sales, shop):  # noqa: ANN001
    from trade.services import customer_node_save

    store = shop["store"]
    store.gln = "3012345000017"
    customer_node_save(store)
    by_code = _json(sales.get(reverse("sales:lookup_customers"), {"q": "MAG"}))["results"]
    assert by_code[0]["code"] == "MAG" and by_code[0]["id"] == store.pk
    by_name = _json(sales.get(reverse("sales:lookup_customers"), {"q": "plateforme"}))["results"]
    assert [hit["code"] for hit in by_name] == ["PF"]
    by_gln = _json(sales.get(reverse("sales:lookup_customers"), {"q": "3012345000017"}))["results"]
    assert [hit["code"] for hit in by_gln] == ["MAG"]
    assert _json(sales.get(reverse("sales:lookup_customers"), {"q": "M"}))["results"] == []


def test_article_lookup_by_code_gtin_and_designation(sales, shop, gtins):  # noqa: ANN001
    def lookup(query):  # noqa: ANN001, ANN202
        return _json(sales.get(reverse("sales:lookup_articles"), {"q": query}))["results"]

    by_code = lookup("sucre")
    assert by_code[0]["code"] == "SUCRE" and by_code[0]["exact"] and by_code[0]["level"] == ""
    by_gtin = lookup(gtins["yogurt_case"])
    assert by_gtin[0]["code"] == "YAOURT" and by_gtin[0]["level"] == "case" and by_gtin[0]["exact"]
    assert by_gtin[0]["packagings"] == [{"level": "case", "label": by_gtin[0]["packagings"][0]["label"],
                                         "quantity": "12"}]
    # A GTIN-13 keyed without its leading zero still finds the GTIN-14 stored.
    assert lookup("3760000000017")[0]["level"] == "case"
    by_fragment = lookup("café")
    assert [hit["code"] for hit in by_fragment] == ["MACHINE"] and not by_fragment[0]["exact"]
    assert lookup("zzz-nothing") == []


# ---------------------------------------------------------------- keying an order


def test_first_line_creates_the_draft_and_returns_its_row(sales, shop, gtins, receive, today, tomorrow):  # noqa: ANN001
    from trade.sales.models import SalesOrder

    yogurt = shop["yogurt"]
    receive(yogurt, 24, lot="L-SHORT", expiry=dlc(today, 5), location="A-01")
    receive(yogurt, 24, lot="L-GOOD", expiry=dlc(today, 20), location="A-02")
    store = shop["store"]
    store.min_shelf_life_value, store.min_shelf_life_unit = 10, "days"
    from trade.services import customer_node_save

    customer_node_save(store)
    # The GTIN of the case, no unit sent: the case is ordered.
    response = sales.post(reverse("sales:order_create"), {**_header(shop, tomorrow), "article": gtins["yogurt_case"],
                                                          "quantity": "3"}, **FETCH)
    body = _json(response)
    assert response.status_code == 200 and body["ok"]
    order = SalesOrder.objects.get()
    assert body["order"]["id"] == order.pk and body["order"]["edit_url"] == reverse("sales:order_edit",
                                                                                   args=[order.pk])
    assert order.state == "draft" and order.customer_reference == "PO-77" and order.delivery_node == shop["platform"]
    order_line = order.lines.get()
    assert (order_line.packaging_level, order_line.base_quantity) == ("case", Decimal(36))
    assert order_line.net_unit_price == Decimal("6.0000")
    row = body["lines_html"]
    assert f'data-entry-line="{order_line.pk}"' in row and "YAOURT" in row
    # FEFO skips the lot too short-dated for the store's 10 days and takes L-GOOD; 12 are missing.
    assert "L-GOOD" in row and "L-SHORT" not in row
    assert 'data-warning="short_dated"' in row
    assert 'data-breakdown' in row and 'data-step="gross"' in row and 'data-step="net"' in row
    assert "data-totals-count=\"1\"" in body["totals_html"]
    assert _reserved(yogurt) == 0  # a preview reserves nothing


def test_line_add_change_and_remove_through_the_entry_endpoints(sales, shop, gtins, line, receive,  # noqa: ANN001
                                                                tomorrow):
    plain = shop["plain"]
    receive(plain, 100)
    order = _draft(shop, line, tomorrow, (plain, 2))
    add = _json(sales.post(reverse("sales:order_line_add", args=[order.pk]),
                           {"article": gtins["sugar"], "quantity": "10"}, **FETCH))
    assert add["ok"] and 'data-position="2"' in add["row_html"]
    added = order.lines.get(position=2)
    assert (added.article, added.quantity, added.packaging_level) == (plain, Decimal(10), "consumer_unit")
    assert 'data-available' in add["row_html"] and ">100<" in add["row_html"]

    changed = _json(sales.post(reverse("sales:order_line_change", args=[order.pk, added.pk]), {"quantity": "2,5"},
                               **FETCH))
    assert changed["ok"]
    added.refresh_from_db()
    assert added.quantity == Decimal("2.5")

    refused = sales.post(reverse("sales:order_line_change", args=[order.pk, added.pk]), {"quantity": "0"}, **FETCH)
    assert refused.status_code == 400 and any("SUCRE" in error for error in _json(refused)["errors"])
    added.refresh_from_db()
    assert added.quantity == Decimal("2.5")

    removed = _json(sales.post(reverse("sales:order_line_cancel", args=[order.pk, added.pk]), **FETCH))
    assert removed["ok"] and removed["removed"]
    assert list(order.lines.values_list("position", flat=True)) == [1]
    order.refresh_from_db()
    assert order.total_amount == Decimal("2.40")


def test_a_bad_line_is_refused_by_name_and_nothing_is_saved(sales, shop, line, today, tomorrow):  # noqa: ANN001
    from trade.sales.models import SalesOrder
    from trade.services import article_save

    unknown = sales.post(reverse("sales:order_create"), {**_header(shop, tomorrow), "article": "NOPE",
                                                         "quantity": "1"}, **FETCH)
    assert unknown.status_code == 400 and "NOPE" in _json(unknown)["errors"][0]
    past = sales.post(reverse("sales:order_create"), {**_header(shop, tomorrow - timedelta(days=3)),
                                                      "article": "SUCRE", "quantity": "1"}, **FETCH)
    assert past.status_code == 400 and "requested_date" in _json(past)["fields"]
    no_customer = sales.post(reverse("sales:order_create"), {**_header(shop, tomorrow, customer=""),
                                                             "article": "SUCRE", "quantity": "1"}, **FETCH)
    assert no_customer.status_code == 400 and "customer" in _json(no_customer)["fields"]
    not_a_number = sales.post(reverse("sales:order_create"), {**_header(shop, tomorrow), "article": "SUCRE",
                                                              "quantity": "douze"}, **FETCH)
    assert not_a_number.status_code == 400
    assert SalesOrder.objects.count() == 0

    order = _draft(shop, line, tomorrow, (shop["plain"], 2))
    machine = shop["machine"]
    machine.status = "blocked"
    article_save(machine)
    blocked = sales.post(reverse("sales:order_line_add", args=[order.pk]), {"article": "MACHINE", "quantity": "1"},
                         **FETCH)
    assert blocked.status_code == 400 and "MACHINE" in _json(blocked)["errors"][0]
    # Several lines (the usual assortment) go in all together or not at all.
    several = sales.post(reverse("sales:order_line_add", args=[order.pk]), {
        "article": ["SUCRE", "YAOURT"], "quantity": ["5", "-1"], "packaging_level": ["", ""]}, **FETCH)
    assert several.status_code == 400 and any("YAOURT" in error for error in _json(several)["errors"])
    assert order.lines.count() == 1
    # Without the script the same refusal comes back as a message on the page.
    page = sales.post(reverse("sales:order_line_add", args=[order.pk]), {"article": "NOPE", "quantity": "1"},
                      follow=True)
    assert b"NOPE" in page.content and b"msg-error" in page.content


def test_header_change_reprices_the_draft(sales, shop, line, tomorrow):  # noqa: ANN001
    from pricing.models import PriceListItem
    from tests import factories
    from trade.services import customer_node_save

    order = _draft(shop, line, tomorrow, (shop["plain"], 10))
    other_list = factories.PriceListFactory(code="AUTRE", name="Autre tarif")
    PriceListItem.objects.create(price_list=other_list, article=shop["plain"], unit_price=Decimal("2.0000"))
    other = factories.CustomerNodeFactory(kind="chain", code="ENS2", name="Autre enseigne", price_list=other_list)
    customer_node_save(other)
    later = tomorrow + timedelta(days=7)
    response = _json(sales.post(reverse("sales:order_header", args=[order.pk]), {
        **_header(shop, later, customer=other.pk, customer_reference="PO-78")}, **FETCH))
    assert response["ok"] and set(response["changed"]) >= {"ordering_node", "requested_date", "customer_reference"}
    order.refresh_from_db()
    assert (order.ordering_node, order.delivery_node, order.requested_date) == (other, other, later)
    assert order.lines.get().net_unit_price == Decimal("2.0000") and order.total_amount == Decimal("20.00")
    assert "20,00" in response["totals_html"] or "20.00" in response["totals_html"]


def test_entry_page_and_customer_panel(sales, shop, line, receive, tomorrow):  # noqa: ANN001
    from trade.sales.services import order_confirm

    receive(shop["plain"], 100)
    confirmed = _draft(shop, line, tomorrow, (shop["plain"], 7))
    order_confirm(confirmed)
    page = sales.get(reverse("sales:order_create")).content.decode()
    assert 'data-entry="order"' in page and 'id="entry-article"' in page and "accesskey=" in page
    panel = sales.get(reverse("sales:order_customer_panel"), {"customer": shop["store"].pk}).content.decode()
    assert f'data-delivery-id="{shop["platform"].pk}"' in panel  # delivered via its platform
    assert f'data-recent-order="{confirmed.pk}"' in panel
    assert 'data-assortment-item="SUCRE"' in panel
    # A draft opens in the entry grid; a confirmed order opens its page.
    draft = _draft(shop, line, tomorrow, (shop["plain"], 1))
    edit = sales.get(reverse("sales:order_edit", args=[draft.pk]))
    assert edit.status_code == 200 and b'data-entry-line=' in edit.content
    assert sales.get(reverse("sales:order_edit", args=[confirmed.pk]))["Location"] == reverse(
        "sales:order_detail", args=[confirmed.pk])


def test_usual_assortment_counts_orders_and_keeps_the_last_quantity(shop, line, receive, tomorrow):  # noqa: ANN001
    from trade.sales.selectors.orders import usual_assortment
    from trade.sales.services import order_cancel, order_confirm

    receive(shop["plain"], 100)
    receive(shop["machine"], 2, serials=["S1", "S2"])
    first = _draft(shop, line, tomorrow, (shop["plain"], 5), (shop["machine"], 1))
    order_confirm(first)
    second = _draft(shop, line, tomorrow, (shop["plain"], 8))
    order_confirm(second)
    _draft(shop, line, tomorrow, (shop["yogurt"], 1, "case"))  # a draft does not count
    cancelled = _draft(shop, line, tomorrow, (shop["yogurt"], 2, "case"))
    order_cancel(cancelled)
    items = usual_assortment(shop["store"])
    assert [(item.article.code, item.times_ordered, item.last_quantity) for item in items] == [
        ("SUCRE", 2, Decimal(8)), ("MACHINE", 1, Decimal(1))]
    assert usual_assortment(shop["platform"]) == []


def test_assortment_lines_create_the_draft_in_one_go(sales, shop, tomorrow):  # noqa: ANN001
    from trade.sales.models import SalesOrder

    body = _json(sales.post(reverse("sales:order_create"), {
        **_header(shop, tomorrow), "article_id": [shop["plain"].pk, shop["yogurt"].pk], "article": ["", ""],
        "quantity": ["4", "2"], "packaging_level": ["", "case"]}, **FETCH))
    assert body["ok"]
    order = SalesOrder.objects.get()
    assert [(line.article.code, line.base_quantity) for line in order.lines.order_by("position")] == [
        ("SUCRE", Decimal(4)), ("YAOURT", Decimal(24))]
    assert body["lines_html"].count("data-entry-line=") == 2


# ---------------------------------------------------------------- confirmation and the detail page


def test_confirm_shows_price_changes_and_short_lines(sales, shop, line, receive, today, tomorrow):  # noqa: ANN001
    from pricing.models import PriceListItem

    plain, yogurt = shop["plain"], shop["yogurt"]
    receive(plain, 100)
    receive(yogurt, 12, lot="Y1", expiry=dlc(today, 20))
    order = _draft(shop, line, tomorrow, (plain, 10), (yogurt, 2, "case"))
    PriceListItem.objects.filter(article=plain).update(unit_price=Decimal("1.3500"))
    response = sales.post(reverse("sales:order_confirm", args=[order.pk]),
                          {"next": reverse("sales:order_edit", args=[order.pk])}, follow=True)
    order.refresh_from_db()
    assert order.state == "confirmed" and order.number.startswith("CDE")
    assert response.redirect_chain[-1][0] == reverse("sales:order_detail", args=[order.pk])
    page = response.content.decode()
    plain_line, yogurt_line = order.lines.order_by("position")
    assert f'data-price-change="{plain_line.pk}"' in page and "1,2000" in page and "1,3500" in page
    assert f'data-short-line="{yogurt_line.pk}"' in page and 'data-short-kind="backorder"' in page
    assert "msg-warning" in page  # the confirmation's own report
    assert 'data-held-lot="Y1"' in page
    assert 'data-event="transition"' in page and 'data-event="price"' in page and 'data-event="stock"' in page


def test_confirm_refusals_are_clear_errors(sales, shop, line, receive, tomorrow):  # noqa: ANN001
    from trade.sales.services import order_confirm
    from trade.services import customer_node_save

    store, machine = shop["store"], shop["machine"]
    receive(machine, 3, serials=["S1", "S2", "S3"])
    store.credit_limit = Decimal("150.00")
    customer_node_save(store)
    order_confirm(_draft(shop, line, tomorrow, (machine, 1)))
    second = _draft(shop, line, tomorrow, (machine, 1))
    edit_url = reverse("sales:order_edit", args=[second.pk])
    page = sales.post(reverse("sales:order_confirm", args=[second.pk]), {"next": edit_url}, follow=True)
    assert page.redirect_chain[-1][0] == edit_url
    assert b"msg-error" in page.content and b"150" in page.content
    second.refresh_from_db()
    assert second.state == "draft" and second.number == "" and _reserved(machine) == 1

    group = shop["group"]
    group.is_blocked = True
    customer_node_save(group)
    blocked = sales.post(reverse("sales:order_confirm", args=[second.pk]), follow=True)
    assert b"msg-error" in blocked.content and b"MAG" in blocked.content
    second.refresh_from_db()
    assert second.state == "draft"


def test_detail_actions_after_confirmation(sales, shop, line, receive, today, tomorrow):  # noqa: ANN001
    from trade.sales.models import Delivery, SalesOrder
    from trade.sales.services import order_confirm

    plain, yogurt = shop["plain"], shop["yogurt"]
    receive(plain, 20)
    receive(yogurt, 24, lot="Y1", expiry=dlc(today, 20))
    order = _draft(shop, line, tomorrow, (plain, 30))
    order_confirm(order)
    detail = reverse("sales:order_detail", args=[order.pk])
    assert 'data-action="backorders"' in sales.get(detail).content.decode()
    plain_line = order.lines.get()

    # change a line after confirmation: the reservation follows
    sales.post(reverse("sales:order_line_change", args=[order.pk, plain_line.pk]),
               {"quantity": "15", "requested_date": (tomorrow + timedelta(days=1)).isoformat()})
    plain_line.refresh_from_db()
    assert plain_line.quantity == 15 and plain_line.requested_date == tomorrow + timedelta(days=1)
    assert _reserved(plain) == 15
    # add a line: reserved at once
    sales.post(reverse("sales:order_line_add", args=[order.pk]), {"article": "YAOURT", "quantity": "1",
                                                                  "packaging_level": "case"})
    yogurt_line = order.lines.get(article=yogurt)
    assert _reserved(yogurt) == 12
    # cancel that line: released
    sales.post(reverse("sales:order_line_cancel", args=[order.pk, yogurt_line.pk]))
    yogurt_line.refresh_from_db()
    assert yogurt_line.state == "cancelled" and _reserved(yogurt) == 0
    # more than the stock, then stock arrives: reserve the backorder again
    sales.post(reverse("sales:order_line_change", args=[order.pk, plain_line.pk]), {"quantity": "25"})
    assert _reserved(plain) == 20
    receive(plain, 10)
    sales.post(reverse("sales:order_backorders_reserve", args=[order.pk]))
    assert _reserved(plain) == 25
    # a delivery of everything held
    response = sales.post(reverse("sales:order_delivery_create", args=[order.pk]))
    delivery = Delivery.objects.get(order=order)
    assert response.status_code == 302 and response["Location"] == reverse("sales:delivery_detail", args=[delivery.pk])
    page = sales.get(detail).content.decode()
    assert f'data-delivery="{delivery.number}"' in page
    # the order has shipped nothing: it cannot be closed, it can be cancelled
    refused = sales.post(reverse("sales:order_close", args=[order.pk]), follow=True)
    assert b"msg-error" in refused.content
    sales.post(reverse("sales:order_cancel", args=[order.pk]), {"reason": "Customer changed their mind"})
    order.refresh_from_db()
    assert order.state == "cancelled" and _reserved(plain) == 0
    assert order.events.filter(to_state="cancelled", message="Customer changed their mind").exists()
    # copy it into a new draft
    response = sales.post(reverse("sales:order_copy", args=[order.pk]))
    copy = SalesOrder.objects.exclude(pk=order.pk).get()
    assert response["Location"] == reverse("sales:order_edit", args=[copy.pk])
    assert copy.state == "draft" and [line.quantity for line in copy.lines.all()] == [Decimal(25)]


def test_close_after_a_partial_delivery(sales, shop, line, receive, tomorrow):  # noqa: ANN001
    from trade.sales.services import delivery_create, delivery_ship, order_confirm

    plain = shop["plain"]
    receive(plain, 5)
    order = _draft(shop, line, tomorrow, (plain, 8))
    order_confirm(order)
    delivery_ship(delivery_create(order))
    order.refresh_from_db()
    assert order.state == "partially_delivered"
    assert 'data-action="close-open"' in sales.get(reverse("sales:order_detail", args=[order.pk])).content.decode()
    sales.post(reverse("sales:order_close", args=[order.pk]), {"reason": "Rest not needed"})
    order.refresh_from_db()
    assert order.state == "closed" and order.lines.get().cut_quantity == 3


# ---------------------------------------------------------------- the list


def test_order_list_filters(sales, shop, line, receive, today, tomorrow):  # noqa: ANN001
    from trade.sales.models import OrderOrigin, SalesOrder
    from trade.sales.services import order_confirm, order_create

    receive(shop["plain"], 100)
    late = _draft(shop, line, tomorrow, (shop["plain"], 1))
    order_confirm(late)
    SalesOrder.objects.filter(pk=late.pk).update(requested_date=today - timedelta(days=2), customer_reference="X-9")
    draft = _draft(shop, line, tomorrow, (shop["plain"], 1))
    edi = order_create(ordering_node=shop["platform"], requested_date=tomorrow, lines=[line(shop["plain"], 1)],
                       origin=OrderOrigin.EDI)

    def listed(**params):  # noqa: ANN003, ANN202
        response = sales.get(reverse("sales:order_list"), params)
        assert response.status_code == 200
        return {order.pk for order in response.context["orders"]}

    assert listed() == {late.pk, draft.pk, edi.pk}
    assert listed(state="draft") == {draft.pk, edi.pk}
    assert listed(late="on") == {late.pk}
    assert listed(origin="edi") == {edi.pk}
    assert listed(customer="MAG") == {late.pk, draft.pk}
    assert listed(customer="PF") == {late.pk, draft.pk, edi.pk}  # delivered to the platform too
    assert listed(customer="NOBODY") == set()
    assert listed(q="X-9") == {late.pk}
    late.refresh_from_db()
    assert listed(q=late.number) == {late.pk}
    assert listed(requested_to=(today - timedelta(days=1)).isoformat()) == {late.pk}
    assert listed(created_from=today.isoformat(), created_to=today.isoformat()) == {late.pk, draft.pk, edi.pk}
    assert listed(created_from=tomorrow.isoformat()) == set()
    page = sales.get(reverse("sales:order_list"), {"late": "on"}).content.decode()
    assert reverse("sales:order_detail", args=[late.pk]) in page and "data-late" in page


def test_order_list_is_paginated(sales, shop, line, tomorrow):  # noqa: ANN001
    from trade.sales.services import order_create

    for _index in range(51):
        order_create(ordering_node=shop["store"], requested_date=tomorrow, lines=[])
    first = sales.get(reverse("sales:order_list"))
    assert len(first.context["orders"]) == 50 and first.context["page_obj"].paginator.num_pages == 2
    assert len(sales.get(reverse("sales:order_list"), {"page": 2}).context["orders"]) == 1


# ---------------------------------------------------------------- FEFO preview


def test_fefo_preview_reads_without_reserving(shop, receive, today, tomorrow):  # noqa: ANN001
    from logistics.models import Reservation
    from logistics.selectors import fefo_preview
    from trade.services import customer_node_save

    yogurt, store = shop["yogurt"], shop["store"]
    store.min_shelf_life_value, store.min_shelf_life_unit = 10, "days"
    customer_node_save(store)
    receive(yogurt, 10, lot="OLD", expiry=dlc(today, 5))
    receive(yogurt, 10, lot="A", expiry=dlc(today, 15), location="A-02")
    receive(yogurt, 10, lot="B", expiry=dlc(today, 25), location="B-01")
    from logistics.models import Warehouse

    warehouse = Warehouse.objects.get(code="LYON")
    preview = fefo_preview(yogurt, Decimal(24), warehouse=warehouse, customer_node=store, delivery_date=tomorrow)
    assert [(pick.lot_number, pick.quantity, pick.expiry_kind) for pick in preview.picks] == [
        ("A", Decimal(10), "dlc"), ("B", Decimal(10), "dlc")]
    assert preview.quantity_short == 4 and preview.shortfall_reasons == ("too_short_dated",)
    from trade.sales.services.orders import shortfall_text

    assert "4" in shortfall_text(preview.plan)
    assert Reservation.objects.count() == 0 and _reserved(yogurt) == 0
    # Without the customer's rule the old lot comes first.
    loose = fefo_preview(yogurt, Decimal(5), warehouse=warehouse, customer_node=None, delivery_date=tomorrow)
    assert [pick.lot_number for pick in loose.picks] == ["OLD"]
    assert fefo_preview(shop["machine"], Decimal("1.5"), warehouse=warehouse, customer_node=None,
                        delivery_date=tomorrow) is None


# ---------------------------------------------------------------- quotes


def test_quote_entry_preview_create_send_accept(sales, shop, line, tomorrow, today):  # noqa: ANN001
    from trade.sales.models import Quote

    header = {"customer": shop["store"].pk, "requested_date": tomorrow.isoformat(),
              "valid_until": (today + timedelta(days=30)).isoformat(), "customer_reference": "RFQ-1", "notes": ""}
    assert sales.get(reverse("sales:quote_create")).status_code == 200
    preview = _json(sales.post(reverse("sales:quote_line_preview"), {**header, "article": "SUCRE", "quantity": "6",
                                                                      "position": "1"}, **FETCH))
    assert preview["ok"] and 'name="article_id"' in preview["row_html"] and 'data-step="net"' in preview["row_html"]
    bad = sales.post(reverse("sales:quote_line_preview"), {**header, "article": "SUCRE", "quantity": "-1"}, **FETCH)
    assert bad.status_code == 400 and "SUCRE" in _json(bad)["errors"][0]
    assert Quote.objects.count() == 0

    refused = sales.post(reverse("sales:quote_create"), {**header, "article_id": [shop["plain"].pk, ""],
                                                         "article": ["SUCRE", "NOPE"], "quantity": ["6", "1"],
                                                         "packaging_level": ["", ""]})
    assert refused.status_code == 200 and b"NOPE" in refused.content and Quote.objects.count() == 0

    response = sales.post(reverse("sales:quote_create"), {**header, "article_id": [shop["plain"].pk],
                                                          "article": ["SUCRE"], "quantity": ["6"],
                                                          "packaging_level": [""]})
    quote = Quote.objects.get()
    assert response["Location"] == reverse("sales:quote_detail", args=[quote.pk])
    assert quote.total_amount == Decimal("7.20") and quote.customer_reference == "RFQ-1"
    page = sales.get(reverse("sales:quote_detail", args=[quote.pk])).content.decode()
    assert 'data-action="send"' in page and "data-breakdown" in page
    sales.post(reverse("sales:quote_send", args=[quote.pk]))
    quote.refresh_from_db()
    assert quote.state == "sent" and quote.number.startswith("DEV")
    response = sales.post(reverse("sales:quote_accept", args=[quote.pk]))
    quote.refresh_from_db()
    assert quote.state == "accepted"
    assert response["Location"] == reverse("sales:order_detail", args=[quote.order.pk])
    assert sales.get(reverse("sales:quote_list"), {"state": "accepted"}).context["quotes"][0] == quote


def test_quote_refusal_and_a_refused_transition(sales, shop, line, tomorrow):  # noqa: ANN001
    from trade.sales.services import quote_create, quote_send

    quote = quote_send(quote_create(ordering_node=shop["store"], requested_date=tomorrow,
                                    lines=[line(shop["plain"], 2)]))
    again = sales.post(reverse("sales:quote_send", args=[quote.pk]), follow=True)
    assert b"msg-error" in again.content
    sales.post(reverse("sales:quote_refuse", args=[quote.pk]), {"reason": "Too expensive"})
    quote.refresh_from_db()
    assert quote.state == "refused" and quote.events.filter(message="Too expensive").exists()
