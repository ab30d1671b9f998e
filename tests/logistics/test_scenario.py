"""The stock scenario of issue 4, end to end on PostgreSQL: receive three lots, reserve
FEFO for a customer with a 60 % remaining-life rule, assemble kits, count with a
variance, trace a lot to its customers, recall it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from logistics.models import AssemblyKind, AssemblyOrder, InventoryCount, Lot, StockBalance
from logistics.selectors import balance_ledger_sum, lot_trace, recall_customers_csv, stock_valuation
from logistics.services.documents import assembly_post, count_approve, count_open, count_submit
from logistics.services.recall import recall_open
from logistics.services.reservations import ReserveLine, reservations_ship, stock_reserve
from tests import factories
from trade.services import customer_node_save, kit_components_set

pytestmark = pytest.mark.django_db
D = Decimal


def test_receive_reserve_assemble_count_trace_recall(receive, warehouse, bins, hierarchy):
    today = date.today()
    supplier = factories.SupplierFactory(code="LAIT")
    cheese = factories.ArticleFactory(code="FROMAGE", tracking_mode="lot_dlc", shelf_life_days=50)
    chain = hierarchy["chain"]
    chain.min_shelf_life_value, chain.min_shelf_life_unit = 60, "percent"  # 30 days of the 50
    customer_node_save(chain)
    store = hierarchy["store"]

    # Three lots: 20, 35 and 45 days of life left.
    receive(cheese, "10", lot="F1", expiry=today + timedelta(days=20), supplier=supplier, cost="2.0000", on=today)
    receive(cheese, "10", lot="F2", expiry=today + timedelta(days=35), supplier=supplier, cost="2.2000", on=today,
            location="A-02")
    receive(cheese, "10", lot="F3", expiry=today + timedelta(days=45), supplier=supplier, cost="2.4000", on=today,
            location="B-01")

    # FEFO for the store: F1 is too short-dated for its 60 % rule, F2 then F3.
    plan = stock_reserve(document_type="order", document_id="S1", warehouse=warehouse, delivery_date=today,
                         customer_node=store, lines=[ReserveLine("1", cheese, D("12"))]).plans[0]
    assert [(p.lot_number, p.quantity) for p in plan.picks] == [("F2", D("10")), ("F3", D("2"))]
    reservations_ship(document_type="order", document_id="S1", customer_node=store)

    # Kits assembled in advance take the remaining short-dated lot F1 (no customer rule inside).
    box = factories.ArticleFactory(code="PLATEAU", kit_kind="assembled", tracking_mode="lot_dlc", shelf_life_days=20)
    kit_components_set(kit=box, components=[(cheese, D("2"))])
    order = assembly_post(AssemblyOrder.objects.create(kit=box, quantity=D("4"), location=bins["A-01"]))
    assert order.kit_lot.expiry_date == today + timedelta(days=20)
    platform = hierarchy["platform"]
    stock_reserve(document_type="order", document_id="S2", warehouse=warehouse, delivery_date=today,
                  customer_node=platform, lines=[ReserveLine("1", box, D("3"))])
    reservations_ship(document_type="order", document_id="S2", customer_node=platform)

    # Count: one unit of F3 missing.
    count = count_open(InventoryCount(warehouse=warehouse, kind="cycle", location_prefix="B-"))
    line = count.lines.get(lot__number="F3")
    line.counted = line.expected - 1
    line.save()
    count_approve(count_submit(count))
    f3 = StockBalance.objects.get(lot__number="F3")
    assert f3.on_hand == D("7") and balance_ledger_sum(f3) == f3.on_hand

    # Trace F1 (through the kits) and F2 (direct), then recall the supplier's lots.
    f1, f2 = Lot.objects.get(number="F1"), Lot.objects.get(number="F2")
    assert [(r.customer, r.quantity, r.via_lot) for r in lot_trace(f1).downstream] == [
        (platform, D("3.000"), order.kit_lot)]
    assert [(r.customer, r.quantity) for r in lot_trace(f2).downstream] == [(store, D("10.000"))]
    recall = recall_open(reference="RAPPEL-42", reason="Listeria monocytogenes", supplier_id=supplier.pk,
                         received_from=today - timedelta(days=1))
    assert {lot.number for lot in recall.lots.all()} == {"F1", "F2", "F3"}
    traces = [lot_trace(lot) for lot in recall.lots.order_by("number")]
    rows = recall_customers_csv(traces).splitlines()[1:]
    assert [row.split(";")[:4] for row in rows] == [
        ["F1", "FROMAGE", order.kit_lot.number, "PF"], ["F2", "FROMAGE", "", "MAG"], ["F3", "FROMAGE", "", "MAG"]]
    # recalled lots are never reserved again
    again = stock_reserve(document_type="order", document_id="S3", warehouse=warehouse, delivery_date=today,
                          lines=[ReserveLine("1", cheese, D("1"))]).plans[0]
    assert again.quantity_allocated == 0 and {d.reason.value for d in again.shortfall} == {"recalled"}
    # valuation stays consistent with the ledger: 30 received − 12 shipped − 8 in kits − 1 counted
    value = {row.article.code: row for row in stock_valuation(on_date=today)}
    assert value["FROMAGE"].quantity == D("9.000")
    assert value["PLATEAU"].quantity == D("1.000")


def test_an_assembled_kit_can_be_taken_apart(receive, warehouse, bins):
    part = factories.ArticleFactory(code="PIECE")
    kit = factories.ArticleFactory(code="ENSEMBLE", kit_kind="assembled")
    kit_components_set(kit=kit, components=[(part, D("3"))])
    receive(part, "9")
    assembly_post(AssemblyOrder.objects.create(kit=kit, quantity=D("3"), location=bins["A-01"]))
    assembly_post(AssemblyOrder.objects.create(kit=kit, quantity=D("1"), location=bins["A-01"],
                                               kind=AssemblyKind.DISASSEMBLY))
    on_hand = {b.article.code: b.on_hand for b in StockBalance.objects.select_related("article")}
    assert on_hand == {"PIECE": D("3.000"), "ENSEMBLE": D("2.000")}


def test_an_assembled_kit_enters_stock_at_the_cost_of_its_components(receive, bins):
    from logistics.models import ArticleCost

    jam, honey = factories.ArticleFactory(code="CONF"), factories.ArticleFactory(code="MIEL")
    kit = factories.ArticleFactory(code="DUO", kit_kind="assembled")
    kit_components_set(kit=kit, components=[(jam, D("2")), (honey, D("1"))])
    receive(jam, "10", cost="1.5000")
    receive(honey, "10", cost="4.0000")
    assembly_post(AssemblyOrder.objects.create(kit=kit, quantity=D("2"), location=bins["A-01"]))
    assert ArticleCost.objects.get(article=kit).unit_cost == D("7.0000")


def test_the_demo_seed_gives_real_stock_with_traces():
    from django.core.management import call_command

    from logistics.models import StockMove, Warehouse
    from logistics.selectors import stock_anomalies

    call_command("seed_demo", force=True, stdout=__import__("io").StringIO())
    assert Warehouse.objects.filter(code="ENT-LYON").exists()
    shipped = StockMove.objects.filter(reason="shipment", lot__isnull=False).select_related("lot").first()
    assert shipped is not None and lot_trace(shipped.lot).customer_count >= 1
    assert StockMove.objects.filter(reason="kit_assembly").exists()
    kinds = {a.kind for a in stock_anomalies(on_date=date.today())}
    assert "expired_dlc" in kinds and "ledger_mismatch" not in kinds
