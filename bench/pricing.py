"""Benchmark of ``price_basket``: 10,000 lines for one store, against the scale-100 demo data.

Creates a fresh database (a temporary SQLite file by default; with
``BENCH_DATABASE_URL=postgres://user@host:port/name`` a throwaway ``test_<name>``
PostgreSQL database created and dropped by Django's test machinery, as bench/seed.py
does), migrates it and seeds the demo data at scale 100 with the demo builders
(``trade.demo`` then ``pricing.demo`` without the sales history, which pricing does not
read): 30,000 articles, ~4,000 stores, over 50 contracts and over 100,000 conditions,
most of them article by article on the lineage of ``pricing.demo.BENCHMARK_STORE_CODE``
(chain → buying group → platform → store, depth 4).

Then prices 10,000 lines (distinct articles spread over the catalogue; base units,
consumer units, cases, layers and pallets in turn) for that store with one
``price_basket`` call: one warm-up call, then ``TIMED_RUNS`` timed calls. The figure
is the whole call — effective settings, loading the articles, packagings, gross
prices, conditions and cost prices, indexing the conditions and pricing the lines —
and the median run is reported. Load and engine time are shown apart (the engine:
``index_conditions`` + ``price_lines``).

Ends with one JSON line: ``{"us_per_line": <float>, "lines_per_s": <float>}``.

Run from the project root: .venv/bin/python bench/pricing.py
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pricing.selectors import BasketLine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCALE = 100
LINES = 10_000
TIMED_RUNS = 5
PRICING_DATE = date(2026, 6, 15)
MIN_CONTRACTS = 50
MIN_CONDITIONS = 100_000
TARGET_US_PER_LINE = 50


class _Stopwatch:
    """Wraps a function and adds up the time spent in it."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.seconds = 0.0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - started


def main() -> int:
    bench_url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    scratch = None
    if bench_url:
        os.environ["DATABASE_URL"] = bench_url
    else:
        scratch = tempfile.TemporaryDirectory(prefix="comptoir-bench-pricing-")
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch.name}/bench.sqlite3"
    # DATABASE_URL is read when the settings are imported: set it before django.setup().
    os.environ["DJANGO_SETTINGS_MODULE"] = "comptoir.settings.dev"

    import django

    django.setup()

    from django.core.management import call_command
    from django.db import connection, connections

    original_name = connection.settings_dict["NAME"]
    started = time.perf_counter()
    if bench_url:
        database = connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False, keepdb=False
        )
    else:
        call_command("migrate", verbosity=0, interactive=False)
        database = original_name
    print(f"Database: {connection.vendor} {database} (fresh, migrated in {time.perf_counter() - started:.1f} s)")
    try:
        return _run()
    finally:
        if bench_url:
            connection.creation.destroy_test_db(original_name, verbosity=0)
        connections.close_all()
        if scratch is not None:
            scratch.cleanup()


