"""Inventory counts: open (full or cycle), a fast entry grid of counted quantities,
submit, approve (posts the variances); variances highlighted."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, QuerySet
from django.forms import BaseFormSet, BaseModelForm, BoundField
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from comptoir.exceptions import DomainError
from comptoir.money import round_amount
from trade.forms import plain_decimal
from trade.views.common import FilteredListView, SectionMixin

from ..forms import (
    CountEntryForm,
    CountFilterForm,
    CountFoundLineForm,
    CountLineFilterForm,
    CountOpenForm,
)
from ..models import CountLine, CountStatus, InventoryCount
from ..services.documents import (
    count_approve,
    count_entries_record,
    count_line_found,
    count_open,
    count_submit,
)
from .common import (
    DocumentActionView,
    StockFormView,
    error_messages,
    location_choices,
)
from .stock import search_articles

# Lines per page of the entry grid: a full count has thousands; one page is one POST.
COUNT_PAGE = 100
# As the API: counters enter quantities; submitting and approving change the count.
ENTRY_PERMISSION = "logistics.change_countline"
SUBMIT_PERMISSION = "logistics.change_inventorycount"
APPROVE_PERMISSION = "logistics.change_inventorycount"


class CountListView(FilteredListView):
    permission_required = "logistics.view_inventorycount"
    template_name = "logistics/counts/list.html"
    filter_form_class = CountFilterForm
    section = "counts"
    context_object_name = "counts"

    def get_queryset(self) -> QuerySet[InventoryCount]:
        filters = self.filters()
        queryset = InventoryCount.objects.select_related("warehouse", "created_by").annotate(
            line_count=Count("lines"),
            counted_count=Count("lines", filter=Q(lines__counted__isnull=False)),
            variance_count=Count(
                "lines",
                filter=Q(lines__counted__isnull=False) & ~Q(lines__counted=F("lines__expected")),
            ),
        )
        if filters.get("status"):
            queryset = queryset.filter(status=filters["status"])
        if filters.get("warehouse") is not None:
            queryset = queryset.filter(warehouse=filters["warehouse"])
        return queryset.order_by("-created_at", "-pk")


class CountOpenView(StockFormView):
    """Opening freezes the expected quantity of every balance counted."""

    permission_required = ("logistics.add_inventorycount", "logistics.add_countline")
    template_name = "logistics/counts/open.html"
    section = "counts"
    success_message = gettext_lazy("Count %(object)s opened.")

    def build(self, data: Any | None) -> tuple[BaseModelForm, dict[str, BaseFormSet]]:
        return CountOpenForm(data, instance=InventoryCount()), {}

    def write(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> InventoryCount:
        count: InventoryCount = form.save(commit=False)
        count.save()
        count.articles.set(form.articles)  # type: ignore[attr-defined]
        return count_open(count, user=self.request.user)

    def success_url(self, obj: Any) -> str:
        return reverse("logistics:count_detail", args=[obj.pk])


@dataclass(frozen=True)
class CountRow:
    line: CountLine
    field: BoundField | None
    variance: Decimal | None
    variance_value: Decimal | None


def count_rows(lines: list[CountLine], form: CountEntryForm | None) -> list[CountRow]:
    rows = []
    for line in lines:
        variance = line.variance
        cost = getattr(getattr(line.article, "average_cost", None), "unit_cost", None)
        rows.append(
            CountRow(
                line=line,
                field=form[form.name_of(line)] if form is not None else None,
                variance=variance,
                variance_value=round_amount(variance * cost)
                if variance is not None and cost is not None
                else None,
            )
        )
    return rows


class CountDetailView(SectionMixin, PermissionRequiredMixin, TemplateView):
    """The count's lines a page at a time: an entry grid while counting (inputs in
    location order, Tab goes to the next), the variances once counted."""

    permission_required = "logistics.view_inventorycount"
    template_name = "logistics/counts/detail.html"
    section = "counts"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_permission():
            return self.handle_no_permission()
        self.count = get_object_or_404(
            InventoryCount.objects.select_related("warehouse", "created_by", "approved_by"),
            pk=kwargs["pk"],
        )
        return super().dispatch(request, *args, **kwargs)

    def can_enter(self) -> bool:
        return self.count.status == CountStatus.COUNTING and self.request.user.has_perm(
            ENTRY_PERMISSION
        )

    def filter_form(self) -> CountLineFilterForm:
        form = CountLineFilterForm(self.request.GET or None)
        form.is_valid()
        return form

    def line_queryset(self) -> QuerySet[CountLine]:
        return self.count.lines.select_related(
            "article__average_cost", "location__warehouse", "lot"
        ).order_by(
            "location__picking_order", "location__code", "article__code", "lot__expiry_date", "pk"
        )

    def filtered_lines(self, filters: dict[str, Any]) -> QuerySet[CountLine]:
        queryset = self.line_queryset()
        if filters.get("location"):
            queryset = queryset.filter(location__code__istartswith=filters["location"].strip())
        queryset = search_articles(queryset, filters.get("q", ""))
        if filters.get("only") == "uncounted":
            queryset = queryset.filter(counted__isnull=True)
        elif filters.get("only") == "variance":
            queryset = queryset.filter(counted__isnull=False).exclude(counted=F("expected"))
        return queryset

    def page(self) -> Page:
        form = self.filter_form()
        filters = form.cleaned_data if form.is_bound else {}
        paginator = Paginator(self.filtered_lines(filters), COUNT_PAGE)
        return paginator.get_page(self.request.GET.get("page"))

    def entry_form(self, lines: list[CountLine], data: Any | None = None) -> CountEntryForm:
        form = CountEntryForm(data, lines=lines)
        for line in lines:
            form.fields[form.name_of(line)].initial = (
                plain_decimal(line.counted) if line.counted is not None else None
            )
        return form

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(ENTRY_PERMISSION):
            raise PermissionDenied
        if "add_line" in request.POST:
            return self.add_found_line(request)
        ids = [
            int(key[5:]) for key in request.POST if key.startswith("line-") and key[5:].isdigit()
        ]
        lines = list(self.line_queryset().filter(pk__in=ids))
        form = self.entry_form(lines, request.POST)
        if not form.is_valid():
            messages.error(
                request, _("The counts were not saved: please correct the errors below.")
            )
            return self.render_to_response(self.get_context_data(entry_form=form))
        submitting = "submit" in request.POST
        if submitting and not request.user.has_perm(SUBMIT_PERMISSION):
            raise PermissionDenied
        try:
            written = count_entries_record(self.count, counted=form.counted())
            if submitting:
                count_submit(self.count)
        except DomainError as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        else:
            if submitting:
                messages.success(
                    request, _("Count %(count)s submitted for approval.") % {"count": self.count}
                )
            else:
                messages.success(request, _("%(n)s counted quantities saved.") % {"n": written})
        query = request.GET.copy()
        if "next" in request.POST and query.get("only") != "uncounted":
            page = query.get("page", "1")
            query["page"] = str(int(page) + 1 if page.isdigit() else 2)
        url = reverse("logistics:count_detail", args=[self.count.pk])
        return HttpResponseRedirect(f"{url}?{query.urlencode()}" if query else url)

    def add_found_line(self, request: HttpRequest) -> HttpResponse:
        form = CountFoundLineForm(request.POST, warehouse=self.count.warehouse)
        if not form.is_valid():
            messages.error(request, _("The line was not added: please correct the errors below."))
            return self.render_to_response(self.get_context_data(found_form=form))
        try:
            line = count_line_found(
                self.count,
                article=form.cleaned_data["article"],
                location=form.cleaned_data["location"],
                lot=form.lot,
                counted=form.cleaned_data["counted"],
            )
        except DomainError as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("%(article)s at %(location)s added to the count.")
                % {"article": line.article.code, "location": line.location.code},
            )
        url = reverse("logistics:count_detail", args=[self.count.pk])
        query = request.GET.urlencode()
        return HttpResponseRedirect(f"{url}?{query}" if query else url)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = self.page()
        lines = list(page.object_list)
        form: CountEntryForm | None = kwargs.get("entry_form")
        if form is None and self.can_enter():
            form = self.entry_form(lines)
        if form is not None:
            # A re-shown form keeps what was typed; its lines are the ones posted.
            lines = form.lines
        stats = self.count.lines.aggregate(
            line_total=Count("pk"),
            counted_total=Count("pk", filter=Q(counted__isnull=False)),
            variance_total=Count("pk", filter=Q(counted__isnull=False) & ~Q(counted=F("expected"))),
        )
        filter_form = self.filter_form()
        context.update(
            {
                "count": self.count,
                "page_obj": page,
                "rows": count_rows(lines, form),
                "entry_form": form,
                "filter_form": filter_form,
                "is_filtered": filter_form.is_bound and any(filter_form.cleaned_data.values()),
                "list_url": reverse("logistics:count_detail", args=[self.count.pk]),
                "stats": stats,
                "can_enter": self.can_enter(),
                "can_submit": self.count.status == CountStatus.COUNTING
                and self.request.user.has_perm(SUBMIT_PERMISSION),
                "can_approve": self.count.status == CountStatus.SUBMITTED
                and self.request.user.has_perm(APPROVE_PERMISSION),
                "articles": self.count.articles.order_by("code"),
                "found_form": kwargs.get("found_form")
                or (
                    CountFoundLineForm(warehouse=self.count.warehouse) if self.can_enter() else None
                ),
                "location_choices": location_choices() if self.can_enter() else [],
            }
        )
        return context


class CountSubmitView(DocumentActionView):
    permission_required = SUBMIT_PERMISSION
    model = InventoryCount
    detail_url_name = "logistics:count_detail"
    success_text = gettext_lazy("Count %(object)s submitted for approval.")

    def run(self, obj: InventoryCount) -> InventoryCount:
        return count_submit(obj)


class CountApproveView(DocumentActionView):
    """Approval posts every variance as a count move: a supervisor's right."""

    permission_required = APPROVE_PERMISSION
    model = InventoryCount
    detail_url_name = "logistics:count_detail"
    success_text = gettext_lazy("Count %(object)s approved: the variances are posted.")

    def run(self, obj: InventoryCount) -> InventoryCount:
        return count_approve(obj, user=self.request.user)
