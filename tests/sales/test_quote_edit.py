"""A draft quote corrected before it is sent: the service (lines replaced and priced
again, the change recorded, nothing written on refusal), the edit page and the API
(``PUT`` / ``PATCH``), each refused once the quote is sent or without the permission."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from rest_framework.fields import Field
from rest_framework.test import APIClient

from comptoir.exceptions import InvalidTransition, ValidationFailed
from pricing.models import PriceListItem
from trade.sales.models import Quote, QuoteLine, SalesEvent
from trade.sales.services import quote_create, quote_send, quote_update

pytestmark = pytest.mark.django_db
D = Decimal


def _quote(shop, line, tomorrow, *lines, **header) -> Quote:  # noqa: ANN001, ANN003
    return quote_create(ordering_node=shop["store"], requested_date=tomorrow,
                        lines=[line(*spec) for spec in lines] or [line(shop["plain"], 2)], **header)


def _lines(quote: Quote) -> list[tuple]:
    return [(row.position, row.article.code, row.quantity, row.packaging_level, row.net_unit_price, row.line_amount)
            for row in quote.lines.select_related("article").order_by("position")]


def _snapshot(quote: Quote) -> tuple:
    """Everything a refused change must leave as it was."""
    quote = Quote.objects.get(pk=quote.pk)
    header = (quote.state, quote.ordering_node_id, quote.delivery_node_id, quote.invoicing_node_id,
              quote.customer_reference, quote.requested_date, quote.valid_until, quote.notes, quote.total_amount)
    return header, list(quote.lines.order_by("position").values_list("pk", "article_id", "quantity",
                                                                       "line_amount")), quote.events.count()


def _line_text(message: str, position: int, article: str, **values) -> str:  # noqa: ANN003
    """A refused line's text in the active language, as the services build it."""
    label = _("Line %(position)s (%(article)s)") % {"position": position, "article": article}
    return _(message) % {"line": label, **values}


def _reprice(shop, article_key: str, price: str) -> None:  # noqa: ANN001
    PriceListItem.objects.filter(price_list=shop["price_list"], article=shop[article_key]).update(
        unit_price=D(price))


# ---------------------------------------------------------------- service


def test_quote_update_replaces_the_lines_priced_today_and_records_the_change(shop, line, tomorrow,  # noqa: ANN001
                                                                             sales_user):
    quote = _quote(shop, line, tomorrow, (shop["plain"], 2), customer_reference="RFQ-1")
    old_ids = set(quote.lines.values_list("pk", flat=True))
    assert quote.total_amount == D("2.40")
    _reprice(shop, "plain", "1.5000")  # the sugar's price moved since the quote was keyed

    later = tomorrow + timedelta(days=1)
    changed = quote_update(quote, lines=[line(shop["yogurt"], 2, "case"), line(shop["plain"], 10)],
                           requested_date=later, customer_reference="RFQ-2", notes="Call first",
                           user=sales_user)

    quote.refresh_from_db()
    assert changed.pk == quote.pk and quote.state == "draft" and quote.number == ""
    assert _lines(quote) == [
        (1, "YAOURT", D("2.000"), "case", D("6.0000"), D("12.00")),
        (2, "SUCRE", D("10.000"), "", D("1.5000"), D("15.00")),
    ]
    assert not old_ids & set(quote.lines.values_list("pk", flat=True))
    assert QuoteLine.objects.filter(pk__in=old_ids).count() == 0
    assert quote.total_amount == D("27.00")
    assert (quote.customer_reference, quote.notes, quote.requested_date) == ("RFQ-2", "Call first", later)
    event = quote.events.order_by("at", "pk").last()
    assert (event.kind, event.message, event.user) == (SalesEvent.Kind.CHANGE, _("Quote changed."), sales_user)
    assert event.data == {
        "before": {"customer_reference": "RFQ-1", "requested_date": tomorrow.isoformat(), "notes": "",
                   "total_amount": "2.40", "lines": 1},
        "after": {"customer_reference": "RFQ-2", "requested_date": later.isoformat(), "notes": "Call first",
                  "total_amount": "27.00", "lines": 2},
    }


