"""``orders_create`` and ``orders_confirm``: many orders in one go give what
``order_create`` and ``order_confirm`` give one by one (lines, prices, events,
reservations served in batch order), all or nothing, in a number of queries that
does not grow with the number of orders.

Comparisons run both ways over the same data, each in a savepoint rolled back
afterwards, and compare what was written by natural keys (ids drawn from sequences
are not reused after a rollback)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext as _
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sales.conftest import dlc

pytestmark = pytest.mark.django_db
D = Decimal
NUMBER = re.compile(r"^CDE(\d{4})-(\d{6})$")


# ------------------------------------------------------------------ helpers


def _line_error(message: str, position: int, article: str, **values) -> str:  # noqa: ANN003
    """A refused line's text in the active language, built as the services build it."""
    label = _("Line %(position)s (%(article)s)") % {"position": position, "article": article}
    return _(message) % {"line": label, **values}


def _blocked_text(node) -> str:  # noqa: ANN001
    return _("Customer %(node)s is blocked (or under a blocked node) or inactive: it cannot order.") % {"node": node}


def _order_fields() -> list[str]:
    from trade.sales.models import SalesOrder

    # Number and times differ from one run to the other by construction: checked apart.
    return [f.attname for f in SalesOrder._meta.concrete_fields
            if f.attname not in ("id", "number", "created_at", "updated_at", "confirmed_at")]


def _line_fields() -> list[str]:
    from trade.sales.models import SalesOrderLine

    return [f.attname for f in SalesOrderLine._meta.concrete_fields if f.attname not in ("id", "order_id")]


def _with_positions(data: dict, positions: dict[int, int]) -> dict:
    """An event's data with the line id replaced by the line's position."""
    if "line" in data:
        return {**data, "line": ("position", positions[data["line"]])}
    return data


def orders_state(order_ids: Sequence[int]) -> list[dict]:
    """Everything written for these orders, by natural keys, in the order given."""
    from logistics.models import Reservation
    from trade.sales.models import SalesEvent, SalesOrder, SalesOrderLine

    order_fields, line_fields = _order_fields(), _line_fields()
    orders = SalesOrder.objects.in_bulk(list(order_ids))
    state = []
    for pk in order_ids:
        order = orders[pk]
        lines = list(SalesOrderLine.objects.filter(order_id=pk).order_by("position"))
        positions = {line.pk: line.position for line in lines}
        state.append({
            "order": {name: getattr(order, name) for name in order_fields},
            "numbered": bool(NUMBER.match(order.number)),
            "confirmed_at_set": order.confirmed_at is not None,
            "lines": [{name: getattr(line, name) for name in line_fields} for line in lines],
            "events": [(e.kind, e.from_state, e.to_state, e.message, _with_positions(e.data, positions), e.user_id)
                       for e in SalesEvent.objects.filter(order_id=pk).order_by("pk")],
            "reservations": [
                (positions[int(r.document_line)], r.article.code, r.balance.location.code,
                 r.balance.lot.number if r.balance.lot else None, r.serial.number if r.serial else None,
                 r.quantity, r.status, r.customer_node_id, r.created_by_id)
                for r in Reservation.objects.filter(document_type="sales.order", document_id=str(pk))
                .select_related("article", "balance__location", "balance__lot", "serial").order_by("pk")
            ],
        })
    return state


def balances_state() -> list[tuple]:
    from logistics.models import StockBalance

    return sorted((b.article.code, b.location.code, b.lot.number if b.lot else "", b.reserved)
                  for b in StockBalance.objects.select_related("article", "location", "lot"))


def in_savepoint(work: Callable[[], object], observe: Callable[[object], object]) -> object:
    """``observe(work())`` inside a savepoint rolled back afterwards."""
    savepoint = transaction.savepoint()
    try:
        return observe(work())
    finally:
        transaction.savepoint_rollback(savepoint)


def spec_kwargs(spec) -> dict:  # noqa: ANN001
    """An ``OrderSpec`` as ``order_create``'s keyword arguments."""
    return {f.name: getattr(spec, f.name) for f in fields(spec)}


def _ids(orders) -> list[int]:  # noqa: ANN001
    return [order.pk for order in orders]


