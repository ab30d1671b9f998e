"""Benchmark of ``seed_demo --scale 10`` on a fresh, migrated database.

By default the database is a temporary SQLite file (what ``make demo`` uses). With
``BENCH_DATABASE_URL=postgres://user@host:port/name`` it runs on PostgreSQL, in a
throwaway ``test_<name>`` database created and dropped by Django's test machinery
(the named database itself is only used to connect).

Prints the phases, rows per table and rows per second, and ends with one JSON line:
``{"seed_scale10_s": <float>}`` — wall-clock seconds of the whole command (one
transaction, including the five demo logins' password hashing).

Run from the project root: .venv/bin/python bench/seed.py
"""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCALE = 10


def main() -> int:
    bench_url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    scratch = None
    if bench_url:
        os.environ["DATABASE_URL"] = bench_url
    else:
        scratch = tempfile.TemporaryDirectory(prefix="comptoir-bench-seed-")
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch.name}/bench.sqlite3"
    # DATABASE_URL is read when the settings are imported: set it before django.setup().
    os.environ["DJANGO_SETTINGS_MODULE"] = "comptoir.settings.dev"

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection, connections

    from trade.demo import demo_data_counts

    original_name = connection.settings_dict["NAME"]
    started = time.perf_counter()
    if bench_url:
        database = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False, keepdb=False
        )
    else:
        call_command("migrate", verbosity=0, interactive=False)
        database = original_name
    migrate_seconds = time.perf_counter() - started
    print(f"Database: {connection.vendor} {database} (fresh, migrated in {migrate_seconds:.1f} s)")

    try:
        output = io.StringIO()
        started = time.perf_counter()
        call_command("seed_demo", scale=SCALE, force=True, stdout=output)
        seed_seconds = time.perf_counter() - started
        counts = demo_data_counts()
    finally:
        if bench_url:
            connection.creation.destroy_test_db(original_name, verbosity=0)
        connections.close_all()
        if scratch is not None:
            scratch.cleanup()

    total = sum(counts.values())
    print(
        f"seed_demo --scale {SCALE}: {seed_seconds:.2f} s, {total:,} rows, {total / seed_seconds:,.0f} rows/s"
    )
    print("Phases:")
    for line in output.getvalue().splitlines():
        if line.startswith("  ") and line.rstrip().endswith(" s"):
            print(line)
    print("Rows per table:")
    for name, count in counts.items():
        print(f"  {name:<18} {count:>9,}")
    print(json.dumps({"seed_scale10_s": round(seed_seconds, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
