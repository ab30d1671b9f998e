"""Benchmark of sales orders through the service layer on PostgreSQL (issue 5).

Data: the demo master data and pricing at scale 4 (``trade.demo`` then ``pricing.demo``
without the sales history): 1,200 articles priced in the store's price list, the
benchmark lineage chain → buying group → platform → store (depth 4) carrying
contracts with conditions article by article at every level, the chain's real
settings (full cases only, minimum remaining shelf life in percent, short lines cut,
a credit limit). Stock: one warehouse, every orderable article (not a kit, not
serial-numbered) received in 4 lots at 4 locations — with DLC/DDM dates for dated
articles — through a real receipt.

Timed, for 20-line orders (20 distinct articles, a few cases each, so FEFO crosses
lots), each on its own order after ``WARM_UP`` untimed ones, median of ``ORDERS``:

- **order** = ``order_create`` (check, price the 20 lines with the engine, save) +
  ``order_confirm`` (re-price, customer and credit checks, number, reserve FEFO);
- **ship** = ``delivery_create`` (hand the reservations to the delivery) +
  ``delivery_ship`` (stock moves out with lots, order delivered).

Each phase is printed apart with its query count; a cProfile of a few more orders
lists where the time goes. Needs BENCH_DATABASE_URL (``make bench`` sets it); runs in
a ``test_<name>`` database that Django creates and drops. Ends with one JSON line:
``{"order_20_lines_ms": …, "ship_20_lines_ms": …}``. Target: order ≤ 20 ms.

Run: BENCH_DATABASE_URL=postgres://… .venv/bin/python bench/orders.py [--profile]
(``BENCH_ORDERS=50`` times fewer orders while iterating).
"""

from __future__ import annotations

import cProfile
import gc
import io
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCALE = 4
LINES = 20
ORDERS = int(os.environ.get("BENCH_ORDERS", "200"))
WARM_UP = 10
PROFILED = 20
LOTS_PER_ARTICLE = 4
TARGET_ORDER_MS = 20
PHASES = ("create + price", "confirm + reserve", "delivery create", "ship")


def main() -> int:
    url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if not url.startswith("postgres"):
        print("bench/orders.py needs BENCH_DATABASE_URL=postgres://… (make bench sets it).")
        return 2
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "comptoir.settings.dev"
    import django

    django.setup()
    from django.db import connection, connections

    original = connection.settings_dict["NAME"]
    started = time.perf_counter()
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=False)
    print(f"Database: {connection.vendor} {database} (fresh, migrated in {time.perf_counter() - started:.1f} s)")
    try:
        return _run(profile="--profile" in sys.argv)
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)
        connections.close_all()


def _seed() -> tuple[Any, Any, list[Any]]:
    """Demo master data and pricing, a warehouse, and stock of every orderable article
    of the benchmark store. Returns (store, warehouse, articles with their case size)."""
    from django.db import transaction
    from django.utils import timezone

    from logistics.models import Location, Receipt, ReceiptLine, Warehouse
    from logistics.services.documents import receipt_post
    from pricing.demo import BENCHMARK_STORE_CODE, pricing_demo_seed
    from trade.demo import demo_data_seed
    from trade.models import (
        Article,
        ArticleStatus,
        CustomerNode,
        KitKind,
        Packaging,
        PackagingLevel,
        TrackingMode,
    )

    today = timezone.localdate()
    started = time.perf_counter()
    with transaction.atomic():
        demo_data_seed(scale=SCALE, salesperson=None, log=lambda _line: None)
        pricing_demo_seed(today=today, owner=None, log=lambda _line: None, sales_history=False)
    print(f"Seeded master data and pricing at scale {SCALE} in {time.perf_counter() - started:.1f} s")

    store = CustomerNode.objects.get(code=BENCHMARK_STORE_CODE)
    warehouse = Warehouse.objects.create(code="BENCH", name="Bench warehouse")
    locations = Location.objects.bulk_create(
        [Location(warehouse=warehouse, code=f"A-{i:03d}", picking_order=i) for i in range(40)])
    cases = dict(Packaging.objects.filter(level=PackagingLevel.CASE).values_list("article_id", "quantity"))
    articles = list(
        Article.objects.filter(status=ArticleStatus.ACTIVE, kit_kind=KitKind.NONE)
        .exclude(tracking_mode=TrackingMode.SERIAL).filter(pk__in=cases).order_by("code")
    )
    started = time.perf_counter()
    receipt = Receipt.objects.create(warehouse=warehouse, received_on=today)
    rows = []
    for index, article in enumerate(articles):
        per_lot = cases[article.pk] * 6
        dated = article.tracking_mode in (TrackingMode.LOT_DLC, TrackingMode.LOT_DDM)
        lotted = dated or article.tracking_mode == TrackingMode.LOT
        for lot in range(LOTS_PER_ARTICLE):
            expiry = None
            if dated:  # fresh enough for any shelf-life rule, each lot a few days apart
                expiry = today + timedelta(days=max(article.shelf_life_days or 0, 30) - 8 + 2 * lot)
            rows.append(ReceiptLine(
                receipt=receipt, article=article, location=locations[(index + 7 * lot) % len(locations)],
                quantity=per_lot, unit_cost=Decimal("1.0000"), lot_number=f"B{lot}" if lotted else "",
                expiry_date=expiry))
    ReceiptLine.objects.bulk_create(rows)
    receipt_post(receipt)
    print(f"Stock: {len(articles):,} articles × {LOTS_PER_ARTICLE} lots ({len(rows):,} balances) in "
          f"warehouse {warehouse.code}, received in {time.perf_counter() - started:.1f} s")
    return store, warehouse, [(article, cases[article.pk]) for article in articles]


