"""Locking querysets: balance rows are always locked in primary-key order (STYLE.md 14),
so two transactions touching the same rows queue instead of deadlocking."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import connection

from .models import ArticleCost, StockBalance


def balances_lock(balance_ids: Iterable[int]) -> dict[int, StockBalance]:
    rows = StockBalance.objects.select_for_update().filter(pk__in=set(balance_ids)).order_by("pk")
    return {row.pk: row for row in rows}


def article_costs_lock(article_ids: Iterable[int]) -> dict[int, ArticleCost]:
    rows = ArticleCost.objects.select_for_update().filter(article_id__in=set(article_ids)).order_by("pk")
    return {row.article_id: row for row in rows}


def balances_write(values: dict[int, dict[str, Decimal]]) -> None:
    """Write new quantities of locked balance rows in one statement:
    ``{balance_id: {"reserved": x, ...}}``. The caller holds the row locks, so the
    values it computed from them are current. PostgreSQL gets one
    ``UPDATE … FROM unnest(ids, values)``; other databases fall back to one UPDATE per row."""
    if not values:
        return
    fields = sorted({name for change in values.values() for name in change})
    if any(name not in {"on_hand", "reserved", "blocked"} for name in fields):
        raise ValueError(f"not a balance quantity: {fields}")
    if connection.vendor != "postgresql":
        for balance_id, change in values.items():
            StockBalance.objects.filter(pk=balance_id).update(**change)
        return
    table = StockBalance._meta.db_table
    for name in fields:
        rows = [(balance_id, change[name]) for balance_id, change in sorted(values.items()) if name in change]
        # Two array parameters instead of two per row: one short statement to plan.
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{table}" AS b SET "{name}" = v.value '  # noqa: S608 - names are checked above
                "FROM unnest(%s::bigint[], %s::numeric[]) AS v(id, value) WHERE b.id = v.id",
                [[row[0] for row in rows], [row[1] for row in rows]],
            )
