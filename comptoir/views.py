"""The application shell's own pages: the dashboard and the global search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from comptoir.identifiers import compact_digits
from trade.models import (
    Article,
    ArticleFamily,
    ArticleStatus,
    Brand,
    CustomerNode,
    NodeKind,
    Supplier,
)
from trade.selectors import SearchHit, article_by_gtin, global_search

SEARCH_LIMIT = 25

# kind -> (permission to see it, heading, URL name of a record, URL name of the filtered list)
SEARCH_KINDS: dict[str, tuple[str, Any, str, str]] = {
    "customer": (
        "trade.view_customernode",
        _("Customers"),
        "trade:customer_detail",
        "trade:customer_list",
    ),
    "supplier": (
        "trade.view_supplier",
        _("Suppliers"),
        "trade:supplier_detail",
        "trade:supplier_list",
    ),
    "article": ("trade.view_article", _("Articles"), "trade:article_detail", "trade:article_list"),
}


def _visible_kinds(user: AbstractBaseUser | AnonymousUser) -> list[str]:
    return [
        kind for kind, (permission, *_rest) in SEARCH_KINDS.items() if user.has_perm(permission)
    ]


def home(request: HttpRequest) -> HttpResponse:
    """Dashboard: how much master data there is, with links into each list."""
    user = request.user
    context: dict[str, Any] = {"section": "home"}
    if user.has_perm("trade.view_customernode"):
        by_kind = dict(
            CustomerNode.objects.values_list("kind").annotate(total=Count("pk")).order_by()
        )
        context["customer_kinds"] = [
            {"kind": kind.value, "label": kind.label, "count": by_kind.get(kind.value, 0)}
            for kind in NodeKind
        ]
        context["customer_flags"] = CustomerNode.objects.aggregate(
            total=Count("pk"),
            blocked=Count("pk", filter=Q(is_blocked=True)),
            inactive=Count("pk", filter=Q(is_active=False)),
        )
        context["recent_customers"] = CustomerNode.objects.order_by("-updated_at")[:6]
    if user.has_perm("trade.view_supplier"):
        context["supplier_counts"] = Supplier.objects.aggregate(
            total=Count("pk"), active=Count("pk", filter=Q(is_active=True))
        )
    if user.has_perm("trade.view_article"):
        context["article_counts"] = Article.objects.aggregate(
            total=Count("pk"),
            active=Count("pk", filter=Q(status=ArticleStatus.ACTIVE)),
            blocked=Count("pk", filter=Q(status=ArticleStatus.BLOCKED)),
            kits=Count("pk", filter=~Q(kit_kind="")),
        )
        context["family_count"] = ArticleFamily.objects.count()
        context["brand_count"] = Brand.objects.count()
        context["recent_articles"] = Article.objects.select_related("brand").order_by(
            "-updated_at"
        )[:6]
    return render(request, "comptoir/home.html", context)


@dataclass(frozen=True)
class SearchGroup:
    kind: str
    title: str
    hits: list[tuple[SearchHit, str]]
    more_url: str


def _exact_identifier_url(query: str, kinds: list[str]) -> str | None:
    """The one record a scanned or keyed GLN/GTIN names, when exactly one matches."""
    digits = compact_digits(query)
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        return None
    urls: list[str] = []
    if "customer" in kinds:
        urls += [
            reverse("trade:customer_detail", args=[pk])
            for pk in CustomerNode.objects.filter(gln=digits).values_list("pk", flat=True)
        ]
    if "supplier" in kinds:
        urls += [
            reverse("trade:supplier_detail", args=[pk])
            for pk in Supplier.objects.filter(gln=digits).values_list("pk", flat=True)
        ]
    if "article" in kinds:
        packaging = article_by_gtin(digits)
        if packaging is not None:
            urls.append(reverse("trade:article_detail", args=[packaging.article_id]))
    return urls[0] if len(urls) == 1 else None


def search(request: HttpRequest) -> HttpResponse:
    """Customers, suppliers and articles by code, name, GLN or GTIN, grouped by kind,
    limited to what the user may view. An exact GLN/GTIN goes straight to its record."""
    query = request.GET.get("q", "").strip()
    kinds = _visible_kinds(request.user)
    groups: list[SearchGroup] = []
    if query and kinds:
        exact = _exact_identifier_url(query, kinds)
        if exact is not None:
            return HttpResponseRedirect(exact)
        hits = global_search(query, kinds=kinds, limit=SEARCH_LIMIT)
        for kind in kinds:
            _permission, title, detail_url, list_url = SEARCH_KINDS[kind]
            kind_hits = [
                (hit, reverse(detail_url, args=[hit.pk])) for hit in hits if hit.kind == kind
            ]
            if kind_hits:
                more = (
                    f"{reverse(list_url)}?{urlencode({'q': query})}"
                    if len(kind_hits) >= SEARCH_LIMIT
                    else ""
                )
                groups.append(SearchGroup(kind, str(title), kind_hits, more))
    return render(
        request,
        "comptoir/search.html",
        {
            "section": "search",
            "query": query,
            "groups": groups,
            "searched": bool(query),
            "can_search": bool(kinds),
            "total": sum(len(group.hits) for group in groups),
        },
    )
