"""The OpenAPI schema generates cleanly, describes every endpoint and is served to users only."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from trade.api.urls import router


def test_the_schema_generates_and_validates_without_any_warning(tmp_path: Path):
    target = tmp_path / "schema.yml"

    # --fail-on-warn turns any warning or error into a SchemaGenerationError.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")


def test_every_route_is_described_with_its_security():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]

    for prefix, _viewset, _basename in router.registry:
        assert f"/api/{prefix}/" in paths
        assert f"/api/{prefix}/{{id}}/" in paths
    for path in (
        "/api/customers/{id}/effective-settings/",
        "/api/customers/{id}/children/",
        "/api/customers/{id}/ancestors/",
        "/api/articles/{id}/components/",
        "/api/articles/by-gtin/{gtin}/",
        "/api/company/",
        "/api/search/",
        "/api/auth/token/",
    ):
        assert path in paths
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert {"tokenAuth": []} in operation["security"], (method, path)


def test_decimals_are_strings_in_the_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    assert components["Customer"]["properties"]["credit_limit"]["type"] == "string"
    assert components["Customer"]["properties"]["credit_limit"]["format"] == "decimal"
    assert components["SupplierArticle"]["properties"]["purchase_price"]["type"] == "string"


def test_writes_take_the_input_serializer_and_answer_with_the_output_one():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    create = schema["paths"]["/api/customers/"]["post"]
    components = schema["components"]["schemas"]

    request_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    response_ref = create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert request_ref.endswith("/CustomerRequest")
    assert response_ref.endswith("/Customer")
    assert not {"path", "depth", "created_at"} & set(components["CustomerRequest"]["properties"])
    assert {"path", "depth", "created_at"} <= set(components["Customer"]["required"])


@pytest.mark.django_db
def test_the_schema_is_served_to_a_logged_in_user_only(sales_user):
    anonymous = APIClient().get("/api/schema/")
    client = APIClient()
    client.force_login(sales_user)
    served = client.get("/api/schema/")

    assert anonymous.status_code == 401
    assert served.status_code == 200
    assert b"/api/customers/" in served.content


@pytest.mark.django_db
def test_the_swagger_ui_loads_from_the_sidecar_for_a_logged_in_user(sales_user):
    client = APIClient()
    client.force_login(sales_user)

    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "/api/schema/" in page
