"""Input and output serializers of the EDI API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from edi.models import (
    Direction,
    EdiEvent,
    EdiMessage,
    EventKind,
    Interchange,
    InterchangeState,
    InterchangeTransport,
    MessageState,
    PartnerMessageType,
    TradingPartner,
    TransportKind,
)
from edi.services import MessageTypeAgreement, trading_partner_save
from logistics.api.serializers import named_choice_field

# Choice sets sharing a field name with other sets ("state", "transport", "kind") get a
# schema component named after their meaning.
DirectionField = named_choice_field("EdiDirectionEnum", Direction.choices)
PartnerTransportField = named_choice_field("PartnerTransportEnum", TransportKind.choices)
InterchangeTransportField = named_choice_field(
    "InterchangeTransportEnum", InterchangeTransport.choices
)
InterchangeStateField = named_choice_field("InterchangeStateEnum", InterchangeState.choices)
MessageStateField = named_choice_field("EdiMessageStateEnum", MessageState.choices)
EventKindField = named_choice_field("EdiEventKindEnum", EventKind.choices)

# --------------------------------------------------------------------------- partners


class PartnerMessageTypeSerializer(serializers.ModelSerializer):
    direction = DirectionField(read_only=True)

    class Meta:
        model = PartnerMessageType
        fields = ("id", *PartnerMessageType.EDITABLE_FIELDS)
        read_only_fields = fields


@extend_schema_serializer(component_name="PartnerMessageType")
class PartnerMessageTypeInputSerializer(serializers.ModelSerializer):
    """An agreed message type; with an ``id`` it updates that row, without it adds one."""

    id = serializers.IntegerField(required=False)
    direction = DirectionField()

    class Meta:
        model = PartnerMessageType
        fields = ("id", *PartnerMessageType.EDITABLE_FIELDS)


class TradingPartnerSerializer(serializers.ModelSerializer):
    transport = PartnerTransportField(read_only=True)
    message_types = PartnerMessageTypeSerializer(many=True, read_only=True)

    class Meta:
        model = TradingPartner
        fields = (
            "id",
            *TradingPartner.EDITABLE_FIELDS,
            "message_types",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


@extend_schema_serializer(component_name="TradingPartner")
class TradingPartnerInputSerializer(serializers.ModelSerializer):
    """A partner to create or update; ``message_types``, when given, replace its agreements."""

    transport = PartnerTransportField(required=False)
    message_types = PartnerMessageTypeInputSerializer(many=True, required=False)

    class Meta:
        model = TradingPartner
        fields = (*TradingPartner.EDITABLE_FIELDS, "message_types")

    def _save(self, partner: TradingPartner, validated_data: dict[str, Any]) -> TradingPartner:
        items = validated_data.pop("message_types", None)
        for name, value in validated_data.items():
            setattr(partner, name, value)
        agreements = [MessageTypeAgreement(**item) for item in items] if items is not None else None
        return trading_partner_save(partner, message_types=agreements)

    def create(self, validated_data: dict[str, Any]) -> TradingPartner:
        return self._save(TradingPartner(), validated_data)

    def update(self, instance: TradingPartner, validated_data: dict[str, Any]) -> TradingPartner:
        return self._save(instance, validated_data)


# --------------------------------------------------------------------------- exchanges


class ProblemSerializer(serializers.Serializer):
    """One fault, readable: where (line, segment, position, element) and why (code, reason)."""

    reason = serializers.CharField(read_only=True)
    line = serializers.CharField(read_only=True)
    segment = serializers.CharField(read_only=True)
    position = serializers.IntegerField(read_only=True, allow_null=True)
    element = serializers.CharField(read_only=True)
    code = serializers.CharField(read_only=True)


class EdiEventSerializer(serializers.ModelSerializer):
    kind = EventKindField(read_only=True)
    user = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = EdiEvent
        fields = ("id", "interchange", "message", "kind", "note", "user", "at")
        read_only_fields = fields


MESSAGE_FIELDS = (
    "id",
    "interchange",
    "direction",
    "partner",
    "position",
    "reference",
    "message_type",
    "version",
    "release",
    "association_code",
    "state",
    "errors",
    "document_type",
    "document_id",
    "replay_count",
    "created_at",
    "updated_at",
)


class EdiMessageSerializer(serializers.ModelSerializer):
    direction = DirectionField(read_only=True)
    state = MessageStateField(read_only=True)
    errors = ProblemSerializer(many=True, read_only=True)

    class Meta:
        model = EdiMessage
        fields = MESSAGE_FIELDS
        read_only_fields = fields


class EdiMessageDetailSerializer(EdiMessageSerializer):
    """A message with its segments, one per line, and its history."""

    events = EdiEventSerializer(many=True, read_only=True)

    class Meta:
        model = EdiMessage
        fields = (*MESSAGE_FIELDS, "segments_text", "events")
        read_only_fields = fields


INTERCHANGE_FIELDS = (
    "id",
    "direction",
    "partner",
    "parent",
    "transport",
    "checksum",
    "size",
    "metadata",
    "received_at",
    "sent_at",
    "created_at",
    "sender_id",
    "sender_qualifier",
    "recipient_id",
    "recipient_qualifier",
    "control_reference",
    "syntax_identifier",
    "state",
    "error",
    "duplicate_of",
    "contrl",
    "send_attempts",
)


class InterchangeSerializer(serializers.ModelSerializer):
    direction = DirectionField(read_only=True)
    transport = InterchangeTransportField(read_only=True)
    state = InterchangeStateField(read_only=True)

    class Meta:
        model = Interchange
        fields = INTERCHANGE_FIELDS
        read_only_fields = fields


class InterchangeDetailSerializer(InterchangeSerializer):
    """An interchange with its messages and its history (the raw bytes are at ``raw/``)."""

    messages = EdiMessageSerializer(many=True, read_only=True)
    events = EdiEventSerializer(many=True, read_only=True)

    class Meta:
        model = Interchange
        fields = (*INTERCHANGE_FIELDS, "messages", "events")
        read_only_fields = fields


class InboundReceiptSerializer(serializers.Serializer):
    """What the HTTP endpoint answers: the stored interchange and whether it is new."""

    interchange = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(choices=["received", "duplicate"], read_only=True)
    duplicate_of = serializers.IntegerField(read_only=True, allow_null=True)


class OutboundWaitingSerializer(serializers.ModelSerializer):
    """An interchange waiting for the partner to collect it (HTTP transport)."""

    state = InterchangeStateField(read_only=True)

    class Meta:
        model = Interchange
        fields = ("id", "control_reference", "size", "checksum", "created_at", "state")
        read_only_fields = fields
