"""Input and output serializers of the logistics API.

Output serializers describe what the API returns: every field read-only, decimals
as strings, codes of the related rows next to their ids so a handheld needs no
second call. Input serializers only validate: stock moves, postings, reservations
and recalls are written by ``logistics.services``. Draft documents (a receipt, a
transfer or an assembly order before it is posted, and the counted quantities of an
open count) are plain rows without stock effect and are saved here, in one
transaction with their lines, the document row locked and its status re-checked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from comptoir.exceptions import InvalidTransition
from comptoir.money import QUANTITY_FIELD, UNIT_PRICE_FIELD
from logistics import allocation as engine
from logistics.models import (
    AssemblyKind,
    AssemblyOrder,
    CountKind,
    CountLine,
    CountStatus,
    DocumentStatus,
    ExpiryKind,
    InventoryCount,
    Location,
    LocationKind,
    Lot,
    LotStatus,
    MoveReason,
    Recall,
    Receipt,
    ReceiptLine,
    Reservation,
    ReservationStatus,
    SerialNumber,
    SerialStatus,
    StockBalance,
    StockMove,
    Transfer,
    TransferLine,
    TransferStatus,
    Warehouse,
)
from logistics.selectors import LotTrace
from logistics.services.documents import count_entries_record, count_line_found, count_open
from trade.api.serializers import NodeKindField, PermissionGatedFieldsMixin
from trade.models import Article, ArticleFamily, CustomerNode, Supplier, TrackingMode

LOT_TRACKED = {TrackingMode.LOT, TrackingMode.LOT_DLC, TrackingMode.LOT_DDM}
QUANTITY = {**QUANTITY_FIELD, "read_only": True}
UNIT_COST = {**UNIT_PRICE_FIELD, "read_only": True}

# --------------------------------------------------------------------------- helpers


def named_choice_field(
    component_name: str, choices: Sequence[tuple[str, str]]
) -> type[serializers.ChoiceField]:
    """A ChoiceField whose enum is a schema component of its own. Several logistics
    choice sets share a field name ("status", "kind", "reason") with each other and
    with other apps; naming each after its meaning avoids enum-collision warnings."""
    values = list(choices)

    class NamedChoiceField(serializers.ChoiceField):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(choices=values, **kwargs)

    NamedChoiceField.__name__ = NamedChoiceField.__qualname__ = (
        component_name.removesuffix("Enum") + "Field"
    )
    return extend_schema_field(
        serializers.ChoiceField(choices=values), component_name=component_name
    )(NamedChoiceField)


LocationKindField = named_choice_field("LocationKindEnum", LocationKind.choices)
ExpiryKindField = named_choice_field(
    "ExpiryKindEnum", [("", _lazy("undated")), *ExpiryKind.choices]
)
LotStatusField = named_choice_field("LotStatusEnum", LotStatus.choices)
SerialStatusField = named_choice_field("SerialStatusEnum", SerialStatus.choices)
MoveReasonField = named_choice_field("MoveReasonEnum", MoveReason.choices)
DocumentStatusField = named_choice_field("DocumentStatusEnum", DocumentStatus.choices)
TransferStatusField = named_choice_field("TransferStatusEnum", TransferStatus.choices)
CountKindField = named_choice_field("CountKindEnum", CountKind.choices)
CountStatusField = named_choice_field("CountStatusEnum", CountStatus.choices)
AssemblyKindField = named_choice_field("AssemblyKindEnum", AssemblyKind.choices)
ReservationStatusField = named_choice_field("ReservationStatusEnum", ReservationStatus.choices)
ShortfallReasonField = named_choice_field(
    "ShortfallReasonEnum", [(reason.value, reason.value) for reason in engine.ShortfallReason]
)
PlanFlagField = named_choice_field(
    "PlanFlagEnum", [(flag.value, flag.value) for flag in engine.PlanFlag]
)
PlanKindField = named_choice_field("PlanKindEnum", [("article", "article"), ("kit", "kit")])
AdjustmentReasonField = named_choice_field(
    "AdjustmentReasonEnum",
    [
        (MoveReason.ADJUSTMENT.value, MoveReason.ADJUSTMENT.label),
        (MoveReason.SCRAP.value, MoveReason.SCRAP.label),
    ],
)


def code_field(source: str) -> serializers.CharField:
    """The code (or number) of a related row, null when there is none."""
    return serializers.CharField(source=source, read_only=True, allow_null=True)


def quantity_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(**QUANTITY, **kwargs)


def lot_of_article(lot: Lot | None, article: Article, field: str) -> dict[str, list[str]]:
    if lot is not None and lot.article_id != article.pk:
        return {field: [_("This lot belongs to another article.")]}
    return {}


def child_errors(errors: Mapping[int, Mapping[str, list[str]]], count: int) -> list[dict[str, Any]]:
    """Errors of a nested list as DRF reports them: one entry per item, empty when fine."""
    return [dict(errors.get(index, {})) for index in range(count)]


def complete_lines(
    document: serializers.Serializer,
    line_class: type[serializers.Serializer],
    items: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Lines replace the stored ones whole, even in a PATCH: validate them as complete
    lines (a partial parent would let their required fields go missing)."""
    if not document.partial:
        return items
    lines = line_class(data=document.initial_data["lines"], many=True)
    lines.is_valid(raise_exception=True)
    return list(lines.validated_data)


def lock_draft(model: type[Model], pk: int, *, draft: str, what: str) -> Model:
    """Lock a document row and check it is still a draft (rule 11: lock, re-check)."""
    locked = model._default_manager.select_for_update().get(pk=pk)
    if locked.status != draft:  # type: ignore[attr-defined]
        raise InvalidTransition(
            _("%(what)s %(number)s is no longer a draft and cannot be changed.")
            % {"what": what, "number": locked}
        )
    return locked