def _reserved(article) -> Decimal:  # noqa: ANN001
    from logistics.models import StockBalance

    return StockBalance.objects.filter(article=article).aggregate(total=Sum("reserved"))["total"] or D(0)


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def stores(shop):  # noqa: ANN001, ANN201
    """Eight stores under the test platform (so delivered to it); a salesperson on the
    chain; store 1 cuts what is short instead of keeping a backorder."""
    from tests import factories
    from trade.services import customer_node_save

    chain, platform = shop["chain"], shop["platform"]
    chain.salesperson = factories.UserFactory(username="commercial")
    customer_node_save(chain)
    extra = [factories.CustomerNodeFactory(kind="store", parent=platform, code=f"MAG{n}", name=f"Magasin {n}")
             for n in range(2, 9)]
    nodes = [shop["store"], *extra]
    nodes[1].backorder_policy = "cut"
    customer_node_save(nodes[1])
    return nodes


@pytest.fixture
def promotions(shop, stores, admin_user_role, today):  # noqa: ANN001, ANN201
    """Breakdowns with more than a list price: 10 % off for the chain, 3 % more for
    the group's grocery family, 10 + 1 free sugar for store 2."""
    from pricing.models import Condition, Contract
    from pricing.services import condition_save, contract_activate, contract_save

    since = today - timedelta(days=30)
    chain_contract = contract_save(Contract(code="C-ENS", name="Enseigne", node=shop["chain"], valid_from=since))
    condition_save(Condition(contract=chain_contract, kind="discount", level=1, rate=D("10")))
    promotion = contract_save(Contract(code="P-MAG2", name="Promo magasin 2", node=stores[2], valid_from=since))
    condition_save(Condition(contract=promotion, kind="free_goods", scope_kind="article", article=shop["plain"],
                             buy_quantity=D("10"), free_quantity=D("1")))
    for contract in (chain_contract, promotion):
        contract_activate(contract, user=admin_user_role)
    return {"chain": chain_contract, "promotion": promotion}


@pytest.fixture
def varied_specs(shop, stores, promotions, line, tomorrow, today):  # noqa: ANN001, ANN201
    """Specs for different stores with every option an order can carry."""
    from trade.sales.models import OrderOrigin
    from trade.sales.services import OrderSpec

    yogurt, machine, plain = shop["yogurt"], shop["machine"], shop["plain"]
    return [
        OrderSpec(ordering_node=stores[0], requested_date=tomorrow, customer_reference="PO-1",
                  lines=[line(yogurt, 2, "case"), line(plain, 7), line(machine, 1)], notes="Quai 3"),
        OrderSpec(ordering_node=stores[1], requested_date=tomorrow + timedelta(days=2), origin=OrderOrigin.EDI,
                  source="EDI-42", price_tolerance_percent=D("5"),
                  lines=[line(plain, 10, caller_unit_price=D("1.0000"), customer_line_reference="10"),
                         line(plain, 3, caller_unit_price=D("1.0800"), customer_line_reference="20"),
                         line(yogurt, 24, requested_date=today + timedelta(days=5))]),
        OrderSpec(ordering_node=stores[2], requested_date=tomorrow, lines=[line(plain, 20), line(yogurt, 1, "case")]),
        OrderSpec(ordering_node=stores[3], requested_date=tomorrow, delivery_node=stores[3],
                  invoicing_node=shop["group"], lines=[line(machine, 3)], origin=OrderOrigin.API),
    ]


# ------------------------------------------------------------------ create


