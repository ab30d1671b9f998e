"""Price lists (tarifs): list, page with its lines, header form (a list may derive
from a parent × a coefficient) and the lines' editable table."""

from __future__ import annotations

from typing import Any

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
from comptoir.identifiers import compact_digits, gtin_lookup_forms
from trade.models import Packaging, PriceList
from trade.services import price_list_save
from trade.views.common import PAGE_SIZE, FilteredListView, SectionMixin, yes_no

from ..forms import (
    PriceListFilterForm,
    PriceListForm,
    PriceListItemFilterForm,
    PriceListItemForm,
    PriceListItemFormSet,
)
from ..models import PriceListItem
from ..selectors import price_list_chain
from ..services import price_list_item_save
from .common import ServiceFormView, apply_validation_errors, domain_messages

ITEM_PAGE_SIZE = PAGE_SIZE


class PriceListListView(FilteredListView):
    permission_required = "trade.view_pricelist"
    template_name = "pricing/price_lists/list.html"
    filter_form_class = PriceListFilterForm
    section = "price_lists"
    context_object_name = "price_lists"

    def get_queryset(self) -> QuerySet[PriceList]:
        filters = self.filters()
        queryset = PriceList.objects.select_related("parent").annotate(
            item_count=Count("items", distinct=True),
            holder_count=Count("customernode", distinct=True),
        )
        search = filters.get("q", "").strip()
        if search:
            queryset = queryset.filter(Q(code__icontains=search) | Q(name__icontains=search))
        active = yes_no(filters.get("active", ""))
        if active is not None:
            queryset = queryset.filter(is_active=active)
        return queryset.order_by("code")


def item_queryset(price_list: PriceList, article: str) -> QuerySet[PriceListItem]:
    """The list's own lines, narrowed to an article by code, designation or GTIN."""
    queryset = price_list.items.select_related("article")
    article = article.strip()
    if article:
        condition = Q(article__code__icontains=article) | Q(article__designation__icontains=article)
        digits = compact_digits(article)
        if digits.isdigit() and len(digits) >= 8:
            gtins = Packaging.objects.filter(gtin__in=gtin_lookup_forms(digits))
            condition |= Q(article_id__in=gtins.values("article_id"))
        queryset = queryset.filter(condition)
    return queryset.order_by("article__code", "packaging_level", "min_quantity", "valid_from", "pk")


class PriceListItemsMixin:
    """The page of lines a request looks at: ``?article=`` and ``?page=``."""

    request: HttpRequest

    def item_filter(self) -> PriceListItemFilterForm:
        form = PriceListItemFilterForm(self.request.GET or None)
        form.is_valid()
        return form

    def item_page(self, price_list: PriceList) -> tuple[PriceListItemFilterForm, Page]:
        filter_form = self.item_filter()
        article = filter_form.cleaned_data.get("article", "") if filter_form.is_bound else ""
        paginator = Paginator(item_queryset(price_list, article), ITEM_PAGE_SIZE)
        return filter_form, paginator.get_page(self.request.GET.get("page"))


class PriceListDetailView(PriceListItemsMixin, SectionMixin, PermissionRequiredMixin, TemplateView):
    permission_required = ("trade.view_pricelist", "pricing.view_pricelistitem")
    template_name = "pricing/price_lists/detail.html"
    section = "price_lists"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        price_list = get_object_or_404(
            PriceList.objects.select_related("parent"), pk=self.kwargs["pk"]
        )
        filter_form, page = self.item_page(price_list)
        context.update(
            {
                "price_list": price_list,
                "chain": price_list_chain(price_list),
                "derived_lists": price_list.derived_lists.order_by("code"),
                "holders": price_list.customernode_set.order_by("depth", "code")[:20],
                "holder_count": price_list.customernode_set.count(),
                "filter_form": filter_form,
                "is_filtered": bool(
                    filter_form.is_bound and filter_form.cleaned_data.get("article")
                ),
                "items_page": page,
                "list_url": reverse("pricing:price_list_detail", args=[price_list.pk]),
            }
        )
        return context


