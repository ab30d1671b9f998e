"""``python manage.py seed_demo [--scale N] [--reset] [--force] [--date YYYY-MM-DD]``: the demo data set.

The project package is the composition root: it runs the trade seed (``trade.demo``:
company, customer hierarchy, suppliers, catalogue) and then the pricing seed
(``pricing.demo``: price lists, contracts, sales history, year-end rebates), which
trade may not call (see the import-linter contract in ``pyproject.toml``).

Deterministic (same data on every run for the same reference date), idempotent (a
second run only resets the demo passwords and prints the logins; it seeds the pricing
data alone when the master data is there without it), one transaction. Refuses to
run with DEBUG off unless ``--force``: it is not meant for a production database.
"""

from __future__ import annotations

import os
import time
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from logistics.demo import stock_demo_exists, stock_demo_reset, stock_demo_seed
from pricing.demo import (
    MasterDataMissing,
    pricing_demo_exists,
    pricing_demo_reset,
    pricing_demo_seed,
)
from trade.demo import (
    MASTER_DATA_MODELS,
    DemoLogin,
    demo_data_counts,
    demo_data_exists,
    demo_data_reset,
    demo_data_seed,
    demo_users_sync,
)
from trade.sales.demo import sales_demo_exists, sales_demo_reset, sales_demo_seed

DEMO_URL = "http://127.0.0.1:8000"
MAX_SCALE = 1000


class Command(BaseCommand):
    help = (
        "Seed deterministic demo data: master data (company, customer hierarchy, suppliers, "
        "catalogue, kits), pricing (price lists, contracts, 12 months of sales history, year-end "
        "rebates) and the demo logins. --scale N multiplies the volumes (100: ~4,000 stores, "
        "30,000 articles, over 100,000 contract conditions). Does nothing but re-print the logins "
        "when the demo data is already there; --reset deletes ALL trade master data and pricing "
        "data first and seeds again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=int, default=1, help="Volume multiplier (default 1).")
        parser.add_argument(
            "--reset", action="store_true",
            help="Delete all trade master data (customers, suppliers, catalogue, company, payment "
                 "terms, price lists, templates) and all pricing data (price list lines, contracts, "
                 "segments, sales history, rebates) before seeding. Users are kept.",
        )
        parser.add_argument("--force", action="store_true", help="Run even when settings.DEBUG is off.")
        parser.add_argument(
            "--date", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
            help="Reference date of the pricing data: contracts, promotion windows and the 12 months "
                 "of sales history are placed around it (default: today).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scale: int = options["scale"]
        if not 1 <= scale <= MAX_SCALE:
            raise CommandError(f"--scale must be between 1 and {MAX_SCALE}.")
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "DEBUG is off: this looks like a production database. seed_demo writes and, with "
                "--reset, deletes master data; pass --force if this really is a demo database."
            )
        today: date = options["date"] or timezone.localdate()
        password = os.environ.get("DEMO_PASSWORD") or "demo"
        started = time.perf_counter()
        counts: dict[str, int] = {}
        with transaction.atomic():
            if options["reset"]:
                self.stdout.write("Deleting the trade master data and the pricing data…")
                # Pricing rows first: they point to master data, and deleting them by
                # table is faster than letting the master data reset chase them row by row.
                deleted = sales_demo_reset() + stock_demo_reset() + pricing_demo_reset() + demo_data_reset()
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
                present = demo_data_counts()
                if pricing_demo_exists() and stock_demo_exists() and sales_demo_exists():
                    self.stdout.write(
                        f"Demo data already present ({present['CustomerNode']} customer nodes, "
                        f"{present['Article']} articles): nothing seeded. Use --reset to seed again"
                        + (f" at scale {scale}." if scale != 1 else ".")
                    )
                else:
                    self.stdout.write(
                        f"Master data already present ({present['CustomerNode']} customer nodes, "
                        f"{present['Article']} articles); seeding what is missing, dated {today}…"
                    )
                    if not pricing_demo_exists():
                        counts = self._seed_pricing(today=today, owner=users["ventes"])
                    if not stock_demo_exists():
                        counts |= stock_demo_seed(today=today, user=users["entrepot"], log=self.stdout.write).counts
                    if not sales_demo_exists():
                        counts |= sales_demo_seed(today=today, user=users["ventes"], log=self.stdout.write).counts
            else:
                self.stdout.write(f"Seeding the demo data at scale {scale}, dated {today}…")
                # Password hashing (PBKDF2) dominates small scales: show it apart.
                self.stdout.write(f"  {'demo logins':<22} {users_seconds:6.2f} s")
                result = demo_data_seed(scale=scale, salesperson=users["ventes"], log=self.stdout.write)
                counts = {**result.counts, **self._seed_pricing(today=today, owner=users["ventes"])}
                counts |= stock_demo_seed(today=today, user=users["entrepot"], log=self.stdout.write).counts
                counts |= sales_demo_seed(today=today, user=users["ventes"], log=self.stdout.write).counts
        elapsed = time.perf_counter() - started
        if counts:
            self.stdout.write(self.style.SUCCESS(f"Seeded {sum(counts.values()):,} rows in {elapsed:.1f} s:"))
            for name, count in counts.items():
                self.stdout.write(f"  {name:<22} {count:>9,}")
        self._print_logins(logins)

    def _seed_pricing(self, *, today: date, owner: AbstractUser) -> dict[str, int]:
        try:
            return pricing_demo_seed(today=today, owner=owner, log=self.stdout.write).counts
        except MasterDataMissing as exc:  # the transaction rolls back: nothing is left half-seeded
            raise CommandError(f"{exc} Run seed_demo --reset to seed everything again.") from exc

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
