"""Recalls: open one for chosen lots or a supplier's lots over a date range; its page
lists every affected customer with quantities and contacts; CSV export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView

from comptoir.exceptions import DomainError
from trade.models import CustomerContact, CustomerNode
from trade.views.common import FilteredListView, SectionMixin

from ..forms import RecallFilterForm, RecallForm, recall_reference_suggestion
from ..models import Lot, Recall
from ..selectors import LotTrace, TraceDownstream, lot_trace, recall_customers_csv
from ..services.recall import recall_open
from .common import (
    DocumentRef,
    ExpiryContextMixin,
    as_validation_failed,
    document_refs,
    split_document,
)
from .lots import csv_response


class RecallListView(FilteredListView):
    permission_required = "logistics.view_recall"
    template_name = "logistics/recalls/list.html"
    filter_form_class = RecallFilterForm
    section = "recalls"
    context_object_name = "recalls"

    def get_queryset(self) -> QuerySet[Recall]:
        queryset = Recall.objects.select_related("created_by").annotate(lot_count=Count("lots"))
        search = self.filters().get("q", "").strip()
        if search:
            queryset = queryset.filter(
                Q(reference__icontains=search) | Q(lots__number__iexact=search)
            ).distinct()
        return queryset.order_by("-created_at", "-pk")


class RecallCreateView(SectionMixin, PermissionRequiredMixin, FormView):
    """The form is the confirmation: submitting it recalls the lots at once."""

    permission_required = ("logistics.add_recall", "logistics.change_lot")
    template_name = "logistics/recalls/form.html"
    form_class = RecallForm
    section = "recalls"

    def requested_lot(self) -> Lot | None:
        raw = self.request.GET.get("lot", "")
        if not raw.isdigit():
            return None
        return Lot.objects.select_related("article").filter(pk=int(raw)).first()

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        initial["reference"] = recall_reference_suggestion()
        lot = self.requested_lot()
        if lot is not None:
            initial["article"] = lot.article.code
            initial["lot_numbers"] = lot.number
        return initial

    def form_valid(self, form: RecallForm) -> HttpResponse:
        data = form.cleaned_data
        supplier = data.get("supplier")
        article = data.get("article")
        try:
            recall = recall_open(
                reference=data["reference"],
                reason=data["reason"],
                lots=form.lots,
                supplier_id=supplier.pk if supplier else None,
                article_id=article.pk if article and supplier else None,
                received_from=data.get("received_from"),
                received_to=data.get("received_to"),
                user=self.request.user,
            )
        except DomainError as exc:
            for field, field_messages in as_validation_failed(exc).errors.items():
                for message in field_messages:
                    form.add_error(field if field in form.fields else None, message)
            return self.form_invalid(form)
        count = recall.lots.count()
        messages.success(
            self.request,
            _("Recall %(reference)s opened: %(count)s lots recalled.")
            % {"reference": recall.reference, "count": count},
        )
        return HttpResponseRedirect(reverse("logistics:recall_detail", args=[recall.pk]))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["lot"] = self.requested_lot()
        return context


@dataclass(frozen=True)
class AffectedRow:
    """One customer node a recalled lot reached, with whom to call."""

    lot: Lot
    row: TraceDownstream
    documents: tuple[DocumentRef, ...]
    contact: CustomerContact | None


def affected_rows(traces: list[LotTrace]) -> list[AffectedRow]:
    node_ids = {row.customer.pk for trace in traces for row in trace.downstream if row.customer}
    contacts: dict[int, CustomerContact | None] = {}
    for node in CustomerNode.objects.filter(pk__in=node_ids).prefetch_related("contacts"):
        contacts[node.pk] = next(iter(node.contacts.all()), None)
    refs = document_refs(
        split_document(name)
        for trace in traces
        for row in trace.downstream
        for name in row.documents
    )
    return [
        AffectedRow(
            lot=trace.lot,
            row=row,
            documents=tuple(refs[split_document(name)] for name in row.documents),
            contact=contacts.get(row.customer.pk) if row.customer else None,
        )
        for trace in traces
        for row in trace.downstream
    ]


def recall_traces(recall: Recall) -> list[LotTrace]:
    lots = recall.lots.select_related("article", "supplier").order_by("article__code", "number")
    return [lot_trace(lot) for lot in lots]


class RecallDetailView(ExpiryContextMixin, SectionMixin, PermissionRequiredMixin, DetailView):
    permission_required = "logistics.view_recall"
    template_name = "logistics/recalls/detail.html"
    context_object_name = "recall"
    section = "recalls"
    queryset = Recall.objects.select_related("created_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        traces = recall_traces(self.object)
        rows = affected_rows(traces)
        context.update(
            {
                "traces": traces,
                "rows": rows,
                "customer_count": len({r.row.customer.pk for r in rows if r.row.customer}),
                "on_hand": sum((trace.on_hand for trace in traces), 0),
            }
        )
        return context


@permission_required("logistics.view_recall", raise_exception=True)
def recall_csv(request: HttpRequest, pk: int) -> HttpResponse:
    recall = get_object_or_404(Recall, pk=pk)
    content = recall_customers_csv(recall_traces(recall))
    return csv_response(content, f"{slugify(recall.reference) or 'recall'}.csv")
