"""Thin API views of logistics: stock reads, documents and stock commands.

Reads go through ``logistics.selectors`` or plain querysets; every write of stock
goes through one ``logistics.services`` call. Commands are POST actions
(``/api/receipts/{id}/post/``); each accepts an ``Idempotency-Key`` header
(``logistics.api.idempotency``). Errors leave through ``comptoir.api.exception_handler``:
``ValidationFailed`` → 400, ``InsufficientStock`` (``details.lines``) and other
``DomainError`` → 409.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Model, Prefetch, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer, Serializer

from comptoir.exceptions import ValidationFailed
from comptoir.permissions import RoleModelPermissions
from logistics.allocation import InvalidAllocationInput
from logistics.models import (
    AssemblyOrder,
    CountLine,
    DocumentStatus,
    InventoryCount,
    Location,
    Lot,
    Recall,
    Receipt,
    ReceiptLine,
    Reservation,
    SerialNumber,
    StockMove,
    Transfer,
    TransferLine,
    TransferStatus,
    Warehouse,
)
from logistics.selectors import (
    lot_trace,
    recall_customers_csv,
    replenishment_suggestions,
    stock_anomalies,
    stock_balances,
    stock_by_article,
    stock_valuation,
)
from logistics.services.documents import (
    assembly_post,
    count_approve,
    count_submit,
    receipt_post,
    transfer_receive,
    transfer_ship,
)
from logistics.services.ledger import stock_adjust
from logistics.services.recall import lot_status_set, recall_open
from logistics.services.reservations import (
    ReserveLine,
    available_to_promise,
    reservations_release,
    stock_reserve,
)
from pricing.api.serializers import ApiErrorSerializer
from trade.api.permissions import API_AUTHENTICATION, require_permissions
from trade.api.views import ApiPagination, TradeAutoSchema, TradeViewSet

from . import filters, serializers
from .idempotency import idempotent

VALIDATION_RESPONSE = OpenApiResponse(
    ApiErrorSerializer,
    description="The input is refused (``validation_failed``), naming the field or line.",
)
CONFLICT_RESPONSE = OpenApiResponse(
    ApiErrorSerializer,
    description="Refused by a business rule: ``insufficient_stock`` (``details.lines`` lists each "
    "balance that would go short), ``invalid_transition`` (already posted…), or an "
    "``idempotency_key_*`` conflict.",
)
COMMAND_ERRORS = {400: VALIDATION_RESPONSE, 409: CONFLICT_RESPONSE}
CSV_RESPONSE = {(200, "text/csv"): OpenApiTypes.STR}

Handler = Callable[..., Any]


def action_permissions(
    by_method: Mapping[str, Sequence[str]], name: str
) -> list[type[BasePermission]]:
    """Permissions of an action that the viewset's model permissions do not express."""
    return [IsAuthenticated, require_permissions(by_method, name=name)]


def command(
    permissions: Mapping[str, Sequence[str]],
    name: str,
    *,
    request: Any = None,
    response: Any,
    detail: bool = True,
    url_path: str | None = None,
    replayable: bool = True,
    **extra: Any,
) -> Callable[[Handler], Handler]:
    """A command action: its method and permissions from ``permissions`` (one method),
    its schema (``response`` on 200, plus ``COMMAND_ERRORS``) and, unless
    ``replayable`` is false, the ``Idempotency-Key`` replay."""
    (method,) = permissions

    def decorate(handler: Handler) -> Handler:
        if url_path is not None:
            extra.update(url_path=url_path, url_name=url_path)
        handler = action(
            detail=detail,
            methods=[method.lower()],
            filter_backends=[],
            permission_classes=action_permissions(permissions, name),
            **extra,
        )(handler)
        handler = extend_schema(request=request, responses={200: response, **COMMAND_ERRORS})(
            handler
        )
        return idempotent(handler) if replayable else handler

    return decorate