@dataclass
class Timings:
    """Per phase: wall-clock ms, CPU ms of this process, queries — one entry per order."""

    wall: list[list[float]] = field(default_factory=lambda: [[] for _ in PHASES])
    cpu: list[list[float]] = field(default_factory=lambda: [[] for _ in PHASES])
    queries: list[list[int]] = field(default_factory=lambda: [[] for _ in PHASES])

    def median_of(self, *phases: int, cpu: bool = False) -> float:
        table = self.cpu if cpu else self.wall
        return statistics.median(sum(values) for values in zip(*(table[p] for p in phases), strict=True))


def _run(*, profile: bool) -> int:
    from django.conf import settings as django_settings
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from pricing.models import Condition, ContractStatus
    from trade.models import CustomerNode, PackagingLevel
    from trade.sales.models import OrderState, SalesOrder
    from trade.sales.services import (
        LineInput,
        delivery_create,
        delivery_ship,
        order_confirm,
        order_create,
    )
    from trade.selectors import customer_node_effective_settings

    store, warehouse, catalogue = _seed()
    django_settings.DEBUG = False  # as in production: no query log kept in memory
    lineage = list(CustomerNode.objects.filter(pk__in=store.lineage_ids).order_by("depth"))
    conditions = Condition.objects.filter(contract__status=ContractStatus.ACTIVE, contract__node__in=lineage).count()
    settings = customer_node_effective_settings(store)
    print(f"Store {store.code}: " + " → ".join(node.code for node in lineage)
          + f"; {conditions:,} active conditions on the lineage; full cases only "
          f"{settings.value('full_cases_only')}, short lines {settings.value('backorder_policy')}, "
          f"credit limit {settings.value('credit_limit')}")
    tomorrow = timezone.localdate() + timedelta(days=1)

    def basket(number: int) -> list[Any]:
        """20 distinct articles, moving through the catalogue; cases or base units
        by the case, 1 to 3 cases a line."""
        start = number * LINES % len(catalogue)
        lines = []
        for position in range(LINES):
            article, case = catalogue[(start + position) % len(catalogue)]
            cases = 1 + (number + position) % 3
            if position % 2:
                lines.append(LineInput(article=article, quantity=Decimal(cases), packaging_level=PackagingLevel.CASE))
            else:
                lines.append(LineInput(article=article, quantity=case * cases))
        return lines

    executed = [0]

    def count_query(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        executed[0] += 1
        return execute(sql, params, many, context)

    def one_order(number: int, timings: Timings | None) -> None:
        lines = basket(number)
        steps: list[Callable[[Any], Any]] = [
            lambda _: order_create(ordering_node=store, lines=lines, requested_date=tomorrow, warehouse=warehouse),
            lambda order: (order_confirm(order), order)[1],
            delivery_create,
            delivery_ship,
        ]
        value: Any = None
        for phase, step in enumerate(steps):
            executed[0] = 0
            started, cpu_started = time.perf_counter(), time.process_time()
            value = step(value)
            if timings is not None:
                timings.wall[phase].append((time.perf_counter() - started) * 1000)
                timings.cpu[phase].append((time.process_time() - cpu_started) * 1000)
                timings.queries[phase].append(executed[0])

    with connection.execute_wrapper(count_query):
        for number in range(WARM_UP):
            one_order(number, None)
        # Long-lived objects out of the collector's way, as in a warmed-up server.
        gc.collect()
        gc.freeze()
        timings = Timings()
        for number in range(WARM_UP, WARM_UP + ORDERS):
            one_order(number, timings)

    short = SalesOrder.objects.filter(lines__cut_quantity__gt=0).distinct().count()
    states = dict(SalesOrder.objects.values_list("state").annotate(n=Count("pk")).order_by())
    print(f"{ORDERS} timed orders of {LINES} lines (+{WARM_UP} warm-up): states {states}, {short} with a cut line")
    print("Phase                 median ms   p90 ms   CPU ms (this process)   queries")
    for phase, name in enumerate(PHASES):
        samples = sorted(timings.wall[phase])
        print(f"  {name:<20} {statistics.median(samples):8.2f} {samples[int(len(samples) * 0.9)]:8.2f}"
              f"   {statistics.median(timings.cpu[phase]):8.2f}              "
              f"{statistics.median(timings.queries[phase]):6.0f}")
    order_ms = timings.median_of(0, 1)
    ship_ms = timings.median_of(2, 3)
    print(f"Order (create + price + confirm + reserve), 20 lines: median {order_ms:.1f} ms, CPU "
          f"{timings.median_of(0, 1, cpu=True):.1f} ms (target ≤ {TARGET_ORDER_MS} ms)")
    print(f"Ship (delivery create + ship), 20 lines: median {ship_ms:.1f} ms, CPU "
          f"{timings.median_of(2, 3, cpu=True):.1f} ms")
    load = os.getloadavg()[0]
    print(f"Machine: {os.cpu_count()} CPUs, load average {load:.2f} at the end: wall-clock time includes "
          "waiting for a CPU when the machine is busy (the CPU column does not)")
    assert SalesOrder.objects.filter(state=OrderState.DRAFT).count() == 0

    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for number in range(WARM_UP + ORDERS, WARM_UP + ORDERS + PROFILED):
            one_order(number, None)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(r"comptoir|trade|pricing|logistics", 45)
        print(f"cProfile of {PROFILED} more orders (create, confirm, delivery, ship), cumulative:")
        print(out.getvalue())

    print(json.dumps({"order_20_lines_ms": round(order_ms, 2), "ship_20_lines_ms": round(ship_ms, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