def test_quote_update_keeps_the_validity_date_unless_given_and_refuses_a_past_one(shop, line, tomorrow,  # noqa: ANN001
                                                                                  today):
    quote = _quote(shop, line, tomorrow, valid_until=today + timedelta(days=10))

    quote_update(quote, lines=[line(shop["plain"], 3)], requested_date=tomorrow)
    quote.refresh_from_db()
    assert quote.valid_until == today + timedelta(days=10)
    before = _snapshot(quote)
    with pytest.raises(ValidationFailed) as refused:
        quote_update(quote, lines=[line(shop["plain"], 4)], requested_date=tomorrow,
                     valid_until=today - timedelta(days=1))
    assert refused.value.errors == {"valid_until": [_("A quote cannot be valid until a past date.")]}
    assert _snapshot(quote) == before


def test_quote_update_of_a_sent_quote_is_refused_and_changes_nothing(shop, line, tomorrow):  # noqa: ANN001
    quote = quote_send(_quote(shop, line, tomorrow, (shop["plain"], 2)))
    before = _snapshot(quote)

    with pytest.raises(InvalidTransition) as refused:
        quote_update(quote, lines=[line(shop["plain"], 5)], requested_date=tomorrow, notes="too late")

    assert refused.value.message == _("Only a draft quote can be changed.")
    assert _snapshot(quote) == before


def test_a_bad_line_refuses_the_update_naming_it_and_changes_nothing(shop, line, tomorrow):  # noqa: ANN001
    quote = _quote(shop, line, tomorrow, (shop["plain"], 2), customer_reference="RFQ-1")
    before = _snapshot(quote)

    with pytest.raises(ValidationFailed) as refused:
        quote_update(quote, lines=[line(shop["plain"], 3), line(shop["yogurt"], 0)], requested_date=tomorrow,
                     customer_reference="RFQ-2")

    assert refused.value.errors == {"lines": [
        _line_text("%(line)s: the quantity must be more than zero.", 2, "YAOURT")]}
    assert _snapshot(quote) == before


def test_quote_update_locks_the_quote_before_writing(shop, line, tomorrow):  # noqa: ANN001
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    quote = _quote(shop, line, tomorrow)

    with CaptureQueriesContext(connection) as captured:
        quote_update(quote, lines=[line(shop["plain"], 4)], requested_date=tomorrow)

    statements = [query["sql"] for query in captured.captured_queries]
    locked = next(i for i, sql in enumerate(statements) if 'FROM "sales_quote"' in sql and "FOR UPDATE" in sql)
    first_write = next(i for i, sql in enumerate(statements) if sql.startswith(("DELETE", "UPDATE", "INSERT", "COPY")))
    assert locked < first_write


def test_quote_update_with_no_line_is_refused(shop, line, tomorrow):  # noqa: ANN001
    quote = _quote(shop, line, tomorrow)
    before = _snapshot(quote)

    with pytest.raises(ValidationFailed) as refused:
        quote_update(quote, lines=[], requested_date=tomorrow)

    assert refused.value.errors == {"lines": [_("A quote needs at least one line.")]}
    assert _snapshot(quote) == before


# ---------------------------------------------------------------- screen


@pytest.fixture
def sales(client_for, sales_user):  # noqa: ANN001, ANN201
    return client_for(sales_user)


def _form(shop, tomorrow, today, lines, **header) -> dict:  # noqa: ANN001, ANN003
    """The edit page's POST: the header, then the lines as the grid's hidden inputs carry them."""
    data = {"customer": shop["store"].pk, "requested_date": tomorrow.isoformat(),
            "valid_until": (today + timedelta(days=20)).isoformat(), "customer_reference": "RFQ-2",
            "delivery_node": "", "invoicing_node": "", "notes": "", **header}
    data.update(article_id=[article.pk for article, _q, _l in lines], article=[article.code for article, _q, _l in lines],
                quantity=[quantity for _a, quantity, _l in lines], packaging_level=[level for _a, _q, level in lines])
    return data


