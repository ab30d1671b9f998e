"""Stock benchmarks on PostgreSQL (issue 4).

- FEFO allocation of a 200-line order over 10 lots per article, through the service
  (lock, snapshot, engine, write reservations) — target ≤ 50 ms;
- a balance read with 5 million moves in the ledger — target ≤ 5 ms;
- the trace of a lot that reached 2,000 stores — target ≤ 200 ms.

Needs BENCH_DATABASE_URL (``make bench`` starts a throwaway PostgreSQL and sets it);
runs in a ``test_<name>`` database that Django creates and drops. Prints readable
figures and ends with one JSON line:
``{"fefo_200_lines_ms": …, "balance_read_ms": …, "trace_2000_stores_ms": …}``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LEDGER_MOVES = int(os.environ.get("BENCH_LEDGER_MOVES", "5000000"))


def timed(function, runs: int) -> float:  # noqa: ANN001
    """Median wall time of ``runs`` calls, in milliseconds."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> int:
    url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if not url.startswith("postgres"):
        print("bench/stock.py needs BENCH_DATABASE_URL=postgres://… (make bench sets it).")
        return 2
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "comptoir.settings.dev"
    import django

    django.setup()
    from django.db import connection, connections

    from logistics.models import Location, Lot, Receipt, ReceiptLine, StockBalance, Warehouse
    from logistics.selectors import balance_read, lot_trace
    from logistics.services.documents import receipt_post
    from logistics.services.reservations import ReserveLine, reservations_release, stock_reserve
    from tests import factories
    from trade.models import Article, CustomerNode, NodeKind

    original = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=False)
    try:
        today = date.today()
        warehouse = Warehouse.objects.create(code="BENCH", name="Bench")
        locations = Location.objects.bulk_create(
            [Location(warehouse=warehouse, code=f"L{i:03d}", picking_order=i) for i in range(50)])
        family = factories.FamilyFactory()
        articles = Article.objects.bulk_create([
            Article(code=f"B{i:05d}", designation=f"Bench {i}", family=family, tracking_mode="lot_dlc",
                    shelf_life_days=60)
            for i in range(200)
        ])
        receipt = Receipt.objects.create(warehouse=warehouse, received_on=today)
        ReceiptLine.objects.bulk_create([
            ReceiptLine(receipt=receipt, article=article, location=locations[(a + lot) % 50], quantity=Decimal("20"),
                        unit_cost=Decimal("1.5"), lot_number=f"LOT{lot}", expiry_date=today + timedelta(days=10 + lot))
            for a, article in enumerate(articles) for lot in range(10)
        ])
        started = time.perf_counter()
        receipt_post(receipt)
        print(f"Setup: 200 articles × 10 lots received in {time.perf_counter() - started:.2f} s")

        lines = [ReserveLine(str(i), article, Decimal("45")) for i, article in enumerate(articles)]
        samples = []
        for run in range(16):
            document = f"O{run}"
            started = time.perf_counter()
            batch = stock_reserve(document_type="bench", document_id=document, warehouse=warehouse,
                                  delivery_date=today, lines=lines)
            elapsed = (time.perf_counter() - started) * 1000
            assert all(plan.quantity_short == 0 for plan in batch.plans)
            assert sum(len(plan.picks) for plan in batch.plans) >= 600  # 45 units span 3 lots of 20
            reservations_release(document_type="bench", document_id=document)
            if run:  # the first run warms caches
                samples.append(elapsed)
        fefo_ms = statistics.median(samples)
        print(f"FEFO reservation of a 200-line order over 10 lots per article "
              f"(lock 2,000 balances, allocate, write ~600 reservations): median {fefo_ms:.1f} ms")

        # A ledger of LEDGER_MOVES moves on other articles, then read one balance.
        started = time.perf_counter()
        filler = Article.objects.create(code="FILLER", designation="Ledger filler", family=family)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO logistics_stockmove
                    (article_id, quantity, to_location_id, unit_cost, reason, document_type, document_id,
                     document_line, note, created_at)
                SELECT %s, 1, %s, 0, 'adjustment', 'bench', g::text, '', '', now() - (g || ' seconds')::interval
                FROM generate_series(1, %s) AS g
                """,
                [filler.pk, locations[0].pk, LEDGER_MOVES],
            )
            cursor.execute("ANALYZE logistics_stockmove")
            cursor.execute("ANALYZE logistics_stockbalance")
        print(f"Ledger: {LEDGER_MOVES:,} moves inserted in {time.perf_counter() - started:.1f} s")
        some = StockBalance.objects.filter(lot__isnull=False).first()
        key = {"article_id": some.article_id, "location_id": some.location_id, "lot_id": some.lot_id}
        balance_read(**key)
        balance_ms = timed(lambda: balance_read(**key), 500)
        print(f"Balance read with {LEDGER_MOVES:,} moves in the ledger: median {balance_ms:.3f} ms")

        # A lot shipped to 2,000 stores.
        chain = CustomerNode.objects.create(kind=NodeKind.CHAIN, code="BCH", name="Bench chain", path="", depth=0)
        CustomerNode.objects.filter(pk=chain.pk).update(path=f"/{chain.pk}/")
        stores = CustomerNode.objects.bulk_create([
            CustomerNode(kind=NodeKind.STORE, parent=chain, code=f"BST{i:05d}", name=f"Store {i}", depth=1)
            for i in range(2000)
        ])
        for store in stores:
            store.path = f"/{chain.pk}/{store.pk}/"
        CustomerNode.objects.bulk_update(stores, ["path"], batch_size=1000)
        lot = Lot.objects.filter(article=articles[0]).first()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO logistics_stockmove
                    (article_id, quantity, from_location_id, lot_id, unit_cost, reason, document_type,
                     document_id, document_line, note, customer_node_id, created_at)
                SELECT %s, 1, %s, %s, 0, 'shipment', 'delivery', (g %% 500)::text, '', '', n.id, now()
                FROM generate_series(1, 2) AS g CROSS JOIN trade_customernode n WHERE n.code LIKE 'BST%%'
                """,
                [lot.article_id, locations[0].pk, lot.pk],
            )
            cursor.execute("ANALYZE logistics_stockmove")
        trace = lot_trace(lot)
        assert trace.customer_count == 2000, trace.customer_count
        trace_ms = timed(lambda: lot_trace(lot), 10)
        print(f"Trace of a lot shipped to {trace.customer_count:,} stores: median {trace_ms:.1f} ms")
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)
        connections.close_all()

    print("Targets: FEFO ≤ 50 ms, balance read ≤ 5 ms, trace ≤ 200 ms")
    print(json.dumps({"fefo_200_lines_ms": round(fefo_ms, 1), "balance_read_ms": round(balance_ms, 3),
                      "trace_2000_stores_ms": round(trace_ms, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
