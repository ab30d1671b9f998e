"""Kernel tables shared by every domain."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class NumberSequence(models.Model):
    """Document numbers per series (prefix) and year, e.g. ``REC2026-000042``.

    ``comptoir.numbering.number_next`` takes the row under a lock, so numbers are
    gapless within the transaction that uses them (a rolled-back transaction gives
    its number back): strict enough for invoices, and fine for every other series.
    """

    prefix = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="number_sequence_unique"),
            models.CheckConstraint(condition=Q(last__gte=0), name="number_sequence_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}{self.year}-{self.last:06d}"
