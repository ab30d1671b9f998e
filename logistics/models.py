"""Logistics: warehouses and locations, lots and serials, the append-only stock ledger,
balances kept in the same transaction as each move, reservations, weighted average
cost, receipts, transfers, counts, kit assemblies and recalls.

Every quantity is in the article's base units. Balances, reservations and the ledger
are written only by ``logistics.services``, which locks balance rows in primary-key
order (STYLE.md rule 14).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from comptoir.identifiers import validate_gln
from comptoir.money import QUANTITY_FIELD, UNIT_PRICE_FIELD
from trade.models import Article, CustomerNode, Supplier

POSITIVE = [MinValueValidator(Decimal("0.001"))]


class Warehouse(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    gln = models.CharField(_("GLN"), max_length=13, blank=True, validators=[validate_gln])
    line1 = models.CharField(_("address"), max_length=150, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    country = models.CharField(_("country"), max_length=2, default="FR")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class LocationKind(models.TextChoices):
    STORAGE = "storage", _("Storage")
    RECEIVING = "receiving", _("Receiving")
    QUARANTINE = "quarantine", _("Quarantine")
    SHIPPING = "shipping", _("Shipping")
    TRANSIT = "transit", _("In transit")


class Location(models.Model):
    """A place stock sits in: a bin (zone/aisle/level), or an area (receiving, quarantine,
    shipping), or the transit location that holds goods between two warehouses."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="locations")
    code = models.CharField(_("code"), max_length=30)
    kind = models.CharField(_("kind"), max_length=12, choices=LocationKind.choices, default=LocationKind.STORAGE)
    zone = models.CharField(_("zone"), max_length=20, blank=True)
    aisle = models.CharField(_("aisle"), max_length=20, blank=True)
    level = models.CharField(_("level"), max_length=20, blank=True)
    picking_order = models.PositiveIntegerField(_("picking order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["warehouse", "picking_order", "code"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        constraints = [models.UniqueConstraint(fields=["warehouse", "code"], name="location_code_unique")]

    def __str__(self) -> str:
        return f"{self.warehouse.code}/{self.code}"

    @property
    def is_pickable(self) -> bool:
        return self.kind == LocationKind.STORAGE


class ExpiryKind(models.TextChoices):
    DLC = "dlc", _("Use-by (DLC)")
    DDM = "ddm", _("Best-before (DDM)")


class LotStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    QUARANTINED = "quarantined", _("Quarantined")
    BLOCKED = "blocked", _("Blocked")
    RECALLED = "recalled", _("Recalled")


class Lot(models.Model):
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="lots")
    number = models.CharField(_("lot number"), max_length=40)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    expiry_kind = models.CharField(_("expiry kind"), max_length=3, choices=ExpiryKind.choices, blank=True)
    production_date = models.DateField(_("production date"), null=True, blank=True)
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="lots")
    status = models.CharField(_("status"), max_length=12, choices=LotStatus.choices, default=LotStatus.AVAILABLE)
    received_on = models.DateField(_("first received on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "expiry_date", "number"]
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="lot_number_unique"),
            models.CheckConstraint(
                condition=Q(expiry_date__isnull=True, expiry_kind="") | Q(expiry_date__isnull=False, expiry_kind__in=["dlc", "ddm"]),
                name="lot_expiry_date_and_kind_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article.code} lot {self.number}"


class SerialStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    RESERVED = "reserved", _("Reserved")
    SHIPPED = "shipped", _("Shipped")
    SCRAPPED = "scrapped", _("Scrapped")


class SerialNumber(models.Model):
    """A serial-tracked unit: where it is now (one place only) and its status."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="serials")
    number = models.CharField(_("serial number"), max_length=60)
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="serials")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="serials")
    status = models.CharField(_("status"), max_length=10, choices=SerialStatus.choices, default=SerialStatus.IN_STOCK)

    class Meta:
        ordering = ["article", "number"]
        verbose_name = _("serial number")
        verbose_name_plural = _("serial numbers")
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="serial_number_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["in_stock", "reserved"], location__isnull=False)
                | Q(status__in=["shipped", "scrapped"], location__isnull=True),
                name="serial_location_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article.code} #{self.number}"


class MoveReason(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    SHIPMENT = "shipment", _("Shipment")
    TRANSFER = "transfer", _("Transfer")
    ADJUSTMENT = "adjustment", _("Adjustment")
    COUNT = "count", _("Count variance")
    KIT_ASSEMBLY = "kit_assembly", _("Kit assembly")
    KIT_DISASSEMBLY = "kit_disassembly", _("Kit disassembly")
    SCRAP = "scrap", _("Scrap")
    RETURN = "return", _("Customer return")


class StockMove(models.Model):
    """One line of the append-only stock ledger: ``quantity`` (> 0) of an article went
    from ``from_location`` to ``to_location`` (None: outside — a supplier, a customer,
    a gain or a loss). Never edited nor deleted; a correction is another move."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), validators=POSITIVE, **QUANTITY_FIELD)
    from_location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="moves")
    serial = models.ForeignKey(SerialNumber, null=True, blank=True, on_delete=models.PROTECT, related_name="moves")
    unit_cost = models.DecimalField(_("unit cost"), default=Decimal("0"), **UNIT_PRICE_FIELD)
    reason = models.CharField(_("reason"), max_length=16, choices=MoveReason.choices)
    document_type = models.CharField(_("document type"), max_length=30, blank=True)
    document_id = models.CharField(_("document"), max_length=40, blank=True)
    document_line = models.CharField(_("document line"), max_length=40, blank=True)
    customer_node = models.ForeignKey(
        CustomerNode, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("For shipments and returns: the customer node the goods went to or came from."),
    )
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        indexes = [
            models.Index(fields=["article", "created_at"], name="move_article_date"),
            models.Index(fields=["lot", "reason"], name="move_lot_reason"),
            models.Index(fields=["document_type", "document_id"], name="move_document"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="move_quantity_positive"),
            models.CheckConstraint(
                condition=Q(from_location__isnull=False) | Q(to_location__isnull=False),
                name="move_has_a_location",
            ),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="move_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.article_id} × {self.quantity}"

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        if self.pk is not None:
            raise ValidationError(_("Stock moves are never edited: post a correcting move."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise ValidationError(_("Stock moves are never deleted: post a correcting move."))


class StockBalance(models.Model):
    """Stock of an article in one lot (or none) at one location, kept in the same
    transaction as every move. available = on hand − reserved − blocked."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="balances")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="balances")
    on_hand = models.DecimalField(_("on hand"), default=Decimal("0"), **QUANTITY_FIELD)
    reserved = models.DecimalField(_("reserved"), default=Decimal("0"), **QUANTITY_FIELD)
    blocked = models.DecimalField(_("blocked"), default=Decimal("0"), **QUANTITY_FIELD)

    class Meta:
        ordering = ["article", "location", "lot"]
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        constraints = [
            models.UniqueConstraint(fields=["article", "location", "lot"], name="balance_unique",
                                    nulls_distinct=False),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="balance_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="balance_reserved_not_negative"),
            models.CheckConstraint(condition=Q(blocked__gte=0), name="balance_blocked_not_negative"),
        ]
        indexes = [models.Index(fields=["article", "location"], name="balance_article_location")]

    def __str__(self) -> str:
        return f"{self.article_id}@{self.location_id} lot {self.lot_id}: {self.on_hand}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved - self.blocked


class ReservationStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RELEASED = "released", _("Released")
    CONSUMED = "consumed", _("Shipped")


class Reservation(models.Model):
    """A quantity held on a balance (a lot at a location, or a serial) for a document line."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="+")
    balance = models.ForeignKey(StockBalance, on_delete=models.PROTECT, related_name="reservations")
    serial = models.ForeignKey(SerialNumber, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), validators=POSITIVE, **QUANTITY_FIELD)
    document_type = models.CharField(_("document type"), max_length=30)
    document_id = models.CharField(_("document"), max_length=40)
    document_line = models.CharField(_("document line"), max_length=40, blank=True)
    customer_node = models.ForeignKey(CustomerNode, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=ReservationStatus.choices,
                              default=ReservationStatus.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        indexes = [models.Index(fields=["document_type", "document_id", "status"], name="reservation_document")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_quantity_positive"),
            models.UniqueConstraint(fields=["serial"], condition=Q(status="active"), name="serial_reserved_once"),
        ]

    def __str__(self) -> str:
        return f"{self.document_type} {self.document_id}: {self.quantity}"


class ArticleCost(models.Model):
    """The weighted average cost (CUMP) of an article, all warehouses together."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="average_cost")
    quantity = models.DecimalField(_("quantity valued"), default=Decimal("0"), **QUANTITY_FIELD)
    unit_cost = models.DecimalField(_("weighted average cost"), default=Decimal("0"), **UNIT_PRICE_FIELD)

    class Meta:
        verbose_name = _("weighted average cost")
        verbose_name_plural = _("weighted average costs")

    def __str__(self) -> str:
        return f"{self.article_id}: {self.unit_cost}"


class ArticleCostHistory(models.Model):
    """Each change of an article's weighted average cost, for valuation at a past date."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    move = models.ForeignKey(StockMove, null=True, on_delete=models.PROTECT, related_name="+")
    unit_cost = models.DecimalField(**UNIT_PRICE_FIELD)
    quantity_after = models.DecimalField(**QUANTITY_FIELD)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "changed_at", "pk"]
        indexes = [models.Index(fields=["article", "changed_at"], name="cost_history_article_date")]

    def __str__(self) -> str:
        return f"{self.article_id} {self.changed_at:%Y-%m-%d}: {self.unit_cost}"


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    POSTED = "posted", _("Posted")
    CANCELLED = "cancelled", _("Cancelled")


class Receipt(models.Model):
    """Goods received (without purchase order until purchasing exists)."""

    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True, editable=False)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField(_("received on"))
    reference = models.CharField(_("supplier delivery note"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT,
                              editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    posted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), validators=POSITIVE, **QUANTITY_FIELD)
    unit_cost = models.DecimalField(_("unit cost"), validators=[MinValueValidator(0)], **UNIT_PRICE_FIELD)
    lot_number = models.CharField(_("lot number"), max_length=40, blank=True)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    production_date = models.DateField(_("production date"), null=True, blank=True)
    serial_numbers = models.TextField(_("serial numbers"), blank=True, help_text=_("One per line."))

    class Meta:
        ordering = ["receipt", "pk"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="receipt_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.receipt} {self.article_id} × {self.quantity}"


class TransferStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class Transfer(models.Model):
    """Stock sent from one warehouse to another, held in transit until received."""

    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True, editable=False)
    from_warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    to_warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=TransferStatus.choices,
                              default=TransferStatus.DRAFT, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    shipped_at = models.DateTimeField(null=True, blank=True, editable=False)
    received_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.CheckConstraint(condition=~Q(from_warehouse=models.F("to_warehouse")), name="transfer_two_warehouses"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="+")
    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), validators=POSITIVE, **QUANTITY_FIELD)

    class Meta:
        ordering = ["transfer", "pk"]

    def __str__(self) -> str:
        return f"{self.transfer} {self.article_id} × {self.quantity}"


