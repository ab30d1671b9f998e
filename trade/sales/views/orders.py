"""Screens of sales orders: the entry grid (lines added, changed and removed without
reloading the page, each row rendered here from one partial template), the list, the
detail page with one POST per action, the customer panel and the type-ahead lookups.

Thin shells: forms parse, ``trade.sales.services`` write (one transaction each),
selectors read; a refusal (``DomainError``) is shown next to what caused it and
nothing is half-saved. Requests sent by the entry script carry
``X-Requested-With: fetch`` and get JSON (with rendered HTML) instead of a redirect.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, TemplateView

from comptoir.exceptions import DomainError, ValidationFailed
from logistics.models import Warehouse
from trade.models import CustomerNode
from trade.selectors import customer_node_effective_settings
from trade.views.common import FilteredListView, SectionMixin

from ..forms import (
    OrderFilterForm,
    OrderHeaderForm,
    ReasonForm,
    RequestedDateForm,
    customer_by_code,
    keyed_lines,
    parse_date,
    parse_quantity,
)
from ..models import LineState, OrderState, SalesOrder, SalesOrderLine
from ..selectors.orders import (
    articles_lookup,
    customers_lookup,
    next_working_day,
    order_events,
    order_line_statuses,
    order_lines_for_entry,
    order_totals,
    orders_filter,
    recent_orders,
    usual_assortment,
)
from ..services import (
    delivery_create,
    order_backorders_reserve,
    order_cancel,
    order_close,
    order_confirm,
    order_copy,
    order_create,
    order_header_update,
    order_line_cancel,
    order_line_change,
    order_lines_add,
    parties_resolve,
)

PERM_VIEW = "sales.view_salesorder"
PERM_ADD = "sales.add_salesorder"
PERM_CHANGE = "sales.change_salesorder"
PERM_DELIVER = "sales.add_delivery"

ENTRY_LINE_TEMPLATE = "sales/orders/_entry_line.html"


# ---------------------------------------------------------------- shared helpers (quotes use them too)


def is_fetch(request: HttpRequest) -> bool:
    """A request from the entry script: answer JSON, not a redirect."""
    return request.headers.get("X-Requested-With") == "fetch"


def refusal_messages(exc: DomainError) -> list[str]:
    if isinstance(exc, ValidationFailed):
        return [str(message) for field_messages in exc.errors.values() for message in field_messages]
    return [str(exc.message)]


def form_messages(form: Any) -> list[str]:
    """A form's errors as sentences naming the field."""
    result = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        result += [f"{label}: {error}" if label else str(error) for error in errors]
    return result


def refused(errors: Sequence[str], *, status: int = 400, fields: dict | None = None) -> JsonResponse:
    return JsonResponse({"ok": False, "errors": list(errors), "fields": fields or {}}, status=status)


def refused_by(exc: DomainError) -> JsonResponse:
    fields = {name: [str(m) for m in msgs] for name, msgs in exc.errors.items()} \
        if isinstance(exc, ValidationFailed) else {}
    return refused(refusal_messages(exc), status=400 if isinstance(exc, ValidationFailed) else 409, fields=fields)


