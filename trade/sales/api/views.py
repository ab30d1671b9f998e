"""Thin API views of sales: quotes, orders, order lines and deliveries.

Each view authenticates (token or session), checks the role's permissions, validates
the request with an input serializer, calls one ``trade.sales.services`` function and
answers with an output serializer. Commands are POST actions
(``/api/sales/orders/{id}/confirm/``); each accepts an ``Idempotency-Key`` header
(``logistics.api.idempotency``), and so does the creation of quotes and orders.
Errors leave through ``comptoir.api.exception_handler`` as ``{code, message,
details}``: ``ValidationFailed`` (bad input, every bad line named) → 400, a refused
transition or another ``DomainError`` → 409.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from comptoir.permissions import RoleModelPermissions
from logistics.api.idempotency import idempotent
from logistics.services.reservations import reserved_quantities
from pricing.api.serializers import ApiErrorSerializer
from trade.api.permissions import API_AUTHENTICATION, require_permissions
from trade.api.views import ApiPagination

from ..documents import delivery_note_filename, delivery_note_pdf
from ..models import (
    Delivery,
    DeliveryLine,
    OrderOrigin,
    Quote,
    QuoteLine,
    SalesEvent,
    SalesOrder,
    SalesOrderLine,
)
from ..selectors.deliveries import picking_list
from ..services import (
    ORDER_DOCUMENT,
    delivery_cancel,
    delivery_create,
    delivery_pick,
    delivery_ship,
    order_backorders_reserve,
    order_cancel,
    order_close,
    order_confirm,
    order_copy,
    order_create,
    order_line_add,
    order_line_cancel,
    order_line_change,
    quote_accept,
    quote_create,
    quote_patch,
    quote_refuse,
    quote_send,
    quote_update,
)
from . import filters, serializers

VALIDATION_RESPONSE = OpenApiResponse(
    ApiErrorSerializer,
    description="The input is refused (``validation_failed``); ``details.errors.lines`` names "
    "every bad line by its number and reason, nothing is saved.",
)
CONFLICT_RESPONSE = OpenApiResponse(
    ApiErrorSerializer,
    description="Refused by a business rule: ``invalid_transition`` (the document's state "
    "does not allow it), ``nothing_to_deliver``, or an ``idempotency_key_*`` conflict.",
)
COMMAND_ERRORS = {400: VALIDATION_RESPONSE, 409: CONFLICT_RESPONSE}

Handler = Callable[..., Any]


def command(
    permissions: Mapping[str, Sequence[str]],
    name: str,
    *,
    request: Any = None,
    response: Any,
    status_code: int = 200,
    url_path: str | None = None,
    replayable: bool = True,
) -> Callable[[Handler], Handler]:
    """A detail action: its method and the permissions it needs (stated, since its
    meaning is not the add/change of the viewset's model), its schema and, unless
    ``replayable`` is false, the ``Idempotency-Key`` replay."""
    (method,) = permissions
    extra: dict[str, Any] = {}
    if url_path is not None:
        extra.update(url_path=url_path, url_name=url_path)

    def decorate(handler: Handler) -> Handler:
        handler = action(
            detail=True,
            methods=[method.lower()],
            filter_backends=[],
            pagination_class=None,
            permission_classes=action_permissions(permissions, name),
            **extra,
        )(handler)
        handler = extend_schema(
            request=request, responses={status_code: response, **COMMAND_ERRORS}
        )(handler)
        return idempotent(handler) if replayable and method.upper() == "POST" else handler

    return decorate


def action_permissions(
    by_method: Mapping[str, Sequence[str]], name: str
) -> list[type[BasePermission]]:
    return [IsAuthenticated, require_permissions(by_method, name=name)]


def payload(serializer_class: type[BaseSerializer], request: Request, **kwargs: Any) -> Any:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer


# --------------------------------------------------------------------------- reads


def orders_queryset() -> QuerySet[SalesOrder]:
    return SalesOrder.objects.select_related(
        "ordering_node", "delivery_node", "invoicing_node", "warehouse", "salesperson", "created_by"
    )


def order_detail_data(order: SalesOrder, context: dict[str, Any]) -> Any:
    """The order with its lines (what each holds in stock), history and deliveries."""
    fresh = (
        orders_queryset()
        .prefetch_related(
            Prefetch("lines", queryset=SalesOrderLine.objects.select_related("article")),
            Prefetch("events", queryset=SalesEvent.objects.select_related("user")),
            "deliveries",
        )
        .get(pk=order.pk)
    )
    held = reserved_quantities(document_type=ORDER_DOCUMENT, document_id=str(fresh.pk))
    return serializers.SalesOrderDetailSerializer(fresh, context={**context, "held": held}).data


def order_line_data(line: SalesOrderLine, context: dict[str, Any]) -> Any:
    fresh = SalesOrderLine.objects.select_related("article").get(pk=line.pk)
    held = reserved_quantities(document_type=ORDER_DOCUMENT, document_id=str(fresh.order_id))
    return serializers.SalesOrderLineSerializer(fresh, context={**context, "held": held}).data


def deliveries_queryset() -> QuerySet[Delivery]:
    return Delivery.objects.select_related("order", "warehouse", "delivery_node", "created_by")


def picking_rows(delivery: Delivery) -> list[dict[str, Any]]:
    """``picking_list`` (stops in walking order) flattened to rows."""
    return [
        {
            "delivery_line": row.delivery_line_id,
            "position": row.line_position,
            "location": row.location.pk,
            "location_code": row.location.code,
            "article": row.article.pk,
            "article_code": row.article.code,
            "article_designation": row.article.designation,
            "kit_article_code": row.line_article.code if row.is_component else None,
            "lot_number": row.lot_number or None,
            "expiry_date": row.expiry_date,
            "serial_number": row.serial_number or None,
            "quantity": row.quantity,
        }
        for stop in picking_list(delivery)
        for row in stop.rows
    ]


def delivery_detail_data(delivery: Delivery, context: dict[str, Any]) -> Any:
    fresh = (
        deliveries_queryset()
        .prefetch_related(
            Prefetch(
                "lines", queryset=DeliveryLine.objects.select_related("order_line", "article")
            ),
            Prefetch("events", queryset=SalesEvent.objects.select_related("user")),
        )
        .get(pk=delivery.pk)
    )
    context = {**context, "picking_rows": picking_rows(fresh)}
    return serializers.DeliveryDetailSerializer(fresh, context=context).data


def quotes_queryset() -> QuerySet[Quote]:
    return Quote.objects.select_related(
        "ordering_node", "delivery_node", "invoicing_node", "salesperson", "created_by", "order"
    )


def quote_detail_data(quote: Quote, context: dict[str, Any]) -> Any:
    fresh = (
        quotes_queryset()
        .prefetch_related(
            Prefetch("lines", queryset=QuoteLine.objects.select_related("article")),
            Prefetch("events", queryset=SalesEvent.objects.select_related("user")),
        )
        .get(pk=quote.pk)
    )
    return serializers.SalesQuoteDetailSerializer(fresh, context=context).data


# --------------------------------------------------------------------------- viewsets


class SalesViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """List and detail of one document type, reading needs the role's ``view_<model>``;
    every write is a POST calling one service."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = (IsAuthenticated, RoleModelPermissions)
    pagination_class = ApiPagination
    list_serializer_class: type[BaseSerializer]
    input_serializer_class: type[BaseSerializer] | None = None
    detail_data_of: Callable[[Any, dict[str, Any]], Any]

    def list_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        if self.action in ("list", "retrieve", None):
            return self.list_queryset()
        # Commands: the service locks and reloads the row; a plain fetch is enough.
        return self.list_queryset().model._default_manager.all()

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "create" and self.input_serializer_class is not None:
            return self.input_serializer_class
        return self.list_serializer_class

    def detail_data(self, instance: Any) -> Any:
        """The document as the detail endpoint shows it, read again (after a command)."""
        return type(self).detail_data_of(instance, self.get_serializer_context())

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.detail_data(self.get_object()))


