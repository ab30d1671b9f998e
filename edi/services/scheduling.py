"""Follow-ups handed to Celery once the transaction that decided them has committed.

The tasks (``edi.tasks``) are thin shells that call the services; the services enqueue
them here. That makes one two-way link between the two modules, kept to this file:
the task module is imported when a follow-up is scheduled, not when services load.
"""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def _enqueue_processing(interchange_id: int) -> None:
    from edi.tasks import process_interchange

    process_interchange.delay(interchange_id)


def _enqueue_transmission(interchange_id: int) -> None:
    from edi.tasks import send_interchange

    send_interchange.delay(interchange_id)


def processing_schedule(interchange_id: int) -> None:
    """Process a received interchange after commit. If the broker cannot be reached,
    the error is logged and the interchange stays ``received``: the periodic
    ``edi.process_pending`` task takes it up again."""
    transaction.on_commit(lambda: _enqueue_processing(interchange_id), robust=True)


def transmission_schedule(interchange_id: int) -> None:
    """Hand an outbound interchange to its transport after commit (same fallback:
    ``edi.process_pending`` also re-schedules queued interchanges left behind)."""
    transaction.on_commit(lambda: _enqueue_transmission(interchange_id), robust=True)
