"""A parent's nested rows are replaced as a whole, checked before anything is written."""

from decimal import Decimal

import pytest

from comptoir.exceptions import ValidationFailed
from tests import factories
from trade.models import CustomerAddress, Packaging
from trade.services import article_packagings_set, customer_addresses_set

pytestmark = pytest.mark.django_db

ADDRESS = {"kind": "delivery", "line1": "1 quai Rambaud", "postal_code": "69002", "city": "Lyon", "country": "FR"}


def test_addresses_are_created_updated_and_deleted_as_given(hierarchy):
    store = hierarchy["store"]
    first, second = customer_addresses_set(node=store, items=[ADDRESS, {**ADDRESS, "city": "Villeurbanne"}])
    customer_addresses_set(node=store, items=[{**ADDRESS, "id": first.pk, "city": "Lyon 2e"}])
    assert list(CustomerAddress.objects.filter(customer=store).values_list("pk", "city")) == [(first.pk, "Lyon 2e")]
    assert not CustomerAddress.objects.filter(pk=second.pk).exists()


def test_a_bad_row_names_its_position_and_nothing_is_written(hierarchy):
    store = hierarchy["store"]
    kept = customer_addresses_set(node=store, items=[ADDRESS])[0]
    with pytest.raises(ValidationFailed) as excinfo:
        customer_addresses_set(node=store, items=[{**ADDRESS, "city": "Bron"}, {**ADDRESS, "city": ""}])
    assert "addresses[1].city" in excinfo.value.errors
    assert list(CustomerAddress.objects.filter(customer=store).values_list("pk", "city")) == [(kept.pk, "Lyon")]
    other = factories.CustomerNodeFactory(kind="chain", code="AUTRE")
    with pytest.raises(ValidationFailed) as excinfo:
        customer_addresses_set(node=other, items=[{**ADDRESS, "id": kept.pk}])
    assert "addresses[0].id" in excinfo.value.errors


def test_packagings_match_by_level_and_may_swap_gtins(hierarchy):
    article = factories.ArticleFactory()
    unit, case = factories.gtin(901), factories.gtin(902)
    article_packagings_set(article=article, items=[
        {"level": "consumer_unit", "quantity": Decimal("1"), "gtin": unit},
        {"level": "case", "quantity": Decimal("12"), "gtin": case},
    ])
    article_packagings_set(article=article, items=[
        {"level": "consumer_unit", "quantity": Decimal("1"), "gtin": case},
        {"level": "case", "quantity": Decimal("12"), "gtin": unit},
    ])
    assert dict(Packaging.objects.filter(article=article).values_list("level", "gtin")) == {
        "consumer_unit": case, "case": unit}
    with pytest.raises(ValidationFailed) as excinfo:
        article_packagings_set(article=article, items=[{"level": "case", "quantity": Decimal("-1"), "gtin": ""}])
    assert "packagings[0].quantity" in excinfo.value.errors
    assert Packaging.objects.filter(article=article).count() == 2
