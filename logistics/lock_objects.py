"""Locking querysets: balance rows are always locked in primary-key order (STYLE.md 14),
so two transactions touching the same rows queue instead of deadlocking."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection

from .models import ArticleCost, StockBalance


def balances_lock(balance_ids: Iterable[int]) -> dict[int, StockBalance]:
    rows = StockBalance.objects.select_for_update().filter(pk__in=set(balance_ids)).order_by("pk")
    return {row.pk: row for row in rows}


def balances_lock_ids(balance_ids: Iterable[int]) -> list[int]:
    """``balances_lock`` for a caller that only needs the locks: the ids locked, no
    model instances built."""
    return list(StockBalance.objects.select_for_update().filter(pk__in=set(balance_ids)).order_by("pk")
                .values_list("pk", flat=True))


def article_costs_lock(article_ids: Iterable[int]) -> dict[int, ArticleCost]:
    rows = ArticleCost.objects.select_for_update().filter(article_id__in=set(article_ids)).order_by("pk")
    return {row.article_id: row for row in rows}


def balances_write(values: dict[int, dict[str, Decimal]]) -> None:
    """Write new quantities of locked balance rows in one statement:
    ``{balance_id: {"reserved": x, ...}}``. The caller holds the row locks, so the
    values it computed from them are current. PostgreSQL gets one
    ``UPDATE … FROM unnest(ids, values…)`` per set of quantities written (one when every
    row changes the same ones); other databases fall back to one UPDATE per row."""
    if not values:
        return
    fields = sorted({name for change in values.values() for name in change})
    if any(name not in {"on_hand", "reserved", "blocked"} for name in fields):
        raise ValueError(f"not a balance quantity: {fields}")
    if connection.vendor != "postgresql":
        for balance_id, change in values.items():
            StockBalance.objects.filter(pk=balance_id).update(**change)
        return
    groups: dict[tuple[str, ...], list[tuple[int, dict[str, Decimal]]]] = defaultdict(list)
    for balance_id, change in sorted(values.items()):
        groups[tuple(sorted(change))].append((balance_id, change))
    for names, rows in groups.items():
        _unnest_update(StockBalance._meta.db_table, "id", [row[0] for row in rows],
                       {name: [change[name] for _id, change in rows] for name in names})


def article_costs_write(rows: Iterable[ArticleCost]) -> None:
    """Write the quantity and average cost of locked ``ArticleCost`` rows in one
    statement (a ``bulk_update``'s CASE per row costs more than the moves it values)."""
    rows = sorted(rows, key=lambda row: row.pk)
    if not rows:
        return
    if connection.vendor != "postgresql":
        ArticleCost.objects.bulk_update(rows, ["quantity", "unit_cost"], batch_size=1000)
        return
    _unnest_update(ArticleCost._meta.db_table, "id", [row.pk for row in rows],
                   {"quantity": [row.quantity for row in rows], "unit_cost": [row.unit_cost for row in rows]})


def _unnest_update(table: str, key: str, ids: list[int], columns: dict[str, list[Decimal]]) -> None:
    """``UPDATE table SET column = v.column, … FROM unnest(ids, values…)``: two array
    parameters and one short statement to plan, whatever the number of rows. Column
    names come from the callers above, never from input."""
    names = list(columns)
    assignments = ", ".join(f'"{name}" = v."{name}"' for name in names)
    arrays = ", ".join(["%s::bigint[]"] + ["%s::numeric[]"] * len(names))
    aliases = ", ".join(["id"] + [f'"{name}"' for name in names])
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" AS t SET {assignments} FROM unnest({arrays}) AS v({aliases}) '  # noqa: S608
            f'WHERE t."{key}" = v.id',
            [ids, *(columns[name] for name in names)],
        )
