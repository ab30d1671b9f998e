"""Thin API views of the pricing domain.

Each view authenticates (token or session), checks the role's permissions, validates
the request with an input serializer, calls a service or a selector, and answers with
an output serializer. Errors leave through ``comptoir.api.exception_handler`` as
``{code, message, details}``: a refused input is 400, a business refusal (a condition
conflict, an illegal transition) 409.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from comptoir.exceptions import DomainError
from pricing.models import (
    Condition,
    ConditionTier,
    Contract,
    ContractStatusChange,
    CustomerSegment,
    DiscountLevel,
    PriceListItem,
    RebateAgreement,
    RebateTier,
)
from pricing.selectors import contract_what_if, price_basket, rebate_status
from pricing.services import (
    condition_delete,
    contract_activate,
    contract_impact,
    contract_terminate,
    rebate_settle,
)
from trade.api.permissions import API_AUTHENTICATION, model_permissions, require_permissions
from trade.api.views import TradeViewSet

from . import filters, serializers

CONFLICT_RESPONSE = OpenApiResponse(
    serializers.ApiErrorSerializer,
    description="Refused by a business rule: ``condition_conflict`` (``details.conflicts`` "
    "names both conditions of each tie) or ``invalid_transition``.",
)
VALIDATION_RESPONSE = OpenApiResponse(
    serializers.ApiErrorSerializer, description="The input is refused (``validation_failed``)."
)


def action_permissions(
    by_method: Mapping[str, Sequence[str]], name: str
) -> list[type[BasePermission]]:
    """Permissions of an action, stated by method (an action's meaning is not the
    add/change of its viewset's model that ``RoleModelPermissions`` would infer)."""
    return [IsAuthenticated, require_permissions(by_method, name=name)]


class PricingViewSet(TradeViewSet):
    """CRUD over one pricing model: input serializer in, output serializer out, model
    permissions by role (see ``trade.api.views.TradeViewSet``)."""


# --------------------------------------------------------------------------- price lists


class PriceListItemViewSet(PricingViewSet):
    """Gross prices of the price lists: per article, per base unit or per packaging,
    from a minimum quantity (quantity breaks), with validity dates. Written through
    ``price_list_item_save``."""

    queryset = PriceListItem.objects.select_related("price_list", "article")
    output_serializer_class = serializers.PriceListItemSerializer
    input_serializer_class = serializers.PriceListItemInputSerializer
    filterset_class = filters.PriceListItemFilter
    search_fields = ("article__code", "price_list__code")
    ordering_fields = (
        "price_list__code",
        "article__code",
        "packaging_level",
        "min_quantity",
        "unit_price",
        "valid_from",
    )


# --------------------------------------------------------------------------- discount levels


class DiscountLevelViewSet(PricingViewSet):
    """The company's six discount levels: label, place in the cascade, rate or amount,
    stacking and exclusivity. Levels are neither created nor deleted; a change is
    checked against the other five (a valid ``LevelScheme``) and against the
    conditions of draft and active contracts, and refused with 400 naming the problem."""

    queryset = DiscountLevel.objects.all()
    output_serializer_class = serializers.DiscountLevelSerializer
    input_serializer_class = serializers.DiscountLevelInputSerializer
    http_method_names = ["get", "put", "patch", "head", "options"]
    filter_backends: list[Any] = []
    pagination_class = None

    @extend_schema(
        request=serializers.DiscountLevelSchemeInputSerializer,
        responses={200: serializers.DiscountLevelSerializer(many=True), 400: VALIDATION_RESPONSE},
    )
    @action(
        detail=False,
        methods=["put"],
        url_path="scheme",
        permission_classes=action_permissions(
            {"PUT": ["pricing.change_discountlevel"]}, "CanChangeDiscountLevels"
        ),
    )
    def scheme(self, request: Request) -> Response:
        """Replace the six levels at once (to swap two places in the cascade, say)."""
        serializer = serializers.DiscountLevelSchemeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        levels = serializer.save()
        return Response(serializers.DiscountLevelSerializer(levels, many=True).data)


# --------------------------------------------------------------------------- segments


class CustomerSegmentViewSet(PricingViewSet):
    """Named groups of customer nodes that contracts may target."""

    queryset = CustomerSegment.objects.prefetch_related("nodes")
    output_serializer_class = serializers.CustomerSegmentSerializer
    input_serializer_class = serializers.CustomerSegmentInputSerializer
    filterset_class = filters.CustomerSegmentFilter
    search_fields = ("code", "name")
    ordering_fields = ("code", "name")


# --------------------------------------------------------------------------- contracts


def _conditions_prefetch() -> Prefetch:
    return Prefetch(
        "conditions",
        queryset=Condition.objects.select_related(
            "contract", "family", "brand", "article"
        ).prefetch_related("tiers"),
    )


class ContractViewSet(PricingViewSet):
    """Contracts attached to a customer node (and everything below it) or to a segment,
    with their conditions (read here, written at ``/api/conditions/``).

    The status moves only through the actions: ``activate`` (draft → active, refused
    with 409 when a condition ties with an active one) and ``terminate``; expiry is
    daily. A contract is not deleted: terminate a draft you do not want.
    """

    queryset = Contract.objects.select_related("node", "segment").prefetch_related(
        _conditions_prefetch(),
        Prefetch(
            "status_changes", queryset=ContractStatusChange.objects.select_related("changed_by")
        ),
    )
    output_serializer_class = serializers.ContractSerializer
    input_serializer_class = serializers.ContractInputSerializer
    filterset_class = filters.ContractFilter
    search_fields = ("code", "name", "node__code", "segment__code")
    ordering_fields = ("code", "valid_from", "valid_to", "status", "created_at")
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def _transition_response(self, contract: Contract) -> Response:
        return Response(self.output_data(contract))

    @extend_schema(
        request=None,
        responses={200: serializers.ContractSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(
        detail=True,
        methods=["post"],
        filter_backends=[],
        permission_classes=action_permissions(
            {"POST": ["pricing.change_contract"]}, "CanActivateContracts"
        ),
    )
    def activate(self, request: Request, pk: str | None = None) -> Response:
        """draft → active. Refused (409, nothing changed) when one of its conditions ties
        with a condition of an active contract on the same nodes; both are named."""
        contract = contract_activate(self.get_object(), user=request.user)
        return self._transition_response(contract)

    @extend_schema(
        request=None,
        responses={200: serializers.ContractSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(
        detail=True,
        methods=["post"],
        filter_backends=[],
        permission_classes=action_permissions(
            {"POST": ["pricing.change_contract"]}, "CanTerminateContracts"
        ),
    )
    def terminate(self, request: Request, pk: str | None = None) -> Response:
        """draft or active → terminated: the contract stops pricing at once."""
        contract = contract_terminate(self.get_object(), user=request.user)
        return self._transition_response(contract)

    @extend_schema(responses=serializers.ContractImpactSerializer)
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        permission_classes=action_permissions(
            {"GET": ["pricing.view_contract"]}, "CanViewContracts"
        ),
    )
    def impact(self, request: Request, pk: str | None = None) -> Response:
        """Which customer nodes (with everything below them) and how many articles the
        contract affects — what activating it would touch."""
        impact = contract_impact(self.get_object())
        return Response(
            serializers.ContractImpactSerializer(serializers.contract_impact_data(impact)).data
        )

    @extend_schema(
        parameters=[serializers.WhatIfQuerySerializer],
        responses=serializers.WhatIfSerializer,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="what-if",
        filter_backends=[],
        pagination_class=None,
        permission_classes=action_permissions(
            {"GET": ["pricing.view_contract"]}, "CanSimulateContracts"
        ),
    )
    def what_if(self, request: Request, pk: str | None = None) -> Response:
        """The contract replayed over the 12 months of sales before ``until`` of every
        node it covers: turnover, discount and margin per node before and after, and
        their totals."""
        query = serializers.WhatIfQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        until = query.validated_data.get("until") or timezone.localdate()
        result = contract_what_if(self.get_object(), until=until)
        return Response(serializers.WhatIfSerializer(serializers.what_if_data(result)).data)


class ConditionViewSet(PricingViewSet):
    """Conditions of contracts: discounts at a level, contract net prices, free goods
    and quantity tiers, each scoped to all articles, a family, a brand or an article.

    Written through ``condition_save`` (with the ``tiers`` list) and deleted through
    ``condition_delete``; only draft and active contracts' conditions change. A tie
    with another condition is refused with 409, both named in ``details.conflicts``.
    """

    queryset = Condition.objects.select_related(
        "contract", "family", "brand", "article"
    ).prefetch_related("tiers")
    output_serializer_class = serializers.ConditionSerializer
    input_serializer_class = serializers.ConditionInputSerializer
    filterset_class = filters.ConditionFilter
    ordering_fields = ("contract__code", "kind", "level", "id")
    nested_write_models = {"tiers": ConditionTier}

    def perform_destroy(self, instance: Condition) -> None:
        condition_delete(instance)


# --------------------------------------------------------------------------- rebates


class RebateAgreementViewSet(PricingViewSet):
    """Year-end rebate (RFA) agreements of customer nodes: a period, a base (total
    turnover or a family's), tiers by step or by slice. ``status`` gives the accrual
    to a date and its projection to the end of the period."""

    queryset = RebateAgreement.objects.select_related("node", "family").prefetch_related("tiers")
    output_serializer_class = serializers.RebateAgreementSerializer
    input_serializer_class = serializers.RebateAgreementInputSerializer
    filterset_class = filters.RebateAgreementFilter
    search_fields = ("code", "node__code")
    ordering_fields = ("code", "period_start", "period_end")
    nested_write_models = {"tiers": RebateTier}

    def perform_destroy(self, instance: RebateAgreement) -> None:
        if instance.settled_at is not None:
            raise DomainError(
                _("Agreement %(code)s is settled and cannot be deleted.") % {"code": instance.code},
                code="rebate_settled",
            )
        super().perform_destroy(instance)

    @extend_schema(
        request=serializers.RebateSettleInputSerializer,
        responses={200: serializers.RebateAgreementSerializer, 409: CONFLICT_RESPONSE},
    )
    @action(
        detail=True,
        methods=["post"],
        filter_backends=[],
        permission_classes=action_permissions(
            {"POST": ["pricing.change_rebateagreement"]}, "CanSettleRebates"
        ),
    )
    def settle(self, request: Request, pk: str | None = None) -> Response:
        """Close the agreement once its period has ended: turnover and rebate are frozen
        (``settled_turnover``, ``settled_amount``). Settling twice or before the end of
        the period is refused with 409 (``invalid_transition``)."""
        body = serializers.RebateSettleInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        on_date = body.validated_data.get("on") or timezone.localdate()
        agreement = rebate_settle(self.get_object(), on_date=on_date, user=request.user)
        return Response(self.output_data(agreement))

    @extend_schema(
        parameters=[serializers.RebateStatusQuerySerializer],
        responses=serializers.RebateStatusSerializer,
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        permission_classes=action_permissions(
            {"GET": ["pricing.view_rebateagreement"]}, "CanViewRebates"
        ),
    )
    def status(self, request: Request, pk: str | None = None) -> Response:
        """Turnover to date, the rebate accrued on it (rate reached, slices) and both
        projected linearly to the end of the period."""
        query = serializers.RebateStatusQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        on_date = query.validated_data.get("on") or timezone.localdate()
        result = rebate_status(self.get_object(), on_date=on_date)
        return Response(
            serializers.RebateStatusSerializer(serializers.rebate_status_data(result)).data
        )


# --------------------------------------------------------------------------- quote


class QuoteView(APIView):
    """Price a basket of up to 10,000 lines for a customer node on a date, in one set
    of queries whatever the number of lines. Needs ``view_pricelistitem``."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = (
        IsAuthenticated,
        require_permissions({"POST": model_permissions(PriceListItem, ["view"])}, name="CanQuote"),
    )

    @extend_schema(
        request=serializers.QuoteRequestSerializer,
        responses={200: serializers.QuoteSerializer, 400: VALIDATION_RESPONSE},
    )
    def post(self, request: Request) -> Response:
        """Each priced line carries its breakdown (gross price and list, the six levels
        with their sources, net price, free goods, margin, flags); a price you give is
        compared (``price_difference``), never used. Lines without a gross price are
        listed in ``unpriced``. A bad line (unknown article or GTIN, quantity ≤ 0,
        blocked article…) refuses the whole basket: 400 with every bad line in
        ``details.lines`` (index, line_id, field, code, message)."""
        serializer = serializers.QuoteRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        lines: list[serializers.QuoteLine] = data["lines"]
        result = price_basket(
            node=data["node"],
            lines=[line.basket_line() for line in lines],
            on_date=data["on_date"],
        )
        return Response(serializers.quote_data(result, lines))
