"""Thin API views of the trade domain.

Each view authenticates (token or session), checks the role's permissions, validates
the request with an input serializer, calls a service or a selector, and answers
with an output serializer. Errors leave through ``comptoir.api.exception_handler``
as ``{code, message, details}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.db.models import Model, Prefetch, ProtectedError, QuerySet, RestrictedError
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from comptoir.exceptions import DomainError
from comptoir.permissions import RoleModelPermissions
from trade.models import (
    Article,
    ArticleFamily,
    Brand,
    Company,
    CustomerAddress,
    CustomerArticleReference,
    CustomerContact,
    CustomerNode,
    DocumentTemplate,
    KitComponent,
    Packaging,
    PaymentTerms,
    PriceList,
    Supplier,
    SupplierAddress,
    SupplierArticle,
    SupplierContact,
)
from trade.selectors import (
    article_by_gtin,
    customer_node_ancestors,
    customer_node_effective_settings,
    customer_tree_children,
    global_search,
)
from trade.services import customer_article_reference_delete, kit_components_set

from . import filters, serializers
from .permissions import API_AUTHENTICATION, has_permissions, model_permissions, require_permissions

WRITE_ACTIONS = frozenset({"create", "update", "partial_update"})
EDIT_ACTIONS = ("add", "change", "delete")


class ApiPagination(PageNumberPagination):
    """Pages of 50 by default; integrators may ask for up to 500 with ``page_size``."""

    page_size_query_param = "page_size"
    max_page_size = 500


class TradeAutoSchema(AutoSchema):
    """Describes writes with the input serializer as request and the output one as response."""

    def get_response_serializers(self) -> Any:
        view = self.view
        output = getattr(view, "output_serializer_class", None)
        if getattr(view, "action", None) in WRITE_ACTIONS and output is not None:
            return output
        return super().get_response_serializers()


class TradeViewSet(viewsets.ModelViewSet):
    """CRUD over one model: input serializer in, output serializer out.

    Reads need the role's ``view_<model>`` permission, writes its add/change/delete
    one (``RoleModelPermissions``). Nested lists written with the parent
    (``nested_write_models``) also need the edit permissions of their own model.
    """

    authentication_classes = API_AUTHENTICATION
    permission_classes = (IsAuthenticated, RoleModelPermissions)
    pagination_class = ApiPagination
    schema = TradeAutoSchema()

    output_serializer_class: ClassVar[type[BaseSerializer]]
    input_serializer_class: ClassVar[type[BaseSerializer] | None] = None
    nested_write_models: ClassVar[dict[str, type[Model]]] = {}

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action in WRITE_ACTIONS and self.input_serializer_class is not None:
            return self.input_serializer_class
        return self.output_serializer_class

    def check_nested_write_permissions(self, request: Request) -> None:
        if not isinstance(request.data, Mapping):
            return
        for field, model in self.nested_write_models.items():
            if field in request.data and not has_permissions(
                request, model_permissions(model, EDIT_ACTIONS)
            ):
                self.permission_denied(
                    request,
                    message=_("You may not edit %(what)s.")
                    % {"what": model._meta.verbose_name_plural},
                    code="permission_denied",
                )

    def output_data(self, instance: Model) -> Any:
        # Reload through get_queryset so nested rows written with the parent are fresh.
        fresh = self.get_queryset().get(pk=instance.pk)
        return self.output_serializer_class(fresh, context=self.get_serializer_context()).data

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.check_nested_write_permissions(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = serializer.save()
        return Response(self.output_data(instance), status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        self.check_nested_write_permissions(request)
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        instance = serializer.save()
        return Response(self.output_data(instance))

    def perform_destroy(self, instance: Model) -> None:
        try:
            instance.delete()
        except (ProtectedError, RestrictedError) as exc:
            rows = (
                exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
            )
            blockers = sorted({str(row) for row in list(rows)[:20]})
            raise DomainError(
                _("%(object)s is still in use and cannot be deleted; deactivate it instead.")
                % {"object": instance},
                code="protected",
                referenced_by=blockers,
            ) from exc


def _detail_action_permissions(
    by_method: Mapping[str, list[str]], name: str
) -> list[type[BasePermission]]:
    return [IsAuthenticated, RoleModelPermissions, require_permissions(by_method, name=name)]


# --------------------------------------------------------------------------- customers


class CustomerViewSet(TradeViewSet):
    """The customer hierarchy: chains, buying groups, platforms and stores.

    A node's own settings are returned as stored (empty: inherited); the resolved
    values and their source are at ``effective-settings``. ``addresses`` and
    ``contacts`` are written with the node and replace its current ones.
    """

    queryset = CustomerNode.objects.prefetch_related("addresses", "contacts")
    output_serializer_class = serializers.CustomerSerializer
    input_serializer_class = serializers.CustomerInputSerializer
    filterset_class = filters.CustomerFilter
    search_fields = ("code", "name", "=gln", "=siret")
    ordering_fields = ("code", "name", "kind", "depth", "path", "created_at")
    nested_write_models = {"addresses": CustomerAddress, "contacts": CustomerContact}

    @extend_schema(responses=serializers.EffectiveSettingsSerializer)
    @action(
        detail=True,
        methods=["get"],
        url_path="effective-settings",
        filter_backends=[],
        pagination_class=None,
        permission_classes=_detail_action_permissions(
            {"GET": ["trade.view_customernode"]}, "CanViewCustomerSettings"
        ),
    )
    def effective_settings(self, request: Request, pk: str | None = None) -> Response:
        """Every inheritable setting of the node: its value, the node it comes from
        (itself, an ancestor, or null when nobody sets it) and whether it is inherited."""
        node = self.get_object()
        resolved = customer_node_effective_settings(node.pk)
        data = serializers.effective_settings_data(resolved)
        return Response(serializers.EffectiveSettingsSerializer(data).data)

    @extend_schema(responses=serializers.CustomerTreeNodeSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def children(self, request: Request, pk: str | None = None) -> Response:
        """Direct children of the node, with their own child count (the tree, level by level)."""
        node = self.get_object()
        page = self.paginate_queryset(customer_tree_children(node))
        return self.get_paginated_response(
            serializers.CustomerTreeNodeSerializer(page, many=True).data
        )

    @extend_schema(responses=serializers.CustomerBriefSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def ancestors(self, request: Request, pk: str | None = None) -> Response:
        """Ancestors of the node from the root down (the node itself excluded)."""
        node = self.get_object()
        return Response(
            serializers.CustomerBriefSerializer(customer_node_ancestors(node), many=True).data
        )


class CustomerArticleReferenceViewSet(TradeViewSet):
    """Customers' own article numbers (EANCOM ``PIA+1+<code>:IN``) and the article and
    packaging level ('' = base unit) each stands for. A reference set on a chain or a
    buying group applies to every node below it; the nearest node's wins. EDI ORDERS
    lines without a known GTIN or our code are resolved through them."""

    queryset = CustomerArticleReference.objects.select_related("customer_node", "article")
    output_serializer_class = serializers.CustomerArticleReferenceSerializer
    input_serializer_class = serializers.CustomerArticleReferenceInputSerializer
    filterset_class = filters.CustomerArticleReferenceFilter
    search_fields = ("code", "article__code", "description")
    ordering_fields = ("code", "customer_node__code", "article__code", "created_at", "updated_at")

    def perform_destroy(self, instance: Model) -> None:
        customer_article_reference_delete(reference=instance)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- suppliers


class SupplierViewSet(TradeViewSet):
    """Suppliers; ``addresses`` and ``contacts`` are written with the supplier."""

    queryset = Supplier.objects.prefetch_related("addresses", "contacts")
    output_serializer_class = serializers.SupplierSerializer
    input_serializer_class = serializers.SupplierInputSerializer
    filterset_class = filters.SupplierFilter
    search_fields = ("code", "name", "=gln", "=siret")
    ordering_fields = ("code", "name", "lead_time_days", "created_at")
    nested_write_models = {"addresses": SupplierAddress, "contacts": SupplierContact}


class SupplierArticleViewSet(TradeViewSet):
    """Supplier references and purchase prices (per base unit) of articles."""

    queryset = SupplierArticle.objects.select_related("supplier")
    output_serializer_class = serializers.SupplierArticleSerializer
    input_serializer_class = serializers.SupplierArticleInputSerializer
    filterset_class = filters.SupplierArticleFilter
    search_fields = ("supplier_reference", "article__code", "supplier__code")
    ordering_fields = ("purchase_price", "supplier__code", "article__code")


# --------------------------------------------------------------------------- catalogue


class ArticleFamilyViewSet(TradeViewSet):
    """The family tree of the catalogue; moving a family moves its subtree."""

    queryset = ArticleFamily.objects.all()
    output_serializer_class = serializers.ArticleFamilySerializer
    input_serializer_class = serializers.ArticleFamilyInputSerializer
    filterset_class = filters.ArticleFamilyFilter
    search_fields = ("code", "name")
    ordering_fields = ("path", "code", "name")


class BrandViewSet(TradeViewSet):
    queryset = Brand.objects.all()
    output_serializer_class = serializers.BrandSerializer
    search_fields = ("name",)
    ordering_fields = ("name",)


class ArticleViewSet(TradeViewSet):
    """Articles with their packagings (written with the article, matched by level),
    kit components (``components``) and supplier references (read here, written at
    ``/api/supplier-articles/``)."""

    queryset = Article.objects.select_related("brand", "family").prefetch_related(
        "packagings",
        Prefetch("components", queryset=KitComponent.objects.select_related("component")),
        Prefetch("supplier_articles", queryset=SupplierArticle.objects.select_related("supplier")),
    )
    output_serializer_class = serializers.ArticleSerializer
    input_serializer_class = serializers.ArticleInputSerializer
    filterset_class = filters.ArticleFilter
    search_fields = ("code", "designation")
    ordering_fields = ("code", "designation", "created_at")
    nested_write_models = {"packagings": Packaging}

    def _components_data(self, article: Article) -> Any:
        rows: QuerySet[KitComponent] = KitComponent.objects.filter(kit=article).select_related(
            "component"
        )
        return serializers.KitComponentsSerializer({"components": rows}).data

    @extend_schema(methods=["GET"], responses=serializers.KitComponentsSerializer)
    @extend_schema(
        methods=["PUT"],
        request=serializers.KitComponentsInputSerializer,
        responses=serializers.KitComponentsSerializer,
    )
    @action(
        detail=True,
        methods=["get", "put"],
        filter_backends=[],
        pagination_class=None,
        permission_classes=_detail_action_permissions(
            {
                "GET": ["trade.view_kitcomponent"],
                "PUT": model_permissions(KitComponent, EDIT_ACTIONS),
            },
            "CanEditKitComponents",
        ),
    )
    def components(self, request: Request, pk: str | None = None) -> Response:
        """The bill of materials of a kit. PUT replaces it whole; a cycle (a component
        that contains the kit, however deep), a repeated component or a non-positive
        quantity is refused and nothing changes."""
        article = self.get_object()
        if request.method == "PUT":
            serializer = serializers.KitComponentsInputSerializer(
                data=request.data, context=self.get_serializer_context()
            )
            serializer.is_valid(raise_exception=True)
            kit_components_set(
                kit=article,
                components=[
                    (row["component"], row["quantity"])
                    for row in serializer.validated_data["components"]
                ],
            )
        return Response(self._components_data(article))

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "gtin",
                str,
                OpenApiParameter.PATH,
                pattern=r"^\d{8,14}$",
                description="GTIN-8/12/13/14; a GTIN-13 also finds its zero-padded GTIN-14 and back.",
            )
        ],
        responses=serializers.GtinMatchSerializer,
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"by-gtin/(?P<gtin>\d{8,14})",
        filter_backends=[],
        pagination_class=None,
        permission_classes=_detail_action_permissions(
            {"GET": ["trade.view_packaging"]}, "CanViewPackagings"
        ),
    )
    def by_gtin(self, request: Request, gtin: str) -> Response:
        """The packaging a scanned or keyed GTIN identifies, and its article."""
        packaging = article_by_gtin(gtin)
        if packaging is None:
            raise NotFound(_("No packaging has GTIN %(gtin)s.") % {"gtin": gtin})
        article = self.get_queryset().get(pk=packaging.article_id)
        data = {"packaging": packaging, "article": article}
        return Response(
            serializers.GtinMatchSerializer(data, context=self.get_serializer_context()).data
        )


# --------------------------------------------------------------- reference data


class PaymentTermsViewSet(TradeViewSet):
    queryset = PaymentTerms.objects.all()
    output_serializer_class = serializers.PaymentTermsSerializer
    filterset_class = filters.PaymentTermsFilter
    search_fields = ("code", "label")
    ordering_fields = ("days", "code")


class PriceListViewSet(TradeViewSet):
    """Price list headers; their prices belong to the pricing API."""

    queryset = PriceList.objects.all()
    output_serializer_class = serializers.PriceListSerializer
    filterset_class = filters.PriceListFilter
    search_fields = ("code", "name")
    ordering_fields = ("code", "name")


class DocumentTemplateViewSet(TradeViewSet):
    queryset = DocumentTemplate.objects.all()
    output_serializer_class = serializers.DocumentTemplateSerializer
    filterset_class = filters.DocumentTemplateFilter
    search_fields = ("code", "name")
    ordering_fields = ("code", "name")


class CompanyView(GenericAPIView):
    """Our company (the single row): read with ``view_company``, written with
    ``change_company``. The first PUT creates the row."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = (
        IsAuthenticated,
        require_permissions(
            {
                "GET": ["trade.view_company"],
                "PUT": ["trade.change_company"],
                "PATCH": ["trade.change_company"],
            },
            name="CanEditCompany",
        ),
    )
    serializer_class = serializers.CompanySerializer

    def _company(self) -> Company | None:
        return Company.objects.filter(pk=1).first()

    def get(self, request: Request) -> Response:
        company = self._company()
        if company is None:
            raise NotFound(_("The company has not been set up yet."))
        return Response(self.get_serializer(company).data)

    def put(self, request: Request) -> Response:
        company = self._company()
        serializer = self.get_serializer(company, data=request.data)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(
            serializer.data, status=status.HTTP_200_OK if company else status.HTTP_201_CREATED
        )

    def patch(self, request: Request) -> Response:
        company = self._company()
        if company is None:
            raise NotFound(_("The company has not been set up yet."))
        serializer = self.get_serializer(company, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data)


# --------------------------------------------------------------------------- search

SEARCH_PERMISSIONS = {
    "customer": "trade.view_customernode",
    "supplier": "trade.view_supplier",
    "article": "trade.view_article",
}


class CanSearch(BasePermission):
    """Search needs the view permission of at least one searched kind."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return any(
            has_permissions(request, [permission]) for permission in SEARCH_PERMISSIONS.values()
        )


class SearchView(APIView):
    """Global search over customers, suppliers and articles by code, name, GLN,
    SIRET or GTIN, restricted to the kinds the user may view."""

    authentication_classes = API_AUTHENTICATION
    permission_classes = (IsAuthenticated, CanSearch)

    @extend_schema(
        parameters=[serializers.SearchQuerySerializer],
        responses=serializers.SearchHitSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = serializers.SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data.get("kinds") or set(serializers.SEARCH_KINDS)
        kinds = [
            kind
            for kind in serializers.SEARCH_KINDS
            if kind in wanted and has_permissions(request, [SEARCH_PERMISSIONS[kind]])
        ]
        hits = global_search(
            query.validated_data["q"], limit=query.validated_data["limit"], kinds=kinds
        )
        return Response(serializers.SearchHitSerializer(hits, many=True).data)
