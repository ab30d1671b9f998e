"""Directory exchange: a partner's inbox and outbox folders (behind SFTP/VAN connectors).

Pure file-system operations, no Django and no database: the services decide what to
do with the bytes.

Picking up (``inbox_claim``) never reads a file that is still being written:

* names ending in ``.tmp`` or ``.part`` and hidden names (``.name``: rsync, most SFTP
  servers) are someone's work in progress and are ignored;
* a file modified less than ``settle_seconds`` ago is left for the next poll;
* a file is *claimed* by ``os.rename`` into ``processing/`` before it is read: the
  rename is atomic, so of two pollers only one gets it;
* after reading, the file is checked again (size and modification time): if it
  changed, it was still being written and goes back to the inbox (``claimed_read``
  raises :class:`FileStillChanging`).

Then the caller moves it to ``archive/`` once stored, or to ``error/``.

Writing (``outbox_write``) writes ``<name>.tmp``, flushes it to disk, then renames it
to ``<name>``: the partner's connector never sees a partial file.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

PROCESSING = "processing"
ARCHIVE = "archive"
ERROR = "error"
WORK_IN_PROGRESS_SUFFIXES = (".tmp", ".part")


class FileStillChanging(Exception):
    """The claimed file changed while it was read: a writer is still at work."""


@dataclass(frozen=True)
class ClaimedFile:
    """A file taken from the inbox, now at ``path`` (inside ``processing/``)."""

    inbox: Path
    name: str  # its name in the inbox
    path: Path
    size: int
    modified_at: float  # st_mtime when it was claimed


def is_work_in_progress(name: str) -> bool:
    return name.startswith(".") or name.lower().endswith(WORK_IN_PROGRESS_SUFFIXES)


def _unique_name(name: str) -> str:
    # A later file of the same name must not overwrite this one in processing/archive.
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{secrets.token_hex(3)}-{name}"


def inbox_claim(
    inbox: Path, *, settle_seconds: float, now: float | None = None, limit: int = 500
) -> list[ClaimedFile]:
    """Claim the files of ``inbox`` that are ready, oldest first (at most ``limit``).

    Raises ``OSError`` when the inbox itself cannot be read.
    """
    now = time.time() if now is None else now
    processing = inbox / PROCESSING
    processing.mkdir(exist_ok=True)
    candidates: list[tuple[float, str, os.stat_result]] = []
    with os.scandir(inbox) as entries:
        for entry in entries:
            if is_work_in_progress(entry.name):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                stat = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # taken by another poller meanwhile
            if now - stat.st_mtime < settle_seconds:
                continue  # modified moments ago: maybe still being written
            candidates.append((stat.st_mtime, entry.name, stat))
    claimed: list[ClaimedFile] = []
    for _mtime, name, stat in sorted(candidates)[:limit]:
        target = processing / _unique_name(name)
        try:
            os.rename(inbox / name, target)
        except FileNotFoundError:
            continue  # another poller claimed it first
        claimed.append(ClaimedFile(inbox, name, target, stat.st_size, stat.st_mtime))
    return claimed


def claimed_read(claimed: ClaimedFile) -> bytes:
    """The bytes of a claimed file; :class:`FileStillChanging` if it moved under us."""
    with open(claimed.path, "rb") as handle:
        data = handle.read()
        after = os.fstat(handle.fileno())
    if (
        after.st_size != claimed.size
        or after.st_mtime != claimed.modified_at
        or len(data) != after.st_size
    ):
        raise FileStillChanging(str(claimed.path))
    return data


def claimed_release(claimed: ClaimedFile) -> Path:
    """Give a claimed file back to the inbox, for the next poll."""
    target = claimed.inbox / claimed.name
    if target.exists():  # a newer file took the name meanwhile
        target = claimed.inbox / _unique_name(claimed.name)
    os.rename(claimed.path, target)
    return target


def claimed_settle(claimed: ClaimedFile, folder: str) -> Path:
    """Move a claimed file to ``archive/`` or ``error/`` under the inbox."""
    if folder not in (ARCHIVE, ERROR):
        raise ValueError(f"not a settling folder: {folder!r}")
    directory = claimed.inbox / folder
    directory.mkdir(exist_ok=True)
    target = directory / claimed.path.name
    os.rename(claimed.path, target)
    return target


def outbox_write(outbox: Path, name: str, payload: bytes) -> Path:
    """Write ``payload`` as ``outbox/name`` through ``name.tmp`` and an atomic rename."""
    if not name or "/" in name or name.startswith(".") or name in (".", ".."):
        raise ValueError(f"not a plain file name: {name!r}")
    temporary = outbox / f"{name}.tmp"
    target = outbox / name
    with open(temporary, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    return target
