"""Quotes, sales orders and deliveries, their lines and their history.

Quantities on a line are in the unit ordered (a packaging level or the article's
base unit); everything stock counts (reserved, delivered, cut) is in base units.
The price snapshot of a line is what the engine answered (``breakdown`` keeps every
step and source); nothing here computes a price.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from comptoir.money import AMOUNT_FIELD, QUANTITY_FIELD, UNIT_PRICE_FIELD
from logistics.models import Warehouse
from trade.models import Article, CustomerNode, PackagingLevel

POSITIVE = [MinValueValidator(Decimal("0.001"))]
ZERO = Decimal(0)


class QuoteState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")
    EXPIRED = "expired", _("Expired")


class OrderState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CONFIRMED = "confirmed", _("Confirmed")
    PARTIALLY_DELIVERED = "partially_delivered", _("Partially delivered")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class OrderOrigin(models.TextChoices):
    BACK_OFFICE = "back_office", _("Back-office")
    EDI = "edi", _("EDI")
    API = "api", _("API")


class LineState(models.TextChoices):
    OPEN = "open", pgettext_lazy("order line state", "Open")
    CANCELLED = "cancelled", _("Cancelled")


class DeliveryState(models.TextChoices):
    PICKING = "picking", _("To pick")
    PICKED = "picked", _("Picked")
    SHIPPED = "shipped", _("Shipped")
    CANCELLED = "cancelled", _("Cancelled")


class SalesDocument(models.Model):
    """What quotes and orders share: the parties, resolved from the hierarchy."""

    number = models.CharField(_("number"), max_length=30, blank=True, db_index=True)
    ordering_node = models.ForeignKey(
        CustomerNode, verbose_name=_("ordered by"), on_delete=models.PROTECT, related_name="+",
    )
    delivery_node = models.ForeignKey(
        CustomerNode, verbose_name=_("delivered to"), on_delete=models.PROTECT, related_name="+",
    )
    invoicing_node = models.ForeignKey(
        CustomerNode, verbose_name=_("invoiced to"), on_delete=models.PROTECT, related_name="+",
    )
    customer_reference = models.CharField(
        _("customer reference"), max_length=35, blank=True, help_text=_("Their purchase order number."),
    )
    requested_date = models.DateField(_("requested delivery date"))
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    notes = models.TextField(_("notes"), blank=True)
    total_amount = models.DecimalField(_("total excl. VAT"), default=ZERO, **AMOUNT_FIELD)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    @property
    def display_number(self) -> str:
        return self.number or _("draft #%(id)s") % {"id": self.pk}


class PricedLine(models.Model):
    """An article, a quantity in a unit, and the engine's price snapshot."""

    position = models.PositiveIntegerField(_("line"))
    article = models.ForeignKey(Article, verbose_name=_("article"), on_delete=models.PROTECT, related_name="+")
    packaging_level = models.CharField(
        _("packaging"), max_length=20, choices=PackagingLevel.choices, blank=True,
        help_text=_("Empty: the article's base unit."),
    )
    quantity = models.DecimalField(_("quantity"), validators=POSITIVE, **QUANTITY_FIELD)
    unit = models.CharField(_("unit"), max_length=20)
    base_units_per_unit = models.DecimalField(_("base units per unit"), default=Decimal(1), **QUANTITY_FIELD)
    base_quantity = models.DecimalField(_("quantity in base units"), **QUANTITY_FIELD)
    free_base_quantity = models.DecimalField(_("free goods (base units)"), default=ZERO, **QUANTITY_FIELD)
    requested_date = models.DateField(_("requested date"), null=True, blank=True)
    gross_unit_price = models.DecimalField(_("gross unit price"), null=True, blank=True, **UNIT_PRICE_FIELD)
    net_unit_price = models.DecimalField(_("net unit price"), null=True, blank=True, **UNIT_PRICE_FIELD)
    line_amount = models.DecimalField(_("amount excl. VAT"), default=ZERO, **AMOUNT_FIELD)
    cost_unit_price = models.DecimalField(_("cost price"), null=True, blank=True, **UNIT_PRICE_FIELD)
    margin_amount = models.DecimalField(_("margin"), null=True, blank=True, **AMOUNT_FIELD)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=2)
    breakdown = models.JSONField(_("price breakdown"), default=dict, blank=True)
    priced_on = models.DateField(_("priced on"), null=True, blank=True)
    caller_unit_price = models.DecimalField(
        _("price sent by the customer"), null=True, blank=True, **UNIT_PRICE_FIELD,
        help_text=_("Compared with ours, never used."),
    )
    caller_price_flagged = models.BooleanField(
        _("price mismatch"), default=False,
        help_text=_("The customer's price differs from ours beyond the agreed tolerance."),
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.position}. {self.article_id} × {self.quantity} {self.unit}"

    @property
    def is_priced(self) -> bool:
        return self.net_unit_price is not None

    @property
    def flags(self) -> dict:
        return (self.breakdown or {}).get("flags") or {}

    @property
    def caller_price_differs(self) -> bool:
        return (self.caller_unit_price is not None and self.net_unit_price is not None
                and self.caller_unit_price != self.net_unit_price)


