"""Screens of quotes: the list, the entry screen (the order entry grid, its lines kept
on the page until ``quote_create`` saves the quote in one go; the same page corrects a
draft through ``quote_update``), the detail page with send / accept / refuse and the
link to the PDF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, TemplateView

from comptoir.exceptions import DomainError
from trade.views.common import FilteredListView, SectionMixin

from ..forms import (
    QuoteFilterForm,
    QuoteHeaderForm,
    ReasonForm,
    customer_by_code,
    keyed_lines,
    parse_date,
)
from ..models import OrderState, Quote, QuoteState
from ..selectors.orders import next_working_day, order_totals, quote_line_preview, quotes_filter
from ..services import (
    parties_resolve,
    quote_accept,
    quote_create,
    quote_line_inputs,
    quote_refuse,
    quote_send,
    quote_update,
)
from ..services.quotes import QUOTE_VALIDITY_DAYS
from .orders import (
    ENTRY_LINE_TEMPLATE,
    default_warehouse,
    entry_context,
    events_labelled,
    form_messages,
    is_fetch,
    refusal_messages,
    refused,
    refused_by,
    url_or_empty,
    with_breakdowns,
)

PERM_VIEW = "sales.view_quote"
PERM_ADD = "sales.add_quote"
PERM_CHANGE = "sales.change_quote"


class QuoteListView(FilteredListView):
    permission_required = PERM_VIEW
    template_name = "sales/quotes/list.html"
    filter_form_class = QuoteFilterForm
    section = "sales_quotes"
    context_object_name = "quotes"

    def filter_form_kwargs(self) -> dict[str, Any]:
        return {"lookup_url": reverse("sales:lookup_customers")}

    def get_queryset(self) -> Any:
        filters = self.filters()
        node = customer_by_code(filters.get("customer", ""))
        if filters.get("customer") and node is None:
            return Quote.objects.none()
        return quotes_filter(search=filters.get("q", "").strip(), state=filters.get("state", ""), node=node)


def _preview_lines(header: dict[str, Any], lines: list) -> tuple[list, list[str]]:
    """Keyed lines checked and priced as the quote would be, for the page (unsaved)."""
    previews, errors = [], []
    warehouse = default_warehouse()
    for position, data in enumerate(lines, start=1):
        try:
            previews.append(quote_line_preview(
                node=header["customer"], data=data, position=position, warehouse=warehouse,
                delivery_date=header.get("requested_date") or next_working_day()))
        except DomainError as exc:
            errors += refusal_messages(exc)
    return with_breakdowns(previews), errors


class QuoteEntryView(SectionMixin, PermissionRequiredMixin, TemplateView):
    """A new quote: header and lines keyed like an order, saved in one go.
    ``QuoteUpdateView`` is the same page for a draft's correction."""

    permission_required: Any = (PERM_VIEW, PERM_ADD)
    template_name = "sales/quotes/entry.html"
    section = "sales_quotes"
    quote: Quote | None = None

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, lines, errors = self.start()
        return self.render_to_response(self.get_context_data(form=form, lines=lines, errors=errors))

    def start(self) -> tuple[QuoteHeaderForm, list, list[str]]:
        """The page before anything is keyed: the form, the lines, what is wrong with them."""
        today = timezone.localdate()
        form = QuoteHeaderForm(initial={"requested_date": next_working_day(today),
                                        "valid_until": today + timedelta(days=QUOTE_VALIDITY_DAYS)})
        return form, [], []

    def save(self, data: dict[str, Any], lines: list) -> Quote:
        return quote_create(
            ordering_node=data["customer"], lines=lines, requested_date=data["requested_date"],
            valid_until=data["valid_until"], delivery_node=data["delivery_node"],
            invoicing_node=data["invoicing_node"], customer_reference=data["customer_reference"],
            notes=data["notes"], user=self.request.user,
        )

    def saved_message(self, quote: Quote) -> str:
        return _("Quote %(number)s created.") % {"number": quote.display_number}

    def refused_message(self) -> str:
        return _("The quote was not created: please correct the errors below.")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = QuoteHeaderForm(request.POST)
        keyed = keyed_lines(request.POST)
        errors = list(keyed.errors)
        previews: list = []
        if form.is_valid():
            data = form.cleaned_data
            if not errors:
                try:
                    quote = self.save(data, keyed.lines)
                except DomainError as exc:
                    errors += refusal_messages(exc)
                else:
                    messages.success(request, self.saved_message(quote))
                    return HttpResponseRedirect(reverse("sales:quote_detail", args=[quote.pk]))
            previews, preview_errors = _preview_lines(data, keyed.lines)
            errors += [error for error in preview_errors if error not in errors]
        else:
            errors += form_messages(form)
        messages.error(request, self.refused_message())
        return self.render_to_response(self.get_context_data(form=form, lines=previews, errors=errors))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context["form"]
        customer = delivery = invoicing = None
        if form.is_bound and form.is_valid():
            customer = form.cleaned_data["customer"]
            delivery, invoicing = form.cleaned_data["delivery_node"], form.cleaned_data["invoicing_node"]
        elif not form.is_bound and self.quote is not None:
            customer = self.quote.ordering_node
            delivery, invoicing = self.quote.delivery_node, self.quote.invoicing_node
        if customer is not None and (delivery is None or invoicing is None):
            parties = parties_resolve(customer, delivery_node=delivery, invoicing_node=invoicing)
            delivery, invoicing = parties.delivery_node, parties.invoicing_node
        context.update(panel=entry_context(None, customer), delivery_node=delivery, invoicing_node=invoicing,
                       totals=order_totals(context["lines"]), mode="quote", quote=self.quote)
        return context