class PriceListFormView(ServiceFormView):
    template_name = "pricing/price_lists/form.html"
    section = "price_lists"

    def get_object(self) -> PriceList | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(PriceList, pk=self.kwargs["pk"])

    def build(self, data: Any | None) -> tuple[BaseModelForm, dict[str, BaseFormSet]]:
        return PriceListForm(
            data, instance=self.object if self.object is not None else PriceList()
        ), {}

    def write(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> PriceList:
        return price_list_save(form.save(commit=False))

    def success_url(self, obj: Any) -> str:
        return reverse("pricing:price_list_detail", args=[obj.pk])


class PriceListCreateView(PriceListFormView):
    permission_required = "trade.add_pricelist"
    success_message = gettext_lazy("Price list %(object)s created.")


class PriceListUpdateView(PriceListFormView):
    permission_required = "trade.change_pricelist"
    success_message = gettext_lazy("Price list %(object)s saved.")


class PriceListItemsView(PriceListItemsMixin, SectionMixin, PermissionRequiredMixin, TemplateView):
    """Edit the lines of one page of a price list (same filter and page as the list
    page) and add new ones; every changed line goes through ``price_list_item_save``
    in one transaction, and a refused line leaves nothing saved."""

    permission_required = (
        "trade.view_pricelist",
        "pricing.add_pricelistitem",
        "pricing.change_pricelistitem",
    )
    template_name = "pricing/price_lists/items.html"
    section = "price_lists"
    price_list: PriceList

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_permission():
            return self.handle_no_permission()
        self.price_list = get_object_or_404(PriceList, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def build(self, data: Any | None) -> tuple[BaseFormSet, PriceListItemFilterForm, Page]:
        filter_form, page = self.item_page(self.price_list)
        if data is None:
            queryset = self.price_list.items.filter(pk__in=[item.pk for item in page.object_list])
        else:
            # The rows posted back, whatever was inserted meanwhile: the ids in the form.
            prefix = "items"
            total = data.get(f"{prefix}-TOTAL_FORMS", "0")
            count = int(total) if total.isdigit() else 0
            ids = [data.get(f"{prefix}-{index}-id", "") for index in range(count)]
            queryset = self.price_list.items.filter(pk__in=[int(pk) for pk in ids if pk.isdigit()])
        queryset = queryset.select_related("article").order_by(
            "article__code", "packaging_level", "min_quantity", "valid_from", "pk"
        )
        return PriceListItemFormSet(data, queryset=queryset, prefix="items"), filter_form, page

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        formset, filter_form, page = self.build(None)
        return self.render_to_response(
            self.get_context_data(formset=formset, filter_form=filter_form, page=page)
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        formset, filter_form, page = self.build(request.POST)
        if formset.is_valid() and self.save_items(formset):
            messages.success(
                request, _("Lines of %(code)s saved.") % {"code": self.price_list.code}
            )
            return HttpResponseRedirect(self.detail_url())
        messages.error(request, _("The lines were not saved: please correct the errors below."))
        return self.render_to_response(
            self.get_context_data(formset=formset, filter_form=filter_form, page=page)
        )

    def save_items(self, formset: BaseFormSet) -> bool:
        refused = False
        changed: list[tuple[PriceListItemForm, bool]] = []
        with transaction.atomic():
            for form in formset.forms:
                if not form.has_changed():
                    continue
                item: PriceListItem = form.save(commit=False)
                item.price_list = self.price_list
                changed.append((form, item.pk is None))
                try:
                    price_list_item_save(item)
                except ValidationFailed as exc:
                    apply_validation_errors(exc, form)
                    refused = True
                except DomainError as exc:
                    for message in domain_messages(exc):
                        formset.add_error(message)
                    refused = True
            if refused:
                transaction.set_rollback(True)
        if refused:
            for form, is_new in changed:
                if is_new:
                    form.instance.pk = None
                    form.instance._state.adding = True
        return not refused

    def detail_url(self) -> str:
        query = self.request.GET.urlencode()
        url = reverse("pricing:price_list_detail", args=[self.price_list.pk])
        return f"{url}?{query}" if query else url

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update({"price_list": self.price_list, "detail_url": self.detail_url()})
        return context
