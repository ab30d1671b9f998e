"""EDI gateway benchmark on PostgreSQL (issue 6): 1,000 ORDERS × 20 lines.

Data, built in a few seconds through the services: our company (its GLN is our id in
UNB), a chain (price list, full cases only, minimum remaining shelf life 66 %, short
lines cut) → buying group (the partner's GLN, NAD+BY and IV) → platform → 100 stores
with GLNs; 200 articles in 4 families, all with dated lots (DLC or DDM), each with a
consumer-unit GTIN-13 and a case GTIN-14, priced per base unit on the chain's price
list; contracts: the chain's L1 on everything and L3 per family, the buying group's
net prices on 10 articles, the platform's L5, L4 promotions of 20 stores on 5
articles each. Stock: one warehouse, 4 lots per article a few days apart at 4
locations, 1.5 × what the interchange asks for, through a real receipt. The trading
partner (directory transport to a temporary inbox/outbox) wants a CONTRL for every
interchange and an ORDRSP on confirmation.

The interchange: one UNOC:3 interchange (UNA, one segment per line) from the partner
to us, written by our ORDERS builder: per message BGM 220 with its own number, DTM
137 and 2, NAD BY/SU/DP/IV, CUX, then 20 lines of 20 distinct articles (LIN with the
case GTIN-14, QTY 21 in cases, PRI AAA the net price the buyer expects — our price
for a store without promotion, so the promoted stores' lines are flagged), UNS, CNT,
UNT; UNZ.

1. **Parse only** (no database): ``parse_interchanges(bytes)`` (split, decoding,
   tokenizer, envelope checks) beside pydifact's ``Parser().parse`` of the same text
   (``tokenize_with_pydifact``), CPU time of this process, median of several runs;
   the two tokenizers are checked to give the same segments. Target ≥ 6 × pydifact.
2. **End to end**: ``interchange_receive(payload, transport="directory", …)`` outside
   any transaction: the raw row commits, processing runs after commit (Celery forced
   eager, so exactly once, in this process): envelope, duplicates, 1,000 message rows,
   the ORDERS batch handler per run of up to 250 messages (GLN → nodes, GTIN →
   packagings, orders created, priced and confirmed with FEFO reservations, all of the
   run together, the ORDRSPs built and queued in one interchange per run), each run's
   interchange transmitted after it commits, the CONTRL at the end; every outbound interchange is written to the
   outbox directory. Checked: 1,000 confirmed, reserved orders, 1,000 ORDRSP and
   one accepting CONTRL sent. Prints the wall time, lines/s, queries, and a breakdown
   by step (timers wrapped around the gateway's functions, in this process only).
   Target ≤ 20 s (≥ 1,000 lines/s).

``--profile`` runs the end-to-end step under cProfile (its time is then inflated) and
prints the top functions; ``--messages N`` makes a smaller interchange for
development (the default, and the figure of the issue, is 1,000).

Needs BENCH_DATABASE_URL (``make bench`` sets it); runs in a ``test_<name>`` database
that Django creates and drops. Ends with one JSON line:
``{"parse_mb_s": …, "pydifact_mb_s": …, "ingest_1000x20_s": …}``.

Run: BENCH_DATABASE_URL=postgres://… .venv/bin/python bench/edi.py [--profile] [--messages N]
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import io
import json
import logging
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MESSAGES = 1_000
LINES = 20
STORES = 100
ARTICLES = 200
FAMILIES = 4
LOTS_PER_ARTICLE = 4
STOCK_HEADROOM = Decimal("1.5")
PARSE_RUNS = 5
PYDIFACT_RUNS = 3
TARGET_RATIO = 6
TARGET_SECONDS = 20

OUR_GLN_BODY = "301234500000"
CHAIN_GLN_BODY = "302000"  # + 6 digits: the chain's nodes


def _gln(body: str) -> str:
    from comptoir.identifiers import gs1_with_check_digit

    return gs1_with_check_digit(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=MESSAGES, help="ORDERS messages (default 1,000)")
    parser.add_argument("--profile", action="store_true", help="cProfile the end-to-end run")
    arguments = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", "").strip()
    if not url.startswith("postgres"):
        print("bench/edi.py needs BENCH_DATABASE_URL=postgres://… (make bench sets it).")
        return 2
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "comptoir.settings.dev"
    import django

    django.setup()
    from django.conf import settings as django_settings
    from django.db import connection, connections

    from comptoir.celery import app

    # Processing and transmissions run in this process, once each, whatever broker
    # the environment names.
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    django_settings.DEBUG = False  # as in production: no query log kept in memory
    # Celery's eager tracer logs every task at INFO (2,000 lines here), pydifact every
    # parse: keep the output readable.
    for name in ("celery", "kombu", "pydifact"):
        logging.getLogger(name).setLevel(logging.ERROR)

    begun = time.perf_counter()
    original = connection.settings_dict["NAME"]
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=False)
    print(f"Database: {connection.vendor} {database} (fresh, migrated in {time.perf_counter() - begun:.1f} s)")
    try:
        with tempfile.TemporaryDirectory(prefix="comptoir-bench-edi-") as scratch:
            return _run(messages=arguments.messages, profile=arguments.profile, scratch=Path(scratch))
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)
        connections.close_all()
        print(f"Total run time of the script: {time.perf_counter() - begun:.1f} s")


# --------------------------------------------------------------------------- data


@dataclass
class BenchArticle:
    article: Any
    case_gtin: str
    case_quantity: Decimal
    expected_case_price: Decimal = Decimal(0)


@dataclass
class BenchData:
    partner: Any
    group: Any
    stores: list[Any]
    articles: list[BenchArticle]
    our_gln: str
    outbox: Path
    contract_conditions: int


def _plan(messages: int) -> list[tuple[int, list[tuple[int, int]]]]:
    """Per message: its store index and its lines as (article index, cases); 20
    distinct articles a message, moving through the catalogue."""
    plan = []
    for number in range(messages):
        start = (number * 37) % ARTICLES
        lines = [((start + 3 * position) % ARTICLES, 1 + (number + position) % 4) for position in range(LINES)]
        plan.append((number % STORES, lines))
    return plan


def _seed(plan: list[tuple[int, list[tuple[int, int]]]], scratch: Path) -> BenchData:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from edi.eancom.envelope import DESADV_D96A, ORDERS_D96A, ORDRSP_D96A
    from edi.models import Direction, MessageType, TradingPartner, TransportKind
    from edi.services import MessageTypeAgreement, trading_partner_save
    from logistics.models import Location, Receipt, ReceiptLine, Warehouse
    from logistics.services.documents import receipt_post
    from pricing.models import Condition, Contract, PriceListItem
    from pricing.selectors import BasketLine, price_basket
    from pricing.services import condition_save, contract_activate, contract_save
    from tests import factories
    from trade.models import (
        BackorderPolicy,
        Company,
        DeliveryMode,
        NodeKind,
        Packaging,
        PackagingLevel,
        ShelfLifeUnit,
        TrackingMode,
    )
    from trade.services import customer_node_save

    today = timezone.localdate()
    started = time.perf_counter()
    our_gln = _gln(OUR_GLN_BODY)
    Company.objects.create(
        legal_name="Comptoir Bench SAS", legal_form="SAS", share_capital=Decimal("100000.00"), rcs_city="Lyon",
        line1="1 rue du Bench", postal_code="69007", city="Lyon", gln=our_gln,
    )
    price_list = factories.PriceListFactory(code="TARIF-BENCH", name="Tarif bench")
    chain = factories.CustomerNodeFactory(
        kind=NodeKind.CHAIN, code="ENS-BENCH", name="Enseigne Bench", gln=_gln(f"{CHAIN_GLN_BODY}000001"),
        price_list=price_list, delivery_mode=DeliveryMode.VIA_PLATFORM, full_cases_only=True,
        min_shelf_life_value=66, min_shelf_life_unit=ShelfLifeUnit.PERCENT, backorder_policy=BackorderPolicy.CUT,
    )
    terms = factories.PaymentTermsFactory(code="45FDM", label="45 jours fin de mois", days=45, end_of_month=True)
    group = factories.CustomerNodeFactory(
        kind=NodeKind.BUYING_GROUP, parent=chain, code="CEN-BENCH", name="Centrale Bench",
        gln=_gln(f"{CHAIN_GLN_BODY}000002"), payment_terms=terms,
    )
    platform = factories.CustomerNodeFactory(
        kind=NodeKind.PLATFORM, parent=group, code="PF-BENCH", name="Plateforme Bench",
        gln=_gln(f"{CHAIN_GLN_BODY}000003"),
    )
    stores = [
        factories.CustomerNodeFactory(
            kind=NodeKind.STORE, parent=platform, code=f"MAG-BENCH-{index:03d}", name=f"Magasin Bench {index:03d}",
            gln=_gln(f"{CHAIN_GLN_BODY}{100 + index:06d}"),
        )
        for index in range(STORES)
    ]
    group.invoicing_node = group
    customer_node_save(group)

    families = [factories.FamilyFactory(code=f"FAM-B{index}", name=f"Famille bench {index}") for index in range(FAMILIES)]
    brand = factories.BrandFactory(name="Marque bench")
    articles: list[BenchArticle] = []
    packagings = []
    items = []
    for index in range(ARTICLES):
        dlc = index % 3 != 2
        article = factories.ArticleFactory(
            code=f"ART-B{index:04d}", designation=f"Article bench {index:04d}", family=families[index % FAMILIES],
            brand=brand, tracking_mode=TrackingMode.LOT_DLC if dlc else TrackingMode.LOT_DDM,
            shelf_life_days=60 if dlc else 365,
        )
        unit_gtin = _gln(f"301234{index + 1:06d}")
        case_gtin = _gln(f"1{unit_gtin[:12]}")
        case_quantity = Decimal(6 if index % 2 else 12)
        packagings += [
            Packaging(article=article, level=PackagingLevel.CONSUMER_UNIT, quantity=Decimal(1), gtin=unit_gtin),
            Packaging(article=article, level=PackagingLevel.CASE, quantity=case_quantity, gtin=case_gtin),
        ]
        items.append(PriceListItem(price_list=price_list, article=article,
                                   unit_price=Decimal(f"{1 + index % 9}.{(index * 37) % 100:02d}00")))
        articles.append(BenchArticle(article, case_gtin, case_quantity))
    Packaging.objects.bulk_create(packagings)
    PriceListItem.objects.bulk_create(items)

    # Contracts down the lineage, activated through the services (conflict checks).
    owner = get_user_model().objects.create_user("bench-edi", password=None)
    valid_from = date(today.year - 1, 1, 1)
    contracts = []
    chain_contract = contract_save(Contract(code="CTR-ENS-BENCH", name="Accord cadre", node=chain, valid_from=valid_from))
    condition_save(Condition(contract=chain_contract, kind="discount", level=1, rate=Decimal("3")))
    for index, family in enumerate(families):
        condition_save(Condition(contract=chain_contract, kind="discount", level=3, scope_kind="family",
                                 family=family, rate=Decimal(4 + index)))
    contracts.append(chain_contract)
    group_contract = contract_save(Contract(code="CTR-CEN-BENCH", name="Prix nets centrale", node=group,
                                            valid_from=valid_from))
    for bench_article in articles[:10]:
        net = (bench_article.article.price_list_items.get().unit_price * Decimal("0.85")).quantize(Decimal("0.0001"))
        condition_save(Condition(contract=group_contract, kind="net_price", scope_kind="article",
                                 article=bench_article.article, net_price=net, net_price_mode="replace"))
    contracts.append(group_contract)
    platform_contract = contract_save(Contract(code="CTR-PF-BENCH", name="Remise logistique", node=platform,
                                               valid_from=valid_from))
    condition_save(Condition(contract=platform_contract, kind="discount", level=5, rate=Decimal("2")))
    contracts.append(platform_contract)
    for index, store in enumerate(stores[1:21]):
        promotion = contract_save(Contract(code=f"PROMO-{store.code}", name="Promotion magasin", node=store,
                                           valid_from=today - timedelta(days=10), valid_to=today + timedelta(days=30)))
        for offset in range(5):
            condition_save(Condition(contract=promotion, kind="discount", level=4, scope_kind="article",
                                     article=articles[(index * 11 + offset * 41) % ARTICLES].article,
                                     rate=Decimal(5 + offset)))
        contracts.append(promotion)
    for contract in contracts:
        contract_activate(contract, user=owner)
    conditions = Condition.objects.count()

    # The price the buyer expects: ours for a store without promotion, per case.
    reference = price_basket(
        node=stores[0],
        lines=[BasketLine(index, item.article.pk, Decimal(1), PackagingLevel.CASE) for index, item in enumerate(articles)],
        on_date=today,
    )
    for index, item in enumerate(articles):
        item.expected_case_price = reference.line(index).net_unit_price

    # Stock: 1.5 × the demand of the interchange, in 4 dated lots a few days apart.
    demand: dict[int, Decimal] = defaultdict(Decimal)
    for _store, lines in plan:
        for article_index, cases in lines:
            demand[article_index] += cases * articles[article_index].case_quantity
    warehouse = Warehouse.objects.create(code="BENCH", name="Entrepôt bench")
    locations = Location.objects.bulk_create(
        [Location(warehouse=warehouse, code=f"A-{index:03d}", picking_order=index) for index in range(40)])
    receipt = Receipt.objects.create(warehouse=warehouse, received_on=today)
    rows = []
    for index, item in enumerate(articles):
        wanted = demand.get(index, Decimal(0)) * STOCK_HEADROOM
        per_lot = max(item.case_quantity, (wanted / LOTS_PER_ARTICLE / item.case_quantity).to_integral_value(
            rounding="ROUND_CEILING") * item.case_quantity)
        for lot in range(LOTS_PER_ARTICLE):
            rows.append(ReceiptLine(
                receipt=receipt, article=item.article, location=locations[(index + 7 * lot) % len(locations)],
                quantity=per_lot, unit_cost=Decimal("1.0000"), lot_number=f"L{lot}",
                expiry_date=today + timedelta(days=item.article.shelf_life_days - 8 + 2 * lot)))
    ReceiptLine.objects.bulk_create(rows)
    receipt_post(receipt)

    inbox, outbox = scratch / "inbox", scratch / "outbox"
    inbox.mkdir()
    outbox.mkdir()
    partner = trading_partner_save(
        TradingPartner(
            code="BENCH", name="Centrale Bench (EDI)", customer_node=chain, gln=group.gln, our_id=our_gln,
            transport=TransportKind.DIRECTORY, inbox_path=str(inbox), outbox_path=str(outbox), send_contrl=True,
            ordrsp_policy="on_confirmation", price_tolerance_percent=Decimal("1.00"),
            unknown_gtin_policy="reject_message",
        ),
        message_types=[
            MessageTypeAgreement(Direction.INBOUND, MessageType.ORDERS,
                                 association_code=ORDERS_D96A.association_code),
            MessageTypeAgreement(Direction.INBOUND, MessageType.CONTRL),
            MessageTypeAgreement(Direction.OUTBOUND, MessageType.CONTRL),
            MessageTypeAgreement(Direction.OUTBOUND, MessageType.ORDRSP,
                                 association_code=ORDRSP_D96A.association_code),
            MessageTypeAgreement(Direction.OUTBOUND, MessageType.DESADV,
                                 association_code=DESADV_D96A.association_code),
        ],
    )
    print(f"Seeded in {time.perf_counter() - started:.1f} s: {chain.code} → {group.code} → {platform.code} → "
          f"{len(stores)} stores; {len(articles)} articles (case GTIN-14s), {conditions} contract conditions; "
          f"{len(rows):,} lots received; partner {partner.code} ({partner.transport}, CONTRL, ORDRSP on "
          f"confirmation)")
    return BenchData(partner, group, stores, articles, our_gln, outbox, conditions)


# --------------------------------------------------------------------------- interchange


def build_interchange(data: BenchData, plan: list[tuple[int, list[tuple[int, int]]]]) -> bytes:
    from django.utils import timezone

    from edi.eancom import encode_interchange
    from edi.eancom.envelope import (
        ORDERS_D96A,
        InterchangeHeader,
        OutboundMessage,
        PartyIdentification,
    )
    from edi.eancom.messages import OrderFunction, OrderLine, Orders, Party, Price, build_orders

    today = timezone.localdate()
    messages = []
    for number, (store_index, lines) in enumerate(plan):
        store = data.stores[store_index]
        order_lines = tuple(
            OrderLine(
                line_number=str(position),
                gtin=data.articles[article_index].case_gtin,
                quantity=Decimal(cases),
                net_price=Price(data.articles[article_index].expected_case_price),
            )
            for position, (article_index, cases) in enumerate(lines, start=1)
        )
        order = Orders(
            document_number=f"CDE-{number + 1:07d}",
            function=OrderFunction.ORIGINAL,
            order_date=today,
            requested_delivery=today + timedelta(days=3),
            parties=(
                Party("BY", data.group.gln),
                Party("SU", data.our_gln),
                Party("DP", store.gln),
                Party("IV", data.group.gln),
            ),
            currency="EUR",
            lines=order_lines,
        )
        messages.append(OutboundMessage(str(number + 1), ORDERS_D96A, build_orders(order)))
    header = InterchangeHeader(
        sender=PartyIdentification(data.partner.interchange_id, "14"),
        recipient=PartyIdentification(data.our_gln, "14"),
        control_reference="BENCH0001",
        prepared_at=datetime.combine(today, datetime.min.time()).replace(hour=6),
    )
    return encode_interchange(header, messages, line_breaks=True)


# --------------------------------------------------------------------------- parse only


def _median_cpu(runs: int, function: Callable[[], object]) -> tuple[float, object]:
    samples = []
    result: object = None
    for _ in range(runs):
        gc.collect()
        started = time.process_time()
        result = function()
        samples.append(time.process_time() - started)
    return statistics.median(samples), result


def parse_only(payload: bytes, messages: int) -> tuple[float, float]:
    from edi.eancom import parse_interchanges
    from edi.eancom.codec import tokenize_with_pydifact
    from edi.eancom.tokenizer import tokenize

    text = payload.decode("latin-1")
    megabytes = len(payload) / 1_000_000
    ours_seconds, result = _median_cpu(PARSE_RUNS, lambda: parse_interchanges(payload))
    assert result.accepted and len(result.interchanges[0].messages) == messages, "our codec refused the file"  # type: ignore[attr-defined]
    pydifact_seconds, their_segments = _median_cpu(PYDIFACT_RUNS, lambda: tokenize_with_pydifact(text))
    assert tokenize(text) == their_segments, "our tokenizer and pydifact disagree on the file"
    ours, theirs = megabytes / ours_seconds, megabytes / pydifact_seconds
    print(f"Parse only, {megabytes:.2f} MB, {len(their_segments):,} segments (CPU time, median of "  # type: ignore[arg-type]
          f"{PARSE_RUNS} / {PYDIFACT_RUNS} runs; the two tokenizers agree):")
    print(f"  ours  parse_interchanges (split, decode, tokenize, envelope checks) "
          f"{ours_seconds * 1000:8.1f} ms  {ours:7.2f} MB/s")
    print(f"  pydifact Parser().parse                                          "
          f"{pydifact_seconds * 1000:8.1f} ms  {theirs:7.2f} MB/s")
    print(f"  ratio {ours / theirs:.1f}x (target ≥ {TARGET_RATIO}x)")
    return ours, theirs


# --------------------------------------------------------------------------- end to end


class Breakdown:
    """Wall time and calls of a few gateway functions, wrapped in their modules for the
    run (this process only; nested timers overlap, as said in the table)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._undo: list[Callable[[], None]] = []

    def wrap(self, label: str, owner: Any, name: str) -> None:
        original = owner.get(name) if isinstance(owner, dict) else getattr(owner, name, None)
        if original is None:
            print(f"  (no {name} to time: the breakdown leaves out '{label}')")
            return

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started
                self.calls[label] += 1

        if isinstance(owner, dict):
            owner[name] = timed
            self._undo.append(lambda: owner.__setitem__(name, original))
        else:
            setattr(owner, name, timed)
            self._undo.append(lambda: setattr(owner, name, original))

    def restore(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()


BREAKDOWN = (
    # label, module, attribute — in the order they run
    ("processing task (edi.tasks)", "edi.tasks", "interchange_process"),
    ("  parse the payload", "edi.services.inbound", "parse_interchanges"),
    ("  open: envelope, duplicates, message rows", "edi.services.inbound", "_interchange_open"),
    ("  dispatch in batches (handler, ORDRSPs, commit)", "edi.services.inbound", "_message_batch_dispatch"),
    ("    ORDERS batch handler", "edi.services.handlers", "BATCH_HANDLERS:orders_handle"),
    ("      parse_orders (segments → document)", "edi.services.orders", "parse_orders"),
    ("      orders_create (check, price, save)", "edi.services.orders", "orders_create"),
    ("      orders_confirm (credit, number, reserve, ORDRSPs)", "edi.services.orders", "orders_confirm"),
    ("        ORDRSPs built and queued", "edi.services.answers", "ordrsps_send"),
    ("          ordrsp_build", "edi.services.answers", "ordrsp_build"),
    ("          messages_send (number, store, queue)", "edi.services.answers", "messages_send"),
    ("    transmission (directory outbox)", "edi.tasks", "interchange_transmit"),
    ("  close: state and CONTRL", "edi.services.inbound", "_interchange_close"),
)


def _wrap_all(breakdown: Breakdown) -> None:
    import importlib

    for label, module_name, attribute in BREAKDOWN:
        module = importlib.import_module(module_name)
        if ":" in attribute:  # a table of handlers, keyed by name or by the function of that name
            table_name, _sep, key = attribute.partition(":")
            table = getattr(module, table_name)
            breakdown.wrap(label, table, key if key in table else getattr(module, key))
        else:
            breakdown.wrap(label, module, attribute)


def end_to_end(data: BenchData, payload: bytes, messages: int, *, profile: bool) -> float:
    from django.db import connection
    from django.db.models import Count, Sum

    from edi.eancom import parse_interchanges
    from edi.eancom.messages import parse_contrl
    from edi.models import (
        Direction,
        EdiMessage,
        EventKind,
        Interchange,
        InterchangeState,
        MessageState,
    )
    from edi.services import interchange_receive
    from logistics.models import Reservation, ReservationStatus
    from trade.sales.models import OrderOrigin, OrderState, SalesOrder, SalesOrderLine

    executed = [0]

    def count_query(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        executed[0] += 1
        return execute(sql, params, many, context)

    breakdown = Breakdown()
    _wrap_all(breakdown)
    gc.collect()
    gc.freeze()  # long-lived objects (the seed, Django) out of the collector's way
    profiler = cProfile.Profile() if profile else None
    try:
        with connection.execute_wrapper(count_query):
            started, cpu_started = time.perf_counter(), time.process_time()
            if profiler is not None:
                profiler.enable()
            row = interchange_receive(
                payload, transport="directory", partner=data.partner,
                metadata={"filename": "BENCH0001.edi", "path": "inbox/BENCH0001.edi"},
            )
            if profiler is not None:
                profiler.disable()
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu_started
    finally:
        breakdown.restore()
        gc.unfreeze()
    queries = executed[0]

    # What came out of it.
    row = Interchange.objects.get(pk=row.pk)
    assert breakdown.calls["processing task (edi.tasks)"] == 1, (
        f"processing ran {breakdown.calls['processing task (edi.tasks)']} times, not once")
    parsed_events = row.events.filter(kind=EventKind.PARSED, message__isnull=True).count()
    assert parsed_events == 1, f"the interchange was opened {parsed_events} times"
    assert row.state == InterchangeState.PROCESSED, f"interchange {row.state}: {row.error}"
    states = dict(row.messages.values_list("state").annotate(n=Count("pk")).order_by())
    assert states == {MessageState.PROCESSED: messages}, states
    orders = SalesOrder.objects.filter(origin=OrderOrigin.EDI)
    order_states = dict(orders.values_list("state").annotate(n=Count("pk")).order_by())
    assert order_states == {OrderState.CONFIRMED: messages}, order_states
    lines = SalesOrderLine.objects.filter(order__origin=OrderOrigin.EDI)
    line_count = lines.count()
    assert line_count == messages * LINES, line_count
    cut = lines.filter(cut_quantity__gt=0).count()
    flagged = lines.filter(caller_price_flagged=True).count()
    ordered = lines.aggregate(total=Sum("base_quantity"))["total"]
    reserved = Reservation.objects.filter(status=ReservationStatus.ACTIVE, document_type="sales.order") \
        .aggregate(total=Sum("quantity"))["total"] or Decimal(0)
    assert reserved == ordered and cut == 0, f"reserved {reserved} of {ordered}, {cut} cut lines"
    assert row.contrl_id, "no CONTRL"
    contrl = row.contrl
    contrl_message = parse_interchanges(contrl.payload_bytes).interchanges[0].messages[0]
    report = parse_contrl(contrl_message)
    outbound = EdiMessage.objects.filter(direction=Direction.OUTBOUND)
    ordrsp = outbound.filter(message_type="ORDRSP")
    ordrsp_states = dict(ordrsp.values_list("state").annotate(n=Count("pk")).order_by())
    assert ordrsp.count() == messages, f"{ordrsp.count()} ORDRSP for {messages} orders"
    # One ORDRSP per order (each ORDERS became one order here), linked to the order or
    # to the ORDERS message it answers.
    answered = set(ordrsp.values_list("document_type", "document_id"))
    assert answered in (
        {("sales.SalesOrder", str(pk)) for pk in orders.values_list("pk", flat=True)},
        {("edi.EdiMessage", str(pk)) for pk in row.messages.values_list("pk", flat=True)},
    ), "the ORDRSP do not answer every order once"
    assert set(ordrsp_states) <= {MessageState.QUEUED, MessageState.SENT}, ordrsp_states
    files = len(list(data.outbox.iterdir()))

    total_lines = messages * LINES
    print(f"End to end: 1 interchange, {messages:,} ORDERS × {LINES} lines, {len(payload) / 1e6:.2f} MB"
          + (" — under cProfile, times inflated" if profile else ""))
    print(f"  wall {seconds:.2f} s, CPU of this process {cpu_seconds:.2f} s, {queries:,} queries "
          f"({queries / messages:.0f} per message); {total_lines / seconds:,.0f} lines/s "
          f"(target ≤ {TARGET_SECONDS} s for 1,000 × 20, ≥ 1,000 lines/s)")
    print(f"  interchange {row.state}; messages {states}; orders {order_states}; {line_count:,} lines, "
          f"{int(ordered):,} units reserved, {cut} cut, {flagged} with the buyer's price flagged")
    print(f"  CONTRL {contrl.control_reference} {contrl.state} (action {report.action.name}); "
          f"ORDRSP {ordrsp_states}; {files:,} files in the outbox")
    print("  Breakdown (wall s, inclusive; indented steps are inside the one above):")
    for label, _module, _attribute in BREAKDOWN:
        if breakdown.calls.get(label):
            print(f"    {label:<58} {breakdown.seconds[label]:8.2f} s  {breakdown.calls[label]:6,} calls")
    load = os.getloadavg()[0]
    print(f"  Machine: {os.cpu_count()} CPUs, load average {load:.2f} (wall time includes waiting for a CPU "
          "and for PostgreSQL)")

    if profiler is not None:
        for order, limit, pattern in (("cumulative", 45, r"comptoir|trade|pricing|logistics|edi"),
                                      ("tottime", 30, "")):
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).strip_dirs() if order == "tottime" else pstats.Stats(
                profiler, stream=out)
            stats.sort_stats(order).print_stats(*([pattern] if pattern else []), limit)
            print(f"cProfile of the end-to-end run, by {order}:")
            print("\n".join(out.getvalue().splitlines()[4:]))
    return seconds


def _run(*, messages: int, profile: bool, scratch: Path) -> int:
    plan = _plan(messages)
    data = _seed(plan, scratch)
    started = time.perf_counter()
    payload = build_interchange(data, plan)
    print(f"Interchange: {messages:,} ORDERS × {LINES} lines, {len(payload) / 1e6:.2f} MB, built in "
          f"{time.perf_counter() - started:.1f} s")
    parse_mb_s, pydifact_mb_s = parse_only(payload, messages)
    ingest = end_to_end(data, payload, messages, profile=profile)
    key = f"ingest_{messages}x{LINES}_s"
    print(json.dumps({"parse_mb_s": round(parse_mb_s, 2), "pydifact_mb_s": round(pydifact_mb_s, 2),
                      key: round(ingest, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
