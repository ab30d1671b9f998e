"""``comptoir.bulk.instances_insert`` writes the rows ``bulk_create`` writes (ids from the
table's sequence, ``COPY`` on PostgreSQL); ``numbers_next_gap_tolerant`` draws many
numbers of a series at once."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def order(hierarchy, warehouse_row):  # noqa: ANN001, ANN201
    from trade.sales.models import SalesOrder

    store = hierarchy["store"]
    return SalesOrder.objects.create(ordering_node=store, delivery_node=store, invoicing_node=store,
                                     requested_date=date(2026, 12, 1), warehouse=warehouse_row)


@pytest.fixture
def warehouse_row(db):  # noqa: ANN001, ANN201
    from logistics.models import Warehouse

    return Warehouse.objects.create(code="LYON", name="Entrepôt Lyon")


@pytest.fixture
def article(db):  # noqa: ANN001, ANN201
    from tests import factories

    return factories.ArticleFactory(code="SUCRE")


def _rows(model, ids, *, without=("id",)) -> list[dict]:  # noqa: ANN001
    """The stored rows of these ids, in that order, without the given columns."""
    stored = {row["id"]: row for row in model.objects.filter(pk__in=ids).values()}
    return [{name: value for name, value in stored[pk].items() if name not in without} for pk in ids]


def _order_lines(order, article) -> list:  # noqa: ANN001
    """Lines with Decimals of every scale, a nested JSON breakdown, nulls."""
    from trade.sales.models import SalesOrderLine

    return [
        SalesOrderLine(order=order, position=1, article=article, quantity=D("2.5"), unit="kg", base_quantity=D("2.5"),
                       vat_rate=D("5.50"), gross_unit_price=D("1.23456"), net_unit_price=D("1.1"),
                       line_amount=D("2.75"), breakdown={"steps": [{"level": 1, "rate": "10.00"}], "flags": {},
                                                         "text": "l'été « 12 % »\t\\ \n"},
                       priced_on=date(2026, 11, 27), caller_unit_price=None, customer_line_reference="10"),
        SalesOrderLine(order=order, position=2, article=article, quantity=D("1"), unit="U", base_quantity=D(12),
                       base_units_per_unit=D(12), vat_rate=D("20.00"), breakdown={"unpriced": True},
                       requested_date=None, margin_amount=D("-0.01"), keyed_net_unit_price=D("0.0001")),
        SalesOrderLine(order=order, position=3, article=article, quantity=D("3"), unit="U", base_quantity=D(3),
                       vat_rate=D("0.00")),
    ]


def test_inserted_lines_get_unique_ids_and_the_rows_bulk_create_writes(hierarchy, warehouse_row, article):  # noqa: ANN001
    from comptoir.bulk import instances_insert
    from trade.sales.models import SalesOrder, SalesOrderLine

    store = hierarchy["store"]
    first, second = (SalesOrder.objects.create(ordering_node=store, delivery_node=store, invoicing_node=store,
                                               requested_date=date(2026, 12, 1), warehouse=warehouse_row)
                     for _ in range(2))
    copied = _order_lines(first, article)
    created = _order_lines(second, article)
    before = set(SalesOrderLine.objects.values_list("pk", flat=True))

    answer = instances_insert(SalesOrderLine, copied)
    SalesOrderLine.objects.bulk_create(created)

    assert answer is copied
    ids = [line.pk for line in copied]
    assert None not in ids and len(set(ids)) == 3 and not set(ids) & before
    assert all(not line._state.adding and line._state.db == "default" for line in copied)
    assert [row["order_id"] for row in _rows(SalesOrderLine, ids)] == [first.pk] * 3
    assert (_rows(SalesOrderLine, ids, without=("id", "order_id"))
            == _rows(SalesOrderLine, [line.pk for line in created], without=("id", "order_id")))
    stored = SalesOrderLine.objects.get(pk=copied[0].pk)
    assert stored.breakdown == {"steps": [{"level": 1, "rate": "10.00"}], "flags": {}, "text": "l'été « 12 % »\t\\ \n"}
    assert (stored.gross_unit_price, stored.quantity, stored.net_unit_price) == (D("1.2346"), D("2.500"), D("1.1000"))
    # The sequence moved on: a later insert takes a new id.
    later = SalesOrderLine.objects.create(order=first, position=4, article=article, quantity=D(1), unit="U",
                                          base_quantity=D(1), vat_rate=D("5.50"))
    assert later.pk > max(ids)


def test_timestamps_json_and_nullable_foreign_keys_are_written_as_bulk_create_writes_them(order, make_user):  # noqa: ANN001
    from comptoir.bulk import instances_insert
    from trade.sales.models import SalesEvent, SalesOrder

    user = make_user()

    def events() -> list[SalesEvent]:
        return [
            SalesEvent(order=order, kind="transition", from_state="", to_state="draft", message="Créée", user=user,
                       data={"line": 12, "short": "1.000", "cut": True, "nested": [None, 1.5]}),
            SalesEvent(order=order, kind="stock", message="", user=None),  # nullable FK left null, data={} default
        ]

    def orders() -> list[SalesOrder]:
        # auto_now_add and auto_now, a Decimal, nullable FKs set and not
        return [SalesOrder(ordering_node=order.ordering_node, delivery_node=order.delivery_node,
                           invoicing_node=order.invoicing_node, requested_date=date(2026, 12, 2),
                           warehouse=order.warehouse, total_amount=D("12.345"), salesperson=salesperson,
                           notes=notes)
                for salesperson, notes in ((user, "deux\nlignes"), (None, ""))]

    started = timezone.now()
    copied_events, created_events = instances_insert(SalesEvent, events()), SalesEvent.objects.bulk_create(events())
    copied_orders, created_orders = instances_insert(SalesOrder, orders()), SalesOrder.objects.bulk_create(orders())
    ended = timezone.now()

    stamps = {"id", "at", "created_at", "updated_at"}
    assert (_rows(SalesEvent, [e.pk for e in copied_events], without=stamps)
            == _rows(SalesEvent, [e.pk for e in created_events], without=stamps))
    assert (_rows(SalesOrder, [o.pk for o in copied_orders], without=stamps)
            == _rows(SalesOrder, [o.pk for o in created_orders], without=stamps))
    rows = _rows(SalesEvent, [e.pk for e in copied_events], without=())
    assert [(row["user_id"], row["data"], row["order_id"]) for row in rows] == [
        (user.pk, {"line": 12, "short": "1.000", "cut": True, "nested": [None, 1.5]}, order.pk), (None, {}, order.pk)]
    orders_rows = _rows(SalesOrder, [o.pk for o in copied_orders], without=())
    assert [(row["salesperson_id"], row["total_amount"], row["quote_id"]) for row in orders_rows] == [
        (user.pk, D("12.35"), None), (None, D("12.35"), None)]
    # Timestamps set in the row and on the instance, as save() sets them.
    for instance, row, names in [*((e, r, ["at"]) for e, r in zip(copied_events, rows, strict=True)),
                                 *((o, r, ["created_at", "updated_at"])
                                   for o, r in zip(copied_orders, orders_rows, strict=True))]:
        for name in names:
            assert started <= row[name] <= ended
            assert getattr(instance, name) == row[name]


def test_a_related_object_saved_after_assignment_is_written_as_bulk_create_writes_it(order):  # noqa: ANN001
    """``bulk_create`` takes the id of a related object saved after it was assigned
    (``Model._prepare_related_fields_for_save``); the rows must be the same."""
    from django.contrib.auth.models import User

    from comptoir.bulk import instances_insert
    from trade.sales.models import SalesEvent

    def event_of(user: User) -> SalesEvent:
        return SalesEvent(order=order, kind="change", user=user)

    late_copied, late_created = User(username="late-copied"), User(username="late-created")
    copied, created = event_of(late_copied), event_of(late_created)
    late_copied.save()
    late_created.save()

    SalesEvent.objects.bulk_create([created])
    instances_insert(SalesEvent, [copied])

    assert SalesEvent.objects.get(pk=created.pk).user_id == late_created.pk
    assert SalesEvent.objects.get(pk=copied.pk).user_id == late_copied.pk


def test_an_unsaved_related_object_is_refused_as_bulk_create_refuses_it(order):  # noqa: ANN001
    from django.contrib.auth.models import User

    from comptoir.bulk import instances_insert
    from trade.sales.models import SalesEvent

    with pytest.raises(ValueError, match="unsaved related object"):
        SalesEvent.objects.bulk_create([SalesEvent(order=order, kind="change", user=User(username="never-saved"))])
    count = SalesEvent.objects.count()
    with pytest.raises(ValueError, match="unsaved related object"):
        instances_insert(SalesEvent, [SalesEvent(order=order, kind="change", user=User(username="never-saved"))])
    assert SalesEvent.objects.count() == count


def test_inserting_nothing_runs_no_query():
    from comptoir.bulk import instances_insert
    from trade.sales.models import SalesEvent

    empty: list = []
    with CaptureQueriesContext(connection) as captured:
        assert instances_insert(SalesEvent, empty) is empty
    assert len(captured) == 0


def test_inserted_rows_roll_back_with_the_transaction(order, article):  # noqa: ANN001
    from comptoir.bulk import instances_insert
    from trade.sales.models import SalesEvent, SalesOrderLine

    class Abandon(Exception):
        pass

    kept = instances_insert(SalesEvent, [SalesEvent(order=order, kind="change", message="kept")])
    with pytest.raises(Abandon), transaction.atomic():
        lines = instances_insert(SalesOrderLine, _order_lines(order, article))
        events = instances_insert(SalesEvent, [SalesEvent(order=order, kind="change", message="gone")])
        assert SalesOrderLine.objects.filter(pk__in=[line.pk for line in lines]).count() == 3
        assert SalesEvent.objects.filter(pk=events[0].pk).exists()
        raise Abandon
    assert SalesOrderLine.objects.filter(order=order).count() == 0
    assert list(SalesEvent.objects.filter(order=order).values_list("pk", "message")) == [(kept[0].pk, "kept")]
    # The transaction goes on after the rollback: an insert still works.
    again = instances_insert(SalesOrderLine, _order_lines(order, article))
    assert SalesOrderLine.objects.filter(order=order).count() == 3
    assert min(line.pk for line in again) > max(line.pk for line in lines)


# ------------------------------------------------------------------ numbering


def test_many_gap_tolerant_numbers_are_distinct_increasing_and_well_formed(db):  # noqa: ANN001
    from comptoir.numbering import number_next_gap_tolerant, numbers_next_gap_tolerant

    on_date = date(2031, 3, 4)
    numbers = numbers_next_gap_tolerant(prefix="CDE", on_date=on_date, count=5)

    assert len(numbers) == 5 and len(set(numbers)) == 5
    matches = [re.fullmatch(r"CDE2031-(\d{6})", number) for number in numbers]
    assert all(matches), numbers
    values = [int(match.group(1)) for match in matches]
    assert values == sorted(values)
    assert values[-1] - values[0] == 4  # one query, no other caller: consecutive
    following = number_next_gap_tolerant(prefix="CDE", on_date=on_date)
    assert int(following.removeprefix("CDE2031-")) == values[-1] + 1
    more = numbers_next_gap_tolerant(prefix="CDE", on_date=on_date - timedelta(days=400), count=2)
    assert [number[:8] for number in more] == ["CDE2030-", "CDE2030-"]
    assert int(more[0][8:]) == values[-1] + 2  # the counter runs on across years


def test_zero_numbers_is_an_empty_list_without_a_query(db):  # noqa: ANN001
    from comptoir.numbering import numbers_next_gap_tolerant

    with CaptureQueriesContext(connection) as captured:
        assert numbers_next_gap_tolerant(prefix="CDE", on_date=date(2026, 1, 1), count=0) == []
    assert len(captured) == 0


def test_a_series_prefix_must_be_alphanumeric(db):  # noqa: ANN001
    from comptoir.numbering import numbers_next_gap_tolerant

    with pytest.raises(ValueError, match="alphanumeric"):
        numbers_next_gap_tolerant(prefix="CDE; DROP", on_date=date(2026, 1, 1), count=2)