class DraftDocumentInputSerializer(serializers.ModelSerializer):
    """A draft document and, when it has any, its lines, written in one transaction.

    A subclass names its ``Meta.model``, the ``draft_status`` re-checked on update and
    ``document_label()`` (the document in the refusal); with lines, the ``lines``
    field, ``line_input_class``, ``line_model`` and the line's ``line_parent`` field.
    Lines given replace the stored ones whole."""

    draft_status: str = DocumentStatus.DRAFT
    line_input_class: type[serializers.Serializer] | None = None
    line_model: type[Model] | None = None
    line_parent: str = ""

    def document_label(self) -> str:
        raise NotImplementedError

    def validate_lines(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        assert self.line_input_class is not None
        return complete_lines(self, self.line_input_class, items)

    def line_values(self, line: dict[str, Any]) -> dict[str, Any]:
        """The model fields of a validated line."""
        return line

    def _lines_write(self, document: Model, lines: list[dict[str, Any]]) -> None:
        model = self.line_model
        assert model is not None
        model._default_manager.filter(**{self.line_parent: document}).delete()
        model._default_manager.bulk_create(
            [model(**{self.line_parent: document}, **self.line_values(line)) for line in lines]
        )

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Model:
        lines = validated_data.pop("lines", None)
        document = self.Meta.model._default_manager.create(
            **validated_data, created_by=self.context["request"].user
        )
        if lines is not None:
            self._lines_write(document, lines)
        return document

    @transaction.atomic
    def update(self, instance: Model, validated_data: dict[str, Any]) -> Model:
        locked = lock_draft(
            type(instance), instance.pk, draft=self.draft_status, what=self.document_label()
        )
        lines = validated_data.pop("lines", None)
        for name, value in validated_data.items():
            setattr(locked, name, value)
        locked.save()
        if lines is not None:
            self._lines_write(locked, lines)
        return locked


class LotBriefSerializer(serializers.ModelSerializer):
    article_code = serializers.CharField(source="article.code", read_only=True)
    expiry_kind = ExpiryKindField(read_only=True)
    status = LotStatusField(read_only=True)

    class Meta:
        model = Lot
        fields = ("id", "number", "article", "article_code", "expiry_date", "expiry_kind", "status")
        read_only_fields = fields


# --------------------------------------------------------------------------- places


class WarehouseSerializer(serializers.ModelSerializer):
    """A warehouse (site); written by the admin role, read by every stock role."""

    class Meta:
        model = Warehouse
        fields = (
            "id",
            "code",
            "name",
            "gln",
            "line1",
            "postal_code",
            "city",
            "country",
            "is_active",
        )


class LocationSerializer(serializers.ModelSerializer):
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    kind = LocationKindField(read_only=True)

    class Meta:
        model = Location
        fields = (
            "id",
            "warehouse",
            "warehouse_code",
            "code",
            "kind",
            "zone",
            "aisle",
            "level",
            "picking_order",
            "is_active",
        )
        read_only_fields = fields


@extend_schema_serializer(component_name="Location")
class LocationInputSerializer(serializers.ModelSerializer):
    """A location to create or update; it stays in the warehouse it was created in."""

    kind = LocationKindField(required=False)

    class Meta:
        model = Location
        fields = (
            "warehouse",
            "code",
            "kind",
            "zone",
            "aisle",
            "level",
            "picking_order",
            "is_active",
        )

    def validate_warehouse(self, warehouse: Warehouse) -> Warehouse:
        if self.instance is not None and self.instance.warehouse_id != warehouse.pk:
            raise serializers.ValidationError(
                _("A location cannot move to another warehouse: create a new one.")
            )
        return warehouse


# --------------------------------------------------------------------------- lots, serials


class LotSerializer(serializers.ModelSerializer):
    article_code = serializers.CharField(source="article.code", read_only=True)
    supplier_code = code_field("supplier.code")
    expiry_kind = ExpiryKindField(read_only=True)
    status = LotStatusField(read_only=True)

    class Meta:
        model = Lot
        fields = (
            "id",
            "article",
            "article_code",
            "number",
            "expiry_date",
            "expiry_kind",
            "production_date",
            "supplier",
            "supplier_code",
            "status",
            "received_on",
            "created_at",
        )
        read_only_fields = fields


@extend_schema_serializer(component_name="LotStatusChange")
class LotStatusInputSerializer(serializers.Serializer):
    """``quarantined``, ``blocked`` or ``recalled`` take the lot out of allocation;
    ``available`` releases it."""

    status = LotStatusField()


class SerialNumberSerializer(serializers.ModelSerializer):
    article_code = serializers.CharField(source="article.code", read_only=True)
    lot_number = code_field("lot.number")
    location_code = code_field("location.code")
    warehouse = serializers.IntegerField(
        source="location.warehouse_id", read_only=True, allow_null=True
    )
    status = SerialStatusField(read_only=True)

    class Meta:
        model = SerialNumber
        fields = (
            "id",
            "article",
            "article_code",
            "number",
            "lot",
            "lot_number",
            "warehouse",
            "location",
            "location_code",
            "status",
        )
        read_only_fields = fields


# --------------------------------------------------------------------------- stock


class StockBalanceSerializer(serializers.ModelSerializer):
    """Stock of an article in one lot at one location; available = on hand − reserved − blocked."""

    article_code = serializers.CharField(source="article.code", read_only=True)
    article_designation = serializers.CharField(source="article.designation", read_only=True)
    warehouse = serializers.IntegerField(source="location.warehouse_id", read_only=True)
    warehouse_code = serializers.CharField(source="location.warehouse.code", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)
    lot_number = code_field("lot.number")
    expiry_date = serializers.DateField(source="lot.expiry_date", read_only=True, allow_null=True)
    expiry_kind = ExpiryKindField(source="lot.expiry_kind", read_only=True, allow_null=True)
    lot_status = LotStatusField(source="lot.status", read_only=True, allow_null=True)
    available = quantity_field(source="available_qty")

    class Meta:
        model = StockBalance
        fields = (
            "id",
            "article",
            "article_code",
            "article_designation",
            "warehouse",
            "warehouse_code",
            "location",
            "location_code",
            "lot",
            "lot_number",
            "expiry_date",
            "expiry_kind",
            "lot_status",
            "on_hand",
            "reserved",
            "blocked",
            "available",
        )
        read_only_fields = fields


class ArticleStockSerializer(serializers.Serializer):
    """One article's stock, all lots and locations of the warehouse(s) together."""

    article = serializers.IntegerField(source="article_id", read_only=True)
    article_code = serializers.CharField(source="article__code", read_only=True)
    article_designation = serializers.CharField(source="article__designation", read_only=True)
    on_hand = quantity_field()
    reserved = quantity_field()
    blocked = quantity_field()
    available = quantity_field()


class ByArticleQuerySerializer(serializers.Serializer):
    warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(),
        required=False,
        help_text="One warehouse; all when absent.",
    )
    article = serializers.PrimaryKeyRelatedField(
        queryset=Article.objects.all(), required=False, help_text="One article."
    )


