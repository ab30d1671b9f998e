"""Screens of deliveries: the list, the detail with its picking list and pick form,
the actions (confirm picking, ship, cancel), the printable picking list, and the
PDF documents (delivery note, quote).

Thin shells: reads go through ``trade.sales.selectors.deliveries``, writes through
the services (each its own transaction), PDFs through ``trade.sales.documents``.
Every action is a POST with CSRF; shipping is idempotent in the service, so a
second "Ship" (double click, back button, two people) moves nothing twice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from comptoir.exceptions import DomainError
from logistics.forms import ANY_LABEL, QUANTITY, DateInput, warehouse_filter_field
from logistics.views.common import DocumentActionView, ExpiryContextMixin, error_messages
from pricing.forms import CustomerField
from trade.forms import plain_decimal
from trade.views.common import FilteredListView, SectionMixin

from ..documents import (
    PDF_CONTENT_TYPE,
    delivery_note_filename,
    delivery_note_pdf,
    quote_filename,
    quote_pdf,
)
from ..models import Delivery, DeliveryLine, DeliveryState, Quote
from ..selectors.deliveries import DeliveryFilters, delivery_list, delivery_note_lines, picking_list
from ..services import delivery_cancel, delivery_pick, delivery_ship

VIEW_PERMISSION = "sales.view_delivery"
CHANGE_PERMISSION = "sales.change_delivery"
SECTION = "deliveries"
OPEN_STATES = (DeliveryState.PICKING, DeliveryState.PICKED)


# ---------------------------------------------------------------- forms


class DeliveryFilterForm(forms.Form):
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False,
                              choices=[("", ANY_LABEL), *DeliveryState.choices])
    planned_from = forms.DateField(label=gettext_lazy("Planned from"), required=False, widget=DateInput())
    planned_to = forms.DateField(label=gettext_lazy("Planned until"), required=False, widget=DateInput())
    customer = CustomerField(label=gettext_lazy("Customer"), required=False,
                             help_text=gettext_lazy("Ordered by or delivered to this node or a node under it."))
    warehouse = warehouse_filter_field()
    number = forms.CharField(label=gettext_lazy("Number"), required=False, max_length=35,
                             widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Order, delivery or PO")}))

    def delivery_filters(self, values: dict[str, Any]) -> DeliveryFilters:
        return DeliveryFilters(
            state=values.get("state", ""), planned_from=values.get("planned_from"),
            planned_to=values.get("planned_to"), customer_node=values.get("customer"),
            warehouse=values.get("warehouse"), number=values.get("number", ""),
        )


class PickForm(forms.Form):
    """One picked quantity per delivery line (base units), 0 to the quantity to pick;
    it starts at what was recorded, else at the quantity to pick."""

    def __init__(self, *args: Any, lines: list[DeliveryLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            start = line.quantity if line.picked_quantity is None else line.picked_quantity
            self.fields[self.name_of(line)] = forms.DecimalField(
                label=_("Picked, line %(position)s") % {"position": line.order_line.position},
                min_value=Decimal(0), max_value=line.quantity, initial=plain_decimal(start),
                widget=forms.NumberInput(attrs={"class": "pick-input", "step": "any", "inputmode": "decimal",
                                                "data-to-pick": plain_decimal(line.quantity)}),
                **QUANTITY,
            )

    @staticmethod
    def name_of(line: DeliveryLine) -> str:
        return f"picked-{line.pk}"

    def rows(self) -> list[tuple[DeliveryLine, forms.BoundField]]:
        return [(line, self[self.name_of(line)]) for line in self.lines]

    def picked(self) -> dict[int, Decimal]:
        return {line.pk: self.cleaned_data[self.name_of(line)] for line in self.lines}

    def differs_from_record(self) -> bool:
        """Whether the quantities posted are not what picking already recorded."""
        return any(line.picked_quantity is None or line.picked_quantity != self.cleaned_data[self.name_of(line)]
                   for line in self.lines)


# ---------------------------------------------------------------- list and detail


class DeliveryListView(FilteredListView):
    permission_required = VIEW_PERMISSION
    template_name = "sales/deliveries/list.html"
    filter_form_class = DeliveryFilterForm
    section = SECTION
    context_object_name = "deliveries"

    def get_queryset(self) -> Any:
        form = self.get_filter_form()
        return delivery_list(form.delivery_filters(self.filters()))  # type: ignore[attr-defined]


def _delivery(pk: int) -> Delivery:
    return get_object_or_404(
        Delivery.objects.select_related("order__ordering_node", "delivery_node", "warehouse", "created_by"), pk=pk)


def _lines(delivery: Delivery) -> list[DeliveryLine]:
    return list(delivery.lines.select_related("order_line", "article").order_by("order_line__position", "pk"))


class DeliveryDetailView(SectionMixin, PermissionRequiredMixin, ExpiryContextMixin, TemplateView):
    """The delivery: header, lines with the pick form while it is open, the picking
    list (reserved lots by location; once shipped, what left), and its history."""

    permission_required = VIEW_PERMISSION
    template_name = "sales/deliveries/detail.html"
    section = SECTION

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_permission():
            return self.handle_no_permission()
        self.delivery = _delivery(kwargs["pk"])
        self.lines = _lines(self.delivery)
        return super().dispatch(request, *args, **kwargs)

    def can_change(self) -> bool:
        return self.request.user.has_perm(CHANGE_PERMISSION)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        delivery = self.delivery
        is_open = delivery.state in OPEN_STATES
        can_pick = is_open and self.can_change()
        pick_form = kwargs.get("pick_form") or (PickForm(lines=self.lines) if can_pick else None)
        rows = pick_form.rows() if pick_form is not None else [(line, None) for line in self.lines]
        labels = dict(DeliveryState.choices)
        shipped_lots = {}
        if delivery.state == DeliveryState.SHIPPED:
            shipped_lots = {note.delivery_line.pk: note.lots for note in delivery_note_lines(delivery)}
        context.update({
            "delivery": delivery,
            "order": delivery.order,
            "rows": [{"line": line, "field": field, "lots": shipped_lots.get(line.pk, ())} for line, field in rows],
            "pick_form": pick_form,
            "picking": picking_list(delivery),
            "events": [{"event": event, "from_label": labels.get(event.from_state, event.from_state),
                        "to_label": labels.get(event.to_state, event.to_state)}
                       for event in delivery.events.select_related("user")],
            "is_open": is_open,
            "can_pick": can_pick,
            "is_shipped": delivery.state == DeliveryState.SHIPPED,
            "has_short": any(line.short_quantity for line in self.lines),
        })
        return context


class DeliveryPickView(DeliveryDetailView):
    """Confirm picking: the quantities found per line (a short pick is recorded; what
    was not found goes back to stock when the delivery ships)."""

    http_method_names = ["post"]
    success_text = gettext_lazy("Picking of %(number)s recorded.")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.can_change():
            raise PermissionDenied
        form = PickForm(request.POST, lines=self.lines)
        if not form.is_valid():
            messages.error(request, _("The picked quantities were not saved: please correct the errors below."))
            return self.render_to_response(self.get_context_data(pick_form=form), status=400)
        try:
            delivery = delivery_pick(self.delivery, picked=form.picked(), user=request.user)
        except DomainError as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, self.success_text % {"number": delivery.number})
            short = [line for line in _lines(delivery) if line.short_quantity]
            if short:
                messages.warning(request, _("Short pick on %(count)s line(s): what was not found goes back "
                                            "to stock when the delivery ships.") % {"count": len(short)})
        return HttpResponseRedirect(reverse("sales:delivery_detail", args=[self.delivery.pk]))


class DeliveryShipView(DeliveryDetailView):
    """Ship. The pick inputs of the page come along: when they differ from what
    picking recorded they are recorded first, so a short quantity typed and then
    "Ship" is not lost. Shipping an already shipped delivery moves nothing."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.can_change():
            raise PermissionDenied
        delivery = self.delivery
        detail_url = reverse("sales:delivery_detail", args=[delivery.pk])
        already_shipped = delivery.state == DeliveryState.SHIPPED
        posted = any(key.startswith("picked-") for key in request.POST)
        try:
            if posted and delivery.state in OPEN_STATES:
                form = PickForm(request.POST, lines=self.lines)
                if not form.is_valid():
                    messages.error(request, _("Nothing shipped: please correct the picked quantities below."))
                    return self.render_to_response(self.get_context_data(pick_form=form), status=400)
                if delivery.state == DeliveryState.PICKING or form.differs_from_record():
                    delivery_pick(delivery, picked=form.picked(), user=request.user)
            # Idempotent: a delivery that has shipped (before, or meanwhile) is left as it is.
            delivery = delivery_ship(delivery, user=request.user)
        except DomainError as exc:
            delivery.refresh_from_db()
            if delivery.state != DeliveryState.SHIPPED:
                for message in error_messages(exc):
                    messages.error(request, message)
                return HttpResponseRedirect(detail_url)
            already_shipped = True  # someone shipped it between our read and our picking
        if already_shipped:
            messages.info(request, _("Delivery %(number)s had already shipped: nothing moved again.")
                          % {"number": delivery.number})
        else:
            messages.success(request, _("Delivery %(number)s shipped: the stock has left, the delivery note "
                                        "is ready.") % {"number": delivery.number})
        return HttpResponseRedirect(detail_url)


