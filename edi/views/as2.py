"""The AS2 endpoints partners' servers POST to: messages (``edi:as2_receive``) and
asynchronous MDNs (``edi:as2_mdn``).

No login and no CSRF token: AS2 authenticates the message itself (signature against
the partner's pinned certificate), and an MDN is matched to what we sent and verified
the same way. The body is read from the stream up to ``EDI_HTTP_MAX_BYTES`` (413
beyond), not through ``request.body`` and its ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from edi import conf
from edi.services.as2 import as2_inbound, as2_mdn_inbound
from edi.transports.as2 import As2ConfigurationError, As2HttpResponse
from edi.transports.http import PayloadTooLarge, body_read

logger = logging.getLogger(__name__)

_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def _http_response(answer: As2HttpResponse) -> HttpResponse:
    response = HttpResponse(answer.body, status=answer.status)
    if "content-type" not in {name.lower() for name in answer.headers}:
        response["Content-Type"] = "text/plain; charset=utf-8"
    for name, value in answer.headers.items():
        response[name] = _LINE_BREAKS.sub(" ", value).strip()  # folded MIME headers
    return response


def _text(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _as2_endpoint(
    request: HttpRequest, service: Callable[[Mapping[str, str], bytes], As2HttpResponse]
) -> HttpResponse:
    limit = conf.http_max_bytes()
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    try:
        if announced > limit:
            raise PayloadTooLarge(limit)
        body = body_read(request, limit=limit)
    except PayloadTooLarge as exc:
        return _text(413, str(exc))
    try:
        answer = service(request.headers, body)
    except As2ConfigurationError as exc:
        logger.error("AS2 request refused, our side is not set up: %s", exc.message)
        return _text(503, "AS2 is not available; try again later.")
    return _http_response(answer)


@login_not_required
@csrf_exempt
@require_POST
def as2_receive(request: HttpRequest) -> HttpResponse:
    """A partner's AS2 message: 200 with the synchronous MDN (positive or negative), an
    empty 200 when the MDN is asynchronous, 400 when it is not AS2, 503 when our AS2
    identity is not configured."""
    remote_address = str(request.META.get("REMOTE_ADDR", ""))
    return _as2_endpoint(
        request,
        lambda headers, body: as2_inbound(headers, body, remote_address=remote_address),
    )


@login_not_required
@csrf_exempt
@require_POST
def as2_mdn(request: HttpRequest) -> HttpResponse:
    """An asynchronous MDN about a message we sent: always 200 once read (RFC 4130)."""
    return _as2_endpoint(request, as2_mdn_inbound)
