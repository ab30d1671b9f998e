"""Locking reads of the gateway (STYLE.md rule 14): sequence first, then interchange,
then its messages by primary key. Every function must run inside a transaction."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from .models import EdiMessage, Interchange, InterchangeSequence, TradingPartner


def interchange_sequence_lock(partner: TradingPartner) -> InterchangeSequence:
    """The partner's control-reference counter, locked until the caller commits.

    The row is created on first use; two transactions creating it at once both end
    up locking the one that won.
    """
    sequence = InterchangeSequence.objects.select_for_update().filter(partner=partner).first()
    if sequence is None:
        try:
            with transaction.atomic():
                InterchangeSequence.objects.create(partner=partner)
        except IntegrityError:
            pass  # created concurrently: lock the other transaction's row below
        sequence = InterchangeSequence.objects.select_for_update().get(partner=partner)
    return sequence


def interchange_lock(interchange_id: int) -> Interchange:
    return Interchange.objects.select_for_update().get(pk=interchange_id)


def message_lock(message_id: int) -> EdiMessage:
    """The message, locked, with its interchange (without the raw payload: a message
    handled on its own would otherwise read its whole interchange's bytes again)."""
    return (EdiMessage.objects.select_for_update(of=("self",)).select_related("interchange")
            .defer("interchange__payload").get(pk=message_id))


def interchange_messages_lock(interchange: Interchange) -> list[EdiMessage]:
    return list(
        EdiMessage.objects.select_for_update().filter(interchange=interchange).order_by("pk")
    )
