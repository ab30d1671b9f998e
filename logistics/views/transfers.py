"""Transfers between warehouses: draft with lines, ship (into transit), receive."""

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

from ..forms import TransferFilterForm, TransferForm, TransferLineFormSet, warehouse_of
from ..models import StockMove, Transfer, TransferStatus
from ..services.documents import transfer_receive, transfer_ship
from .common import DocumentActionView, StockFormView

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


class TransferFormView(StockFormView):
    """A draft transfer; "Save and ship" sends it in the same transaction."""

    template_name = "logistics/transfers/form.html"
    section = "transfers"

    def get_object(self) -> Transfer | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(Transfer, pk=self.kwargs["pk"])

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "pk" in kwargs and self.has_permission():
            transfer = get_object_or_404(Transfer, pk=kwargs["pk"])
            if transfer.status != TransferStatus.DRAFT:
                messages.error(request, _("A transfer that has left cannot be changed."))
                return HttpResponseRedirect(
                    reverse("logistics:transfer_detail", args=[transfer.pk])
                )
        return super().dispatch(request, *args, **kwargs)

    def build(self, data: Any | None) -> tuple[BaseModelForm, dict[str, BaseFormSet]]:
        transfer = (
            self.object if self.object is not None else Transfer(created_by=self.request.user)
        )
        form = TransferForm(data, instance=transfer)
        lines = TransferLineFormSet(
            data,
            instance=transfer,
            prefix="lines",
            form_kwargs={
                "from_warehouse": warehouse_of(form, "from_warehouse"),
                "to_warehouse": warehouse_of(form, "to_warehouse"),
            },
        )
        return form, {"lines": lines}

    def write(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> Transfer:
        shipping = self.posting_requested()
        if shipping and not self.request.user.has_perm(SHIP_PERMISSION):
            raise PermissionDenied
        transfer: Transfer = form.save()
        lines = formsets["lines"]
        lines.instance = transfer  # type: ignore[attr-defined]
        lines.save()  # type: ignore[attr-defined]
        if shipping:
            transfer = transfer_ship(transfer, user=self.request.user)
            self.success_message = gettext_lazy(
                "Transfer %(object)s shipped: the goods are in transit."
            )
        return transfer

    def success_url(self, obj: Any) -> str:
        return reverse("logistics:transfer_detail", args=[obj.pk])


class TransferCreateView(TransferFormView):
    permission_required = ("logistics.add_transfer", "logistics.add_transferline")
    success_message = gettext_lazy("Draft transfer %(object)s saved.")


class TransferUpdateView(TransferFormView):
    permission_required = (
        "logistics.change_transfer",
        "logistics.add_transferline",
        "logistics.change_transferline",
        "logistics.delete_transferline",
    )
    success_message = gettext_lazy("Draft transfer %(object)s saved.")


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