class CountKind(models.TextChoices):
    FULL = "full", _("Full count")
    CYCLE = "cycle", _("Cycle count")


class CountStatus(models.TextChoices):
    COUNTING = "counting", _("Counting")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    CANCELLED = "cancelled", _("Cancelled")


class InventoryCount(models.Model):
    """A stock count: its lines are frozen with the expected quantity when it opens;
    approval posts the variances as count moves."""

    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True, editable=False)
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=6, choices=CountKind.choices, default=CountKind.CYCLE)
    location_prefix = models.CharField(_("locations starting with"), max_length=30, blank=True)
    articles = models.ManyToManyField(Article, blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=CountStatus.choices, default=CountStatus.COUNTING,
                              editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("inventory count")
        verbose_name_plural = _("inventory counts")

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


class CountLine(models.Model):
    count = models.ForeignKey(InventoryCount, on_delete=models.CASCADE, related_name="lines")
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    expected = models.DecimalField(_("expected"), **QUANTITY_FIELD)
    counted = models.DecimalField(_("counted"), null=True, blank=True, validators=[MinValueValidator(0)],
                                  **QUANTITY_FIELD)

    class Meta:
        ordering = ["count", "location__picking_order", "article", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["count", "article", "location", "lot"], name="count_line_unique",
                                    nulls_distinct=False),
        ]

    def __str__(self) -> str:
        return f"{self.count} {self.article_id}@{self.location_id}"

    @property
    def variance(self) -> Decimal | None:
        return None if self.counted is None else self.counted - self.expected


