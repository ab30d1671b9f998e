"""ORDRSP when an EDI order is confirmed, DESADV when its delivery ships.

Sales tells (``trade.sales.signals``); this module listens and builds the message from
the business documents, then hands it to ``messages_send`` (which numbers and stores it,
and transmits it once the transaction commits): the ORDRSP in the confirming transaction
(it tells the orders as confirmed, and leaves only if they are), the DESADV after the
shipment commits. Nothing is sent for an order that did not
come by EDI, or to a partner that has not agreed the message type outbound (or, for
ORDRSP, does not want it on confirmation).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from edi.eancom import parse_interchanges
from edi.eancom.messages.common import Party, Reference
from edi.eancom.messages.desadv import Desadv, DespatchLine, Package, PackingLevel, build_desadv
from edi.eancom.messages.orders import Orders, Price, parse_orders
from edi.eancom.messages.ordrsp import (
    LineAction,
    Ordrsp,
    ResponseLine,
    ResponseStatus,
    build_ordrsp,
)
from logistics.models import ExpiryKind, StockMove
from logistics.services.reservations import reserved_quantities_many
from trade.models import Company, Packaging
from trade.sales.models import Delivery, DeliveryLine, OrderOrigin, SalesOrder, SalesOrderLine
from trade.sales.services.orders import ORDER_DOCUMENT, ConfirmResult
from trade.sales.services.stock import held_units

from ..models import Direction, EdiMessage, Interchange, MessageType, OrdrspPolicy, TradingPartner
from ..selectors import message_type_agreement
from .outbound import OutboundDocument, message_send, messages_send
from .received import orders_read

logger = logging.getLogger(__name__)
SOURCE_PREFIX = "edi-message:"


def _source(order: SalesOrder) -> tuple[EdiMessage, TradingPartner] | None:
    if order.origin != OrderOrigin.EDI or not order.source.startswith(SOURCE_PREFIX):
        return None
    row = EdiMessage.objects.select_related("partner", "interchange").defer("interchange__payload").filter(
        pk=order.source.removeprefix(SOURCE_PREFIX)).first()
    if row is None or row.partner is None:
        return None
    return row, row.partner


@lru_cache(maxsize=4)
def _parsed(interchange_id: int, checksum: str):  # noqa: ANN202
    """An interchange's stored bytes, parsed once per process (its 1,000 ORDERS are
    answered one by one; the raw payload never changes, the checksum keys it)."""
    payload = Interchange.objects.filter(pk=interchange_id).values_list("payload", flat=True).get()
    return parse_interchanges(bytes(payload))


def source_orders(row: EdiMessage) -> Orders | None:
    """The ORDERS message as received: as the handler read it a moment ago in this
    process, else read again from the stored raw payload."""
    remembered = orders_read(row.pk)
    if remembered is not None:
        return remembered
    result = _parsed(row.interchange_id, row.interchange.checksum)
    if len(result.interchanges) != 1 or len(result.interchanges[0].messages) < row.position:
        return None
    return parse_orders(result.interchanges[0].messages[row.position - 1])


def _our_party() -> Party | None:
    company = Company.objects.first()
    gln = getattr(company, "gln", "") if company else ""
    return Party(role="SU", identifier=gln) if gln else None


def _gtins(article_ids: set[int]) -> dict[tuple[int, str], str]:
    rows = Packaging.objects.filter(article_id__in=article_ids).exclude(gtin="").values_list(
        "article_id", "level", "gtin")
    return {(article_id, level): gtin for article_id, level, gtin in rows}


def _line_gtin(gtins: dict[tuple[int, str], str], line: SalesOrderLine) -> str:
    if line.packaging_level:
        return gtins.get((line.article_id, line.packaging_level), "")
    return gtins.get((line.article_id, "consumer_unit"), "")


# ------------------------------------------------------------------ ORDRSP


def _confirmed_base(line: SalesOrderLine, held: dict, in_deliveries: dict[int, Decimal]) -> Decimal:
    """Base units we commit to for a line: delivered, reserved (on the order or in a
    delivery being picked); a backorder or a cut is not confirmed for the date."""
    if line.state != "open":
        return Decimal(0)
    picking = in_deliveries.get(line.pk, Decimal(0))
    return min(line.delivered_quantity + held_units(held, line) + picking, line.base_quantity)


@dataclass
class _OrderFacts:
    """What ORDRSPs read of their orders, loaded for all of them at once: lines,
    reservations, deliveries being picked, GTINs, our party."""

    lines: dict[int, list[SalesOrderLine]]
    held: dict[str, dict]
    in_deliveries: dict[int, Decimal]
    gtins: dict[tuple[int, str], str]
    ours: Party | None


def _order_facts(orders: list[SalesOrder]) -> _OrderFacts:
    ids = [order.pk for order in orders]
    by_pk = {order.pk: order for order in orders}
    lines: dict[int, list[SalesOrderLine]] = defaultdict(list)
    for line in SalesOrderLine.objects.filter(order_id__in=ids).select_related("article").defer(
            "breakdown").order_by("order_id", "position"):
        line.order = by_pk[line.order_id]
        lines[line.order_id].append(line)
    in_deliveries = dict(
        DeliveryLine.objects.filter(order_line__order_id__in=ids, delivery__state__in=("picking", "picked"))
        .values("order_line").annotate(total=Sum("quantity")).values_list("order_line", "total").order_by())
    return _OrderFacts(
        lines=lines,
        held=reserved_quantities_many(document_type=ORDER_DOCUMENT, document_ids=[str(pk) for pk in ids]),
        in_deliveries=in_deliveries,
        gtins=_gtins({line.article_id for rows in lines.values() for line in rows}),
        ours=_our_party(),
    )


def ordrsp_build(orders: list[SalesOrder], received: Orders | None, *, facts: _OrderFacts | None = None) -> Ordrsp:
    """One answer to one ORDERS message, whatever number of orders it became (one per
    store of a platform order): per buyer line number, the quantity confirmed for the
    requested date (QTY 113, summed over the stores) beside the quantity ordered
    (QTY 21, as they sent it), the action code and our net price; their lines we did
    not take are answered "not accepted". ``facts``: ``_order_facts`` of (at least)
    these orders, when the caller answers many messages at once."""
    facts = facts or _order_facts(orders)
    ordered: dict[str, Decimal] = defaultdict(Decimal)
    confirmed: dict[str, Decimal] = defaultdict(Decimal)
    sample: dict[str, SalesOrderLine] = {}
    flagged: set[str] = set()
    for order in orders:
        held = facts.held.get(str(order.pk), {})
        for line in facts.lines.get(order.pk, []):
            key = line.customer_line_reference or str(line.position)
            per_unit = line.base_units_per_unit or Decimal(1)
            ordered[key] += line.quantity
            confirmed[key] += _confirmed_base(line, held, facts.in_deliveries) / per_unit
            sample.setdefault(key, line)
            if line.caller_price_flagged:
                flagged.add(key)
    received_lines = {line.line_number: line for line in received.lines} if received is not None else {}
    keys = list(received_lines) if received_lines else list(sample)
    keys += [key for key in sample if key not in keys]
    response_lines: list[ResponseLine] = []
    for key in keys:
        line = sample.get(key)
        theirs = received_lines.get(key)
        if line is None:  # never taken (unknown article, rejected line)
            response_lines.append(ResponseLine(line_number=key, action=LineAction.NOT_ACCEPTED,
                                               gtin=theirs.gtin if theirs else "",
                                               ordered_quantity=theirs.quantity if theirs else None,
                                               confirmed_quantity=Decimal(0)))
            continue
        quantity = confirmed[key].quantize(Decimal("0.001")).normalize()
        asked = theirs.quantity if theirs is not None else ordered[key]
        if quantity == 0:
            action = LineAction.NOT_ACCEPTED
        elif quantity < asked or key in flagged:
            action = LineAction.CHANGED
        else:
            action = LineAction.ACCEPTED
        response_lines.append(ResponseLine(
            line_number=key, action=action, gtin=(theirs.gtin if theirs else "") or _line_gtin(facts.gtins, line),
            supplier_article=line.article.code, ordered_quantity=asked, confirmed_quantity=quantity,
            delivery_date=line.requested_date or line.order.requested_date,
            net_price=Price(amount=line.net_unit_price) if line.net_unit_price is not None else None,
        ))
    actions = {line.action for line in response_lines}
    if actions == {LineAction.NOT_ACCEPTED}:
        status = ResponseStatus.NOT_ACCEPTED
    elif actions == {LineAction.ACCEPTED}:
        status = ResponseStatus.ACCEPTED
    else:
        status = ResponseStatus.ACCEPTED_WITH_CHANGES
    parties = [party for party in received.parties if party.role in ("BY", "DP", "IV")] if received else []
    if facts.ours is not None:
        parties.append(facts.ours)
    first = orders[0]
    return Ordrsp(
        document_number=first.number or str(first.pk), status=status, document_date=timezone.localdate(),
        order_number=first.customer_reference, lines=tuple(response_lines),
        order_date=received.order_date if received is not None else None, delivery_date=first.requested_date,
        parties=tuple(parties), currency=(received.currency if received is not None and received.currency
                                          else "EUR"),
    )


def ordrsps_send(order_ids: Sequence[int]) -> None:
    """Answer the ORDERS messages these orders came from, each once every order it
    became is out of draft and only once (a second call finds it answered); all the
    answers to one partner leave in one interchange."""
    sources = set(SalesOrder.objects.filter(pk__in=order_ids, origin=OrderOrigin.EDI,
                                            source__startswith=SOURCE_PREFIX).values_list("source", flat=True))
    ids = [source.removeprefix(SOURCE_PREFIX) for source in sources]
    rows = _answerable([int(pk) for pk in ids if pk.isdigit()])
    orders_of: dict[int, list[SalesOrder]] = defaultdict(list)
    for order in SalesOrder.objects.filter(source__in=[f"{SOURCE_PREFIX}{pk}" for pk in rows]).order_by("pk"):
        orders_of[int(order.source.removeprefix(SOURCE_PREFIX))].append(order)
    _answer(rows, orders_of)


def ordrsp_send_for(message_id: int, order_ids: Sequence[int]) -> None:
    """Answer a received ORDERS message that changed orders it did not create (a
    replacement): the ORDRSP tells what these orders now hold, once."""
    rows = _answerable([message_id])
    _answer(rows, {message_id: list(SalesOrder.objects.filter(pk__in=order_ids).order_by("pk"))})


def _answerable(message_ids: list[int]) -> dict[int, EdiMessage]:
    """The received messages among these whose partner wants an ORDRSP on
    confirmation and that no ORDRSP answers yet."""
    rows = {row.pk: row for row in EdiMessage.objects.select_related("partner", "interchange").defer("interchange__payload").filter(
        pk__in=message_ids, partner__isnull=False)}
    wanted: dict[int, bool] = {}
    for row in rows.values():
        partner = row.partner
        if partner.pk not in wanted:
            wanted[partner.pk] = partner.ordrsp_policy == OrdrspPolicy.ON_CONFIRMATION and \
                message_type_agreement(partner, Direction.OUTBOUND, MessageType.ORDRSP) is not None
    answered = set(EdiMessage.objects.filter(
        direction=Direction.OUTBOUND, message_type=MessageType.ORDRSP, document_type="edi.EdiMessage",
        document_id__in=[str(pk) for pk in rows]).values_list("document_id", flat=True))
    return {pk: row for pk, row in rows.items() if wanted[row.partner_id] and str(pk) not in answered}


def _answer(rows: dict[int, EdiMessage], orders_of: dict[int, list[SalesOrder]]) -> None:
    """Build and send the ORDRSP of each message whose orders are all out of draft (a
    store's order waiting for a person: that message is answered when it is decided)."""
    ready = {pk: orders for pk, orders in orders_of.items()
             if pk in rows and orders and not any(o.state == "draft" for o in orders)}
    if not ready:
        return
    facts = _order_facts([order for orders in ready.values() for order in orders])
    documents: dict[int, list[OutboundDocument]] = defaultdict(list)
    for pk, orders in sorted(ready.items()):
        row = rows[pk]
        response = ordrsp_build(orders, source_orders(row), facts=facts)
        documents[row.partner_id].append(OutboundDocument(MessageType.ORDRSP, build_ordrsp(response),
                                                          "edi.EdiMessage", str(pk)))
    partners = {row.partner_id: row.partner for row in rows.values()}
    for partner_id, batch in documents.items():
        messages_send(partner=partners[partner_id], documents=batch)


# ------------------------------------------------------------------ DESADV


def desadv_build(delivery: Delivery, received: Orders | None) -> Desadv:
    """BGM 351, the order referenced (RFF+ON), the parties, one packing level for the
    shipment with one line per lot shipped: GTIN, QTY 12 (and 21 ordered), the batch
    (PIA …:NB) and its DLC (DTM 36) or DDM (DTM 361). Packing per pallet with SSCCs
    comes with the packing screens (allotment); until then the whole delivery is one
    level without package identifiers."""
    order = delivery.order
    moves = StockMove.objects.filter(document_type="sales.delivery", document_id=delivery.number) \
        .select_related("lot").order_by("document_line", "pk")
    lines = {str(line.pk): line for line in delivery.lines.select_related("order_line__article")}
    shipped: dict[tuple[str, int | None, int], Decimal] = defaultdict(Decimal)
    lots = {}
    for move in moves:
        key = (move.document_line, move.lot_id, move.article_id)
        shipped[key] += move.quantity
        lots[move.lot_id] = move.lot
    gtins = _gtins({article_id for _line, _lot, article_id in shipped})
    despatch: list[DespatchLine] = []
    for (line_key, lot_id, article_id), quantity in shipped.items():
        delivery_line = lines.get(line_key)
        order_line = delivery_line.order_line if delivery_line else None
        lot = lots.get(lot_id)
        expiry = lot.expiry_date if lot is not None else None
        despatch.append(DespatchLine(
            line_number=(order_line.customer_line_reference or str(order_line.position)) if order_line else line_key,
            quantity=quantity, gtin=gtins.get((article_id, "consumer_unit"), ""),
            supplier_article=order_line.article.code if order_line and order_line.article_id == article_id else "",
            ordered_quantity=order_line.base_quantity if order_line and order_line.article_id == article_id else None,
            batch_number=lot.number if lot is not None else "",
            expiry_date=expiry if lot is not None and lot.expiry_kind == ExpiryKind.DLC else None,
            best_before_date=expiry if lot is not None and lot.expiry_kind == ExpiryKind.DDM else None,
        ))
    parties = []
    if received is not None:
        parties = [party for party in received.parties if party.role in ("BY", "DP")]
    ours = _our_party()
    if ours is not None:
        parties.append(ours)
    units = delivery.lines.aggregate(total=Sum("shipped_quantity"))["total"] or 0
    return Desadv(
        document_number=delivery.number, document_date=timezone.localdate(),
        despatch_date=delivery.shipped_at or timezone.now(), estimated_delivery=delivery.planned_date,
        references=(Reference("ON", order.customer_reference),),
        parties=tuple(parties),
        packing=(PackingLevel(hierarchy_id="1", packages=(Package(quantity=1, package_type="201"),),
                              lines=tuple(despatch)),) if units else (),
    )


def desadv_send(delivery_id: int) -> None:
    delivery = Delivery.objects.select_related("order").get(pk=delivery_id)
    source = _source(delivery.order)
    if source is None:
        return
    row, partner = source
    if message_type_agreement(partner, Direction.OUTBOUND, MessageType.DESADV) is None:
        return
    advice = desadv_build(delivery, source_orders(row))
    message_send(partner=partner, message_type=MessageType.DESADV, body=build_desadv(advice),
                 document_type="sales.Delivery", document_id=str(delivery.pk))


# ------------------------------------------------------------------ listeners


def after_commit(function, *args) -> None:  # noqa: ANN001
    """Run ``function(*args)`` in a transaction of its own once the current one
    commits; a failure is logged, never raised (the business change stands)."""
    def run() -> None:
        try:
            with transaction.atomic():
                function(*args)
        except Exception:  # noqa: BLE001 — the order is confirmed whatever happens to its answer
            logger.exception("EDI answer %s%s failed", function.__name__, args)

    transaction.on_commit(run)


def answer_now(function, *args) -> None:  # noqa: ANN001
    """Build and queue an answer now, in the transaction of the change it answers (so
    it tells the state of that moment, and leaves only if that commits: the transport
    starts after the commit), in a savepoint of its own: a failure is logged, never
    raised (the business change stands)."""
    try:
        with transaction.atomic():
            function(*args)
    except Exception:  # noqa: BLE001 — the order is confirmed whatever happens to its answer
        logger.exception("EDI answer %s%s failed", function.__name__, args)


def on_orders_confirmed(sender, results: list[ConfirmResult], **kwargs) -> None:  # noqa: ANN001, ANN003
    # In the confirming transaction: an order replaced later in the same batch is
    # answered as it was confirmed, not as the replacement left it.
    ids = [result.order.pk for result in results if result.order.origin == OrderOrigin.EDI]
    if ids:
        answer_now(ordrsps_send, ids)


def on_delivery_shipped(sender, delivery: Delivery, **kwargs) -> None:  # noqa: ANN001, ANN003
    if delivery.order.origin == OrderOrigin.EDI:
        after_commit(desadv_send, delivery.pk)
