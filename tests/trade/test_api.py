"""The trade REST API: CRUD, nested writes, inheritance reporting, filters, lookups."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from stdnum import luhn

from comptoir import roles
from comptoir.identifiers import fr_vat_from_siren
from tests import factories
from trade.models import (
    Article,
    ArticleFamily,
    Brand,
    Company,
    CustomerAddress,
    CustomerNode,
    KitComponent,
    Packaging,
    Supplier,
)
from trade.services import article_save, customer_node_save, kit_components_set

pytestmark = pytest.mark.django_db


def wrong_check_digit(value: str) -> str:
    return value[:-1] + str((int(value[-1]) + 1) % 10)


BAD_GLN = wrong_check_digit(factories.gln(999))
BAD_GTIN = wrong_check_digit(factories.gtin(999))
BAD_VAT = wrong_check_digit(fr_vat_from_siren(factories.siren(999)))
BAD_SIRET = wrong_check_digit(factories.siren(998) + "00012")
BAD_SIREN = wrong_check_digit(factories.siren(997))


def errors_of(response) -> dict:  # noqa: ANN001
    body = response.json()
    assert body["code"] == "validation_failed", body
    return body["details"]["errors"]


@pytest.fixture
def sales_api(sales_user, api_for) -> APIClient:  # noqa: ANN001
    return api_for(sales_user)


@pytest.fixture
def purchasing_api(purchasing_user, api_for) -> APIClient:  # noqa: ANN001
    return api_for(purchasing_user)


@pytest.fixture
def accounting_api(make_user, api_for) -> APIClient:  # noqa: ANN001
    return api_for(make_user(roles.ACCOUNTING, username="accounting"))


def _address(**overrides: str) -> dict:
    return {
        "kind": "delivery",
        "line1": "1 rue du Port",
        "postal_code": "44000",
        "city": "Nantes",
        **overrides,
    }


# --------------------------------------------------------------------------- customers


def test_sales_creates_a_chain_with_addresses_and_contacts(sales_api):
    response = sales_api.post(
        "/api/customers/",
        {
            "code": "ENS1",
            "name": "Enseigne Une",
            "kind": "chain",
            "gln": factories.gln(900),
            "credit_limit": "1500.50",
            "addresses": [_address(kind="head_office")],
            "contacts": [{"name": "Claire Martin", "email": "claire@example.fr"}],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    node = CustomerNode.objects.get(code="ENS1")
    assert body["id"] == node.pk
    assert body["path"] == f"/{node.pk}/"
    assert body["depth"] == 0
    assert body["credit_limit"] == "1500.50"
    assert [(a["kind"], a["city"]) for a in body["addresses"]] == [("head_office", "Nantes")]
    assert [c["name"] for c in body["contacts"]] == ["Claire Martin"]
    assert node.addresses.count() == 1


def test_a_node_created_under_a_parent_gets_its_path_and_depth(sales_api, hierarchy):
    platform = hierarchy["platform"]

    response = sales_api.post(
        "/api/customers/",
        {"code": "MAG2", "name": "Magasin Deux", "kind": "store", "parent": platform.pk},
        format="json",
    )

    assert response.status_code == 201, response.json()
    store = CustomerNode.objects.get(code="MAG2")
    assert response.json()["path"] == f"{platform.path}{store.pk}/"
    assert response.json()["depth"] == 3


def test_path_depth_and_created_at_are_read_only(sales_api, hierarchy):
    store = hierarchy["store"]
    before = CustomerNode.objects.get(pk=store.pk)

    response = sales_api.patch(
        f"/api/customers/{store.pk}/",
        {
            "path": "/1/",
            "depth": 9,
            "created_at": "2000-01-01T00:00:00Z",
            "name": "Magasin Renommé",
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    after = CustomerNode.objects.get(pk=store.pk)
    assert (after.path, after.depth, after.created_at) == (
        before.path,
        before.depth,
        before.created_at,
    )
    assert after.name == "Magasin Renommé"


def test_moving_a_node_under_its_own_descendant_is_refused_and_nothing_moves(sales_api, hierarchy):
    chain, group = hierarchy["chain"], hierarchy["group"]
    regional = factories.CustomerNodeFactory(
        kind="buying_group", parent=group, code="REG", name="Régionale"
    )
    paths_before = dict(CustomerNode.objects.values_list("pk", "path"))

    response = sales_api.patch(
        f"/api/customers/{group.pk}/", {"parent": regional.pk}, format="json"
    )

    assert response.status_code == 400
    assert "parent" in errors_of(response)
    group.refresh_from_db()
    assert group.parent_id == chain.pk
    assert dict(CustomerNode.objects.values_list("pk", "path")) == paths_before


@pytest.mark.parametrize(
    ("field", "value"),
    [("gln", BAD_GLN), ("vat_number", BAD_VAT), ("siret", BAD_SIRET), ("siren", BAD_SIREN)],
)
def test_a_bad_identifier_is_refused_naming_the_field(sales_api, field, value):
    response = sales_api.post(
        "/api/customers/",
        {"code": "BAD", "name": "Mauvais", "kind": "chain", field: value},
        format="json",
    )

    assert response.status_code == 400
    assert list(errors_of(response)) == [field]
    assert response.json()["message"].startswith(f"{field}:")
    assert not CustomerNode.objects.filter(code="BAD").exists()


def test_a_duplicate_gln_is_refused_naming_the_field(sales_api, hierarchy):
    response = sales_api.post(
        "/api/customers/",
        {"code": "DUP", "name": "Doublon", "kind": "chain", "gln": hierarchy["store"].gln},
        format="json",
    )

    assert response.status_code == 400
    assert list(errors_of(response)) == ["gln"]


def test_a_refused_update_leaves_the_nested_addresses_alone(sales_api, hierarchy):
    platform, store = hierarchy["platform"], hierarchy["store"]
    address = CustomerAddress.objects.create(customer=platform, **_address())

    # A store cannot have sub-nodes: the service refuses after the nested data validated.
    response = sales_api.patch(
        f"/api/customers/{platform.pk}/",
        {"parent": store.pk, "addresses": [_address(city="Rennes")]},
        format="json",
    )

    assert response.status_code == 400
    assert "parent" in errors_of(response)
    assert list(platform.addresses.values_list("pk", "city")) == [(address.pk, "Nantes")]


def test_nested_addresses_are_replaced_keeping_the_ids_that_are_sent(sales_api, hierarchy):
    store = hierarchy["store"]
    kept = CustomerAddress.objects.create(customer=store, **_address())
    dropped = CustomerAddress.objects.create(customer=store, **_address(kind="billing"))

    response = sales_api.patch(
        f"/api/customers/{store.pk}/",
        {
            "addresses": [
                {"id": kept.pk, **_address(city="Angers")},
                _address(kind="billing", city="Tours"),
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    rows = sorted(store.addresses.values_list("kind", "city"))
    assert rows == [("billing", "Tours"), ("delivery", "Angers")]
    assert store.addresses.filter(pk=kept.pk).exists()
    assert not CustomerAddress.objects.filter(pk=dropped.pk).exists()


def test_an_address_id_of_another_customer_is_refused(sales_api, hierarchy):
    foreign = CustomerAddress.objects.create(customer=hierarchy["chain"], **_address())

    response = sales_api.patch(
        f"/api/customers/{hierarchy['store'].pk}/",
        {"addresses": [{"id": foreign.pk, **_address(city="Brest")}]},
        format="json",
    )

    assert response.status_code == 400
    assert errors_of(response)["addresses"]["0"]["id"]
    foreign.refresh_from_db()
    assert foreign.city == "Nantes"


def test_effective_settings_report_each_value_and_where_it_comes_from(sales_api, hierarchy):
    chain, group, platform, store = (hierarchy[k] for k in ("chain", "group", "platform", "store"))
    platform.min_shelf_life_value, platform.min_shelf_life_unit = 30, "days"
    customer_node_save(platform)
    store.credit_limit = Decimal("2500.00")
    customer_node_save(store)

    response = sales_api.get(f"/api/customers/{store.pk}/effective-settings/")

    assert response.status_code == 200
    body = response.json()
    settings = body["settings"]
    assert body["node"] == {"id": store.pk, "code": "MAG", "name": "Magasin Test"}
    assert set(settings) == set(CustomerNode.INHERITABLE_FIELDS)
    assert settings["payment_terms"] == {
        "value": hierarchy["terms"].pk,
        "label": "45 jours fin de mois",
        "source": {"id": group.pk, "code": "CEN", "name": "Centrale Test"},
        "inherited": True,
    }
    assert settings["delivery_mode"]["value"] == "via_platform"
    assert settings["delivery_mode"]["source"]["id"] == chain.pk
    assert settings["min_shelf_life"]["value"] == {
        "min_shelf_life_value": 30,
        "min_shelf_life_unit": "days",
    }
    assert settings["min_shelf_life"]["source"]["id"] == platform.pk
    assert settings["credit_limit"] == {
        "value": "2500.00",
        "label": "2500.00",
        "source": {"id": store.pk, "code": "MAG", "name": "Magasin Test"},
        "inherited": False,
    }
    assert settings["price_list"] == {
        "value": None,
        "label": None,
        "source": None,
        "inherited": False,
    }
    # Nobody names an invoiced node: the store is invoiced itself, by default.
    assert settings["invoicing_node"]["value"] == store.pk
    assert settings["invoicing_node"]["source"] is None


def test_children_and_ancestors_walk_the_tree(sales_api, hierarchy):
    chain, group, platform, store = (hierarchy[k] for k in ("chain", "group", "platform", "store"))

    children = sales_api.get(f"/api/customers/{group.pk}/children/").json()
    ancestors = sales_api.get(f"/api/customers/{store.pk}/ancestors/").json()

    assert children["count"] == 1
    assert children["results"][0]["id"] == platform.pk
    assert children["results"][0]["child_count"] == 1
    assert [row["id"] for row in ancestors] == [chain.pk, group.pk, platform.pk]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=store", ["MAG"]),
        ("is_root=true", ["ENS"]),
        ("is_blocked=true", ["PF"]),
        ("search=centrale", ["CEN"]),
        ("ordering=code", ["CEN", "ENS", "MAG", "PF"]),
    ],
)
def test_customer_filters(sales_api, hierarchy, query, expected):
    platform = hierarchy["platform"]
    platform.is_blocked = True
    customer_node_save(platform)

    response = sales_api.get(f"/api/customers/?{query}")

    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == expected


def test_customer_filters_by_parent_descendants_and_gln(sales_api, hierarchy):
    group, platform, store = hierarchy["group"], hierarchy["platform"], hierarchy["store"]

    by_parent = sales_api.get(f"/api/customers/?parent={platform.pk}").json()["results"]
    below = sales_api.get(f"/api/customers/?descendant_of={group.pk}&ordering=depth").json()[
        "results"
    ]
    by_gln = sales_api.get(f"/api/customers/?gln={store.gln}").json()["results"]

    assert [row["code"] for row in by_parent] == ["MAG"]
    assert [row["code"] for row in below] == ["PF", "MAG"]
    assert [row["code"] for row in by_gln] == ["MAG"]


def test_lists_are_paginated_by_50_and_page_size_is_adjustable(sales_api):
    Brand.objects.bulk_create([Brand(name=f"Marque {n:03d}") for n in range(55)])

    first = sales_api.get("/api/brands/").json()
    second = sales_api.get("/api/brands/?page=2").json()
    small = sales_api.get("/api/brands/?page_size=10").json()

    assert first["count"] == 55
    assert len(first["results"]) == 50
    assert first["next"].endswith("/api/brands/?page=2")
    assert [row["name"] for row in second["results"]] == [f"Marque {n:03d}" for n in range(50, 55)]
    assert len(small["results"]) == 10


def test_deleting_a_node_that_has_children_answers_409_and_deletes_nothing(
    make_user, api_for, hierarchy
):
    admin = api_for(make_user(roles.ADMIN, username="boss"))

    response = admin.delete(f"/api/customers/{hierarchy['chain'].pk}/")

    assert response.status_code == 409
    assert response.json()["code"] == "protected"
    assert CustomerNode.objects.count() == 4


def test_deleting_a_leaf_node(make_user, api_for, hierarchy):
    admin = api_for(make_user(roles.ADMIN, username="boss"))

    response = admin.delete(f"/api/customers/{hierarchy['store'].pk}/")

    assert response.status_code == 204
    assert not CustomerNode.objects.filter(pk=hierarchy["store"].pk).exists()


# --------------------------------------------------------------------------- suppliers


def test_purchasing_creates_a_supplier_with_addresses_and_contacts(purchasing_api):
    siren = factories.siren(77)
    response = purchasing_api.post(
        "/api/suppliers/",
        {
            "code": "FRN1",
            "name": "Fournisseur Un",
            "gln": factories.gln(700001),
            "siren": siren,
            "vat_number": fr_vat_from_siren(siren),
            "minimum_order_amount": "150",
            "addresses": [_address(kind="head_office")],
            "contacts": [{"name": "Paul Durand", "role": "ADV"}],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["minimum_order_amount"] == "150.00"
    assert [a["kind"] for a in body["addresses"]] == ["head_office"]
    assert [c["name"] for c in body["contacts"]] == ["Paul Durand"]


def test_a_supplier_siret_must_start_with_its_siren(purchasing_api):
    other_siret = factories.siren(6) + "0001"
    other_siret += luhn.calc_check_digit(other_siret)

    response = purchasing_api.post(
        "/api/suppliers/",
        {"code": "FRN2", "name": "Deux", "siren": factories.siren(5), "siret": other_siret},
        format="json",
    )

    assert response.status_code == 400
    assert "siret" in errors_of(response)
    assert not Supplier.objects.filter(code="FRN2").exists()


def test_a_supplier_with_a_bad_nested_address_is_not_created(purchasing_api):
    response = purchasing_api.post(
        "/api/suppliers/",
        {"code": "FRN3", "name": "Trois", "addresses": [{"kind": "billing", "line1": "x"}]},
        format="json",
    )

    assert response.status_code == 400
    assert set(errors_of(response)["addresses"]["0"]) == {"postal_code", "city"}
    assert not Supplier.objects.filter(code="FRN3").exists()


def test_supplier_articles_crud(purchasing_api):
    supplier = factories.SupplierFactory()
    article = factories.ArticleFactory()

    created = purchasing_api.post(
        "/api/supplier-articles/",
        {
            "supplier": supplier.pk,
            "article": article.pk,
            "supplier_reference": "X-1",
            "purchase_price": "2.5",
        },
        format="json",
    )
    duplicate = purchasing_api.post(
        "/api/supplier-articles/",
        {"supplier": supplier.pk, "article": article.pk, "purchase_price": "3"},
        format="json",
    )
    negative = purchasing_api.patch(
        f"/api/supplier-articles/{created.json()['id']}/", {"purchase_price": "-1"}, format="json"
    )

    assert created.status_code == 201, created.json()
    assert created.json()["purchase_price"] == "2.5000"
    assert created.json()["supplier_code"] == supplier.code
    assert duplicate.status_code == 400
    assert negative.status_code == 400
    assert "purchase_price" in errors_of(negative)
    assert article.supplier_articles.get().purchase_price == Decimal("2.5000")


# --------------------------------------------------------------------------- catalogue


def _article_payload(family: ArticleFamily, **overrides: object) -> dict:
    return {
        "code": "ART1",
        "designation": "Yaourt nature x4",
        "family": family.pk,
        "vat_rate": "5.50",
        "tracking_mode": "lot_dlc",
        "shelf_life_days": 30,
        **overrides,
    }


def test_purchasing_creates_an_article_with_its_packagings(purchasing_api):
    family = factories.FamilyFactory()

    response = purchasing_api.post(
        "/api/articles/",
        _article_payload(
            family,
            net_weight_kg="0.5",
            packagings=[
                {"level": "consumer_unit", "quantity": "1", "gtin": factories.gtin(1)},
                {
                    "level": "case",
                    "quantity": "12",
                    "gtin": factories.gtin(2),
                    "gross_weight_kg": "6.5",
                },
            ],
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["net_weight_kg"] == "0.500"
    assert body["is_kit"] is False
    assert [(p["level"], p["quantity"], p["gtin"]) for p in body["packagings"]] == [
        ("consumer_unit", "1.000", factories.gtin(1)),
        ("case", "12.000", factories.gtin(2)),
    ]
    assert body["components"] == []
    assert body["supplier_articles"] == []


def test_an_article_rule_of_the_model_is_refused_naming_the_field(purchasing_api):
    family = factories.FamilyFactory()

    response = purchasing_api.post(
        "/api/articles/", _article_payload(family, shelf_life_days=None), format="json"
    )

    assert response.status_code == 400
    assert list(errors_of(response)) == ["shelf_life_days"]
    assert not Article.objects.exists()


def test_a_bad_gtin_refuses_the_whole_article(purchasing_api):
    family = factories.FamilyFactory()

    response = purchasing_api.post(
        "/api/articles/",
        _article_payload(
            family,
            packagings=[
                {"level": "consumer_unit", "quantity": "1", "gtin": factories.gtin(3)},
                {"level": "case", "quantity": "12", "gtin": BAD_GTIN},
            ],
        ),
        format="json",
    )

    assert response.status_code == 400
    errors = errors_of(response)["packagings"]
    assert list(errors) == ["1"]
    assert "gtin" in errors["1"]
    assert not Article.objects.exists()
    assert not Packaging.objects.exists()


def test_a_negative_packaging_quantity_is_refused_naming_the_field(purchasing_api):
    family = factories.FamilyFactory()

    response = purchasing_api.post(
        "/api/articles/",
        _article_payload(family, packagings=[{"level": "case", "quantity": "-12"}]),
        format="json",
    )

    assert response.status_code == 400
    assert "quantity" in errors_of(response)["packagings"]["0"]
    assert not Article.objects.exists()


def test_a_gtin_of_another_article_is_refused_in_any_of_its_forms(purchasing_api):
    other = factories.PackagingFactory(gtin=factories.gtin(4))
    family = factories.FamilyFactory()

    response = purchasing_api.post(
        "/api/articles/",
        _article_payload(
            family, packagings=[{"level": "case", "quantity": "6", "gtin": "0" + other.gtin}]
        ),
        format="json",
    )

    assert response.status_code == 400
    assert other.article.code in errors_of(response)["packagings"]["0"]["gtin"][0]


def test_packagings_are_replaced_level_by_level_and_a_gtin_may_change_level(purchasing_api):
    article = factories.ArticleFactory()
    unit = factories.PackagingFactory(
        article=article, level="consumer_unit", quantity=1, gtin=factories.gtin(5)
    )
    case = factories.PackagingFactory(
        article=article, level="case", quantity=12, gtin=factories.gtin(6)
    )
    pallet = factories.PackagingFactory(article=article, level="pallet", quantity=480, gtin="")

    response = purchasing_api.patch(
        f"/api/articles/{article.pk}/",
        {
            "packagings": [
                {"level": "consumer_unit", "quantity": "1", "gtin": factories.gtin(6)},
                {"level": "case", "quantity": "24", "gtin": factories.gtin(5)},
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    rows = {p.level: (p.pk, p.quantity, p.gtin) for p in article.packagings.all()}
    assert rows == {
        "consumer_unit": (unit.pk, Decimal("1.000"), factories.gtin(6)),
        "case": (case.pk, Decimal("24.000"), factories.gtin(5)),
    }
    assert not Packaging.objects.filter(pk=pallet.pk).exists()


def test_a_patch_without_packagings_keeps_them(purchasing_api):
    packaging = factories.PackagingFactory()

    response = purchasing_api.patch(
        f"/api/articles/{packaging.article_id}/", {"designation": "Nouveau nom"}, format="json"
    )

    assert response.status_code == 200
    assert list(Packaging.objects.values_list("pk", flat=True)) == [packaging.pk]


def _kit(code: str) -> Article:
    return factories.ArticleFactory(code=code, kit_kind="assembled")


def test_kit_components_are_set_through_the_service(purchasing_api):
    kit = _kit("KIT1")
    first, second = factories.ArticleFactory(code="C1"), factories.ArticleFactory(code="C2")

    response = purchasing_api.put(
        f"/api/articles/{kit.pk}/components/",
        {
            "components": [
                {"component": first.pk, "quantity": "2"},
                {"component": second.pk, "quantity": "0.5"},
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert [(c["component_code"], c["quantity"]) for c in response.json()["components"]] == [
        ("C1", "2.000"),
        ("C2", "0.500"),
    ]
    assert (
        purchasing_api.get(f"/api/articles/{kit.pk}/").json()["components"]
        == response.json()["components"]
    )


def test_a_kit_cycle_is_refused_with_400_and_nothing_changes(purchasing_api):
    outer, inner = _kit("KIT-OUT"), _kit("KIT-IN")
    leaf = factories.ArticleFactory(code="LEAF")
    kit_components_set(kit=outer, components=[(inner, Decimal("1"))])
    kit_components_set(kit=inner, components=[(leaf, Decimal("3"))])

    response = purchasing_api.put(
        f"/api/articles/{inner.pk}/components/",
        {"components": [{"component": outer.pk, "quantity": "1"}]},
        format="json",
    )

    assert response.status_code == 400
    assert "components" in errors_of(response)
    assert list(
        KitComponent.objects.filter(kit=inner).values_list("component__code", "quantity")
    ) == [("LEAF", Decimal("3.000"))]


def test_a_negative_component_quantity_is_refused_naming_the_field(purchasing_api):
    kit, part = _kit("KIT2"), factories.ArticleFactory()
    kit_components_set(kit=kit, components=[(part, Decimal("1"))])

    response = purchasing_api.put(
        f"/api/articles/{kit.pk}/components/",
        {"components": [{"component": part.pk, "quantity": "-2"}]},
        format="json",
    )

    assert response.status_code == 400
    assert "quantity" in errors_of(response)["components"]["0"]
    assert KitComponent.objects.get(kit=kit).quantity == Decimal("1.000")


def test_components_of_an_article_that_is_not_a_kit_are_refused(purchasing_api):
    article, part = factories.ArticleFactory(), factories.ArticleFactory()

    response = purchasing_api.put(
        f"/api/articles/{article.pk}/components/",
        {"components": [{"component": part.pk, "quantity": "1"}]},
        format="json",
    )

    assert response.status_code == 400
    assert "kit_kind" in errors_of(response)
    assert not KitComponent.objects.exists()


def test_article_filters(purchasing_api):
    fresh = factories.FamilyFactory(code="FRAIS")
    dairy = factories.FamilyFactory(code="LAIT", parent=fresh)
    dry = factories.FamilyFactory(code="SEC")
    brand = factories.BrandFactory(name="Laiterie")
    yoghurt = factories.ArticleFactory(
        code="YAO", family=dairy, brand=brand, tracking_mode="lot_dlc", shelf_life_days=30
    )
    salad = factories.ArticleFactory(code="SAL", family=fresh)
    pasta = factories.ArticleFactory(
        code="PAT", family=dry, tracking_mode="lot_ddm", shelf_life_days=700
    )
    pasta.status = "blocked"
    article_save(pasta)
    kit = _kit("KIT")
    kit.family = dry
    article_save(kit)
    factories.PackagingFactory(article=yoghurt, gtin=factories.gtin(42))

    def codes(query: str) -> list[str]:
        response = purchasing_api.get(f"/api/articles/?{query}")
        assert response.status_code == 200, response.json()
        return [row["code"] for row in response.json()["results"]]

    assert codes(f"family={fresh.pk}") == [salad.code, yoghurt.code]
    assert codes(f"family={dairy.pk}") == [yoghurt.code]
    assert codes(f"brand={brand.pk}") == [yoghurt.code]
    assert codes("status=blocked") == [pasta.code]
    assert codes("tracking_mode=lot_ddm") == [pasta.code]
    assert codes("kit_kind=assembled") == [kit.code]
    assert codes("is_kit=true") == [kit.code]
    assert codes(f"gtin={factories.gtin(42)}") == [yoghurt.code]
    assert codes(f"gtin=0{factories.gtin(42)}") == [yoghurt.code]
    assert codes("search=yao") == [yoghurt.code]


@pytest.mark.parametrize("stored_padded", [False, True])
def test_by_gtin_finds_gtin13_and_its_zero_padded_gtin14(sales_api, stored_padded):
    gtin13 = factories.gtin(77)
    packaging = factories.PackagingFactory(gtin="0" + gtin13 if stored_padded else gtin13)

    as_13 = sales_api.get(f"/api/articles/by-gtin/{gtin13}/")
    as_14 = sales_api.get(f"/api/articles/by-gtin/0{gtin13}/")

    for response in (as_13, as_14):
        assert response.status_code == 200, response.json()
        assert response.json()["packaging"]["id"] == packaging.pk
        assert response.json()["article"]["code"] == packaging.article.code


def test_by_gtin_answers_404_for_an_unknown_gtin(sales_api):
    response = sales_api.get(f"/api/articles/by-gtin/{factories.gtin(404)}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_family_moved_under_its_own_sub_family_is_refused(purchasing_api):
    root = factories.FamilyFactory(code="R")
    child = factories.FamilyFactory(code="R1", parent=root)

    created = purchasing_api.post(
        "/api/families/", {"code": "R11", "name": "Sous", "parent": child.pk}, format="json"
    )
    cycle = purchasing_api.patch(f"/api/families/{root.pk}/", {"parent": child.pk}, format="json")

    assert created.status_code == 201
    assert created.json()["path"] == f"{child.path}{created.json()['id']}/"
    assert created.json()["depth"] == 2
    assert cycle.status_code == 400
    assert "parent" in errors_of(cycle)
    root.refresh_from_db()
    assert (root.parent_id, root.path) == (None, f"/{root.pk}/")


# --------------------------------------------------------------- reference data


def test_payment_terms_beyond_the_legal_maximum_are_refused(accounting_api):
    response = accounting_api.post(
        "/api/payment-terms/",
        {"code": "50FM", "label": "50 jours FDM", "days": 50, "end_of_month": True},
        format="json",
    )

    assert response.status_code == 400
    assert "days" in errors_of(response)


def test_price_lists_and_document_templates_crud(sales_api, accounting_api):
    price_list = sales_api.post(
        "/api/price-lists/", {"code": "T1", "name": "Tarif général"}, format="json"
    )
    template = accounting_api.post(
        "/api/document-templates/", {"code": "STD", "name": "Standard"}, format="json"
    )
    renamed = sales_api.patch(
        f"/api/price-lists/{price_list.json()['id']}/", {"name": "Tarif 2025"}, format="json"
    )

    assert price_list.status_code == 201
    assert template.status_code == 201
    assert template.json()["show_gtin"] is True
    assert renamed.json()["name"] == "Tarif 2025"


def _company_payload(**overrides: str) -> dict:
    siren = factories.siren(1)
    return {
        "legal_name": "Comptoir Négoce SAS",
        "legal_form": "SAS",
        "share_capital": "100000",
        "rcs_city": "Nantes",
        "siren": siren,
        "vat_number": fr_vat_from_siren(siren),
        "line1": "3 quai de la Fosse",
        "postal_code": "44000",
        "city": "Nantes",
        "iban": "FR1420041010050500013M02606",
        **overrides,
    }


def test_the_company_singleton_is_created_then_read_and_updated(accounting_api):
    missing = accounting_api.get("/api/company/")
    created = accounting_api.put("/api/company/", _company_payload(), format="json")
    updated = accounting_api.patch(
        "/api/company/", {"bank_name": "Banque Populaire"}, format="json"
    )
    read = accounting_api.get("/api/company/")

    assert missing.status_code == 404
    assert created.status_code == 201, created.json()
    assert updated.status_code == 200
    assert read.json()["share_capital"] == "100000.00"
    assert read.json()["bank_name"] == "Banque Populaire"
    assert Company.objects.get().pk == 1


def test_a_bad_company_iban_is_refused_naming_the_field(accounting_api):
    response = accounting_api.put(
        "/api/company/", _company_payload(iban="FR0000000000000000000000000"), format="json"
    )

    assert response.status_code == 400
    assert "iban" in errors_of(response)
    assert not Company.objects.exists()


# --------------------------------------------------------------------------- search & auth


def test_search_covers_the_kinds_the_user_may_view(api_for, make_user, hierarchy):
    factories.ArticleFactory(code="MAG-ART", designation="Magnet")
    sales = api_for(make_user(roles.SALES, username="seller"))
    articles_only_user = make_user(username="catalogue-reader")
    articles_only_user.user_permissions.add(Permission.objects.get(codename="view_article"))
    articles_only = api_for(articles_only_user)

    everything = sales.get("/api/search/?q=mag").json()
    restricted = articles_only.get("/api/search/?q=mag").json()
    asked = sales.get("/api/search/?q=mag&kinds=customer").json()

    assert {(hit["kind"], hit["code"]) for hit in everything} == {
        ("customer", "MAG"),
        ("article", "MAG-ART"),
    }
    assert [(hit["kind"], hit["code"]) for hit in restricted] == [("article", "MAG-ART")]
    assert [(hit["kind"], hit["code"]) for hit in asked] == [("customer", "MAG")]


def test_search_needs_a_query(sales_api):
    response = sales_api.get("/api/search/")

    assert response.status_code == 400
    assert "q" in errors_of(response)


def test_a_token_from_the_token_endpoint_authenticates(sales_user):
    client = APIClient()

    refused = client.post(
        "/api/auth/token/", {"username": "sales", "password": "wrong"}, format="json"
    )
    issued = client.post(
        "/api/auth/token/", {"username": "sales", "password": "pass-Comptoir-1"}, format="json"
    )
    client.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    listed = client.get("/api/customers/")
    created = client.post(
        "/api/customers/", {"code": "TOK", "name": "Par jeton", "kind": "chain"}, format="json"
    )

    assert refused.status_code == 400
    assert issued.status_code == 200
    assert listed.status_code == 200
    # A token is not ambient like a cookie: no CSRF token is needed with it.
    assert created.status_code == 201


def _queries_for(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_list_queries_do_not_grow_with_the_number_of_rows(purchasing_api, hierarchy):
    def add_articles(count: int) -> None:
        for _n in range(count):
            article = factories.ArticleFactory()
            factories.PackagingFactory(article=article)
            factories.SupplierArticleFactory(article=article)

    add_articles(2)
    _queries_for(purchasing_api, "/api/articles/")  # warm the permission cache of the user
    few_articles = _queries_for(purchasing_api, "/api/articles/")
    few_customers = _queries_for(purchasing_api, "/api/customers/")
    add_articles(4)
    for n in range(4):
        factories.CustomerNodeFactory(kind="store", parent=hierarchy["platform"], code=f"S{n}")

    assert _queries_for(purchasing_api, "/api/articles/") == few_articles
    assert _queries_for(purchasing_api, "/api/customers/") == few_customers