class StockMoveSerializer(PermissionGatedFieldsMixin, serializers.ModelSerializer):
    """A line of the append-only ledger. ``unit_cost`` is shown to roles that may see costs."""

    gated_fields = {"unit_cost": "logistics.view_articlecost"}

    article_code = serializers.CharField(source="article.code", read_only=True)
    from_location_code = code_field("from_location.code")
    to_location_code = code_field("to_location.code")
    lot_number = code_field("lot.number")
    serial_number = code_field("serial.number")
    customer_code = code_field("customer_node.code")
    supplier_code = code_field("supplier.code")
    created_by = code_field("created_by.username")
    reason = MoveReasonField(read_only=True)
    # Not read-only, so the schema can mark it optional; the serializer is output-only.
    unit_cost = serializers.DecimalField(
        **UNIT_PRICE_FIELD, required=False, help_text="Present when the user may view costs."
    )

    class Meta:
        model = StockMove
        fields = (
            "id",
            "created_at",
            "reason",
            "article",
            "article_code",
            "quantity",
            "from_location",
            "from_location_code",
            "to_location",
            "to_location_code",
            "lot",
            "lot_number",
            "serial",
            "serial_number",
            "unit_cost",
            "document_type",
            "document_id",
            "document_line",
            "customer_node",
            "customer_code",
            "supplier",
            "supplier_code",
            "note",
            "created_by",
        )
        read_only_fields = tuple(name for name in fields if name != "unit_cost")


@extend_schema_serializer(component_name="StockAdjustment")
class StockAdjustmentInputSerializer(serializers.Serializer):
    """A manual correction at one location: a positive quantity adds stock, a negative
    one removes it. Lot-tracked articles name their lot, serial-tracked ones their
    serial (one unit)."""

    article = serializers.PrimaryKeyRelatedField(queryset=Article.objects.all())
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all())
    lot = serializers.PrimaryKeyRelatedField(
        queryset=Lot.objects.all(), required=False, allow_null=True
    )
    serial = serializers.PrimaryKeyRelatedField(
        queryset=SerialNumber.objects.all(), required=False, allow_null=True
    )
    quantity = serializers.DecimalField(**QUANTITY_FIELD, help_text="Signed: + adds, − removes.")
    note = serializers.CharField(max_length=200, help_text="Why the stock is adjusted.")
    reason = AdjustmentReasonField(default=MoveReason.ADJUSTMENT.value)

    def validate_quantity(self, value: Decimal) -> Decimal:
        if value == 0:
            raise serializers.ValidationError(_("An adjustment of zero changes nothing."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        article: Article = attrs["article"]
        lot: Lot | None = attrs.get("lot")
        serial: SerialNumber | None = attrs.get("serial")
        quantity: Decimal = attrs["quantity"]
        mode = TrackingMode(article.tracking_mode)
        errors = lot_of_article(lot, article, "lot")
        if mode in LOT_TRACKED and lot is None:
            errors["lot"] = [_("%(code)s is lot-tracked: give the lot.") % {"code": article.code}]
        if mode not in LOT_TRACKED and lot is not None:
            errors["lot"] = [_("%(code)s is not lot-tracked.") % {"code": article.code}]
        if mode == TrackingMode.SERIAL:
            errors.update(self._serial_errors(article, serial, quantity, attrs["location"]))
        elif serial is not None:
            errors["serial"] = [_("%(code)s is not serial-tracked.") % {"code": article.code}]
        if attrs["reason"] == MoveReason.SCRAP and quantity > 0:
            errors["quantity"] = [_("Scrapping removes stock: give a negative quantity.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    @staticmethod
    def _serial_errors(
        article: Article, serial: SerialNumber | None, quantity: Decimal, location: Location
    ) -> dict[str, list[str]]:
        if serial is None:
            return {
                "serial": [
                    _("%(code)s is serial-tracked: give the serial.") % {"code": article.code}
                ]
            }
        if serial.article_id != article.pk:
            return {"serial": [_("This serial belongs to another article.")]}
        if abs(quantity) != 1:
            return {"quantity": [_("A serial is adjusted one unit at a time.")]}
        in_stock = serial.status in (SerialStatus.IN_STOCK, SerialStatus.RESERVED)
        if quantity > 0 and in_stock:
            return {
                "serial": [
                    _("This serial is already in stock at %(location)s.")
                    % {"location": serial.location}
                ]
            }
        if quantity < 0 and (not in_stock or serial.location_id != location.pk):
            return {"serial": [_("This serial is not in stock at this location.")]}
        return {}


class AvailableQuerySerializer(serializers.Serializer):
    article = serializers.PrimaryKeyRelatedField(queryset=Article.objects.all())
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all())


class AvailableSerializer(serializers.Serializer):
    """Available to promise: storage stock of lots that may be allocated, minus what is
    reserved and blocked; for a kit stocked as components, the component minimum."""

    article = serializers.IntegerField(read_only=True)
    article_code = serializers.CharField(read_only=True)
    warehouse = serializers.IntegerField(read_only=True)
    quantity_available = quantity_field()


# --------------------------------------------------------------------------- reports


class DateQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="Defaults to today.")


class ValuationQuerySerializer(DateQuerySerializer):
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all(), required=False)
    family = serializers.PrimaryKeyRelatedField(
        queryset=ArticleFamily.objects.all(),
        required=False,
        help_text="Articles of this family and of its sub-families.",
    )


class ValuationRowSerializer(serializers.Serializer):
    article = serializers.IntegerField(source="article.pk", read_only=True)
    article_code = serializers.CharField(source="article.code", read_only=True)
    article_designation = serializers.CharField(source="article.designation", read_only=True)
    warehouse = serializers.IntegerField(source="warehouse.pk", read_only=True, allow_null=True)
    warehouse_code = code_field("warehouse.code")
    quantity = quantity_field()
    unit_cost = serializers.DecimalField(**UNIT_COST)
    value = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)


