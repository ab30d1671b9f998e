"""The company's six discount levels, edited together on one settings page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from comptoir.exceptions import ValidationFailed
from trade.views.common import SectionMixin

from ..forms import BaseDiscountLevelFormSet, DiscountLevelFormSet
from ..models import DiscountLevel
from ..services import LEVEL_FIELDS, discount_levels_save


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
            changes = {
                form.instance.number: {name: form.cleaned_data[name] for name in LEVEL_FIELDS}
                for form in formset.forms
            }
            try:
                discount_levels_save(changes)
            except ValidationFailed as exc:
                for message in (m for messages_ in exc.errors.values() for m in messages_):
                    formset.non_form_errors().append(message)
            else:
                messages.success(request, _("Discount levels saved."))
                return HttpResponseRedirect(reverse("pricing:discount_levels"))
        messages.error(request, _("The levels were not saved: please correct the errors below."))
        return self.render_to_response(self.get_context_data(formset=formset))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["levels"] = DiscountLevel.objects.order_by("order")
        return context
