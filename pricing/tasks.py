"""Celery tasks of pricing: thin shells over services."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .services import contracts_expire


@shared_task(name="pricing.expire_contracts", autoretry_for=(OSError,), max_retries=3, retry_backoff=True)
def expire_contracts() -> int:
    """Daily: active contracts whose end date has passed become expired (idempotent)."""
    return contracts_expire(on_date=timezone.localdate())