class ValuationSerializer(serializers.Serializer):
    """Stock value at the end of ``date``: ledger quantity × weighted average cost then."""

    date = serializers.DateField(read_only=True)
    warehouse = serializers.IntegerField(read_only=True, allow_null=True)
    family = serializers.IntegerField(read_only=True, allow_null=True)
    total_value = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)
    rows = ValuationRowSerializer(many=True, read_only=True)


class AnomaliesQuerySerializer(DateQuerySerializer):
    count_variance_threshold = serializers.DecimalField(
        **QUANTITY_FIELD,
        min_value=Decimal(0),
        default=Decimal("10"),
        help_text="Approved count variances above this quantity are reported.",
    )


class AnomalySerializer(serializers.Serializer):
    kind = serializers.CharField(
        read_only=True,
        help_text="reserved_above_on_hand, expired_dlc, ddm_past, count_variance, "
        "serial_mismatch, expired_dlc_reserved or ledger_mismatch.",
    )
    message = serializers.CharField(read_only=True)
    article_code = serializers.CharField(read_only=True)
    location = serializers.CharField(read_only=True)
    lot_number = serializers.CharField(read_only=True)
    quantity = quantity_field(allow_null=True)


class AnomaliesSerializer(serializers.Serializer):
    date = serializers.DateField(read_only=True)
    count_variance_threshold = quantity_field()
    anomalies = AnomalySerializer(many=True, read_only=True)


class ReplenishmentQuerySerializer(DateQuerySerializer):
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all())
    weeks = serializers.IntegerField(
        min_value=1, max_value=104, default=8, help_text="Weeks of outgoing quantities to average."
    )


class SuggestionSerializer(serializers.Serializer):
    article = serializers.IntegerField(source="article.pk", read_only=True)
    article_code = serializers.CharField(source="article.code", read_only=True)
    article_designation = serializers.CharField(source="article.designation", read_only=True)
    available = quantity_field()
    on_order = quantity_field(help_text="In transit to this warehouse.")
    daily_outgoing = quantity_field()
    lead_time_days = serializers.IntegerField(read_only=True)
    reorder_point = quantity_field()
    maximum = quantity_field()
    suggested_quantity = quantity_field()
    supplier = serializers.IntegerField(source="supplier.pk", read_only=True, allow_null=True)
    supplier_code = code_field("supplier.code")


class ReplenishmentSerializer(serializers.Serializer):
    warehouse = serializers.IntegerField(read_only=True)
    date = serializers.DateField(read_only=True)
    weeks = serializers.IntegerField(read_only=True)
    suggestions = SuggestionSerializer(many=True, read_only=True)


# --------------------------------------------------------------------------- trace, recall


class TraceUpstreamSerializer(serializers.Serializer):
    supplier = serializers.IntegerField(source="supplier.pk", read_only=True, allow_null=True)
    supplier_code = code_field("supplier.code")
    supplier_name = code_field("supplier.name")
    document = serializers.CharField(read_only=True)
    received_at = serializers.DateTimeField(read_only=True)
    quantity = quantity_field()
    location = serializers.CharField(read_only=True)


class TraceDownstreamSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer.pk", read_only=True, allow_null=True)
    customer_code = code_field("customer.code")
    customer_name = code_field("customer.name")
    customer_kind = NodeKindField(source="customer.kind", read_only=True, allow_null=True)
    customer_gln = code_field("customer.gln")
    quantity = quantity_field(help_text="Shipped, net of returns.")
    first_at = serializers.DateTimeField(read_only=True)
    last_at = serializers.DateTimeField(read_only=True)
    documents = serializers.ListField(child=serializers.CharField(), read_only=True)
    via_lot = serializers.IntegerField(
        source="via_lot.pk",
        read_only=True,
        allow_null=True,
        help_text="The kit lot the goods left in, if any.",
    )
    via_lot_number = code_field("via_lot.number")


class LotTraceSerializer(serializers.Serializer):
    """One step back (supplier, receipt) and every step forward (customers, directly
    or inside kit lots), with what is still on hand."""

    lot = LotSerializer(read_only=True)
    on_hand = quantity_field()
    reserved = quantity_field()
    shipped_quantity = quantity_field(
        help_text="Shipped directly (not inside kits), net of returns."
    )
    customer_count = serializers.IntegerField(read_only=True)
    upstream = TraceUpstreamSerializer(many=True, read_only=True)
    downstream = TraceDownstreamSerializer(many=True, read_only=True)
    kit_lots = LotBriefSerializer(many=True, read_only=True)
    component_lots = LotBriefSerializer(many=True, read_only=True)


class RecallAffectedSerializer(TraceDownstreamSerializer):
    """A customer reached by a recalled lot."""

    lot = serializers.IntegerField(read_only=True)
    lot_number = serializers.CharField(read_only=True)
    article_code = serializers.CharField(read_only=True)


def recall_affected_rows(traces: Sequence[LotTrace]) -> list[dict[str, Any]]:
    """Flatten the traces of a recall's lots into one row per lot and customer."""
    rows = []
    for trace in traces:
        for row in trace.downstream:
            rows.append(
                {
                    "lot": trace.lot.pk,
                    "lot_number": trace.lot.number,
                    "article_code": trace.lot.article.code,
                    "customer": row.customer,
                    "quantity": row.quantity,
                    "first_at": row.first_at,
                    "last_at": row.last_at,
                    "documents": row.documents,
                    "via_lot": row.via_lot,
                }
            )
    return rows


