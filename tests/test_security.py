"""API security: authentication on every endpoint, role permissions, CSRF on session writes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from comptoir import roles
from tests import factories

pytestmark = pytest.mark.django_db


def _api_list_url_names() -> list[str]:
    """Every router list route under /api/, whichever domain registers it: the named
    patterns whose viewset maps GET to ``list``."""
    names: set[str] = set()

    def walk(patterns, namespace: str, prefix: str) -> None:  # noqa: ANN001
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(
                    pattern.url_patterns,
                    pattern.namespace or namespace,
                    prefix + str(pattern.pattern),
                )
            elif (
                prefix.startswith("api/")
                and pattern.name
                and getattr(pattern.callback, "actions", {}).get("get") == "list"
            ):
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, "", "")
    return sorted(names)


LIST_URL_NAMES = _api_list_url_names()


def _assert_error_body(response, code: str) -> None:  # noqa: ANN001
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code


@pytest.mark.parametrize("url_name", LIST_URL_NAMES)
def test_anonymous_gets_401_with_a_token_challenge_on_every_list_endpoint(url_name):
    response = APIClient().get(reverse(url_name))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    _assert_error_body(response, "not_authenticated")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/customers/"),
        ("get", "/api/customers/1/effective-settings/"),
        ("get", "/api/customers/1/children/"),
        ("get", "/api/customers/1/ancestors/"),
        ("put", "/api/articles/1/components/"),
        ("get", "/api/articles/by-gtin/3760000000001/"),
        ("get", "/api/company/"),
        ("put", "/api/company/"),
        ("get", "/api/search/?q=a"),
    ],
)
def test_anonymous_gets_401_on_actions_and_non_model_endpoints(method, url):
    response = getattr(APIClient(), method)(url, {}, format="json")

    assert response.status_code == 401
    _assert_error_body(response, "not_authenticated")


def test_a_bad_token_is_refused_with_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get("/api/customers/")

    assert response.status_code == 401
    _assert_error_body(response, "authentication_failed")


def test_the_token_endpoint_is_the_one_open_to_anonymous_users(sales_user):
    response = APIClient().post(
        "/api/auth/token/", {"username": "sales", "password": "pass-Comptoir-1"}, format="json"
    )

    assert response.status_code == 200
    assert len(response.json()["token"]) == 40


@pytest.mark.parametrize(
    ("url", "payload"),
    [
        ("/api/customers/", {"code": "W1", "name": "Interdit", "kind": "chain"}),
        ("/api/price-lists/", {"code": "W1", "name": "Interdit"}),
        ("/api/supplier-articles/", {"purchase_price": "1"}),
    ],
)
def test_warehouse_may_not_create_customers_price_lists_or_supplier_articles(
    warehouse_user, api_for, url, payload
):
    response = api_for(warehouse_user).post(url, payload, format="json")

    assert response.status_code == 403
    _assert_error_body(response, "permission_denied")


def test_warehouse_may_not_change_customers_price_lists_or_supplier_articles(
    warehouse_user, api_for, hierarchy
):
    price_list = factories.PriceListFactory()
    supplier_article = factories.SupplierArticleFactory()
    client = api_for(warehouse_user)

    customer = client.patch(
        f"/api/customers/{hierarchy['store'].pk}/", {"name": "Piraté"}, format="json"
    )
    prices = client.patch(f"/api/price-lists/{price_list.pk}/", {"name": "Piraté"}, format="json")
    purchase = client.patch(
        f"/api/supplier-articles/{supplier_article.pk}/", {"purchase_price": "0.01"}, format="json"
    )

    assert [customer.status_code, prices.status_code, purchase.status_code] == [403, 403, 403]
    hierarchy["store"].refresh_from_db()
    assert hierarchy["store"].name == "Magasin Test"


def test_warehouse_reads_customers_and_the_catalogue_but_not_prices(
    warehouse_user, api_for, hierarchy
):
    client = api_for(warehouse_user)

    assert client.get("/api/customers/").status_code == 200
    assert (
        client.get(f"/api/customers/{hierarchy['store'].pk}/effective-settings/").status_code == 200
    )
    assert client.get("/api/articles/").status_code == 200
    # Prices are not the warehouse's business: the role holds no view permission on them.
    assert client.get("/api/price-lists/").status_code == 403
    assert client.get("/api/supplier-articles/").status_code == 403


def test_sales_creates_customers_but_not_articles(sales_user, api_for):
    client = api_for(sales_user)
    family = factories.FamilyFactory()

    customer = client.post(
        "/api/customers/", {"code": "S1", "name": "Client", "kind": "chain"}, format="json"
    )
    article = client.post(
        "/api/articles/", {"code": "S1", "designation": "x", "family": family.pk}, format="json"
    )

    assert customer.status_code == 201
    assert article.status_code == 403


def test_nested_data_a_role_may_not_view_is_left_out(
    sales_user, purchasing_user, api_for, hierarchy
):
    supplier_article = factories.SupplierArticleFactory()
    article_url = f"/api/articles/{supplier_article.article_id}/"
    customer_url = f"/api/customers/{hierarchy['store'].pk}/"

    seen_by_sales = api_for(sales_user).get(article_url).json()
    seen_by_purchasing = api_for(purchasing_user).get(article_url).json()
    customer_seen_by_purchasing = api_for(purchasing_user).get(customer_url).json()

    assert "supplier_articles" not in seen_by_sales  # no purchase prices for sales
    assert "packagings" in seen_by_sales
    assert [row["purchase_price"] for row in seen_by_purchasing["supplier_articles"]] == ["1.2500"]
    assert "addresses" not in customer_seen_by_purchasing
    assert "contacts" not in customer_seen_by_purchasing


def test_writing_nested_rows_needs_their_own_permissions(make_user, api_for):
    editor = make_user(username="article-editor")
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_article", "add_article", "change_article"])
    )
    client = api_for(editor)
    family = factories.FamilyFactory()
    payload = {"code": "N1", "designation": "Sans conditionnement", "family": family.pk}

    with_packagings = client.post(
        "/api/articles/",
        {**payload, "packagings": [{"level": "case", "quantity": "6"}]},
        format="json",
    )
    without = client.post("/api/articles/", payload, format="json")
    components = client.put(
        f"/api/articles/{without.json()['id']}/components/", {"components": []}, format="json"
    )

    assert with_packagings.status_code == 403
    assert without.status_code == 201
    assert components.status_code == 403


def test_company_reads_and_writes_follow_the_role(sales_user, make_user, api_for):
    accounting = api_for(make_user(roles.ACCOUNTING, username="accounting"))
    sales = api_for(sales_user)

    assert sales.put("/api/company/", {"legal_name": "x"}, format="json").status_code == 403
    assert accounting.put("/api/company/", {"legal_name": ""}, format="json").status_code == 400


def test_search_needs_a_view_permission_of_some_kind(make_user, api_for):
    nobody = api_for(make_user(username="nobody"))

    assert nobody.get("/api/search/?q=a").status_code == 403


def test_a_session_post_without_csrf_token_is_refused(sales_user):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="sales", password="pass-Comptoir-1")
    payload = {"code": "CSRF", "name": "Sans jeton", "kind": "chain"}

    refused = client.post("/api/customers/", payload, format="json")
    client.cookies["csrftoken"] = "a" * 32
    accepted = client.post("/api/customers/", payload, format="json", HTTP_X_CSRFTOKEN="a" * 32)

    assert refused.status_code == 403
    _assert_error_body(refused, "permission_denied")
    assert "CSRF" in refused.json()["message"]
    assert accepted.status_code == 201
