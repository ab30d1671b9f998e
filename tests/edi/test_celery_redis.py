"""A real Celery worker, on the real Redis broker of the test services, processes a
received interchange enqueued with ``.delay()`` — the production path, not eager mode."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection
from kombu import pools as kombu_pools

from edi.models import Interchange, InterchangeState, MessageState

from .gateway import interchange_text

ROOT = Path(__file__).resolve().parents[2]
REDIS_PORT = int(os.environ.get("COMPTOIR_REDIS_PORT", "63799"))
# A database number of its own and a queue per run: other suites may share this Redis.
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/11"


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def database_url() -> str:
    settings = connection.settings_dict
    user = settings["USER"] or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


def _celery_reset(app) -> None:  # noqa: ANN001
    """Forget connections and result backend built from the previous configuration
    (kombu keeps its pools in a registry of its own: reset it too)."""
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@pytest.fixture
def redis_worker(tmp_path: Path):  # noqa: ANN201
    from comptoir.celery import app

    queue = f"edi-test-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "comptoir.settings.test",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
    }
    with open(log, "wb") as output:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "comptoir",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "INFO",
                "-n",
                f"{queue}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    saved = {
        key: app.conf[key]
        for key in ("task_always_eager", "broker_url", "result_backend", "task_default_queue")
    }
    app.conf.update(
        task_always_eager=False,
        broker_url=REDIS_URL,
        result_backend=REDIS_URL,
        task_default_queue=queue,
    )
    _celery_reset(app)
    try:
        yield queue, log
    finally:
        app.conf.update(**saved)
        _celery_reset(app)
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=5)


@pytest.mark.skipif(
    not redis_reachable(),
    reason=f"Redis is not reachable on 127.0.0.1:{REDIS_PORT}: start the test services "
    "(scripts/test-services.sh start) to run the Celery-on-Redis test",
)
@pytest.mark.django_db(transaction=True)
def test_a_worker_on_redis_processes_a_received_interchange(
    make_partner, redis_worker, monkeypatch
):
    from edi.services import interchange_receive
    from edi.tasks import process_interchange

    _queue, log = redis_worker
    partner = make_partner()
    # Store the raw payload without the eager in-process scheduling of the tests…
    monkeypatch.setattr("edi.services.inbound.processing_schedule", lambda interchange_id: None)
    row = interchange_receive(interchange_text(), transport="http", partner=partner)
    assert Interchange.objects.get(pk=row.pk).state == InterchangeState.RECEIVED

    # …and enqueue its processing on the broker (this run's queue), for the worker process.
    result = process_interchange.delay(row.pk)

    try:
        # Eager tasks run by threads in other tests can leave Celery's process-wide "inside
        # a task" flag set; this test process is no worker, so waiting here is fine.
        state = result.get(timeout=90, disable_sync_subtasks=False)
    except Exception:  # noqa: BLE001 - show what the worker said
        pytest.fail(f"the worker did not process the interchange:\n{log.read_text()[-4000:]}")
    row.refresh_from_db()
    assert state == row.state == InterchangeState.ERROR  # processed: this ORDERS is only a BGM
    message = row.messages.get()
    # The worker ran the ORDERS mapping: it names what is missing (UN/EDIFACT 13, "missing").
    assert (message.state, message.errors[0]["code"]) == (MessageState.ERROR, "13")
    assert row.contrl is not None and row.contrl.state == InterchangeState.QUEUED
    assert f"edi.process_interchange[{result.id}] succeeded" in log.read_text()