def test_orders_created_together_are_those_created_one_by_one(shop, stores, varied_specs, sales_user,
                                                             django_assert_num_queries):  # noqa: ANN001
    from trade.sales.models import SalesOrderLine
    from trade.sales.services import order_create, orders_create

    def one_by_one() -> list[int]:
        return [order_create(**spec_kwargs(spec), user=sales_user).pk for spec in varied_specs]

    def together() -> list[int]:
        orders = orders_create(varied_specs, user=sales_user)
        # The lines are in the prefetch cache, as the database has them.
        with django_assert_num_queries(0):
            cached = [[{name: getattr(row, name) for name in _line_fields() if name != "breakdown"}
                       for row in order.lines.all()] for order in orders]
        stored = [[{name: getattr(row, name) for name in _line_fields() if name != "breakdown"}
                   for row in SalesOrderLine.objects.filter(order=order).order_by("position")] for order in orders]
        assert cached == stored
        return _ids(orders)

    expected = in_savepoint(one_by_one, orders_state)
    batch = in_savepoint(together, orders_state)
    assert batch == expected

    # Not a comparison of two empty answers: the options and the pricing show.
    header = [state["order"] for state in batch]
    assert [h["ordering_node_id"] for h in header] == [s.pk for s in stores[:4]]
    assert [h["delivery_node_id"] for h in header] == [shop["platform"].pk] * 3 + [stores[3].pk]
    assert [h["invoicing_node_id"] for h in header] == [s.pk for s in stores[:3]] + [shop["group"].pk]
    assert [h["salesperson_id"] for h in header] == [shop["chain"].salesperson_id] * 4
    assert shop["chain"].salesperson_id is not None
    assert [h["origin"] for h in header] == ["back_office", "edi", "back_office", "api"]
    assert [h["created_by_id"] for h in header] == [sales_user.pk] * 4
    assert [h["state"] for h in header] == ["draft"] * 4
    assert not any(state["numbered"] or state["confirmed_at_set"] for state in batch)
    # 10 % off: yogurt 0.45 × 24 + sugar 1.08 × 7 + machine 108.00; sugar 1.08 × 13 + yogurt 0.45 × 24;
    # sugar 1.08 × 20 (+ 2 free) + yogurt 0.45 × 12; machine 108.00 × 3
    assert [h["total_amount"] for h in header] == [D("126.36"), D("24.84"), D("27.00"), D("324.00")]
    assert [line["net_unit_price"] for line in batch[0]["lines"]] == [D("5.4000"), D("1.0800"), D("108.0000")]
    assert batch[2]["lines"][0]["free_base_quantity"] == D("2.000")
    assert [line["caller_price_flagged"] for line in batch[1]["lines"]] == [True, False, False]
    assert [line["customer_line_reference"] for line in batch[1]["lines"]] == ["10", "20", ""]
    assert all(line["breakdown"] and not line["breakdown"].get("unpriced")
               for state in batch for line in state["lines"])
    assert [[event[:4] for event in state["events"]] for state in batch] == [
        [("transition", "", "draft", _("Created (%(origin)s).") % {"origin": label})]
        for label in (_("Back-office"), _("EDI"), _("Back-office"), _("API"))]


def test_creating_more_orders_takes_no_more_queries(shop, stores, promotions, line, tomorrow):  # noqa: ANN001
    from trade.sales.services import OrderSpec, orders_create

    yogurt, machine, plain = shop["yogurt"], shop["machine"], shop["plain"]

    def specs(count: int) -> list:
        return [OrderSpec(ordering_node=stores[index % len(stores)], requested_date=tomorrow,
                          customer_reference=f"PO-{index}",
                          lines=[line(yogurt, 1 + index, "case"), line(plain, 5 + index), line(machine, 1)])
                for index in range(count)]

    def queries(count: int) -> int:
        def create() -> tuple[list, int]:
            with CaptureQueriesContext(connection) as captured:
                orders = orders_create(specs(count))
            return orders, len(captured)

        lines, number = in_savepoint(create, lambda answer: (
            [order.lines.filter(position__gt=0).count() for order in answer[0]], answer[1]))
        assert lines == [3] * count
        return number

    queries(2)  # warm-up: per-process caches (pricing settings, content types)
    assert queries(2) == queries(8)


