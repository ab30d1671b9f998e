"""Kit assembly orders: create (kit, quantity, location), post, detail with the moves."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Q, QuerySet
from django.forms import BaseModelForm
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView

from comptoir.exceptions import ValidationFailed
from trade.views.common import FilteredListView, SectionMixin

from ..forms import AssemblyFilterForm, AssemblyForm, AssemblyPostForm
from ..models import AssemblyOrder, DocumentStatus, StockMove
from ..services.documents import assembly_post
from .common import DocumentActionView, DraftDocumentFormView, ExpiryContextMixin

POST_PERMISSION = "logistics.change_assemblyorder"


class AssemblyListView(FilteredListView):
    permission_required = "logistics.view_assemblyorder"
    template_name = "logistics/assemblies/list.html"
    filter_form_class = AssemblyFilterForm
    section = "assemblies"
    context_object_name = "orders"

    def get_queryset(self) -> QuerySet[AssemblyOrder]:
        filters = self.filters()
        queryset = AssemblyOrder.objects.select_related("kit", "location__warehouse", "kit_lot")
        search = filters.get("q", "").strip()
        if search:
            queryset = queryset.filter(Q(kit__code__icontains=search) | Q(number__icontains=search))
        if filters.get("status"):
            queryset = queryset.filter(status=filters["status"])
        return queryset.order_by("-created_at", "-pk")


class AssemblyCreateView(DraftDocumentFormView):
    """A draft order; "Save and post" assembles at once, in the same transaction."""

    permission_required = "logistics.add_assemblyorder"
    template_name = "logistics/assemblies/form.html"
    section = "assemblies"
    model = AssemblyOrder
    form_class = AssemblyForm
    detail_url_name = "logistics:assembly_detail"
    post_permission = POST_PERMISSION
    posted_text = gettext_lazy("Assembly order %(object)s posted: the kits are in stock.")
    success_message = gettext_lazy("Draft assembly order %(object)s saved.")

    def post_document(self, document: AssemblyOrder, form: BaseModelForm) -> AssemblyOrder:
        return assembly_post(
            document, kit_lot_number=form.cleaned_data["kit_lot_number"], user=self.request.user
        )


class AssemblyDetailView(ExpiryContextMixin, SectionMixin, PermissionRequiredMixin, DetailView):
    permission_required = "logistics.view_assemblyorder"
    section = "assemblies"
    template_name = "logistics/assemblies/detail.html"
    context_object_name = "order"
    queryset = AssemblyOrder.objects.select_related(
        "kit", "location__warehouse", "kit_lot", "created_by"
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        order: AssemblyOrder = self.object
        context["components"] = order.kit.components.select_related("component").order_by(
            "component__code"
        )
        context["moves"] = StockMove.objects.filter(
            document_type="assembly", document_id=str(order.pk)
        ).select_related("article", "lot", "from_location__warehouse", "to_location__warehouse")
        context["is_draft"] = order.status == DocumentStatus.DRAFT
        context["post_form"] = AssemblyPostForm()
        return context


class AssemblyPostView(DocumentActionView):
    permission_required = POST_PERMISSION
    model = AssemblyOrder
    detail_url_name = "logistics:assembly_detail"
    success_text = gettext_lazy("Assembly order %(object)s posted: the kits are in stock.")

    def run(self, obj: AssemblyOrder) -> AssemblyOrder:
        form = AssemblyPostForm(self.request.POST)
        if not form.is_valid():
            raise ValidationFailed({name: list(errors) for name, errors in form.errors.items()})
        return assembly_post(
            obj, kit_lot_number=form.cleaned_data["kit_lot_number"], user=self.request.user
        )
