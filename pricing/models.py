"""Pricing: price list lines, the company's six discount levels, contracts and their
conditions, customer segments, the sales history used by what-if, and year-end rebates.

The computation itself is the pure engine in ``pricing/engine``; these tables are what
the services load and turn into the engine's frozen inputs.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from comptoir.money import AMOUNT_FIELD, QUANTITY_FIELD, RATE_FIELD, UNIT_PRICE_FIELD
from trade.models import Article, ArticleFamily, Brand, CustomerNode, PackagingLevel, PriceList

LEVEL_VALIDATORS = [MinValueValidator(1), MaxValueValidator(6)]


class ValueKind(models.TextChoices):
    RATE = "rate", _("Rate (%)")
    AMOUNT = "amount", _("Amount per unit")


class Stacking(models.TextChoices):
    MULTIPLICATIVE = "multiplicative", _("Multiplicative (cascade)")
    ADDITIVE = "additive", _("Additive with the previous level")


class DiscountLevel(models.Model):
    """One of the company's six cascade levels (configuration, not code)."""

    number = models.PositiveSmallIntegerField(_("level"), unique=True, validators=LEVEL_VALIDATORS)
    label = models.CharField(_("label"), max_length=60)
    order = models.PositiveSmallIntegerField(_("place in the cascade"), unique=True, validators=LEVEL_VALIDATORS)
    value_kind = models.CharField(_("value"), max_length=10, choices=ValueKind.choices, default=ValueKind.RATE)
    stacking = models.CharField(
        _("stacking"), max_length=16, choices=Stacking.choices, default=Stacking.MULTIPLICATIVE
    )
    exclusive = models.BooleanField(
        _("overrides the previous levels"), default=False,
        help_text=_("When this level applies, the levels before it in the cascade are cancelled."),
    )

    class Meta:
        ordering = ["order"]
        verbose_name = _("discount level")
        verbose_name_plural = _("discount levels")

    def __str__(self) -> str:
        return f"L{self.number} {self.label}"


class PriceListItem(models.Model):
    """A gross price of an article in a price list, per base unit or per packaging,
    from a minimum quantity (quantity breaks are several rows), with validity dates."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="price_list_items")
    packaging_level = models.CharField(
        _("per"), max_length=20, choices=PackagingLevel.choices, blank=True,
        help_text=_("Empty: the price is per base unit."),
    )
    min_quantity = models.DecimalField(
        _("from quantity (base units)"), default=Decimal("0"), validators=[MinValueValidator(0)], **QUANTITY_FIELD
    )
    unit_price = models.DecimalField(_("gross price"), validators=[MinValueValidator(0)], **UNIT_PRICE_FIELD)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        ordering = ["price_list", "article", "packaging_level", "min_quantity"]
        verbose_name = _("price list line")
        verbose_name_plural = _("price list lines")
        indexes = [models.Index(fields=["price_list", "article"], name="pricelist_item_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "article", "packaging_level", "min_quantity", "valid_from"],
                name="pricelist_item_unique", nulls_distinct=False,
            ),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="pricelist_item_price_not_negative"),
            models.CheckConstraint(condition=Q(min_quantity__gte=0), name="pricelist_item_min_qty_not_negative"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_from__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="pricelist_item_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.price_list.code} {self.article.code} {self.unit_price}"


class CustomerSegment(models.Model):
    """A named group of customer nodes a contract may target (e.g. "Proximité Sud")."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=120)
    nodes = models.ManyToManyField(CustomerNode, related_name="segments", verbose_name=_("customers"))

    class Meta:
        ordering = ["code"]
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")

    def __str__(self) -> str:
        return self.name


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


class Contract(models.Model):
    """A commercial agreement attached to a customer node (and so to everything below
    it) or to a segment; its conditions feed the cascade while it is active."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=150)
    node = models.ForeignKey(
        CustomerNode, verbose_name=_("customer"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="contracts",
    )
    segment = models.ForeignKey(
        CustomerSegment, verbose_name=_("segment"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="contracts",
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ContractStatus.choices, default=ContractStatus.DRAFT, editable=False
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-valid_from", "code"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(
                condition=(Q(node__isnull=False) & Q(segment__isnull=True))
                | (Q(node__isnull=True) & Q(segment__isnull=False)),
                name="contract_node_xor_segment",
                violation_error_message=_("A contract is attached to one customer node or to one segment."),
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="contract_dates_ordered",
                violation_error_message=_("The end date is before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def clean(self) -> None:
        if bool(self.node_id) == bool(self.segment_id):
            raise ValidationError({"node": _("Attach the contract to one customer node or to one segment.")})
        if self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end date is before the start date.")})


class ContractStatusChange(models.Model):
    """Audit of a contract's transitions: who, when, from, to."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=ContractStatus.choices)
    to_status = models.CharField(max_length=12, choices=ContractStatus.choices)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.contract_id}: {self.from_status} → {self.to_status}"


