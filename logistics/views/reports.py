"""Stock reports: valuation at a date, anomalies, replenishment suggestions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from trade.views.common import PAGE_SIZE, SectionMixin

from ..forms import ANOMALY_KINDS, AnomalyFilterForm, ReplenishmentForm, ValuationForm, warehouses
from ..selectors import replenishment_suggestions, stock_anomalies, stock_valuation


class ReportView(SectionMixin, PermissionRequiredMixin, TemplateView):
    """A report computed by a selector from a GET form; its rows paginated in memory."""

    form_class: Any

    def get_form(self) -> Any:
        form = self.form_class(self.request.GET or None)
        form.is_valid()
        return form

    def values(self, form: Any) -> dict[str, Any]:
        if not form.is_bound:
            return {name: form.fields[name].initial for name in form.fields}
        return {name: form.cleaned_data.get(name) for name in form.fields}

    def paginate(self, rows: list[Any], context: dict[str, Any]) -> None:
        page = Paginator(rows, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context["page_obj"] = page
        context["rows"] = page.object_list


class ValuationView(ReportView):
    """Quantity × weighted average cost at the end of a day, from the ledger."""

    permission_required = ("logistics.view_articlecost", "logistics.view_stockmove")
    template_name = "logistics/reports/valuation.html"
    section = "valuation"
    form_class = ValuationForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = self.get_form()
        values = self.values(form)
        on_date = values.get("on_date") or timezone.localdate()
        warehouse, family = values.get("warehouse"), values.get("family")
        rows = stock_valuation(
            on_date=on_date,
            warehouse_id=warehouse.pk if warehouse else None,
            family_id=family.pk if family else None,
        )
        self.paginate(rows, context)
        context.update(
            {
                "filter_form": form,
                "list_url": reverse("logistics:valuation"),
                "is_filtered": form.is_bound,
                "on_date": on_date,
                "total_value": sum((row.value for row in rows), Decimal("0")),
                "article_count": len({row.article.pk for row in rows}),
            }
        )
        return context


class AnomaliesView(ReportView):
    permission_required = "logistics.view_stockbalance"
    template_name = "logistics/reports/anomalies.html"
    section = "anomalies"
    form_class = AnomalyFilterForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = self.get_form()
        values = self.values(form)
        threshold = values.get("threshold")
        anomalies = stock_anomalies(
            on_date=timezone.localdate(),
            count_variance_threshold=threshold if threshold is not None else Decimal("10"),
        )
        counts: dict[str, int] = {}
        for anomaly in anomalies:
            counts[anomaly.kind] = counts.get(anomaly.kind, 0) + 1
        if values.get("kind"):
            anomalies = [anomaly for anomaly in anomalies if anomaly.kind == values["kind"]]
        self.paginate(anomalies, context)
        context.update(
            {
                "filter_form": form,
                "list_url": reverse("logistics:anomalies"),
                "is_filtered": form.is_bound,
                "kind_labels": ANOMALY_KINDS,
                "kind_counts": [
                    (kind, label, counts.get(kind, 0)) for kind, label in ANOMALY_KINDS.items()
                ],
            }
        )
        return context


class ReplenishmentView(ReportView):
    permission_required = ("logistics.view_replenishmentrule", "logistics.view_stockbalance")
    template_name = "logistics/reports/replenishment.html"
    section = "replenishment"
    form_class = ReplenishmentForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = self.get_form()
        values = self.values(form)
        warehouse = values.get("warehouse") or warehouses().first()
        suggestions = (
            replenishment_suggestions(
                warehouse=warehouse, on_date=timezone.localdate(), weeks=values.get("weeks") or 8
            )
            if warehouse is not None
            else []
        )
        self.paginate(suggestions, context)
        context.update(
            {
                "filter_form": form,
                "list_url": reverse("logistics:replenishment"),
                "is_filtered": form.is_bound,
                "warehouse": warehouse,
            }
        )
        return context