class RecallSerializer(serializers.ModelSerializer):
    lots = LotBriefSerializer(many=True, read_only=True)
    created_by = code_field("created_by.username")

    class Meta:
        model = Recall
        fields = ("id", "reference", "reason", "lots", "created_by", "created_at")
        read_only_fields = fields


class RecallDetailSerializer(RecallSerializer):
    """A recall with every customer its lots reached (``affected``)."""

    affected = RecallAffectedSerializer(many=True, read_only=True)

    class Meta(RecallSerializer.Meta):
        fields = (*RecallSerializer.Meta.fields, "affected")
        read_only_fields = fields


@extend_schema_serializer(component_name="Recall")
class RecallInputSerializer(serializers.Serializer):
    """Recall the given lots and/or every lot of a supplier (optionally of one article)
    received in a date range. Every lot concerned becomes ``recalled``."""

    reference = serializers.CharField(max_length=30)
    reason = serializers.CharField()
    lots = serializers.PrimaryKeyRelatedField(queryset=Lot.objects.all(), many=True, required=False)
    supplier = serializers.PrimaryKeyRelatedField(
        queryset=Supplier.objects.all(), required=False, allow_null=True
    )
    article = serializers.PrimaryKeyRelatedField(
        queryset=Article.objects.all(),
        required=False,
        allow_null=True,
        help_text="With supplier: only this article's lots.",
    )
    received_from = serializers.DateField(required=False, allow_null=True)
    received_to = serializers.DateField(required=False, allow_null=True)

    def validate_reference(self, value: str) -> str:
        if Recall.objects.filter(reference=value).exists():
            raise serializers.ValidationError(_("A recall with this reference exists already."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("lots") and attrs.get("supplier") is None:
            raise serializers.ValidationError({"lots": [_("Give lots or a supplier to recall.")]})
        supplier_only = ("article", "received_from", "received_to")
        if attrs.get("supplier") is None and any(attrs.get(name) for name in supplier_only):
            raise serializers.ValidationError(
                {"supplier": [_("Article and dates select lots of a supplier: give the supplier.")]}
            )
        start, end = attrs.get("received_from"), attrs.get("received_to")
        if start and end and start > end:
            raise serializers.ValidationError(
                {"received_to": [_("The range ends before it starts.")]}
            )
        return attrs


# --------------------------------------------------------------------------- receipts


class ReceiptLineSerializer(serializers.ModelSerializer):
    article_code = serializers.CharField(source="article.code", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)
    serial_numbers = serializers.SerializerMethodField()

    class Meta:
        model = ReceiptLine
        fields = (
            "id",
            "article",
            "article_code",
            "location",
            "location_code",
            "quantity",
            "unit_cost",
            "lot_number",
            "expiry_date",
            "production_date",
            "serial_numbers",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_serial_numbers(self, line: ReceiptLine) -> list[str]:
        return [s.strip() for s in line.serial_numbers.splitlines() if s.strip()]


class ReceiptSerializer(serializers.ModelSerializer):
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    supplier_code = code_field("supplier.code")
    status = DocumentStatusField(read_only=True)
    created_by = code_field("created_by.username")
    lines = ReceiptLineSerializer(many=True, read_only=True)

    class Meta:
        model = Receipt
        fields = (
            "id",
            "number",
            "status",
            "warehouse",
            "warehouse_code",
            "supplier",
            "supplier_code",
            "received_on",
            "reference",
            "created_by",
            "created_at",
            "posted_at",
            "lines",
        )
        read_only_fields = fields


@extend_schema_serializer(component_name="ReceiptLine")
class ReceiptLineInputSerializer(serializers.ModelSerializer):
    """A received line. Lot-tracked articles need ``lot_number`` (and ``expiry_date``
    when dated), serial-tracked ones exactly ``quantity`` serial numbers; posting checks it."""

    serial_numbers = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, default=list
    )

    class Meta:
        model = ReceiptLine
        fields = (
            "article",
            "location",
            "quantity",
            "unit_cost",
            "lot_number",
            "expiry_date",
            "production_date",
            "serial_numbers",
        )


@extend_schema_serializer(component_name="Receipt")
class ReceiptInputSerializer(DraftDocumentInputSerializer):
    """A draft receipt with its lines; PUT/PATCH on a draft replace the lines given.
    Nothing moves until ``POST …/post/``."""

    lines = ReceiptLineInputSerializer(many=True, allow_empty=False)
    line_input_class = ReceiptLineInputSerializer
    line_model = ReceiptLine
    line_parent = "receipt"

    class Meta:
        model = Receipt
        fields = ("warehouse", "supplier", "received_on", "reference", "lines")

    def document_label(self) -> str:
        return _("Receipt")

    def line_values(self, line: dict[str, Any]) -> dict[str, Any]:
        return {**line, "serial_numbers": "\n".join(line["serial_numbers"])}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        warehouse = attrs.get("warehouse") or getattr(self.instance, "warehouse", None)
        errors = {
            index: {"location": [_("This location is not in the receipt's warehouse.")]}
            for index, line in enumerate(attrs.get("lines", []))
            if warehouse is not None and line["location"].warehouse_id != warehouse.pk
        }
        if errors:
            raise serializers.ValidationError({"lines": child_errors(errors, len(attrs["lines"]))})
        return attrs


# --------------------------------------------------------------------------- transfers


class TransferLineSerializer(serializers.ModelSerializer):
    article_code = serializers.CharField(source="article.code", read_only=True)
    from_location_code = serializers.CharField(source="from_location.code", read_only=True)
    to_location_code = serializers.CharField(source="to_location.code", read_only=True)
    lot_number = code_field("lot.number")

    class Meta:
        model = TransferLine
        fields = (
            "id",
            "article",
            "article_code",
            "from_location",
            "from_location_code",
            "to_location",
            "to_location_code",
            "lot",
            "lot_number",
            "quantity",
        )
        read_only_fields = fields


class TransferSerializer(serializers.ModelSerializer):
    from_warehouse_code = serializers.CharField(source="from_warehouse.code", read_only=True)
    to_warehouse_code = serializers.CharField(source="to_warehouse.code", read_only=True)
    status = TransferStatusField(read_only=True)
    created_by = code_field("created_by.username")
    lines = TransferLineSerializer(many=True, read_only=True)

    class Meta:
        model = Transfer
        fields = (
            "id",
            "number",
            "status",
            "from_warehouse",
            "from_warehouse_code",
            "to_warehouse",
            "to_warehouse_code",
            "created_by",
            "created_at",
            "shipped_at",
            "received_at",
            "lines",
        )
        read_only_fields = fields


@extend_schema_serializer(component_name="TransferLine")
class TransferLineInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = TransferLine
        fields = ("article", "from_location", "to_location", "lot", "quantity")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = lot_of_article(attrs.get("lot"), attrs["article"], "lot")
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


@extend_schema_serializer(component_name="Transfer")
class TransferInputSerializer(DraftDocumentInputSerializer):
    """A draft transfer between two warehouses; ``…/ship/`` puts it in transit,
    ``…/receive/`` brings it in."""

    lines = TransferLineInputSerializer(many=True, allow_empty=False)
    draft_status = TransferStatus.DRAFT
    line_input_class = TransferLineInputSerializer
    line_model = TransferLine
    line_parent = "transfer"

    class Meta:
        model = Transfer
        fields = ("from_warehouse", "to_warehouse", "lines")

    def document_label(self) -> str:
        return _("Transfer")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        source = attrs.get("from_warehouse") or self.instance.from_warehouse
        destination = attrs.get("to_warehouse") or self.instance.to_warehouse
        if source == destination:
            raise serializers.ValidationError(
                {"to_warehouse": [_("A transfer goes from one warehouse to another.")]}
            )
        errors: dict[int, dict[str, list[str]]] = {}
        for index, line in enumerate(attrs.get("lines", [])):
            if line["from_location"].warehouse_id != source.pk:
                errors.setdefault(index, {})["from_location"] = [
                    _("This location is not in the warehouse the goods leave.")
                ]
            if line["to_location"].warehouse_id != destination.pk:
                errors.setdefault(index, {})["to_location"] = [
                    _("This location is not in the destination warehouse.")
                ]
        if errors:
            raise serializers.ValidationError({"lines": child_errors(errors, len(attrs["lines"]))})
        return attrs


# --------------------------------------------------------------------------- counts


class CountLineSerializer(serializers.ModelSerializer):
    article_code = serializers.CharField(source="article.code", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)
    lot_number = code_field("lot.number")
    variance = quantity_field(allow_null=True, help_text="counted − expected; null until counted.")

    class Meta:
        model = CountLine
        fields = (
            "id",
            "article",
            "article_code",
            "location",
            "location_code",
            "lot",
            "lot_number",
            "expected",
            "counted",
            "variance",
        )
        read_only_fields = fields


class InventoryCountSerializer(serializers.ModelSerializer):
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    kind = CountKindField(read_only=True)
    status = CountStatusField(read_only=True)
    created_by = code_field("created_by.username")
    approved_by = code_field("approved_by.username")
    lines = CountLineSerializer(many=True, read_only=True)

    class Meta:
        model = InventoryCount
        fields = (
            "id",
            "number",
            "status",
            "warehouse",
            "warehouse_code",
            "kind",
            "location_prefix",
            "articles",
            "created_by",
            "created_at",
            "approved_by",
            "approved_at",
            "lines",
        )
        read_only_fields = fields


@extend_schema_serializer(component_name="InventoryCount")
class InventoryCountInputSerializer(serializers.Serializer):
    """Open a count: a full count takes every balance of the warehouse; a cycle count
    the locations starting with ``location_prefix`` and/or the ``articles`` given.
    The expected quantities are frozen when it opens."""

    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all())
    kind = CountKindField(default=CountKind.CYCLE.value)
    location_prefix = serializers.CharField(
        max_length=30, required=False, default="", allow_blank=True
    )
    articles = serializers.PrimaryKeyRelatedField(
        queryset=Article.objects.all(), many=True, required=False, default=list
    )

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> InventoryCount:
        articles = validated_data.pop("articles")
        count = InventoryCount.objects.create(**validated_data)
        count.articles.set(articles)
        return count_open(count, user=self.context["request"].user)


@extend_schema_serializer(component_name="CountLineEntry")
class CountLineEntrySerializer(serializers.Serializer):
    """A counted quantity: for an existing line (``id``), or for stock found where
    none was expected (``article``, ``location`` and ``lot`` instead of ``id``)."""

    id = serializers.IntegerField(required=False)
    article = serializers.PrimaryKeyRelatedField(queryset=Article.objects.all(), required=False)
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all(), required=False)
    lot = serializers.PrimaryKeyRelatedField(
        queryset=Lot.objects.all(), required=False, allow_null=True
    )
    counted = serializers.DecimalField(**QUANTITY_FIELD, min_value=Decimal(0))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("id") is None:
            missing = [name for name in ("article", "location") if name not in attrs]
            if missing:
                raise serializers.ValidationError(
                    {
                        name: [_("Give the line id, or the article and location found.")]
                        for name in missing
                    }
                )
            errors = lot_of_article(attrs.get("lot"), attrs["article"], "lot")
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


