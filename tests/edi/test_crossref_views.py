"""Fixing a message's cross-references from its page (map a GTIN or a GLN), then
replaying it: rights, refusals that change nothing, and the orders it produces."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from comptoir import roles
from comptoir.exceptions import ValidationFailed
from comptoir.identifiers import gs1_with_check_digit

from .test_orders_gateway import SUGAR_GTIN, YOGURT_GTIN, orders_text, retail  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

NEW_STORE_GLN = gs1_with_check_digit("301234599999")
OIL_GTIN = gs1_with_check_digit("301234510003")


@pytest.fixture
def stuck(retail, receive):  # noqa: ANN001, ANN201, F811
    """ORDERS PO-900 for the store: yogurt, then sugar whose GTIN nobody mapped yet."""
    payload = orders_text(number="PO-900", on=retail["on"], delivery=retail["store"].gln,
                          lines=[(YOGURT_GTIN, 30, None), (SUGAR_GTIN, 10, None)])
    message = receive(payload).messages.get()
    assert message.state == "error"
    assert [e["code"] for e in message.errors] == ["unknown_gtin"]
    return message


@pytest.fixture
def mapper(make_user):  # noqa: ANN001, ANN201
    """Purchasing: changes articles and replays EDI messages."""
    return make_user(roles.PURCHASING, username="mapper")


def _page(client: Client, message) -> str:  # noqa: ANN001
    response = client.get(reverse("edi:message_detail", args=[message.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _flashes(response) -> list[str]:  # noqa: ANN001
    return [str(m) for m in response.wsgi_request._messages]


def _mapped(gtin: str, article: str, level: str) -> str:
    """The flash that confirms a GTIN mapping, in the active language (as the view says it)."""
    from trade.models.catalogue import PackagingLevel

    return _("GTIN %(gtin)s mapped to %(article)s (%(level)s).") % {
        "gtin": gtin, "article": article, "level": PackagingLevel(level).label}


def _used(gtin: str, article: str, level: str) -> str:
    """The refusal of a GTIN another packaging already has, in the active language."""
    from trade.models.catalogue import PackagingLevel

    return _("GTIN %(gtin)s is already used by article %(article)s (%(level)s).") % {
        "gtin": gtin, "article": article, "level": PackagingLevel(level).label}


def _map_gtin(client: Client, message, **data):  # noqa: ANN001, ANN003, ANN202
    post = {"gtin": SUGAR_GTIN, "article": "SUCRE", "level": "consumer_unit", "replay": "on", **data}
    return client.post(reverse("edi:message_map_gtin", args=[message.pk]),
                       {k: v for k, v in post.items() if v is not None})


def test_the_message_page_offers_the_gtin_form_only_to_who_may_map(
    stuck, mapper, sales_user, make_user, client_for  # noqa: ANN001
):
    page = _page(client_for(mapper), stuck)
    assert f'data-crossref="gtin:{SUGAR_GTIN}"' in page
    assert f'action="{reverse("edi:message_map_gtin", args=[stuck.pk])}"' in page
    assert f'name="gtin" value="{SUGAR_GTIN}"' in page
    assert 'name="replay" id="id_map0_replay" checked' in page  # replay after mapping: on
    # Sales fixes its customers' cross-references: the form too.
    assert 'name="article"' in _page(client_for(sales_user), stuck)
    # Accounting reads: the reason, no form.
    page = _page(client_for(make_user(roles.ACCOUNTING)), stuck)
    assert f'data-crossref="gtin:{SUGAR_GTIN}"' in page
    assert "message_map_gtin" not in page and 'name="article"' not in page
    # The error queue links the reason to the form, for who may use it.
    queue = client_for(mapper).get(reverse("edi:error_queue")).content.decode()
    unknown = _("Unknown GTIN %(gtin)s%(article)s: map it to an article.") % {"gtin": SUGAR_GTIN, "article": ""}
    assert escape(unknown) in queue and "[unknown_gtin]" in queue
    assert f'href="{reverse("edi:message_detail", args=[stuck.pk])}#crossrefs" data-fix-link' in queue
    reader = make_user(roles.ACCOUNTING)  # sees the queue, may not map nor replay
    assert "data-fix-link" not in client_for(reader).get(reverse("edi:error_queue")).content.decode()


def test_mapping_needs_the_rights_to_change_articles_and_to_replay(
    stuck, retail, make_user, sales_user, client_for, client  # noqa: ANN001, F811
):
    from trade.models import Packaging

    # Accounting reads EDI but may neither map nor replay; warehouse has no EDI at all.
    assert _map_gtin(client_for(make_user(roles.ACCOUNTING)), stuck).status_code == 403
    assert _map_gtin(client_for(make_user(roles.WAREHOUSE)), stuck).status_code == 403
    # Changing articles without the right to replay is not enough either.
    articles_only = make_user(roles.WAREHOUSE)
    articles_only.user_permissions.add(*Permission.objects.filter(
        content_type__app_label__in=("trade", "edi"),
        codename__in=("change_packaging", "view_edimessage")))
    assert _map_gtin(client_for(articles_only), stuck).status_code == 403
    anonymous = _map_gtin(client, stuck)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    # GLN mapping needs the right to change customers: purchasing only views them.
    gln_post = client_for(make_user(roles.PURCHASING)).post(
        reverse("edi:message_map_gln", args=[stuck.pk]), {"gln": NEW_STORE_GLN, "customer": "MAG"})
    assert gln_post.status_code == 403

    assert not Packaging.objects.filter(article=retail["sugar"]).exists()
    stuck.refresh_from_db()
    assert (stuck.state, stuck.replay_count) == ("error", 0)


def test_the_forms_need_the_csrf_token(stuck, mapper):  # noqa: ANN001
    client = Client(enforce_csrf_checks=True)
    client.force_login(mapper)
    assert _map_gtin(client, stuck).status_code == 403


def test_an_invalid_gtin_is_refused_and_nothing_changes(stuck, mapper, client_for):  # noqa: ANN001
    from trade.models import Packaging

    bad = SUGAR_GTIN[:-1] + "9"  # wrong check digit
    response = _map_gtin(client_for(mapper), stuck, gtin=bad)

    assert response.status_code == 302
    assert _flashes(response) == [f"GTIN {bad} non valide\xa0: clé de contrôle erronée."]
    assert not Packaging.objects.filter(gtin__in=[bad, SUGAR_GTIN]).exists()
    stuck.refresh_from_db()
    assert (stuck.state, stuck.replay_count) == ("error", 0)


def test_a_gtin_already_used_is_refused_and_nothing_changes(
    stuck, retail, mapper, client_for  # noqa: ANN001, F811
):
    from tests import factories
    from trade.models import Packaging

    oil = factories.ArticleFactory(code="HUILE")
    # Someone gave the sugar GTIN to oil's case meanwhile: the page says so...
    factories.PackagingFactory(article=oil, level="case", quantity=6, gtin=SUGAR_GTIN)
    client = client_for(mapper)
    assert 'data-mapped-to="HUILE (' in _page(client, stuck)
    # ...and mapping it to sugar is refused on the form, without a replay.
    response = _map_gtin(client, stuck)

    assert response.status_code == 200
    assert escape(_used(SUGAR_GTIN, "HUILE", "case")) in response.content.decode()
    assert not Packaging.objects.filter(article=retail["sugar"]).exists()
    stuck.refresh_from_db()
    assert (stuck.state, stuck.replay_count) == ("error", 0)


def test_mapping_then_replaying_processes_the_message_into_a_confirmed_order(
    stuck, retail, mapper, client_for  # noqa: ANN001, F811
):
    from trade.models import Packaging
    from trade.sales.models import SalesOrder

    client = client_for(mapper)
    response = _map_gtin(client, stuck)

    assert response.status_code == 302
    assert response["Location"] == reverse("edi:message_detail", args=[stuck.pk])
    packaging = Packaging.objects.get(gtin=SUGAR_GTIN)
    assert (packaging.article, packaging.level, packaging.quantity) == (
        retail["sugar"], "consumer_unit", Decimal(1))
    stuck.refresh_from_db()
    assert (stuck.state, stuck.replay_count, stuck.errors) == ("processed", 1, [])
    order = SalesOrder.objects.get()
    assert (order.source, order.state, order.customer_reference, order.ordering_node) == (
        f"edi-message:{stuck.pk}", "confirmed", "PO-900", retail["store"])
    assert [(line.article.code, line.quantity) for line in order.lines.order_by("position")] == [
        ("YAOURT", 30), ("SUCRE", 10)]
    assert _flashes(response) == [_mapped(SUGAR_GTIN, "SUCRE", "consumer_unit"),
                                  _("Message %(message)s replayed and processed.") % {"message": stuck}]
    page = _page(client, stuck)
    assert f'href="{reverse("sales:order_detail", args=[order.pk])}"' in page
    assert 'data-order-state="confirmed"' in page
    assert 'data-crossref=' not in page  # nothing left to fix


def test_mapping_a_case_needs_its_content_and_keeps_the_level(
    stuck, retail, mapper, client_for  # noqa: ANN001, F811
):
    from trade.models import Packaging
    from trade.sales.models import SalesOrder

    client = client_for(mapper)
    refused = _map_gtin(client, stuck, level="case", quantity=None)
    assert refused.status_code == 200
    assert escape(_("Give what this packaging holds in base units.")) in refused.content.decode()
    assert not Packaging.objects.filter(gtin=SUGAR_GTIN).exists()

    _map_gtin(client, stuck, level="case", quantity="12")
    packaging = Packaging.objects.get(gtin=SUGAR_GTIN)
    assert (packaging.level, packaging.quantity) == ("case", Decimal(12))
    line = SalesOrder.objects.get().lines.get(article=retail["sugar"])
    assert (line.packaging_level, line.quantity) == ("case", Decimal(10))


def test_mapping_without_replay_leaves_the_message_waiting(stuck, retail, mapper, client_for):  # noqa: ANN001, F811
    from trade.models import Packaging
    from trade.sales.models import SalesOrder

    client = client_for(mapper)
    response = _map_gtin(client, stuck, replay=None)

    assert response.status_code == 302
    assert Packaging.objects.filter(gtin=SUGAR_GTIN, article=retail["sugar"]).exists()
    stuck.refresh_from_db()
    assert (stuck.state, stuck.replay_count) == ("error", 0)
    assert not SalesOrder.objects.exists()
    page = _page(client, stuck)
    assert 'data-mapped-to="SUCRE (' in page and 'name="article"' not in page


def test_a_replay_that_fails_again_keeps_the_mapping_and_shows_the_new_reasons(
    retail, receive, mapper, client_for  # noqa: ANN001, F811
):
    from trade.models import Packaging
    from trade.sales.models import SalesOrder

    message = receive(orders_text(number="PO-901", on=retail["on"], delivery=retail["store"].gln,
                                  lines=[(SUGAR_GTIN, 10, None), (OIL_GTIN, 4, None)])).messages.get()
    assert [e["line"] for e in message.errors] == ["1", "2"]
    client = client_for(mapper)
    page = _page(client, message)
    assert f'data-crossref="gtin:{SUGAR_GTIN}"' in page and f'data-crossref="gtin:{OIL_GTIN}"' in page
    assert 'id="id_map1_article"' in page  # one form per GTIN, with ids of its own

    response = _map_gtin(client, message)

    assert Packaging.objects.filter(gtin=SUGAR_GTIN).exists()
    message.refresh_from_db()
    assert (message.state, message.replay_count) == ("error", 1)
    assert [(e["code"], e["line"]) for e in message.errors] == [("unknown_gtin", "2")]
    assert _flashes(response) == [
        _mapped(SUGAR_GTIN, "SUCRE", "consumer_unit"),
        _("Message %(message)s replayed: it is still in error, see its reasons.") % {"message": message},
    ]
    assert not SalesOrder.objects.exists()
    page = _page(client, message)
    assert f'data-crossref="gtin:{SUGAR_GTIN}"' not in page and f'data-crossref="gtin:{OIL_GTIN}"' in page


def test_a_gtin_the_message_does_not_wait_for_is_refused(stuck, retail, mapper, client_for):  # noqa: ANN001, F811
    from trade.models import Packaging

    response = _map_gtin(client_for(mapper), stuck, gtin=OIL_GTIN)
    assert response.status_code == 302
    assert _flashes(response) == [_("Message %(message)s does not wait for %(kind)s %(value)s.")
                                  % {"message": stuck, "kind": "GTIN", "value": OIL_GTIN}]
    assert not Packaging.objects.filter(gtin=OIL_GTIN).exists()


def test_mapping_a_gln_to_a_store_then_replaying(retail, receive, sales_user, client_for):  # noqa: ANN001, F811
    from tests import factories
    from trade.models import CustomerNode
    from trade.sales.models import SalesOrder

    new_store = factories.CustomerNodeFactory(kind="store", parent=retail["platform"], code="MAG3",
                                              name="Magasin Neuf", gln="")
    factories.PackagingFactory(article=retail["sugar"], level="consumer_unit", quantity=1, gtin=SUGAR_GTIN)
    message = receive(orders_text(number="PO-902", on=retail["on"], delivery=NEW_STORE_GLN,
                                  lines=[(SUGAR_GTIN, 5, None)])).messages.get()
    assert [e["code"] for e in message.errors] == ["unknown_gln"]
    client = client_for(sales_user)  # sales changes customers and replays
    page = _page(client, message)
    assert f'data-crossref="gln:{NEW_STORE_GLN}"' in page and "NAD+DP" in page
    # The type-ahead offers the stores without a GLN only.
    lookup = client.get(reverse("edi:crossref_customers"), {"q": "Magasin"}).json()
    assert [item["value"] for item in lookup["results"]] == ["MAG3"]

    url = reverse("edi:message_map_gln", args=[message.pk])
    # The store that already has a GLN: refused unless replacing it is confirmed.
    refused = client.post(url, {"gln": NEW_STORE_GLN, "customer": "MAG", "replay": "on"})
    assert refused.status_code == 200
    assert escape(_("%(node)s already has GLN %(gln)s: confirm that the new one replaces it.")
                  % {"node": "MAG", "gln": retail["store"].gln}) in refused.content.decode()
    assert CustomerNode.objects.get(code="MAG").gln == retail["store"].gln
    message.refresh_from_db()
    assert (message.state, message.replay_count) == ("error", 0)

    response = client.post(url, {"gln": NEW_STORE_GLN, "customer": "MAG3", "replay": "on"})

    assert response.status_code == 302
    new_store.refresh_from_db()
    assert new_store.gln == NEW_STORE_GLN
    message.refresh_from_db()
    assert message.state == "processed"
    order = SalesOrder.objects.get()
    assert (order.ordering_node, order.delivery_node, order.customer_reference) == (new_store, new_store, "PO-902")


def test_a_gln_mapping_may_replace_the_node_s_gln_when_confirmed(
    retail, receive, sales_user, client_for  # noqa: ANN001, F811
):
    from tests import factories
    from trade.models import CustomerNode

    factories.PackagingFactory(article=retail["sugar"], level="consumer_unit", quantity=1, gtin=SUGAR_GTIN)
    message = receive(orders_text(number="PO-903", on=retail["on"], delivery=NEW_STORE_GLN,
                                  lines=[(SUGAR_GTIN, 5, None)])).messages.get()
    response = client_for(sales_user).post(reverse("edi:message_map_gln", args=[message.pk]),
                                           {"gln": NEW_STORE_GLN, "customer": "MAG", "replace": "on",
                                            "replay": "on"})
    assert response.status_code == 302
    assert CustomerNode.objects.get(code="MAG").gln == NEW_STORE_GLN
    message.refresh_from_db()
    assert message.state == "processed"


def test_the_message_page_lists_every_order_of_a_split_orders(retail, receive, sales_user, client_for):  # noqa: ANN001, F811
    from tests import factories
    from trade.sales.models import SalesOrder

    platform, store = retail["platform"], retail["store"]
    second = factories.CustomerNodeFactory(kind="store", parent=platform, code="MAG2", name="Magasin 2")
    message = receive(orders_text(number="PO-PF9", on=retail["on"], delivery=platform.gln,
                                  lines=[(YOGURT_GTIN, 30, None)],
                                  stores={YOGURT_GTIN: [(store.gln, 12), (second.gln, 18)]})).messages.get()
    assert message.state == "processed"
    page = _page(client_for(sales_user), message)
    orders = SalesOrder.objects.filter(source=f"edi-message:{message.pk}").order_by("pk")
    assert orders.count() == 2
    for order in orders:
        assert f'href="{reverse("sales:order_detail", args=[order.pk])}">{order.display_number}</a>' in page


# --------------------------------------------------------------------------- services


def test_packaging_gtin_assign_rules(retail):  # noqa: ANN001, F811
    from tests import factories
    from trade.models import Packaging
    from trade.services import packaging_gtin_assign

    sugar = retail["sugar"]
    with pytest.raises(ValidationFailed) as invalid:
        packaging_gtin_assign(article=sugar, level="case", gtin=SUGAR_GTIN[:-1] + "9", quantity=Decimal(6))
    assert list(invalid.value.errors) == ["gtin"]
    with pytest.raises(ValidationFailed) as used:
        packaging_gtin_assign(article=sugar, level="case", gtin=YOGURT_GTIN, quantity=Decimal(6))
    assert used.value.errors == {"gtin": [_used(YOGURT_GTIN, "YAOURT", "consumer_unit")]}
    with pytest.raises(ValidationFailed) as no_content:
        packaging_gtin_assign(article=sugar, level="pallet", gtin=SUGAR_GTIN)
    assert list(no_content.value.errors) == ["quantity"]
    assert not Packaging.objects.filter(article=sugar).exists()

    case = packaging_gtin_assign(article=sugar, level="case", gtin=SUGAR_GTIN, quantity=Decimal(6))
    # Twice is the same packaging; another content or another GTIN for the level is refused.
    assert packaging_gtin_assign(article=sugar, level="case", gtin=SUGAR_GTIN) == case
    with pytest.raises(ValidationFailed) as other_content:
        packaging_gtin_assign(article=sugar, level="case", gtin=SUGAR_GTIN, quantity=Decimal(8))
    assert list(other_content.value.errors) == ["quantity"]
    with pytest.raises(ValidationFailed) as other_gtin:
        packaging_gtin_assign(article=sugar, level="case", gtin=OIL_GTIN, quantity=Decimal(6))
    assert list(other_gtin.value.errors) == ["level"]
    # An existing level without a GTIN gets it, keeping its content.
    layer = factories.PackagingFactory(article=sugar, level="layer", quantity=48, gtin="")
    assert packaging_gtin_assign(article=sugar, level="layer", gtin=OIL_GTIN).pk == layer.pk
    layer.refresh_from_db()
    assert (layer.gtin, layer.quantity) == (OIL_GTIN, Decimal(48))
    case.refresh_from_db()
    assert (case.gtin, case.quantity) == (SUGAR_GTIN, Decimal(6))
