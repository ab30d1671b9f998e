"""The customer hierarchy: paths, kinds, cycles, invoicing node and inherited settings."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comptoir.exceptions import ValidationFailed
from tests import factories
from trade.models import CustomerNode
from trade.selectors import (
    customer_node_ancestors,
    customer_node_descendants,
    customer_node_effective_settings,
    customer_nodes_effective_settings,
)
from trade.services import customer_node_save

pytestmark = pytest.mark.django_db


def test_paths_and_depths_follow_the_parents(hierarchy):
    chain, group, platform, store = (hierarchy[k] for k in ("chain", "group", "platform", "store"))
    assert store.path == f"/{chain.pk}/{group.pk}/{platform.pk}/{store.pk}/"
    assert [chain.depth, group.depth, platform.depth, store.depth] == [0, 1, 2, 3]
    assert [n.pk for n in customer_node_ancestors(store)] == [chain.pk, group.pk, platform.pk]
    assert set(customer_node_descendants(group)) == {platform, store}


def test_store_without_terms_gets_its_buying_groups_and_names_the_source(hierarchy):
    settings = customer_node_effective_settings(hierarchy["store"])
    terms = settings["payment_terms"]
    assert terms.value == hierarchy["terms"]
    assert terms.source == hierarchy["group"]
    assert terms.inherited is True
    delivery = settings["delivery_mode"]
    assert delivery.value == "via_platform" and delivery.source == hierarchy["chain"]


def test_own_value_wins_over_the_ancestors(hierarchy):
    store = hierarchy["store"]
    own_terms = factories.PaymentTermsFactory(code="30N", label="30 jours net", days=30)
    store.payment_terms = own_terms
    customer_node_save(store)
    terms = customer_node_effective_settings(store)["payment_terms"]
    assert terms.value == own_terms and terms.source == store and terms.inherited is False


def test_unset_settings_report_no_source_and_invoicing_defaults_to_the_node(hierarchy):
    settings = customer_node_effective_settings(hierarchy["store"])
    assert settings["price_list"].value is None and settings["price_list"].source is None
    assert settings["invoicing_node"].value == hierarchy["store"]
    assert settings["invoicing_node"].source is None


def test_shelf_life_inherits_as_a_pair(hierarchy):
    chain, platform = hierarchy["chain"], hierarchy["platform"]
    chain.min_shelf_life_value, chain.min_shelf_life_unit = 66, "percent"
    customer_node_save(chain)
    assert customer_node_effective_settings(hierarchy["store"])["min_shelf_life"].value == (66, "percent")
    platform.min_shelf_life_value, platform.min_shelf_life_unit = 10, "days"
    customer_node_save(platform)
    value = customer_node_effective_settings(hierarchy["store"])["min_shelf_life"]
    assert value.value == (10, "days") and value.source == platform


def test_effective_settings_take_two_queries_whatever_the_depth(hierarchy):
    store = CustomerNode.objects.get(pk=hierarchy["store"].pk)
    with CaptureQueriesContext(connection) as queries:
        customer_node_effective_settings(store.pk)
    assert len(queries) == 2


def test_many_nodes_resolve_with_one_query(hierarchy):
    stores = [hierarchy["store"]] + [
        factories.CustomerNodeFactory(kind="store", parent=hierarchy["platform"]) for _ in range(5)
    ]
    with CaptureQueriesContext(connection) as queries:
        result = customer_nodes_effective_settings(stores)
    assert len(queries) == 1
    assert {s["payment_terms"].source for s in result.values()} == {hierarchy["group"]}


def test_moving_a_subtree_rewrites_every_path(hierarchy):
    other_chain = factories.CustomerNodeFactory(kind="chain", code="ENS2")
    group = hierarchy["group"]
    group.parent = other_chain
    customer_node_save(group)
    store = CustomerNode.objects.get(pk=hierarchy["store"].pk)
    assert store.path == f"/{other_chain.pk}/{group.pk}/{hierarchy['platform'].pk}/{store.pk}/"
    assert store.depth == 3
    assert customer_node_effective_settings(store)["delivery_mode"].value is None


def test_a_cycle_is_refused_and_nothing_changes(hierarchy):
    group = CustomerNode.objects.get(pk=hierarchy["group"].pk)
    before = {n.pk: n.path for n in CustomerNode.objects.all()}
    group.parent = hierarchy["platform"]
    group.kind = "platform"  # rank would allow it; the cycle must still be caught
    with pytest.raises(ValidationFailed) as excinfo:
        customer_node_save(group)
    assert "parent" in excinfo.value.errors
    assert {n.pk: n.path for n in CustomerNode.objects.all()} == before


def test_a_node_cannot_be_its_own_parent(hierarchy):
    platform = CustomerNode.objects.get(pk=hierarchy["platform"].pk)
    platform.parent = platform
    with pytest.raises(ValidationFailed) as excinfo:
        customer_node_save(platform)
    assert "parent" in excinfo.value.errors


def test_kinds_must_go_down_the_tree(hierarchy):
    with pytest.raises(ValidationFailed) as excinfo:
        customer_node_save(CustomerNode(kind="buying_group", parent=hierarchy["platform"], code="X", name="X"))
    assert "kind" in excinfo.value.errors
    with pytest.raises(ValidationFailed) as excinfo:
        customer_node_save(CustomerNode(kind="store", parent=hierarchy["store"], code="Y", name="Y"))
    assert "parent" in excinfo.value.errors
    with pytest.raises(ValidationFailed) as excinfo:
        customer_node_save(CustomerNode(kind="store", parent=None, code="Z", name="Z"))
    assert "parent" in excinfo.value.errors
    assert not CustomerNode.objects.filter(code__in=["X", "Y", "Z"]).exists()


def test_a_regional_buying_group_may_sit_under_a_national_one(hierarchy):
    regional = customer_node_save(
        CustomerNode(kind="buying_group", parent=hierarchy["group"], code="CEN-SO", name="Centrale Sud-Ouest")
    )
    assert regional.depth == 2


def test_invoicing_node_must_be_the_node_or_an_ancestor(hierarchy):
    store = hierarchy["store"]
    store.invoicing_node = hierarchy["group"]
    customer_node_save(store)
    other = factories.CustomerNodeFactory(kind="chain", code="OTHER")
    store.invoicing_node = other
    with pytest.raises(ValidationFailed) as excinfo:
        customer_node_save(store)
    assert "invoicing_node" in excinfo.value.errors
    assert CustomerNode.objects.get(pk=store.pk).invoicing_node == hierarchy["group"]


def test_moving_away_from_the_invoiced_ancestor_is_refused(hierarchy):
    store = hierarchy["store"]
    store.invoicing_node = hierarchy["group"]
    customer_node_save(store)
    other_chain = factories.CustomerNodeFactory(kind="chain", code="ENS3")
    other_platform = factories.CustomerNodeFactory(kind="platform", parent=other_chain, code="PF3")
    store.parent = other_platform
    with pytest.raises(ValidationFailed) as excinfo:
        customer_node_save(store)
    assert "parent" in excinfo.value.errors
    assert CustomerNode.objects.get(pk=store.pk).parent_id == hierarchy["platform"].pk


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gln", "3760000000018"),
        ("siret", "73282932000075"),
        ("siren", "732829321"),
        ("vat_number", "FR00732829320"),
        ("credit_limit", Decimal("-1")),
    ],
)
def test_bad_identifiers_are_refused_naming_the_field(hierarchy, field, value):
    node = CustomerNode(kind="store", parent=hierarchy["platform"], code="BAD", name="Bad")
    setattr(node, field, value)
    with pytest.raises(ValidationFailed) as excinfo:
        customer_node_save(node)
    assert field in excinfo.value.errors
    assert not CustomerNode.objects.filter(code="BAD").exists()


def test_shelf_life_needs_value_and_unit_and_percent_at_most_100(hierarchy):
    node = CustomerNode(kind="store", parent=hierarchy["platform"], code="SL", name="SL", min_shelf_life_value=10)
    with pytest.raises(ValidationFailed) as excinfo:
        customer_node_save(node)
    assert "min_shelf_life_unit" in excinfo.value.errors
    node.min_shelf_life_unit, node.min_shelf_life_value = "percent", 120
    with pytest.raises(ValidationFailed) as excinfo:
        customer_node_save(node)
    assert "min_shelf_life_value" in excinfo.value.errors


def test_siret_must_belong_to_the_siren(hierarchy):
    node = CustomerNode(kind="store", parent=hierarchy["platform"], code="S", name="S",
                        siren="732829320", siret=factories.siren(3) + "00011")
    with pytest.raises(ValidationFailed) as excinfo:
        customer_node_save(node)
    assert "siret" in excinfo.value.errors or "siren" in excinfo.value.errors
