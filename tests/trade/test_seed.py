"""seed_demo: the promised volumes, valid identifiers, exact tree paths, inheritance that
shows, idempotence, determinism, and scaling.

The scale-1 data set is seeded once for the module inside a transaction that is rolled
back at the end; each test runs in a savepoint inside it (pytest-django's ``db``), so
tests that reseed or reset leave the module's data set as it was.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction

from comptoir import roles
from comptoir.identifiers import (
    validate_gln,
    validate_gtin,
    validate_siren,
    validate_siret,
    validate_vat_number,
)
from trade.demo import MASTER_DATA_MODELS, demo_data_counts
from trade.models import (
    Article,
    ArticleFamily,
    Company,
    CustomerNode,
    KitComponent,
    NodeKind,
    Packaging,
    Supplier,
    SupplierArticle,
)
from trade.selectors import customer_node_effective_settings
from trade.services.parties import KIND_RANK


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--force", *args, stdout=out)
    return out.getvalue()


def fingerprint() -> dict[str, list[tuple[object, ...]]]:
    """What must not change between two seeds: business keys and values, not row ids."""
    return {
        "nodes": list(CustomerNode.objects.order_by("code").values_list(
            "code", "name", "kind", "parent__code", "gln", "siret", "vat_number", "depth",
            "payment_terms__code", "invoicing_node__code", "min_shelf_life_value", "min_shelf_life_unit")),
        "suppliers": list(Supplier.objects.order_by("code").values_list("code", "name", "gln", "vat_number")),
        "articles": list(Article.objects.order_by("code").values_list(
            "code", "designation", "brand__name", "family__code", "vat_rate", "tracking_mode",
            "shelf_life_days", "kit_kind", "status")),
        "packagings": list(Packaging.objects.order_by("article__code", "level").values_list(
            "article__code", "level", "quantity", "gtin")),
        "prices": list(SupplierArticle.objects.order_by("article__code", "supplier__code").values_list(
            "article__code", "supplier__code", "supplier_reference", "purchase_price", "is_preferred")),
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> Iterator[dict[str, int]]:  # noqa: ANN001
    with django_db_blocker.unblock(), transaction.atomic():
        seed()
        yield demo_data_counts()
        transaction.set_rollback(True)


@pytest.fixture
def demo(seeded: dict[str, int], db: None) -> dict[str, int]:  # noqa: ARG001
    return seeded


def test_scale_one_has_the_promised_volumes(demo: dict[str, int]) -> None:
    kinds = Counter(CustomerNode.objects.values_list("kind", flat=True))
    assert kinds[NodeKind.CHAIN] == 2
    assert kinds[NodeKind.BUYING_GROUP] == 3
    assert kinds[NodeKind.PLATFORM] == 3
    assert kinds[NodeKind.STORE] == 40
    # One buying group is regional, under a national one.
    regional = CustomerNode.objects.filter(kind=NodeKind.BUYING_GROUP, parent__kind=NodeKind.BUYING_GROUP)
    assert regional.count() == 1
    assert Supplier.objects.count() == 5
    assert Article.objects.count() == 300
    assert Company.objects.count() == 1
    kits = Counter(Article.objects.exclude(kit_kind="").values_list("kit_kind", flat=True))
    assert kits == {"components": 3, "assembled": 2}
    tracking = Counter(Article.objects.values_list("tracking_mode", flat=True))
    assert tracking["serial"] >= 20 and tracking["lot_dlc"] >= 40 and tracking["lot_ddm"] >= 100
    assert tracking["none"] > 0
    # Every node has an address; every store a contact.
    assert not CustomerNode.objects.filter(addresses=None).exists()
    assert not CustomerNode.objects.filter(kind=NodeKind.STORE, contacts=None).exists()
    assert not Supplier.objects.filter(addresses=None).exists()
    assert not Supplier.objects.filter(contacts=None).exists()
    # Some articles have two suppliers, exactly one of them preferred.
    per_article = Counter(SupplierArticle.objects.values_list("article_id", flat=True))
    assert any(count == 2 for count in per_article.values())
    preferred = Counter(
        SupplierArticle.objects.filter(is_preferred=True).values_list("article_id", flat=True)
    )
    assert set(preferred.values()) == {1} and set(preferred) == set(per_article)
    # Designations are distinct at scale 1.
    designations = Counter(Article.objects.values_list("designation", flat=True))
    assert designations.most_common(1)[0][1] == 1


def test_catalogue_rules_of_the_trade(demo: dict[str, int]) -> None:
    dlc = Article.objects.filter(tracking_mode="lot_dlc")
    assert all(10 <= days <= 45 for days in dlc.values_list("shelf_life_days", flat=True))
    ddm = Article.objects.filter(tracking_mode="lot_ddm", kit_kind="")
    assert all(180 <= days <= 720 for days in ddm.values_list("shelf_life_days", flat=True))
    appliances = Article.objects.filter(family__path__startswith=ArticleFamily.objects.get(code="PEM").path)
    assert appliances.count() == 30
    assert set(appliances.values_list("tracking_mode", "vat_rate")) == {("serial", "20.00")}
    def rates(*family_codes: str) -> set[str]:
        return set(Article.objects.filter(family__code__in=family_codes).values_list("vat_rate", flat=True))

    assert rates("BOI-VIN", "BOI-SPI", "EPSU-CFS") == {"20.00"}
    assert rates("FRA-CRE-FRO", "FRA-CRE-YAO", "EPS-PAT", "BOI-JUS") == {"5.50"}
    assert rates("FRA-TRA") == {"10.00"}
    # Packagings: consumer unit 1 (GTIN-13) < case (GTIN-14) < layer < pallet, in whole cases.
    by_article: dict[int, dict[str, Packaging]] = {}
    for packaging in Packaging.objects.all():
        by_article.setdefault(packaging.article_id, {})[packaging.level] = packaging
    assert len(by_article) == 300
    for levels in by_article.values():
        case, layer, pallet = levels["case"], levels["layer"], levels["pallet"]
        assert len(case.gtin) == 14
        assert layer.quantity % case.quantity == 0 and pallet.quantity % layer.quantity == 0
        assert case.quantity < layer.quantity < pallet.quantity
        if "consumer_unit" in levels:
            unit = levels["consumer_unit"]
            assert unit.quantity == Decimal("1") and len(unit.gtin) == 13
            assert case.gtin[1:13] == unit.gtin[:12]  # indicator digit + the GTIN-13 body


def test_every_identifier_is_valid(demo: dict[str, int]) -> None:
    for gln, siren, siret, vat in CustomerNode.objects.values_list("gln", "siren", "siret", "vat_number"):
        validate_gln(gln)
        validate_siren(siren)
        validate_siret(siret)
        validate_vat_number(vat)
        assert siret.startswith(siren) and vat.endswith(siren)
    for gln, siren, siret, vat in Supplier.objects.values_list("gln", "siren", "siret", "vat_number"):
        validate_gln(gln)
        validate_vat_number(vat)
        if siren:
            validate_siren(siren)
            validate_siret(siret)
    gtins = list(Packaging.objects.exclude(gtin="").values_list("gtin", flat=True))
    assert len(gtins) == len(set(gtins)) > 600
    for gtin in gtins:
        validate_gtin(gtin)
    # The models' own validation (fields, clean(), constraints) on every party and a sample
    # of the catalogue; Company.clean checks the IBAN and BIC.
    Company.objects.get().full_clean()
    for row in [*CustomerNode.objects.all(), *Supplier.objects.all()]:
        row.full_clean()
    for model in (Article, Packaging, SupplierArticle, KitComponent):
        for row in model.objects.order_by("pk")[::7]:
            row.full_clean()


def assert_paths_follow_parent_links() -> None:
    for model in (CustomerNode, ArticleFamily):
        rows = {row.pk: row for row in model.objects.all()}
        for row in rows.values():
            chain = []
            current = row
            while current is not None:
                chain.append(current.pk)
                current = rows.get(current.parent_id) if current.parent_id else None
            expected = "/" + "/".join(str(pk) for pk in reversed(chain)) + "/"
            assert (row.path, row.depth) == (expected, len(chain) - 1), row.code


def test_paths_and_depths_follow_the_parent_links(demo: dict[str, int]) -> None:
    assert_paths_follow_parent_links()


def test_hierarchy_obeys_the_services_rules(demo: dict[str, int]) -> None:
    nodes = {node.pk: node for node in CustomerNode.objects.all()}
    for node in nodes.values():
        if node.parent_id is None:
            assert node.kind == NodeKind.CHAIN
            continue
        parent = nodes[node.parent_id]
        assert parent.kind != NodeKind.STORE
        assert KIND_RANK[NodeKind(node.kind)] >= KIND_RANK[NodeKind(parent.kind)]
        if node.invoicing_node_id is not None:
            assert node.path.startswith(nodes[node.invoicing_node_id].path)


def test_a_store_inherits_its_settings_from_several_levels(demo: dict[str, int]) -> None:
    # Marché des Halles, store under the platform that hangs from the national buying group.
    store = CustomerNode.objects.get(code="MAG-MDH-013")
    settings = customer_node_effective_settings(store)
    assert settings["payment_terms"].value.code == "45FDM"
    assert settings["payment_terms"].source.code == "CEN-MDH" and settings["payment_terms"].inherited
    assert settings["invoicing_node"].value.code == "CEN-MDH"
    assert settings["delivery_mode"].value == "via_platform"
    assert settings["delivery_mode"].source.code == "ENS-MDH"
    assert settings["price_list"].value.code == "TARIF-GMS"
    assert settings["salesperson"].value.username == "ventes"
    # The chain asks 66 % of the shelf life; this platform overrides it in days.
    assert settings["min_shelf_life"].value == (21, "days")
    assert settings["min_shelf_life"].source.code == "PF-MDH-RA"
    # Below the regional buying group, its own terms and invoicing win.
    regional_store = customer_node_effective_settings(CustomerNode.objects.get(code="MAG-MDH-001"))
    assert regional_store["payment_terms"].value.code == "60NET"
    assert regional_store["invoicing_node"].value.code == "CEN-MDH-SO"
    assert regional_store["min_shelf_life"].value == (66, "percent")
    # A store that overrides: delivered directly although its chain goes through platforms.
    direct = customer_node_effective_settings(CustomerNode.objects.get(code="MAG-MDH-015"))
    assert direct["delivery_mode"].value == "direct" and not direct["delivery_mode"].inherited
    # Every store gets payment terms from somewhere.
    for store in CustomerNode.objects.filter(kind=NodeKind.STORE):
        assert customer_node_effective_settings(store)["payment_terms"].is_set


def test_kits_have_components_and_no_cycle(demo: dict[str, int]) -> None:
    edges: dict[int, set[int]] = {}
    for kit_id, component_id in KitComponent.objects.values_list("kit_id", "component_id"):
        edges.setdefault(kit_id, set()).add(component_id)
    kits = Article.objects.exclude(kit_kind="")
    assert set(edges) == set(kits.values_list("pk", flat=True))
    for kit in kits:
        assert 2 <= len(edges[kit.pk]) <= 5
        if kit.kit_kind == "components":
            assert kit.tracking_mode == "none"
        seen: set[int] = set()
        frontier = set(edges[kit.pk])
        while frontier:
            assert kit.pk not in frontier
            seen |= frontier
            frontier = {c for a in frontier for c in edges.get(a, ())} - seen


def test_demo_logins_exist_with_their_roles(demo: dict[str, int]) -> None:
    users = {user.username: user for user in get_user_model().objects.prefetch_related("groups")}
    demo_user = users["demo"]
    assert demo_user.is_staff and demo_user.is_superuser and demo_user.check_password("demo")
    expected = {"demo": roles.ADMIN, "ventes": roles.SALES, "achats": roles.PURCHASING,
                "entrepot": roles.WAREHOUSE, "compta": roles.ACCOUNTING}
    for username, role in expected.items():
        assert [group.name for group in users[username].groups.all()] == [role]
    assert not users["ventes"].is_staff


def test_seeding_twice_changes_nothing_and_reprints_the_logins(
    demo: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = fingerprint()
    monkeypatch.setenv("DEMO_PASSWORD", "autre-mot-de-passe")
    output = seed()
    assert "already present" in output
    assert "http://127.0.0.1:8000" in output and "autre-mot-de-passe" in output
    assert demo_data_counts() == demo
    assert fingerprint() == before
    assert get_user_model().objects.get(username="demo").check_password("autre-mot-de-passe")


def test_reset_reseeds_the_same_data(demo: dict[str, int]) -> None:
    before = fingerprint()
    seed("--reset")
    assert demo_data_counts() == demo
    assert fingerprint() == before


def test_refuses_to_run_with_debug_off_unless_forced(demo: dict[str, int]) -> None:
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", "--reset", stdout=io.StringIO())
    assert demo_data_counts() == demo


def test_scale_two_doubles_the_volumes(demo: dict[str, int]) -> None:
    scale_one = fingerprint()
    seed("--reset", "--scale", "2")
    counts = demo_data_counts()
    assert CustomerNode.objects.filter(kind=NodeKind.STORE).count() == 80
    assert CustomerNode.objects.filter(kind=NodeKind.CHAIN).count() == 4
    assert CustomerNode.objects.filter(kind=NodeKind.PLATFORM).count() == 6
    assert counts["Article"] == 600 and counts["Supplier"] == 10
    assert counts["Packaging"] == 2 * demo["Packaging"]
    for model in MASTER_DATA_MODELS:
        assert demo[model.__name__] <= counts[model.__name__] <= 2 * demo[model.__name__] + 1
    # Unit 0 of any scale is the scale-1 catalogue.
    scale_two = fingerprint()
    assert set(scale_one["packagings"]) <= set(scale_two["packagings"])
    assert {row[0] for row in scale_one["nodes"]} <= {row[0] for row in scale_two["nodes"]}
    assert_paths_follow_parent_links()
