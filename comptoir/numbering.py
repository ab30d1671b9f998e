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