class DeliveryCancelView(DocumentActionView):
    permission_required = CHANGE_PERMISSION
    model = Delivery
    detail_url_name = "sales:delivery_detail"
    success_text = gettext_lazy("Delivery %(object)s cancelled: what it held is reserved for the order again.")

    def run(self, obj: Delivery) -> Delivery:
        return delivery_cancel(obj, user=self.request.user)


class PickingListView(PermissionRequiredMixin, ExpiryContextMixin, TemplateView):
    """The picking list on one printable page (the browser prints it): stops in the
    warehouse's walking order, a box to tick per row."""

    permission_required = VIEW_PERMISSION
    template_name = "sales/deliveries/picking_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        delivery = _delivery(self.kwargs["pk"])
        context.update({
            "delivery": delivery,
            "order": delivery.order,
            "lines": _lines(delivery),
            "picking": picking_list(delivery),
            "printed_at": timezone.localtime(),
        })
        return context


# ---------------------------------------------------------------- PDF documents


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    """A PDF shown in the browser (inline), saved under ``filename``; kept out of
    shared caches (it carries customer data)."""
    response = HttpResponse(content, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(False, filename)
    patch_cache_control(response, private=True, no_cache=True)
    return response


def _back(request: HttpRequest, url_name: str, pk: int) -> HttpResponseRedirect:
    """Back where the user came from, else to the document's page, else home."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return HttpResponseRedirect(referer)
    try:
        return HttpResponseRedirect(reverse(url_name, args=[pk]))
    except NoReverseMatch:
        return HttpResponseRedirect(reverse("home"))


class DeliveryNotePdfView(PermissionRequiredMixin, View):
    permission_required = VIEW_PERMISSION

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        delivery = get_object_or_404(Delivery, pk=pk)
        try:
            content = delivery_note_pdf(delivery)
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return HttpResponseRedirect(reverse("sales:delivery_detail", args=[pk]))
        return pdf_response(content, delivery_note_filename(delivery))


class QuotePdfView(PermissionRequiredMixin, View):
    permission_required = "sales.view_quote"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        quote = get_object_or_404(Quote, pk=pk)
        try:
            content = quote_pdf(quote)
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return _back(request, "sales:quote_detail", pk)
        return pdf_response(content, quote_filename(quote))


urlpatterns = [
    path("deliveries/", DeliveryListView.as_view(), name="delivery_list"),
    path("deliveries/<int:pk>/", DeliveryDetailView.as_view(), name="delivery_detail"),
    path("deliveries/<int:pk>/pick/", DeliveryPickView.as_view(), name="delivery_pick"),
    path("deliveries/<int:pk>/ship/", DeliveryShipView.as_view(), name="delivery_ship"),
    path("deliveries/<int:pk>/cancel/", DeliveryCancelView.as_view(), name="delivery_cancel"),
    path("deliveries/<int:pk>/picking-list/", PickingListView.as_view(), name="picking_list"),
    path("deliveries/<int:pk>/delivery-note.pdf", DeliveryNotePdfView.as_view(), name="delivery_note_pdf"),
    path("quotes/<int:pk>/quote.pdf", QuotePdfView.as_view(), name="quote_pdf"),
]