def query_params(serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


def csv_response(text: str, filename: str) -> HttpResponse:
    return HttpResponse(
        text,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class StockReadViewSet(viewsets.ReadOnlyModelViewSet):
    """List and detail of one model; reading needs the role's ``view_<model>``."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = (IsAuthenticated, RoleModelPermissions)
    pagination_class = ApiPagination


class StockAPIView(GenericAPIView):
    """A report or command without a model of its own: permissions are explicit."""

    authentication_classes = API_AUTHENTICATION
    filter_backends: list[type] = []


class DraftDocumentViewSet(TradeViewSet):
    """A document written as a draft with its lines, then changed by POST commands.

    PUT/PATCH and DELETE work on drafts only (the row is locked and its status
    re-checked); afterwards the document is history, changed only by its commands.
    """

    draft_status: str = DocumentStatus.DRAFT
    document_label: str = ""

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)

    def perform_destroy(self, instance: Model) -> None:
        with transaction.atomic():
            locked = serializers.lock_draft(
                type(instance), instance.pk, draft=self.draft_status, what=self.document_label
            )
            locked.delete()

    def command_response(self, instance: Model) -> Response:
        return Response(self.output_data(instance))

    def transition(self, request: Request, service: Callable[..., Model]) -> Response:
        """Run the one service of a command on the document and answer with it."""
        return self.command_response(service(self.get_object(), user=request.user))


# --------------------------------------------------------------------------- places


class WarehouseViewSet(TradeViewSet):
    """Warehouses (sites). Deleting one that holds locations is refused: deactivate it."""

    queryset = Warehouse.objects.all()
    output_serializer_class = serializers.WarehouseSerializer
    input_serializer_class = serializers.WarehouseSerializer
    filterset_class = filters.WarehouseFilter
    search_fields = ("code", "name", "city")
    ordering_fields = ("code", "name")


class LocationViewSet(TradeViewSet):
    """Bins and areas of the warehouses, in picking order."""

    queryset = Location.objects.select_related("warehouse")
    output_serializer_class = serializers.LocationSerializer
    input_serializer_class = serializers.LocationInputSerializer
    filterset_class = filters.LocationFilter
    search_fields = ("code", "zone", "aisle")
    ordering_fields = ("picking_order", "code", "warehouse__code")


# --------------------------------------------------------------------------- lots, serials


class LotViewSet(StockReadViewSet):
    """Lots with their DLC/DDM and status; the trace and the status commands hang here.
    The recall list of a lot is ``GET /api/lots/{id}/recall-list.csv``."""

    queryset = Lot.objects.select_related("article", "supplier")
    serializer_class = serializers.LotSerializer
    filterset_class = filters.LotFilter
    search_fields = ("number", "article__code")
    ordering_fields = ("expiry_date", "received_on", "number", "created_at")

    @extend_schema(responses=serializers.LotTraceSerializer)
    @action(
        detail=True,
        methods=["get"],
        url_path="trace",
        url_name="trace",
        filter_backends=[],
        pagination_class=None,
        permission_classes=action_permissions(
            {"GET": ["logistics.view_lot", "logistics.view_stockmove", "trade.view_customernode"]},
            "CanTraceLots",
        ),
    )
    def trace_show(self, request: Request, pk: str | None = None) -> Response:
        """Upstream (supplier, receipt, date, quantity) and downstream (every customer
        node reached, directly or inside kit lots, with quantities, dates and
        documents), the kit lots it went into and, for a kit lot, its component lots."""
        trace = lot_trace(self.get_object())
        return Response(serializers.LotTraceSerializer(trace).data)

    @command(
        {"POST": ["logistics.change_lot"]},
        "CanChangeLotStatus",
        request=serializers.LotStatusInputSerializer,
        response=serializers.LotSerializer,
        url_path="status",
    )
    def status_set(self, request: Request, pk: str | None = None) -> Response:
        """Quarantine, block, recall or release a lot. A lot out of ``available`` is
        never allocated again; its existing reservations stay for the order desk."""
        lot = self.get_object()
        payload = serializers.LotStatusInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        lot = lot_status_set(lot, status=payload.validated_data["status"])
        return Response(serializers.LotSerializer(lot).data)


class LotRecallListView(StockAPIView):
    """The recall list of one lot as CSV (``;``): one row per customer node reached,
    with quantities, dates, documents and the customer's first contact."""

    queryset = Lot.objects.select_related("article")
    permission_classes = (
        IsAuthenticated,
        require_permissions(
            {"GET": ["logistics.view_lot", "logistics.view_recall", "trade.view_customernode"]},
            name="CanListRecalledCustomers",
        ),
    )

    @extend_schema(operation_id="lots_recall_list_csv", responses=CSV_RESPONSE)
    def get(self, request: Request, pk: int) -> HttpResponse:
        lot = self.get_object()
        return csv_response(recall_customers_csv([lot_trace(lot)]), f"recall-{lot.number}.csv")


class SerialNumberViewSet(StockReadViewSet):
    """Serial numbers: where each unit is now (one place only) and its status."""

    queryset = SerialNumber.objects.select_related("article", "lot", "location")
    serializer_class = serializers.SerialNumberSerializer
    filterset_class = filters.SerialNumberFilter
    search_fields = ("number", "article__code")
    ordering_fields = ("number",)


# --------------------------------------------------------------------------- stock reads


class StockBalanceViewSet(StockReadViewSet):
    """Stock per (article, location, lot); by default only balances holding, reserving
    or blocking something (``only_positive=false`` lists empty ones too)."""

    serializer_class = serializers.StockBalanceSerializer
    filterset_class = filters.StockBalanceFilter
    search_fields = ("article__code", "lot__number", "location__code")
    ordering_fields = ("article__code", "location__picking_order", "lot__expiry_date", "on_hand")

    def get_queryset(self) -> QuerySet[Any]:
        return stock_balances(only_positive=False)


class StockMoveViewSet(StockReadViewSet):
    """The movement journal (append-only ledger), newest first. ``unit_cost`` is shown
    to roles that may view costs."""

    queryset = StockMove.objects.select_related(
        "article",
        "from_location",
        "to_location",
        "lot",
        "serial",
        "customer_node",
        "supplier",
        "created_by",
    ).order_by("-created_at", "-pk")
    serializer_class = serializers.StockMoveSerializer
    filterset_class = filters.StockMoveFilter
    search_fields = ("article__code", "lot__number", "document_id", "note")
    ordering_fields = ("created_at", "quantity")


class StockByArticleView(StockAPIView):
    """Stock per article (all lots and locations together), paginated."""

    pagination_class = ApiPagination
    permission_classes = (
        IsAuthenticated,
        require_permissions({"GET": ["logistics.view_stockbalance"]}, name="CanViewStock"),
    )

    @extend_schema(
        parameters=[serializers.ByArticleQuerySerializer],
        responses=serializers.ArticleStockSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = query_params(serializers.ByArticleQuerySerializer, request)
        warehouse = query.get("warehouse")
        rows = stock_by_article(warehouse_id=warehouse.pk if warehouse else None)
        if query.get("article") is not None:
            rows = rows.filter(article_id=query["article"].pk)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(serializers.ArticleStockSerializer(page, many=True).data)


class StockAvailableView(StockAPIView):
    permission_classes = (
        IsAuthenticated,
        require_permissions({"GET": ["logistics.view_stockbalance"]}, name="CanViewStock"),
    )

    @extend_schema(
        parameters=[serializers.AvailableQuerySerializer], responses=serializers.AvailableSerializer
    )
    def get(self, request: Request) -> Response:
        """Available to promise of an article in a warehouse's storage locations."""
        query = query_params(serializers.AvailableQuerySerializer, request)
        article, warehouse = query["article"], query["warehouse"]
        data = {
            "article": article.pk,
            "article_code": article.code,
            "warehouse": warehouse.pk,
            "quantity_available": available_to_promise(article, warehouse=warehouse),
        }
        return Response(serializers.AvailableSerializer(data).data)


class StockAdjustmentView(StockAPIView):
    permission_classes = (
        IsAuthenticated,
        require_permissions({"POST": ["logistics.add_stockmove"]}, name="CanAdjustStock"),
    )

    @idempotent
    @extend_schema(
        request=serializers.StockAdjustmentInputSerializer,
        responses={201: serializers.StockMoveSerializer, **COMMAND_ERRORS},
    )
    def post(self, request: Request) -> Response:
        """Adjust stock at one location (a signed quantity and a reason note); the
        answer is the move posted. Removing more than is free (on hand − reserved −
        blocked) is refused with 409 ``insufficient_stock``."""
        payload = serializers.StockAdjustmentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        move = stock_adjust(
            article=data["article"],
            location=data["location"],
            quantity=data["quantity"],
            lot=data.get("lot"),
            serial=data.get("serial"),
            note=data["note"],
            user=request.user,
            reason=data["reason"],
        )
        context = {"request": request, "view": self}
        return Response(
            serializers.StockMoveSerializer(move, context=context).data,
            status=status.HTTP_201_CREATED,
        )


class StockValuationView(StockAPIView):
    permission_classes = (
        IsAuthenticated,
        require_permissions({"GET": ["logistics.view_articlecost"]}, name="CanViewValuation"),
    )

    @extend_schema(
        parameters=[serializers.ValuationQuerySerializer], responses=serializers.ValuationSerializer
    )
    def get(self, request: Request) -> Response:
        """Stock value at the end of ``date`` (default today) per article and
        warehouse: the ledger's quantity then × the weighted average cost then."""
        query = query_params(serializers.ValuationQuerySerializer, request)
        on_date = query.get("date") or timezone.localdate()
        warehouse, family = query.get("warehouse"), query.get("family")
        rows = stock_valuation(
            on_date=on_date,
            warehouse_id=warehouse.pk if warehouse else None,
            family_id=family.pk if family else None,
        )
        data = {
            "date": on_date,
            "warehouse": warehouse.pk if warehouse else None,
            "family": family.pk if family else None,
            "total_value": sum((row.value for row in rows), Decimal(0)),
            "rows": rows,
        }
        return Response(serializers.ValuationSerializer(data).data)


class StockAnomaliesView(StockAPIView):
    permission_classes = (
        IsAuthenticated,
        require_permissions({"GET": ["logistics.view_stockbalance"]}, name="CanViewStock"),
    )

    @extend_schema(
        parameters=[serializers.AnomaliesQuerySerializer], responses=serializers.AnomaliesSerializer
    )
    def get(self, request: Request) -> Response:
        """What a stock controller must look at on ``date``: inconsistent balances,
        expired DLC lots on hand or reserved, DDM past, big count variances, serials
        in two places, balances that differ from their ledger."""
        query = query_params(serializers.AnomaliesQuerySerializer, request)
        on_date = query.get("date") or timezone.localdate()
        threshold = query["count_variance_threshold"]
        data = {
            "date": on_date,
            "count_variance_threshold": threshold,
            "anomalies": stock_anomalies(on_date=on_date, count_variance_threshold=threshold),
        }
        return Response(serializers.AnomaliesSerializer(data).data)


class StockReplenishmentView(StockAPIView):
    permission_classes = (
        IsAuthenticated,
        require_permissions(
            {"GET": ["logistics.view_stockbalance", "logistics.view_replenishmentrule"]},
            name="CanViewReplenishment",
        ),
    )

    @extend_schema(
        parameters=[serializers.ReplenishmentQuerySerializer],
        responses=serializers.ReplenishmentSerializer,
    )
    def get(self, request: Request) -> Response:
        """Articles of a warehouse at or below their reorder point, with the quantity
        to order up to the maximum (explicit rule, or derived from the last weeks'
        outgoing quantities and the supplier's lead time)."""
        query = query_params(serializers.ReplenishmentQuerySerializer, request)
        on_date = query.get("date") or timezone.localdate()
        warehouse = query["warehouse"]
        data = {
            "warehouse": warehouse.pk,
            "date": on_date,
            "weeks": query["weeks"],
            "suggestions": replenishment_suggestions(
                warehouse=warehouse, on_date=on_date, weeks=query["weeks"]
            ),
        }
        return Response(serializers.ReplenishmentSerializer(data).data)


# --------------------------------------------------------------------------- documents


class ReceiptViewSet(DraftDocumentViewSet):
    """Goods received: a draft with its lines (lot number, DLC/DDM, serials, unit cost),
    then ``POST …/post/`` creates the lots and serials and moves the goods in."""

    queryset = Receipt.objects.select_related(
        "warehouse", "supplier", "created_by"
    ).prefetch_related(
        Prefetch("lines", queryset=ReceiptLine.objects.select_related("article", "location"))
    )
    output_serializer_class = serializers.ReceiptSerializer
    input_serializer_class = serializers.ReceiptInputSerializer
    filterset_class = filters.ReceiptFilter
    search_fields = ("number", "reference", "supplier__code")
    ordering_fields = ("received_on", "created_at", "number")
    document_label = _("Receipt")

    @command(
        {"POST": ["logistics.change_receipt"]},
        "CanPostReceipts",
        response=serializers.ReceiptSerializer,
        url_path="post",
    )
    def post_receipt(self, request: Request, pk: str | None = None) -> Response:
        """Post the draft: lots and serials created, goods moved in at their unit cost
        (weighted average cost updated), a number given. A line missing its lot, date
        or serials is refused by its number and nothing is written; posting twice is
        refused (409 ``invalid_transition``)."""
        return self.transition(request, receipt_post)


class TransferViewSet(DraftDocumentViewSet):
    """Stock sent between warehouses: draft → ``ship`` (in transit) → ``receive``."""

    queryset = Transfer.objects.select_related(
        "from_warehouse", "to_warehouse", "created_by"
    ).prefetch_related(
        Prefetch(
            "lines",
            queryset=TransferLine.objects.select_related(
                "article", "from_location", "to_location", "lot"
            ),
        )
    )
    output_serializer_class = serializers.TransferSerializer
    input_serializer_class = serializers.TransferInputSerializer
    filterset_class = filters.TransferFilter
    search_fields = ("number",)
    ordering_fields = ("created_at", "number")
    draft_status = TransferStatus.DRAFT
    document_label = _("Transfer")

    @command(
        {"POST": ["logistics.change_transfer"]},
        "CanShipTransfers",
        response=serializers.TransferSerializer,
    )
    def ship(self, request: Request, pk: str | None = None) -> Response:
        """The goods leave their locations for the destination's transit location."""
        return self.transition(request, transfer_ship)

    @command(
        {"POST": ["logistics.change_transfer"]},
        "CanReceiveTransfers",
        response=serializers.TransferSerializer,
    )
    def receive(self, request: Request, pk: str | None = None) -> Response:
        """The goods go from transit to the destination locations."""
        return self.transition(request, transfer_receive)


class InventoryCountViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Inventory counts: create (the expected quantities freeze), enter counted
    quantities (``PATCH …/lines/``), ``submit``, ``approve`` (variances posted)."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = (IsAuthenticated, RoleModelPermissions)
    pagination_class = ApiPagination
    schema = TradeAutoSchema()
    queryset = InventoryCount.objects.select_related(
        "warehouse", "created_by", "approved_by"
    ).prefetch_related(
        "articles",
        Prefetch("lines", queryset=CountLine.objects.select_related("article", "location", "lot")),
    )
    filterset_class = filters.InventoryCountFilter
    search_fields = ("number", "location_prefix")
    ordering_fields = ("created_at", "number")
    output_serializer_class = serializers.InventoryCountSerializer

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "create":
            return serializers.InventoryCountInputSerializer
        return serializers.InventoryCountSerializer

    def output_data(self, count: InventoryCount) -> Any:
        fresh = self.get_queryset().get(pk=count.pk)
        return serializers.InventoryCountSerializer(
            fresh, context=self.get_serializer_context()
        ).data

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Open a count; a cycle count needs a location prefix or articles."""
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        count = payload.save()
        return Response(self.output_data(count), status=status.HTTP_201_CREATED)

    @command(
        {"PATCH": ["logistics.change_countline"]},
        "CanEnterCounts",
        request=serializers.CountLinesInputSerializer,
        response=serializers.InventoryCountSerializer,
        replayable=False,
    )
    def lines(self, request: Request, pk: str | None = None) -> Response:
        """Record counted quantities while the count is in progress (sending a line
        again overwrites it); stock found where none was expected is added as a line
        expected at zero."""
        count = self.get_object()
        payload = serializers.CountLinesInputSerializer(data=request.data, context={"count": count})
        payload.is_valid(raise_exception=True)
        return Response(self.output_data(payload.save()))

    @command(
        {"POST": ["logistics.change_inventorycount"]},
        "CanSubmitCounts",
        response=serializers.InventoryCountSerializer,
    )
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Counting done: every line must have its counted quantity."""
        return Response(self.output_data(count_submit(self.get_object())))

    @command(
        {"POST": ["logistics.change_inventorycount"]},
        "CanApproveCounts",
        response=serializers.InventoryCountSerializer,
    )
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Post each variance (counted − expected) as a count move."""
        return Response(self.output_data(count_approve(self.get_object(), user=request.user)))


class AssemblyOrderViewSet(DraftDocumentViewSet):
    """Kits assembled in advance (or taken apart): a draft, then ``POST …/post/``."""

    queryset = AssemblyOrder.objects.select_related("kit", "location", "kit_lot", "created_by")
    output_serializer_class = serializers.AssemblyOrderSerializer
    input_serializer_class = serializers.AssemblyOrderInputSerializer
    filterset_class = filters.AssemblyOrderFilter
    search_fields = ("number", "kit__code")
    ordering_fields = ("created_at", "number")
    document_label = _("Assembly order")

    @command(
        {"POST": ["logistics.change_assemblyorder"]},
        "CanPostAssemblyOrders",
        request=serializers.AssemblyPostInputSerializer,
        response=serializers.AssemblyOrderSerializer,
        url_path="post",
    )
    def post_assembly(self, request: Request, pk: str | None = None) -> Response:
        """Assemble: components consumed (FEFO unless ``component_lots`` says which),
        kits made in a kit lot carrying the component lots for traceability.
        Disassemble: the kits consumed, components back in the lots given."""
        order = self.get_object()
        payload = serializers.AssemblyPostInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        order = assembly_post(
            order,
            component_lots=payload.component_lots_map() or None,
            kit_lot_number=payload.validated_data["kit_lot_number"],
            user=request.user,
        )
        return self.command_response(order)


# --------------------------------------------------------------------------- recalls


class RecallViewSet(mixins.CreateModelMixin, StockReadViewSet):
    """Recalls: the lots blocked, why and by whom; the detail lists every customer the
    lots reached (``affected``), the CSV is at ``…/{id}/recall-list.csv``."""

    queryset = Recall.objects.select_related("created_by").prefetch_related(
        Prefetch("lots", queryset=Lot.objects.select_related("article"))
    )
    filterset_class = filters.RecallFilter
    search_fields = ("reference", "reason")
    ordering_fields = ("created_at", "reference")
    schema = TradeAutoSchema()
    output_serializer_class = serializers.RecallDetailSerializer

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "create":
            return serializers.RecallInputSerializer
        if self.action == "retrieve":
            return serializers.RecallDetailSerializer
        return serializers.RecallSerializer

    def detail_data(self, recall: Recall) -> Any:
        recall = self.get_queryset().get(pk=recall.pk)
        recall.affected = serializers.recall_affected_rows(
            [lot_trace(lot) for lot in recall.lots.all()]
        )
        return serializers.RecallDetailSerializer(
            recall, context=self.get_serializer_context()
        ).data

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.detail_data(self.get_object()))

    @idempotent
    @extend_schema(responses={201: serializers.RecallDetailSerializer, **COMMAND_ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Open a recall: the lots given and/or every lot of a supplier (and article)
        received in a date range become ``recalled``; the answer lists the customers
        they reached."""
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        supplier, article = data.get("supplier"), data.get("article")
        recall = recall_open(
            reference=data["reference"],
            reason=data["reason"],
            lots=data.get("lots", []),
            supplier_id=supplier.pk if supplier else None,
            article_id=article.pk if article else None,
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
            user=request.user,
        )
        return Response(self.detail_data(recall), status=status.HTTP_201_CREATED)


class RecallListView(StockAPIView):
    """The recall list of every lot of a recall as CSV (``;``)."""

    queryset = Recall.objects.prefetch_related(
        Prefetch("lots", queryset=Lot.objects.select_related("article"))
    )
    permission_classes = (
        IsAuthenticated,
        require_permissions(
            {"GET": ["logistics.view_recall", "trade.view_customernode"]},
            name="CanListRecalledCustomers",
        ),
    )

    @extend_schema(operation_id="recalls_recall_list_csv", responses=CSV_RESPONSE)
    def get(self, request: Request, pk: int) -> HttpResponse:
        recall = self.get_object()
        traces = [lot_trace(lot) for lot in recall.lots.all()]
        return csv_response(recall_customers_csv(traces), f"recall-{recall.reference}.csv")


# --------------------------------------------------------------------------- reservations


class ReservationViewSet(mixins.CreateModelMixin, StockReadViewSet):
    """Stock held for document lines. ``POST`` reserves FEFO and answers with the plan
    of each line; ``POST …/release/`` gives back what a document (or line) holds."""

    queryset = Reservation.objects.select_related(
        "article", "balance__location", "balance__lot", "serial"
    ).order_by("pk")
    filterset_class = filters.ReservationFilter
    search_fields = ("document_id", "article__code")
    ordering_fields = ("created_at", "document_id")
    schema = TradeAutoSchema()

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "create":
            return serializers.ReserveInputSerializer
        return serializers.ReservationSerializer

    @idempotent
    @extend_schema(responses={201: serializers.ReservationResultSerializer, **COMMAND_ERRORS})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        lines = [
            ReserveLine(line["line_id"], line["article"], line["quantity"])
            for line in data["lines"]
        ]
        try:
            batch = stock_reserve(
                document_type=data["document_type"],
                document_id=data["document_id"],
                lines=lines,
                warehouse=data["warehouse"],
                delivery_date=data["delivery_date"],
                customer_node=data.get("customer_node"),
                allow_past_ddm=data["allow_past_ddm"],
                user=request.user,
            )
        except InvalidAllocationInput as exc:
            raise ValidationFailed({"lines": exc.errors}) from exc
        result = {
            "document_type": data["document_type"],
            "document_id": data["document_id"],
            "is_complete": all(plan.is_complete for plan in batch.plans),
            "plans": batch.plans,
        }
        context = serializers.allocation_context(batch)
        return Response(
            serializers.ReservationResultSerializer(result, context=context).data,
            status=status.HTTP_201_CREATED,
        )

    @command(
        {"POST": ["logistics.change_reservation"]},
        "CanReleaseReservations",
        request=serializers.ReleaseInputSerializer,
        response=serializers.ReleaseResultSerializer,
        detail=False,
        pagination_class=None,
    )
    def release(self, request: Request) -> Response:
        """Release the active reservations of a document (or one of its lines).
        Releasing twice releases once (``released`` is 0 the second time)."""
        payload = serializers.ReleaseInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        released = reservations_release(
            document_type=data["document_type"],
            document_id=data["document_id"],
            document_line=data.get("document_line"),
        )
        return Response(serializers.ReleaseResultSerializer({"released": released}).data)
