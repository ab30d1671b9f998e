"""Transfers between warehouses: draft with lines, ship (into transit), receive."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, Q, QuerySet
from django.forms import BaseModelForm
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView

from trade.views.common import FilteredListView, SectionMixin

from ..forms import TransferFilterForm, TransferForm, TransferLineFormSet, warehouse_of
from ..models import StockMove, Transfer, TransferStatus
from ..services.documents import transfer_receive, transfer_ship
from .common import DocumentActionView, DraftDocumentFormView

SHIP_PERMISSION = "logistics.change_transfer"


class TransferListView(FilteredListView):
    permission_required = "logistics.view_transfer"
    template_name = "logistics/transfers/list.html"
    filter_form_class = TransferFilterForm
    section = "transfers"
    context_object_name = "transfers"

    def get_queryset(self) -> QuerySet[Transfer]:
        filters = self.filters()
        queryset = Transfer.objects.select_related("from_warehouse", "to_warehouse").annotate(
            line_count=Count("lines")
        )
        if filters.get("status"):
            queryset = queryset.filter(status=filters["status"])
        warehouse = filters.get("warehouse")
        if warehouse is not None:
            queryset = queryset.filter(Q(from_warehouse=warehouse) | Q(to_warehouse=warehouse))
        return queryset.order_by("-created_at", "-pk")


class TransferFormView(DraftDocumentFormView):
    """A draft transfer; "Save and ship" sends it in the same transaction."""

    template_name = "logistics/transfers/form.html"
    section = "transfers"
    model = Transfer
    form_class = TransferForm
    lines_formset_class = TransferLineFormSet
    draft_status = TransferStatus.DRAFT
    detail_url_name = "logistics:transfer_detail"
    not_draft_text = gettext_lazy("A transfer that has left cannot be changed.")
    post_permission = SHIP_PERMISSION
    posted_text = gettext_lazy("Transfer %(object)s shipped: the goods are in transit.")
    success_message = gettext_lazy("Draft transfer %(object)s saved.")

    def line_form_kwargs(self, form: BaseModelForm) -> dict[str, Any]:
        return {
            "from_warehouse": warehouse_of(form, "from_warehouse"),
            "to_warehouse": warehouse_of(form, "to_warehouse"),
        }

    def post_document(self, document: Transfer, form: BaseModelForm) -> Transfer:
        return transfer_ship(document, user=self.request.user)


class TransferCreateView(TransferFormView):
    permission_required = ("logistics.add_transfer", "logistics.add_transferline")


class TransferUpdateView(TransferFormView):
    permission_required = (
        "logistics.change_transfer",
        "logistics.add_transferline",
        "logistics.change_transferline",
        "logistics.delete_transferline",
    )


class TransferDetailView(SectionMixin, PermissionRequiredMixin, DetailView):
    permission_required = "logistics.view_transfer"
    section = "transfers"
    template_name = "logistics/transfers/detail.html"
    context_object_name = "transfer"
    queryset = Transfer.objects.select_related("from_warehouse", "to_warehouse", "created_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        transfer: Transfer = self.object
        context["lines"] = transfer.lines.select_related(
            "article", "lot", "from_location__warehouse", "to_location__warehouse"
        )
        context["moves"] = StockMove.objects.filter(
            document_type="transfer", document_id=str(transfer.pk)
        ).select_related("article", "lot", "from_location__warehouse", "to_location__warehouse")
        return context


class TransferShipView(DocumentActionView):
    permission_required = SHIP_PERMISSION
    model = Transfer
    detail_url_name = "logistics:transfer_detail"
    success_text = gettext_lazy("Transfer %(object)s shipped: the goods are in transit.")

    def run(self, obj: Transfer) -> Transfer:
        return transfer_ship(obj, user=self.request.user)


class TransferReceiveView(DocumentActionView):
    permission_required = SHIP_PERMISSION
    model = Transfer
    detail_url_name = "logistics:transfer_detail"
    success_text = gettext_lazy("Transfer %(object)s received.")

    def run(self, obj: Transfer) -> Transfer:
        return transfer_receive(obj, user=self.request.user)
