"""Trading partner screens: list, card (with its agreements and recent exchanges), forms."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, Q, QuerySet
from django.forms import BaseFormSet, BaseModelForm
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView

from comptoir.identifiers import compact_digits
from trade.views.common import FilteredListView, FormWithInlinesView, SectionMixin, yes_no

from ..forms import PartnerFilterForm, PartnerMessageTypeFormSet, TradingPartnerForm
from ..models import MessageState, TradingPartner
from ..services import MessageTypeAgreement, trading_partner_save
from .common import SECTION
from .monitor import _with_badges


class PartnerListView(FilteredListView):
    permission_required = "edi.view_tradingpartner"
    template_name = "edi/partners/list.html"
    filter_form_class = PartnerFilterForm
    section = SECTION
    context_object_name = "partners"

    def get_queryset(self) -> QuerySet[TradingPartner]:
        filters = self.filters()
        queryset = TradingPartner.objects.select_related("customer_node", "supplier").annotate(
            message_type_count=Count("message_types", filter=Q(message_types__is_enabled=True))
        )
        search = filters.get("q", "").strip()
        if search:
            condition = Q(code__icontains=search) | Q(name__icontains=search)
            digits = compact_digits(search)
            if digits.isdigit():
                condition |= Q(gln=digits) | Q(interchange_id=digits)
            queryset = queryset.filter(condition)
        if "transport" in filters:
            queryset = queryset.filter(transport=filters["transport"])
        active = yes_no(filters.get("active", ""))
        if active is not None:
            queryset = queryset.filter(is_active=active)
        return queryset.order_by("code", "pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["tab"] = "partners"
        return context


class PartnerDetailView(SectionMixin, PermissionRequiredMixin, DetailView):
    permission_required = "edi.view_tradingpartner"
    template_name = "edi/partners/detail.html"
    context_object_name = "partner"
    section = SECTION
    queryset = TradingPartner.objects.select_related("customer_node", "supplier", "api_user")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        partner: TradingPartner = self.object
        context["message_types"] = partner.message_types.order_by("direction", "message_type")
        context["recent_messages"] = _with_badges(
            list(
                partner.messages.select_related("interchange")
                .defer("segments_text", "interchange__payload")
                .order_by("-created_at", "-pk")[:20]
            )
        )
        context["error_count"] = partner.messages.filter(state=MessageState.ERROR).count()
        context["sequence"] = getattr(partner, "interchange_sequence", None)
        return context


class PartnerFormView(FormWithInlinesView):
    template_name = "edi/partners/form.html"
    section = SECTION

    def get_object(self) -> TradingPartner | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(TradingPartner, pk=self.kwargs["pk"])

    def build(self, data: Any | None) -> tuple[BaseModelForm, dict[str, BaseFormSet]]:
        partner = self.object if self.object is not None else TradingPartner()
        form = TradingPartnerForm(data, instance=partner)
        formsets: dict[str, BaseFormSet] = {
            "message_types": PartnerMessageTypeFormSet(
                data, instance=partner, prefix="message_types"
            ),
        }
        return form, formsets

    def save(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> TradingPartner:
        partner = form.save(commit=False)
        agreements = []
        for line in formsets["message_types"].forms:
            data = getattr(line, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("message_type"):
                continue
            agreements.append(
                MessageTypeAgreement(
                    direction=data["direction"],
                    message_type=data["message_type"],
                    version=data.get("version") or "D",
                    release=data.get("release") or "96A",
                    association_code=data.get("association_code") or "",
                    is_enabled=bool(data.get("is_enabled")),
                    id=line.instance.pk,
                )
            )
        return trading_partner_save(partner, message_types=agreements)

    def formset_for_error(self, field: str, formsets: dict[str, BaseFormSet]) -> BaseFormSet | None:
        return formsets["message_types"] if field.startswith("message_types") else None

    def success_url(self, obj: Any) -> str:
        return reverse("edi:partner_detail", args=[obj.pk])


class PartnerCreateView(PartnerFormView):
    permission_required = ("edi.add_tradingpartner", "edi.add_partnermessagetype")
    success_message = gettext_lazy("Trading partner %(object)s created.")


class PartnerUpdateView(PartnerFormView):
    permission_required = (
        "edi.change_tradingpartner",
        "edi.add_partnermessagetype",
        "edi.change_partnermessagetype",
        "edi.delete_partnermessagetype",
    )
    success_message = gettext_lazy("Trading partner %(object)s saved.")
