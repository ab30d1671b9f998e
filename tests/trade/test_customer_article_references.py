"""Customer article cross-references (a customer's own article numbers, EANCOM PIA …:IN):
the rules of the service, nearest-wins inheritance in one query, the API and the
customer page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from comptoir import roles
from comptoir.exceptions import ValidationFailed
from tests import factories
from trade.models import CustomerArticleReference, PackagingLevel
from trade.selectors import customer_article_references_for, customer_article_references_resolve
from trade.services import (
    customer_article_reference_create,
    customer_article_reference_delete,
    customer_article_reference_update,
)

pytestmark = pytest.mark.django_db

API = "/api/customer-article-references/"


@pytest.fixture
def catalogue(db):  # noqa: ANN001, ANN201
    """Jam with a case of 12; sugar with no packaging at all."""
    jam = factories.ArticleFactory(code="CONF370", designation="Confiture fraise 370 g")
    factories.PackagingFactory(article=jam, level="case", quantity=12)
    sugar = factories.ArticleFactory(code="SUCRE", designation="Sucre 1 kg")
    return {"jam": jam, "sugar": sugar}


@pytest.fixture
def mapped(hierarchy, catalogue):  # noqa: ANN001, ANN201
    """The chain calls jam ``ENS-1`` and sugar ``ENS-2``; the buying group maps
    ``ENS-2`` to jam's case instead, which overrides the chain's for the group and below."""
    chain_jam = customer_article_reference_create(
        customer_node=hierarchy["chain"], code="ENS-1", article=catalogue["jam"])
    chain_sugar = customer_article_reference_create(
        customer_node=hierarchy["chain"], code="ENS-2", article=catalogue["sugar"])
    group_override = customer_article_reference_create(
        customer_node=hierarchy["group"], code="ENS-2", article=catalogue["jam"], packaging_level="case")
    return {"chain_jam": chain_jam, "chain_sugar": chain_sugar, "group_override": group_override}


def _errors(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, list[str]]:
    return exc.value.errors


def _taken(customer: str, code: str, article: str) -> str:
    return _("%(customer)s already has article number %(code)s (article %(article)s).") % {
        "customer": customer, "code": code, "article": article}


def _no_level(article: str, level: str) -> str:
    return _("Article %(article)s has no “%(level)s” packaging: add it on the article's page, or "
             "choose another level.") % {"article": article, "level": PackagingLevel(level).label}


# ---------------------------------------------------------------- service


def test_a_reference_is_created_with_its_code_stripped(hierarchy, catalogue):  # noqa: ANN001
    reference = customer_article_reference_create(
        customer_node=hierarchy["chain"], code="  ENS-1 ", article=catalogue["jam"],
        packaging_level="case", description=" Confiture ")

    stored = CustomerArticleReference.objects.get()
    assert stored == reference
    assert (stored.customer_node, stored.code, stored.article, stored.packaging_level, stored.description) == (
        hierarchy["chain"], "ENS-1", catalogue["jam"], "case", "Confiture")


@pytest.mark.parametrize("code", ["", "   ", "X" * 36])
def test_an_empty_or_too_long_code_is_refused_and_nothing_is_written(hierarchy, catalogue, code):  # noqa: ANN001
    with pytest.raises(ValidationFailed) as exc:
        customer_article_reference_create(customer_node=hierarchy["chain"], code=code, article=catalogue["jam"])

    assert list(_errors(exc)) == ["code"]
    assert not CustomerArticleReference.objects.exists()


def test_a_code_the_node_has_is_refused_naming_its_article(hierarchy, catalogue, mapped):  # noqa: ANN001
    with pytest.raises(ValidationFailed) as exc:
        customer_article_reference_create(
            customer_node=hierarchy["chain"], code="ENS-1", article=catalogue["sugar"])

    assert _errors(exc) == {"code": [_taken("ENS", "ENS-1", "CONF370")]}
    assert CustomerArticleReference.objects.count() == 3


def test_a_packaging_level_the_article_lacks_is_refused(hierarchy, catalogue):  # noqa: ANN001
    with pytest.raises(ValidationFailed) as exc:
        customer_article_reference_create(
            customer_node=hierarchy["chain"], code="ENS-9", article=catalogue["sugar"], packaging_level="case")

    assert _errors(exc) == {"packaging_level": [_no_level("SUCRE", "case")]}
    assert not CustomerArticleReference.objects.exists()


def test_an_unknown_packaging_level_is_refused(hierarchy, catalogue):  # noqa: ANN001
    with pytest.raises(ValidationFailed) as exc:
        customer_article_reference_create(
            customer_node=hierarchy["chain"], code="ENS-9", article=catalogue["jam"], packaging_level="crate")

    assert list(_errors(exc)) == ["packaging_level"]
    assert not CustomerArticleReference.objects.exists()


def test_update_changes_what_is_given_and_keeps_the_rest(hierarchy, catalogue, mapped):  # noqa: ANN001
    reference = mapped["chain_sugar"]

    customer_article_reference_update(reference=reference, article=catalogue["jam"], packaging_level="case")

    reference.refresh_from_db()
    assert (reference.code, reference.article, reference.packaging_level) == ("ENS-2", catalogue["jam"], "case")


def test_update_to_a_code_the_node_has_is_refused_and_nothing_changes(hierarchy, mapped):  # noqa: ANN001
    with pytest.raises(ValidationFailed) as exc:
        customer_article_reference_update(reference=mapped["chain_sugar"], code="ENS-1")

    assert _errors(exc) == {"code": [_taken("ENS", "ENS-1", "CONF370")]}
    mapped["chain_sugar"].refresh_from_db()
    assert mapped["chain_sugar"].code == "ENS-2"


def test_delete_removes_the_reference_and_the_ancestors_one_applies_again(hierarchy, catalogue, mapped):  # noqa: ANN001
    customer_article_reference_delete(reference=mapped["group_override"])

    assert not CustomerArticleReference.objects.filter(pk=mapped["group_override"].pk).exists()
    assert customer_article_references_resolve(node=hierarchy["store"], codes=["ENS-2"]) == {
        "ENS-2": (catalogue["sugar"], "")}


# ---------------------------------------------------------------- selectors


def test_the_nearest_node_wins_and_the_rest_is_inherited_in_one_query(hierarchy, catalogue, mapped):  # noqa: ANN001
    store = hierarchy["store"]

    with CaptureQueriesContext(connection) as queries:
        resolved = customer_article_references_resolve(node=store, codes=["ENS-1", "ENS-2", " ENS-2 ", "NOPE"])

    assert len(queries) == 1
    assert resolved == {"ENS-1": (catalogue["jam"], ""), "ENS-2": (catalogue["jam"], "case")}
    # Above the buying group, the chain's own mapping still holds.
    assert customer_article_references_resolve(node=hierarchy["chain"], codes=["ENS-2"]) == {
        "ENS-2": (catalogue["sugar"], "")}


def test_no_code_means_no_query(hierarchy):  # noqa: ANN001
    with CaptureQueriesContext(connection) as queries:
        assert customer_article_references_resolve(node=hierarchy["store"], codes=["", "  "]) == {}
    assert len(queries) == 0


def test_another_chains_references_do_not_apply(hierarchy, catalogue, mapped):  # noqa: ANN001
    other = factories.CustomerNodeFactory(kind="chain", code="AUTRE")
    store = factories.CustomerNodeFactory(kind="store", parent=other, code="AUTRE-MAG")

    assert customer_article_references_resolve(node=store, codes=["ENS-1", "ENS-2"]) == {}


def test_a_node_lists_its_own_and_inherited_references_without_the_overridden_ones(
    hierarchy, mapped  # noqa: ANN001
):
    rows = customer_article_references_for(hierarchy["platform"])

    assert [(row.reference.pk, row.inherited, row.source.code) for row in rows] == [
        (mapped["chain_jam"].pk, True, "ENS"), (mapped["group_override"].pk, True, "CEN")]
    own = customer_article_references_for(hierarchy["group"])
    assert [(row.reference.code, row.inherited) for row in own] == [("ENS-1", True), ("ENS-2", False)]
    assert [row.reference.code for row in customer_article_references_for(hierarchy["store"], search="fraise")] == [
        "ENS-1", "ENS-2"]


# ---------------------------------------------------------------- API


def _api_errors(response) -> dict[str, list[str]]:  # noqa: ANN001
    body = response.json()
    assert body["code"] == "validation_failed", body
    return body["details"]["errors"]


def test_sales_creates_reads_changes_and_deletes_a_reference(hierarchy, catalogue, sales_user, api_for):  # noqa: ANN001
    client = api_for(sales_user)
    created = client.post(API, {"customer_node": hierarchy["chain"].pk, "code": " ENS-7 ",
                                "article": catalogue["jam"].pk, "packaging_level": "case"}, format="json")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert {key: body[key] for key in ("customer_node", "customer_code", "code", "article", "article_code",
                                       "packaging_level", "description")} == {
        "customer_node": hierarchy["chain"].pk, "customer_code": "ENS", "code": "ENS-7",
        "article": catalogue["jam"].pk, "article_code": "CONF370", "packaging_level": "case", "description": ""}
    url = f"{API}{body['id']}/"

    changed = client.patch(url, {"packaging_level": "", "description": "Confiture"}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["packaging_level"], changed.json()["description"]) == ("", "Confiture")

    listed = client.get(API, {"customer_node": hierarchy["chain"].pk, "code": "ENS-7"})
    assert [row["id"] for row in listed.json()["results"]] == [body["id"]]
    assert client.get(API, {"code": "ENS-8"}).json()["results"] == []

    assert client.delete(url).status_code == 204
    assert not CustomerArticleReference.objects.exists()


def test_the_api_filters_what_applies_to_a_node(hierarchy, mapped, sales_user, api_for):  # noqa: ANN001
    response = api_for(sales_user).get(API, {"applies_to": hierarchy["store"].pk, "ordering": "code"})

    assert sorted(row["id"] for row in response.json()["results"]) == sorted(
        reference.pk for reference in mapped.values())
    other = factories.CustomerNodeFactory(kind="chain", code="AUTRE")
    assert api_for(sales_user).get(API, {"applies_to": other.pk}).json()["results"] == []


def test_the_api_refuses_what_the_service_refuses_and_writes_nothing(
    hierarchy, catalogue, mapped, sales_user, api_for  # noqa: ANN001
):
    client = api_for(sales_user)
    duplicate = client.post(API, {"customer_node": hierarchy["chain"].pk, "code": "ENS-1",
                                  "article": catalogue["sugar"].pk}, format="json")
    no_case = client.post(API, {"customer_node": hierarchy["chain"].pk, "code": "ENS-9",
                                "article": catalogue["sugar"].pk, "packaging_level": "case"}, format="json")
    blank = client.post(API, {"customer_node": hierarchy["chain"].pk, "code": "  ",
                              "article": catalogue["sugar"].pk}, format="json")

    assert duplicate.status_code == 400
    assert _api_errors(duplicate) == {"code": [_taken("ENS", "ENS-1", "CONF370")]}
    assert no_case.status_code == 400
    assert _api_errors(no_case) == {"packaging_level": [_no_level("SUCRE", "case")]}
    assert blank.status_code == 400 and list(_api_errors(blank)) == ["code"]
    assert CustomerArticleReference.objects.count() == 3


def test_roles_without_the_permissions_are_refused(hierarchy, catalogue, mapped, make_user, api_for):  # noqa: ANN001
    payload = {"customer_node": hierarchy["chain"].pk, "code": "ENS-7", "article": catalogue["jam"].pk}
    warehouse = api_for(make_user(roles.WAREHOUSE))
    accounting = api_for(make_user(roles.ACCOUNTING))

    assert warehouse.get(API).status_code == 403
    assert warehouse.post(API, payload, format="json").status_code == 403
    assert accounting.delete(f"{API}{mapped['chain_jam'].pk}/").status_code == 403
    assert APIClient().get(API).status_code == 401
    assert CustomerArticleReference.objects.count() == 3


def test_a_partners_api_user_may_not_read_nor_write_references(hierarchy, catalogue, mapped, make_user):  # noqa: ANN001
    """An EDI partner's HTTP user has a token and no role: master data stays closed."""
    partner_user = make_user(username="partner-http")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=partner_user).key}")

    assert client.get(API).status_code == 403
    assert client.get(f"{API}{mapped['chain_jam'].pk}/").status_code == 403
    created = client.post(API, {"customer_node": hierarchy["chain"].pk, "code": "ENS-7",
                                "article": catalogue["jam"].pk}, format="json")
    assert created.status_code == 403
    assert created.json()["code"] == "permission_denied"
    assert CustomerArticleReference.objects.count() == 3


