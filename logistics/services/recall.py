"""Blocking and recalling lots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.exceptions import DomainError, ValidationFailed

from ..models import Lot, LotStatus, Recall


@transaction.atomic
def lot_status_set(lot: Lot, *, status: str) -> Lot:
    """Quarantine, block, release or recall one lot. Blocked and recalled lots stay on
    hand but are never allocated again; existing reservations are left for the order
    desk to release (the anomalies report lists them)."""
    if status not in LotStatus.values:
        raise ValidationFailed({"status": [_("Unknown lot status.")]})
    Lot.objects.select_for_update().filter(pk=lot.pk).update(status=status)
    lot.status = status
    return lot


@transaction.atomic
def recall_open(
    *, reference: str, reason: str, lots: Sequence[Lot] = (), supplier_id: int | None = None,
    received_from: date | None = None, received_to: date | None = None, article_id: int | None = None,
    user=None,  # noqa: ANN001
) -> Recall:
    """Recall lots: the given ones, and optionally every lot of a supplier (and article)
    received in a date range. Each lot becomes ``recalled`` (never allocated again);
    the recall keeps the list, and its customers come from the ledger (``lot_trace``)."""
    if not reason.strip():
        raise ValidationFailed({"reason": [_("Say why the lots are recalled.")]})
    chosen = {lot.pk for lot in lots}
    if supplier_id is not None:
        queryset = Lot.objects.filter(supplier_id=supplier_id)
        if article_id is not None:
            queryset = queryset.filter(article_id=article_id)
        if received_from is not None:
            queryset = queryset.filter(received_on__gte=received_from)
        if received_to is not None:
            queryset = queryset.filter(received_on__lte=received_to)
        chosen |= set(queryset.values_list("pk", flat=True))
    if not chosen:
        raise DomainError(_("No lot matches this recall."), code="nothing_to_recall")
    recall = Recall.objects.create(reference=reference, reason=reason,
                                   created_by=user if getattr(user, "is_authenticated", False) else None)
    locked = list(Lot.objects.select_for_update().filter(pk__in=chosen).order_by("pk"))
    Lot.objects.filter(pk__in=[lot.pk for lot in locked]).update(status=LotStatus.RECALLED)
    recall.lots.set(locked)
    return recall