class Quote(SalesDocument):
    state = models.CharField(_("state"), max_length=20, choices=QuoteState.choices, default=QuoteState.DRAFT)
    valid_until = models.DateField(_("valid until"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="quote_number_unique"),
        ]

    def __str__(self) -> str:
        return str(self.display_number)


class QuoteLine(PricedLine):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta:
        ordering = ["quote", "position"]
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        constraints = [
            models.UniqueConstraint(fields=["quote", "position"], name="quote_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quote_line_quantity_positive"),
        ]


class SalesOrder(SalesDocument):
    state = models.CharField(_("state"), max_length=20, choices=OrderState.choices, default=OrderState.DRAFT)
    origin = models.CharField(_("origin"), max_length=20, choices=OrderOrigin.choices,
                              default=OrderOrigin.BACK_OFFICE)
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="+")
    quote = models.OneToOneField(Quote, verbose_name=_("quote"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="order")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    source = models.CharField(
        _("source"), max_length=60, blank=True,
        help_text=_("The document it came from in another system, e.g. the EDI message."),
    )
    backorder_policy = models.CharField(
        _("short lines"), max_length=20, blank=True,
        help_text=_("Taken from the customer at confirmation: keep as backorder or cut."),
    )

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="order_number_unique"),
        ]
        indexes = [
            models.Index(fields=["state", "requested_date"], name="order_state_date"),
            models.Index(fields=["ordering_node", "-created_at"], name="order_node_created"),
            # The EDI message page and ORDRSP find the orders of a message by it.
            models.Index(fields=["source"], name="order_source"),
        ]

    def __str__(self) -> str:
        return str(self.display_number)

    @property
    def is_open(self) -> bool:
        return self.state in (OrderState.CONFIRMED, OrderState.PARTIALLY_DELIVERED)


