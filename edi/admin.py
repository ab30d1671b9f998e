"""Django admin of the EDI gateway: partners through their service, exchanges read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from . import models
from .services import trading_partner_save


class PartnerMessageTypeInline(admin.TabularInline):
    model = models.PartnerMessageType
    extra = 0


@admin.register(models.TradingPartner)
class TradingPartnerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "gln", "interchange_id", "transport", "is_active")
    list_filter = ("transport", "is_active", "syntax_identifier")
    search_fields = ("code", "name", "gln", "interchange_id", "as2_id")
    raw_id_fields = ("customer_node", "supplier", "api_user")
    inlines = [PartnerMessageTypeInline]

    def save_model(self, request, obj, form, change):  # noqa: ANN001, ANN201
        trading_partner_save(obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Exchanges are a ledger: they change only through the gateway's services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(models.Interchange)
class InterchangeAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "direction",
        "partner",
        "control_reference",
        "state",
        "size",
        "created_at",
    )
    list_filter = ("direction", "state", "transport")
    search_fields = ("control_reference", "sender_id", "recipient_id", "checksum")
    exclude = ("payload",)


@admin.register(models.EdiMessage)
class EdiMessageAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "direction",
        "partner",
        "message_type",
        "reference",
        "state",
        "created_at",
    )
    list_filter = ("direction", "state", "message_type")
    search_fields = ("reference", "document_id")


@admin.register(models.EdiEvent)
class EdiEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "interchange", "message", "user")
    list_filter = ("kind",)
