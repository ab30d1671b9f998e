"""Receipts: list, draft entry with lines (lots, DLC/DDM, serials), posting, detail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, Q, QuerySet
from django.forms import BaseModelForm
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView

from trade.views.common import FilteredListView, SectionMixin

from ..forms import ReceiptFilterForm, ReceiptForm, ReceiptLineFormSet, warehouse_of
from ..models import DocumentStatus, Lot, Receipt, StockMove
from ..services.documents import receipt_post
from .common import DocumentActionView, DraftDocumentFormView, ExpiryContextMixin

POST_PERMISSION = "logistics.change_receipt"


class ReceiptListView(FilteredListView):
    permission_required = "logistics.view_receipt"
    template_name = "logistics/receipts/list.html"
    filter_form_class = ReceiptFilterForm
    section = "receipts"
    context_object_name = "receipts"

    def get_queryset(self) -> QuerySet[Receipt]:
        filters = self.filters()
        queryset = Receipt.objects.select_related("warehouse", "supplier").annotate(
            line_count=Count("lines")
        )
        search = filters.get("q", "").strip()
        if search:
            queryset = queryset.filter(Q(number__icontains=search) | Q(reference__icontains=search))
        if filters.get("status"):
            queryset = queryset.filter(status=filters["status"])
        if filters.get("warehouse") is not None:
            queryset = queryset.filter(warehouse=filters["warehouse"])
        if filters.get("supplier") is not None:
            queryset = queryset.filter(supplier=filters["supplier"])
        return queryset.order_by("-received_on", "-pk")


class ReceiptFormView(DraftDocumentFormView):
    """A draft receipt with its lines; "Save and post" posts it in the same
    transaction, so a refused line leaves nothing behind, not even the draft."""

    template_name = "logistics/receipts/form.html"
    section = "receipts"
    model = Receipt
    form_class = ReceiptForm
    lines_formset_class = ReceiptLineFormSet
    detail_url_name = "logistics:receipt_detail"
    not_draft_text = gettext_lazy("A posted receipt cannot be changed.")
    post_permission = POST_PERMISSION
    posted_text = gettext_lazy("Receipt %(object)s posted: the goods are in stock.")
    success_message = gettext_lazy("Draft receipt %(object)s saved.")

    def line_form_kwargs(self, form: BaseModelForm) -> dict[str, Any]:
        return {"warehouse": warehouse_of(form, "warehouse")}

    def post_document(self, document: Receipt, form: BaseModelForm) -> Receipt:
        return receipt_post(document, user=self.request.user)


class ReceiptCreateView(ReceiptFormView):
    permission_required = ("logistics.add_receipt", "logistics.add_receiptline")


class ReceiptUpdateView(ReceiptFormView):
    permission_required = (
        "logistics.change_receipt",
        "logistics.add_receiptline",
        "logistics.change_receiptline",
        "logistics.delete_receiptline",
    )


class ReceiptDetailView(ExpiryContextMixin, SectionMixin, PermissionRequiredMixin, DetailView):
    permission_required = "logistics.view_receipt"
    section = "receipts"
    template_name = "logistics/receipts/detail.html"
    context_object_name = "receipt"
    queryset = Receipt.objects.select_related("warehouse", "supplier", "created_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        receipt: Receipt = self.object
        lines = list(receipt.lines.select_related("article", "location__warehouse"))
        lots = {
            (lot.article_id, lot.number): lot
            for lot in Lot.objects.filter(
                article_id__in={line.article_id for line in lines},
                number__in={line.lot_number for line in lines if line.lot_number},
            )
        }
        context["lines"] = [(line, lots.get((line.article_id, line.lot_number))) for line in lines]
        context["moves"] = StockMove.objects.filter(
            document_type="receipt", document_id=str(receipt.pk)
        ).select_related("article", "lot", "serial", "to_location__warehouse")
        context["is_draft"] = receipt.status == DocumentStatus.DRAFT
        return context


class ReceiptPostView(DocumentActionView):
    permission_required = POST_PERMISSION
    model = Receipt
    detail_url_name = "logistics:receipt_detail"
    success_text = gettext_lazy("Receipt %(object)s posted: the goods are in stock.")

    def run(self, obj: Receipt) -> Receipt:
        return receipt_post(obj, user=self.request.user)
