"""Celery tasks of sales: thin shells over services."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .services import quotes_expire


@shared_task(name="sales.expire_quotes", autoretry_for=(OSError,), max_retries=3, retry_backoff=True)
def expire_quotes() -> int:
    """Daily: sent quotes past their validity date become expired (idempotent)."""
    return quotes_expire(today=timezone.localdate())