class QuoteUpdateView(QuoteEntryView):
    """A draft quote corrected on the entry page: its header and lines shown again
    (priced today, as they will be saved), saved in one go by ``quote_update``. A
    quote no longer in draft opens its detail page with an error instead."""

    permission_required = (PERM_VIEW, PERM_CHANGE)
    quote: Quote  # read by ``not_draft`` before anything else

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.not_draft(kwargs["pk"]) or super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.not_draft(kwargs["pk"]) or super().post(request, *args, **kwargs)

    def not_draft(self, pk: int) -> HttpResponse | None:
        """Read the quote; the way back to its page when it cannot be changed any more."""
        self.quote = get_object_or_404(
            Quote.objects.select_related("ordering_node", "delivery_node", "invoicing_node"), pk=pk)
        if self.quote.state == QuoteState.DRAFT:
            return None
        messages.error(self.request, _("Quote %(number)s is “%(state)s”: only a draft quote can be changed.")
                       % {"number": self.quote.display_number, "state": self.quote.get_state_display()})
        return HttpResponseRedirect(reverse("sales:quote_detail", args=[pk]))

    def start(self) -> tuple[QuoteHeaderForm, list, list[str]]:
        quote = self.quote
        form = QuoteHeaderForm(initial={
            "customer": quote.ordering_node_id, "requested_date": quote.requested_date,
            "valid_until": quote.valid_until, "customer_reference": quote.customer_reference,
            "delivery_node": quote.delivery_node_id, "invoicing_node": quote.invoicing_node_id,
            "notes": quote.notes,
        })
        lines, errors = _preview_lines({"customer": quote.ordering_node, "requested_date": quote.requested_date},
                                       quote_line_inputs(quote))
        return form, list(lines), errors

    def save(self, data: dict[str, Any], lines: list) -> Quote:
        return quote_update(
            self.quote, ordering_node=data["customer"], lines=lines, requested_date=data["requested_date"],
            valid_until=data["valid_until"], delivery_node=data["delivery_node"],
            invoicing_node=data["invoicing_node"], customer_reference=data["customer_reference"],
            notes=data["notes"], user=self.request.user,
        )

    def saved_message(self, quote: Quote) -> str:
        return _("Quote %(number)s changed.") % {"number": quote.display_number}

    def refused_message(self) -> str:
        return _("The quote was not changed: please correct the errors below.")


class QuoteLinePreviewView(PermissionRequiredMixin, View):
    """One keyed line checked and priced for the quote being entered or corrected:
    its row (JSON)."""

    permission_required = (PERM_VIEW, PERM_ADD)

    def has_permission(self) -> bool:
        user = self.request.user
        return user.has_perm(PERM_VIEW) and (user.has_perm(PERM_ADD) or user.has_perm(PERM_CHANGE))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = QuoteHeaderForm(request.POST)
        form.is_valid()
        customer = form.cleaned_data.get("customer")
        if customer is None:
            return refused([_("Choose the customer first.")], fields={"customer": [_("Choose the customer first.")]})
        keyed = keyed_lines(request.POST)
        if keyed.errors or len(keyed.lines) != 1:
            return refused(keyed.errors or [_("Type an article code, a GTIN or part of a designation.")])
        position = request.POST.get("position", "1")
        delivery_date = form.cleaned_data.get("requested_date") or parse_date(request.POST.get("requested_date", "")) \
            or next_working_day()
        try:
            line = quote_line_preview(node=customer, data=keyed.lines[0],
                                      position=int(position) if position.isdigit() else 1,
                                      warehouse=default_warehouse(), delivery_date=delivery_date)
        except DomainError as exc:
            return refused_by(exc)
        with_breakdowns([line])
        return JsonResponse({"ok": True, "row_html": render_to_string(
            ENTRY_LINE_TEMPLATE, {"line": line, "mode": "quote"}, request=request)})


