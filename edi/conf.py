"""Technical knobs of the gateway, read from Django settings with safe defaults.

Each knob is the Django setting of the name given below, which
``comptoir/settings/base.py`` takes from the environment variable of the same name
(with the same default as here, kept for a settings module that leaves it out);
docs/edi.md, "Operations / settings", lists them. Business rules (what to accept, when
to answer) are partner fields, not settings.
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


def as2_timeout_seconds() -> float:
    """How long an AS2 POST (a message to a partner, or an asynchronous MDN) may take."""
    return float(getattr(settings, "EDI_AS2_TIMEOUT_SECONDS", 60))


def as2_mdn_url() -> str:
    """Our public URL for asynchronous MDNs (route ``edi:as2_mdn``), as partners reach it.

    Messages to a partner set to asynchronous MDN ask for their MDN there; empty, such a
    partner cannot be sent to (the transmission fails with a configuration error).
    """
    return str(getattr(settings, "COMPTOIR_AS2_MDN_URL", ""))


def as2_mdn_hosts() -> list[str]:
    """Hosts we POST asynchronous MDNs to besides each partner's own AS2 URL host.

    A partner names the URL for its MDN in its message: it is followed only to the host
    of the ``as2_url`` agreed with that partner or to one of these.
    """
    return [str(host).lower() for host in getattr(settings, "EDI_AS2_MDN_HOSTS", [])]
