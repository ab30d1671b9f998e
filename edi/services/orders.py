"""ORDERS in → sales orders (EANCOM D96A EAN008).

Parties by GLN (NAD BY / DP / IV / UC, and LOC+7 per-store splits) to customer nodes,
lines by GTIN (LIN, the packaging it identifies gives the unit) or, failing that, by
our article code sent as the supplier's article number (PIA …:SA). Lines are priced by
our engine; the buyer's price (PRI AAA) is only compared, and flagged on the line
beyond the partner's tolerance. A platform order split per store (LOC+7 + QTY+11)
becomes one sales order per store, delivered to the platform (DP).

Every fault is reported per line with its segment position, and the message goes to
the error queue: a person maps the missing GLN or GTIN and replays it. A replacement
(BGM function 5) updates the orders it replaces, a cancellation (1) cancels them, as
long as nothing of them has shipped. New orders are confirmed at once (FEFO, shelf
life, backorder or cut, like any order); one that cannot be (a credit limit) stays a
draft for a person, and the message says so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.exceptions import DomainError, ValidationFailed
from comptoir.identifiers import gtin_lookup_forms
from edi.eancom import Message
from edi.eancom.messages.orders import OrderFunction, OrderLine, Orders, parse_orders
from trade.models import Article, CustomerNode, Packaging
from trade.sales.models import OrderOrigin, OrderState, SalesOrder
from trade.sales.services import (
    LineInput,
    order_cancel,
    order_confirm,
    order_create,
    order_line_add,
    order_line_cancel,
    order_line_change,
)

from ..models import EdiMessage, EventKind, TradingPartner, UnknownGtinPolicy
from .base import HandlerResult, MessageRejected, Problem, event_record

ORDER_DOCUMENT_TYPE = "sales.SalesOrder"


def order_source(message_row: EdiMessage) -> str:
    return f"edi-message:{message_row.pk}"


def _day(value: date | datetime | None) -> date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


@dataclass
class _Resolved:
    article: Article
    packaging_level: str
    line: OrderLine


def _node_by_gln(gln: str, cache: dict[str, CustomerNode | None]) -> CustomerNode | None:
    if gln not in cache:
        cache[gln] = CustomerNode.objects.filter(gln=gln).first() if gln else None
    return cache[gln]


def _packagings_by_gtin(lines: tuple[OrderLine, ...]) -> dict[str, Packaging]:
    """Every packaging the lines' GTINs name, in one query (GTIN-13 or its GTIN-14 form)."""
    forms = {form: line.gtin for line in lines if line.gtin for form in gtin_lookup_forms(line.gtin)}
    found: dict[str, Packaging] = {}
    for packaging in Packaging.objects.select_related("article").filter(gtin__in=forms):
        found[forms[packaging.gtin]] = packaging
    return found


def _article_for(line: OrderLine, packagings: dict[str, Packaging]) -> tuple[Article, str] | None:
    """The article and the packaging level a line names: GTIN first, then our code
    sent as the supplier's article number."""
    if line.gtin:
        packaging: Packaging | None = packagings.get(line.gtin)
        if packaging is not None:
            level = "" if packaging.level == "consumer_unit" and packaging.quantity == 1 else packaging.level
            return packaging.article, level
    if line.supplier_article:
        article = Article.objects.filter(code=line.supplier_article).first()
        if article is not None:
            return article, ""
    return None


