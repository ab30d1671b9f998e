"""The catalogue: articles, their families and brands, packagings with GTINs,
supplier references and purchase prices, and kits (bills of materials)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from comptoir.identifiers import validate_gtin
from comptoir.money import QUANTITY_FIELD, UNIT_PRICE_FIELD

from .parties import Supplier
from .tree import TreeNode


class VatRate(models.TextChoices):
    STANDARD = "20.00", _("20 % (standard)")
    INTERMEDIATE = "10.00", _("10 % (intermediate)")
    REDUCED = "5.50", _("5.5 % (reduced)")
    SUPER_REDUCED = "2.10", _("2.1 % (super-reduced)")


class BaseUnit(models.TextChoices):
    UNIT = "unit", _("unit")
    KILOGRAM = "kg", _("kilogram")
    LITRE = "l", _("litre")


class TrackingMode(models.TextChoices):
    NONE = "none", _("No tracking")
    LOT = "lot", _("Lot")
    LOT_DLC = "lot_dlc", _("Lot + use-by date (DLC)")
    LOT_DDM = "lot_ddm", _("Lot + best-before date (DDM)")
    SERIAL = "serial", _("Serial number")


class ArticleStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    BLOCKED = "blocked", _("Blocked")


class KitKind(models.TextChoices):
    NONE = "", _("Not a kit")
    COMPONENTS = "components", _("Kit sold as a kit, stocked as components")
    ASSEMBLED = "assembled", _("Kit assembled in advance")


class PackagingLevel(models.TextChoices):
    CONSUMER_UNIT = "consumer_unit", _("Consumer unit")
    CASE = "case", _("Case")
    LAYER = "layer", _("Layer")
    PALLET = "pallet", _("Pallet")


PACKAGING_ORDER = [level.value for level in PackagingLevel]


class ArticleFamily(TreeNode):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent family"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )

    class Meta:
        ordering = ["path"]
        verbose_name = _("article family")
        verbose_name_plural = _("article families")
        indexes = [
            models.Index(fields=["path"], name="family_path_prefix", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return self.name


class Brand(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    designation = models.CharField(_("designation"), max_length=200)
    brand = models.ForeignKey(
        Brand, verbose_name=_("brand"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="articles",
    )
    family = models.ForeignKey(
        ArticleFamily, verbose_name=_("family"), on_delete=models.PROTECT, related_name="articles"
    )
    vat_rate = models.CharField(_("VAT rate"), max_length=5, choices=VatRate.choices, default=VatRate.STANDARD)
    base_unit = models.CharField(_("base unit"), max_length=10, choices=BaseUnit.choices, default=BaseUnit.UNIT)
    net_weight_kg = models.DecimalField(
        _("net weight per base unit (kg)"), max_digits=10, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    tracking_mode = models.CharField(
        _("tracking"), max_length=10, choices=TrackingMode.choices, default=TrackingMode.NONE
    )
    shelf_life_days = models.PositiveIntegerField(
        _("total shelf life (days)"), null=True, blank=True,
        help_text=_("From production to DLC/DDM; required when tracking dates."),
    )
    kit_kind = models.CharField(_("kit"), max_length=12, choices=KitKind.choices, blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.ACTIVE)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [models.Index(fields=["designation"], name="article_designation")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(tracking_mode__in=["lot_dlc", "lot_ddm"]) | Q(shelf_life_days__gt=0),
                name="article_dated_needs_shelf_life",
            ),
            models.CheckConstraint(
                condition=Q(net_weight_kg__isnull=True) | Q(net_weight_kg__gte=0),
                name="article_weight_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.designation}"

    @property
    def is_kit(self) -> bool:
        return bool(self.kit_kind)

    @property
    def is_sellable(self) -> bool:
        return self.status == ArticleStatus.ACTIVE

    def clean(self) -> None:
        if self.tracking_mode in (TrackingMode.LOT_DLC, TrackingMode.LOT_DDM) and not self.shelf_life_days:
            raise ValidationError(
                {"shelf_life_days": _("An article tracked by DLC or DDM needs its total shelf life.")}
            )
        if self.kit_kind == KitKind.COMPONENTS and self.tracking_mode != TrackingMode.NONE:
            raise ValidationError(
                {"tracking_mode": _("A kit stocked as components is tracked through its components.")}
            )


class Packaging(models.Model):
    """A packaging level of an article with its content in base units and its GTIN."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="packagings")
    level = models.CharField(_("level"), max_length=20, choices=PackagingLevel.choices)
    quantity = models.DecimalField(
        _("quantity in base units"), validators=[MinValueValidator(Decimal("0.001"))], **QUANTITY_FIELD
    )
    gtin = models.CharField(_("GTIN"), max_length=14, blank=True, validators=[validate_gtin])
    gross_weight_kg = models.DecimalField(
        _("gross weight (kg)"), max_digits=10, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        ordering = ["article", "quantity"]
        verbose_name = _("packaging")
        verbose_name_plural = _("packagings")
        constraints = [
            models.UniqueConstraint(fields=["article", "level"], name="packaging_level_unique"),
            models.UniqueConstraint(fields=["gtin"], condition=~Q(gtin=""), name="packaging_gtin_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="packaging_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} × {self.quantity.normalize():f}"


class SupplierArticle(models.Model):
    """How a supplier sells us an article: their reference and our purchase price."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="articles")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="supplier_articles")
    supplier_reference = models.CharField(_("supplier reference"), max_length=40, blank=True)
    purchase_price = models.DecimalField(
        _("purchase price per base unit"), validators=[MinValueValidator(Decimal("0"))], **UNIT_PRICE_FIELD
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    minimum_order_quantity = models.DecimalField(
        _("minimum order quantity"), default=Decimal("1"), validators=[MinValueValidator(Decimal("0.001"))],
        **QUANTITY_FIELD,
    )
    is_preferred = models.BooleanField(_("preferred supplier"), default=False)

    class Meta:
        ordering = ["article", "-is_preferred", "purchase_price"]
        verbose_name = _("supplier reference")
        verbose_name_plural = _("supplier references")
        constraints = [
            models.UniqueConstraint(fields=["supplier", "article"], name="supplier_article_unique"),
            models.CheckConstraint(condition=Q(purchase_price__gte=0), name="purchase_price_not_negative"),
            models.CheckConstraint(condition=Q(minimum_order_quantity__gt=0), name="supplier_moq_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.supplier.code} {self.supplier_reference or self.article.code}"


class KitComponent(models.Model):
    """One line of a kit's bill of materials. Cycles are refused by
    ``trade.services.catalogue.kit_components_set``."""

    kit = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="components")
    component = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="used_in_kits")
    quantity = models.DecimalField(
        _("quantity per kit"), validators=[MinValueValidator(Decimal("0.001"))], **QUANTITY_FIELD
    )

    class Meta:
        ordering = ["kit", "component__code"]
        verbose_name = _("kit component")
        verbose_name_plural = _("kit components")
        constraints = [
            models.UniqueConstraint(fields=["kit", "component"], name="kit_component_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="kit_component_quantity_positive"),
            models.CheckConstraint(condition=~Q(kit=models.F("component")), name="kit_not_own_component"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity.normalize():f} × {self.component}"
