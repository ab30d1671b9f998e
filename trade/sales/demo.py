"""Demo sales: quotes and orders in every state, made through the sales services
(so prices, reservations, deliveries and stock moves are what real use produces).

Runs after the stock demo: it orders articles that are priced for the store and in
stock in the main warehouse. Deterministic for a given database and date.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.db.models import F
from django.utils import timezone

from comptoir.exceptions import DomainError
from logistics.models import LocationKind, StockBalance, Warehouse
from pricing.models import PriceListItem
from pricing.selectors import price_list_chain
from trade.models import Article, CustomerNode, NodeKind
from trade.selectors import customer_node_effective_settings

from .models import Delivery, DeliveryLine, Quote, QuoteLine, SalesEvent, SalesOrder, SalesOrderLine
from .services import (
    LineInput,
    delivery_create,
    delivery_pick,
    delivery_ship,
    order_cancel,
    order_confirm,
    order_create,
    quote_create,
    quote_send,
)

Log = Callable[[str], object]
SALES_MODELS = (SalesEvent, DeliveryLine, Delivery, SalesOrderLine, SalesOrder, QuoteLine, Quote)
MAIN_WAREHOUSE = "ENT-LYON"


@dataclass(frozen=True)
class SalesSeedResult:
    counts: dict[str, int]


def sales_demo_exists() -> bool:
    return SalesOrder.objects.exists() or Quote.objects.exists()


def sales_demo_reset() -> Counter[str]:
    """Delete every quote, order and delivery (run before the stock reset)."""
    deleted: Counter[str] = Counter()
    for model in SALES_MODELS:
        count, _ = model.objects.all().delete()
        deleted[f"sales.{model.__name__}"] += count
    return deleted


def _orderable(store: CustomerNode, warehouse: Warehouse, *, limit: int) -> list[Article]:
    """Articles priced for the store and in stock (dated ones first: lots to show)."""
    price_list = customer_node_effective_settings(store).value("price_list")
    lists = [pl.pk for pl, _coefficient in price_list_chain(price_list)]
    priced = PriceListItem.objects.filter(price_list_id__in=lists).values("article_id")
    in_stock = (StockBalance.objects.filter(location__warehouse=warehouse, location__kind=LocationKind.STORAGE,
                                            article_id__in=priced, article__status="active", article__kit_kind="")
                .exclude(article__tracking_mode="serial")
                .filter(on_hand__gt=F("reserved") + 24)
                .order_by("-article__tracking_mode", "article__code").values_list("article_id", flat=True))
    ids = list(dict.fromkeys(in_stock))[:limit]
    articles = Article.objects.in_bulk(ids)
    return [articles[pk] for pk in ids]


def sales_demo_seed(*, today: date, user: AbstractUser | None, log: Log) -> SalesSeedResult:
    warehouse = Warehouse.objects.filter(code=MAIN_WAREHOUSE).first()
    if warehouse is None:
        log("  sales: no main warehouse, nothing seeded")
        return SalesSeedResult(counts={})
    requested = max(today, timezone.localdate()) + timedelta(days=2)
    stores = list(CustomerNode.objects.filter(kind=NodeKind.STORE, is_active=True, is_blocked=False)
                  .order_by("code")[:40])
    made: Counter[str] = Counter()
    plan = ["quote_sent", "quote_draft", "draft", "draft", "confirmed", "confirmed", "confirmed", "partial",
            "partial", "delivered", "delivered", "cancelled"]
    step = 0
    for store in stores:
        if step == len(plan):
            break
        articles = _orderable(store, warehouse, limit=5)
        if len(articles) < 3:
            continue
        lines = [LineInput(article=article, quantity=Decimal(6 * (n + 1))) for n, article in enumerate(articles)]
        kind = plan[step]
        try:
            if kind.startswith("quote"):
                quote = quote_create(ordering_node=store, lines=lines, requested_date=requested, user=user,
                                     customer_reference=f"DEMANDE-{step + 1:03d}")
                if kind == "quote_sent":
                    quote_send(quote, user=user)
                made["quotes"] += 1
            else:
                order = order_create(ordering_node=store, lines=lines, requested_date=requested, user=user,
                                     customer_reference=f"PO-{today:%y%m}-{step + 1:03d}")
                made["orders"] += 1
                if kind != "draft":
                    order_confirm(order, user=user)
                if kind == "partial":
                    delivery = delivery_create(order, user=user)
                    first = delivery.lines.order_by("pk").first()
                    delivery_pick(delivery, picked={first.pk: first.quantity / 2}, user=user)  # a short pick
                    delivery_ship(delivery, user=user)
                    made["deliveries"] += 1
                elif kind == "delivered":
                    delivery_ship(delivery_create(order, user=user), user=user)
                    made["deliveries"] += 1
                elif kind == "cancelled":
                    order_cancel(order, user=user, reason="Démo : commande annulée par le client")
        except DomainError as exc:  # an article short-dated for this store, a credit limit…: next store
            log(f"  sales: {store.code} skipped ({exc.message})")
            continue
        step += 1
    log(f"  {'sales':<22} {made['quotes']} quotes, {made['orders']} orders, {made['deliveries']} deliveries")
    return SalesSeedResult(counts=dict(made))