class AssemblyKind(models.TextChoices):
    ASSEMBLY = "assembly", _("Assembly")
    DISASSEMBLY = "disassembly", _("Disassembly")


class AssemblyOrder(models.Model):
    """Kits assembled in advance from their components (or taken apart again). The
    kits' lot records which component lots went in, so a trace goes through it."""

    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True, editable=False)
    kind = models.CharField(_("kind"), max_length=12, choices=AssemblyKind.choices, default=AssemblyKind.ASSEMBLY)
    kit = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("kits"), validators=POSITIVE, **QUANTITY_FIELD)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    kit_lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT,
                              editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("assembly order")
        verbose_name_plural = _("assembly orders")

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


class Recall(models.Model):
    """A recall: the lots blocked, why, by whom; affected customers come from the ledger."""

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    reason = models.TextField(_("reason"))
    lots = models.ManyToManyField(Lot, related_name="recalls")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("recall")
        verbose_name_plural = _("recalls")

    def __str__(self) -> str:
        return self.reference


class ReplenishmentRule(models.Model):
    """Min/max for an article in a warehouse; when absent, suggestions derive it from
    recent outgoing quantities and the supplier's lead time."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    minimum = models.DecimalField(_("minimum (reorder point)"), validators=[MinValueValidator(0)], **QUANTITY_FIELD)
    maximum = models.DecimalField(_("maximum"), validators=[MinValueValidator(0)], **QUANTITY_FIELD)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "article"], name="replenishment_rule_unique"),
            models.CheckConstraint(condition=Q(maximum__gte=models.F("minimum")), name="replenishment_max_above_min"),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse.code} {self.article_id}: {self.minimum}–{self.maximum}"
