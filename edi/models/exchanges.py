"""What travelled: interchanges (raw, as received or sent), their messages and events.

The raw part of an interchange (payload, checksum, size, transport metadata, when it
arrived) is written once, in its own committed transaction, before anything reads
it, and never changes afterwards; processing only moves states and fills what it
read from the envelope. Messages carry their state, readable errors and the business
document they produced. Events record who did what and when. Written only by
``edi.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .partners import Direction, TradingPartner


class InterchangeTransport(models.TextChoices):
    AS2 = "as2", _("AS2")
    DIRECTORY = "directory", _("Directory")
    HTTP = "http", _("HTTP")
    UPLOAD = "upload", _("Upload")
    NONE = "none", _("None")


class InterchangeState(models.TextChoices):
    # inbound
    RECEIVED = "received", _("Received")
    PARSED = "parsed", _("Parsed")
    PROCESSED = "processed", _("Processed")
    ERROR = "error", _("Error")
    DUPLICATE = "duplicate", _("Duplicate")
    SPLIT = "split", _("Split")
    # outbound
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    # both: refused as a whole (envelope errors inbound, the partner's CONTRL outbound)
    REJECTED = "rejected", _("Rejected")


class MessageState(models.TextChoices):
    RECEIVED = "received", _("Received")
    PARSED = "parsed", _("Parsed")
    PROCESSED = "processed", _("Processed")
    ERROR = "error", _("Error")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    REJECTED = "rejected", _("Rejected")


class Interchange(models.Model):
    """One EDIFACT interchange (UNA/UNB…UNZ) — or, inbound, one received file.

    A received file holding several interchanges becomes a ``split`` row whose parts
    (``parent``) each hold the bytes of one interchange.
    """

    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    partner = models.ForeignKey(
        TradingPartner,
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interchanges",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("received file"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parts",
    )
    transport = models.CharField(
        _("transport"), max_length=10, choices=InterchangeTransport.choices
    )
    payload = models.BinaryField(_("raw payload"))
    checksum = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    metadata = models.JSONField(_("transport metadata"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    # Read from UNB when it can be read.
    sender_id = models.CharField(_("sender"), max_length=35, blank=True)
    sender_qualifier = models.CharField(_("sender qualifier"), max_length=4, blank=True)
    recipient_id = models.CharField(_("recipient"), max_length=35, blank=True)
    recipient_qualifier = models.CharField(_("recipient qualifier"), max_length=4, blank=True)
    control_reference = models.CharField(_("control reference"), max_length=14, blank=True)
    syntax_identifier = models.CharField(_("syntax identifier"), max_length=4, blank=True)
    # Processing
    state = models.CharField(_("state"), max_length=12, choices=InterchangeState.choices)
    error = models.TextField(_("error"), blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    contrl = models.ForeignKey(
        "self",
        verbose_name=_("answered by CONTRL"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    send_attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    # Duplicate detection: set on the first interchange with a checksum or a
    # (sender, control reference); a second one cannot take the key (unique).
    dedup_checksum = models.CharField(max_length=64, null=True, blank=True, unique=True)
    dedup_reference = models.CharField(max_length=60, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("interchange")
        verbose_name_plural = _("interchanges")
        permissions = [("resend_interchange", "Can resend an interchange")]
        indexes = [
            models.Index(
                fields=["partner", "direction", "state"], name="interchange_partner_state"
            ),
            models.Index(fields=["sender_id", "control_reference"], name="interchange_sender_ref"),
        ]
        constraints = [
            # Interchange control references never repeat towards a partner.
            models.UniqueConstraint(
                fields=["partner", "control_reference"],
                condition=Q(direction="out"),
                name="outbound_control_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        reference = self.control_reference or f"#{self.pk}"
        return f"{self.get_direction_display()} {reference}"

    @property
    def payload_bytes(self) -> bytes:
        return bytes(self.payload)


class EdiMessage(models.Model):
    """One message (UNH…UNT) of an interchange."""

    interchange = models.ForeignKey(Interchange, on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    partner = models.ForeignKey(
        TradingPartner,
        verbose_name=_("partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
    )
    position = models.PositiveIntegerField(_("position in the interchange"))
    reference = models.CharField(_("message reference"), max_length=14, blank=True)
    message_type = models.CharField(_("message type"), max_length=6, blank=True)
    version = models.CharField(_("version"), max_length=3, blank=True)
    release = models.CharField(_("release"), max_length=3, blank=True)
    association_code = models.CharField(_("association code"), max_length=6, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=MessageState.choices)
    # [{line, segment, position, element, code, reason}], readable by a person.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    segments_text = models.TextField(_("segments"), blank=True)
    document_type = models.CharField(_("document type"), max_length=40, blank=True)
    document_id = models.CharField(_("document"), max_length=40, blank=True)
    replay_count = models.PositiveIntegerField(_("replays"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("EDI message")
        verbose_name_plural = _("EDI messages")
        permissions = [("replay_edimessage", "Can replay a message")]
        indexes = [
            models.Index(fields=["state", "direction"], name="edimessage_state"),
            models.Index(fields=["partner", "created_at"], name="edimessage_partner"),
            models.Index(fields=["document_type", "document_id"], name="edimessage_document"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["interchange", "position"], name="edimessage_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_type or '?'} {self.reference or f'#{self.pk}'}"


class EventKind(models.TextChoices):
    RECEIVED = "received", _("Received")
    SPLIT = "split", _("Split")
    PARSED = "parsed", _("Parsed")
    PROCESSED = "processed", _("Processed")
    ERROR = "error", _("Error")
    DUPLICATE = "duplicate", _("Duplicate")
    REJECTED = "rejected", _("Rejected")
    REPLAYED = "replayed", _("Replayed")
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    SEND_FAILED = "send_failed", _("Send failed")
    RESENT = "resent", _("Resent")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")


class EdiEvent(models.Model):
    """What happened to an interchange or one of its messages, who did it and when."""

    interchange = models.ForeignKey(Interchange, on_delete=models.CASCADE, related_name="events")
    message = models.ForeignKey(
        EdiMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("event"), max_length=15, choices=EventKind.choices)
    note = models.TextField(_("note"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("EDI event")
        verbose_name_plural = _("EDI events")

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"