# --------------------------------------------------------------------------- orders


class SalesOrderViewSet(SalesViewSet):
    """Sales orders. ``POST`` creates a draft (origin ``api``) priced by the engine:
    name the customer by id, code or GLN and each article by id, code or GTIN; a price
    you send (``unit_price``) is kept and compared, never used. Then: ``confirm``
    (re-price, credit and customer checks, numbering, FEFO reservation), ``lines``
    (add), ``reserve-backorders``, ``deliveries`` (create one), ``copy``, ``cancel``,
    ``close``. Lines change at ``/api/sales/order-lines/{id}/``."""

    list_serializer_class = serializers.SalesOrderSerializer
    input_serializer_class = serializers.OrderInputSerializer
    detail_data_of = staticmethod(order_detail_data)
    filterset_class = filters.SalesOrderFilter
    search_fields = ("number", "customer_reference", "ordering_node__code", "ordering_node__name")
    ordering_fields = ("created_at", "requested_date", "confirmed_at", "number", "total_amount")
    queryset = SalesOrder.objects.all()

    def list_queryset(self) -> QuerySet[SalesOrder]:
        return orders_queryset()

    @extend_schema(responses=serializers.SalesOrderDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @idempotent
    @extend_schema(
        request=serializers.OrderInputSerializer,
        responses={201: serializers.SalesOrderDetailSerializer, **COMMAND_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = payload(serializers.OrderInputSerializer, request).validated_data
        order = order_create(**data, origin=OrderOrigin.API, user=request.user)
        return Response(self.detail_data(order), status=status.HTTP_201_CREATED)

    @command(
        {"POST": ["sales.change_salesorder"]},
        "CanConfirmOrders",
        response=serializers.ConfirmResultSerializer,
    )
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """Draft → confirmed: every line re-priced (``price_changes`` lists those whose
        net price moved since keying), customers and credit limit checked, a number
        given, stock reserved FEFO with the store's minimum shelf life; ``short_lines``
        says what could not be reserved and why (kept as backorder or cut, per the
        customer's rule)."""
        result = order_confirm(self.get_object(), user=request.user)
        return Response(
            {
                "order": self.detail_data(result.order),
                "price_changes": serializers.PriceChangeSerializer(
                    serializers.price_changes_data(result.price_changes), many=True
                ).data,
                "short_lines": serializers.ShortLineSerializer(
                    serializers.short_lines_data(result.order, result.short_lines), many=True
                ).data,
            }
        )

    @command(
        {"POST": ["sales.change_salesorder"]},
        "CanCancelOrders",
        request=serializers.ReasonInputSerializer,
        response=serializers.SalesOrderDetailSerializer,
    )
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel an order that has shipped nothing: reservations released, deliveries
        not yet shipped cancelled."""
        reason = payload(serializers.ReasonInputSerializer, request).validated_data.get(
            "reason", ""
        )
        order = order_cancel(self.get_object(), user=request.user, reason=reason)
        return Response(self.detail_data(order))

    @command(
        {"POST": ["sales.change_salesorder"]},
        "CanCloseOrders",
        request=serializers.ReasonInputSerializer,
        response=serializers.SalesOrderDetailSerializer,
    )
    def close(self, request: Request, pk: str | None = None) -> Response:
        """Close a partly delivered order: what remains is cut, reservations released."""
        reason = payload(serializers.ReasonInputSerializer, request).validated_data.get(
            "reason", ""
        )
        order = order_close(self.get_object(), user=request.user, reason=reason)
        return Response(self.detail_data(order))

    @command(
        {"POST": ["sales.change_salesorder"]},
        "CanReserveBackorders",
        response=serializers.BackordersResultSerializer,
        url_path="reserve-backorders",
    )
    def reserve_backorders(self, request: Request, pk: str | None = None) -> Response:
        """Try again to reserve what open lines miss (stock has arrived)."""
        order = self.get_object()
        short = order_backorders_reserve(order, user=request.user)
        return Response(
            {
                "order": self.detail_data(order),
                "short_lines": serializers.ShortLineSerializer(
                    serializers.short_lines_data(order, short), many=True
                ).data,
            }
        )

    @command(
        {"POST": ["sales.view_salesorder", "sales.add_salesorder"]},
        "CanCopyOrders",
        request=serializers.RequestedDateInputSerializer,
        response=serializers.SalesOrderDetailSerializer,
        status_code=status.HTTP_201_CREATED,
    )
    def copy(self, request: Request, pk: str | None = None) -> Response:
        """A new draft with the same customer and lines, priced today."""
        requested = (
            payload(serializers.RequestedDateInputSerializer, request).validated_data.get(
                "requested_date"
            )
            or timezone.localdate()
        )
        order = order_copy(self.get_object(), requested_date=requested, user=request.user)
        return Response(self.detail_data(order), status=status.HTTP_201_CREATED)

    @command(
        {"POST": ["sales.change_salesorder", "sales.add_salesorderline"]},
        "CanAddOrderLines",
        request=serializers.LineAddInputSerializer,
        response=serializers.SalesOrderLineSerializer,
        status_code=status.HTTP_201_CREATED,
    )
    def lines(self, request: Request, pk: str | None = None) -> Response:
        """Add a line, priced by the engine; on a confirmed order it is reserved at once."""
        order = self.get_object()
        data = payload(serializers.LineAddInputSerializer, request, order=order).validated_data
        line = order_line_add(order, data["line"], user=request.user)
        return Response(
            order_line_data(line, self.get_serializer_context()), status=status.HTTP_201_CREATED
        )

    @command(
        {"POST": ["sales.view_salesorder", "sales.add_delivery"]},
        "CanCreateDeliveries",
        request=serializers.DeliveryCreateInputSerializer,
        response=serializers.DeliveryDetailSerializer,
        status_code=status.HTTP_201_CREATED,
    )
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """A delivery of everything the order holds now (backorders are tried again
        first); 409 ``nothing_to_deliver`` when nothing is reserved."""
        planned = payload(serializers.DeliveryCreateInputSerializer, request).validated_data.get(
            "planned_date"
        )
        delivery = delivery_create(self.get_object(), planned_date=planned, user=request.user)
        return Response(
            delivery_detail_data(delivery, self.get_serializer_context()),
            status=status.HTTP_201_CREATED,
        )


class SalesOrderLineViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One order line: read it, change its quantity or requested date (``PATCH``), or
    cancel it (``POST …/cancel/``; a draft's line is removed)."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = (IsAuthenticated, RoleModelPermissions)
    queryset = SalesOrderLine.objects.select_related("article")
    serializer_class = serializers.SalesOrderLineSerializer
    http_method_names = ["get", "patch", "post", "head", "options"]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(order_line_data(self.get_object(), self.get_serializer_context()))

    @idempotent
    @extend_schema(
        request=serializers.LineChangeInputSerializer,
        responses={200: serializers.SalesOrderLineSerializer, **COMMAND_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change the quantity (in the line's unit) and/or the requested date. After
        confirmation the reservation follows; a quantity below what is delivered or
        being picked is refused."""
        data = payload(serializers.LineChangeInputSerializer, request).validated_data
        line = order_line_change(self.get_object(), **data, user=request.user)
        return Response(order_line_data(line, self.get_serializer_context()))

    @command(
        {"POST": ["sales.change_salesorderline"]},
        "CanCancelOrderLines",
        response=serializers.SalesOrderDetailSerializer,
    )
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Remove the line from a draft; on a confirmed order release its reservation and
        cancel it (or cut what is not delivered). Answers with the order."""
        line = self.get_object()
        order_line_cancel(line, user=request.user)
        return Response(order_detail_data(line.order, self.get_serializer_context()))


# --------------------------------------------------------------------------- deliveries


class DeliveryViewSet(SalesViewSet):
    """Deliveries, created from an order (``POST /api/sales/orders/{id}/deliveries/``):
    the detail lists the lines and the picking list (location order, lots with their
    DLC/DDM, serials). Then ``pick`` (short picks allowed), ``ship`` (stock moves out;
    shipping twice ships once), ``cancel``; ``delivery-note`` is the PDF once shipped."""

    list_serializer_class = serializers.DeliverySerializer
    detail_data_of = staticmethod(delivery_detail_data)
    filterset_class = filters.DeliveryFilter
    search_fields = ("number", "order__number", "order__customer_reference")
    ordering_fields = ("planned_date", "created_at", "number")
    queryset = Delivery.objects.all()

    def list_queryset(self) -> QuerySet[Delivery]:
        return deliveries_queryset()

    @extend_schema(responses=serializers.DeliveryDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @command(
        {"POST": ["sales.change_delivery", "sales.change_deliveryline"]},
        "CanPickDeliveries",
        request=serializers.PickInputSerializer,
        response=serializers.DeliveryDetailSerializer,
    )
    def pick(self, request: Request, pk: str | None = None) -> Response:
        """Record the base units picked per delivery line (lines not given: in full). A
        short pick is allowed and recorded; what was not found goes back at shipping."""
        picked = payload(serializers.PickInputSerializer, request).picked()
        delivery = delivery_pick(self.get_object(), picked=picked, user=request.user)
        return Response(self.detail_data(delivery))

    @command(
        {"POST": ["sales.change_delivery"]},
        "CanShipDeliveries",
        response=serializers.DeliveryDetailSerializer,
    )
    def ship(self, request: Request, pk: str | None = None) -> Response:
        """Ship what was picked: stock moves out with lots and serials, the order counts
        it delivered, what it still misses stays as backorder or is cut. Shipping a
        shipped delivery changes nothing and answers with it."""
        delivery = delivery_ship(self.get_object(), user=request.user)
        return Response(self.detail_data(delivery))

    @command(
        {"POST": ["sales.change_delivery"]},
        "CanCancelDeliveries",
        response=serializers.DeliveryDetailSerializer,
    )
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Give a delivery not shipped back to its order (the reservations return)."""
        delivery = delivery_cancel(self.get_object(), user=request.user)
        return Response(self.detail_data(delivery))

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 409: CONFLICT_RESPONSE},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="delivery-note",
        url_name="delivery-note",
        filter_backends=[],
        pagination_class=None,
        permission_classes=action_permissions(
            {"GET": ["sales.view_delivery"]}, "CanViewDeliveryNotes"
        ),
    )
    def delivery_note(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The delivery note (bon de livraison) as PDF, with lots and DLC/DDM per line;
        409 ``delivery_not_shipped`` before shipping."""
        delivery = self.get_object()
        return HttpResponse(
            delivery_note_pdf(delivery),
            content_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="{delivery_note_filename(delivery)}"'
            },
        )


# --------------------------------------------------------------------------- quotes


class SalesQuoteViewSet(SalesViewSet):
    """Quotes: ``POST`` creates a draft priced by the engine (same lines as an order);
    a draft is corrected with ``PUT`` (the same payload, replacing header and lines)
    or ``PATCH`` (only what changes; lines absent are kept), its lines priced again;
    then ``send`` (numbered, prices checked again), ``accept`` (answers with the draft
    order made of it) or ``refuse``."""

    list_serializer_class = serializers.SalesQuoteSerializer
    input_serializer_class = serializers.QuoteInputSerializer
    detail_data_of = staticmethod(quote_detail_data)
    filterset_class = filters.QuoteFilter
    search_fields = ("number", "customer_reference", "ordering_node__code", "ordering_node__name")
    ordering_fields = ("created_at", "valid_until", "number", "total_amount")
    queryset = Quote.objects.all()

    def list_queryset(self) -> QuerySet[Quote]:
        return quotes_queryset()

    @extend_schema(responses=serializers.SalesQuoteDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @idempotent
    @extend_schema(
        request=serializers.QuoteInputSerializer,
        responses={201: serializers.SalesQuoteDetailSerializer, **COMMAND_ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = payload(serializers.QuoteInputSerializer, request).validated_data
        quote = quote_create(**data, user=request.user)
        return Response(self.detail_data(quote), status=status.HTTP_201_CREATED)

    @idempotent
    @extend_schema(
        request=serializers.QuoteInputSerializer,
        responses={200: serializers.SalesQuoteDetailSerializer, **COMMAND_ERRORS},
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Replace a draft quote's header and lines (the payload of its creation;
        ``valid_until`` absent keeps the quote's, nodes absent come from the
        hierarchy); the lines are priced again today. 409 ``invalid_transition``
        once the quote is sent; a bad line refuses everything (400, every bad line
        named)."""
        data = payload(serializers.QuoteInputSerializer, request).validated_data
        quote = quote_update(self.get_object(), **data, user=request.user)
        return Response(self.detail_data(quote))

    @idempotent
    @extend_schema(
        request=serializers.QuoteInputSerializer,
        responses={200: serializers.SalesQuoteDetailSerializer, **COMMAND_ERRORS},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change some of a draft quote's fields: what is absent is kept, lines
        included (``lines`` given replace them all); every line is priced again
        today. Another customer without delivery or invoicing node takes them from
        its hierarchy. 409 ``invalid_transition`` once the quote is sent."""
        quote = self.get_object()
        changes = payload(
            serializers.QuoteInputSerializer, request, partial=True, context={"quote": quote}
        ).validated_data
        return Response(self.detail_data(quote_patch(quote, **changes, user=request.user)))

    @command(
        {"POST": ["sales.change_quote"]},
        "CanSendQuotes",
        response=serializers.SalesQuoteDetailSerializer,
    )
    def send(self, request: Request, pk: str | None = None) -> Response:
        """Draft → sent: numbered, prices checked once more (a quote is a promise)."""
        return Response(self.detail_data(quote_send(self.get_object(), user=request.user)))

    @command(
        {"POST": ["sales.change_quote", "sales.add_salesorder"]},
        "CanAcceptQuotes",
        request=serializers.QuoteAcceptInputSerializer,
        response=serializers.SalesOrderDetailSerializer,
        status_code=status.HTTP_201_CREATED,
    )
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """Sent → accepted; answers with the draft order made of it (priced today)."""
        requested = payload(serializers.QuoteAcceptInputSerializer, request).validated_data.get(
            "requested_date"
        )
        order = quote_accept(self.get_object(), requested_date=requested, user=request.user)
        return Response(
            order_detail_data(order, self.get_serializer_context()), status=status.HTTP_201_CREATED
        )

    @command(
        {"POST": ["sales.change_quote"]},
        "CanRefuseQuotes",
        request=serializers.ReasonInputSerializer,
        response=serializers.SalesQuoteDetailSerializer,
    )
    def refuse(self, request: Request, pk: str | None = None) -> Response:
        reason = payload(serializers.ReasonInputSerializer, request).validated_data.get(
            "reason", ""
        )
        return Response(
            self.detail_data(quote_refuse(self.get_object(), user=request.user, reason=reason))
        )