def test_a_batch_with_refused_orders_names_them_and_writes_nothing(shop, stores, line, tomorrow):  # noqa: ANN001
    from comptoir.exceptions import ValidationFailed
    from trade.sales.models import SalesEvent, SalesOrder, SalesOrderLine
    from trade.sales.services import OrderSpec, OrdersRefused, order_create, orders_create
    from trade.services import article_save, customer_node_save

    yogurt, machine, plain = shop["yogurt"], shop["machine"], shop["plain"]
    machine.status = "blocked"
    article_save(machine)
    stores[3].is_blocked = True
    customer_node_save(stores[3])
    specs = [
        OrderSpec(ordering_node=stores[0], requested_date=tomorrow, lines=[line(plain, 5)]),
        OrderSpec(ordering_node=stores[1], requested_date=tomorrow, lines=[line(plain, 2), line(yogurt, 0)]),
        OrderSpec(ordering_node=stores[2], requested_date=tomorrow, lines=[line(yogurt, 1, "case")]),
        OrderSpec(ordering_node=stores[3], requested_date=tomorrow, lines=[line(plain, 1)]),
        OrderSpec(ordering_node=stores[4], requested_date=tomorrow, lines=[line(machine, 1), line(plain, 1)]),
    ]
    counts = (SalesOrder.objects.count(), SalesOrderLine.objects.count(), SalesEvent.objects.count())

    with pytest.raises(OrdersRefused) as refused:
        orders_create(specs)

    refusals = refused.value.refusals
    assert sorted(refusals) == [1, 3, 4]
    assert all(isinstance(error, ValidationFailed) for error in refusals.values())
    zero = _line_error("%(line)s: the quantity must be more than zero.", 2, "YAOURT")
    blocked_article = _line_error("%(line)s: the article is blocked.", 1, "MACHINE")
    assert refusals[1].errors == {"lines": [zero]}
    assert refusals[3].errors == {"customer": [_blocked_text(stores[3])]}
    assert refusals[4].errors == {"lines": [blocked_article]}
    assert refused.value.code == "orders_refused"
    assert refused.value.message == (f"#1: lines: {zero}; #3: customer: {_blocked_text(stores[3])}; "
                                     f"#4: lines: {blocked_article}")
    assert (SalesOrder.objects.count(), SalesOrderLine.objects.count(), SalesEvent.objects.count()) == counts

    # A batch of one raises its refusal as it is.
    with pytest.raises(ValidationFailed) as alone:
        order_create(**spec_kwargs(specs[3]))
    assert not isinstance(alone.value, OrdersRefused)
    assert alone.value.errors == refusals[3].errors

    # The others pass: the caller can send them again without the refused ones.
    created = orders_create([specs[0], specs[2]])
    assert [order.ordering_node_id for order in created] == [stores[0].pk, stores[2].pk]
    assert SalesOrderLine.objects.filter(order__in=created).count() == 2


# ------------------------------------------------------------------ confirm


@pytest.fixture
def short_stock(shop, receive, today):  # noqa: ANN001, ANN201
    """24 yogurts of an early lot (bin B-01), 12 of a late one (A-01), three machines,
    plenty of sugar."""
    receive(shop["yogurt"], 24, lot="L-EARLY", expiry=dlc(today, 20), location="B-01")
    receive(shop["yogurt"], 12, lot="L-LATE", expiry=dlc(today, 40), location="A-01")
    receive(shop["machine"], 3, serials=["SN-1", "SN-2", "SN-3"], location="A-02")
    receive(shop["plain"], 100)


@pytest.fixture
def drafts(shop, stores, short_stock, line, tomorrow, sales_user):  # noqa: ANN001, ANN201
    """Three drafts competing for short yogurt and machines: A (store 0, backorder),
    B (store 2, backorder), C (store 1, cuts)."""
    from trade.sales.services import order_create

    yogurt, machine, plain = shop["yogurt"], shop["machine"], shop["plain"]
    return [
        order_create(ordering_node=stores[0], requested_date=tomorrow, user=sales_user,
                     lines=[line(yogurt, 2, "case"), line(machine, 2), line(plain, 10)]),
        order_create(ordering_node=stores[2], requested_date=tomorrow, user=sales_user,
                     lines=[line(yogurt, 2, "case")]),
        order_create(ordering_node=stores[1], requested_date=tomorrow, user=sales_user,
                     lines=[line(yogurt, 1, "case"), line(machine, 2)]),
    ]


@pytest.fixture
def received_signals():  # noqa: ANN201
    from trade.sales.models import SalesOrder
    from trade.sales.signals import orders_confirmed

    calls: list[dict] = []

    def receiver(sender, **kwargs) -> None:  # noqa: ANN001, ANN003
        calls.append({"sender": sender, **kwargs})

    orders_confirmed.connect(receiver, sender=SalesOrder, dispatch_uid="test-orders-batch")
    yield calls
    orders_confirmed.disconnect(dispatch_uid="test-orders-batch", sender=SalesOrder)


