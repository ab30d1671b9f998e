"""Browser back-office of the trade master data, through Django's test client."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from comptoir import roles
from tests import factories
from trade.models import (
    Article,
    CustomerAddress,
    CustomerNode,
    KitComponent,
    Packaging,
    Supplier,
    SupplierAddress,
)
from trade.services import customer_node_save, kit_components_set

pytestmark = pytest.mark.django_db


def form_data(response: Any) -> dict[str, str]:
    """The POST a browser would send back for an unchanged form page: the main form,
    every formset's management form and rows, as rendered."""
    forms = [response.context["form"]]
    for formset in response.context["formsets"].values():
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    data: dict[str, str] = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            data[bound.html_name] = "on" if value is True else str(value)
    return data


def setting_row(html: str, name: str) -> str:
    match = re.search(rf'<tr data-setting="{name}".*?</tr>', html, re.S)
    assert match, f"no row for {name}"
    return match.group(0)


# ---------------------------------------------------------------- access


@pytest.fixture
def catalogue(db):  # noqa: ANN001, ANN201
    family = factories.FamilyFactory(code="EPI", name="Épicerie")
    article = factories.ArticleFactory(
        code="CONF370", designation="Confiture fraise 370 g", family=family
    )
    packaging = factories.PackagingFactory(article=article, level="case", quantity=Decimal("12"))
    supplier = factories.SupplierFactory(code="F001", name="Confiturerie Rhône")
    factories.SupplierArticleFactory(
        supplier=supplier, article=article, supplier_reference="CR-370"
    )
    return {"family": family, "article": article, "packaging": packaging, "supplier": supplier}


