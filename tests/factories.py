"""factory_boy factories for the master data; valid identifiers by construction."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth.models import Group, User

from comptoir.identifiers import fr_vat_from_siren, gs1_with_check_digit, siren_with_check_digit
from trade import models
from trade.services import article_save, customer_node_save, family_save


def gln(n: int) -> str:
    return gs1_with_check_digit(f"376000{n:06d}")


def gtin(n: int) -> str:
    return gs1_with_check_digit(f"376100{n:06d}")


def siren(n: int) -> str:
    return siren_with_check_digit(f"{40000000 + n:08d}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pass-Comptoir-1")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):  # noqa: ANN001, ANN201
        if create and extracted:
            for role in extracted:
                self.groups.add(Group.objects.get(name=role))


class PaymentTermsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PaymentTerms
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"PT{n}")
    label = factory.LazyAttribute(lambda o: f"{o.days} jours")
    days = 30


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PriceList

    code = factory.Sequence(lambda n: f"TARIF{n}")
    name = factory.Sequence(lambda n: f"Tarif {n}")


class CustomerNodeFactory(factory.django.DjangoModelFactory):
    """Saved through ``customer_node_save`` so paths and rules are real."""

    class Meta:
        model = models.CustomerNode

    kind = models.NodeKind.CHAIN
    parent = None
    code = factory.Sequence(lambda n: f"C{n:05d}")
    name = factory.Sequence(lambda n: f"Client {n}")
    gln = factory.Sequence(gln)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # noqa: ANN001, ANN206
        return customer_node_save(model_class(*args, **kwargs))


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Supplier

    code = factory.Sequence(lambda n: f"F{n:04d}")
    name = factory.Sequence(lambda n: f"Fournisseur {n}")
    gln = factory.Sequence(lambda n: gln(500000 + n))
    siren = factory.Sequence(lambda n: siren(n))
    vat_number = factory.LazyAttribute(lambda o: fr_vat_from_siren(o.siren))


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ArticleFamily

    code = factory.Sequence(lambda n: f"FAM{n}")
    name = factory.Sequence(lambda n: f"Famille {n}")
    parent = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # noqa: ANN001, ANN206
        return family_save(model_class(*args, **kwargs))


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Brand
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Marque {n}")


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Article

    code = factory.Sequence(lambda n: f"A{n:06d}")
    designation = factory.Sequence(lambda n: f"Article {n}")
    family = factory.SubFactory(FamilyFactory)
    brand = factory.SubFactory(BrandFactory)
    vat_rate = models.VatRate.REDUCED

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # noqa: ANN001, ANN206
        return article_save(model_class(*args, **kwargs))


class PackagingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Packaging

    article = factory.SubFactory(ArticleFactory)
    level = models.PackagingLevel.CASE
    quantity = Decimal("12")
    gtin = factory.Sequence(gtin)


class SupplierArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SupplierArticle

    supplier = factory.SubFactory(SupplierFactory)
    article = factory.SubFactory(ArticleFactory)
    supplier_reference = factory.Sequence(lambda n: f"REF-{n}")
    purchase_price = Decimal("1.2500")
