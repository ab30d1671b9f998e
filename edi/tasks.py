"""Celery tasks of the EDI gateway: thin shells over services, taking ids.

Each is idempotent by a state guard in its service (processing only moves a received
interchange, sending only a queued one), so a retried or duplicated task is harmless.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import conf
from .services.as2 import as2_mdn_deliver
from .services.directory import directories_poll
from .services.inbound import interchange_process, interchanges_process_pending
from .services.outbound import TransportError, interchange_transmit, interchanges_transmit_pending

DATABASE_ERRORS = (OperationalError, InterfaceError)


@shared_task(
    name="edi.process_interchange",
    autoretry_for=DATABASE_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def process_interchange(interchange_id: int) -> str:
    """Read, check, dispatch and answer a received interchange; returns its state."""
    return interchange_process(interchange_id).state


@shared_task(
    bind=True,
    name="edi.send_interchange",
    autoretry_for=(TransportError, *DATABASE_ERRORS),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=conf.send_max_retries(),
)
def send_interchange(self, interchange_id: int) -> str:  # noqa: ANN001
    """Transmit a queued interchange; the last attempt marks it failed instead of raising."""
    final = self.request.retries >= self.max_retries
    return interchange_transmit(interchange_id=interchange_id, final_attempt=final).state


@shared_task(
    bind=True,
    name="edi.send_as2_mdn",
    autoretry_for=(TransportError, *DATABASE_ERRORS),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=conf.send_max_retries(),
)
def send_as2_mdn(self, mdn: dict[str, Any], interchange_id: int | None = None) -> str:  # noqa: ANN001
    """POST an asynchronous MDN a partner asked for (the MDN travels in the task: it is
    signed once, at reception); the last attempt records the failure instead of raising."""
    final = self.request.retries >= self.max_retries
    return as2_mdn_deliver(mdn=mdn, interchange_id=interchange_id, final_attempt=final)


@shared_task(
    name="edi.poll_directories", autoretry_for=DATABASE_ERRORS, max_retries=3, retry_backoff=True
)
def poll_directories() -> int:
    """Periodic: store the ready files of every directory partner's inbox."""
    return directories_poll(settle_seconds=conf.directory_settle_seconds())


@shared_task(
    name="edi.process_pending", autoretry_for=DATABASE_ERRORS, max_retries=3, retry_backoff=True
)
def process_pending() -> int:
    """Periodic: schedule again what a lost task left received or queued."""
    seconds = conf.pending_after_seconds()
    return interchanges_process_pending(older_than_seconds=seconds) + interchanges_transmit_pending(
        older_than_seconds=seconds
    )
