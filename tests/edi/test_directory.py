"""The directory transport: files are claimed atomically, a half-written file is never
read, work-in-progress names are ignored, stored files are archived."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from edi.models import InterchangeState, TransportKind
from edi.services import directories_poll, directory_poll
from edi.transports import directory

from .gateway import interchange_text

SETTLE = 10.0


def drop(inbox: Path, name: str, data: bytes, *, age: float = 60.0) -> Path:
    """A file as a connector leaves it, last modified ``age`` seconds ago."""
    path = inbox / name
    path.write_bytes(data)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_only_settled_plain_files_are_claimed(tmp_path: Path):
    drop(tmp_path, "ready.edi", b"UNB...")
    drop(tmp_path, "upload.edi.tmp", b"UNB...")
    drop(tmp_path, "upload.edi.part", b"UNB...")
    drop(tmp_path, ".hidden.edi", b"UNB...")
    drop(tmp_path, "being-written.edi", b"UNB+UNOC", age=1.0)
    (tmp_path / "subfolder").mkdir()

    claimed = directory.inbox_claim(tmp_path, settle_seconds=SETTLE)

    assert [file.name for file in claimed] == ["ready.edi"]
    assert claimed[0].path.parent == tmp_path / "processing"
    assert claimed[0].path.name.endswith("-ready.edi")
    assert names(tmp_path) == sorted(
        [
            ".hidden.edi",
            "being-written.edi",
            "processing",
            "subfolder",
            "upload.edi.part",
            "upload.edi.tmp",
        ]
    )


def test_a_file_claimed_once_is_not_claimed_again(tmp_path: Path):
    drop(tmp_path, "a.edi", b"x")

    first = directory.inbox_claim(tmp_path, settle_seconds=SETTLE)
    second = directory.inbox_claim(tmp_path, settle_seconds=SETTLE)

    assert [file.name for file in first] == ["a.edi"] and second == []


def test_a_file_still_growing_after_its_claim_goes_back_to_the_inbox(tmp_path: Path):
    drop(tmp_path, "slow.edi", b"UNA:+.? 'UNB+UNOC:3")
    (claimed,) = directory.inbox_claim(tmp_path, settle_seconds=SETTLE)
    with open(claimed.path, "ab") as writer:  # the writer still holds the file open
        writer.write(b"+3020000000005:14'")

    with pytest.raises(directory.FileStillChanging):
        directory.claimed_read(claimed)
    directory.claimed_release(claimed)

    assert "slow.edi" in names(tmp_path)
    assert names(tmp_path / "processing") == []


@pytest.mark.django_db
def test_polling_stores_settled_files_archives_them_and_leaves_the_rest(
    make_partner, tmp_path: Path, django_capture_on_commit_callbacks
):
    inbox, outbox = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    outbox.mkdir()
    partner = make_partner(
        transport=TransportKind.DIRECTORY, inbox_path=str(inbox), outbox_path=str(outbox)
    )
    payload = interchange_text()
    drop(inbox, "ORDERS_1.edi", payload)
    half = drop(inbox, "ORDERS_2.edi", payload[:40], age=0.5)  # the connector is writing it
    drop(inbox, "ORDERS_3.edi.tmp", payload)

    with django_capture_on_commit_callbacks(execute=True):
        received = directory_poll(partner, settle_seconds=SETTLE)

    (row,) = received
    row.refresh_from_db()
    assert row.payload_bytes == payload
    assert (row.transport, row.partner, row.metadata["filename"]) == (
        "directory",
        partner,
        "ORDERS_1.edi",
    )
    assert row.state == InterchangeState.ERROR  # processed: no ORDERS handler yet
    assert names(inbox / "archive")[0].endswith("-ORDERS_1.edi")
    assert names(inbox / "processing") == []
    assert half.read_bytes() == payload[:40]  # untouched, for the next poll
    # Our CONTRL went out through the partner's outbox.
    assert [name.endswith("_CONTRL.edi") for name in names(outbox)] == [True]

    # The writer finishes; the next poll (settled now) takes the whole file.
    half.write_bytes(payload.replace(b"ORD0001", b"ORD0002"))
    os.utime(half, (time.time() - 60, time.time() - 60))
    with django_capture_on_commit_callbacks(execute=True):
        (second,) = directory_poll(partner, settle_seconds=SETTLE)
    assert second.payload_bytes == payload.replace(b"ORD0001", b"ORD0002")


@pytest.mark.django_db
def test_an_unreachable_inbox_is_skipped(make_partner, tmp_path: Path):
    make_partner(
        transport=TransportKind.DIRECTORY,
        inbox_path=str(tmp_path / "missing"),
        outbox_path=str(tmp_path),
    )

    assert directories_poll(settle_seconds=SETTLE) == 0
