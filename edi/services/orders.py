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
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias, cast

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.exceptions import DomainError, ValidationFailed
from comptoir.identifiers import gtin_lookup_forms
from edi.eancom import MappingError, Message
from edi.eancom.messages.orders import OrderFunction, OrderLine, Orders, parse_orders
from trade.models import Article, Company, CustomerNode, Packaging
from trade.sales.models import OrderOrigin, OrderState, SalesOrder, SalesOrderLine
from trade.sales.services import (
    LineInput,
    OrderSpec,
    OrdersRefused,
    order_cancel,
    order_line_add,
    order_line_cancel,
    order_line_change,
    orders_confirm,
    orders_create,
)
from trade.selectors import customer_article_references_resolve

from ..models import EdiMessage, EventKind, TradingPartner, UnknownGtinPolicy
from .answers import answer_now, ordrsp_send_for
from .base import HandlerResult, MessageRejected, Problem, event_record
from .received import orders_keep

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


def _buyer_references(lines: tuple[OrderLine, ...], node: CustomerNode | None,
                      packagings: dict[str, Packaging]) -> dict[str, tuple[Article, str]]:
    """The buyer's article numbers (PIA …:IN) of the lines whose GTIN names no packaging,
    resolved through the customer article references of ``node`` (the buyer, else the
    partner's node) or its nearest ancestor: one query per message, none when no line
    needs it."""
    codes = [line.buyer_article for line in lines if line.buyer_article and line.gtin not in packagings]
    if node is None or not codes:
        return {}
    return customer_article_references_resolve(node=node, codes=codes)


def _articles_by_code(lines: Iterable[OrderLine], packagings: dict[str, Packaging]) -> dict[str, Article]:
    """Our articles named by their code (PIA …:SA) on lines whose GTIN names no
    packaging, in one query."""
    codes = {line.supplier_article for line in lines if line.supplier_article and line.gtin not in packagings}
    return {article.code: article for article in Article.objects.filter(code__in=codes)} if codes else {}


def _article_for(line: OrderLine, packagings: dict[str, Packaging], articles: dict[str, Article],
                 references: dict[str, tuple[Article, str]] | None = None) -> tuple[Article, str] | None:
    """The article and the packaging level a line names: GTIN first, then our code
    sent as the supplier's article number (SA, ``_articles_by_code``), then the
    buyer's article number (IN) through the customer's references
    (``_buyer_references``)."""
    if line.gtin:
        packaging: Packaging | None = packagings.get(line.gtin)
        if packaging is not None:
            level = "" if packaging.level == "consumer_unit" and packaging.quantity == 1 else packaging.level
            return packaging.article, level
    if line.supplier_article:
        article = articles.get(line.supplier_article)
        if article is not None:
            return article, ""
    if line.buyer_article and references:
        return references.get(line.buyer_article.strip())
    return None


