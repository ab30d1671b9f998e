"""Technical knobs of the gateway, read from Django settings with safe defaults.

Business rules (what to accept, when to answer) are partner fields, not settings.
"""

from __future__ import annotations

from django.conf import settings


def unacknowledged_hours() -> int:
    """An outbound interchange not acknowledged after this many hours is counted late."""
    return int(getattr(settings, "EDI_UNACKNOWLEDGED_HOURS", 24))


def directory_settle_seconds() -> float:
    """A file modified less than this long ago may still be being written: left for later."""
    return float(getattr(settings, "EDI_DIRECTORY_SETTLE_SECONDS", 10))


def http_max_bytes() -> int:
    """The largest body the HTTP endpoint stores (a bigger one is refused with 413)."""
    return int(getattr(settings, "EDI_HTTP_MAX_BYTES", 50 * 1024 * 1024))


def send_max_retries() -> int:
    """Retries of a failed transmission (exponential backoff) before it is marked failed."""
    return int(getattr(settings, "EDI_SEND_MAX_RETRIES", 6))


def pending_after_seconds() -> int:
    """A received interchange still unprocessed after this long is scheduled again."""
    return int(getattr(settings, "EDI_PENDING_AFTER_SECONDS", 300))
