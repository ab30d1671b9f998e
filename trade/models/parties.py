"""Parties: the customer hierarchy, suppliers, and what customer nodes refer to."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from comptoir.identifiers import (
    validate_gln,
    validate_siren,
    validate_siret,
    validate_vat_number,
)
from comptoir.money import AMOUNT_FIELD

from .tree import TreeNode


class NodeKind(models.TextChoices):
    CHAIN = "chain", _("Chain (enseigne)")
    BUYING_GROUP = "buying_group", _("Buying group (centrale)")
    PLATFORM = "platform", _("Platform (warehouse)")
    STORE = "store", _("Store")


class DeliveryMode(models.TextChoices):
    DIRECT = "direct", _("Direct to store")
    VIA_PLATFORM = "via_platform", _("Via its platform")


class ShelfLifeUnit(models.TextChoices):
    DAYS = "days", _("days")
    PERCENT = "percent", _("% of total shelf life")


class BackorderPolicy(models.TextChoices):
    BACKORDER = "backorder", _("Keep short lines as backorder")
    CUT = "cut", _("Cut short lines")


class AddressKind(models.TextChoices):
    HEAD_OFFICE = "head_office", _("Head office")
    BILLING = "billing", _("Billing")
    DELIVERY = "delivery", _("Delivery")


class PaymentTerms(models.Model):
    """When an invoice falls due: N days net, or N days end of month (French law caps
    both: 60 days from invoice date, or 45 days end of month)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    label = models.CharField(_("label"), max_length=100)
    days = models.PositiveSmallIntegerField(_("days"), validators=[MaxValueValidator(60)])
    end_of_month = models.BooleanField(_("end of month"), default=False)
    early_payment_discount_rate = models.DecimalField(
        _("early payment discount (%)"), max_digits=5, decimal_places=2, default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        ordering = ["days", "code"]
        verbose_name = _("payment terms")
        verbose_name_plural = _("payment terms")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_of_month=False, days__lte=60) | Q(end_of_month=True, days__lte=45),
                name="payment_terms_legal_maximum",
            )
        ]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.end_of_month and self.days > 45:
            raise ValidationError(
                {"days": _("End-of-month terms may not exceed 45 days (French commercial code).")}
            )