def test_orders_confirmed_together_reserve_in_batch_order_as_one_by_one(shop, drafts, sales_user, today,
                                                                      received_signals):  # noqa: ANN001
    from trade.sales.models import SalesOrder, SalesOrderLine
    from trade.sales.services import order_confirm, orders_confirm

    ids = _ids(drafts)

    def observe(_results: object) -> tuple:
        return orders_state(ids), balances_state()

    expected = in_savepoint(lambda: [order_confirm(order, user=sales_user) for order in drafts], observe)
    assert len(received_signals) == 3  # one by one: one signal each
    received_signals.clear()

    results = orders_confirm(drafts, user=sales_user)

    assert observe(results) == expected
    # The signal: once, with every result.
    assert len(received_signals) == 1
    assert received_signals[0]["sender"] is SalesOrder
    assert received_signals[0]["results"] == results
    assert [result.order.pk for result in results] == ids

    orders = [SalesOrder.objects.get(pk=pk) for pk in ids]
    assert [order.state for order in orders] == ["confirmed"] * 3
    assert all(order.confirmed_at is not None for order in orders)
    assert [order.backorder_policy for order in orders] == ["backorder", "backorder", "cut"]
    numbers = [NUMBER.match(order.number) for order in orders]
    assert all(numbers) and {int(n.group(1)) for n in numbers} == {today.year}
    sequence = [int(n.group(2)) for n in numbers]
    assert sequence == sorted(sequence) and len(set(sequence)) == 3
    assert [result.order.number for result in results] == [order.number for order in orders]

    # FEFO in batch order: A takes the early lot and two machines, B what is left of
    # the late lot, C nothing of the yogurt and the last machine.
    state = orders_state(ids)
    assert [[(r[0], r[1], r[3], r[4], r[5]) for r in one["reservations"]] for one in state] == [
        [(1, "YAOURT", "L-EARLY", None, D(24)), (2, "MACHINE", None, "SN-1", D(1)),
         (2, "MACHINE", None, "SN-2", D(1)), (3, "SUCRE", None, None, D(10))],
        [(1, "YAOURT", "L-LATE", None, D(12))],
        [(2, "MACHINE", None, "SN-3", D(1))],
    ]
    assert [{r[7] for r in one["reservations"]} for one in state] == [{order.ordering_node_id} for order in orders]
    assert {r[8] for one in state for r in one["reservations"]} == {sales_user.pk}
    assert _reserved(shop["yogurt"]) == 36 and _reserved(shop["machine"]) == 3

    # Short lines: B's kept as backorder, C's cut.
    no_stock = f"12 {_('no stock')}"
    assert [[(line.position, short, reason) for line, short, reason in result.short_lines] for result in results] == [
        [], [(1, D(12), no_stock)], [(1, D(12), no_stock), (2, D(1), f"1 {_('no stock')}")]]
    cut = {(line.order_id, line.position): line.cut_quantity for line in SalesOrderLine.objects.filter(order__in=ids)}
    assert cut == {(ids[0], 1): 0, (ids[0], 2): 0, (ids[0], 3): 0, (ids[1], 1): 0, (ids[2], 1): 12, (ids[2], 2): 1}
    backorder = _("%(line)s: %(short)s short, kept as backorder.")
    cut_text = _("%(line)s: %(short)s short, cut.")
    label = _("Line %(position)s (%(article)s)")
    created = ("transition", "", "draft", _("Created (%(origin)s).") % {"origin": _("Back-office")})
    confirmed = ("transition", "draft", "confirmed", "")
    assert [[event[:4] for event in one["events"]] for one in state] == [
        [created, confirmed],
        [created, confirmed,
         ("stock", "", "", backorder % {"line": label % {"position": 1, "article": "YAOURT"}, "short": D("12.000")})],
        [created, confirmed,
         ("stock", "", "", cut_text % {"line": label % {"position": 1, "article": "YAOURT"}, "short": D("12.000")}),
         ("stock", "", "", cut_text % {"line": label % {"position": 2, "article": "MACHINE"}, "short": D("1.000")})],
    ]
    assert [event[4]["cut"] for one in state for event in one["events"] if event[0] == "stock"] == [False, True, True]


