"""Document numbering: one locked counter row per series and year."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from .models import NumberSequence


def number_next(*, prefix: str, on_date: date) -> str:
    """The next number of a series, e.g. ``number_next(prefix="REC", ...) → "REC2026-000001"``.

    Must run inside the caller's transaction: the counter row stays locked until it
    commits, so two transactions never get the same number and a rollback leaves no
    gap. Lock order (STYLE.md 14): the sequence is taken before documents and stock.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_next must run inside a transaction")
    year = on_date.year
    sequence = NumberSequence.objects.select_for_update().filter(prefix=prefix, year=year).first()
    if sequence is None:
        try:
            with transaction.atomic():
                NumberSequence.objects.create(prefix=prefix, year=year)
        except IntegrityError:
            pass  # created concurrently: lock the other transaction's row below
        sequence = NumberSequence.objects.select_for_update().get(prefix=prefix, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"{prefix}{year}-{sequence.last:06d}"



def number_sequence_sql(prefix: str) -> str:
    """The DDL creating the database sequence of a gap-tolerant series (run by the
    migration of the app that owns the series, PostgreSQL only)."""
    return f"CREATE SEQUENCE IF NOT EXISTS {_sequence_name(prefix)}"


def _sequence_name(prefix: str) -> str:
    if not prefix.isalnum():
        raise ValueError(f"series prefix must be alphanumeric: {prefix!r}")
    return f"number_{prefix.lower()}"


def number_next_gap_tolerant(*, prefix: str, on_date: date) -> str:
    """A number from a series that may have gaps but never repeats and never waits.

    For documents whose number only has to be unique (quotes, orders, deliveries),
    unlike invoices: on PostgreSQL it is a database sequence per series (created by
    the owning app's migration with :func:`number_sequence_sql`), whose ``nextval``
    holds no lock until commit, so orders confirmed in parallel do not queue on one
    counter row. A rolled-back transaction leaves a gap; the counter runs on across
    years (the year in the number is the document's). Elsewhere (the SQLite demo) it
    falls back to :func:`number_next`.
    """
    return numbers_next_gap_tolerant(prefix=prefix, on_date=on_date, count=1)[0]


def numbers_next_gap_tolerant(*, prefix: str, on_date: date, count: int) -> list[str]:
    """``count`` numbers of :func:`number_next_gap_tolerant`'s series in one query,
    increasing."""
    if count <= 0:
        return []
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return [number_next(prefix=prefix, on_date=on_date) for _ in range(count)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [_sequence_name(prefix), count])
        values = sorted(row[0] for row in cursor.fetchall())
    return [f"{prefix}{on_date.year}-{value:06d}" for value in values]
