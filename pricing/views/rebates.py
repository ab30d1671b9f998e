"""Year-end rebates (RFA): agreements, their tiers and where each stands on a date."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, Q, QuerySet
from django.forms import BaseFormSet, BaseModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from comptoir.exceptions import DomainError
from trade.views.common import FilteredListView, SectionMixin

from ..forms import RebateAgreementForm, RebateFilterForm, RebateStatusForm, RebateTierFormSet
from ..models import RebateAgreement
from ..selectors import rebate_status
from ..services import rebate_settle
from .common import ServiceFormView, domain_messages


def agreement_queryset() -> QuerySet[RebateAgreement]:
    return RebateAgreement.objects.select_related("node", "family")


class RebateListView(FilteredListView):
    permission_required = "pricing.view_rebateagreement"
    template_name = "pricing/rebates/list.html"
    filter_form_class = RebateFilterForm
    section = "rebates"
    context_object_name = "agreements"

    def get_queryset(self) -> QuerySet[RebateAgreement]:
        filters = self.filters()
        queryset = agreement_queryset().annotate(tier_count=Count("tiers"))
        search = filters.get("q", "").strip()
        if search:
            queryset = queryset.filter(
                Q(code__icontains=search)
                | Q(node__code__icontains=search)
                | Q(node__name__icontains=search)
            )
        running_on = filters.get("running_on")
        if running_on is not None:
            queryset = queryset.filter(period_start__lte=running_on, period_end__gte=running_on)
        return queryset.order_by("-period_start", "code")


class RebateDetailView(SectionMixin, PermissionRequiredMixin, TemplateView):
    """An agreement with its tiers, and its status on a chosen date (today by
    default, the period end once it is over): turnover so far, rebate accrued with
    its slices, and the same projected to the end of the period."""

    permission_required = ("pricing.view_rebateagreement", "pricing.view_saleshistoryline")
    template_name = "pricing/rebates/detail.html"
    section = "rebates"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        agreement = get_object_or_404(agreement_queryset(), pk=self.kwargs["pk"])
        default = min(timezone.localdate(), agreement.period_end)
        form = RebateStatusForm(
            self.request.GET if "on_date" in self.request.GET else None, default=default
        )
        on_date = form.cleaned_data["on_date"] if form.is_bound and form.is_valid() else default
        context.update(
            {
                "agreement": agreement,
                "tiers": agreement.tiers.all(),
                "form": form,
                "status": rebate_status(agreement, on_date=on_date),
                "can_edit": agreement.settled_at is None
                and self.request.user.has_perms(RebateUpdateView.permission_required),
                "can_settle": agreement.settled_at is None
                and timezone.localdate() > agreement.period_end
                and self.request.user.has_perm("pricing.change_rebateagreement"),
            }
        )
        return context


class RebateFormView(ServiceFormView):
    template_name = "pricing/rebates/form.html"
    section = "rebates"

    def get_object(self) -> RebateAgreement | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(agreement_queryset(), pk=self.kwargs["pk"])

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "pk" in kwargs and self.has_permission():
            agreement = get_object_or_404(RebateAgreement, pk=kwargs["pk"])
            if agreement.settled_at is not None:
                messages.error(request, _("A settled agreement cannot be changed."))
                return HttpResponseRedirect(reverse("pricing:rebate_detail", args=[agreement.pk]))
        return super().dispatch(request, *args, **kwargs)

    def build(self, data: Any | None) -> tuple[BaseModelForm, dict[str, BaseFormSet]]:
        agreement = self.object if self.object is not None else RebateAgreement()
        form = RebateAgreementForm(data, instance=agreement)
        return form, {"tiers": RebateTierFormSet(data, instance=agreement, prefix="tiers")}

    def write(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> RebateAgreement:
        # No pricing service writes agreements yet: an agreement and its tiers have no
        # rule beyond their own rows and constraints, which the forms check.
        agreement = form.save()
        formsets["tiers"].instance = agreement
        formsets["tiers"].save()
        return agreement

    def success_url(self, obj: Any) -> str:
        return reverse("pricing:rebate_detail", args=[obj.pk])


class RebateCreateView(RebateFormView):
    permission_required = ("pricing.add_rebateagreement", "pricing.add_rebatetier")
    success_message = gettext_lazy("Rebate agreement %(object)s created.")


class RebateUpdateView(RebateFormView):
    permission_required = (
        "pricing.change_rebateagreement",
        "pricing.add_rebatetier",
        "pricing.change_rebatetier",
        "pricing.delete_rebatetier",
    )
    success_message = gettext_lazy("Rebate agreement %(object)s saved.")


class RebateSettleView(SectionMixin, PermissionRequiredMixin, TemplateView):
    """Settle an agreement whose period is over: a confirmation with the rebate earned
    over the whole period, then the POST that freezes it (``rebate_settle``)."""

    permission_required = ("pricing.change_rebateagreement", "pricing.view_saleshistoryline")
    template_name = "pricing/rebates/settle.html"
    section = "rebates"
    agreement: RebateAgreement

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_permission():
            return self.handle_no_permission()
        self.agreement = get_object_or_404(agreement_queryset(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            rebate_settle(self.agreement, on_date=timezone.localdate(), user=request.user)
        except DomainError as exc:
            return self.render_to_response(self.get_context_data(errors=domain_messages(exc)))
        messages.success(request, _("Agreement %(code)s settled.") % {"code": self.agreement.code})
        return HttpResponseRedirect(reverse("pricing:rebate_detail", args=[self.agreement.pk]))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        agreement = self.agreement
        context.update(
            {
                "agreement": agreement,
                "status": rebate_status(agreement, on_date=agreement.period_end),
                "is_over": timezone.localdate() > agreement.period_end,
            }
        )
        return context
