"""``Idempotency-Key`` for commands sent from handhelds (STYLE.md rule 28).

A scanner on a flaky Wi-Fi resends a POST when it missed the answer; the resent
request must not receive the goods twice. A client that sends
``Idempotency-Key: <up to 255 characters>`` on a POST gets, for 24 hours, the first
successful answer replayed for the same user, key and request (marked with
``Idempotent-Replayed: true``) and the command runs once.

Storage: Django's cache (``default`` alias), keyed by user and key. While the first
request runs, the key holds an in-flight marker added with ``cache.add`` (atomic in
every shared backend), so a concurrent duplicate is refused with 409
``idempotency_key_in_use`` instead of running in parallel. The same key sent with
another request (other URL or body) is refused with 409 ``idempotency_key_reused``.
Only 2xx answers are kept: a refused command (400, 409…) wrote nothing, and the
client may correct it and retry with the same key.

Limits, by design of the storage: the answer is stored right after the service's
transaction commits, not inside it, and the cache must be shared by every worker
(a per-process ``LocMemCache`` only protects retries reaching the same process).
A table with a unique (user, key) constraint written in the command's transaction
would close both gaps; it needs a model of its own.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.core.cache import cache
from django.http import QueryDict
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from comptoir.exceptions import DomainError, ValidationFailed

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 255
KEPT_FOR = timedelta(hours=24)
# How long an in-flight marker survives a worker that dies mid-request.
IN_FLIGHT_FOR = timedelta(minutes=5)

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Optional, up to 255 characters, unique per command. Resending the same request "
        "with the same key within 24 hours replays the first successful answer "
        "(header Idempotent-Replayed: true) without running the command again."
    ),
)

View = TypeVar("View")
Handler = Callable[..., Response]


class IdempotencyKeyInUse(DomainError):
    code = "idempotency_key_in_use"


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"


def _plain(data: Any) -> Any:
    """Response data as plain JSON types, so a replay renders byte for byte the same."""
    return json.loads(json.dumps(data, cls=JSONEncoder))


def _fingerprint(request: Request) -> str:
    data = request.data
    if isinstance(data, QueryDict):
        data = {key: data.getlist(key) for key in sorted(data)}
    payload = json.dumps([request.method, request.path, data], sort_keys=True, cls=JSONEncoder)
    return hashlib.sha256(payload.encode()).hexdigest()


def idempotency_cache_key(user_id: int, key: str) -> str:
    """Where the answer to ``key`` sent by that user is kept."""
    digest = hashlib.sha256(f"{user_id}:{key}".encode()).hexdigest()
    return f"logistics:idempotency:{digest}"


def _replay(stored: dict[str, Any], fingerprint: str) -> Response:
    if stored["state"] != "done":
        raise IdempotencyKeyInUse(
            _("A request with this Idempotency-Key is still being processed; retry later."),
        )
    if stored["fingerprint"] != fingerprint:
        raise IdempotencyKeyReused(
            _("This Idempotency-Key was already used for another request."),
        )
    response = Response(stored["data"], status=stored["status"])
    response[REPLAYED_HEADER] = "true"
    return response


def idempotent(handler: Handler) -> Handler:
    """Decorate a view method that runs a command: honour ``Idempotency-Key``.

    Without the header the command runs as usual. The OpenAPI operation gets the
    optional header parameter.
    """

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        raw = request.headers.get(IDEMPOTENCY_HEADER)
        if raw is None:
            return handler(view, request, *args, **kwargs)
        key = raw.strip()
        if not key or len(key) > KEY_MAX_LENGTH:
            raise ValidationFailed(
                {
                    IDEMPOTENCY_HEADER: [
                        _("Give between 1 and %(max)s characters.") % {"max": KEY_MAX_LENGTH}
                    ]
                }
            )
        cache_key = idempotency_cache_key(request.user.pk, key)
        fingerprint = _fingerprint(request)
        in_flight = {"state": "in_flight", "fingerprint": fingerprint}
        if not cache.add(cache_key, in_flight, IN_FLIGHT_FOR.total_seconds()):
            stored = cache.get(cache_key)
            # Expired between add and get: the earlier request is over; tell the
            # client to retry rather than guess how it ended.
            return _replay(stored or in_flight, fingerprint)
        try:
            response = handler(view, request, *args, **kwargs)
        except BaseException:
            cache.delete(cache_key)
            raise
        if 200 <= response.status_code < 300:
            cache.set(
                cache_key,
                {
                    "state": "done",
                    "fingerprint": fingerprint,
                    "status": response.status_code,
                    "data": _plain(response.data),
                },
                KEPT_FOR.total_seconds(),
            )
        else:
            cache.delete(cache_key)
        return response

    return extend_schema(parameters=[IDEMPOTENCY_PARAMETER])(wrapper)
