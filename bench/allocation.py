"""Benchmark of the pure allocation engine (no database).

Builds a deterministic synthetic snapshot in memory: 2,500 articles (60 % tracked by
DLC, 20 % by DDM, 20 % by lot without a date) with 20 stock buckets each — 50,000
buckets over several locations, with expired, short-dated, quarantined and blocked
lots among them — then allocates 10,000 demand lines (random articles, quantities,
delivery dates and customer shelf-life rules) FEFO over the shared snapshot with
``allocate_lines``. Prints readable figures and ends with one JSON line:
``{"fefo_us_per_line": <float>}`` (median of the timed runs).

What is timed: ``allocate_lines`` over ready-made ``DemandLine`` values against a
snapshot indexed beforehand (the index build — sorting every article's buckets in
FEFO order once — is timed and printed separately). Reading and locking the balance
rows is the service's cost, not the engine's.

Run: .venv/bin/python bench/allocation.py
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from logistics.allocation import (  # noqa: E402
    AllocationPlan,
    Article,
    DemandLine,
    ExpiryKind,
    LotStatus,
    MinShelfLife,
    ShelfLifeUnit,
    StockBucket,
    StockSnapshot,
    TrackingMode,
    allocate_lines,
)

SEED = 20260316
DELIVERY_DATE = date(2026, 3, 16)
ARTICLES = 2_500
BUCKETS_PER_ARTICLE = 20
LOCATIONS = 400
LINES = 10_000
TIMED_RUNS = 5


def build_articles(rng: random.Random) -> list[Article]:
    articles = []
    for article_id in range(1, ARTICLES + 1):
        draw = rng.random()
        if draw < 0.6:
            articles.append(
                Article(
                    id=article_id,
                    tracking_mode=TrackingMode.LOT_DLC,
                    shelf_life_days=rng.choice((10, 21, 30, 45)),
                )
            )
        elif draw < 0.8:
            articles.append(
                Article(
                    id=article_id,
                    tracking_mode=TrackingMode.LOT_DDM,
                    shelf_life_days=rng.choice((180, 365, 540)),
                )
            )
        else:
            articles.append(Article(id=article_id, tracking_mode=TrackingMode.LOT))
    return articles


def build_buckets(rng: random.Random, articles: list[Article]) -> list[StockBucket]:
    statuses = (
        [LotStatus.AVAILABLE] * 46
        + [LotStatus.QUARANTINED] * 2
        + [LotStatus.BLOCKED, LotStatus.RECALLED]
    )
    buckets = []
    bucket_id = 0
    for article in articles:
        life = article.shelf_life_days or 0
        for _ in range(BUCKETS_PER_ARTICLE):
            bucket_id += 1
            kind = {TrackingMode.LOT_DLC: ExpiryKind.DLC, TrackingMode.LOT_DDM: ExpiryKind.DDM}.get(
                article.tracking_mode
            )
            location = rng.randrange(1, LOCATIONS + 1)
            buckets.append(
                StockBucket(
                    id=bucket_id,
                    article_id=article.id,
                    location_id=location,
                    picking_order=location,
                    quantity_available=Decimal(rng.randrange(0, 240)),
                    lot_id=bucket_id,
                    lot_number=f"L{bucket_id:07d}",
                    # From a few days expired to almost the full life left.
                    expiry_date=DELIVERY_DATE + timedelta(days=rng.randint(-3, life))
                    if kind
                    else None,
                    expiry_kind=kind,
                    receipt_date=DELIVERY_DATE - timedelta(days=rng.randint(0, 60)),
                    status=rng.choice(statuses),
                )
            )
    rng.shuffle(buckets)
    return buckets


def build_lines(rng: random.Random, articles: list[Article]) -> list[DemandLine]:
    rules = [
        None,
        None,
        MinShelfLife(value=3),
        MinShelfLife(value=60, unit=ShelfLifeUnit.PERCENT),
        MinShelfLife(value=67, unit=ShelfLifeUnit.PERCENT),
    ]
    return [
        DemandLine(
            id=line_id,
            article=rng.choice(articles),
            quantity=Decimal(rng.choice((6, 12, 24, 48, 120, 300))),
            delivery_date=DELIVERY_DATE + timedelta(days=rng.randint(0, 2)),
            min_shelf_life=rng.choice(rules),
            allow_past_ddm=rng.random() < 0.1,
        )
        for line_id in range(1, LINES + 1)
    ]


def main() -> None:
    rng = random.Random(SEED)
    articles = build_articles(rng)
    buckets = build_buckets(rng, articles)
    lines = build_lines(rng, articles)

    started = time.perf_counter()
    snapshot = StockSnapshot(buckets=tuple(buckets))
    index_ms = (time.perf_counter() - started) * 1000

    timings = []
    cpu_timings = []
    batch = None
    for _ in range(TIMED_RUNS):
        gc.collect()
        started, cpu_started = time.perf_counter(), time.process_time()
        batch = allocate_lines(lines, snapshot)
        timings.append(time.perf_counter() - started)
        cpu_timings.append(time.process_time() - cpu_started)
    assert batch is not None
    plans = [plan for plan in batch.plans if isinstance(plan, AllocationPlan)]
    median_s = statistics.median(timings)
    us_per_line = median_s * 1_000_000 / LINES

    complete = sum(1 for plan in plans if plan.is_complete)
    picks = sum(len(plan.picks) for plan in plans)
    requested = sum((plan.quantity_requested for plan in plans), Decimal(0))
    allocated = sum((plan.quantity_allocated for plan in plans), Decimal(0))
    print(
        f"snapshot: {len(buckets):,} buckets over {ARTICLES:,} articles, indexed in {index_ms:.0f} ms"
    )
    print(f"lines: {LINES:,} over one shared snapshot, {TIMED_RUNS} runs")
    print(
        f"allocate_lines: median {median_s * 1000:.0f} ms "
        f"(min {min(timings) * 1000:.0f}, max {max(timings) * 1000:.0f}) — {us_per_line:.1f} µs per line"
    )
    # On a shared machine the wall clock includes time spent waiting for a CPU.
    print(f"CPU time: median {statistics.median(cpu_timings) * 1000:.0f} ms")
    print(f"served in full: {complete:,} lines; short: {LINES - complete:,}; picks: {picks:,}")
    print(
        f"quantity: {allocated:,} allocated of {requested:,} requested; "
        f"{len(batch.consumed):,} buckets touched"
    )
    print(json.dumps({"fefo_us_per_line": round(us_per_line, 2)}))


if __name__ == "__main__":
    main()
