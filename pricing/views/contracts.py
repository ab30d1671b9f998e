"""Contracts: list, page with the condition grid and impact, header form, Activate /
Terminate with a confirmation, and the what-if replay of a draft contract."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.forms import BaseFormSet, BaseModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from comptoir.exceptions import DomainError, ValidationFailed
from trade.models import CustomerNode
from trade.views.common import FilteredListView, SectionMixin

from ..forms import ConditionForm, ConditionFormSet, ContractFilterForm, ContractForm, WhatIfForm
from ..models import Condition, Contract, ContractStatus
from ..selectors import WhatIfResult, contract_what_if
from ..services import (
    condition_delete,
    condition_save,
    contract_activate,
    contract_impact,
    contract_save,
    contract_terminate,
)
from .common import ServiceFormView, apply_validation_errors, domain_messages

OPEN_STATUSES = (ContractStatus.DRAFT, ContractStatus.ACTIVE)
CONDITION_PAGE_SIZE = 50
CONDITION_PERMISSIONS = (
    "pricing.add_condition",
    "pricing.change_condition",
    "pricing.delete_condition",
)


def contract_queryset() -> QuerySet[Contract]:
    return Contract.objects.select_related("node", "segment", "owner")


def condition_queryset(contract: Contract) -> QuerySet[Condition]:
    return (
        contract.conditions.select_related("family", "brand", "article")
        .prefetch_related("tiers")
        .order_by("kind", "level", "scope_kind", "pk")
    )


class ContractListView(FilteredListView):
    permission_required = "pricing.view_contract"
    template_name = "pricing/contracts/list.html"
    filter_form_class = ContractFilterForm
    section = "contracts"
    context_object_name = "contracts"

    def get_queryset(self) -> QuerySet[Contract]:
        filters = self.filters()
        queryset = contract_queryset().annotate(condition_count=Count("conditions"))
        search = filters.get("q", "").strip()
        if search:
            queryset = queryset.filter(Q(code__icontains=search) | Q(name__icontains=search))
        if filters.get("status"):
            queryset = queryset.filter(status=filters["status"])
        customer = filters.get("customer")
        if customer is not None:
            # What reaches the customer: contracts on it or an ancestor, or on a segment
            # one of them belongs to.
            lineage = customer.lineage_ids
            reaching = Contract.objects.filter(
                Q(node_id__in=lineage) | Q(segment__nodes__in=lineage)
            ).values("pk")
            queryset = queryset.filter(pk__in=reaching)
        valid_on = filters.get("valid_on")
        if valid_on is not None:
            queryset = queryset.filter(valid_from__lte=valid_on).filter(
                Q(valid_to__isnull=True) | Q(valid_to__gte=valid_on)
            )
        return queryset.order_by("-valid_from", "code")


class ContractDetailView(SectionMixin, PermissionRequiredMixin, TemplateView):
    """The contract page: header, impact, status history and the condition grid.

    The grid is an editable table for whoever may write conditions while the
    contract is draft or active; its POST saves every row through the services in
    one transaction, so that a conflict (both conditions named) or any refused row
    leaves nothing saved.
    """

    template_name = "pricing/contracts/detail.html"
    section = "contracts"
    contract: Contract

    def get_permission_required(self) -> tuple[str, ...]:
        if self.request.method == "POST":
            return ("pricing.view_contract", *CONDITION_PERMISSIONS)
        return ("pricing.view_contract",)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_permission():
            return self.handle_no_permission()
        self.contract = get_object_or_404(contract_queryset(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def grid_is_editable(self) -> bool:
        return self.contract.status in OPEN_STATUSES and self.request.user.has_perms(
            CONDITION_PERMISSIONS
        )

    @cached_property
    def conditions_page(self) -> Page:
        paginator = Paginator(condition_queryset(self.contract), CONDITION_PAGE_SIZE)
        return paginator.get_page(self.request.GET.get("page"))

    def build_formset(self, data: Any | None) -> BaseFormSet:
        """The grid of one page of conditions (a contract may hold hundreds). Posted
        back, the rows are the ids in the form, whatever was added meanwhile."""
        if data is None:
            ids = [condition.pk for condition in self.conditions_page.object_list]
        else:
            total = data.get("conditions-TOTAL_FORMS", "0")
            count = int(total) if total.isdigit() else 0
            posted = [data.get(f"conditions-{index}-id", "") for index in range(count)]
            ids = [int(pk) for pk in posted if pk.isdigit()]
        queryset = condition_queryset(self.contract).filter(pk__in=ids)
        return ConditionFormSet(data, queryset=queryset, prefix="conditions")

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        formset = self.build_formset(None) if self.grid_is_editable() else None
        return self.render_to_response(self.get_context_data(formset=formset))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.contract.status not in OPEN_STATUSES:
            messages.error(
                request, _("Conditions of an expired or terminated contract cannot change.")
            )
            return HttpResponseRedirect(reverse("pricing:contract_detail", args=[self.contract.pk]))
        formset = self.build_formset(request.POST)
        if formset.is_valid() and self.save_conditions(formset):
            messages.success(
                request, _("Conditions of %(contract)s saved.") % {"contract": self.contract.code}
            )
            query = request.GET.urlencode()
            url = reverse("pricing:contract_detail", args=[self.contract.pk])
            return HttpResponseRedirect(
                f"{url}?{query}#conditions" if query else f"{url}#conditions"
            )
        messages.error(
            request, _("The conditions were not saved: please correct the errors below.")
        )
        return self.render_to_response(self.get_context_data(formset=formset))

    def save_conditions(self, formset: BaseFormSet) -> bool:
        """Delete, then create or update, every changed row through the services.

        Every row is tried so that all refusals show at once; if any is refused the
        whole transaction is rolled back and nothing is saved."""
        refused = False
        changed: list[tuple[ConditionForm, bool]] = []  # (row, whether it is new)
        with transaction.atomic():
            for form in formset.forms:
                if form in formset.deleted_forms:
                    if form.instance.pk is not None:
                        try:
                            condition_delete(form.instance)
                        except DomainError as exc:
                            formset.add_error(str(exc.message))
                            refused = True
                elif form.has_changed():
                    changed.append((form, form.instance.pk is None))
            for form, _is_new in changed:
                condition: Condition = form.save(commit=False)
                condition.contract = self.contract
                try:
                    condition_save(condition, tiers=form.tiers_to_save())
                except ValidationFailed as exc:
                    apply_validation_errors(exc, form)
                    refused = True
                except DomainError as exc:
                    for message in domain_messages(exc):
                        formset.add_error(message)
                    form.add_error(None, _("This row was refused: see the message above the grid."))
                    refused = True
            if refused:
                transaction.set_rollback(True)
        if refused:
            for form, is_new in changed:
                if is_new:
                    # The rollback undid the INSERT; the in-memory row must forget its id.
                    form.instance.pk = None
                    form.instance._state.adding = True
        return not refused

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        contract = self.contract
        user = self.request.user
        is_open = contract.status in OPEN_STATUSES
        context.update(
            {
                "contract": contract,
                "impact": contract_impact(contract),
                "history": contract.status_changes.select_related("changed_by"),
                "conditions_page": self.conditions_page,
                "can_edit": is_open and user.has_perm("pricing.change_contract"),
                "can_activate": contract.status == ContractStatus.DRAFT
                and user.has_perm("pricing.change_contract"),
                "can_terminate": is_open and user.has_perm("pricing.change_contract"),
                "can_what_if": contract.status == ContractStatus.DRAFT
                and user.has_perms(ContractWhatIfView.permission_required),
            }
        )
        return context


class ContractFormView(ServiceFormView):
    template_name = "pricing/contracts/form.html"
    section = "contracts"

    def get_object(self) -> Contract | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(contract_queryset(), pk=self.kwargs["pk"])

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "pk" in kwargs and self.has_permission():
            contract = get_object_or_404(Contract, pk=kwargs["pk"])
            if contract.status not in OPEN_STATUSES:
                messages.error(request, _("An expired or terminated contract cannot be changed."))
                return HttpResponseRedirect(reverse("pricing:contract_detail", args=[contract.pk]))
        return super().dispatch(request, *args, **kwargs)

    def build(self, data: Any | None) -> tuple[BaseModelForm, dict[str, BaseFormSet]]:
        contract = self.object if self.object is not None else Contract(owner=self.request.user)
        return ContractForm(data, instance=contract), {}

    def write(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> Contract:
        return contract_save(form.save(commit=False))

    def success_url(self, obj: Any) -> str:
        return reverse("pricing:contract_detail", args=[obj.pk])


class ContractCreateView(ContractFormView):
    permission_required = "pricing.add_contract"
    success_message = gettext_lazy("Contract %(object)s created.")


class ContractUpdateView(ContractFormView):
    permission_required = "pricing.change_contract"
    success_message = gettext_lazy("Contract %(object)s saved.")


class ContractTransitionView(SectionMixin, PermissionRequiredMixin, TemplateView):
    """A confirmation page (showing what the contract affects) and the POST that
    runs the transition service. A refusal (a conflict naming both conditions, an
    illegal move) is shown on the confirmation page; nothing changes."""

    permission_required = "pricing.change_contract"
    template_name = "pricing/contracts/confirm.html"
    section = "contracts"
    action: ClassVar[str]
    contract: Contract

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_permission():
            return self.handle_no_permission()
        self.contract = get_object_or_404(contract_queryset(), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def run(self) -> Contract:
        raise NotImplementedError

    def success_message(self) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.run()
        except DomainError as exc:
            return self.render_to_response(self.get_context_data(errors=domain_messages(exc)))
        messages.success(request, self.success_message())
        return HttpResponseRedirect(reverse("pricing:contract_detail", args=[self.contract.pk]))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "contract": self.contract,
                "action": self.action,
                "impact": contract_impact(self.contract),
                "condition_count": self.contract.conditions.count(),
            }
        )
        return context


class ContractActivateView(ContractTransitionView):
    action = "activate"

    def run(self) -> Contract:
        return contract_activate(self.contract, user=self.request.user)

    def success_message(self) -> str:
        return _("Contract %(code)s is active: its conditions now price.") % {
            "code": self.contract.code
        }


class ContractTerminateView(ContractTransitionView):
    action = "terminate"

    def run(self) -> Contract:
        return contract_terminate(self.contract, user=self.request.user)

    def success_message(self) -> str:
        return _("Contract %(code)s is terminated.") % {"code": self.contract.code}


FIGURES = (
    "turnover_before",
    "turnover_after",
    "discount_before",
    "discount_after",
    "margin_before",
    "margin_after",
)


@dataclass(frozen=True)
class WhatIfFigures:
    """Turnover, discount and margin before and after, with the changes."""

    turnover_before: Decimal
    turnover_after: Decimal
    discount_before: Decimal
    discount_after: Decimal
    margin_before: Decimal
    margin_after: Decimal

    @property
    def turnover_change(self) -> Decimal:
        return self.turnover_after - self.turnover_before

    @property
    def discount_change(self) -> Decimal:
        return self.discount_after - self.discount_before

    @property
    def margin_change(self) -> Decimal:
        return self.margin_after - self.margin_before


@dataclass(frozen=True)
class WhatIfRow:
    node: CustomerNode
    line_count: int
    figures: WhatIfFigures


def what_if_table(result: WhatIfResult) -> tuple[list[WhatIfRow], WhatIfFigures]:
    rows = [
        WhatIfRow(
            row.node, row.line_count, WhatIfFigures(*(getattr(row, name) for name in FIGURES))
        )
        for row in result.nodes
    ]
    return rows, WhatIfFigures(*(result.total(name) for name in FIGURES))


class ContractWhatIfView(SectionMixin, PermissionRequiredMixin, TemplateView):
    """The contract's conditions replayed over twelve months of sales of the nodes it
    covers: turnover, discount and margin per node, without and with it."""

    permission_required = ("pricing.view_contract", "pricing.view_saleshistoryline")
    template_name = "pricing/contracts/what_if.html"
    section = "contracts"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        contract = get_object_or_404(contract_queryset(), pk=self.kwargs["pk"])
        form = WhatIfForm(self.request.GET if "until" in self.request.GET else None)
        until = (
            form.cleaned_data["until"]
            if form.is_bound and form.is_valid()
            else form.fields["until"].initial
        )
        result = None
        error = ""
        if not form.is_bound or form.is_valid():
            try:
                result = contract_what_if(contract, until=until)
            except DomainError as exc:
                error = str(exc.message)
        rows, totals = what_if_table(result) if result is not None else ([], None)
        context.update(
            {
                "contract": contract,
                "form": form,
                "result": result,
                "rows": rows,
                "totals": totals,
                "error": error,
            }
        )
        return context