def test_batch_order_decides_who_is_served_first(shop, drafts, sales_user):  # noqa: ANN001
    from trade.sales.services import orders_confirm

    a, b, c = drafts
    results = orders_confirm([c, b, a], user=sales_user)
    # C first now: half of the early lot and two machines; B the rest of the early lot
    # and the late lot; A no yogurt and the last machine.
    state = orders_state([c.pk, b.pk, a.pk])
    assert [[(r[0], r[3], r[4], r[5]) for r in one["reservations"]] for one in state] == [
        [(1, "L-EARLY", None, D(12)), (2, None, "SN-1", D(1)), (2, None, "SN-2", D(1))],
        [(1, "L-EARLY", None, D(12)), (1, "L-LATE", None, D(12))],
        [(2, None, "SN-3", D(1)), (3, None, None, D(10))],
    ]
    assert [[(line.position, short) for line, short, _reason in result.short_lines] for result in results] == [
        [], [], [(1, D(24)), (2, D(1))]]
    # C, served first, is short of nothing; A keeps its shortfalls as backorder: nothing cut.
    assert [[line.cut_quantity for line in one.lines.order_by("position")] for one in (c, b, a)] == [
        [0, 0], [0], [0, 0, 0]]


def test_credit_limit_counts_the_orders_before_in_the_batch(shop, stores, short_stock, line, tomorrow,
                                                          received_signals):  # noqa: ANN001
    from comptoir.exceptions import ValidationFailed
    from logistics.models import Reservation
    from trade.sales.models import SalesEvent, SalesOrder
    from trade.sales.services import OrdersRefused, order_confirm, order_create, orders_confirm
    from trade.services import customer_node_save

    group, machine, plain = shop["group"], shop["machine"], shop["plain"]
    group.invoicing_node = group  # every store is invoiced to the group…
    group.credit_limit = D("300.00")  # …whose limit all their orders share
    customer_node_save(group)
    order_confirm(order_create(ordering_node=stores[0], requested_date=tomorrow, lines=[line(plain, 50)]))  # 60.00
    received_signals.clear()
    a = order_create(ordering_node=stores[1], requested_date=tomorrow, lines=[line(machine, 1)])  # 120.00 → 180
    b = order_create(ordering_node=stores[2], requested_date=tomorrow, lines=[line(machine, 2)])  # 240.00 → 420
    c = order_create(ordering_node=stores[3], requested_date=tomorrow, lines=[line(machine, 1)])  # 120.00 → 300
    assert {order.invoicing_node_id for order in (a, b, c)} == {group.pk}
    events, reservations = SalesEvent.objects.count(), Reservation.objects.count()

    with pytest.raises(OrdersRefused) as refused:
        orders_confirm([a, b, c])

    # B is refused with A counted; C, counted without B, reaches the limit exactly.
    assert sorted(refused.value.refusals) == [1]
    error = refused.value.refusals[1]
    assert isinstance(error, ValidationFailed)
    assert error.errors == {"credit_limit": [
        _("Credit limit exceeded for %(node)s: %(exposure)s already on order + %(total)s for this order "
          "> limit %(limit)s.") % {"node": group, "exposure": "180.00", "total": "240.00", "limit": "300.00"}]}
    for order in (a, b, c):
        order.refresh_from_db()
        assert (order.state, order.number, order.confirmed_at, order.backorder_policy) == ("draft", "", None, "")
    assert (SalesEvent.objects.count(), Reservation.objects.count()) == (events, reservations)
    assert received_signals == []

    results = orders_confirm([a, c])
    assert [result.order.state for result in results] == ["confirmed", "confirmed"]
    assert SalesOrder.objects.filter(invoicing_node=group, state="confirmed").aggregate(
        total=Sum("total_amount"))["total"] == D("300.00")
    with pytest.raises(ValidationFailed) as over:  # alone, B is refused too
        order_confirm(b)
    assert "credit_limit" in over.value.errors


