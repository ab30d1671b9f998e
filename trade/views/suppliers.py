"""Suppliers: list, card (addresses, contacts, the articles they sell us), forms."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.forms import BaseFormSet, BaseModelForm
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView

from comptoir.identifiers import compact_digits

from ..forms import SupplierAddressFormSet, SupplierContactFormSet, SupplierFilterForm, SupplierForm
from ..models import Supplier
from .common import PAGE_SIZE, FilteredListView, FormWithInlinesView, SectionMixin, yes_no


class SupplierListView(FilteredListView):
    permission_required = "trade.view_supplier"
    template_name = "trade/suppliers/list.html"
    filter_form_class = SupplierFilterForm
    section = "suppliers"
    context_object_name = "suppliers"

    def get_queryset(self) -> QuerySet[Supplier]:
        filters = self.filters()
        queryset = Supplier.objects.select_related("payment_terms").annotate(
            article_count=Count("articles")
        )
        search = filters.get("q", "").strip()
        if search:
            condition = Q(code__icontains=search) | Q(name__icontains=search)
            digits = compact_digits(search)
            if digits.isdigit():
                condition |= Q(gln=digits) | Q(siren=digits) | Q(siret=digits)
            queryset = queryset.filter(condition)
        active = yes_no(filters.get("active", ""))
        if active is not None:
            queryset = queryset.filter(is_active=active)
        return queryset.order_by("name", "pk")


class SupplierDetailView(SectionMixin, PermissionRequiredMixin, DetailView):
    permission_required = "trade.view_supplier"
    template_name = "trade/suppliers/detail.html"
    context_object_name = "supplier"
    section = "suppliers"
    queryset = Supplier.objects.select_related("payment_terms")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        supplier: Supplier = self.object
        context["addresses"] = supplier.addresses.all()
        context["contacts"] = supplier.contacts.all()
        references = supplier.articles.select_related("article", "article__brand").order_by(
            "article__code"
        )
        context["references_page"] = Paginator(references, PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        return context


class SupplierFormView(FormWithInlinesView):
    template_name = "trade/suppliers/form.html"
    section = "suppliers"

    def get_object(self) -> Supplier | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(Supplier, pk=self.kwargs["pk"])

    def build(self, data: Any | None) -> tuple[BaseModelForm, dict[str, BaseFormSet]]:
        supplier = self.object if self.object is not None else Supplier()
        form = SupplierForm(data, instance=supplier)
        formsets: dict[str, BaseFormSet] = {
            "addresses": SupplierAddressFormSet(data, instance=supplier, prefix="addresses"),
            "contacts": SupplierContactFormSet(data, instance=supplier, prefix="contacts"),
        }
        return form, formsets

    def save(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> Supplier:
        # A supplier has no cross-row rule: the ModelForm's validation is the whole check.
        supplier = form.save()
        for formset in formsets.values():
            formset.instance = supplier
            formset.save()
        return supplier

    def success_url(self, obj: Any) -> str:
        return reverse("trade:supplier_detail", args=[obj.pk])


class SupplierCreateView(SupplierFormView):
    permission_required = (
        "trade.add_supplier",
        "trade.add_supplieraddress",
        "trade.add_suppliercontact",
    )
    success_message = gettext_lazy("Supplier %(object)s created.")


class SupplierUpdateView(SupplierFormView):
    permission_required = (
        "trade.change_supplier",
        "trade.change_supplieraddress",
        "trade.change_suppliercontact",
    )
    success_message = gettext_lazy("Supplier %(object)s saved.")