def test_the_detail_page_offers_edit_on_a_draft_only(sales, client_for, warehouse_user, shop, line,  # noqa: ANN001
                                                     tomorrow):
    quote = _quote(shop, line, tomorrow)
    edit_url = reverse("sales:quote_update", args=[quote.pk])
    assert edit_url == f"/sales/quotes/{quote.pk}/edit/"

    page = sales.get(reverse("sales:quote_detail", args=[quote.pk])).content.decode()
    assert 'data-action="edit"' in page and f'href="{edit_url}"' in page
    watcher = client_for(warehouse_user).get(reverse("sales:quote_detail", args=[quote.pk])).content.decode()
    assert 'data-action="edit"' not in watcher
    quote_send(quote)
    sent = sales.get(reverse("sales:quote_detail", args=[quote.pk])).content.decode()
    assert 'data-action="edit"' not in sent


def test_the_edit_page_is_prefilled_with_the_quote_header_and_lines(sales, shop, line, tomorrow, today):  # noqa: ANN001
    quote = _quote(shop, line, tomorrow, (shop["plain"], 6), (shop["yogurt"], 2, "case"),
                   customer_reference="RFQ-1", notes="Urgent", valid_until=today + timedelta(days=15))

    response = sales.get(reverse("sales:quote_update", args=[quote.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    form = response.context["form"]
    assert form.initial == {
        "customer": shop["store"].pk, "requested_date": tomorrow, "valid_until": today + timedelta(days=15),
        "customer_reference": "RFQ-1", "delivery_node": quote.delivery_node_id,
        "invoicing_node": quote.invoicing_node_id, "notes": "Urgent",
    }
    assert f'action="{reverse("sales:quote_update", args=[quote.pk])}"' in page
    assert 'value="RFQ-1"' in page and "Urgent</textarea>" in page
    assert f'value="{shop["store"].code} — {shop["store"].name}"' in page
    assert [(row.position, row.article.code, row.quantity, row.packaging_level, row.line_amount)
            for row in response.context["lines"]] == [
        (1, "SUCRE", D("6.000"), "", D("7.20")), (2, "YAOURT", D("2.000"), "case", D("12.00"))]
    assert f'name="article_id" value="{shop["plain"].pk}"' in page
    assert f'name="article_id" value="{shop["yogurt"].pk}"' in page
    assert response.context["errors"] == []
    assert _("Save the quote") in page and _("Create the quote") not in page
    new_page = sales.get(reverse("sales:quote_create")).content.decode()
    assert _("Create the quote") in new_page and f'action="{reverse("sales:quote_create")}"' in new_page


def test_posting_the_edit_page_saves_through_quote_update(sales, sales_user, shop, line, tomorrow, today):  # noqa: ANN001
    quote = _quote(shop, line, tomorrow, (shop["plain"], 6), customer_reference="RFQ-1")
    url = reverse("sales:quote_update", args=[quote.pk])

    response = sales.post(url, _form(shop, tomorrow, today, [(shop["yogurt"], "1", "case"), (shop["plain"], "10", "")],
                                     notes="Call first"))

    assert response.status_code == 302 and response["Location"] == reverse("sales:quote_detail", args=[quote.pk])
    quote.refresh_from_db()
    assert [(row[1], row[2], row[3]) for row in _lines(quote)] == [("YAOURT", D("1.000"), "case"),
                                                                   ("SUCRE", D("10.000"), "")]
    assert quote.total_amount == D("18.00")
    assert (quote.customer_reference, quote.notes, quote.valid_until) == (
        "RFQ-2", "Call first", today + timedelta(days=20))
    event = quote.events.order_by("at", "pk").last()
    assert event.kind == SalesEvent.Kind.CHANGE and event.user == sales_user
    detail = sales.get(response["Location"]).content.decode()
    assert escape(_("Quote %(number)s changed.") % {"number": quote.display_number}) in detail


def test_an_on_screen_edit_keeps_a_lines_own_date_and_the_customers_price(sales, shop, tomorrow):  # noqa: ANN001
    from trade.sales.services import LineInput

    later = tomorrow + timedelta(days=3)
    quote = quote_create(ordering_node=shop["store"], requested_date=tomorrow, lines=[
        LineInput(article=shop["plain"], quantity=D(6), requested_date=later, caller_unit_price=D("1.1500")),
        LineInput(article=shop["yogurt"], quantity=D(2), packaging_level="case")])
    url = reverse("sales:quote_update", args=[quote.pk])

    page = sales.get(url).content.decode()

    assert page.count('name="line_requested_date"') == 2 and page.count('name="caller_unit_price"') == 2
    assert f'name="line_requested_date" value="{later.isoformat()}"' in page
    assert 'name="caller_unit_price" value="1.1500"' in page
    form = {"customer": shop["store"].pk, "requested_date": tomorrow.isoformat(),
            "valid_until": quote.valid_until.isoformat(), "customer_reference": "", "delivery_node": "",
            "invoicing_node": "", "notes": "",
            "article_id": [shop["plain"].pk, shop["yogurt"].pk], "article": ["SUCRE", "YAOURT"],
            "quantity": ["8", "2"], "packaging_level": ["", "case"],
            "line_requested_date": [later.isoformat(), ""], "caller_unit_price": ["1.1500", ""]}
    response = sales.post(url, form)

    assert response.status_code == 302
    rows = list(quote.lines.order_by("position").values_list("quantity", "requested_date", "caller_unit_price"))
    assert rows == [(D("8.000"), later, D("1.1500")), (D("2.000"), None, None)]
    form["caller_unit_price"] = ["cheap", ""]
    refused = sales.post(url, form)
    assert refused.status_code == 200
    assert _("%(article)s: the price “%(price)s” is not a price.") % {"article": "SUCRE", "price": "cheap"} \
        in refused.context["errors"]


def test_a_refused_edit_shows_the_reasons_on_the_edit_page_and_changes_nothing(sales, shop, line, tomorrow,  # noqa: ANN001
                                                                               today):
    quote = _quote(shop, line, tomorrow, (shop["plain"], 6), customer_reference="RFQ-1")
    before = _snapshot(quote)
    url = reverse("sales:quote_update", args=[quote.pk])

    response = sales.post(url, _form(shop, tomorrow, today, [(shop["plain"], "3", ""), (shop["yogurt"], "0", "")]))

    assert response.status_code == 200
    assert response.context["errors"] == [
        _line_text("%(line)s: the quantity must be more than zero.", 2, "YAOURT")]
    page = response.content.decode()
    assert f'action="{url}"' in page and "msg-error" in page
    assert [row.article.code for row in response.context["lines"]] == ["SUCRE"]
    assert _snapshot(quote) == before


def test_editing_a_quote_needs_the_change_permission(client_for, make_user, warehouse_user, shop, line,  # noqa: ANN001
                                                     tomorrow, today):
    from django.contrib.auth.models import Permission

    quote = _quote(shop, line, tomorrow, (shop["plain"], 6))
    before = _snapshot(quote)
    url = reverse("sales:quote_update", args=[quote.pk])
    watcher = client_for(warehouse_user)  # reads quotes, does not change them

    assert watcher.get(url).status_code == 403
    assert watcher.post(url, _form(shop, tomorrow, today, [(shop["plain"], "9", "")])).status_code == 403
    assert _snapshot(quote) == before
    # Changing without creating: the page and the preview of its lines are open.
    editor = make_user()
    editor.user_permissions.set(Permission.objects.filter(content_type__app_label="sales",
                                                          codename__in=("view_quote", "change_quote")))
    editor_client = client_for(editor)
    assert editor_client.get(url).status_code == 200
    assert editor_client.get(reverse("sales:quote_create")).status_code == 403
    preview = editor_client.post(reverse("sales:quote_line_preview"),
                                 {**_form(shop, tomorrow, today, []), "article": "SUCRE", "quantity": "2"},
                                 HTTP_X_REQUESTED_WITH="fetch")
    assert preview.status_code == 200 and preview.json()["ok"] is True


def test_a_sent_quote_edit_page_goes_back_to_its_detail_with_an_error(sales, shop, line, tomorrow, today):  # noqa: ANN001
    quote = quote_send(_quote(shop, line, tomorrow, (shop["plain"], 6)))
    before = _snapshot(quote)
    url = reverse("sales:quote_update", args=[quote.pk])
    detail = reverse("sales:quote_detail", args=[quote.pk])

    shown = sales.get(url)
    posted = sales.post(url, _form(shop, tomorrow, today, [(shop["plain"], "9", "")]), follow=True)

    assert shown.status_code == 302 and shown["Location"] == detail
    assert posted.redirect_chain == [(detail, 302)]
    page = posted.content.decode()
    assert "msg-error" in page
    assert escape(_("Quote %(number)s is “%(state)s”: only a draft quote can be changed.") % {
        "number": quote.number, "state": _("Sent")}) in page
    assert _snapshot(quote) == before
    assert sales.get(reverse("sales:quote_update", args=[999999])).status_code == 404


# ---------------------------------------------------------------- API


@pytest.fixture
def sales_api(sales_user, api_for) -> APIClient:  # noqa: ANN001
    return api_for(sales_user)


@pytest.fixture
def warehouse_api(warehouse_user, api_for) -> APIClient:  # noqa: ANN001
    return api_for(warehouse_user)


def _payload(shop, lines, **header) -> dict:  # noqa: ANN001, ANN003
    from django.utils import timezone

    tomorrow = timezone.localdate() + timedelta(days=1)
    return {"ordering_node_code": shop["store"].code, "requested_date": tomorrow.isoformat(), "lines": lines,
            **header}


def _api_quote(api, shop, lines, **header) -> dict:  # noqa: ANN001, ANN003
    response = api.post("/api/sales/quotes/", _payload(shop, lines, **header), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_put_replaces_a_draft_quotes_header_and_lines(shop, sales_api):  # noqa: ANN001
    created = _api_quote(sales_api, shop, [{"article_code": "SUCRE", "quantity": "2"}], customer_reference="RFQ-1")
    url = f"/api/sales/quotes/{created['id']}/"

    response = sales_api.put(url, _payload(shop, [
        {"article_code": "YAOURT", "quantity": "2", "packaging_level": "case"},
        {"article_code": "SUCRE", "quantity": "10"},
    ], customer_reference="RFQ-2", notes="Call first"), format="json")

    assert response.status_code == 200, response.json()
    quote = response.json()
    assert quote["id"] == created["id"] and quote["state"] == "draft"
    assert [(row["position"], row["article_code"], row["quantity"], row["line_amount"]) for row in quote["lines"]] == [
        (1, "YAOURT", "2.000", "12.00"), (2, "SUCRE", "10.000", "12.00")]
    assert (quote["total_amount"], quote["customer_reference"], quote["notes"]) == ("24.00", "RFQ-2", "Call first")
    assert quote["valid_until"] == created["valid_until"]
    assert Quote.objects.get(pk=created["id"]).events.filter(kind=SalesEvent.Kind.CHANGE).count() == 1


def test_patch_changes_the_header_and_keeps_the_lines(shop, sales_api):  # noqa: ANN001
    created = _api_quote(sales_api, shop, [{"article_code": "YAOURT", "quantity": "2", "packaging_level": "case"},
                                           {"article_code": "SUCRE", "quantity": "3"}], customer_reference="RFQ-1")
    url = f"/api/sales/quotes/{created['id']}/"

    response = sales_api.patch(url, {"customer_reference": "RFQ-9", "notes": "Header only"}, format="json")

    assert response.status_code == 200, response.json()
    quote = response.json()
    assert (quote["customer_reference"], quote["notes"]) == ("RFQ-9", "Header only")
    assert (quote["requested_date"], quote["valid_until"]) == (created["requested_date"], created["valid_until"])
    assert (quote["delivery_node"], quote["invoicing_node"]) == (created["delivery_node"], created["invoicing_node"])
    assert [(row["article_code"], row["quantity"], row["packaging_level"], row["line_amount"])
            for row in quote["lines"]] == [("YAOURT", "2.000", "case", "12.00"), ("SUCRE", "3.000", "", "3.60")]
    assert quote["total_amount"] == created["total_amount"] == "15.60"
    event = Quote.objects.get(pk=created["id"]).events.order_by("at", "pk").last()
    assert event.data == {"before": {"customer_reference": "RFQ-1", "notes": "", "lines": 2},
                          "after": {"customer_reference": "RFQ-9", "notes": "Header only", "lines": 2}}

    lines_only = sales_api.patch(url, {"lines": [{"article_code": "SUCRE", "quantity": "1"}]}, format="json")
    assert lines_only.status_code == 200, lines_only.json()
    assert [(row["article_code"], row["quantity"]) for row in lines_only.json()["lines"]] == [("SUCRE", "1.000")]
    assert lines_only.json()["customer_reference"] == "RFQ-9"


def test_patch_to_another_customer_takes_its_parties_from_the_hierarchy(shop, sales_api):  # noqa: ANN001
    from tests import factories

    created = _api_quote(sales_api, shop, [{"article_code": "SUCRE", "quantity": "2"}])
    assert (created["delivery_node"]["code"], created["invoicing_node"]["code"]) == ("PF", "MAG")
    # A store right under the buying group: no platform above it, delivered and invoiced itself.
    factories.CustomerNodeFactory(kind="store", parent=shop["group"], code="MAG2", name="Magasin 2")

    response = sales_api.patch(f"/api/sales/quotes/{created['id']}/", {"ordering_node_code": "MAG2"}, format="json")

    assert response.status_code == 200, response.json()
    quote = response.json()
    assert [quote[name]["code"] for name in ("ordering_node", "delivery_node", "invoicing_node")] == [
        "MAG2", "MAG2", "MAG2"]
    assert [(row["article_code"], row["quantity"]) for row in quote["lines"]] == [("SUCRE", "2.000")]


def test_a_bad_line_in_a_patch_is_refused_naming_it(shop, sales_api):  # noqa: ANN001
    created = _api_quote(sales_api, shop, [{"article_code": "SUCRE", "quantity": "2"}])
    url = f"/api/sales/quotes/{created['id']}/"
    before = _snapshot(Quote.objects.get(pk=created["id"]))

    response = sales_api.patch(url, {"notes": "x", "lines": [{"article_code": "SUCRE", "quantity": "1"},
                                                             {"article_code": "SUCRE"}]}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["details"]["errors"]["lines"] == [
        _("Line %(position)s") % {"position": 2} + f": quantity: {Field.default_error_messages['required']}"]
    assert _snapshot(Quote.objects.get(pk=created["id"])) == before


def test_a_sent_quote_cannot_be_changed_through_the_api(shop, sales_api):  # noqa: ANN001
    created = _api_quote(sales_api, shop, [{"article_code": "SUCRE", "quantity": "2"}])
    url = f"/api/sales/quotes/{created['id']}/"
    assert sales_api.post(f"{url}send/").status_code == 200
    before = _snapshot(Quote.objects.get(pk=created["id"]))

    put = sales_api.put(url, _payload(shop, [{"article_code": "SUCRE", "quantity": "5"}]), format="json")
    patch = sales_api.patch(url, {"notes": "too late"}, format="json")

    for response in (put, patch):
        assert response.status_code == 409
        assert response.json()["code"] == "invalid_transition"
        assert response.json()["message"] == _("Only a draft quote can be changed.")
    assert _snapshot(Quote.objects.get(pk=created["id"])) == before


def test_changing_a_quote_through_the_api_needs_the_permission(shop, sales_api, warehouse_api):  # noqa: ANN001
    created = _api_quote(sales_api, shop, [{"article_code": "SUCRE", "quantity": "2"}])
    url = f"/api/sales/quotes/{created['id']}/"
    before = _snapshot(Quote.objects.get(pk=created["id"]))
    payload = _payload(shop, [{"article_code": "SUCRE", "quantity": "5"}])

    put = warehouse_api.put(url, payload, format="json")
    patch = warehouse_api.patch(url, {"notes": "x"}, format="json")
    anonymous = APIClient().patch(url, {"notes": "x"}, format="json")

    assert put.status_code == patch.status_code == 403
    assert put.json()["code"] == "permission_denied"
    assert anonymous.status_code == 401
    assert warehouse_api.get(url).status_code == 200
    assert _snapshot(Quote.objects.get(pk=created["id"])) == before