class SalesOrderLine(PricedLine):
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    state = models.CharField(_("state"), max_length=10, choices=LineState.choices, default=LineState.OPEN)
    keyed_net_unit_price = models.DecimalField(
        _("net price when keyed"), null=True, blank=True, **UNIT_PRICE_FIELD,
        help_text=_("Set when confirmation found a different price: the one shown when the line was keyed."),
    )
    quoted_unit_price = models.DecimalField(
        _("quoted net price"), null=True, blank=True, **UNIT_PRICE_FIELD,
        help_text=_("The net price of the accepted quote this line comes from: it is kept."),
    )
    delivered_quantity = models.DecimalField(_("delivered (base units)"), default=ZERO, **QUANTITY_FIELD)
    cut_quantity = models.DecimalField(_("cut (base units)"), default=ZERO, **QUANTITY_FIELD)
    customer_line_reference = models.CharField(_("customer line number"), max_length=35, blank=True)

    class Meta:
        ordering = ["order", "position"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="order_line_position_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(delivered_quantity__gte=0) & Q(cut_quantity__gte=0),
                                   name="order_line_delivered_cut_not_negative"),
        ]

    @property
    def to_ship(self) -> Decimal:
        """Base units this line must ship in all: ordered plus free goods."""
        return self.base_quantity + self.free_base_quantity

    @property
    def remaining(self) -> Decimal:
        """Base units neither delivered nor cut (nothing for a cancelled line)."""
        if self.state == LineState.CANCELLED:
            return ZERO
        return max(self.to_ship - self.delivered_quantity - self.cut_quantity, ZERO)

    @property
    def price_changed(self) -> bool:
        return self.keyed_net_unit_price is not None and self.keyed_net_unit_price != self.net_unit_price


class Delivery(models.Model):
    number = models.CharField(_("number"), max_length=30, unique=True)
    order = models.ForeignKey(SalesOrder, verbose_name=_("order"), on_delete=models.PROTECT,
                              related_name="deliveries")
    state = models.CharField(_("state"), max_length=20, choices=DeliveryState.choices,
                             default=DeliveryState.PICKING)
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="+")
    delivery_node = models.ForeignKey(CustomerNode, verbose_name=_("delivered to"), on_delete=models.PROTECT,
                                      related_name="+")
    planned_date = models.DateField(_("planned date"))
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [models.Index(fields=["state", "planned_date"], name="delivery_state_date")]

    def __str__(self) -> str:
        return self.number


class DeliveryLine(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(SalesOrderLine, on_delete=models.PROTECT, related_name="delivery_lines")
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("to pick (base units)"), validators=POSITIVE, **QUANTITY_FIELD)
    picked_quantity = models.DecimalField(_("picked (base units)"), null=True, blank=True, **QUANTITY_FIELD)
    shipped_quantity = models.DecimalField(_("shipped (base units)"), default=ZERO, **QUANTITY_FIELD)

    class Meta:
        ordering = ["delivery", "order_line__position"]
        verbose_name = _("delivery line")
        verbose_name_plural = _("delivery lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="delivery_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(picked_quantity__isnull=True)
                | (Q(picked_quantity__gte=0) & Q(picked_quantity__lte=models.F("quantity"))),
                name="delivery_line_picked_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id}/{self.order_line_id} × {self.quantity}"

    @property
    def short_quantity(self) -> Decimal:
        if self.picked_quantity is None:
            return ZERO
        return self.quantity - self.picked_quantity


class SalesEvent(models.Model):
    """The history of a quote, order or delivery: every transition (from → to) and
    every change, with who and when. Append-only."""

    class Kind(models.TextChoices):
        TRANSITION = "transition", _("State change")
        CHANGE = "change", pgettext_lazy("sales event", "Change")
        PRICE = "price", pgettext_lazy("sales event", "Price")
        STOCK = "stock", _("Stock")

    quote = models.ForeignKey(Quote, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    order = models.ForeignKey(SalesOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    from_state = models.CharField(pgettext_lazy("state change", "from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20, blank=True)
    message = models.TextField(_("message"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("sales event")
        verbose_name_plural = _("sales events")
        constraints = [
            models.CheckConstraint(
                condition=(Q(quote__isnull=False, order__isnull=True, delivery__isnull=True)
                           | Q(quote__isnull=True, order__isnull=False, delivery__isnull=True)
                           | Q(quote__isnull=True, order__isnull=True, delivery__isnull=False)),
                name="sales_event_one_document",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind} {self.from_state}→{self.to_state} {self.message}"

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        if self.pk is not None:
            raise ValueError("sales events are append-only")
        super().save(*args, **kwargs)
