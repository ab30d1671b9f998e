"""HTTP POST transport: what to keep of a request, and reading its body within a limit.

No Django here: the API view hands over the WSGI environ (``request.META``) and the
input stream. The body is stored exactly as received, whatever its content type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import IO, Any

# WSGI environ keys worth keeping with a received payload (no credentials: the
# Authorization header is never stored).
HEADERS_OF_INTEREST = {
    "CONTENT_TYPE": "content_type",
    "CONTENT_LENGTH": "content_length",
    "HTTP_USER_AGENT": "user_agent",
    "HTTP_X_REQUEST_ID": "request_id",
    "HTTP_X_FORWARDED_FOR": "forwarded_for",
    "HTTP_CONTENT_DISPOSITION": "content_disposition",
    "HTTP_X_FILENAME": "filename",
    "HTTP_MESSAGE_ID": "message_id",
}
_FILENAME = re.compile(r"""filename\*?=(?:UTF-8'')?["']?([^"';]+)""", re.IGNORECASE)
_CHUNK = 64 * 1024


class PayloadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the body exceeds {limit} bytes")
        self.limit = limit


def request_metadata(environ: Mapping[str, Any]) -> dict[str, str]:
    """The transport metadata of a POST: remote address and the headers of interest."""
    metadata = {"remote_address": str(environ.get("REMOTE_ADDR", ""))}
    for key, name in HEADERS_OF_INTEREST.items():
        value = environ.get(key)
        if value:
            metadata[name] = str(value)[:500]
    disposition = metadata.get("content_disposition", "")
    match = _FILENAME.search(disposition)
    if match and "filename" not in metadata:
        metadata["filename"] = match.group(1).strip()[:255]
    return metadata


def body_read(stream: IO[bytes], *, limit: int) -> bytes:
    """Read the whole body, refusing more than ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(limit)
        chunks.append(chunk)