def orders_handle(message_row: EdiMessage, message: Message, partner: TradingPartner) -> HandlerResult:
    """The handler of one ORDERS message (``orders_handle_many`` of one)."""
    outcome = orders_handle_many([(message_row, message)], partner)[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


Outcome: TypeAlias = "HandlerResult | MessageRejected | MappingError"


def orders_handle_many(items: Sequence[tuple[EdiMessage, Message]], partner: TradingPartner) -> list[Outcome]:
    """Handle many ORDERS of one partner, in order; one outcome per message: its
    result, or the rejection (``MessageRejected`` or the mapping's ``MappingError``)
    to put it in the error queue with. Runs in the caller's transaction.

    New orders are checked, priced, created and confirmed together (``orders_create``
    and ``orders_confirm`` of all of them: a fixed number of queries for a thousand
    messages); a message whose order is refused is rejected alone, the others go on.
    A replacement, a cancellation, or an order number seen before is handled on its
    own, after the new orders before it."""
    outcomes: list[Outcome | None] = [None] * len(items)
    documents: list[tuple[int, EdiMessage, Orders]] = []
    for index, (row, message) in enumerate(items):
        try:
            orders = parse_orders(message)
        except MappingError as exc:  # to the error queue and the CONTRL
            outcomes[index] = exc
            continue
        documents.append((index, row, orders))
        orders_keep(row.pk, orders)  # for its ORDRSP
    lookups = _Lookups.load([orders for _index, _row, orders in documents], partner)
    pending: list[_NewOrders] = []
    for index, row, orders in documents:
        number = orders.document_number[:35]
        alone = (orders.function != OrderFunction.ORIGINAL or number in lookups.known_numbers
                 or any(item.number == number for item in pending))
        lookups.known_numbers.add(number)  # seen: its next occurrence is handled alone
        if alone:
            _new_orders_place(pending, outcomes, partner)
            pending = []
            try:
                with transaction.atomic():
                    outcomes[index] = _handle_alone(row, orders, partner, lookups)
            except MessageRejected as exc:
                outcomes[index] = exc
            continue
        try:
            pending.append(_NewOrders(index, row, number, _specs(row, orders, partner, lookups)))
        except MessageRejected as exc:
            outcomes[index] = exc
    _new_orders_place(pending, outcomes, partner)
    return cast("list[Outcome]", outcomes)


@dataclass
class _Lookups:
    """What the messages of a batch name, read at once: customers by GLN, packagings
    by GTIN, articles by our code, the order numbers already received from this
    partner."""

    nodes: dict[str, CustomerNode | None]
    packagings: dict[str, Packaging]
    articles: dict[str, Article]  # by our code, for PIA …:SA
    known_numbers: set[str]
    our_gln: str = ""

    @classmethod
    def load(cls, documents: list[Orders], partner: TradingPartner) -> _Lookups:
        glns = {party.identifier for orders in documents for party in orders.parties if party.identifier}
        glns |= {split.location for orders in documents for line in orders.lines for split in line.store_splits}
        found = {node.gln: node for node in CustomerNode.objects.filter(gln__in=glns)} if glns else {}
        numbers = {orders.document_number[:35] for orders in documents}
        lines = tuple(line for orders in documents for line in orders.lines)
        packagings = _packagings_by_gtin(lines)
        return cls(
            nodes={gln: found.get(gln) for gln in glns},
            packagings=packagings,
            articles=_articles_by_code(lines, packagings),
            known_numbers=set(_existing_queryset(numbers, partner).values_list("customer_reference", flat=True))
            if numbers else set(),
            our_gln=Company.objects.order_by("pk").values_list("gln", flat=True).first() or "",
        )

    def node(self, gln: str) -> CustomerNode | None:
        if gln not in self.nodes:
            self.nodes[gln] = CustomerNode.objects.filter(gln=gln).first() if gln else None
        return self.nodes[gln]


@dataclass
class _NewOrders:
    index: int
    row: EdiMessage
    number: str
    specs: list[OrderSpec]


def _specs(message_row: EdiMessage, orders: Orders, partner: TradingPartner, lookups: _Lookups) -> list[OrderSpec]:
    """The orders a new ORDERS message becomes (one per store of a per-store split),
    or ``MessageRejected`` with every fault found."""
    requested, per_node, delivery, invoicee, dropped = _read(orders, partner, lookups)
    notes = "\n".join(note.text for note in orders.notes)
    if dropped:
        notes += ("\n" if notes else "") + "\n".join(_("Not taken: line %(line)s — %(reason)s")
                                                     % {"line": p.line, "reason": p.reason} for p in dropped)
    return [OrderSpec(
        ordering_node=node, lines=lines, requested_date=requested, delivery_node=delivery, invoicing_node=invoicee,
        customer_reference=orders.document_number[:35], origin=OrderOrigin.EDI, notes=notes,
        source=order_source(message_row), price_tolerance_percent=partner.price_tolerance_percent,
    ) for node, lines in per_node.items()]


def _read(orders: Orders, partner: TradingPartner, lookups: _Lookups,
          ) -> tuple[date, dict[CustomerNode, list[LineInput]], CustomerNode | None, CustomerNode | None,
                     list[Problem]]:
    """Parties, date and lines of an ORDERS message resolved to ours: (requested
    date, lines per ordering node, delivery node, invoiced node, lines not taken);
    ``MessageRejected`` with every fault found."""
    problems: list[Problem] = []

    def party_node(role: str) -> CustomerNode | None:
        party = orders.party(role)
        if party is None or not party.identifier:
            return None
        node = lookups.node(party.identifier)
        if node is None:
            problems.append(Problem(reason=_("Unknown GLN %(gln)s (NAD+%(role)s): map it to a customer.")
                                    % {"gln": party.identifier, "role": role}, segment="NAD",
                                    code="unknown_gln"))
        return node

    buyer, delivery, invoicee = party_node("BY"), party_node("DP"), party_node("IV")
    consignee = party_node("UC") if orders.ultimate_consignees else None
    if buyer is None and orders.buyer is None:
        problems.append(Problem(reason=_("No buyer (NAD+BY)."), segment="NAD", code="missing_buyer"))
    supplier = orders.party("SU")
    if supplier is not None and supplier.identifier and lookups.our_gln and supplier.identifier != lookups.our_gln:
        problems.append(Problem(reason=_("The order is addressed to supplier %(gln)s, not to us (%(ours)s).")
                                % {"gln": supplier.identifier, "ours": lookups.our_gln}, segment="NAD",
                                code="other_supplier"))

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
    packagings = lookups.packagings
    references = _buyer_references(orders.lines, buyer or partner.customer_node, packagings)
    for line in orders.lines:
        found = _article_for(line, packagings, lookups.articles, references)
        where = {"line": line.line_number, "segment": "LIN", "position": line.segment_position or None}
        if found is None:
            codes = f" / {line.supplier_article}" if line.supplier_article else ""
            if line.buyer_article:
                codes += " / " + _("buyer code %(code)s") % {"code": line.buyer_article}
            problem = Problem(reason=_("Unknown GTIN %(gtin)s%(article)s: map it to an article.") % {
                "gtin": line.gtin or "—", "article": codes},
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
            node = lookups.node(split.location)
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
    assert requested is not None  # a missing date is a problem above

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
    return requested, per_node, delivery, invoicee, dropped


def _handle_alone(message_row: EdiMessage, orders: Orders, partner: TradingPartner, lookups: _Lookups,
                  ) -> HandlerResult:
    """A cancellation, a replacement, or a number already received."""
    if orders.function == OrderFunction.CANCEL:
        return _cancel(orders, partner)
    _requested, per_node, _delivery, _invoicee, _dropped = _read(orders, partner, lookups)
    existing = _existing(orders, partner)
    if existing and orders.function in (OrderFunction.REPLACE, OrderFunction.CHANGE):
        result = _replace(existing, per_node, partner)
        # The buyer is told what the orders now hold, in answer to the replacement.
        answer_now(ordrsp_send_for, message_row.pk, [order.pk for order in existing])
        return result
    if existing:
        raise MessageRejected([Problem(
            reason=_("Order %(number)s was already received (our %(orders)s): send a replacement (BGM function 5) "
                     "to change it.") % {"number": orders.document_number,
                                         "orders": ", ".join(o.display_number for o in existing)},
            segment="BGM", code="duplicate_order")])
    outcomes: list[Outcome | None] = [None]
    _new_orders_place([_NewOrders(0, message_row, orders.document_number[:35],
                                  _specs(message_row, orders, partner, lookups))], outcomes, partner)
    if isinstance(outcomes[0], Exception):
        raise outcomes[0]
    return cast("HandlerResult", outcomes[0])


def _new_orders_place(batch: list[_NewOrders], outcomes: list[Outcome | None], partner: TradingPartner) -> None:
    """Create the orders of these messages (a message whose order is refused is
    rejected alone), note the lines whose price the buyer sent differs from ours,
    then confirm them; an order that cannot be confirmed (a credit limit) stays a
    draft for a person, and its message says so."""
    while batch:
        specs = [(item, spec) for item in batch for spec in item.specs]
        try:
            created = orders_create([spec for _item, spec in specs])
        except OrdersRefused as exc:
            refused: dict[int, list[Problem]] = defaultdict(list)
            for position, error in exc.refusals.items():
                item, spec = specs[position]
                refused[item.index] += _problems_from(error, spec.ordering_node)
            for index, problems in refused.items():
                outcomes[index] = MessageRejected(problems)
            batch = [item for item in batch if item.index not in refused]
            continue
        break
    else:
        return
    by_message: dict[int, list[SalesOrder]] = defaultdict(list)
    for (item, _spec), order in zip(specs, created, strict=True):
        by_message[item.index].append(order)
    flagged: dict[int, list[str]] = defaultdict(list)
    for order_id, reference in (SalesOrderLine.objects.filter(order__in=created, caller_price_flagged=True)
                                .order_by("order_id", "position").values_list("order_id", "customer_line_reference")):
        flagged[order_id].append(reference)
    for item in batch:
        lines = [reference for order in by_message[item.index] for reference in flagged.get(order.pk, [])]
        if lines:  # their price is not ours: said in the monitor, never taken
            event_record(interchange=item.row.interchange, message=item.row, kind=EventKind.PROCESSED,
                         note=_("Price sent differs from ours beyond %(tolerance)s %% on line(s) %(lines)s.")
                         % {"tolerance": partner.price_tolerance_percent, "lines": ", ".join(lines)})
        outcomes[item.index] = _result(by_message[item.index])
    message_of = {order.pk: item for item in batch for order in by_message[item.index]}
    waiting = list(created)
    while waiting:
        try:
            orders_confirm(waiting, just_created=True)
        except OrdersRefused as exc:
            for position, error in exc.refusals.items():
                order = waiting[position]
                row = message_of[order.pk].row
                # stays a draft for a person to look at, said in the monitor
                event_record(interchange=row.interchange, message=row, kind=EventKind.PROCESSED,
                             note=_("Order %(order)s left as a draft: %(reason)s")
                             % {"order": order.display_number, "reason": _readable(error)})
            waiting = [order for position, order in enumerate(waiting) if position not in exc.refusals]
            continue
        break


def _result(orders: list[SalesOrder]) -> HandlerResult:
    """The first order stands for the message (all of them carry ``source``)."""
    return (ORDER_DOCUMENT_TYPE, str(orders[0].pk)) if orders else None


def _line_input(item: _Resolved, quantity: Decimal, caller: Decimal | None, line_date: date | None) -> LineInput:
    return LineInput(article=item.article, quantity=quantity, packaging_level=item.packaging_level,
                     requested_date=line_date, caller_unit_price=caller,
                     customer_line_reference=item.line.line_number)


def _texts(exc: DomainError) -> list[str]:
    """A refusal's messages for people: each one a sentence that names what it is
    about (no field name)."""
    if isinstance(exc, ValidationFailed):
        return [str(text) for messages in exc.errors.values() for text in messages]
    return [str(exc.message)]


def _readable(exc: DomainError) -> str:
    return " ".join(_texts(exc))


def _problems_from(exc: DomainError, node: CustomerNode) -> list[Problem]:
    return [Problem(reason=f"{node.code}: {text}", code="order_refused") for text in _texts(exc)]


def _existing_queryset(numbers: Collection[str], partner: TradingPartner) -> QuerySet[SalesOrder]:
    """The partner's EDI orders (not cancelled) with these order numbers."""
    queryset = SalesOrder.objects.filter(origin=OrderOrigin.EDI, customer_reference__in=list(numbers))
    if partner.customer_node_id:
        root = partner.customer_node
        queryset = queryset.filter(ordering_node__path__startswith=root.path)
    return queryset.exclude(state=OrderState.CANCELLED)


def _existing(orders: Orders, partner: TradingPartner) -> list[SalesOrder]:
    return list(_existing_queryset([orders.document_number[:35]], partner).order_by("pk"))


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
        tolerance = partner.price_tolerance_percent
        try:
            for data in lines:
                line = current.pop(data.customer_line_reference, None)
                if line is None:
                    order_line_add(order, data, price_tolerance_percent=tolerance)
                elif line.article_id != data.article.pk or line.packaging_level != data.packaging_level:
                    order_line_cancel(line)
                    order_line_add(order, data, price_tolerance_percent=tolerance)
                elif (line.quantity != data.quantity
                      or (data.caller_unit_price is not None and line.caller_unit_price != data.caller_unit_price)
                      or (data.requested_date is not None and data.requested_date != line.requested_date)):
                    order_line_change(line, quantity=data.quantity if line.quantity != data.quantity else None,
                                      requested_date=data.requested_date, caller_unit_price=data.caller_unit_price,
                                      price_tolerance_percent=tolerance)
            for line in current.values():
                order_line_cancel(line)
        except ValidationFailed as exc:
            raise MessageRejected(_problems_from(exc, node)) from exc
        touched.append(order)
    for order in by_node.values():  # stores no longer in the order
        order_cancel(order, reason=_("Store left out of the replacement order."))
        touched.append(order)
    return _result(touched)