def orders_handle(message_row: EdiMessage, message: Message, partner: TradingPartner) -> HandlerResult:
    orders = parse_orders(message)  # a MappingError goes to the error queue and the CONTRL
    if orders.function == OrderFunction.CANCEL:
        return _cancel(orders, partner)
    problems: list[Problem] = []
    nodes: dict[str, CustomerNode | None] = {}

    def party_node(role: str) -> CustomerNode | None:
        party = orders.party(role)
        if party is None or not party.identifier:
            return None
        node = _node_by_gln(party.identifier, nodes)
        if node is None:
            problems.append(Problem(reason=_("Unknown GLN %(gln)s (NAD+%(role)s): map it to a customer.")
                                    % {"gln": party.identifier, "role": role}, segment="NAD",
                                    code="unknown_gln"))
        return node

    buyer, delivery, invoicee = party_node("BY"), party_node("DP"), party_node("IV")
    consignee = party_node("UC") if orders.ultimate_consignees else None
    if buyer is None and orders.buyer is None:
        problems.append(Problem(reason=_("No buyer (NAD+BY)."), segment="NAD", code="missing_buyer"))

    requested = _day(orders.requested_delivery or orders.latest_delivery or orders.earliest_delivery)
    today = timezone.localdate()
    if requested is None:
        problems.append(Problem(reason=_("No requested delivery date (DTM+2, 64 or 63)."), segment="DTM",
                                code="missing_date"))
    elif requested < today:
        problems.append(Problem(reason=_("The requested delivery date %(date)s is in the past.")
                                % {"date": requested.strftime("%d/%m/%Y")}, segment="DTM", code="past_date"))

    resolved: list[_Resolved] = []
    dropped: list[Problem] = []
    packagings = _packagings_by_gtin(orders.lines)
    for line in orders.lines:
        found = _article_for(line, packagings)
        where = {"line": line.line_number, "segment": "LIN", "position": line.segment_position or None}
        if found is None:
            problem = Problem(reason=_("Unknown GTIN %(gtin)s%(article)s: map it to an article.") % {
                "gtin": line.gtin or "—",
                "article": f" / {line.supplier_article}" if line.supplier_article else ""},
                code="unknown_gtin", **where)
            if partner.unknown_gtin_policy == UnknownGtinPolicy.REJECT_LINE:
                dropped.append(problem)
            else:
                problems.append(problem)
            continue
        article, level = found
        if not article.is_sellable:
            problems.append(Problem(reason=_("Article %(code)s is blocked.") % {"code": article.code},
                                    code="blocked_article", **where))
            continue
        line_date = _day(line.delivery_date)
        if line_date is not None and line_date < today:
            problems.append(Problem(reason=_("The line's delivery date %(date)s is in the past.")
                                    % {"date": line_date.strftime("%d/%m/%Y")}, code="past_date", **where))
            continue
        resolved.append(_Resolved(article, level, line))

    # Who orders: each store of a per-store split, else the ultimate consignee, else the
    # delivery point when it is a store, else the buyer.
    split_nodes: dict[str, CustomerNode | None] = {}
    for item in resolved:
        for split in item.line.store_splits:
            node = _node_by_gln(split.location, nodes)
            if node is None and split.location not in split_nodes:
                problems.append(Problem(reason=_("Unknown store GLN %(gln)s (LOC+7): map it to a customer.")
                                        % {"gln": split.location}, line=item.line.line_number, segment="LOC",
                                        code="unknown_gln"))
            split_nodes[split.location] = node
    root = partner.customer_node
    if root is not None:  # a partner orders for its own customers only
        for node in {n for n in (buyer, delivery, invoicee, consignee, *split_nodes.values()) if n is not None}:
            if not node.path.startswith(root.path):
                problems.append(Problem(reason=_("GLN %(gln)s is customer %(node)s, outside %(root)s's hierarchy.")
                                        % {"gln": node.gln, "node": node.code, "root": root.code},
                                        segment="NAD", code="foreign_customer"))
    if problems:
        raise MessageRejected(problems + dropped)
    if not resolved:
        raise MessageRejected(dropped or [Problem(reason=_("The order has no line."), code="no_line")])

    default_node = consignee or (
        delivery if delivery is not None and delivery.kind == "store" else None) or buyer
    per_node: dict[CustomerNode, list[LineInput]] = defaultdict(list)
    for item in resolved:
        line = item.line
        caller = line.net_price.unit_price if line.net_price is not None else None
        if line.store_splits:
            for split in line.store_splits:
                per_node[split_nodes[split.location]].append(_line_input(item, split.quantity, caller,
                                                                         _day(split.delivery_date)))
        else:
            per_node[default_node].append(_line_input(item, line.quantity, caller, _day(line.delivery_date)))

    existing = _existing(orders, partner)
    if existing and orders.function in (OrderFunction.REPLACE, OrderFunction.CHANGE):
        return _replace(existing, per_node, partner)
    if existing:
        raise MessageRejected([Problem(
            reason=_("Order %(number)s was already received (our %(orders)s): send a replacement (BGM function 5) "
                     "to change it.") % {"number": orders.document_number,
                                         "orders": ", ".join(o.display_number for o in existing)},
            segment="BGM", code="duplicate_order")])
    notes = "\n".join(note.text for note in orders.notes)
    if dropped:
        notes += ("\n" if notes else "") + "\n".join(_("Not taken: line %(line)s — %(reason)s")
                                                     % {"line": p.line, "reason": p.reason} for p in dropped)
    created: list[SalesOrder] = []
    for node, lines in per_node.items():
        try:
            order = order_create(
                ordering_node=node, lines=lines, requested_date=requested,
                delivery_node=delivery if delivery is not None else None, invoicing_node=invoicee,
                customer_reference=orders.document_number[:35], origin=OrderOrigin.EDI, notes=notes,
                source=order_source(message_row), price_tolerance_percent=partner.price_tolerance_percent,
            )
        except ValidationFailed as exc:
            raise MessageRejected(_problems_from(exc, node)) from exc
        created.append(order)
    flagged = [line.customer_line_reference for order in created
               for line in order.lines.filter(caller_price_flagged=True).order_by("position")]
    if flagged:  # their price is not ours: said in the monitor, never taken
        event_record(interchange=message_row.interchange, message=message_row, kind=EventKind.PROCESSED,
                     note=_("Price sent differs from ours beyond %(tolerance)s %% on line(s) %(lines)s.")
                     % {"tolerance": partner.price_tolerance_percent, "lines": ", ".join(flagged)})
    for order in created:
        try:
            order_confirm(order)
        except DomainError as exc:  # stays a draft for a person to look at, said in the monitor
            event_record(interchange=message_row.interchange, message=message_row, kind=EventKind.PROCESSED,
                         note=_("Order %(order)s left as a draft: %(reason)s")
                         % {"order": order.display_number, "reason": exc.message})
    return _result(created)