class ConditionKind(models.TextChoices):
    DISCOUNT = "discount", _("Discount")
    NET_PRICE = "net_price", _("Contract net price")
    FREE_GOODS = "free_goods", _("Free goods (N + M)")
    TIERS = "tiers", _("Quantity tiers")


class ScopeKind(models.TextChoices):
    ALL = "all", _("All articles")
    FAMILY = "family", _("Family (and sub-families)")
    BRAND = "brand", _("Brand")
    ARTICLE = "article", _("Article")


class NetPriceMode(models.TextChoices):
    REPLACE = "replace", _("Replaces the cascade")
    FLOOR = "floor", _("Floor under the cascade")


class TierBasis(models.TextChoices):
    QUANTITY = "quantity", _("Quantity (base units)")
    LAYER = "layer", _("Full layers")
    PALLET = "pallet", _("Full pallets")


class Condition(models.Model):
    """One condition of a contract. Quantities (minimum, N + M, tier thresholds by
    quantity) are in the article's base units; prices and amounts per base unit."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="conditions")
    kind = models.CharField(_("kind"), max_length=12, choices=ConditionKind.choices)
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True, validators=LEVEL_VALIDATORS)
    scope_kind = models.CharField(_("scope"), max_length=10, choices=ScopeKind.choices, default=ScopeKind.ALL)
    family = models.ForeignKey(ArticleFamily, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("family"))
    brand = models.ForeignKey(Brand, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("brand"))
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("article"))
    rate = models.DecimalField(_("rate (%)"), null=True, blank=True,
                               validators=[MinValueValidator(-100), MaxValueValidator(100)], **RATE_FIELD)
    amount = models.DecimalField(_("amount per unit"), null=True, blank=True, **UNIT_PRICE_FIELD)
    net_price = models.DecimalField(_("net price"), null=True, blank=True, validators=[MinValueValidator(0)],
                                    **UNIT_PRICE_FIELD)
    net_price_mode = models.CharField(_("net price mode"), max_length=10, choices=NetPriceMode.choices, blank=True)
    buy_quantity = models.DecimalField(_("per N ordered"), null=True, blank=True,
                                       validators=[MinValueValidator(Decimal("0.001"))], **QUANTITY_FIELD)
    free_quantity = models.DecimalField(_("M free"), null=True, blank=True,
                                        validators=[MinValueValidator(Decimal("0.001"))], **QUANTITY_FIELD)
    tier_basis = models.CharField(_("tiers by"), max_length=10, choices=TierBasis.choices, blank=True)
    min_quantity = models.DecimalField(_("minimum quantity"), default=Decimal("0"),
                                       validators=[MinValueValidator(0)], **QUANTITY_FIELD)
    valid_from = models.DateField(_("valid from"), null=True, blank=True,
                                  help_text=_("Empty: the contract's start."))
    valid_to = models.DateField(_("valid to"), null=True, blank=True, help_text=_("Empty: the contract's end."))

    class Meta:
        ordering = ["contract", "kind", "level", "pk"]
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        constraints = [
            models.CheckConstraint(
                condition=Q(scope_kind="all", family__isnull=True, brand__isnull=True, article__isnull=True)
                | Q(scope_kind="family", family__isnull=False, brand__isnull=True, article__isnull=True)
                | Q(scope_kind="brand", family__isnull=True, brand__isnull=False, article__isnull=True)
                | Q(scope_kind="article", family__isnull=True, brand__isnull=True, article__isnull=False),
                name="condition_scope_matches_target",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["discount", "tiers"]) | Q(level__isnull=False),
                name="condition_discount_has_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.code} #{self.pk} {self.get_kind_display()}"

    @property
    def scope_id(self) -> int | None:
        return {"family": self.family_id, "brand": self.brand_id, "article": self.article_id}.get(self.scope_kind)

    @property
    def scope_label(self) -> str:
        target = {"family": self.family, "brand": self.brand, "article": self.article}.get(self.scope_kind)
        return str(target) if target is not None else str(ScopeKind.ALL.label)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        targets = {"family": self.family_id, "brand": self.brand_id, "article": self.article_id}
        for name, value in targets.items():
            if name == self.scope_kind and value is None:
                errors[name] = _("Choose the %(scope)s this condition covers.") % {"scope": name}
            if name != self.scope_kind and value is not None:
                errors[name] = _("Only the scope's target may be set.")
        if self.kind == ConditionKind.DISCOUNT:
            if self.level is None:
                errors["level"] = _("A discount needs its level.")
            if (self.rate is None) == (self.amount is None):
                errors["rate"] = _("Give a rate or an amount, not both.")
        elif self.kind == ConditionKind.TIERS:
            if self.level is None:
                errors["level"] = _("Quantity tiers need their level.")
            if not self.tier_basis:
                errors["tier_basis"] = _("Say whether tiers count base units, layers or pallets.")
        elif self.kind == ConditionKind.NET_PRICE:
            if self.net_price is None:
                errors["net_price"] = _("Give the contract net price.")
            if not self.net_price_mode:
                errors["net_price_mode"] = _("Say whether the net price replaces the cascade or is a floor.")
        elif self.kind == ConditionKind.FREE_GOODS and (self.buy_quantity is None or self.free_quantity is None):
            errors["buy_quantity"] = _("Free goods need N ordered and M free.")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = _("The end date is before the start date.")
        if errors:
            raise ValidationError(errors)


class ConditionTier(models.Model):
    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, related_name="tiers")
    threshold = models.DecimalField(_("from"), validators=[MinValueValidator(0)], **QUANTITY_FIELD)
    rate = models.DecimalField(_("rate (%)"), validators=[MinValueValidator(-100), MaxValueValidator(100)],
                               **RATE_FIELD)

    class Meta:
        ordering = ["condition", "threshold"]
        constraints = [
            models.UniqueConstraint(fields=["condition", "threshold"], name="condition_tier_unique"),
        ]

    def __str__(self) -> str:
        return f"≥ {self.threshold.normalize():f}: {self.rate.normalize():f} %"


class SalesHistoryLine(models.Model):
    """Past sales lines replayed by the what-if simulation until order lines exist."""

    node = models.ForeignKey(CustomerNode, on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    sold_on = models.DateField(_("date"))
    quantity = models.DecimalField(_("quantity (base units)"), validators=[MinValueValidator(0)], **QUANTITY_FIELD)
    net_amount = models.DecimalField(_("net amount"), **AMOUNT_FIELD)

    class Meta:
        ordering = ["sold_on", "pk"]
        indexes = [models.Index(fields=["node", "sold_on"], name="sales_history_node_date")]

    def __str__(self) -> str:
        return f"{self.sold_on} {self.node_id} {self.article_id} × {self.quantity}"


class RebateBase(models.TextChoices):
    TOTAL = "total", _("Total turnover excl. VAT")
    FAMILY = "family", _("Turnover of a family excl. VAT")


class RebateMethod(models.TextChoices):
    STEP = "step", _("By step (the rate reached applies to the whole turnover)")
    SLICE = "slice", _("By slice (each rate applies to its slice)")


class RebateAgreement(models.Model):
    """A year-end rebate (RFA) agreement of a customer node over a period."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    node = models.ForeignKey(CustomerNode, on_delete=models.PROTECT, related_name="rebate_agreements",
                             verbose_name=_("customer"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    base = models.CharField(_("base"), max_length=10, choices=RebateBase.choices, default=RebateBase.TOTAL)
    family = models.ForeignKey(ArticleFamily, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("family"))
    method = models.CharField(_("method"), max_length=10, choices=RebateMethod.choices, default=RebateMethod.STEP)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True, editable=False)
    settled_turnover = models.DecimalField(
        _("settled turnover"), null=True, blank=True, editable=False, **AMOUNT_FIELD
    )
    settled_amount = models.DecimalField(_("settled rebate"), null=True, blank=True, editable=False, **AMOUNT_FIELD)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-period_start", "code"]
        verbose_name = _("year-end rebate agreement")
        verbose_name_plural = _("year-end rebate agreements")
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="rebate_period_ordered"),
            models.CheckConstraint(condition=~Q(base="family") | Q(family__isnull=False), name="rebate_family_base"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.node.code})"


class RebateTier(models.Model):
    agreement = models.ForeignKey(RebateAgreement, on_delete=models.CASCADE, related_name="tiers")
    threshold = models.DecimalField(_("from turnover"), validators=[MinValueValidator(0)], **AMOUNT_FIELD)
    rate = models.DecimalField(_("rate (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)], **RATE_FIELD)

    class Meta:
        ordering = ["agreement", "threshold"]
        constraints = [models.UniqueConstraint(fields=["agreement", "threshold"], name="rebate_tier_unique")]

    def __str__(self) -> str:
        return f"≥ {self.threshold}: {self.rate.normalize():f} %"