# ---------------------------------------------------------------- screen


def _detail(client: Client, node) -> str:  # noqa: ANN001
    response = client.get(reverse("trade:customer_detail", args=[node.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_customer_page_lists_own_and_inherited_references(hierarchy, mapped, sales_user, client_for):  # noqa: ANN001
    page = _detail(client_for(sales_user), hierarchy["group"])

    assert _("Customer article references") in page
    assert 'data-reference="ENS-1" data-source="inherited"' in page
    assert f'data-source-node="{hierarchy["chain"].pk}"' in page
    assert 'data-reference="ENS-2" data-source="own"' in page
    # Only the group's own reference may be edited or deleted here.
    own = mapped["group_override"].pk
    assert f'data-reference-edit="{own}"' in page and f'data-reference-delete="{own}"' in page
    assert f'data-reference-delete="{mapped["chain_jam"].pk}"' not in page
    assert 'data-reference-add' in page
    # A role that may not see references does not get the section.
    warehouse_page = _detail(client_for(factories.UserFactory(roles=[roles.WAREHOUSE])), hierarchy["group"])
    assert "data-article-references" not in warehouse_page


def test_sales_adds_a_reference_by_article_code_on_the_customer_page(
    hierarchy, catalogue, sales_user, client_for  # noqa: ANN001
):
    client = client_for(sales_user)
    response = client.post(reverse("trade:customer_reference_create", args=[hierarchy["chain"].pk]),
                           {"code": "ENS-5", "article": "conf370", "packaging_level": "case",
                            "description": "Confiture x12"})

    assert response.status_code == 302
    assert response["Location"] == reverse("trade:customer_detail", args=[hierarchy["chain"].pk]) + \
        "#article-references"
    reference = CustomerArticleReference.objects.get()
    assert (reference.customer_node, reference.code, reference.article, reference.packaging_level,
            reference.description) == (hierarchy["chain"], "ENS-5", catalogue["jam"], "case", "Confiture x12")
    assert [str(m) for m in response.wsgi_request._messages] == [
        _("Reference %(code)s added.") % {"code": "ENS-5"}]


def test_a_refused_reference_shows_the_form_again_and_writes_nothing(
    hierarchy, catalogue, mapped, sales_user, client_for  # noqa: ANN001
):
    url = reverse("trade:customer_reference_create", args=[hierarchy["chain"].pk])
    client = client_for(sales_user)
    duplicate = client.post(url, {"code": "ENS-1", "article": "SUCRE"})
    unknown = client.post(url, {"code": "ENS-6", "article": "NOPE"})

    assert duplicate.status_code == 200
    assert escape(_taken("ENS", "ENS-1", "CONF370")) in duplicate.content.decode()
    assert unknown.status_code == 200
    assert escape(_("No article has the code or GTIN %(value)s.") % {"value": "NOPE"}) in unknown.content.decode()
    assert CustomerArticleReference.objects.count() == 3


def test_sales_edits_and_deletes_an_own_reference(hierarchy, catalogue, mapped, sales_user, client_for):  # noqa: ANN001
    client = client_for(sales_user)
    reference = mapped["chain_sugar"]
    edit_url = reverse("trade:customer_reference_update", args=[hierarchy["chain"].pk, reference.pk])

    form = client.get(edit_url)
    assert form.status_code == 200
    assert 'name="code" value="ENS-2"' in form.content.decode()
    assert client.post(edit_url, {"code": "ENS-2", "article": "CONF370", "packaging_level": "case"}).status_code == 302
    reference.refresh_from_db()
    assert (reference.article, reference.packaging_level) == (catalogue["jam"], "case")

    delete_url = reverse("trade:customer_reference_delete", args=[hierarchy["chain"].pk, reference.pk])
    assert client.get(delete_url).status_code == 405
    assert client.post(delete_url).status_code == 302
    assert not CustomerArticleReference.objects.filter(pk=reference.pk).exists()


def test_an_inherited_reference_is_not_changed_from_a_node_below(hierarchy, mapped, sales_user, client_for):  # noqa: ANN001
    client = client_for(sales_user)
    chain_jam = mapped["chain_jam"]

    edit = client.post(reverse("trade:customer_reference_update", args=[hierarchy["store"].pk, chain_jam.pk]),
                       {"code": "X", "article": "SUCRE"})
    delete = client.post(reverse("trade:customer_reference_delete", args=[hierarchy["store"].pk, chain_jam.pk]))

    assert (edit.status_code, delete.status_code) == (404, 404)
    chain_jam.refresh_from_db()
    assert chain_jam.code == "ENS-1"


def test_the_forms_need_the_csrf_token(hierarchy, mapped, sales_user):  # noqa: ANN001
    client = Client(enforce_csrf_checks=True)
    client.force_login(sales_user)

    add = client.post(reverse("trade:customer_reference_create", args=[hierarchy["chain"].pk]),
                      {"code": "ENS-5", "article": "CONF370"})
    delete = client.post(reverse("trade:customer_reference_delete",
                                 args=[hierarchy["chain"].pk, mapped["chain_jam"].pk]))

    assert (add.status_code, delete.status_code) == (403, 403)
    assert CustomerArticleReference.objects.count() == 3


def test_roles_without_the_permissions_may_not_add_edit_or_delete(
    hierarchy, mapped, make_user, client_for, client  # noqa: ANN001
):
    reference = mapped["chain_jam"]
    urls = [
        reverse("trade:customer_reference_create", args=[hierarchy["chain"].pk]),
        reverse("trade:customer_reference_update", args=[hierarchy["chain"].pk, reference.pk]),
        reverse("trade:customer_reference_delete", args=[hierarchy["chain"].pk, reference.pk]),
    ]
    for role in (roles.WAREHOUSE, roles.ACCOUNTING):
        user_client = client_for(make_user(role))
        for url in urls:
            assert user_client.post(url, {"code": "ENS-5", "article": "SUCRE"}).status_code == 403, (role, url)
    anonymous = client.post(urls[0], {"code": "ENS-5", "article": "SUCRE"})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert CustomerArticleReference.objects.count() == 3
    reference.refresh_from_db()
    assert reference.code == "ENS-1"


def test_the_article_field_suggests_articles_by_code_designation_or_gtin(catalogue, sales_user, client_for):  # noqa: ANN001
    client = client_for(sales_user)
    url = reverse("trade:article_lookup")
    gtin = catalogue["jam"].packagings.get().gtin

    assert client.get(url, {"q": "fraise"}).json() == {
        "results": [{"value": "CONF370", "label": "Confiture fraise 370 g"}]}
    assert [item["value"] for item in client.get(url, {"q": gtin}).json()["results"]] == ["CONF370"]
    assert client.get(url, {"q": "s"}).json() == {"results": []}
