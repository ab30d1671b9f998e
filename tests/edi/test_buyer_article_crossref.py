"""ORDERS lines identified by the buyer's own article number (PIA …:IN) only: resolved
through the customer article references of the buyer (set on the chain, inherited);
an unknown number waits in the error queue, where a person maps it and replays."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from comptoir import roles
from comptoir.identifiers import gs1_with_check_digit

from .gateway import OUR_GLN, PARTNER_GLN
from .test_orders_gateway import YOGURT_GTIN, retail  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

UNKNOWN_BUYER_GLN = gs1_with_check_digit("302000009999")


def orders_by_codes(*, number: str, on: str, delivery: str, lines: list[tuple[str, str, int, str]],
                    buyer: str = PARTNER_GLN, reference: str = "ORD0001") -> bytes:
    """An ORDERS interchange whose lines are (GTIN or "", buyer's article number or "",
    quantity, description or "")."""
    segments = ["UNH+1+ORDERS:D:96A:UN:EAN008", f"BGM+220+{number}+9", "DTM+137:20261120:102",
                f"DTM+2:{on}:102", f"NAD+BY+{buyer}::9", f"NAD+SU+{OUR_GLN}::9", f"NAD+DP+{delivery}::9"]
    for position, (gtin, code, quantity, description) in enumerate(lines, start=1):
        segments.append(f"LIN+{position}++{gtin}:EN" if gtin else f"LIN+{position}")
        if code:
            segments.append(f"PIA+{'1' if gtin else '5'}+{code}:IN")
        if description:
            segments.append(f"IMD+F++:::{description}")
        segments.append(f"QTY+21:{quantity}")
    segments += ["UNS+S", f"CNT+2:{len(lines)}"]
    segments.append(f"UNT+{len(segments) + 1}+1")
    body = "'".join(segments) + "'"
    return (f"UNA:+.? 'UNB+UNOC:3+{PARTNER_GLN}:14+{OUR_GLN}:14+261120:0600+{reference}'"
            f"{body}UNZ+1+{reference}'").encode("latin-1")


def _unknown(code: str, gtin: str = "") -> str:
    """The reason of a line nobody can identify, in the active language."""
    return _("Unknown GTIN %(gtin)s%(article)s: map it to an article.") % {
        "gtin": gtin or "—", "article": " / " + _("buyer code %(code)s") % {"code": code}}


@pytest.fixture
def chain_codes(retail):  # noqa: ANN001, ANN201, F811
    """The chain (the partner's node, above the buying group that orders) calls sugar
    ``SU-1`` and sugar's case of 10 ``SU-10``."""
    from tests import factories
    from trade.services import customer_article_reference_create

    factories.PackagingFactory(article=retail["sugar"], level="case", quantity=10)
    chain = retail["chain"]
    customer_article_reference_create(customer_node=chain, code="SU-1", article=retail["sugar"])
    customer_article_reference_create(customer_node=chain, code="SU-10", article=retail["sugar"],
                                      packaging_level="case")
    return retail


@pytest.fixture
def stuck(retail, receive):  # noqa: ANN001, ANN201, F811
    """ORDERS PO-950: yogurt by GTIN, then sugar by a buyer's number nobody mapped yet."""
    payload = orders_by_codes(number="PO-950", on=retail["on"], delivery=retail["store"].gln,
                              lines=[(YOGURT_GTIN, "", 30, ""), ("", "ABC-12", 10, "SUCRE 1KG")])
    message = receive(payload).messages.get()
    assert message.state == "error"
    return message


def _page(client: Client, message) -> str:  # noqa: ANN001
    response = client.get(reverse("edi:message_detail", args=[message.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _map(client: Client, message, **data):  # noqa: ANN001, ANN003, ANN202
    post = {"buyer_code": "ABC-12", "article": "SUCRE", "packaging_level": "", "replay": "on", **data}
    return client.post(reverse("edi:message_map_buyer_code", args=[message.pk]),
                       {key: value for key, value in post.items() if value is not None})


# ---------------------------------------------------------------- the handler


def test_lines_named_only_by_the_buyers_number_resolve_through_the_chains_references(
    chain_codes, retail, receive  # noqa: ANN001, F811
):
    from trade.sales.models import SalesOrder

    payload = orders_by_codes(number="PO-951", on=retail["on"], delivery=retail["store"].gln,
                              lines=[("", "SU-1", 7, ""), ("", "SU-10", 2, ""), (YOGURT_GTIN, "YA-1", 5, "")])
    message = receive(payload).messages.get()

    assert message.state == "processed", message.errors
    order = SalesOrder.objects.get()
    assert (order.state, order.ordering_node, order.customer_reference) == ("confirmed", retail["store"], "PO-951")
    assert [(line.customer_line_reference, line.article.code, line.packaging_level, line.quantity,
             line.base_quantity) for line in order.lines.order_by("position")] == [
        ("1", "SUCRE", "", Decimal(7), Decimal(7)),
        ("2", "SUCRE", "case", Decimal(2), Decimal(20)),
        ("3", "YAOURT", "", Decimal(5), Decimal(5)),  # its GTIN is known: the buyer's number is not needed
    ]


def test_the_buying_groups_own_number_overrides_the_chains(chain_codes, retail, receive):  # noqa: ANN001, F811
    from trade.sales.models import SalesOrder
    from trade.services import customer_article_reference_create

    customer_article_reference_create(customer_node=retail["group"], code="SU-1", article=retail["yogurt"])
    payload = orders_by_codes(number="PO-952", on=retail["on"], delivery=retail["store"].gln,
                              lines=[("", "SU-1", 3, "")])
    message = receive(payload).messages.get()

    assert message.state == "processed", message.errors
    assert [line.article.code for line in SalesOrder.objects.get().lines.all()] == ["YAOURT"]


def test_the_buyers_numbers_of_a_message_are_read_in_one_query(chain_codes, retail, receive):  # noqa: ANN001, F811
    payload = orders_by_codes(number="PO-953", on=retail["on"], delivery=retail["store"].gln,
                              lines=[("", "SU-1", 1, ""), ("", "SU-10", 1, ""), ("", "SU-1", 2, ""),
                                     (YOGURT_GTIN, "YA-1", 1, "")])
    with CaptureQueriesContext(connection) as queries:
        message = receive(payload).messages.get()

    assert message.state == "processed", message.errors
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "trade_customerarticlereference"' in q["sql"]]
    assert len(reads) == 1


def test_an_unknown_buyers_number_goes_to_the_error_queue_with_its_code(stuck, retail):  # noqa: ANN001, F811
    from trade.sales.models import SalesOrder

    assert [(e["code"], e["line"], e["reason"]) for e in stuck.errors] == [
        ("unknown_gtin", "2", _unknown("ABC-12"))]
    assert not SalesOrder.objects.exists()


def test_another_chains_number_does_not_apply(retail, receive):  # noqa: ANN001, F811
    from tests import factories
    from trade.services import customer_article_reference_create

    other = factories.CustomerNodeFactory(kind="chain", code="AUTRE")
    customer_article_reference_create(customer_node=other, code="ABC-12", article=retail["sugar"])
    payload = orders_by_codes(number="PO-954", on=retail["on"], delivery=retail["store"].gln,
                              lines=[("", "ABC-12", 10, "")])
    message = receive(payload).messages.get()

    assert [e["code"] for e in message.errors] == ["unknown_gtin"]


def test_an_unknown_buyer_gln_falls_back_on_the_partners_node_for_the_numbers(
    chain_codes, retail, receive  # noqa: ANN001, F811
):
    """Only the GLN is left to map: the lines are known through the partner's chain."""
    payload = orders_by_codes(number="PO-955", on=retail["on"], delivery=retail["store"].gln,
                              buyer=UNKNOWN_BUYER_GLN, lines=[("", "SU-1", 1, "")])
    message = receive(payload).messages.get()

    assert [e["code"] for e in message.errors] == ["unknown_gln"]


# ---------------------------------------------------------------- map and replay


def test_the_message_page_offers_to_map_the_buyers_number_to_who_may(
    stuck, retail, sales_user, make_user, client_for  # noqa: ANN001, F811
):
    page = _page(client_for(sales_user), stuck)
    assert 'data-crossref="buyer_code:ABC-12"' in page
    assert f'action="{reverse("edi:message_map_buyer_code", args=[stuck.pk])}"' in page
    assert 'name="buyer_code" value="ABC-12"' in page
    assert escape(retail["group"].name) in page  # the buyer (NAD+BY) it will be recorded on
    assert "SUCRE 1KG" in page  # the line's description (IMD)
    reader = _page(client_for(make_user(roles.ACCOUNTING)), stuck)
    assert 'data-crossref="buyer_code:ABC-12"' in reader
    assert "message_map_buyer_code" not in reader and 'name="buyer_code"' not in reader


def test_mapping_the_buyers_number_then_replaying_makes_the_order(
    stuck, retail, sales_user, client_for  # noqa: ANN001, F811
):
    from trade.models import CustomerArticleReference
    from trade.sales.models import SalesOrder

    client = client_for(sales_user)
    response = _map(client, stuck)

    assert response.status_code == 302
    assert response["Location"] == reverse("edi:message_detail", args=[stuck.pk])
    reference = CustomerArticleReference.objects.get()
    assert (reference.customer_node, reference.code, reference.article, reference.packaging_level,
            reference.description) == (retail["group"], "ABC-12", retail["sugar"], "", "SUCRE 1KG")
    stuck.refresh_from_db()
    assert (stuck.state, stuck.replay_count, stuck.errors) == ("processed", 1, [])
    order = SalesOrder.objects.get()
    assert (order.state, order.customer_reference, order.ordering_node) == ("confirmed", "PO-950", retail["store"])
    assert [(line.article.code, line.quantity) for line in order.lines.order_by("position")] == [
        ("YAOURT", 30), ("SUCRE", 10)]
    assert [str(m) for m in response.wsgi_request._messages] == [
        _("Buyer code %(code)s of %(customer)s mapped to %(article)s.")
        % {"code": "ABC-12", "customer": "CEN", "article": "SUCRE"},
        _("Message %(message)s replayed and processed.") % {"message": stuck},
    ]
    assert 'data-crossref=' not in _page(client, stuck)


def test_a_refused_mapping_shows_the_form_again_and_changes_nothing(
    stuck, retail, sales_user, client_for  # noqa: ANN001, F811
):
    from trade.models import CustomerArticleReference

    response = _map(client_for(sales_user), stuck, packaging_level="pallet")

    assert response.status_code == 200
    assert escape(_("Article %(article)s has no “%(level)s” packaging: add it on the article's page, or "
                    "choose another level.") % {"article": "SUCRE", "level": _("Pallet")}) in response.content.decode()
    assert not CustomerArticleReference.objects.exists()
    stuck.refresh_from_db()
    assert (stuck.state, stuck.replay_count) == ("error", 0)


def test_a_buyers_number_the_message_does_not_wait_for_is_refused(stuck, sales_user, client_for):  # noqa: ANN001
    from trade.models import CustomerArticleReference

    response = _map(client_for(sales_user), stuck, buyer_code="XYZ-99")

    assert response.status_code == 302
    assert [str(m) for m in response.wsgi_request._messages] == [
        _("Message %(message)s does not wait for %(kind)s %(value)s.")
        % {"message": stuck, "kind": _("buyer code"), "value": "XYZ-99"}]
    assert not CustomerArticleReference.objects.exists()


def test_mapping_needs_the_rights_to_add_references_and_to_replay(
    stuck, make_user, client_for, client  # noqa: ANN001
):
    from trade.models import CustomerArticleReference

    assert _map(client_for(make_user(roles.ACCOUNTING)), stuck).status_code == 403
    assert _map(client_for(make_user(roles.WAREHOUSE)), stuck).status_code == 403
    references_only = make_user(roles.WAREHOUSE)
    references_only.user_permissions.add(*Permission.objects.filter(
        content_type__app_label__in=("trade", "edi"),
        codename__in=("add_customerarticlereference", "view_edimessage")))
    assert _map(client_for(references_only), stuck).status_code == 403
    anonymous = _map(client, stuck)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(make_user(roles.SALES))
    assert _map(csrf_client, stuck).status_code == 403

    assert not CustomerArticleReference.objects.exists()
    stuck.refresh_from_db()
    assert (stuck.state, stuck.replay_count) == ("error", 0)