def _dec(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def breakdown_view(data: dict | None) -> dict | None:
    """The engine's JSON snapshot of a line (``PricedLine.to_breakdown``) with its
    numbers as decimals, for ``sales/_breakdown.html``."""
    if not data or data.get("unpriced") or "gross" not in data:
        return None
    levels = [
        {**level, "rate": _dec(level.get("rate")), "amount": _dec(level.get("amount")),
         "price_after": _dec(level.get("price_after"))}
        for level in data.get("levels") or []
    ]
    net_price = data.get("net_price")
    if net_price:
        net_price = {**net_price, "price": _dec(net_price.get("price"))}
    free_goods = data.get("free_goods")
    if free_goods:
        free_goods = {**free_goods, **{key: _dec(free_goods.get(key))
                                       for key in ("buy_quantity", "free_per_buy", "free_quantity",
                                                   "free_base_quantity")}}
    margin = data.get("margin")
    if margin:
        margin = {key: _dec(value) for key, value in margin.items()}
    return {
        "gross": _dec((data.get("gross") or {}).get("unit_price")),
        "price_list_code": (data.get("gross") or {}).get("price_list_code") or "",
        "levels": levels,
        "net_price": net_price,
        "net_unit_price": _dec(data.get("net_unit_price")),
        "line_amount": _dec(data.get("line_amount")),
        "quantity": _dec(data.get("quantity")),
        "unit": data.get("unit", ""),
        "free_goods": free_goods,
        "effective_unit_price": _dec(data.get("effective_unit_price")),
        "equivalent_discount_rate": _dec(data.get("equivalent_discount_rate")),
        "margin": margin,
        "flags": data.get("flags") or {},
        "date": data.get("date", ""),
    }


def with_breakdowns(lines: Sequence[Any]) -> Sequence[Any]:
    for line in lines:
        line.breakdown_view = breakdown_view(line.breakdown)
    return lines


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


def url_or_empty(name: str, *args: Any) -> str:
    """The URL of a screen another module provides, or "" while it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def events_labelled(events: Any, choices: Any) -> list[Any]:
    """History rows with their states as people read them (``from_label``, ``to_label``)."""
    labels = dict(choices)
    rows = list(events)
    for event in rows:
        event.from_label = labels.get(event.from_state, event.from_state)
        event.to_label = labels.get(event.to_state, event.to_state)
    return rows


def default_warehouse() -> Warehouse | None:
    return Warehouse.objects.filter(is_active=True).order_by("code").first()


# ---------------------------------------------------------------- rendering pieces


def order_urls(order: SalesOrder) -> dict[str, str]:
    return {
        "id": order.pk,
        "number": str(order.display_number),
        "title": _("Order %(number)s") % {"number": order.display_number},
        "edit_url": reverse("sales:order_edit", args=[order.pk]),
        "detail_url": reverse("sales:order_detail", args=[order.pk]),
        "line_add_url": reverse("sales:order_line_add", args=[order.pk]),
        "header_url": reverse("sales:order_header", args=[order.pk]),
        "confirm_url": reverse("sales:order_confirm", args=[order.pk]),
    }


def render_entry_line(request: HttpRequest, line: SalesOrderLine, order: SalesOrder) -> str:
    with_breakdowns([line])
    return render_to_string(ENTRY_LINE_TEMPLATE, {"line": line, "order": order, "mode": "order"}, request=request)


def render_entry_lines(request: HttpRequest, order: SalesOrder) -> tuple[str, str]:
    """Every open line of a draft (rows) and the totals, as HTML."""
    lines = with_breakdowns(order_lines_for_entry(order))
    rows = "".join(render_to_string(ENTRY_LINE_TEMPLATE, {"line": line, "order": order, "mode": "order"},
                                    request=request) for line in lines)
    return rows, render_totals(request, lines)


def render_totals(request: HttpRequest, lines: Sequence[Any]) -> str:
    return render_to_string("sales/orders/_totals.html", {"totals": order_totals(lines)}, request=request)


def open_lines_totals(request: HttpRequest, order: SalesOrder) -> str:
    return render_totals(request, list(order.lines.filter(state=LineState.OPEN)))


def entry_context(order: SalesOrder | None, customer: CustomerNode | None) -> dict[str, Any]:
    """The customer panel beside the entry grid: parties resolved from the hierarchy,
    the settings that change what the order gets, recent orders, usual assortment."""
    if customer is None:
        return {"customer": None}
    parties = parties_resolve(customer)
    settings = customer_node_effective_settings(customer)
    return {
        "customer": customer,
        "parties": parties,
        "customer_settings": {
            name: settings.value(name)
            for name in ("min_shelf_life", "backorder_policy", "full_cases_only", "credit_limit")
        },
        "recent_orders": [o for o in recent_orders(customer) if order is None or o.pk != order.pk],
        "assortment": usual_assortment(customer),
        "order": order,
        "today": timezone.localdate(),
        "copy_date": next_working_day(),
    }


# ---------------------------------------------------------------- lookups


@permission_required("trade.view_customernode", raise_exception=True)
def lookup_customers(request: HttpRequest) -> JsonResponse:
    """Customer nodes by code, name or GLN: ``{"results": [{id, value, label, ...}]}``
    (``value``/``label`` as the shell's generic type-ahead expects)."""
    nodes = customers_lookup(request.GET.get("q", ""))
    return JsonResponse({"results": [
        {"id": node.pk, "value": node.code, "code": node.code, "name": node.name,
         "label": f"{node.name} · {node.get_kind_display()}", "kind": node.kind,
         "kind_label": str(node.get_kind_display()), "gln": node.gln or "",
         "blocked": node.is_blocked or not node.is_active}
        for node in nodes
    ]})


@permission_required("trade.view_article", raise_exception=True)
def lookup_articles(request: HttpRequest) -> JsonResponse:
    """Articles by code, GTIN (with its packaging level) or designation fragment."""
    return JsonResponse({"results": [hit.as_json() for hit in articles_lookup(request.GET.get("q", ""))]})


@permission_required(PERM_VIEW, raise_exception=True)
def customer_panel(request: HttpRequest) -> HttpResponse:
    """The customer panel of the entry screen (HTML), for ``?customer=<id>``."""
    customer = get_object_or_404(CustomerNode, pk=request.GET.get("customer") or 0)
    order = None
    if (request.GET.get("order") or "").isdigit():
        order = SalesOrder.objects.filter(pk=int(request.GET["order"])).first()
    context = {"panel": entry_context(order, customer), "mode": request.GET.get("mode", "order")}
    return HttpResponse(render_to_string("sales/orders/_customer_panel.html", context, request=request))


# ---------------------------------------------------------------- entry


class OrderEntryView(SectionMixin, PermissionRequiredMixin, TemplateView):
    """New order (``pk`` absent) or a draft's lines (``pk``): header, the line grid,
    the customer panel. A confirmed order opens its detail page instead."""

    permission_required = (PERM_VIEW, PERM_ADD, PERM_CHANGE)
    template_name = "sales/orders/entry.html"
    section = "sales_order_new"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.order = None
        if "pk" in kwargs:
            self.order = get_object_or_404(
                SalesOrder.objects.select_related("ordering_node", "delivery_node", "invoicing_node", "warehouse"),
                pk=kwargs["pk"])
            if self.order.state != OrderState.DRAFT:
                messages.info(request, _("Order %(number)s is %(state)s: its lines are changed from its page.")
                              % {"number": self.order.display_number, "state": self.order.get_state_display()})
                return HttpResponseRedirect(reverse("sales:order_detail", args=[self.order.pk]))
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Create the draft: the header with its first line(s), or the header alone."""
        if not request.user.has_perm(PERM_ADD):
            return refused([_("You may not create orders.")], status=403)
        form = OrderHeaderForm(request.POST)
        keyed = keyed_lines(request.POST)
        if not form.is_valid():
            return self._refuse(request, form_messages(form), fields=dict(form.errors))
        if keyed.errors:
            return self._refuse(request, keyed.errors, fields={"lines": keyed.errors})
        data = form.cleaned_data
        try:
            order = order_create(
                ordering_node=data["customer"], lines=keyed.lines, requested_date=data["requested_date"],
                delivery_node=data["delivery_node"], invoicing_node=data["invoicing_node"],
                customer_reference=data["customer_reference"], warehouse=data["warehouse"], notes=data["notes"],
                user=request.user,
            )
        except DomainError as exc:
            if is_fetch(request):
                return refused_by(exc)
            return self._refuse(request, refusal_messages(exc))
        if not is_fetch(request):
            messages.success(request, _("Draft order %(number)s created.") % {"number": order.display_number})
            return HttpResponseRedirect(reverse("sales:order_edit", args=[order.pk]))
        rows, totals = render_entry_lines(request, order)
        return JsonResponse({"ok": True, "order": order_urls(order), "lines_html": rows, "totals_html": totals})

    def _refuse(self, request: HttpRequest, errors: list[str], *, fields: dict | None = None) -> HttpResponse:
        if is_fetch(request):
            return refused(errors, fields={k: [str(m) for m in v] for k, v in (fields or {}).items()})
        for error in errors:
            messages.error(request, error)
        return HttpResponseRedirect(reverse("sales:order_create"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        order = self.order
        customer = None
        if order is not None:
            form = OrderHeaderForm(initial={
                "customer": order.ordering_node_id, "requested_date": order.requested_date,
                "customer_reference": order.customer_reference, "delivery_node": order.delivery_node_id,
                "invoicing_node": order.invoicing_node_id, "warehouse": order.warehouse_id, "notes": order.notes,
            })
            customer = order.ordering_node
            lines = with_breakdowns(order_lines_for_entry(order))
            context.update(order=order, lines=lines, totals=order_totals(lines), urls=order_urls(order),
                           delivery_node=order.delivery_node, invoicing_node=order.invoicing_node)
        else:
            warehouse = default_warehouse()
            customer_id = self.request.GET.get("customer", "")
            customer = CustomerNode.objects.filter(pk=customer_id).first() if customer_id.isdigit() else None
            form = OrderHeaderForm(initial={"requested_date": next_working_day(),
                                            "warehouse": warehouse.pk if warehouse else None,
                                            "customer": customer.pk if customer else None})
            context.update(order=None, lines=[], totals=order_totals([]), urls={})
            if customer is not None:
                parties = parties_resolve(customer)
                form.initial.update(delivery_node=parties.delivery_node.pk, invoicing_node=parties.invoicing_node.pk)
                context.update(delivery_node=parties.delivery_node, invoicing_node=parties.invoicing_node)
        context["form"] = form
        context["panel"] = entry_context(order, customer)
        context["section"] = "sales_order_new" if order is None else "sales_orders"
        return context


class OrderPostView(PermissionRequiredMixin, View):
    """A POST on one order (or one of its lines) calling one service."""

    permission_required: ClassVar[Any] = (PERM_VIEW, PERM_CHANGE)

    def order(self, pk: int) -> SalesOrder:
        return get_object_or_404(
            SalesOrder.objects.select_related("ordering_node", "delivery_node", "invoicing_node", "warehouse"),
            pk=pk)

    def back(self, order: SalesOrder) -> HttpResponseRedirect:
        default = reverse("sales:order_edit" if order.state == OrderState.DRAFT else "sales:order_detail",
                          args=[order.pk])
        return HttpResponseRedirect(safe_next(self.request, default))

    def fail(self, order: SalesOrder, errors: Sequence[str], exc: DomainError | None = None) -> HttpResponse:
        if is_fetch(self.request):
            return refused_by(exc) if exc is not None else refused(errors)
        for error in errors:
            messages.error(self.request, error)
        return self.back(order)


class OrderLineAddView(OrderPostView):
    """Add one keyed line (the entry row) or several (the usual assortment) to an
    order; several are added all or none."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = self.order(pk)
        keyed = keyed_lines(request.POST)
        if keyed.errors:
            return self.fail(order, keyed.errors)
        if not keyed.lines:
            return self.fail(order, [_("Type an article code, a GTIN or part of a designation.")])
        try:
            added = order_lines_add(order, keyed.lines, user=request.user)  # all or none
        except DomainError as exc:
            return self.fail(order, refusal_messages(exc), exc)
        order.refresh_from_db()
        if not is_fetch(request):
            messages.success(request, _("%(count)s line(s) added.") % {"count": len(added)})
            return self.back(order)
        if len(added) == 1 and order.state == OrderState.DRAFT:
            return JsonResponse({"ok": True, "row_html": render_entry_line(request, _entry_line(added[0], order),
                                                                             order),
                                 "totals_html": open_lines_totals(request, order), "order": order_urls(order)})
        rows, totals = render_entry_lines(request, order)
        return JsonResponse({"ok": True, "lines_html": rows, "totals_html": totals, "order": order_urls(order)})


def _entry_line(line: SalesOrderLine, order: SalesOrder) -> SalesOrderLine:
    """A line as the entry grid shows it (with its outlook), freshly read."""
    return order_lines_for_entry(order, line_ids=[line.pk])[0]


class OrderLineChangeView(OrderPostView):
    """Change a line's quantity (in its unit) or requested date."""

    def post(self, request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
        order = self.order(pk)
        line = get_object_or_404(SalesOrderLine, pk=line_pk, order=order)
        raw_quantity = request.POST.get("quantity", "").strip()
        raw_date = request.POST.get("requested_date", "").strip()
        quantity = parse_quantity(raw_quantity) if raw_quantity else None
        requested_date = parse_date(raw_date) if raw_date else None
        errors = []
        if raw_quantity and quantity is None:
            errors.append(_("%(line)s: the quantity “%(quantity)s” is not a number.")
                          % {"line": _("Line %(position)s") % {"position": line.position}, "quantity": raw_quantity})
        if raw_date and requested_date is None:
            errors.append(_("“%(date)s” is not a date.") % {"date": raw_date})
        if errors:
            return self.fail(order, errors)
        try:
            line = order_line_change(line, quantity=quantity, requested_date=requested_date, user=request.user)
        except DomainError as exc:
            return self.fail(order, refusal_messages(exc), exc)
        order.refresh_from_db()
        if not is_fetch(request):
            messages.success(request, _("Line %(position)s changed.") % {"position": line.position})
            return self.back(order)
        return JsonResponse({"ok": True, "row_html": render_entry_line(request, _entry_line(line, order), order),
                             "totals_html": open_lines_totals(request, order)})


class OrderLineCancelView(OrderPostView):
    """Remove a draft's line, or cancel a confirmed order's line (its reservation goes back)."""

    def post(self, request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
        order = self.order(pk)
        line = get_object_or_404(SalesOrderLine, pk=line_pk, order=order)
        try:
            order_line_cancel(line, user=request.user)
        except DomainError as exc:
            return self.fail(order, refusal_messages(exc), exc)
        order.refresh_from_db()
        if not is_fetch(request):
            messages.success(request, _("Line %(position)s cancelled.") % {"position": line.position})
            return self.back(order)
        return JsonResponse({"ok": True, "removed": True, "line": line_pk,
                             "totals_html": open_lines_totals(request, order)})


class OrderHeaderView(OrderPostView):
    """Change the header: a draft's parties, reference, warehouse, date and notes (the
    lines are re-priced and their availability read again); an open order's requested
    date and notes."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = self.order(pk)
        if order.state == OrderState.DRAFT:
            form = OrderHeaderForm(request.POST)
            if not form.is_valid():
                return self.fail(order, form_messages(form))
            data = form.cleaned_data
            parties = parties_resolve(data["customer"], delivery_node=data["delivery_node"],
                                      invoicing_node=data["invoicing_node"])
            wanted = {
                "ordering_node": data["customer"], "requested_date": data["requested_date"],
                "customer_reference": data["customer_reference"], "warehouse": data["warehouse"],
                "notes": data["notes"],
                "delivery_node": parties.delivery_node, "invoicing_node": parties.invoicing_node,
            }
        else:
            form = RequestedDateForm(request.POST)
            if not form.is_valid():
                return self.fail(order, form_messages(form))
            wanted = {"requested_date": form.cleaned_data["requested_date"] or order.requested_date}
            if "notes" in request.POST:
                wanted["notes"] = request.POST["notes"]
        changes = {name: value for name, value in wanted.items() if getattr(order, name) != value}
        if changes:
            try:
                order = order_header_update(order, user=request.user, **changes)
            except DomainError as exc:
                return self.fail(order, refusal_messages(exc), exc)
        if not is_fetch(request):
            if changes:
                messages.success(request, _("Order %(number)s changed.") % {"number": order.display_number})
            return self.back(order)
        rows, totals = render_entry_lines(request, order)
        return JsonResponse({"ok": True, "changed": sorted(changes), "lines_html": rows, "totals_html": totals,
                             "order": order_urls(order)})


class OrderActionView(OrderPostView):
    """One transition from the detail page: run it, say what happened, go back."""

    def run(self, order: SalesOrder) -> HttpResponse:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = self.order(pk)
        try:
            return self.run(order)
        except DomainError as exc:
            return self.fail(order, refusal_messages(exc), exc)


class OrderConfirmView(OrderActionView):
    def run(self, order: SalesOrder) -> HttpResponse:
        result = order_confirm(order, user=self.request.user)
        order = result.order
        messages.success(self.request, _("Order %(number)s confirmed.") % {"number": order.number})
        for line in result.price_changes:
            messages.warning(self.request, _("Line %(position)s (%(article)s): net price %(old)s → %(new)s since "
                                             "it was keyed.") % {
                "position": line.position, "article": line.article.code,
                "old": f"{line.keyed_net_unit_price:.4f}", "new": f"{line.net_unit_price:.4f}"})
        for line, short, reason in result.short_lines:
            cut = order.backorder_policy == "cut"
            messages.warning(self.request, (
                _("Line %(position)s (%(article)s): %(short)s short (%(reason)s), cut.") if cut else
                _("Line %(position)s (%(article)s): %(short)s short (%(reason)s), kept as backorder.")) % {
                "position": line.position, "article": line.article.code, "short": f"{short.normalize():f}",
                "reason": reason})
        return HttpResponseRedirect(reverse("sales:order_detail", args=[order.pk]))


class OrderBackordersView(OrderActionView):
    def run(self, order: SalesOrder) -> HttpResponse:
        short = order_backorders_reserve(order, user=self.request.user)
        if short:
            messages.warning(self.request, _("Still short: %(lines)s.") % {"lines": "; ".join(
                f"{line.position}. {line.article.code}: {quantity.normalize():f} ({reason})"
                for line, quantity, reason in short)})
        else:
            messages.success(self.request, _("Every open line is reserved."))
        return self.back(order)


class OrderDeliverView(OrderActionView):
    permission_required = (PERM_VIEW, PERM_DELIVER)

    def run(self, order: SalesOrder) -> HttpResponse:
        delivery = delivery_create(order, user=self.request.user)
        messages.success(self.request, _("Delivery %(number)s created.") % {"number": delivery.number})
        target = url_or_empty("sales:delivery_detail", delivery.pk)
        return HttpResponseRedirect(target or reverse("sales:order_detail", args=[order.pk]))


class OrderCancelView(OrderActionView):
    def run(self, order: SalesOrder) -> HttpResponse:
        form = ReasonForm(self.request.POST)
        form.is_valid()
        order = order_cancel(order, user=self.request.user, reason=form.cleaned_data.get("reason", ""))
        messages.success(self.request, _("Order %(number)s cancelled: its stock is released.")
                         % {"number": order.display_number})
        return HttpResponseRedirect(reverse("sales:order_detail", args=[order.pk]))


class OrderCloseView(OrderActionView):
    def run(self, order: SalesOrder) -> HttpResponse:
        form = ReasonForm(self.request.POST)
        form.is_valid()
        order = order_close(order, user=self.request.user, reason=form.cleaned_data.get("reason", ""))
        messages.success(self.request, _("Order %(number)s closed.") % {"number": order.display_number})
        return HttpResponseRedirect(reverse("sales:order_detail", args=[order.pk]))


class OrderCopyView(OrderActionView):
    permission_required = (PERM_VIEW, PERM_ADD)

    def run(self, order: SalesOrder) -> HttpResponse:
        form = RequestedDateForm(self.request.POST)
        form.is_valid()
        requested_date = form.cleaned_data.get("requested_date") or next_working_day()
        copy = order_copy(order, requested_date=requested_date, user=self.request.user)
        messages.success(self.request, _("Order %(number)s copied into draft %(copy)s: check it and confirm.")
                         % {"number": order.display_number, "copy": copy.display_number})
        return HttpResponseRedirect(reverse("sales:order_edit", args=[copy.pk]))


# ---------------------------------------------------------------- list and detail


class OrderListView(FilteredListView):
    permission_required = PERM_VIEW
    template_name = "sales/orders/list.html"
    filter_form_class = OrderFilterForm
    section = "sales_orders"
    context_object_name = "orders"

    def filter_form_kwargs(self) -> dict[str, Any]:
        return {"lookup_url": reverse("sales:lookup_customers")}

    def get_queryset(self) -> Any:
        filters = self.filters()
        node = customer_by_code(filters.get("customer", ""))
        if filters.get("customer") and node is None:
            return SalesOrder.objects.none()
        return orders_filter(
            search=filters.get("q", "").strip(), state=filters.get("state", ""), node=node,
            origin=filters.get("origin", ""), created_from=filters.get("created_from"),
            created_to=filters.get("created_to"), requested_from=filters.get("requested_from"),
            requested_to=filters.get("requested_to"), late=bool(filters.get("late")),
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["today"] = timezone.localdate()
        return context


class OrderDetailView(SectionMixin, PermissionRequiredMixin, DetailView):
    permission_required = PERM_VIEW
    section = "sales_orders"
    template_name = "sales/orders/detail.html"
    context_object_name = "order"
    queryset = SalesOrder.objects.select_related(
        "ordering_node", "delivery_node", "invoicing_node", "warehouse", "salesperson", "created_by", "quote")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        order: SalesOrder = self.object
        statuses = order_line_statuses(order)
        with_breakdowns([status.line for status in statuses])
        open_statuses = [s for s in statuses if s.line.state == LineState.OPEN]
        deliveries = list(order.deliveries.order_by("pk"))
        for delivery in deliveries:
            delivery.detail_url = url_or_empty("sales:delivery_detail", delivery.pk)
            delivery.note_url = url_or_empty("sales:delivery_note_pdf", delivery.pk)
        today = timezone.localdate()
        context.update(
            statuses=statuses,
            totals=order_totals([s.line for s in open_statuses]),
            price_changes=[s.line for s in open_statuses if s.line.price_changed],
            short_statuses=[s for s in open_statuses
                            if order.state != OrderState.DRAFT and (s.short > 0 or s.line.cut_quantity > 0)],
            deliveries=deliveries,
            events=events_labelled(order_events(order), OrderState.choices),
            is_draft=order.state == OrderState.DRAFT,
            is_open=order.is_open,
            can_cancel=order.state in (OrderState.DRAFT, OrderState.CONFIRMED)
            and not any(s.line.delivered_quantity for s in statuses),
            can_close=order.state in (OrderState.PARTIALLY_DELIVERED, OrderState.DELIVERED)
            or (order.state == OrderState.CONFIRMED and any(s.line.delivered_quantity for s in statuses)),
            has_backorders=order.is_open and any(s.short > 0 for s in open_statuses),
            is_late=order.is_open and order.requested_date < today,
            today=today,
            copy_date=next_working_day(),
            quote_url=url_or_empty("sales:quote_detail", order.quote_id) if order.quote_id else "",
        )
        return context


urlpatterns = [
    path("orders/", OrderListView.as_view(), name="order_list"),
    path("orders/new/", OrderEntryView.as_view(), name="order_create"),
    path("orders/<int:pk>/", OrderDetailView.as_view(), name="order_detail"),
    path("orders/<int:pk>/edit/", OrderEntryView.as_view(), name="order_edit"),
    path("orders/<int:pk>/header/", OrderHeaderView.as_view(), name="order_header"),
    path("orders/<int:pk>/lines/add/", OrderLineAddView.as_view(), name="order_line_add"),
    path("orders/<int:pk>/lines/<int:line_pk>/change/", OrderLineChangeView.as_view(), name="order_line_change"),
    path("orders/<int:pk>/lines/<int:line_pk>/cancel/", OrderLineCancelView.as_view(), name="order_line_cancel"),
    path("orders/<int:pk>/confirm/", OrderConfirmView.as_view(), name="order_confirm"),
    path("orders/<int:pk>/backorders/", OrderBackordersView.as_view(), name="order_backorders_reserve"),
    path("orders/<int:pk>/deliver/", OrderDeliverView.as_view(), name="order_delivery_create"),
    path("orders/<int:pk>/cancel/", OrderCancelView.as_view(), name="order_cancel"),
    path("orders/<int:pk>/close/", OrderCloseView.as_view(), name="order_close"),
    path("orders/<int:pk>/copy/", OrderCopyView.as_view(), name="order_copy"),
    path("orders/customer-panel/", customer_panel, name="order_customer_panel"),
    path("lookup/customers/", lookup_customers, name="lookup_customers"),
    path("lookup/articles/", lookup_articles, name="lookup_articles"),
]