@extend_schema_serializer(component_name="CountLinesEntry")
class CountLinesInputSerializer(serializers.Serializer):
    lines = CountLineEntrySerializer(many=True, allow_empty=False)

    def validate_lines(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        count: InventoryCount = self.context["count"]
        known = set(count.lines.values_list("pk", flat=True))
        errors: dict[int, dict[str, list[str]]] = {}
        seen: set[int] = set()
        for index, item in enumerate(items):
            pk = item.get("id")
            if pk is not None and (pk not in known or pk in seen):
                errors[index] = {
                    "id": [_("This line is not a line of this count, or is listed twice.")]
                }
            if pk is None and item["location"].warehouse_id != count.warehouse_id:
                errors[index] = {"location": [_("This location is not in the counted warehouse.")]}
            if pk is not None:
                seen.add(pk)
        if errors:
            raise serializers.ValidationError(child_errors(errors, len(items)))
        return items

    @transaction.atomic
    def save(self, **kwargs: Any) -> InventoryCount:
        count: InventoryCount = self.context["count"]
        locked = InventoryCount.objects.select_for_update().get(pk=count.pk)
        if locked.status != CountStatus.COUNTING:
            raise InvalidTransition(_("Only a count in progress takes counted quantities."))
        items = self.validated_data["lines"]
        count_entries_record(locked, counted={i["id"]: i["counted"] for i in items if i.get("id") is not None})
        for item in items:
            if item.get("id") is None:
                count_line_found(locked, article=item["article"], location=item["location"],
                                 lot=item.get("lot"), counted=item["counted"])
        return locked


# --------------------------------------------------------------------------- assembly


class AssemblyOrderSerializer(serializers.ModelSerializer):
    kind = AssemblyKindField(read_only=True)
    kit_code = serializers.CharField(source="kit.code", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True)
    kit_lot_number = code_field("kit_lot.number")
    status = DocumentStatusField(read_only=True)
    created_by = code_field("created_by.username")

    class Meta:
        model = AssemblyOrder
        fields = (
            "id",
            "number",
            "status",
            "kind",
            "kit",
            "kit_code",
            "quantity",
            "location",
            "location_code",
            "kit_lot",
            "kit_lot_number",
            "created_by",
            "created_at",
        )
        read_only_fields = fields


@extend_schema_serializer(component_name="AssemblyOrder")
class AssemblyOrderInputSerializer(DraftDocumentInputSerializer):
    """Kits to assemble from their components at ``location`` (or to take apart:
    ``kind`` disassembly, naming the ``kit_lot`` taken apart when the kit is lot-tracked)."""

    kind = AssemblyKindField(default=AssemblyKind.ASSEMBLY.value)

    class Meta:
        model = AssemblyOrder
        fields = ("kind", "kit", "quantity", "location", "kit_lot")

    def document_label(self) -> str:
        return _("Assembly order")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kit: Article = attrs.get("kit") or self.instance.kit
        errors = lot_of_article(attrs.get("kit_lot"), kit, "kit_lot")
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


@extend_schema_serializer(component_name="ComponentLot")
class ComponentLotInputSerializer(serializers.Serializer):
    article = serializers.PrimaryKeyRelatedField(queryset=Article.objects.all())
    lot = serializers.PrimaryKeyRelatedField(
        queryset=Lot.objects.all(), required=False, allow_null=True
    )
    quantity = serializers.DecimalField(**QUANTITY_FIELD, min_value=Decimal("0.001"))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = lot_of_article(attrs.get("lot"), attrs["article"], "lot")
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


@extend_schema_serializer(component_name="AssemblyPost")
class AssemblyPostInputSerializer(serializers.Serializer):
    """Optional choices when posting: the component lots to consume (default FEFO at
    the order's location) or, for a disassembly, the lots the components go back to;
    the kit lot number (default: the order number)."""

    component_lots = ComponentLotInputSerializer(many=True, required=False, default=list)
    kit_lot_number = serializers.CharField(
        max_length=40, required=False, default="", allow_blank=True
    )

    def component_lots_map(self) -> dict[int, list[tuple[Lot | None, Decimal]]]:
        result: dict[int, list[tuple[Lot | None, Decimal]]] = {}
        for item in self.validated_data["component_lots"]:
            result.setdefault(item["article"].pk, []).append((item.get("lot"), item["quantity"]))
        return result


# --------------------------------------------------------------------------- reservations


class ReservationSerializer(serializers.ModelSerializer):
    article_code = serializers.CharField(source="article.code", read_only=True)
    location = serializers.IntegerField(source="balance.location_id", read_only=True)
    location_code = serializers.CharField(source="balance.location.code", read_only=True)
    lot = serializers.IntegerField(source="balance.lot_id", read_only=True, allow_null=True)
    lot_number = code_field("balance.lot.number")
    serial_number = code_field("serial.number")
    status = ReservationStatusField(read_only=True)

    class Meta:
        model = Reservation
        fields = (
            "id",
            "document_type",
            "document_id",
            "document_line",
            "article",
            "article_code",
            "quantity",
            "location",
            "location_code",
            "lot",
            "lot_number",
            "serial",
            "serial_number",
            "customer_node",
            "status",
            "created_at",
        )
        read_only_fields = fields


@extend_schema_serializer(component_name="ReserveLine")
class ReserveLineInputSerializer(serializers.Serializer):
    line_id = serializers.CharField(
        max_length=40, help_text="The document line, unique in the request."
    )
    article = serializers.PrimaryKeyRelatedField(queryset=Article.objects.all())
    quantity = serializers.DecimalField(**QUANTITY_FIELD, min_value=Decimal("0.001"))


@extend_schema_serializer(component_name="Reserve")
class ReserveInputSerializer(serializers.Serializer):
    """Reserve FEFO in one warehouse for the lines of a document, honouring the
    customer's minimum remaining shelf life at ``delivery_date`` (inherited through the
    hierarchy). Lines are served in the order given; a short line keeps what could be
    reserved and says why the rest is missing."""

    document_type = serializers.CharField(max_length=30)
    document_id = serializers.CharField(max_length=40)
    warehouse = serializers.PrimaryKeyRelatedField(queryset=Warehouse.objects.all())
    delivery_date = serializers.DateField()
    customer_node = serializers.PrimaryKeyRelatedField(
        queryset=CustomerNode.objects.all(), required=False, allow_null=True
    )
    allow_past_ddm = serializers.BooleanField(
        default=False, help_text="Lots past their best-before date may be reserved (flagged)."
    )
    lines = ReserveLineInputSerializer(many=True, allow_empty=False)

    def validate_lines(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: set[str] = set()
        errors: dict[int, dict[str, list[str]]] = {}
        for index, item in enumerate(items):
            if item["line_id"] in seen:
                errors[index] = {"line_id": [_("This line id is listed twice.")]}
            seen.add(item["line_id"])
        if errors:
            raise serializers.ValidationError(child_errors(errors, len(items)))
        return items


@extend_schema_serializer(component_name="ReservationRelease")
class ReleaseInputSerializer(serializers.Serializer):
    document_type = serializers.CharField(max_length=30)
    document_id = serializers.CharField(max_length=40)
    document_line = serializers.CharField(
        max_length=40, required=False, help_text="Only this line; the whole document when absent."
    )


class ReleaseResultSerializer(serializers.Serializer):
    released = serializers.IntegerField(read_only=True, help_text="Reservations released.")


def _code(context: Mapping[str, Any], table: str, pk: int | None) -> str | None:
    return None if pk is None else context[table].get(pk)


class _StockPointSerializer(serializers.Serializer):
    """Where a pick or a skipped quantity is: location, lot or serial."""

    quantity = quantity_field()
    location = serializers.IntegerField(source="location_id", read_only=True)
    location_code = serializers.SerializerMethodField()
    lot = serializers.IntegerField(source="lot_id", read_only=True, allow_null=True)
    lot_number = serializers.CharField(read_only=True, allow_null=True)
    expiry_date = serializers.DateField(read_only=True, allow_null=True)
    expiry_kind = ExpiryKindField(read_only=True, allow_null=True)
    serial = serializers.IntegerField(source="serial_id", read_only=True, allow_null=True)
    serial_number = serializers.CharField(read_only=True, allow_null=True)

    @extend_schema_field(OpenApiTypes.STR)
    def get_location_code(self, point: engine.Pick | engine.SkippedStock) -> str | None:
        return _code(self.context, "location_codes", point.location_id)


class PickSerializer(_StockPointSerializer):
    is_past_ddm = serializers.BooleanField(read_only=True)


class SkippedStockSerializer(_StockPointSerializer):
    reason = ShortfallReasonField(read_only=True)
    remaining_days = serializers.IntegerField(read_only=True, allow_null=True)
    required_days = serializers.IntegerField(read_only=True, allow_null=True)


class ShortfallSerializer(serializers.Serializer):
    reason = ShortfallReasonField(read_only=True)
    quantity = quantity_field()
    skipped = SkippedStockSerializer(many=True, read_only=True)


class AllocationPlanSerializer(serializers.Serializer):
    """What was reserved for one article: picks in FEFO order, and the shortfall split
    between its reasons (no stock, too short-dated, blocked…)."""

    article = serializers.IntegerField(source="article_id", read_only=True)
    article_code = serializers.SerializerMethodField()
    quantity_requested = quantity_field()
    quantity_allocated = quantity_field()
    quantity_short = quantity_field()
    is_complete = serializers.BooleanField(read_only=True)
    flags = serializers.ListField(child=PlanFlagField(), read_only=True)
    picks = PickSerializer(many=True, read_only=True)
    shortfall = ShortfallSerializer(many=True, read_only=True)

    @extend_schema_field(OpenApiTypes.STR)
    def get_article_code(self, plan: engine.AllocationPlan) -> str | None:
        return _code(self.context, "article_codes", plan.article_id)

    def to_representation(self, instance: engine.AllocationPlan) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["flags"] = sorted(data["flags"])
        return data


class ComponentPlanSerializer(serializers.Serializer):
    article = serializers.IntegerField(source="article_id", read_only=True)
    quantity_per_kit = quantity_field()
    kits_available = quantity_field(help_text="Kits this component alone could give.")
    plan = AllocationPlanSerializer(read_only=True)


class LinePlanSerializer(serializers.Serializer):
    """The plan of one requested line. An article line has its picks and shortfall;
    a kit stocked as components (``kind`` kit) has one plan per component and is
    reserved in whole kits."""

    line_id = serializers.CharField(read_only=True)
    kind = serializers.SerializerMethodField()
    plan = serializers.SerializerMethodField()
    components = serializers.SerializerMethodField()
    quantity_requested = quantity_field()
    quantity_allocated = quantity_field()
    quantity_short = quantity_field()
    is_complete = serializers.BooleanField(read_only=True)

    @extend_schema_field(PlanKindField())
    def get_kind(self, plan: engine.AnyPlan) -> str:
        return "kit" if isinstance(plan, engine.KitPlan) else "article"

    @extend_schema_field(AllocationPlanSerializer(allow_null=True))
    def get_plan(self, plan: engine.AnyPlan) -> dict[str, Any] | None:
        if isinstance(plan, engine.KitPlan):
            return None
        return AllocationPlanSerializer(plan, context=self.context).data

    @extend_schema_field(ComponentPlanSerializer(many=True))
    def get_components(self, plan: engine.AnyPlan) -> list[dict[str, Any]]:
        if not isinstance(plan, engine.KitPlan):
            return []
        return ComponentPlanSerializer(plan.components, many=True, context=self.context).data


class ReservationResultSerializer(serializers.Serializer):
    document_type = serializers.CharField(read_only=True)
    document_id = serializers.CharField(read_only=True)
    is_complete = serializers.BooleanField(read_only=True, help_text="Every line reserved in full.")
    plans = LinePlanSerializer(many=True, read_only=True)


def allocation_context(batch: engine.BatchAllocation) -> dict[str, dict[int, str]]:
    """Codes of the locations and articles a batch of plans names (two queries), for
    the plan serializers' context."""
    location_ids: set[int] = set()
    article_ids: set[int] = set()
    for plan in batch.plans:
        subplans = [c.plan for c in plan.components] if isinstance(plan, engine.KitPlan) else [plan]
        for sub in subplans:
            article_ids.add(sub.article_id)
            location_ids |= {pick.location_id for pick in sub.picks}
            location_ids |= {s.location_id for detail in sub.shortfall for s in detail.skipped}
    return {
        "location_codes": dict(
            Location.objects.filter(pk__in=location_ids).values_list("pk", "code")
        ),
        "article_codes": dict(Article.objects.filter(pk__in=article_ids).values_list("pk", "code")),
    }
