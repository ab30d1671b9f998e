"""The company's six discount levels, edited together on one settings page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from trade.views.common import SectionMixin

from .. import engine
from ..forms import BaseDiscountLevelFormSet, DiscountLevelFormSet
from ..models import Condition, ContractStatus, DiscountLevel
from ..selectors import engine_conditions

# Orders are unique: rows are parked out of the 1–6 range before taking their new
# places, so that two levels may swap in one save.
PARKING_OFFSET = 100


class LevelsRefused(Exception):
    def __init__(self, messages_: list[str]) -> None:
        super().__init__(messages_[0] if messages_ else "")
        self.messages = messages_


def discount_levels_save(formset: BaseDiscountLevelFormSet) -> None:
    """Write the six levels, checked as a whole.

    Preconditions: the formset is valid, so its ``LevelScheme`` (numbers 1–6 once,
    distinct orders, labels) is. Locks the six rows (by primary key) for the write.
    When a level changes from rate to amount or back, the conditions of the draft
    and active contracts are indexed by the engine against the new scheme: a rate
    left on an amount level (or the reverse) refuses the save with the engine's
    messages, since every price of those contracts would fail otherwise.
    """
    scheme = formset.level_scheme()
    with transaction.atomic():
        stored = {
            level.pk: level for level in DiscountLevel.objects.select_for_update().order_by("pk")
        }
        kind_changed = any(
            stored[form.instance.pk].value_kind != form.cleaned_data["value_kind"]
            for form in formset.forms
        )
        DiscountLevel.objects.update(order=F("order") + PARKING_OFFSET)
        for form in formset.forms:
            form.save()
        if kind_changed:
            rows = (
                Condition.objects.filter(
                    contract__status__in=[ContractStatus.DRAFT, ContractStatus.ACTIVE]
                )
                .filter(level__isnull=False)
                .select_related("contract")
                .prefetch_related("tiers")
            )
            conditions = list(rows)
            try:
                engine.index_conditions(
                    engine_conditions(
                        conditions, contract_nodes={c.contract_id: [0] for c in conditions}
                    ),
                    levels=scheme,
                )
            except engine.InvalidPricingInput as exc:
                transaction.set_rollback(True)
                raise LevelsRefused([str(message) for message in exc.errors]) from exc


class DiscountLevelsView(SectionMixin, PermissionRequiredMixin, TemplateView):
    """Label, place in the cascade, rate or amount, stacking and exclusivity of the
    six levels; read-only for whoever may only view them."""

    template_name = "pricing/discount_levels.html"
    section = "discount_levels"

    def get_permission_required(self) -> tuple[str, ...]:
        if self.request.method == "POST":
            return ("pricing.view_discountlevel", "pricing.change_discountlevel")
        return ("pricing.view_discountlevel",)

    def build(self, data: Any | None) -> BaseDiscountLevelFormSet:
        return DiscountLevelFormSet(
            data, queryset=DiscountLevel.objects.order_by("number"), prefix="levels"
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        can_change = request.user.has_perm("pricing.change_discountlevel")
        return self.render_to_response(
            self.get_context_data(formset=self.build(None) if can_change else None)
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        formset = self.build(request.POST)
        if formset.is_valid():
            try:
                discount_levels_save(formset)
            except LevelsRefused as exc:
                for message in exc.messages:
                    formset.add_error(message)
            else:
                messages.success(request, _("Discount levels saved."))
                return HttpResponseRedirect(reverse("pricing:discount_levels"))
        messages.error(request, _("The levels were not saved: please correct the errors below."))
        return self.render_to_response(self.get_context_data(formset=formset))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["levels"] = DiscountLevel.objects.order_by("order")
        return context
