"""Catalogue rules: packagings and GTINs, tracking, kits and their cycles."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from comptoir.exceptions import ValidationFailed
from tests import factories
from trade.models import Article, KitComponent, Packaging
from trade.selectors import article_by_gtin, global_search
from trade.services import article_save, kit_components_set

pytestmark = pytest.mark.django_db


def test_a_dated_article_needs_its_shelf_life():
    family = factories.FamilyFactory()
    article = Article(code="YAO", designation="Yaourt", family=family, tracking_mode="lot_dlc")
    with pytest.raises(ValidationFailed) as excinfo:
        article_save(article)
    assert "shelf_life_days" in excinfo.value.errors
    article.shelf_life_days = 21
    assert article_save(article).pk is not None


def test_a_packaging_gtin_is_validated_and_unique():
    article = factories.ArticleFactory()
    packaging = Packaging(article=article, level="case", quantity=Decimal("6"), gtin="3760123450006")
    with pytest.raises(ValidationError) as excinfo:
        packaging.full_clean()
    assert "gtin" in excinfo.value.message_dict
    first = factories.PackagingFactory(article=article, level="case")
    with pytest.raises(IntegrityError), transaction.atomic():
        Packaging.objects.create(article=article, level="pallet", quantity=Decimal("600"), gtin=first.gtin)


def test_a_negative_or_zero_packaging_quantity_is_refused():
    packaging = Packaging(article=factories.ArticleFactory(), level="case", quantity=Decimal("-6"))
    with pytest.raises(ValidationError) as excinfo:
        packaging.full_clean()
    assert "quantity" in excinfo.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Packaging.objects.create(article=packaging.article, level="case", quantity=Decimal("0"))


def test_gtin_lookup_matches_13_and_14_digit_forms():
    packaging = factories.PackagingFactory(gtin="3760123450003", level="consumer_unit", quantity=1)
    assert article_by_gtin("03760123450003") == packaging
    assert article_by_gtin("3760123450003") == packaging
    assert article_by_gtin("3760123450010") is None


def test_global_search_finds_articles_by_gtin_and_customers_by_gln(hierarchy):
    packaging = factories.PackagingFactory(gtin="3760123450003", level="consumer_unit", quantity=1)
    hits = global_search("3760123450003")
    assert [(h.kind, h.pk) for h in hits] == [("article", packaging.article_id)]
    store = hierarchy["store"]
    assert [(h.kind, h.pk) for h in global_search(store.gln)] == [("customer", store.pk)]
    assert {h.code for h in global_search("Test", kinds=["customer"])} == {"ENS", "CEN", "PF", "MAG"}


def make_kit(code: str, kind: str = "components") -> Article:
    return factories.ArticleFactory(code=code, kit_kind=kind)


def test_kit_components_are_set_and_replaced():
    kit = make_kit("KIT")
    a, b = factories.ArticleFactory(), factories.ArticleFactory()
    kit_components_set(kit=kit, components=[(a, Decimal("2")), (b, Decimal("1"))])
    kit_components_set(kit=kit, components=[(b, Decimal("3"))])
    assert list(KitComponent.objects.filter(kit=kit).values_list("component_id", "quantity")) == [
        (b.pk, Decimal("3.000"))
    ]


def test_a_kit_cycle_is_refused_however_deep_and_nothing_changes():
    outer, middle, inner = make_kit("OUTER", "assembled"), make_kit("MIDDLE", "assembled"), make_kit("INNER", "assembled")
    leaf = factories.ArticleFactory()
    kit_components_set(kit=outer, components=[(middle, Decimal("1"))])
    kit_components_set(kit=middle, components=[(inner, Decimal("2"))])
    kit_components_set(kit=inner, components=[(leaf, Decimal("1"))])
    with pytest.raises(ValidationFailed) as excinfo:
        kit_components_set(kit=inner, components=[(leaf, Decimal("1")), (outer, Decimal("1"))])
    assert "OUTER" in excinfo.value.errors["components"][0]
    assert list(KitComponent.objects.filter(kit=inner).values_list("component_id", flat=True)) == [leaf.pk]


def test_a_kit_cannot_contain_itself_nor_a_component_twice_nor_a_zero_quantity():
    kit = make_kit("SELF")
    part = factories.ArticleFactory()
    for components in ([(kit, Decimal("1"))], [(part, Decimal("1")), (part, Decimal("2"))], [(part, Decimal("0"))],
                       [(part, Decimal("-1"))]):
        with pytest.raises(ValidationFailed):
            kit_components_set(kit=kit, components=components)
    assert not KitComponent.objects.filter(kit=kit).exists()


def test_only_a_kit_has_components_and_a_kit_keeps_them_until_removed():
    plain = factories.ArticleFactory()
    with pytest.raises(ValidationFailed):
        kit_components_set(kit=plain, components=[(factories.ArticleFactory(), Decimal("1"))])
    kit = make_kit("K2")
    kit_components_set(kit=kit, components=[(factories.ArticleFactory(), Decimal("1"))])
    kit.kit_kind = ""
    with pytest.raises(ValidationFailed) as excinfo:
        article_save(kit)
    assert "kit_kind" in excinfo.value.errors


def test_a_kit_stocked_as_components_is_not_tracked_itself():
    with pytest.raises(ValidationFailed) as excinfo:
        factories.ArticleFactory(kit_kind="components", tracking_mode="lot")
    assert "tracking_mode" in excinfo.value.errors


def test_purchase_price_cannot_be_negative():
    supplier_article = factories.SupplierArticleFactory.build(
        supplier=factories.SupplierFactory(), article=factories.ArticleFactory(), purchase_price=Decimal("-1")
    )
    with pytest.raises(ValidationError) as excinfo:
        supplier_article.full_clean()
    assert "purchase_price" in excinfo.value.message_dict


def test_company_is_a_single_row_with_valid_bank_details():
    from trade.models import Company

    company = Company(
        legal_name="Comptoir Test SAS", legal_form="SAS", share_capital=Decimal("150000.00"), rcs_city="Lyon",
        line1="1 rue du Port", postal_code="69007", city="Lyon", siren="732829320",
        iban="FR7630006000011234567890189", bic="AGRIFRPP",
    )
    company.full_clean()
    company.save()
    again = Company(**{f.name: getattr(company, f.name) for f in Company._meta.fields if f.name != "id"})
    again.save()
    assert Company.objects.count() == 1
    company.iban = "FR7630006000011234567890180"
    with pytest.raises(ValidationError) as excinfo:
        company.full_clean()
    assert "iban" in excinfo.value.message_dict
