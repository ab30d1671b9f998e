"""Catalogue: article list with filters, article card, form with packagings,
supplier references and kit components inline."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Prefetch, Q, QuerySet
from django.forms import BaseFormSet, BaseModelForm
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView

from comptoir.exceptions import ValidationFailed
from comptoir.identifiers import compact_digits, gtin_lookup_forms

from ..forms import (
    ArticleFilterForm,
    ArticleForm,
    KitComponentFormSet,
    PackagingFormSet,
    SupplierArticleFormSet,
    kit_component_initial,
)
from ..models import Article, ArticleFamily, Packaging, PackagingLevel
from ..services import article_save, kit_components_set
from .common import FilteredListView, FormWithInlinesView, SectionMixin

PACKAGING_RANK = {level.value: rank for rank, level in enumerate(PackagingLevel)}


def family_lineage(family: ArticleFamily) -> list[ArticleFamily]:
    """The family and its ancestors from the root down, in one query."""
    rows = {row.pk: row for row in ArticleFamily.objects.filter(pk__in=family.lineage_ids)}
    return [rows[pk] for pk in family.lineage_ids if pk in rows]


class ArticleListView(FilteredListView):
    permission_required = "trade.view_article"
    template_name = "trade/articles/list.html"
    filter_form_class = ArticleFilterForm
    section = "articles"
    context_object_name = "articles"

    def get_queryset(self) -> QuerySet[Article]:
        filters = self.filters()
        queryset = Article.objects.select_related("brand", "family").prefetch_related(
            Prefetch("packagings", queryset=Packaging.objects.order_by("quantity"))
        )
        search = filters.get("q", "").strip()
        if search:
            condition = Q(code__icontains=search) | Q(designation__icontains=search)
            digits = compact_digits(search)
            if digits.isdigit() and len(digits) >= 8:
                gtin_matches = Packaging.objects.filter(gtin__in=gtin_lookup_forms(digits))
                condition |= Q(pk__in=gtin_matches.values("article_id"))
            queryset = queryset.filter(condition)
        family = filters.get("family")
        if family is not None:
            # A family stands for its whole subtree: one prefix match on the path.
            queryset = queryset.filter(family__path__startswith=family.path)
        if filters.get("brand") is not None:
            queryset = queryset.filter(brand=filters["brand"])
        if filters.get("status"):
            queryset = queryset.filter(status=filters["status"])
        if filters.get("tracking_mode"):
            queryset = queryset.filter(tracking_mode=filters["tracking_mode"])
        kit = filters.get("kit", "")
        if kit == "none":
            queryset = queryset.filter(kit_kind="")
        elif kit == "any":
            queryset = queryset.exclude(kit_kind="")
        elif kit:
            queryset = queryset.filter(kit_kind=kit)
        return queryset.order_by("code")


class ArticleDetailView(SectionMixin, PermissionRequiredMixin, DetailView):
    permission_required = "trade.view_article"
    template_name = "trade/articles/detail.html"
    context_object_name = "article"
    section = "articles"
    queryset = Article.objects.select_related("brand", "family")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        article: Article = self.object
        context["family_lineage"] = family_lineage(article.family)
        context["packagings"] = sorted(
            article.packagings.all(), key=lambda p: (PACKAGING_RANK.get(p.level, 9), p.quantity)
        )
        context["supplier_articles"] = article.supplier_articles.select_related(
            "supplier"
        ).order_by("-is_preferred", "purchase_price")
        context["components"] = article.components.select_related("component").order_by(
            "component__code"
        )
        context["used_in_kits"] = article.used_in_kits.select_related("kit").order_by("kit__code")
        return context


class ArticleFormView(FormWithInlinesView):
    template_name = "trade/articles/form.html"
    section = "articles"

    def get_object(self) -> Article | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(Article, pk=self.kwargs["pk"])

    def build(self, data: Any | None) -> tuple[BaseModelForm, dict[str, BaseFormSet]]:
        article = self.object if self.object is not None else Article()
        form = ArticleForm(data, instance=article)
        initial = kit_component_initial(article) if article.pk else []
        formsets: dict[str, BaseFormSet] = {
            "packagings": PackagingFormSet(data, instance=article, prefix="packagings"),
            "supplier_articles": SupplierArticleFormSet(data, instance=article, prefix="suppliers"),
            "components": KitComponentFormSet(data, initial=initial, prefix="components"),
        }
        return form, formsets

    def formset_for_error(self, field: str, formsets: dict[str, BaseFormSet]) -> BaseFormSet | None:
        return formsets["components"] if field == "components" else None

    def save(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> Article:
        article: Article = form.save(commit=False)
        components = formsets["components"].components()  # type: ignore[attr-defined]
        if not article.kit_kind and components:
            raise ValidationFailed(
                {
                    "kit_kind": [
                        _("Only a kit has components: choose a kit kind or remove the components."),
                    ]
                }
            )
        if article.pk is not None and not article.kit_kind:
            stored = Article.objects.get(pk=article.pk)
            if stored.kit_kind and stored.components.exists():
                # Un-kitting: empty the bill of materials through the service, with the
                # stored (still kit) row, before the article stops being a kit.
                kit_components_set(kit=stored, components=[])
        article_save(article)
        for name in ("packagings", "supplier_articles"):
            formsets[name].instance = article
            formsets[name].save()
        if article.kit_kind:
            kit_components_set(kit=article, components=components)
        return article

    def success_url(self, obj: Any) -> str:
        return reverse("trade:article_detail", args=[obj.pk])


class ArticleCreateView(ArticleFormView):
    permission_required = (
        "trade.add_article",
        "trade.add_packaging",
        "trade.add_supplierarticle",
        "trade.add_kitcomponent",
    )
    success_message = gettext_lazy("Article %(object)s created.")


class ArticleUpdateView(ArticleFormView):
    permission_required = (
        "trade.change_article",
        "trade.change_packaging",
        "trade.change_supplierarticle",
        "trade.change_kitcomponent",
    )
    success_message = gettext_lazy("Article %(object)s saved.")
