"""Polling the inbox folders of directory partners (behind SFTP/VAN connectors)."""

from __future__ import annotations

import logging
from pathlib import Path

from django.db import DatabaseError

from edi.transports import directory

from ..models import Interchange, InterchangeTransport, TradingPartner, TransportKind
from .inbound import interchange_receive

logger = logging.getLogger(__name__)


def directory_poll(
    partner: TradingPartner, *, settle_seconds: float, now: float | None = None
) -> list[Interchange]:
    """Store every ready file of the partner's inbox, then archive it.

    A file is claimed (renamed into ``processing/``) before it is read, read whole,
    checked unchanged, stored by ``interchange_receive`` (committed), and only then
    moved to ``archive/``. A file that changed while read goes back to the inbox; one
    that cannot be read goes to ``error/``; if the database is down it goes back to the
    inbox for the next poll. Must run outside any transaction.
    """
    inbox = Path(partner.inbox_path)
    received: list[Interchange] = []
    claimed_files = directory.inbox_claim(inbox, settle_seconds=settle_seconds, now=now)
    for index, claimed in enumerate(claimed_files):
        try:
            data = directory.claimed_read(claimed)
        except directory.FileStillChanging:
            directory.claimed_release(claimed)
            continue
        except OSError:
            logger.exception("EDI inbox %s: cannot read %s", inbox, claimed.name)
            directory.claimed_settle(claimed, directory.ERROR)
            continue
        metadata = {
            "filename": claimed.name,
            "inbox": str(inbox),
            "claimed_as": claimed.path.name,
            "modified_at": claimed.modified_at,
        }
        try:
            row = interchange_receive(
                data, transport=InterchangeTransport.DIRECTORY, metadata=metadata, partner=partner
            )
        except DatabaseError:
            logger.exception("EDI inbox %s: files left for the next poll", inbox)
            for unstored in claimed_files[index:]:
                directory.claimed_release(unstored)
            raise
        directory.claimed_settle(claimed, directory.ARCHIVE)
        received.append(row)
    return received


def directories_poll(*, settle_seconds: float) -> int:
    """Poll every active directory partner; an unreadable inbox is logged and skipped."""
    count = 0
    partners = TradingPartner.objects.filter(
        is_active=True, transport=TransportKind.DIRECTORY
    ).exclude(inbox_path="")
    for partner in partners:
        try:
            count += len(directory_poll(partner, settle_seconds=settle_seconds))
        except OSError:
            logger.exception("EDI inbox of partner %s cannot be polled", partner.code)
    return count
