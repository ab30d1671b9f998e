"""``stocks_reserve``: many documents in one pass reserve exactly what ``stock_reserve``
called for each of them in turn would, in a fixed number of queries.

Each comparison runs both ways over the same stock, each inside a savepoint rolled
back afterwards: what was reserved (rows, balances, serials) and what was answered
(plans, consumption, serials) must be identical."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logistics.allocation import BatchAllocation, MinShelfLife, ShelfLifeUnit, ShortfallReason
from logistics.models import (
    Location,
    Receipt,
    ReceiptLine,
    Reservation,
    SerialNumber,
    StockBalance,
    Warehouse,
)
from logistics.services.documents import receipt_post
from logistics.services.reservations import (
    ReserveLine,
    ReserveRequest,
    stock_reserve,
    stocks_reserve,
)
from tests import factories
from trade.services import customer_node_save, kit_components_set

D = Decimal
DAY = date(2026, 6, 1)


def reserved_state() -> tuple[list[tuple], list[tuple], list[tuple]]:
    """What a reservation run left in the database, by natural keys (primary keys of rows
    created in a rolled-back savepoint are not reused): reservations in insertion order,
    reserved quantity per balance, serial statuses."""
    reservations = [
        (r.document_type, r.document_id, r.document_line, r.article.code, r.balance.location.code,
         r.balance.lot.number if r.balance.lot else None, r.serial.number if r.serial else None, r.quantity,
         r.customer_node_id, r.status, r.created_by_id)
        for r in Reservation.objects.select_related("article", "balance__location", "balance__lot", "serial")
        .order_by("pk")
    ]
    balances = sorted(
        (b.article.code, b.location.code, b.lot.number if b.lot else "", b.reserved)
        for b in StockBalance.objects.select_related("article", "location", "lot")
    )
    serials = sorted(SerialNumber.objects.values_list("number", "status"))
    return reservations, balances, serials


def in_savepoint(reserve: Callable[[], list[BatchAllocation]]) -> tuple[list[BatchAllocation], tuple]:
    savepoint = transaction.savepoint()
    try:
        return reserve(), reserved_state()
    finally:
        transaction.savepoint_rollback(savepoint)


def one_by_one(requests: Sequence[ReserveRequest], *, warehouse: Warehouse, user=None) -> list[BatchAllocation]:  # noqa: ANN001
    return [
        stock_reserve(document_type=r.document_type, document_id=r.document_id, lines=r.lines,
                      warehouse=warehouse, delivery_date=r.delivery_date, customer_node=r.customer_node,
                      allow_past_ddm=r.allow_past_ddm, user=user, min_shelf_life=r.min_shelf_life)
        for r in requests
    ]


def assert_batch_equals_sequential(requests: Sequence[ReserveRequest], *, warehouse: Warehouse,
                                   user=None) -> tuple[list[BatchAllocation], tuple]:  # noqa: ANN001
    sequential, sequential_state = in_savepoint(lambda: one_by_one(requests, warehouse=warehouse, user=user))
    batch, batch_state = in_savepoint(lambda: stocks_reserve(requests, warehouse=warehouse, user=user))
    assert batch_state == sequential_state
    assert batch == sequential  # plans (picks, skipped stock, shortfall reasons), consumed, serials
    return batch, batch_state


@pytest.fixture
def stock(receive, warehouse, yogurt, hierarchy):  # noqa: ANN001, ANN201
    """Dated, undated, best-before and serial stock, a kit of two components, customers
    with 60 % (inherited), 10 days, or no minimum shelf life."""
    chain = hierarchy["chain"]
    chain.min_shelf_life_value, chain.min_shelf_life_unit = 60, "percent"
    customer_node_save(chain)
    other = factories.CustomerNodeFactory(kind="chain", code="AUTRE", min_shelf_life_value=10,
                                          min_shelf_life_unit="days")
    receive(yogurt, "6", lot="EARLY", expiry=date(2026, 6, 3))
    receive(yogurt, "10", lot="SHORT", expiry=date(2026, 6, 10))
    receive(yogurt, "10", lot="MID", expiry=date(2026, 6, 25), location="A-02")
    receive(yogurt, "10", lot="LATE", expiry=date(2026, 6, 30), location="B-01")
    jam = factories.ArticleFactory(code="CONFITURE")
    receive(jam, "9")
    kit = factories.ArticleFactory(code="COFFRET", kit_kind="components")
    kit_components_set(kit=kit, components=[(jam, D("2")), (yogurt, D("1"))])
    kettle = factories.ArticleFactory(code="BOUILLOIRE", tracking_mode="serial")
    receive(kettle, "3", serials=["S1", "S2", "S3"])
    receive(kettle, "1", serials=["S4"], location="B-01")
    cheese = factories.ArticleFactory(code="TOMME", tracking_mode="lot_ddm", shelf_life_days=90)
    receive(cheese, "5", lot="OLD", expiry=date(2026, 6, 2))
    receive(cheese, "5", lot="NEW", expiry=date(2026, 8, 1))
    return {"yogurt": yogurt, "jam": jam, "kit": kit, "kettle": kettle, "cheese": cheese,
            "store": hierarchy["store"], "other": other}


@pytest.mark.django_db
def test_competing_documents_reserve_in_one_pass_what_they_reserve_one_after_another(stock, warehouse):
    yogurt, jam, kit, kettle, cheese = (stock[k] for k in ("yogurt", "jam", "kit", "kettle", "cheese"))
    store, other = stock["store"], stock["other"]
    line = ReserveLine
    requests = [
        ReserveRequest("order", "D1", [line("1", yogurt, D(12)), line("2", kit, D(2)), line("3", kettle, D(2))],
                       DAY, customer_node=store),
        ReserveRequest("order", "D2", [line("1", yogurt, D(8)), line("2", jam, D(3)), line("3", cheese, D(4))],
                       date(2026, 6, 5)),
        ReserveRequest("order", "D3", [line("1", yogurt, D(15)), line("2", kettle, D(2)), line("3", cheese, D(5))],
                       date(2026, 6, 12), customer_node=other, allow_past_ddm=True),
        ReserveRequest("delivery", "D4", [line("a", yogurt, D(5)), line("b", kit, D(3)), line("c", kettle, D(1))],
                       DAY, customer_node=store, min_shelf_life=None),
        ReserveRequest("order", "D5", [], DAY, customer_node=other),
        ReserveRequest("order", "D6", [line("1", yogurt, D(4))], DAY, customer_node=other,
                       min_shelf_life=MinShelfLife(value=20, unit=ShelfLifeUnit.DAYS)),
    ]
    user = factories.UserFactory()

    batches, (reservations, balances, serials) = assert_batch_equals_sequential(
        requests, warehouse=warehouse, user=user)

    def summary(batch: BatchAllocation) -> list[tuple]:
        return [(str(plan.line_id), plan.quantity_allocated, plan.quantity_short) for plan in batch.plans]

    # Yogurt EARLY 6 (06-03), SHORT 10 (06-10), MID 10 (06-25), LATE 10 (06-30); jam 9; four kettles.
    assert [summary(batch) for batch in batches] == [
        # 60 % of 30 days: MID 10 + LATE 2, then LATE 2 for the kits; S1, S2
        [("1", D(12), D(0)), ("2", D(2), D(0)), ("3", D(2), D(0))],
        # no minimum, on 06-05: EARLY is past its DLC, SHORT 8; cheese OLD past its DDM, NEW 4
        [("1", D(8), D(0)), ("2", D(3), D(0)), ("3", D(4), D(0))],
        # 10 days on 06-12: what is left of LATE; S3, S4; OLD allowed past DDM but too short, NEW 1
        [("1", D(6), D(9)), ("2", D(2), D(0)), ("3", D(1), D(4))],
        # no minimum, on 06-01: EARLY 5; 2 jams left make one kit (the last EARLY); no kettle left
        [("a", D(5), D(0)), ("b", D(1), D(2)), ("c", D(0), D(1))],
        [],
        [("1", D(0), D(4))],
    ]
    # Stock the earlier documents took is "no stock", as the document's own call says,
    # never "taken by earlier lines" (those are the document's own lines).
    assert [(d.reason, d.quantity) for d in batches[2].plans[0].shortfall] == [
        (ShortfallReason.EXPIRED, D(8)), (ShortfallReason.NO_STOCK, D(1))]
    assert [(d.reason, d.quantity) for d in batches[5].plans[0].shortfall] == [
        (ShortfallReason.TOO_SHORT_DATED, D(2)), (ShortfallReason.NO_STOCK, D(2))]  # SHORT 2 left; EARLY gone
    # Each answer has the document's own line ids, consumption and serials.
    assert batches[0].serials_allocated and not (batches[0].serials_allocated & batches[2].serials_allocated)
    assert sum(batches[1].consumed.values()) == D(15)
    assert sorted({row[:3] for row in reservations}) == [
        ("delivery", "D4", "a"), ("delivery", "D4", "b"),
        ("order", "D1", "1"), ("order", "D1", "2"), ("order", "D1", "3"),
        ("order", "D2", "1"), ("order", "D2", "2"), ("order", "D2", "3"),
        ("order", "D3", "1"), ("order", "D3", "2"), ("order", "D3", "3"),
    ]
    assert {(row[1], row[8]) for row in reservations} == {
        ("D1", store.pk), ("D2", None), ("D3", other.pk), ("D4", store.pk)}
    assert {row[10] for row in reservations} == {user.pk}
    assert ("BOUILLOIRE", "A-01", "", D(3)) in balances and ("BOUILLOIRE", "B-01", "", D(1)) in balances
    assert [status for _number, status in serials] == ["reserved"] * 4


@pytest.fixture
def plenty(receive, yogurt, hierarchy):  # noqa: ANN001, ANN201
    """Enough stock for thirty documents, and an article with none."""
    receive(yogurt, "50", lot="A", expiry=date(2026, 6, 20))
    receive(yogurt, "50", lot="B", expiry=date(2026, 6, 28), location="A-02")
    jam = factories.ArticleFactory(code="CONFITURE")
    receive(jam, "100")
    kit = factories.ArticleFactory(code="COFFRET", kit_kind="components")
    kit_components_set(kit=kit, components=[(jam, D("2")), (yogurt, D("1"))])
    kettle = factories.ArticleFactory(code="BOUILLOIRE", tracking_mode="serial")
    receive(kettle, "20", serials=[f"A{i}" for i in range(20)])
    receive(kettle, "20", serials=[f"B{i}" for i in range(20)], location="B-01")
    other = factories.CustomerNodeFactory(kind="chain", code="AUTRE", min_shelf_life_value=5,
                                          min_shelf_life_unit="days")
    return {"yogurt": yogurt, "jam": jam, "kit": kit, "kettle": kettle, "rare": factories.ArticleFactory(code="RARE"),
            "nodes": [hierarchy["store"], other, None]}


@pytest.mark.django_db
@pytest.mark.parametrize("with_short_lines", [False, True], ids=["optimistic", "pessimistic"])
def test_the_number_of_queries_does_not_grow_with_the_number_of_documents(plenty, warehouse, with_short_lines):
    def requests(count: int) -> list[ReserveRequest]:
        articles = [plenty[k] for k in ("yogurt", "kit", "kettle", "jam")] + ([plenty["rare"]] if with_short_lines else [])
        return [
            ReserveRequest("order", f"N{index}", [ReserveLine(str(n), a, D(1)) for n, a in enumerate(articles)],
                           date(2026, 6, 1 + index % 3), customer_node=plenty["nodes"][index % 3])
            for index in range(count)
        ]

    def queries(count: int) -> int:
        savepoint = transaction.savepoint()
        try:
            with CaptureQueriesContext(connection) as captured:
                batches = stocks_reserve(requests(count), warehouse=warehouse)
            assert len(batches) == count
            assert all(plan.quantity_allocated == 1 for batch in batches for plan in batch.plans[:4])
            assert Reservation.objects.count() == 5 * count  # the kit holds two components
        finally:
            transaction.savepoint_rollback(savepoint)
        return len(captured)

    assert queries(30) == queries(3) == queries(1)


_LIVES = ["inherited", None, MinShelfLife(value=5), MinShelfLife(value=50, unit=ShelfLifeUnit.PERCENT)]
documents = st.lists(
    st.fixed_dictionaries({
        "lines": st.lists(st.tuples(st.sampled_from(["yogurt", "jam", "kit", "kettle", "cheese"]), st.integers(1, 9)),
                          max_size=3),
        "day": st.integers(0, 14),
        "node": st.sampled_from([None, "store", "other"]),
        "life": st.sampled_from(_LIVES),
        "past_ddm": st.booleans(),
    }),
    min_size=1, max_size=6,
)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents=documents)
def test_any_documents_reserve_in_one_pass_what_they_reserve_one_after_another(stock, warehouse, documents):
    # Each example runs in savepoints rolled back: the fixture's stock is the same for all.
    requests = [
        ReserveRequest(
            "order", f"P{index}", [ReserveLine(str(n), stock[key], D(quantity)) for n, (key, quantity)
                                   in enumerate(document["lines"])],
            date.fromordinal(DAY.toordinal() + document["day"]),
            customer_node=stock[document["node"]] if document["node"] else None,
            allow_past_ddm=document["past_ddm"],
            **({} if document["life"] == "inherited" else {"min_shelf_life": document["life"]}),
        )
        for index, document in enumerate(documents)
    ]
    assert_batch_equals_sequential(requests, warehouse=warehouse)


def run_concurrently(work: Callable[[int], object], count: int) -> list:
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

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hung: deadlock?"
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_in_opposite_orders_never_oversell_nor_deadlock():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL")
    warehouse = Warehouse.objects.create(code="CC", name="Concurrence")
    bins = [Location.objects.create(warehouse=warehouse, code=f"B{i}", picking_order=i) for i in range(2)]
    first = factories.ArticleFactory(code="PREMIER", tracking_mode="lot_dlc", shelf_life_days=30)
    second = factories.ArticleFactory(code="SECOND")
    receipt = Receipt.objects.create(warehouse=warehouse, received_on=DAY)
    for location, lot, expiry in ((bins[0], "L1", date(2026, 6, 20)), (bins[1], "L2", date(2026, 6, 25))):
        ReceiptLine.objects.create(receipt=receipt, article=first, location=location, quantity=D(5), unit_cost=D(1),
                                   lot_number=lot, expiry_date=expiry)
        ReceiptLine.objects.create(receipt=receipt, article=second, location=location, quantity=D(5), unit_cost=D(1))
    receipt_post(receipt)

    def reserve(index: int) -> Decimal:
        requests = [
            ReserveRequest("order", f"C{index}-1", [ReserveLine("1", first, D(2)), ReserveLine("2", second, D(1))],
                           DAY),
            ReserveRequest("order", f"C{index}-2", [ReserveLine("1", second, D(2))], DAY),
            ReserveRequest("order", f"C{index}-3", [ReserveLine("1", first, D(1))], DAY),
        ]
        batches = stocks_reserve(requests[::-1] if index % 2 else requests, warehouse=warehouse)
        return sum((plan.quantity_allocated for batch in batches for plan in batch.plans), D(0))

    results = run_concurrently(reserve, 8)
    assert not [result for result in results if isinstance(result, Exception)], results
    assert sum(results) == D(20)  # 10 of each in stock, 8 × 3 of each asked
    for balance in StockBalance.objects.filter(article__in=[first, second]):
        assert balance.reserved == balance.on_hand == D(5)
    assert sum(Reservation.objects.values_list("quantity", flat=True)) == D(20)
