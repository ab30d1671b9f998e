"""``python manage.py seed_demo [--scale N] [--reset] [--force]``: the demo data set.

Deterministic (same data on every run), idempotent (a second run only resets the
demo passwords and prints the logins), one transaction. Refuses to run with
DEBUG off unless ``--force``: it is not meant for a production database.
"""

from __future__ import annotations

import os
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from trade.demo import (
    MASTER_DATA_MODELS,
    DemoLogin,
    demo_data_counts,
    demo_data_exists,
    demo_data_reset,
    demo_data_seed,
    demo_users_sync,
)

DEMO_URL = "http://127.0.0.1:8000"
MAX_SCALE = 1000


class Command(BaseCommand):
    help = (
        "Seed deterministic demo master data (company, customer hierarchy, suppliers, catalogue, "
        "kits) and the demo logins. --scale N multiplies the volumes (100: ~4,000 stores, "
        "30,000 articles). Does nothing but re-print the logins when the demo data is already "
        "there; --reset deletes ALL trade master data first and seeds again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=int, default=1, help="Volume multiplier (default 1).")
        parser.add_argument(
            "--reset", action="store_true",
            help="Delete all trade master data (customers, suppliers, catalogue, company, payment "
                 "terms, price lists, templates) before seeding. Users are kept.",
        )
        parser.add_argument("--force", action="store_true", help="Run even when settings.DEBUG is off.")

    def handle(self, *args: Any, **options: Any) -> None:
        scale: int = options["scale"]
        if not 1 <= scale <= MAX_SCALE:
            raise CommandError(f"--scale must be between 1 and {MAX_SCALE}.")
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this looks like a production database. seed_demo writes and, with "
                "--reset, deletes master data; pass --force if this really is a demo database."
            )
        password = os.environ.get("DEMO_PASSWORD") or "demo"
        started = time.perf_counter()
        seeded = False
        with transaction.atomic():
            if options["reset"]:
                self.stdout.write("Deleting the trade master data…")
                deleted = demo_data_reset()
                master = {f"{model._meta.app_label}.{model.__name__}" for model in MASTER_DATA_MODELS}
                dependents = {label: count for label, count in deleted.items() if label not in master}
                self.stdout.write(f"  {sum(deleted.values()):,} rows deleted")
                if dependents:
                    self.stdout.write("  including rows that depended on them: " + ", ".join(
                        f"{label} {count:,}" for label, count in sorted(dependents.items())))
            users_started = time.perf_counter()
            users, logins = demo_users_sync(password=password)
            users_seconds = time.perf_counter() - users_started
            if demo_data_exists():
                counts = demo_data_counts()
                self.stdout.write(
                    f"Demo data already present ({counts['CustomerNode']} customer nodes, "
                    f"{counts['Article']} articles): nothing seeded. Use --reset to seed again"
                    + (f" at scale {scale}." if scale != 1 else ".")
                )
            else:
                self.stdout.write(f"Seeding the demo data at scale {scale}…")
                # Password hashing (PBKDF2) dominates small scales: show it apart.
                self.stdout.write(f"  {'demo logins':<22} {users_seconds:6.2f} s")
                result = demo_data_seed(scale=scale, salesperson=users["ventes"], log=self.stdout.write)
                seeded = True
        elapsed = time.perf_counter() - started
        if seeded:
            self.stdout.write(self.style.SUCCESS(f"Seeded {result.rows:,} rows in {elapsed:.1f} s:"))
            for name, count in result.counts.items():
                self.stdout.write(f"  {name:<18} {count:>9,}")
        self._print_logins(logins)

    def _print_logins(self, logins: list[DemoLogin]) -> None:
        width = 60
        lines = [
            "=" * width,
            f" Comptoir demo — open {DEMO_URL}",
            "-" * width,
            f" {'role':<12} {'username':<12} password",
        ]
        lines += [f" {login.role:<12} {login.username:<12} {login.password}" for login in logins]
        lines += [
            "-" * width,
            " demo is a superuser (also /admin/); set DEMO_PASSWORD to choose the password.",
            "=" * width,
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
