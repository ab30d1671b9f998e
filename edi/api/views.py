"""Thin API views of the EDI gateway.

- ``/api/edi/partners/``: trading partners (CRUD; agreements written with the partner);
- ``/api/edi/interchanges/`` and ``/api/edi/messages/``: the exchanges, read only, with
  ``resend`` (an interchange we sent) and ``replay`` (a received message in error);
- ``/api/edi/inbound/``: the HTTP transport — a partner POSTs an interchange with its
  API user's token; the body is stored as received;
- ``/api/edi/outbound/``: the other way, the same partner collects what we send it
  (list, download, confirm).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.authentication import TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from comptoir.permissions import RoleModelPermissions
from edi import conf
from edi.models import (
    EdiEvent,
    EdiMessage,
    Interchange,
    InterchangeTransport,
    PartnerMessageType,
    TradingPartner,
)
from edi.selectors import interchange_duplicate_of, partner_for_user
from edi.services import (
    interchange_collect_confirm,
    interchange_receive,
    interchange_resend,
    interchanges_waiting,
    message_replay,
)
from edi.transports.http import PayloadTooLarge, body_read, request_metadata
from pricing.api.serializers import ApiErrorSerializer
from trade.api.permissions import API_AUTHENTICATION, require_permissions
from trade.api.views import ApiPagination, TradeViewSet

from . import filters, serializers

CONFLICT = OpenApiResponse(
    ApiErrorSerializer,
    description="Refused by the state of the document (``invalid_transition``: already "
    "processed, already acknowledged…) or another rule.",
)


def _action_permissions(by_method: dict[str, list[str]], name: str) -> list[type[BasePermission]]:
    return [IsAuthenticated, require_permissions(by_method, name=name)]


class TradingPartnerViewSet(TradeViewSet):
    """Trading partners: the party each stands for, envelope ids, syntax, transport and
    rules. ``message_types`` are written with the partner and replace its agreements."""

    queryset = TradingPartner.objects.prefetch_related("message_types")
    output_serializer_class = serializers.TradingPartnerSerializer
    input_serializer_class = serializers.TradingPartnerInputSerializer
    filterset_class = filters.TradingPartnerFilter
    search_fields = ("code", "name", "=gln", "=interchange_id", "as2_id")
    ordering_fields = ("code", "name", "created_at")
    nested_write_models = {"message_types": PartnerMessageType}


class ExchangeReadViewSet(viewsets.ReadOnlyModelViewSet):
    authentication_classes = API_AUTHENTICATION
    permission_classes = (IsAuthenticated, RoleModelPermissions)
    pagination_class = ApiPagination


EVENTS = Prefetch("events", queryset=EdiEvent.objects.select_related("user").order_by("at", "pk"))


class InterchangeViewSet(ExchangeReadViewSet):
    """Interchanges received and sent, newest first. ``raw/`` gives the stored bytes."""

    filterset_class = filters.InterchangeFilter
    search_fields = ("=control_reference", "=sender_id", "=checksum")
    ordering_fields = ("created_at", "size", "state")

    def get_queryset(self) -> QuerySet[Interchange]:
        queryset = Interchange.objects.defer("payload").order_by("-created_at", "-pk")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("messages", queryset=EdiMessage.objects.order_by("position")), EVENTS
            )
        return queryset

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "retrieve":
            return serializers.InterchangeDetailSerializer
        return serializers.InterchangeSerializer

    @extend_schema(
        request=None,
        responses={200: serializers.InterchangeSerializer, 409: CONFLICT},
    )
    @action(
        detail=True,
        methods=["post"],
        filter_backends=[],
        permission_classes=_action_permissions(
            {"POST": ["edi.resend_interchange"]}, "CanResendInterchanges"
        ),
    )
    def resend(self, request: Request, pk: str | None = None) -> Response:
        """Transmit again an interchange we sent (same bytes, same control reference).
        Refused for a received one, an acknowledged one, and one still queued."""
        interchange = self.get_object()
        row = interchange_resend(interchange_id=interchange.pk, user=request.user)
        return Response(serializers.InterchangeSerializer(row).data)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def raw(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The interchange exactly as received or sent."""
        interchange = self.get_object()
        row = Interchange.objects.only("payload", "control_reference").get(pk=interchange.pk)
        name = f"interchange-{row.pk}-{row.control_reference or 'raw'}.edi"
        return HttpResponse(
            row.payload_bytes,
            content_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


class EdiMessageViewSet(ExchangeReadViewSet):
    """Messages received and sent, newest first; ``state=error`` is the error queue."""

    filterset_class = filters.EdiMessageFilter
    search_fields = ("=reference", "=document_id")
    ordering_fields = ("created_at", "state", "message_type")

    def get_queryset(self) -> QuerySet[EdiMessage]:
        queryset = EdiMessage.objects.order_by("-created_at", "-pk")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(EVENTS)
        else:
            queryset = queryset.defer("segments_text")
        return queryset

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "retrieve":
            return serializers.EdiMessageDetailSerializer
        return serializers.EdiMessageSerializer

    @extend_schema(
        request=None,
        responses={200: serializers.EdiMessageSerializer, 409: CONFLICT},
    )
    @action(
        detail=True,
        methods=["post"],
        filter_backends=[],
        permission_classes=_action_permissions(
            {"POST": ["edi.replay_edimessage"]}, "CanReplayMessages"
        ),
    )
    def replay(self, request: Request, pk: str | None = None) -> Response:
        """Process a received message in error again from the stored raw payload (after
        fixing what it refers to). A processed message is not replayed (409)."""
        message = self.get_object()
        row = message_replay(message_id=message.pk, user=request.user)
        return Response(serializers.EdiMessageSerializer(row).data)


class RawBodyParser(BaseParser):
    """Any content type: the view reads the raw body itself and stores it untouched."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return None


class IsTradingPartner(BasePermission):
    message = "This user is not the API user of an active trading partner."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return partner_for_user(request.user) is not None


class PartnerEndpoint(APIView):
    """Endpoints of the HTTP transport: a partner's API user token, nothing else."""

    authentication_classes = (TokenAuthentication,)
    permission_classes = (IsAuthenticated, IsTradingPartner)

    def partner(self, request: Request) -> TradingPartner:
        partner = partner_for_user(request.user)
        if partner is None:  # deactivated between the permission check and now
            raise PermissionDenied(IsTradingPartner.message)
        return partner


class InboundView(PartnerEndpoint):
    """The HTTP transport: a trading partner POSTs one file (one or more interchanges).

    Authenticate with the partner's API user token (``Authorization: Token …``); that
    user is linked to the partner, which is then the expected sender. The body is
    stored exactly as received, whatever its content type, before anything reads it;
    processing follows asynchronously. Answers 202 with the interchange id, 200 with
    ``status: duplicate`` for a file already received, 400 for an empty body, 413 for a
    body over the size limit.
    """

    parser_classes = (RawBodyParser,)

    @extend_schema(
        operation_id="edi_inbound_create",
        request={
            "application/EDIFACT": OpenApiTypes.BINARY,
            "application/octet-stream": OpenApiTypes.BINARY,
            "text/plain": OpenApiTypes.STR,
        },
        responses={
            202: serializers.InboundReceiptSerializer,
            200: OpenApiResponse(
                serializers.InboundReceiptSerializer,
                description="Already received: stored, not processed again.",
            ),
            400: OpenApiResponse(ApiErrorSerializer, description="Empty body."),
            403: OpenApiResponse(ApiErrorSerializer, description="Not a partner's API user."),
            413: OpenApiResponse(ApiErrorSerializer, description="Body too large."),
        },
        examples=[
            OpenApiExample(
                "Received",
                value={"interchange": 42, "status": "received", "duplicate_of": None},
                response_only=True,
                status_codes=["202"],
            )
        ],
    )
    def post(self, request: Request) -> Response:
        partner = self.partner(request)
        try:
            payload = body_read(request._request, limit=conf.http_max_bytes())
        except PayloadTooLarge as exc:
            return Response(
                {"code": "payload_too_large", "message": str(exc), "details": {}},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        if not payload:
            return Response(
                {
                    "code": "empty_payload",
                    "message": _("The body is empty: nothing was stored."),
                    "details": {},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        metadata = request_metadata(request.META)
        row = interchange_receive(
            payload,
            transport=InterchangeTransport.HTTP,
            metadata=metadata,
            partner=partner,
            user=request.user,
        )
        row.refresh_from_db(fields=["state", "duplicate_of"])
        original = interchange_duplicate_of(row)
        if original is not None:
            return Response(
                {"interchange": row.pk, "status": "duplicate", "duplicate_of": original.pk},
                status=status.HTTP_200_OK,
            )
        return Response(
            {"interchange": row.pk, "status": "received", "duplicate_of": None},
            status=status.HTTP_202_ACCEPTED,
        )


class OutboundListView(PartnerEndpoint):
    """What we sent the partner and it has not collected yet, oldest first. Download
    each at ``outbound/{id}/``, then confirm it at ``outbound/{id}/collected/``."""

    @extend_schema(
        operation_id="edi_outbound_list",
        responses=serializers.OutboundWaitingSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        rows = interchanges_waiting(self.partner(request))
        return Response(serializers.OutboundWaitingSerializer(rows, many=True).data)


class OutboundDetailView(PartnerEndpoint):
    """One interchange we sent the partner, exactly as stored (reading changes nothing)."""

    @extend_schema(
        operation_id="edi_outbound_retrieve",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(ApiErrorSerializer, description="Not an interchange for you."),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        row = (
            Interchange.objects.filter(pk=pk, direction="out", partner=self.partner(request))
            .only("payload", "control_reference")
            .first()
        )
        if row is None:
            raise NotFound()
        return HttpResponse(
            row.payload_bytes,
            content_type="application/octet-stream",
            headers={"Content-Disposition": f'attachment; filename="{row.control_reference}.edi"'},
        )


class OutboundCollectedView(PartnerEndpoint):
    """The partner confirms it has the interchange: it counts as sent. Harmless twice."""

    @extend_schema(
        operation_id="edi_outbound_collected",
        request=None,
        responses={
            200: serializers.OutboundWaitingSerializer,
            409: OpenApiResponse(ApiErrorSerializer, description="Not an interchange for you."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        row = interchange_collect_confirm(
            interchange_id=pk, partner=self.partner(request), user=request.user
        )
        return Response(serializers.OutboundWaitingSerializer(row).data)