def _run() -> int:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from pricing import engine
    from pricing.demo import BENCHMARK_STORE_CODE, pricing_demo_seed
    from pricing.models import Condition, Contract, ContractStatus
    from pricing.selectors import price_basket
    from trade.demo import demo_data_seed
    from trade.models import CustomerNode

    started = time.perf_counter()
    with transaction.atomic():
        demo_data_seed(scale=SCALE, salesperson=None, log=lambda _line: None)
        trade_seconds = time.perf_counter() - started
        pricing_demo_seed(today=PRICING_DATE, owner=None, log=lambda _line: None, sales_history=False)
    seed_seconds = time.perf_counter() - started
    print(f"Seeded scale {SCALE} in {seed_seconds:.1f} s (master data {trade_seconds:.1f} s, "
          f"pricing {seed_seconds - trade_seconds:.1f} s, no sales history)")

    store = CustomerNode.objects.get(code=BENCHMARK_STORE_CODE)
    lineage = list(CustomerNode.objects.filter(pk__in=store.lineage_ids).order_by("depth"))
    contracts = Contract.objects.filter(status=ContractStatus.ACTIVE)
    condition_total = Condition.objects.filter(contract__status=ContractStatus.ACTIVE).count()
    on_path = Condition.objects.filter(contract__status=ContractStatus.ACTIVE, contract__node__in=lineage)
    scopes = Counter(on_path.values_list("scope_kind", flat=True))
    print(f"Store {store.code}, lineage of depth {len(lineage)}: " + " → ".join(n.code for n in lineage))
    print(f"Active contracts {contracts.count():,}, active conditions {condition_total:,}; on the store's "
          f"lineage {sum(scopes.values()):,} (" + ", ".join(f"{k} {v:,}" for k, v in sorted(scopes.items())) + ")")
    if contracts.count() < MIN_CONTRACTS or condition_total < MIN_CONDITIONS or len(lineage) != 4:
        print("The data set does not have the promised size.", file=sys.stderr)
        return 1

    lines = _basket()
    mix = Counter(line.packaging_level or "base unit" for line in lines)
    print(f"Basket: {len(lines):,} lines, distinct articles, " + ", ".join(f"{k} {v:,}" for k, v in mix.items()))

    with CaptureQueriesContext(connection) as queries:
        warm_up = price_basket(node=store, lines=lines, on_date=PRICING_DATE)
    priced = warm_up.lines
    print(f"Warm-up: {len(priced):,} priced, {len(warm_up.unpriced_line_ids)} without a gross price, "
          f"{warm_up.condition_count:,} conditions indexed, {len(queries)} queries")
    sources = Counter(step.source.node_id for line in priced for step in line.steps if step.source is not None)
    names = {node.pk: node.code for node in lineage}
    print("Level steps set per line: " + f"{sum(sources.values()) / len(priced):.2f} (by node: "
          + ", ".join(f"{names.get(k, k)} {v:,}" for k, v in sources.most_common()) + f"); "
          f"{sum(1 for line in priced if line.net_price)} with a net price, "
          f"{sum(1 for line in priced if line.free_goods)} with free goods, "
          f"{sum(1 for line in priced if line.flags.below_cost)} below cost")

    # Long-lived data of the process (the seed's leftovers, Django's caches) out of the
    # collector's way, as in a warmed-up server; the collector stays on during runs.
    gc.collect()
    gc.freeze()
    index_watch = _Stopwatch(engine.index_conditions)
    lines_watch = _Stopwatch(engine.price_lines)
    engine.index_conditions, engine.price_lines = index_watch, lines_watch  # type: ignore[assignment]
    totals: list[float] = []
    cpu_times: list[float] = []
    index_times: list[float] = []
    lines_times: list[float] = []
    try:
        for _run in range(TIMED_RUNS):
            result = None
            gc.collect()
            index_watch.seconds = lines_watch.seconds = 0.0
            started, cpu_started = time.perf_counter(), time.process_time()
            result = price_basket(node=store, lines=lines, on_date=PRICING_DATE)
            totals.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu_started)
            index_times.append(index_watch.seconds)
            lines_times.append(lines_watch.seconds)
            assert len(result.lines) == len(priced)
    finally:
        engine.index_conditions, engine.price_lines = index_watch.function, lines_watch.function

    median = statistics.median(totals)
    index_median, lines_median = statistics.median(index_times), statistics.median(lines_times)
    load_median = statistics.median(t - i - p for t, i, p in zip(totals, index_times, lines_times, strict=True))
    us_per_line = median / LINES * 1e6

    def per_line(seconds: float) -> str:
        return f"{seconds * 1000:7.1f} ms  {seconds / LINES * 1e6:6.1f} µs/line"

    print("Runs (ms): " + ", ".join(f"{t * 1000:.0f}" for t in totals))
    print(f"  whole price_basket call  {per_line(median)}")
    print(f"  loading (queries, rows)  {per_line(load_median)}")
    print(f"  engine: index_conditions {per_line(index_median)}")
    print(f"  engine: price_lines      {per_line(lines_median)}")
    # Wall-clock minus this process's CPU time: waiting for the database, or for a CPU
    # when the machine is busy.
    print(f"  (CPU time of this process {per_line(statistics.median(cpu_times))})")
    print(f"Median {median * 1000:.0f} ms for {LINES:,} lines = {us_per_line:.1f} µs per line = "
          f"{LINES / median:,.0f} lines/s (best {min(totals) / LINES * 1e6:.1f} µs; "
          f"target ≤ {TARGET_US_PER_LINE} µs per line)")
    print(json.dumps({"us_per_line": round(us_per_line, 2), "lines_per_s": round(LINES / median, 1)}))
    return 0


def _basket() -> list[BasketLine]:
    """``LINES`` lines on distinct articles spread evenly over the catalogue (in code
    order), ordered in turn per base unit, consumer unit, case, layer and pallet."""
    from pricing.selectors import BasketLine
    from trade.models import Article, Packaging, PackagingLevel

    articles = list(Article.objects.order_by("code").values_list("pk", flat=True))
    if len(articles) < LINES:
        raise SystemExit(f"{len(articles)} articles: fewer than the {LINES} lines to price")
    packaged = set(
        Packaging.objects.filter(level=PackagingLevel.CONSUMER_UNIT).values_list("article_id", flat=True)
    )
    turns = ("", PackagingLevel.CONSUMER_UNIT, PackagingLevel.CASE, PackagingLevel.LAYER, PackagingLevel.PALLET)
    quantities = dict(zip(turns, (Decimal(24), Decimal(36), Decimal(5), Decimal(2), Decimal(1)), strict=True))
    step = len(articles) / LINES
    lines = []
    for position in range(LINES):
        article_id = articles[int(position * step)]
        level = turns[position % len(turns)]
        if level == PackagingLevel.CONSUMER_UNIT and article_id not in packaged:
            level = PackagingLevel.CASE  # sold by weight: no consumer unit
        lines.append(BasketLine(position + 1, article_id, quantities[level], level))
    return lines


if __name__ == "__main__":
    sys.exit(main())
