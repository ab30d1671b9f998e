"""Demo stock: two warehouses with their locations, lots received through real receipts
(fresh goods with use-by dates, some short-dated, one already past; dry goods with
best-before dates; serial-numbered appliances), shipments to stores so that lot cards
show their customers, kits assembled in advance, a count in progress and min/max rules.

Everything goes through the logistics services, so the demo ledger, balances, weighted
average costs and traces are exactly what real use produces. Deterministic for a date.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractUser

from comptoir.exceptions import DomainError
from trade.models import (
    Article,
    CustomerNode,
    KitComponent,
    KitKind,
    NodeKind,
    Packaging,
    SupplierArticle,
)

from .models import (
    ArticleCost,
    ArticleCostHistory,
    AssemblyOrder,
    CountLine,
    InventoryCount,
    Location,
    LocationKind,
    Lot,
    Recall,
    Receipt,
    ReceiptLine,
    ReplenishmentRule,
    Reservation,
    SerialNumber,
    StockBalance,
    StockMove,
    Transfer,
    TransferLine,
    Warehouse,
)
from .services.documents import assembly_post, count_open, receipt_post
from .services.reservations import ReserveLine, reservations_ship, stock_reserve

Log = Callable[[str], object]
MAIN_WAREHOUSE = "ENT-LYON"
MAX_ARTICLES = 400  # bounded at any scale: stock demo, not a load test
STOCK_MODELS = (
    Reservation, ArticleCostHistory, StockMove, StockBalance, ArticleCost, CountLine, InventoryCount,
    TransferLine, Transfer, ReceiptLine, Receipt, AssemblyOrder, ReplenishmentRule, SerialNumber,
)


@dataclass(frozen=True)
class StockSeedResult:
    counts: dict[str, int]


def stock_demo_exists() -> bool:
    return Warehouse.objects.filter(code=MAIN_WAREHOUSE).exists()


def stock_demo_reset() -> Counter[str]:
    """Delete every stock row (the ledger included: this is a demo reset)."""
    deleted: Counter[str] = Counter()
    Recall.lots.through.objects.all().delete()
    Recall.objects.all().delete()
    for model in (*STOCK_MODELS, Lot, Location, Warehouse):
        count, _ = model.objects.all().delete()  # queryset delete: no per-row delete() guard
        deleted[f"logistics.{model.__name__}"] += count
    return deleted


def _locations(warehouse: Warehouse, *, aisles: str, bays: int) -> list[Location]:
    rows = [
        Location(warehouse=warehouse, code="QUAI", kind=LocationKind.RECEIVING, picking_order=0),
        Location(warehouse=warehouse, code="QUAR", kind=LocationKind.QUARANTINE, picking_order=0),
        Location(warehouse=warehouse, code="EXPE", kind=LocationKind.SHIPPING, picking_order=9999),
    ]
    order = 1
    for aisle in aisles:
        for bay in range(1, bays + 1):
            for level in (1, 2):
                rows.append(Location(warehouse=warehouse, code=f"{aisle}-{bay:02d}-{level}", zone=aisle,
                                     aisle=aisle, level=str(level), picking_order=order))
                order += 1
    return Location.objects.bulk_create(rows)


def stock_demo_seed(*, today: date, user: AbstractUser | None, log: Log) -> StockSeedResult:
    """Seed the demo stock dated around ``today``; the master data must exist."""
    rng = random.Random(f"comptoir-stock-{today.isoformat()}")
    lyon = Warehouse.objects.create(code=MAIN_WAREHOUSE, name="Entrepôt Lyon-Corbas", line1="12 rue de l'Industrie",
                                    postal_code="69960", city="Corbas")
    nantes = Warehouse.objects.create(code="ENT-NANTES", name="Entrepôt Nantes-Carquefou",
                                      line1="4 allée des Sablières", postal_code="44470", city="Carquefou")
    storage = [loc for loc in _locations(lyon, aisles="ABC", bays=10) if loc.kind == LocationKind.STORAGE]
    _locations(nantes, aisles="AB", bays=5)

    articles = list(
        Article.objects.filter(status="active").exclude(kit_kind=KitKind.COMPONENTS).order_by("code")[:MAX_ARTICLES]
    )
    preferred: dict[int, SupplierArticle] = {}
    for row in SupplierArticle.objects.filter(article__in=articles).select_related("supplier").order_by(
            "article_id", "-is_preferred", "purchase_price"):
        preferred.setdefault(row.article_id, row)
    case_sizes = {
        p.article_id: p.quantity for p in Packaging.objects.filter(article__in=articles, level="case")
    }
    # Components of kits assembled in advance are received where the kits are assembled.
    kit_parts = set(KitComponent.objects.filter(kit__kit_kind=KitKind.ASSEMBLED).values_list("component_id", flat=True))
    by_supplier: dict[int | None, list[ReceiptLine]] = {}
    expired_shown = False
    for position, article in enumerate(articles):
        if article.kit_kind == KitKind.ASSEMBLED:
            continue  # made by assembly orders below
        source = preferred.get(article.pk)
        case = case_sizes.get(article.pk, Decimal(12))
        cost = source.purchase_price if source else Decimal("1.0000")
        location = storage[0] if article.pk in kit_parts else storage[position % len(storage)]
        lines = by_supplier.setdefault(source.supplier_id if source else None, [])
        if article.tracking_mode == "serial":
            serials = [f"SN{article.code[-4:]}{n:04d}" for n in range(1, 7)]
            lines.append(ReceiptLine(article=article, location=location, quantity=Decimal(len(serials)),
                                     unit_cost=cost, serial_numbers="\n".join(serials)))
            continue
        lot_count = 1 if article.tracking_mode == "none" else rng.choice([1, 2, 3])
        for lot_index in range(lot_count):
            quantity = case * rng.choice([4, 6, 10, 20])
            expiry = None
            if article.tracking_mode in ("lot_dlc", "lot_ddm"):
                life = article.shelf_life_days or 30
                # FEFO needs a spread: one lot near its end, others fresher.
                remaining = max(1, int(life * rng.choice([0.15, 0.5, 0.8, 0.95])))
                if article.tracking_mode == "lot_dlc" and not expired_shown:
                    remaining, expired_shown = -2, True  # one use-by lot already past: see the anomalies
                expiry = today + timedelta(days=remaining)
            here = storage[0] if article.pk in kit_parts else storage[(position + lot_index * 7) % len(storage)]
            lines.append(ReceiptLine(
                article=article, location=here, quantity=quantity,
                unit_cost=cost, lot_number=f"{article.code[-4:]}{today:%y%m}{lot_index + 1:02d}"
                if article.tracking_mode != "none" else "",
                expiry_date=expiry,
            ))
    receipts = 0
    for supplier_id, lines in sorted(by_supplier.items(), key=lambda item: item[0] or 0):
        receipt = Receipt.objects.create(warehouse=lyon, supplier_id=supplier_id, received_on=today - timedelta(days=3),
                                         reference=f"BL-{rng.randint(10000, 99999)}", created_by=user)
        for line in lines:
            line.receipt = receipt
        ReceiptLine.objects.bulk_create(lines)
        receipt_post(receipt, user=user)
        receipts += 1
    log(f"  {'stock receipts':<22} {receipts} receipts, {sum(len(v) for v in by_supplier.values())} lines")

    # Kits assembled in advance, from components now in stock.
    for kit in Article.objects.filter(kit_kind=KitKind.ASSEMBLED).order_by("code"):
        order = AssemblyOrder.objects.create(kit=kit, quantity=Decimal(5), location=storage[0], created_by=user)
        try:
            assembly_post(order, user=user)
        except DomainError as exc:  # a component short in this demo: the order stays a draft
            log(f"  kit {kit.code} not assembled: {exc}")

    # Shipments to a few stores, so that lot cards list their customers.
    stores = list(CustomerNode.objects.filter(kind=NodeKind.STORE).order_by("code")[:12])
    dated = [a for a in articles if a.tracking_mode in ("lot_dlc", "lot_ddm")][:40]
    shipped = 0
    for number, store in enumerate(stores, start=1):
        chosen = rng.sample(dated, k=min(8, len(dated)))
        lines = [ReserveLine(str(i), article, case_sizes.get(article.pk, Decimal(12)) * 2)
                 for i, article in enumerate(chosen, start=1)]
        document = f"DEMO-{number:03d}"
        stock_reserve(document_type="delivery", document_id=document, warehouse=lyon, delivery_date=today,
                      customer_node=store, lines=lines, user=user)
        shipped += len(reservations_ship(document_type="delivery", document_id=document, customer_node=store,
                                         user=user))
    log(f"  {'stock shipments':<22} {len(stores)} stores, {shipped} shipment moves")

    count_open(InventoryCount(warehouse=lyon, kind="cycle", location_prefix="A-01"), user=user)
    ReplenishmentRule.objects.bulk_create([
        ReplenishmentRule(warehouse=lyon, article=article, minimum=case_sizes.get(article.pk, Decimal(12)) * 30,
                          maximum=case_sizes.get(article.pk, Decimal(12)) * 80)
        for article in articles[:10]
    ])
    counts = {
        "warehouses": Warehouse.objects.count(), "locations": Location.objects.count(), "lots": Lot.objects.count(),
        "stock moves": StockMove.objects.count(), "stock balances": StockBalance.objects.count(),
    }
    return StockSeedResult(counts=counts)
