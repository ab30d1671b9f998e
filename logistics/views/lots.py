"""The lot card: identity, where it is, where it came from, every customer it reached
(directly or inside a kit), and the actions on it: quarantine, block, release,
recall, export the recall list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, TemplateView

from comptoir.exceptions import DomainError
from trade.views.common import SectionMixin

from ..models import Lot, LotStatus, Reservation, ReservationStatus
from ..selectors import (
    LotTrace,
    TraceDownstream,
    TraceUpstream,
    lot_trace,
    recall_customers_csv,
    stock_balances,
)
from ..services.recall import lot_status_set
from .common import DocumentRef, ExpiryContextMixin, document_refs, error_messages, split_document


@dataclass(frozen=True)
class LotAction:
    """A status change offered on the lot card, from the statuses it makes sense from."""

    status: str
    allowed_from: frozenset[str]
    label: Promise
    question: Promise
    explanation: Promise
    done: Promise


LOT_ACTIONS: dict[str, LotAction] = {
    "quarantine": LotAction(
        status=LotStatus.QUARANTINED,
        allowed_from=frozenset({LotStatus.AVAILABLE, LotStatus.BLOCKED}),
        label=gettext_lazy("Quarantine"),
        question=gettext_lazy("Put this lot in quarantine?"),
        explanation=gettext_lazy(
            "A quarantined lot stays on hand but is no longer allocated, until it is released."
        ),
        done=gettext_lazy("Lot %(lot)s is in quarantine."),
    ),
    "block": LotAction(
        status=LotStatus.BLOCKED,
        allowed_from=frozenset({LotStatus.AVAILABLE, LotStatus.QUARANTINED}),
        label=gettext_lazy("Block"),
        question=gettext_lazy("Block this lot?"),
        explanation=gettext_lazy(
            "A blocked lot stays on hand but is never allocated again. Its existing "
            "reservations stay: the order desk releases them (the anomalies report lists them)."
        ),
        done=gettext_lazy("Lot %(lot)s is blocked."),
    ),
    "release": LotAction(
        status=LotStatus.AVAILABLE,
        allowed_from=frozenset({LotStatus.QUARANTINED, LotStatus.BLOCKED}),
        label=gettext_lazy("Release"),
        question=gettext_lazy("Release this lot?"),
        explanation=gettext_lazy("A released lot is available again and allocated like any other."),
        done=gettext_lazy("Lot %(lot)s is available again."),
    ),
}


@dataclass(frozen=True)
class UpstreamRow:
    row: TraceUpstream
    document: DocumentRef


@dataclass(frozen=True)
class DownstreamRow:
    row: TraceDownstream
    documents: tuple[DocumentRef, ...]


def trace_rows(trace: LotTrace) -> tuple[list[UpstreamRow], list[DownstreamRow]]:
    """The trace's rows with their documents resolved to numbers and pages."""
    names = [row.document for row in trace.upstream]
    names += [document for row in trace.downstream for document in row.documents]
    refs = document_refs(split_document(name) for name in names)
    upstream = [UpstreamRow(row, refs[split_document(row.document)]) for row in trace.upstream]
    downstream = [
        DownstreamRow(row, tuple(refs[split_document(name)] for name in row.documents))
        for row in trace.downstream
    ]
    return upstream, downstream


def lot_queryset() -> Any:
    return Lot.objects.select_related("article", "supplier")


def available_actions(lot: Lot) -> list[tuple[str, LotAction]]:
    return [
        (name, action) for name, action in LOT_ACTIONS.items() if lot.status in action.allowed_from
    ]


class LotCardView(ExpiryContextMixin, SectionMixin, PermissionRequiredMixin, DetailView):
    permission_required = "logistics.view_lot"
    template_name = "logistics/lots/card.html"
    context_object_name = "lot"
    section = "lots"

    def get_queryset(self) -> Any:
        return lot_queryset()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        lot: Lot = self.object
        trace = lot_trace(lot)
        upstream, downstream = trace_rows(trace)
        context.update(
            {
                "trace": trace,
                "upstream": upstream,
                "downstream": downstream,
                "balances": stock_balances(lot_id=lot.pk),
                "reservation_count": Reservation.objects.filter(
                    balance__lot=lot, status=ReservationStatus.ACTIVE
                ).count(),
                "recalls": lot.recalls.order_by("-created_at"),
                "actions": available_actions(lot),
            }
        )
        return context


class LotStatusView(SectionMixin, PermissionRequiredMixin, TemplateView):
    """A confirmation page (what the lot holds and whom it reached) and the POST that
    changes the lot's status through ``lot_status_set``."""

    permission_required = "logistics.change_lot"
    template_name = "logistics/lots/confirm_status.html"
    section = "lots"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_permission():
            return self.handle_no_permission()
        self.lot = get_object_or_404(lot_queryset(), pk=kwargs["pk"])
        if kwargs["action"] not in LOT_ACTIONS:
            raise Http404(_("Unknown action."))
        self.action = LOT_ACTIONS[kwargs["action"]]
        if self.lot.status not in self.action.allowed_from:
            messages.error(
                request,
                _("Lot %(lot)s is %(status)s: this action does not apply.")
                % {"lot": self.lot.number, "status": self.lot.get_status_display()},
            )
            return HttpResponseRedirect(reverse("logistics:lot_detail", args=[self.lot.pk]))
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            lot_status_set(self.lot, status=self.action.status)
        except DomainError as exc:
            return self.render_to_response(self.get_context_data(errors=error_messages(exc)))
        messages.success(request, self.action.done % {"lot": self.lot.number})
        return HttpResponseRedirect(reverse("logistics:lot_detail", args=[self.lot.pk]))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        trace = lot_trace(self.lot)
        context.update({"lot": self.lot, "action": self.action, "trace": trace})
        return context


def csv_response(content: str, filename: str) -> HttpResponse:
    """A CSV download; the byte-order mark lets spreadsheet software read the accents."""
    response = HttpResponse("\ufeff" + content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@permission_required(("logistics.view_lot", "logistics.view_recall"), raise_exception=True)
def lot_recall_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The recall list of one lot: every customer it reached, with contacts."""
    lot = get_object_or_404(lot_queryset(), pk=pk)
    name = slugify(f"recall-{lot.article.code}-{lot.number}")
    return csv_response(recall_customers_csv([lot_trace(lot)]), f"{name}.csv")