class QuoteDetailView(SectionMixin, PermissionRequiredMixin, DetailView):
    permission_required = PERM_VIEW
    section = "sales_quotes"
    template_name = "sales/quotes/detail.html"
    context_object_name = "quote"
    queryset = Quote.objects.select_related("ordering_node", "delivery_node", "invoicing_node", "salesperson",
                                            "created_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        quote: Quote = self.object
        lines = with_breakdowns(list(quote.lines.select_related("article").order_by("position")))
        order = getattr(quote, "order", None) if quote.state == QuoteState.ACCEPTED else None
        context.update(
            lines=lines, totals=order_totals(lines),
            events=events_labelled(quote.events.select_related("user").order_by("at", "pk"), QuoteState.choices),
            pdf_url=url_or_empty("sales:quote_pdf", quote.pk), order=order,
            is_expired_by_date=quote.state == QuoteState.SENT and quote.valid_until < timezone.localdate(),
            draft_order=order is not None and order.state == OrderState.DRAFT,
        )
        return context


class QuoteActionView(PermissionRequiredMixin, View):
    permission_required: Any = (PERM_VIEW, PERM_CHANGE)

    def run(self, quote: Quote) -> HttpResponse:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        quote = get_object_or_404(Quote, pk=pk)
        try:
            return self.run(quote)
        except DomainError as exc:
            if is_fetch(request):
                return refused_by(exc)
            for message in refusal_messages(exc):
                messages.error(request, message)
            return HttpResponseRedirect(reverse("sales:quote_detail", args=[pk]))


class QuoteSendView(QuoteActionView):
    def run(self, quote: Quote) -> HttpResponse:
        quote = quote_send(quote, user=self.request.user)
        messages.success(self.request, _("Quote %(number)s sent.") % {"number": quote.number})
        return HttpResponseRedirect(reverse("sales:quote_detail", args=[quote.pk]))


class QuoteAcceptView(QuoteActionView):
    permission_required = (PERM_VIEW, PERM_CHANGE, "sales.add_salesorder")

    def run(self, quote: Quote) -> HttpResponse:
        requested_date = parse_date(self.request.POST.get("requested_date", ""))
        order = quote_accept(quote, requested_date=requested_date, user=self.request.user)
        messages.success(self.request, _("Quote %(number)s accepted: draft order %(order)s made of it, to confirm.")
                         % {"number": quote.number, "order": order.display_number})
        return HttpResponseRedirect(reverse("sales:order_detail", args=[order.pk]))


class QuoteRefuseView(QuoteActionView):
    def run(self, quote: Quote) -> HttpResponse:
        form = ReasonForm(self.request.POST)
        form.is_valid()
        quote = quote_refuse(quote, user=self.request.user, reason=form.cleaned_data.get("reason", ""))
        messages.success(self.request, _("Quote %(number)s refused.") % {"number": quote.display_number})
        return HttpResponseRedirect(reverse("sales:quote_detail", args=[quote.pk]))


urlpatterns = [
    path("quotes/", QuoteListView.as_view(), name="quote_list"),
    path("quotes/new/", QuoteEntryView.as_view(), name="quote_create"),
    path("quotes/lines/preview/", QuoteLinePreviewView.as_view(), name="quote_line_preview"),
    path("quotes/<int:pk>/", QuoteDetailView.as_view(), name="quote_detail"),
    path("quotes/<int:pk>/edit/", QuoteUpdateView.as_view(), name="quote_update"),
    path("quotes/<int:pk>/send/", QuoteSendView.as_view(), name="quote_send"),
    path("quotes/<int:pk>/accept/", QuoteAcceptView.as_view(), name="quote_accept"),
    path("quotes/<int:pk>/refuse/", QuoteRefuseView.as_view(), name="quote_refuse"),
]
