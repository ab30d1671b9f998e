"""On PostgreSQL, with real commits: control references never repeat under concurrent
sends, two workers never both process one interchange, and the raw payload is
committed before anything reads it."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, connections

from edi.eancom import make_segment
from edi.models import Interchange, InterchangeState, MessageType
from edi.services import interchange_process, interchange_receive, message_send

from .gateway import interchange_text

pytestmark = pytest.mark.django_db(transaction=True)
WORKERS = 8


def run_concurrently(work, count: int = WORKERS) -> list:  # noqa: ANN001
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - collected and asserted by the test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hung: deadlock?"
    return results


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL")


def test_concurrent_sends_never_repeat_a_control_reference(make_partner):
    partner = make_partner()
    body = (make_segment("BGM", "231", "RSP-1", "29"),)

    def send(index: int) -> list[str]:
        return [
            message_send(
                partner=partner, message_type=MessageType.ORDRSP, body=body
            ).control_reference
            for _ in range(5)
        ]

    results = run_concurrently(send)

    assert not [r for r in results if isinstance(r, Exception)], results
    references = [reference for batch in results for reference in batch]
    assert len(references) == len(set(references)) == WORKERS * 5
    assert sorted(references) == [f"{n:08d}" for n in range(1, WORKERS * 5 + 1)]
    assert Interchange.objects.filter(direction="out").count() == WORKERS * 5


def test_two_copies_processed_at_once_are_processed_once(make_partner):
    make_partner()
    payload = interchange_text()
    # Stored without processing: the workers below race to process both copies.
    rows = [
        Interchange.objects.create(
            direction="in",
            transport="http",
            payload=payload,
            checksum=f"{'0' * 63}{n}",
            size=len(payload),
            state=InterchangeState.RECEIVED,
        )
        for n in range(2)
    ]

    results = run_concurrently(lambda index: interchange_process(rows[index % 2].pk).state, count=2)

    assert not [r for r in results if isinstance(r, Exception)], results
    states = sorted(Interchange.objects.filter(direction="in").values_list("state", flat=True))
    assert states == [InterchangeState.DUPLICATE, InterchangeState.ERROR]


def test_the_raw_payload_is_committed_before_processing_starts(make_partner, monkeypatch):
    partner = make_partner()

    def crash(interchange_id, parsed):  # noqa: ANN001, ANN202
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("edi.services.inbound._interchange_open", crash)
    payload = interchange_text()

    row = interchange_receive(payload, transport="directory", partner=partner)

    # Processing ran (eagerly) after the commit and lost the database; the raw row stays,
    # committed, waiting for the task's retry or the periodic sweep.
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT payload, state FROM edi_interchange WHERE id = %s", [row.pk])
        stored, state = cursor.fetchone()
    assert bytes(stored) == payload
    assert state == InterchangeState.RECEIVED