def _result(orders: list[SalesOrder]) -> HandlerResult:
    """The first order stands for the message (all of them carry ``source``)."""
    return (ORDER_DOCUMENT_TYPE, str(orders[0].pk)) if orders else None


def _line_input(item: _Resolved, quantity: Decimal, caller: Decimal | None, line_date: date | None) -> LineInput:
    return LineInput(article=item.article, quantity=quantity, packaging_level=item.packaging_level,
                     requested_date=line_date, caller_unit_price=caller,
                     customer_line_reference=item.line.line_number)


def _problems_from(exc: ValidationFailed, node: CustomerNode) -> list[Problem]:
    problems = []
    for field, messages in exc.errors.items():
        for text in messages:
            problems.append(Problem(reason=f"{node.code}: {text}" if field == "lines" else f"{node.code}: {field}: {text}",
                                    code="order_refused"))
    return problems


def _existing(orders: Orders, partner: TradingPartner) -> list[SalesOrder]:
    queryset = SalesOrder.objects.filter(origin=OrderOrigin.EDI, customer_reference=orders.document_number[:35])
    if partner.customer_node_id:
        root = partner.customer_node
        queryset = queryset.filter(ordering_node__path__startswith=root.path)
    return list(queryset.exclude(state=OrderState.CANCELLED).order_by("pk"))


def _shipped(orders: list[SalesOrder]) -> list[SalesOrder]:
    return [order for order in orders if order.lines.filter(delivered_quantity__gt=0).exists()
            or order.deliveries.filter(state__in=("picking", "picked")).exists()]


def _cancel(orders: Orders, partner: TradingPartner) -> HandlerResult:
    existing = _existing(orders, partner)
    if not existing:
        raise MessageRejected([Problem(reason=_("Cancellation of order %(number)s, which we do not have.")
                                       % {"number": orders.document_number}, segment="BGM", code="unknown_order")])
    shipped = _shipped(existing)
    if shipped:
        raise MessageRejected([Problem(reason=_("Order %(order)s has already shipped (or is being picked): it "
                                                "cannot be cancelled.") % {"order": order.display_number},
                                       segment="BGM", code="already_shipped") for order in shipped])
    for order in existing:
        order_cancel(order, reason=_("Cancelled by EDI (ORDERS %(number)s).") % {"number": orders.document_number})
    return _result(existing)


def _replace(existing: list[SalesOrder], per_node: dict[CustomerNode, list[LineInput]],
             partner: TradingPartner) -> HandlerResult:
    """Bring the orders in line with the replacement: lines matched by the buyer's
    line number; quantities changed, lines added or cancelled."""
    shipped = _shipped(existing)
    if shipped:
        raise MessageRejected([Problem(reason=_("Order %(order)s has already shipped (or is being picked): it "
                                                "cannot be replaced.") % {"order": order.display_number},
                                       segment="BGM", code="already_shipped") for order in shipped])
    by_node = {order.ordering_node_id: order for order in existing}
    touched = []
    for node, lines in per_node.items():
        order = by_node.pop(node.pk, None)
        if order is None:
            raise MessageRejected([Problem(reason=_("The replacement adds store %(node)s, which the original "
                                                    "order did not have.") % {"node": node.code},
                                           code="replace_new_store")])
        current = {line.customer_line_reference: line for line in order.lines.filter(state="open")}
        try:
            for data in lines:
                line = current.pop(data.customer_line_reference, None)
                if line is None:
                    order_line_add(order, data)
                elif line.article_id != data.article.pk or line.packaging_level != data.packaging_level:
                    order_line_cancel(line)
                    order_line_add(order, data)
                elif line.quantity != data.quantity:
                    order_line_change(line, quantity=data.quantity)
            for line in current.values():
                order_line_cancel(line)
        except ValidationFailed as exc:
            raise MessageRejected(_problems_from(exc, node)) from exc
        touched.append(order)
    for order in by_node.values():  # stores no longer in the order
        order_cancel(order, reason=_("Store left out of the replacement order."))
        touched.append(order)
    return _result(touched)