def test_every_screen_renders_for_a_user_with_the_rights(
    admin_user_role, client_for, hierarchy, catalogue
):
    client = client_for(admin_user_role)
    store, group = hierarchy["store"], hierarchy["group"]
    article, supplier = catalogue["article"], catalogue["supplier"]
    urls = [
        reverse("home"),
        reverse("search") + "?q=Test",
        reverse("trade:customer_tree"),
        reverse("trade:customer_tree") + f"?node={store.pk}",
        reverse("trade:customer_list") + "?kind=store&active=yes&blocked=no&q=MAG",
        reverse("trade:customer_detail", args=[store.pk]),
        reverse("trade:customer_card", args=[store.pk]),
        reverse("trade:customer_children", args=[group.pk]),
        reverse("trade:customer_create") + f"?parent={group.pk}",
        reverse("trade:customer_update", args=[store.pk]),
        reverse("trade:supplier_list") + "?q=F001",
        reverse("trade:supplier_detail", args=[supplier.pk]),
        reverse("trade:supplier_create"),
        reverse("trade:supplier_update", args=[supplier.pk]),
        reverse("trade:article_list") + f"?family={catalogue['family'].pk}&kit=none",
        reverse("trade:article_detail", args=[article.pk]),
        reverse("trade:article_create"),
        reverse("trade:article_update", args=[article.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url


def test_dashboard_counts_customers_per_kind(sales_user, client_for, hierarchy):
    response = client_for(sales_user).get(reverse("home"))

    kinds = {row["kind"]: row["count"] for row in response.context["customer_kinds"]}
    assert kinds == {"chain": 1, "buying_group": 1, "platform": 1, "store": 1}


@pytest.mark.parametrize(
    "url_name",
    [
        "home",
        "search",
        "trade:customer_tree",
        "trade:customer_list",
        "trade:supplier_list",
        "trade:article_list",
        "trade:customer_create",
    ],
)
def test_anonymous_visitor_is_sent_to_the_login_page(url_name):
    url = reverse(url_name)

    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_login_page_signs_a_user_in(make_user):
    make_user(roles.SALES, username="claire")
    client = Client()

    response = client.post(reverse("login"), {"username": "claire", "password": "pass-Comptoir-1"})

    assert response.status_code == 302
    assert client.get(reverse("trade:customer_tree")).status_code == 200


def test_warehouse_user_may_read_customers_but_not_create_or_edit_them(
    warehouse_user, client_for, hierarchy
):
    client = client_for(warehouse_user)
    store = hierarchy["store"]
    before = list(CustomerNode.objects.order_by("pk").values_list("pk", "name"))

    detail = client.get(reverse("trade:customer_detail", args=[store.pk]))
    responses = [
        client.get(reverse("trade:customer_create")),
        client.post(reverse("trade:customer_create"), {"kind": "chain", "code": "X", "name": "X"}),
        client.get(reverse("trade:customer_update", args=[store.pk])),
        client.post(reverse("trade:customer_update", args=[store.pk]), {"name": "Renamed"}),
    ]

    assert detail.status_code == 200
    assert reverse("trade:customer_update", args=[store.pk]) not in detail.content.decode()
    assert [response.status_code for response in responses] == [403, 403, 403, 403]
    assert list(CustomerNode.objects.order_by("pk").values_list("pk", "name")) == before


def test_user_without_role_gets_403_on_master_data(make_user, client_for, hierarchy):
    client = client_for(make_user())

    assert client.get(reverse("trade:customer_tree")).status_code == 403
    assert (
        client.get(reverse("trade:customer_children", args=[hierarchy["chain"].pk])).status_code
        == 403
    )
    assert client.get(reverse("trade:article_list")).status_code == 403


def test_sales_user_sees_no_article_edit_button_and_cannot_edit(sales_user, client_for, catalogue):
    client = client_for(sales_user)
    article = catalogue["article"]

    detail = client.get(reverse("trade:article_detail", args=[article.pk]))

    assert detail.status_code == 200
    assert reverse("trade:article_update", args=[article.pk]) not in detail.content.decode()
    assert client.get(reverse("trade:article_update", args=[article.pk])).status_code == 403


# ---------------------------------------------------------------- customer tree and card


def test_tree_page_draws_only_the_roots(sales_user, client_for, hierarchy):
    html = client_for(sales_user).get(reverse("trade:customer_tree")).content.decode()

    assert 'data-code="ENS"' in html
    assert 'data-code="CEN"' not in html
    assert reverse("trade:customer_children", args=[hierarchy["chain"].pk]) in html


def test_children_fragment_comes_a_page_at_a_time(sales_user, client_for, hierarchy, monkeypatch):
    monkeypatch.setattr("trade.views.customers.TREE_CHILDREN_PAGE", 2)
    platform = hierarchy["platform"]
    for number in range(2):
        factories.CustomerNodeFactory(
            kind="store", parent=platform, code=f"MAG{number}", name=f"Store {number}"
        )
    client = client_for(sales_user)
    url = reverse("trade:customer_children", args=[platform.pk])

    first = client.get(url).content.decode()
    second = client.get(f"{url}?offset=2").content.decode()

    assert re.findall(r'data-code="([^"]+)"', first) == ["MAG", "MAG0"]
    assert f'data-more-url="{url}?offset=2"' in first
    assert re.findall(r'data-code="([^"]+)"', second) == ["MAG1"]
    assert "data-more-url" not in second


def test_store_card_names_where_each_setting_comes_from(sales_user, client_for, hierarchy):
    store = hierarchy["store"]
    store.is_blocked = True
    store.full_cases_only = True
    customer_node_save(store)

    html = (
        client_for(sales_user).get(reverse("trade:customer_card", args=[store.pk])).content.decode()
    )

    terms = setting_row(html, "payment_terms")
    assert 'data-source="inherited"' in terms
    assert "45 jours fin de mois" in terms
    assert f'data-source-node="{hierarchy["group"].pk}"' in terms
    assert "Centrale Test" in terms
    delivery = setting_row(html, "delivery_mode")
    assert 'data-source="inherited"' in delivery
    assert f'data-source-node="{hierarchy["chain"].pk}"' in delivery
    assert 'data-source="own"' in setting_row(html, "full_cases_only")
    invoicing = setting_row(html, "invoicing_node")
    assert 'data-source="default"' in invoicing
    assert "MAG — Magasin Test" in invoicing
    assert 'data-source="unset"' in setting_row(html, "price_list")


# ---------------------------------------------------------------- customer forms


def test_sales_user_creates_a_store_under_a_platform(sales_user, client_for, hierarchy):
    client = client_for(sales_user)
    platform = hierarchy["platform"]
    page = client.get(reverse("trade:customer_create") + f"?parent={platform.pk}")
    data = form_data(page)
    gln = factories.gln(999999)
    assert data["kind"] == "store"
    assert data["parent"] == str(platform.pk)
    data.update(
        {
            "code": "MAG-LILLE",
            "name": "Magasin Lille Centre",
            "gln": f"{gln[:4]} {gln[4:8]} {gln[8:]}",
            "addresses-0-kind": "delivery",
            "addresses-0-line1": "3 rue Nationale",
            "addresses-0-postal_code": "59000",
            "addresses-0-city": "Lille",
            "contacts-0-name": "Léa Petit",
            "contacts-0-role": "Directrice",
        }
    )

    response = client.post(reverse("trade:customer_create") + f"?parent={platform.pk}", data)

    store = CustomerNode.objects.get(code="MAG-LILLE")
    assert response.status_code == 302
    assert response["Location"] == reverse("trade:customer_detail", args=[store.pk])
    assert store.path == f"{platform.path}{store.pk}/"
    assert store.depth == 3
    assert store.gln == gln
    assert list(store.addresses.values_list("city", flat=True)) == ["Lille"]
    assert list(store.contacts.values_list("name", flat=True)) == ["Léa Petit"]
    card = client.get(response["Location"]).content.decode()
    terms = setting_row(card, "payment_terms")
    assert "45 jours fin de mois" in terms
    assert 'data-source="inherited"' in terms
    assert reverse("trade:customer_detail", args=[hierarchy["group"].pk]) in terms


def test_form_explains_what_an_empty_setting_inherits(sales_user, client_for, hierarchy):
    page = client_for(sales_user).get(
        reverse("trade:customer_create") + f"?parent={hierarchy['platform'].pk}"
    )

    help_text = str(page.context["form"].fields["payment_terms"].help_text)
    assert "45 jours fin de mois" in help_text
    assert "Centrale Test" in help_text


def test_bad_gln_is_refused_by_the_form_and_nothing_is_saved(sales_user, client_for, hierarchy):
    client = client_for(sales_user)
    platform = hierarchy["platform"]
    valid = factories.gln(999998)
    bad_gln = valid[:-1] + str((int(valid[-1]) + 1) % 10)  # wrong check digit
    data = form_data(client.get(reverse("trade:customer_create") + f"?parent={platform.pk}"))
    data.update(
        {
            "code": "MAG-BAD",
            "name": "Magasin GLN faux",
            "gln": bad_gln,
            "addresses-0-kind": "delivery",
            "addresses-0-line1": "1 place du Marché",
            "addresses-0-postal_code": "59000",
            "addresses-0-city": "Lille",
        }
    )
    nodes_before, addresses_before = CustomerNode.objects.count(), CustomerAddress.objects.count()

    response = client.post(reverse("trade:customer_create"), data)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["gln"]
    assert bad_gln in response.context["form"].errors["gln"][0]
    assert CustomerNode.objects.count() == nodes_before
    assert CustomerAddress.objects.count() == addresses_before


def test_service_rule_is_shown_on_its_field_and_rolls_everything_back(
    sales_user, client_for, hierarchy
):
    """A buying group under a platform passes the form but not the service: the
    node, already inserted, and its address are rolled back together."""
    client = client_for(sales_user)
    data = form_data(
        client.get(reverse("trade:customer_create") + f"?parent={hierarchy['platform'].pk}")
    )
    data.update(
        {
            "kind": "buying_group",
            "code": "CEN-BAD",
            "name": "Centrale mal placée",
            "addresses-0-kind": "billing",
            "addresses-0-line1": "1 avenue Foch",
            "addresses-0-postal_code": "75016",
            "addresses-0-city": "Paris",
        }
    )
    nodes_before, addresses_before = CustomerNode.objects.count(), CustomerAddress.objects.count()

    response = client.post(reverse("trade:customer_create"), data)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["kind"]
    assert response.context["form"].instance.pk is None
    assert CustomerNode.objects.count() == nodes_before
    assert CustomerAddress.objects.count() == addresses_before


def test_invoicing_choices_are_the_ancestors_and_the_node_itself(sales_user, client_for, hierarchy):
    store = hierarchy["store"]

    page = client_for(sales_user).get(reverse("trade:customer_update", args=[store.pk]))

    values = [value for value, _label in page.context["form"].fields["invoicing_node"].choices]
    chain, group, platform = hierarchy["chain"], hierarchy["group"], hierarchy["platform"]
    assert values == ["", "self", str(chain.pk), str(group.pk), str(platform.pk)]


def test_new_node_may_be_invoiced_to_itself(sales_user, client_for, hierarchy):
    client = client_for(sales_user)
    platform = hierarchy["platform"]
    data = form_data(client.get(reverse("trade:customer_create") + f"?parent={platform.pk}"))
    data.update({"code": "MAG-SELF", "name": "Magasin facturé", "invoicing_node": "self"})

    response = client.post(reverse("trade:customer_create"), data)

    store = CustomerNode.objects.get(code="MAG-SELF")
    assert response.status_code == 302
    assert store.invoicing_node_id == store.pk


def test_edit_moves_a_store_and_keeps_its_settings_inherited(sales_user, client_for, hierarchy):
    client = client_for(sales_user)
    store, group = hierarchy["store"], hierarchy["group"]
    other_platform = factories.CustomerNodeFactory(
        kind="platform", parent=group, code="PF2", name="Plateforme 2"
    )
    data = form_data(client.get(reverse("trade:customer_update", args=[store.pk])))
    data.update({"parent": str(other_platform.pk), "name": "Magasin déplacé"})

    response = client.post(reverse("trade:customer_update", args=[store.pk]), data)

    store.refresh_from_db()
    assert response.status_code == 302
    assert (store.name, store.parent_id) == ("Magasin déplacé", other_platform.pk)
    assert store.path == f"{other_platform.path}{store.pk}/"


def test_customer_list_filters_by_kind_parent_and_blocked(sales_user, client_for, hierarchy):
    client = client_for(sales_user)
    blocked = factories.CustomerNodeFactory(
        kind="store",
        parent=hierarchy["platform"],
        code="MAG-B",
        name="Magasin bloqué",
        is_blocked=True,
    )
    url = reverse("trade:customer_list")

    def codes(query: str) -> list[str]:
        return [node.code for node in client.get(f"{url}?{query}").context["nodes"]]

    assert codes("kind=store") == ["MAG", "MAG-B"]
    assert codes(f"parent={hierarchy['platform'].pk}&blocked=yes") == [blocked.code]
    assert codes("q=centrale") == ["CEN"]
    assert codes("kind=chain&active=no") == []


# ---------------------------------------------------------------- suppliers


def test_purchasing_user_creates_a_supplier_with_an_address(purchasing_user, client_for):
    client = client_for(purchasing_user)
    data = form_data(client.get(reverse("trade:supplier_create")))
    data.update(
        {
            "code": "F900",
            "name": "Biscuiterie de l'Ouest",
            "gln": factories.gln(990001),
            "lead_time_days": "5",
            "minimum_order_amount": "250.00",
            "currency": "eur",
            "addresses-0-kind": "head_office",
            "addresses-0-line1": "ZA de Kerlann",
            "addresses-0-postal_code": "35000",
            "addresses-0-city": "Rennes",
        }
    )

    response = client.post(reverse("trade:supplier_create"), data)

    supplier = Supplier.objects.get(code="F900")
    assert response.status_code == 302
    assert (supplier.currency, supplier.minimum_order_amount) == ("EUR", Decimal("250.00"))
    assert list(
        SupplierAddress.objects.filter(supplier=supplier).values_list("city", flat=True)
    ) == ["Rennes"]


# ---------------------------------------------------------------- articles


def test_edit_article_with_packagings_inline(purchasing_user, client_for, catalogue):
    client = client_for(purchasing_user)
    article = catalogue["article"]
    data = form_data(client.get(reverse("trade:article_update", args=[article.pk])))
    unit_gtin = factories.gtin(880001)
    data.update(
        {
            "designation": "Confiture fraise extra 370 g",
            "packagings-0-quantity": "6",
            "packagings-1-level": "consumer_unit",
            "packagings-1-quantity": "1",
            "packagings-1-gtin": unit_gtin,
        }
    )

    response = client.post(reverse("trade:article_update", args=[article.pk]), data)

    article.refresh_from_db()
    assert response.status_code == 302
    assert article.designation == "Confiture fraise extra 370 g"
    assert sorted(article.packagings.values_list("level", "quantity", "gtin")) == [
        ("case", Decimal("6.000"), catalogue["packaging"].gtin),
        ("consumer_unit", Decimal("1.000"), unit_gtin),
    ]


def test_bad_gtin_in_a_packaging_line_is_refused_and_nothing_changes(
    purchasing_user, client_for, catalogue
):
    client = client_for(purchasing_user)
    article = catalogue["article"]
    data = form_data(client.get(reverse("trade:article_update", args=[article.pk])))
    data.update(
        {
            "designation": "Ne doit pas être enregistré",
            "packagings-1-level": "consumer_unit",
            "packagings-1-quantity": "1",
            "packagings-1-gtin": "3761000000001",
        }
    )

    response = client.post(reverse("trade:article_update", args=[article.pk]), data)

    article.refresh_from_db()
    assert response.status_code == 200
    assert list(response.context["formsets"]["packagings"].errors[1]) == ["gtin"]
    assert article.designation == "Confiture fraise 370 g"
    assert Packaging.objects.filter(article=article).count() == 1


def test_new_kit_is_created_with_its_components(purchasing_user, client_for, catalogue):
    client = client_for(purchasing_user)
    component = catalogue["article"]
    data = form_data(client.get(reverse("trade:article_create")))
    data.update(
        {
            "code": "KIT-PDJ",
            "designation": "Coffret petit-déjeuner",
            "family": str(catalogue["family"].pk),
            "kit_kind": "components",
            "components-0-component": catalogue["packaging"].gtin,
            "components-0-quantity": "2",
        }
    )

    response = client.post(reverse("trade:article_create"), data)

    kit = Article.objects.get(code="KIT-PDJ")
    assert response.status_code == 302
    assert list(kit.components.values_list("component_id", "quantity")) == [
        (component.pk, Decimal("2.000"))
    ]


def test_kit_cycle_is_refused_in_the_form_and_nothing_changes(
    purchasing_user, client_for, catalogue
):
    family = catalogue["family"]
    outer = factories.ArticleFactory(
        code="KIT-A", designation="Kit A", family=family, kit_kind="components"
    )
    inner = factories.ArticleFactory(
        code="KIT-B", designation="Kit B", family=family, kit_kind="components"
    )
    kit_components_set(kit=outer, components=[(inner, Decimal("1"))])
    kit_components_set(kit=inner, components=[(catalogue["article"], Decimal("3"))])
    client = client_for(purchasing_user)
    data = form_data(client.get(reverse("trade:article_update", args=[inner.pk])))
    data.update(
        {
            "designation": "Kit B renommé",
            "components-1-component": "KIT-A",
            "components-1-quantity": "1",
        }
    )

    response = client.post(reverse("trade:article_update", args=[inner.pk]), data)

    inner.refresh_from_db()
    assert response.status_code == 200
    errors = response.context["formsets"]["components"].non_form_errors()
    assert len(errors) == 1 and "KIT-A" in errors[0]
    assert inner.designation == "Kit B"
    assert list(
        KitComponent.objects.filter(kit=inner).values_list("component__code", "quantity")
    ) == [
        ("CONF370", Decimal("3.000")),
    ]


def test_article_list_family_filter_includes_sub_families(sales_user, client_for, catalogue):
    parent = catalogue["family"]
    child = factories.FamilyFactory(code="EPI-S", name="Épicerie sucrée", parent=parent)
    other = factories.FamilyFactory(code="DPH", name="Droguerie")
    factories.ArticleFactory(code="MIEL", family=child)
    factories.ArticleFactory(code="LESSIVE", family=other)
    client = client_for(sales_user)

    response = client.get(reverse("trade:article_list") + f"?family={parent.pk}")

    assert [article.code for article in response.context["articles"]] == ["CONF370", "MIEL"]


def test_article_list_finds_an_article_by_gtin(sales_user, client_for, catalogue):
    gtin = catalogue["packaging"].gtin

    response = client_for(sales_user).get(reverse("trade:article_list") + f"?q={gtin}")

    assert [article.code for article in response.context["articles"]] == ["CONF370"]


# ---------------------------------------------------------------- global search


def test_search_by_gtin_opens_the_article(sales_user, client_for, catalogue):
    gtin = catalogue["packaging"].gtin

    response = client_for(sales_user).get(reverse("search") + f"?q={gtin}")

    assert response.status_code == 302
    assert response["Location"] == reverse("trade:article_detail", args=[catalogue["article"].pk])


def test_search_by_gln_opens_the_customer(sales_user, client_for, hierarchy):
    store = hierarchy["store"]

    response = client_for(sales_user).get(reverse("search") + f"?q={store.gln}")

    assert response.status_code == 302
    assert response["Location"] == reverse("trade:customer_detail", args=[store.pk])


def test_search_groups_results_by_kind(sales_user, client_for, hierarchy, catalogue):
    factories.ArticleFactory(code="TEST-ART", designation="Article test")

    response = client_for(sales_user).get(reverse("search") + "?q=test")

    groups = {
        group.kind: [hit.code for hit, _url in group.hits] for group in response.context["groups"]
    }
    assert groups == {"customer": ["ENS", "CEN", "PF", "MAG"], "article": ["TEST-ART"]}


def test_search_shows_only_what_the_user_may_view(make_user, client_for, hierarchy):
    response = client_for(make_user()).get(reverse("search") + f"?q={hierarchy['store'].gln}")

    assert response.status_code == 200
    assert response.context["groups"] == []
    assert response.context["can_search"] is False


def test_components_on_an_article_that_is_not_a_kit_are_refused(
    purchasing_user, client_for, catalogue
):
    client = client_for(purchasing_user)
    article = catalogue["article"]
    other = factories.ArticleFactory(code="SUCRE")
    data = form_data(client.get(reverse("trade:article_update", args=[article.pk])))
    data.update({"components-0-component": other.code, "components-0-quantity": "1"})

    response = client.post(reverse("trade:article_update", args=[article.pk]), data)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["kit_kind"]
    assert not KitComponent.objects.filter(kit=article).exists()


def test_a_kit_stops_being_one_when_its_components_are_removed(
    purchasing_user, client_for, catalogue
):
    kit = factories.ArticleFactory(code="KIT-X", family=catalogue["family"], kit_kind="components")
    kit_components_set(kit=kit, components=[(catalogue["article"], Decimal("2"))])
    client = client_for(purchasing_user)
    data = form_data(client.get(reverse("trade:article_update", args=[kit.pk])))
    data["kit_kind"] = ""
    data["components-0-DELETE"] = "on"

    response = client.post(reverse("trade:article_update", args=[kit.pk]), data)

    kit.refresh_from_db()
    assert response.status_code == 302
    assert kit.kit_kind == ""
    assert not KitComponent.objects.filter(kit=kit).exists()


# ---------------------------------------------------------------- shell


def test_shell_offers_logout_and_language_as_post_forms(sales_user, client_for):
    client = client_for(sales_user)
    html = client.get(reverse("home")).content.decode()

    assert re.search(rf'<form method="post" action="{reverse("logout")}">', html)
    assert f'action="{reverse("set_language")}" method="post"' in html
    switched = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert switched.status_code == 302
    assert '<html lang="en">' in client.get(reverse("home")).content.decode()
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302
