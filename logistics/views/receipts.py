"""Receipts: list, draft entry with lines (lots, DLC/DDM, serials), posting, detail."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.forms import BaseFormSet, BaseModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView

from trade.views.common import FilteredListView, SectionMixin

from ..forms import ReceiptFilterForm, ReceiptForm, ReceiptLineFormSet, warehouse_of
from ..models import DocumentStatus, Lot, Receipt, StockMove
from ..services.documents import receipt_post
from .common import DocumentActionView, ExpiryContextMixin, StockFormView

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


class ReceiptFormView(StockFormView):
    """A draft receipt with its lines; "Save and post" posts it in the same
    transaction, so a refused line leaves nothing behind, not even the draft."""

    template_name = "logistics/receipts/form.html"
    section = "receipts"

    def get_object(self) -> Receipt | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(Receipt, pk=self.kwargs["pk"])

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "pk" in kwargs and self.has_permission():
            receipt = get_object_or_404(Receipt, pk=kwargs["pk"])
            if receipt.status != DocumentStatus.DRAFT:
                messages.error(request, _("A posted receipt cannot be changed."))
                return HttpResponseRedirect(reverse("logistics:receipt_detail", args=[receipt.pk]))
        return super().dispatch(request, *args, **kwargs)

    def build(self, data: Any | None) -> tuple[BaseModelForm, dict[str, BaseFormSet]]:
        receipt = self.object if self.object is not None else Receipt(created_by=self.request.user)
        form = ReceiptForm(data, instance=receipt)
        lines = ReceiptLineFormSet(
            data,
            instance=receipt,
            prefix="lines",
            form_kwargs={"warehouse": warehouse_of(form, "warehouse")},
        )
        return form, {"lines": lines}

    def write(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> Receipt:
        posting = self.posting_requested()
        if posting and not self.request.user.has_perm(POST_PERMISSION):
            raise PermissionDenied
        receipt: Receipt = form.save()
        lines = formsets["lines"]
        lines.instance = receipt  # type: ignore[attr-defined]
        lines.save()  # type: ignore[attr-defined]
        if posting:
            receipt = receipt_post(receipt, user=self.request.user)
            self.success_message = gettext_lazy(
                "Receipt %(object)s posted: the goods are in stock."
            )
        return receipt

    def success_url(self, obj: Any) -> str:
        return reverse("logistics:receipt_detail", args=[obj.pk])


class ReceiptCreateView(ReceiptFormView):
    permission_required = ("logistics.add_receipt", "logistics.add_receiptline")
    success_message = gettext_lazy("Draft receipt %(object)s saved.")


class ReceiptUpdateView(ReceiptFormView):
    permission_required = (
        "logistics.change_receipt",
        "logistics.add_receiptline",
        "logistics.change_receiptline",
        "logistics.delete_receiptline",
    )
    success_message = gettext_lazy("Draft receipt %(object)s saved.")


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
