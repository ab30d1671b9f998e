"""Trading partners: who we exchange EDI with, how, and under which rules.

A partner stands for exactly one party of the trade (a customer node or a supplier),
is known in interchange envelopes by its interchange id and qualifier (UNB S002/S003),
and agrees with us, per direction, on the message types we exchange
(``PartnerMessageType``). Rows are written only by ``edi.services.partners``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from comptoir.identifiers import validate_gln
from trade.models import CustomerNode, Supplier


class SyntaxIdentifier(models.TextChoices):
    """UNB S001 0001, the character repertoire of the interchange."""

    UNOA = "UNOA", _("UNOA (upper-case ASCII)")
    UNOB = "UNOB", _("UNOB (ASCII)")
    UNOC = "UNOC", _("UNOC (ISO 8859-1)")
    UNOY = "UNOY", _("UNOY (UTF-8)")


class SyntaxVersion(models.TextChoices):
    V3 = "3", "3"
    V4 = "4", "4"


class TransportKind(models.TextChoices):
    AS2 = "as2", _("AS2")
    DIRECTORY = "directory", _("Directory (SFTP/VAN mailbox)")
    HTTP = "http", _("HTTP POST to our API")
    NONE = "none", _("None (manual)")


class MdnMode(models.TextChoices):
    SYNC = "sync", _("Synchronous")
    ASYNC = "async", _("Asynchronous")
    NONE = "none", _("No MDN")


class UnknownGtinPolicy(models.TextChoices):
    REJECT_MESSAGE = "reject_message", _("Reject the whole message")
    REJECT_LINE = "reject_line", _("Reject the line only")


class OrdrspPolicy(models.TextChoices):
    NEVER = "never", _("Never")
    ON_CONFIRMATION = "on_confirmation", _("When the order is confirmed")


class Direction(models.TextChoices):
    INBOUND = "in", _("Inbound")
    OUTBOUND = "out", _("Outbound")


class MessageType(models.TextChoices):
    ORDERS = "ORDERS", "ORDERS"
    ORDRSP = "ORDRSP", "ORDRSP"
    DESADV = "DESADV", "DESADV"
    INVOIC = "INVOIC", "INVOIC"
    CONTRL = "CONTRL", "CONTRL"


class TradingPartner(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    customer_node = models.ForeignKey(
        CustomerNode,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="trading_partners",
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("supplier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="trading_partners",
    )
    gln = models.CharField(_("GLN"), max_length=13, validators=[validate_gln])
    interchange_id = models.CharField(
        _("interchange id"),
        max_length=35,
        blank=True,
        help_text=_("Their id in UNB (sender of what they send us). Empty: their GLN."),
    )
    interchange_id_qualifier = models.CharField(
        _("interchange id qualifier"), max_length=4, default="14", help_text=_("14 = GLN")
    )
    our_id = models.CharField(
        _("our id towards them"),
        max_length=35,
        blank=True,
        help_text=_("Our id in UNB towards this partner. Empty: our company's GLN."),
    )
    our_id_qualifier = models.CharField(_("our id qualifier"), max_length=4, default="14")
    syntax_identifier = models.CharField(
        _("syntax identifier"),
        max_length=4,
        choices=SyntaxIdentifier.choices,
        default=SyntaxIdentifier.UNOC,
    )
    syntax_version = models.CharField(
        _("syntax version"), max_length=1, choices=SyntaxVersion.choices, default=SyntaxVersion.V3
    )
    test_indicator = models.BooleanField(
        _("test exchanges"), default=False, help_text=_("Interchanges we send carry UNB 0035 = 1.")
    )
    # Transport
    transport = models.CharField(
        _("transport"), max_length=10, choices=TransportKind.choices, default=TransportKind.NONE
    )
    inbox_path = models.CharField(
        _("inbox directory"),
        max_length=500,
        blank=True,
        help_text=_("Where their files arrive (directory transport)."),
    )
    outbox_path = models.CharField(
        _("outbox directory"),
        max_length=500,
        blank=True,
        help_text=_("Where we leave files for them (directory transport)."),
    )
    as2_id = models.CharField(_("their AS2 id"), max_length=128, blank=True)
    as2_url = models.URLField(_("their AS2 URL"), max_length=500, blank=True)
    as2_certificate = models.TextField(
        _("their AS2 certificate (PEM)"),
        blank=True,
        help_text=_("Public certificate: verifies their signatures and encrypts to them."),
    )
    as2_sign = models.BooleanField(_("sign AS2 messages"), default=True)
    as2_encrypt = models.BooleanField(_("encrypt AS2 messages"), default=True)
    as2_compress = models.BooleanField(_("compress AS2 messages"), default=False)
    as2_mdn_mode = models.CharField(
        _("AS2 MDN"), max_length=5, choices=MdnMode.choices, default=MdnMode.SYNC
    )
    as2_mdn_signed = models.BooleanField(_("ask for signed MDNs"), default=True)
    api_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("API user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trading_partner",
        help_text=_("The user whose token authenticates their HTTP posts. It must hold no role."),
    )
    # Rules
    unknown_gtin_policy = models.CharField(
        _("unknown GTIN"),
        max_length=15,
        choices=UnknownGtinPolicy.choices,
        default=UnknownGtinPolicy.REJECT_MESSAGE,
    )
    price_tolerance_percent = models.DecimalField(
        _("price check tolerance (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("A partner price further than this from ours is flagged, never taken."),
    )
    send_contrl = models.BooleanField(
        _("send CONTRL"),
        default=True,
        help_text=_(
            "Answer every interchange with a CONTRL (also sent when their UNB asks for one)."
        ),
    )
    request_contrl = models.BooleanField(
        _("ask for CONTRL"),
        default=False,
        help_text=_("Interchanges we send ask for a CONTRL (UNB 0031 = 1)."),
    )
    ordrsp_policy = models.CharField(
        _("send ORDRSP"), max_length=20, choices=OrdrspPolicy.choices, default=OrdrspPolicy.NEVER
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # What people edit (the partner form, the API); the rest is kept by the gateway.
    EDITABLE_FIELDS: ClassVar[tuple[str, ...]] = (
        "code",
        "name",
        "customer_node",
        "supplier",
        "gln",
        "interchange_id",
        "interchange_id_qualifier",
        "our_id",
        "our_id_qualifier",
        "syntax_identifier",
        "syntax_version",
        "test_indicator",
        "transport",
        "inbox_path",
        "outbox_path",
        "as2_id",
        "as2_url",
        "as2_certificate",
        "as2_sign",
        "as2_encrypt",
        "as2_compress",
        "as2_mdn_mode",
        "as2_mdn_signed",
        "api_user",
        "unknown_gtin_policy",
        "price_tolerance_percent",
        "send_contrl",
        "request_contrl",
        "ordrsp_policy",
        "is_active",
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("trading partner")
        verbose_name_plural = _("trading partners")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(customer_node__isnull=False, supplier__isnull=True)
                    | Q(customer_node__isnull=True, supplier__isnull=False)
                ),
                name="partner_one_party",
            ),
            models.UniqueConstraint(
                fields=["interchange_id", "interchange_id_qualifier"],
                name="partner_interchange_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(price_tolerance_percent__gte=0), name="partner_tolerance_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def party(self) -> CustomerNode | Supplier | None:
        return self.customer_node or self.supplier

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if bool(self.customer_node_id) == bool(self.supplier_id):
            errors.setdefault("customer_node", []).append(
                str(_("Choose the customer or the supplier this partner stands for (one of them)."))
            )
        if not self.interchange_id and self.gln:
            self.interchange_id = self.gln
        if self.transport == TransportKind.DIRECTORY:
            for field in ("inbox_path", "outbox_path"):
                if not getattr(self, field):
                    errors.setdefault(field, []).append(
                        str(_("Required for the directory transport."))
                    )
        if self.transport == TransportKind.AS2:
            for field in ("as2_id", "as2_url"):
                if not getattr(self, field):
                    errors.setdefault(field, []).append(str(_("Required for the AS2 transport.")))
            if self.as2_encrypt and not self.as2_certificate.strip():
                errors.setdefault("as2_certificate", []).append(
                    str(_("Encrypting to the partner needs their certificate."))
                )
        if self.transport == TransportKind.HTTP and not self.api_user_id:
            errors.setdefault("api_user", []).append(
                str(_("The HTTP transport needs the API user the partner authenticates as."))
            )
        if self.as2_certificate.strip() and "BEGIN CERTIFICATE" not in self.as2_certificate:
            errors.setdefault("as2_certificate", []).append(
                str(_("Paste the certificate in PEM form (-----BEGIN CERTIFICATE-----…)."))
            )
        if errors:
            raise ValidationError(errors)


class PartnerMessageType(models.Model):
    """A message type agreed with a partner in one direction, with its UNH identifier."""

    partner = models.ForeignKey(
        TradingPartner, on_delete=models.CASCADE, related_name="message_types"
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    message_type = models.CharField(_("message type"), max_length=6, choices=MessageType.choices)
    version = models.CharField(_("version"), max_length=3, default="D")
    release = models.CharField(_("release"), max_length=3, default="96A")
    association_code = models.CharField(
        _("association code"), max_length=6, blank=True, help_text=_("EAN008, EAN005…")
    )
    is_enabled = models.BooleanField(_("enabled"), default=True)

    # What people edit (the partner form's agreements, the API); the partner is implied.
    EDITABLE_FIELDS: ClassVar[tuple[str, ...]] = (
        "direction",
        "message_type",
        "version",
        "release",
        "association_code",
        "is_enabled",
    )

    class Meta:
        ordering = ["partner", "direction", "message_type"]
        verbose_name = _("partner message type")
        verbose_name_plural = _("partner message types")
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "direction", "message_type"], name="partner_message_type_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.message_type} {self.version}:{self.release}"

    def clean(self) -> None:
        # CONTRL's version follows the syntax version (D:3), whatever the business guide.
        if self.message_type == MessageType.CONTRL:
            self.version, self.release, self.association_code = "D", "3", ""


class InterchangeSequence(models.Model):
    """The last interchange control reference number we used towards a partner.

    A row of its own, not a partner column: editing the partner (a form saving every
    column) must never move the counter back.
    """

    partner = models.OneToOneField(
        TradingPartner, on_delete=models.CASCADE, related_name="interchange_sequence"
    )
    last_number = models.PositiveBigIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("interchange sequence")
        verbose_name_plural = _("interchange sequences")

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.last_number}"