def test_confirming_just_created_orders_takes_their_lines_as_priced(shop, stores, promotions, varied_specs,
                                                                   short_stock, sales_user,
                                                                   received_signals):  # noqa: ANN001
    from trade.sales.services import orders_confirm, orders_create

    orders = orders_create(varied_specs, user=sales_user)
    ids = _ids(orders)

    def observe(results: list) -> tuple:
        return ([(len(r.price_changes), [(line.position, short) for line, short, _reason in r.short_lines])
                 for r in results], orders_state(ids), balances_state())

    repriced = in_savepoint(lambda: orders_confirm(orders, user=sales_user), observe)
    with CaptureQueriesContext(connection) as captured:
        confirmed = orders_confirm(orders, user=sales_user, just_created=True)
    as_created = observe(confirmed)

    assert as_created == repriced
    answers, state, _balances = as_created
    assert [changes for changes, _short in answers] == [0, 0, 0, 0]
    assert [event[0] for one in state for event in one["events"]].count("price") == 0
    assert [one["order"]["total_amount"] for one in state] == [D("126.36"), D("24.84"), D("27.00"), D("324.00")]
    assert [one["order"]["state"] for one in state] == ["confirmed"] * 4
    # Neither the lines nor any price were read again.
    sql = " ".join(query["sql"] for query in captured.captured_queries)
    assert '"sales_salesorderline"."breakdown"' not in sql
    assert "pricing_" not in sql
    assert [len(call["results"]) for call in received_signals] == [4, 4]


def test_confirming_more_orders_takes_no_more_queries(shop, stores, short_stock, line, tomorrow):  # noqa: ANN001
    from trade.sales.services import OrderSpec, orders_confirm, orders_create

    plain, yogurt = shop["plain"], shop["yogurt"]
    orders = orders_create([
        OrderSpec(ordering_node=stores[index % len(stores)], requested_date=tomorrow,
                  lines=[line(plain, 1 + index), line(yogurt, 1)])
        for index in range(8)])

    def queries(batch: list) -> int:
        def confirm() -> tuple[list, int]:
            with CaptureQueriesContext(connection) as captured:
                results = orders_confirm(batch)
            return results, len(captured)

        results, number = in_savepoint(confirm, lambda answer: answer)
        assert [result.order.state for result in results] == ["confirmed"] * len(batch)
        assert all(not result.short_lines for result in results)
        return number

    queries(orders[:2])  # warm-up
    assert queries(orders[:2]) == queries(orders)


# ------------------------------------------------------------------ property

_ARTICLES = [("yogurt", ""), ("yogurt", "case"), ("machine", ""), ("plain", "")]
batches = st.lists(
    st.tuples(st.integers(0, 3),
              st.lists(st.tuples(st.sampled_from(_ARTICLES), st.integers(1, 30)), min_size=1, max_size=3)),
    min_size=1, max_size=4,
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=batches)
def test_any_batch_created_and_confirmed_together_equals_one_by_one(shop, stores, promotions, short_stock, line,
                                                                    tomorrow, batch):  # noqa: ANN001
    from trade.sales.services import (
        OrderSpec,
        order_confirm,
        order_create,
        orders_confirm,
        orders_create,
    )

    specs = [
        OrderSpec(ordering_node=stores[store], requested_date=tomorrow, lines=[
            line(shop[key], quantity if key != "machine" else 1 + quantity % 3, level)
            for (key, level), quantity in lines])
        for store, lines in batch
    ]

    def summary(results: list) -> list[tuple]:
        from logistics.models import Reservation

        out = []
        for result in results:
            order = result.order
            order.refresh_from_db()
            lines = list(order.lines.order_by("position"))
            held = {line.pk: D(0) for line in lines}
            for reservation in Reservation.objects.filter(document_type="sales.order", document_id=str(order.pk),
                                                          status="active"):
                held[int(reservation.document_line)] += reservation.quantity
            out.append((order.state, order.total_amount, len(lines),
                        [(line.net_unit_price, line.line_amount, line.cut_quantity, held[line.pk]) for line in lines],
                        [(line.position, short) for line, short, _reason in result.short_lines]))
        return out

    def together() -> list:
        return orders_confirm(orders_create(specs), just_created=True)

    def one_by_one() -> list:
        return [order_confirm(order_create(**spec_kwargs(spec))) for spec in specs]

    assert in_savepoint(together, summary) == in_savepoint(one_by_one, summary)
