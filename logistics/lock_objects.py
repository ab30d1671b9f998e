"""Locking querysets: balance rows are always locked in primary-key order (STYLE.md 14),
so two transactions touching the same rows queue instead of deadlocking."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from .models import ArticleCost, StockBalance


def balances_lock(balance_ids: Iterable[int]) -> dict[int, StockBalance]:
    rows = StockBalance.objects.select_for_update().filter(pk__in=set(balance_ids)).order_by("pk")
    return {row.pk: row for row in rows}


def balances_of_articles_lock(article_ids: Iterable[int], *, warehouse_id: int | None = None) -> QuerySet[StockBalance]:
    queryset = StockBalance.objects.select_for_update(of=("self",)).filter(article_id__in=set(article_ids))
    if warehouse_id is not None:
        queryset = queryset.filter(location__warehouse_id=warehouse_id)
    return queryset.select_related("location", "lot", "article").order_by("pk")


def article_costs_lock(article_ids: Iterable[int]) -> dict[int, ArticleCost]:
    rows = ArticleCost.objects.select_for_update().filter(article_id__in=set(article_ids)).order_by("pk")
    return {row.article_id: row for row in rows}
