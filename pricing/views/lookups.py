"""Type-ahead suggestions for the fields that key a customer or an article (JSON)."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, JsonResponse

from trade.selectors import article_suggestions, customer_list

SUGGESTIONS = 15
MIN_QUERY = 2


def _query(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()


@permission_required("trade.view_customernode", raise_exception=True)
def lookup_customers(request: HttpRequest) -> JsonResponse:
    """Customers whose code, name or GLN matches: ``{"results": [{value, label}]}``."""
    query = _query(request)
    results = []
    if len(query) >= MIN_QUERY:
        nodes = customer_list(search=query).order_by("depth", "code")[:SUGGESTIONS]
        results = [
            {"value": node.code, "label": f"{node.name} · {node.get_kind_display()}"}
            for node in nodes
        ]
    return JsonResponse({"results": results})


@permission_required("trade.view_article", raise_exception=True)
def lookup_articles(request: HttpRequest) -> JsonResponse:
    """Articles whose code or designation matches, or one of whose GTINs is the query."""
    query = _query(request)
    results = []
    if len(query) >= MIN_QUERY:
        results = [{"value": article.code, "label": article.designation}
                   for article in article_suggestions(query, limit=SUGGESTIONS)]
    return JsonResponse({"results": results})