class PriceList(models.Model):
    """A price list header (tarif). Its prices and derivation rules live in ``pricing``;
    the header is master data so that customer nodes can hold one."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=120)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    parent = models.ForeignKey(
        "self", verbose_name=_("derived from"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="derived_lists",
        help_text=_("A derived list takes its parent's prices × the coefficient, unless it has its own."),
    )
    coefficient = models.DecimalField(
        _("coefficient"), max_digits=8, decimal_places=4, default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.0001"))],
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class DocumentTemplate(models.Model):
    """How a customer's documents look: layout options read by the PDF renderer."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=120)
    header_text = models.TextField(_("header text"), blank=True)
    footer_text = models.TextField(_("footer text"), blank=True)
    show_lots = models.BooleanField(_("show lots and dates"), default=True)
    show_discount_breakdown = models.BooleanField(_("show discount breakdown"), default=True)
    show_gtin = models.BooleanField(_("show GTINs"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")

    def __str__(self) -> str:
        return self.name


class LegalIdentityMixin(models.Model):
    """Identifiers every party carries, validated with python-stdnum."""

    gln = models.CharField(
        _("GLN"), max_length=13, blank=True, validators=[validate_gln],
        help_text=_("13-digit GS1 Global Location Number."),
    )
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    vat_number = models.CharField(
        _("intra-EU VAT number"), max_length=20, blank=True, validators=[validate_vat_number]
    )

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.siren and self.siret and not self.siret.startswith(self.siren):
            raise ValidationError({"siret": _("The SIRET must start with the SIREN.")})


class CustomerNode(LegalIdentityMixin, TreeNode):
    """A node of the customer hierarchy: chain → buying group → platform → store.

    Settings left empty (null / blank) inherit from the nearest ancestor that has a
    value; ``trade.selectors.customer_node_effective_settings`` resolves them.
    """

    INHERITABLE_FIELDS = (
        "salesperson",
        "payment_terms",
        "invoicing_node",
        "delivery_mode",
        "min_shelf_life",
        "document_language",
        "price_list",
        "document_template",
        "credit_limit",
        "backorder_policy",
        "full_cases_only",
    )

    kind = models.CharField(_("kind"), max_length=20, choices=NodeKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=150)
    is_active = models.BooleanField(_("active"), default=True)
    is_blocked = models.BooleanField(
        _("blocked"), default=False, help_text=_("A blocked customer cannot order.")
    )

    # Inheritable settings: empty means "as my parent".
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    payment_terms = models.ForeignKey(
        PaymentTerms, verbose_name=_("payment terms"), null=True, blank=True,
        on_delete=models.PROTECT,
    )
    invoicing_node = models.ForeignKey(
        "self", verbose_name=_("invoiced node"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="invoiced_nodes",
        help_text=_("Who receives the invoices: this node or one of its ancestors."),
    )
    delivery_mode = models.CharField(
        _("delivery mode"), max_length=20, choices=DeliveryMode.choices, blank=True
    )
    min_shelf_life_value = models.PositiveIntegerField(
        _("minimum remaining shelf life"), null=True, blank=True,
        help_text=_("At delivery, in days or in % of the article's total shelf life."),
    )
    min_shelf_life_unit = models.CharField(
        _("shelf life unit"), max_length=10, choices=ShelfLifeUnit.choices, blank=True
    )
    document_language = models.CharField(
        _("document language"), max_length=5, choices=settings.LANGUAGES, blank=True
    )
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), null=True, blank=True, on_delete=models.PROTECT
    )
    document_template = models.ForeignKey(
        DocumentTemplate, verbose_name=_("document template"), null=True, blank=True,
        on_delete=models.PROTECT,
    )
    credit_limit = models.DecimalField(
        _("credit limit"), null=True, blank=True, validators=[MinValueValidator(0)], **AMOUNT_FIELD
    )
    backorder_policy = models.CharField(
        _("short lines"), max_length=20, choices=BackorderPolicy.choices, blank=True
    )
    full_cases_only = models.BooleanField(_("full cases only"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["path"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["path"], name="customer_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["gln"], name="customer_gln"),
            models.Index(fields=["kind", "name"], name="customer_kind_name"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["gln"], condition=~Q(gln=""), name="customer_gln_unique"),
            models.CheckConstraint(
                condition=Q(min_shelf_life_unit="percent", min_shelf_life_value__lte=100)
                | ~Q(min_shelf_life_unit="percent"),
                name="customer_shelf_life_percent_max_100",
            ),
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="customer_credit_limit_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if (self.min_shelf_life_value is None) != (not self.min_shelf_life_unit):
            errors["min_shelf_life_unit"] = _(
                "Give both the minimum shelf life and its unit, or neither."
            )
        if self.min_shelf_life_unit == ShelfLifeUnit.PERCENT and (self.min_shelf_life_value or 0) > 100:
            errors["min_shelf_life_value"] = _("A percentage cannot exceed 100.")
        if self.kind == NodeKind.CHAIN and self.parent_id is not None:
            errors["parent"] = _("A chain is the top of a hierarchy and has no parent.")
        if self.kind != NodeKind.CHAIN and self.parent_id is None:
            errors["parent"] = _("Only a chain may have no parent.")
        if errors:
            raise ValidationError(errors)


class Supplier(LegalIdentityMixin, models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=150)
    lead_time_days = models.PositiveSmallIntegerField(_("lead time (days)"), default=7)
    minimum_order_amount = models.DecimalField(
        _("minimum order amount"), default=0, validators=[MinValueValidator(0)], **AMOUNT_FIELD
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    payment_terms = models.ForeignKey(
        PaymentTerms, verbose_name=_("payment terms"), null=True, blank=True,
        on_delete=models.PROTECT,
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")
        constraints = [
            models.UniqueConstraint(fields=["gln"], condition=~Q(gln=""), name="supplier_gln_unique"),
            models.CheckConstraint(condition=Q(minimum_order_amount__gte=0), name="supplier_min_order_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class AddressBase(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=AddressKind.choices)
    line1 = models.CharField(_("address"), max_length=150)
    line2 = models.CharField(_("address (continued)"), max_length=150, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=12)
    city = models.CharField(_("city"), max_length=80)
    country = models.CharField(_("country"), max_length=2, default="FR")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.line1}, {self.postal_code} {self.city}"


class ContactBase(models.Model):
    name = models.CharField(_("name"), max_length=120)
    role = models.CharField(_("role"), max_length=80, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class CustomerAddress(AddressBase):
    customer = models.ForeignKey(CustomerNode, on_delete=models.CASCADE, related_name="addresses")

    class Meta:
        verbose_name = _("customer address")
        verbose_name_plural = _("customer addresses")


class CustomerContact(ContactBase):
    customer = models.ForeignKey(CustomerNode, on_delete=models.CASCADE, related_name="contacts")

    class Meta:
        verbose_name = _("customer contact")
        verbose_name_plural = _("customer contacts")


class SupplierAddress(AddressBase):
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="addresses")

    class Meta:
        verbose_name = _("supplier address")
        verbose_name_plural = _("supplier addresses")


class SupplierContact(ContactBase):
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="contacts")

    class Meta:
        verbose_name = _("supplier contact")
        verbose_name_plural = _("supplier contacts")
