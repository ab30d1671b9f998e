"""What quotes, orders and deliveries share: parties resolved from the hierarchy,
line checks, pricing through the engine, the transition table and the history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.bulk import instances_insert, instances_update
from comptoir.exceptions import InvalidTransition, ValidationFailed
from comptoir.money import QUANTITY_PLACES, round_amount
from pricing.engine import PricedLine as PricedLineResult
from pricing.selectors import BasketLine, BasketRequest, price_baskets
from trade.models import Article, CustomerNode, DeliveryMode, NodeKind, Packaging, PackagingLevel
from trade.selectors import EffectiveSettings, customer_node_effective_settings

from ..models import DeliveryState, OrderState, PricedLine, QuoteState, SalesEvent

# One transition table per document: state → the states it may go to.
ORDER_TRANSITIONS: dict[str, set[str]] = {
    OrderState.DRAFT: {OrderState.CONFIRMED, OrderState.CANCELLED},
    OrderState.CONFIRMED: {OrderState.PARTIALLY_DELIVERED, OrderState.DELIVERED, OrderState.CANCELLED,
                           OrderState.CLOSED},
    OrderState.PARTIALLY_DELIVERED: {OrderState.DELIVERED, OrderState.CLOSED},
    OrderState.DELIVERED: {OrderState.CLOSED},
    OrderState.CLOSED: set(),
    OrderState.CANCELLED: set(),
}
QUOTE_TRANSITIONS: dict[str, set[str]] = {
    QuoteState.DRAFT: {QuoteState.SENT},
    QuoteState.SENT: {QuoteState.ACCEPTED, QuoteState.REFUSED, QuoteState.EXPIRED},
    QuoteState.ACCEPTED: set(),
    QuoteState.REFUSED: set(),
    QuoteState.EXPIRED: set(),
}
DELIVERY_TRANSITIONS: dict[str, set[str]] = {
    DeliveryState.PICKING: {DeliveryState.PICKED, DeliveryState.SHIPPED, DeliveryState.CANCELLED},
    DeliveryState.PICKED: {DeliveryState.SHIPPED, DeliveryState.CANCELLED, DeliveryState.PICKING},
    DeliveryState.SHIPPED: set(),
    DeliveryState.CANCELLED: set(),
}
PricedLineT = TypeVar("PricedLineT", bound=PricedLine)

_TABLES = {"quote": QUOTE_TRANSITIONS, "order": ORDER_TRANSITIONS, "delivery": DELIVERY_TRANSITIONS}


def _user(user):  # noqa: ANN001, ANN202
    return user if getattr(user, "is_authenticated", False) else None


def event_record(document: Model, *, kind: str, message: str = "", user=None,  # noqa: ANN001
                 from_state: str = "", to_state: str = "", data: dict | None = None,
                 pending: list[SalesEvent] | None = None) -> SalesEvent:
    """Record an event of a document. ``pending``: a list the service saves at once
    with ``events_save`` before it returns (one INSERT for all its events, in the
    order recorded) instead of one INSERT here."""
    key = document._meta.model_name.replace("sales", "")  # quote, order, delivery
    event = SalesEvent(**{key: document}, kind=kind, message=message, user=_user(user),
                       from_state=from_state, to_state=to_state, data=data or {})
    if pending is None:
        event.save(force_insert=True)
    else:
        pending.append(event)
    return event


def events_save(pending: list[SalesEvent]) -> None:
    """Save the events ``event_record`` kept in ``pending``, in their order (their
    time is the time they are saved: the history orders them by time then id)."""
    if pending:
        SalesEvent.objects.bulk_create(pending)
        pending.clear()


def transition(document: Model, to_state: str, *, user=None, message: str = "",  # noqa: ANN001
               save_fields: Sequence[str] = (), pending: list[SalesEvent] | None = None) -> None:
    """Move a (locked) document to ``to_state`` if its table allows it, and record it.
    ``save_fields``: other fields the caller has set, saved in the same UPDATE;
    ``pending``: as for ``event_record``."""
    key = document._meta.model_name.replace("sales", "")
    from_state = document.state
    if to_state not in _TABLES[key][from_state]:
        raise InvalidTransition(
            _("%(document)s %(number)s cannot go from “%(from)s” to “%(to)s”.") % {
                "document": document._meta.verbose_name, "number": getattr(document, "display_number", document),
                "from": document.get_state_display(),
                "to": dict(document._meta.get_field("state").choices)[to_state]},
            from_state=from_state, to_state=to_state,
        )
    document.state = to_state
    document.save(update_fields=list(dict.fromkeys(
        ["state", *save_fields, *(["updated_at"] if hasattr(document, "updated_at") else [])])))
    event_record(document, kind=SalesEvent.Kind.TRANSITION, user=user, from_state=from_state, to_state=to_state,
                 message=message, pending=pending)



def transitions(documents: Sequence[Model], to_state: str, *, user=None, message: str = "",  # noqa: ANN001
                save_fields: Sequence[str] = (), pending: list[SalesEvent] | None = None) -> None:
    """``transition`` of many (locked) documents of one kind, saved in one UPDATE."""
    if not documents:
        return
    model = type(documents[0])
    key = model._meta.model_name.replace("sales", "")
    moves = []
    for document in documents:
        if to_state not in _TABLES[key][document.state]:
            transition(document, to_state)  # raises the same refusal
        moves.append((document, document.state))
        document.state = to_state
    fields = list(dict.fromkeys(["state", *save_fields, *(["updated_at"] if hasattr(documents[0], "updated_at")
                                                          else [])]))
    if "updated_at" in fields:
        now = timezone.now()
        for document in documents:
            document.updated_at = now
    instances_update(model, documents, fields)
    for document, from_state in moves:
        event_record(document, kind=SalesEvent.Kind.TRANSITION, user=user, from_state=from_state,
                     to_state=to_state, message=message, pending=pending)

# ---------------------------------------------------------------- parties


@dataclass(frozen=True)
class Parties:
    ordering_node: CustomerNode
    delivery_node: CustomerNode
    invoicing_node: CustomerNode
    salesperson: object | None
    # The ordering node's effective settings, read here once: callers reuse them.
    settings: EffectiveSettings | None = None


def parties_resolve(ordering_node: CustomerNode, *, delivery_node: CustomerNode | None = None,
                    invoicing_node: CustomerNode | None = None,
                    settings: EffectiveSettings | None = None) -> Parties:
    """Delivery and invoicing nodes from the hierarchy (either can be given instead):
    a store delivered via its platform is delivered to the nearest platform above it;
    the invoiced node is the inherited one (the node itself by default). ``settings``:
    the ordering node's effective settings when the caller has read them."""
    settings = settings or customer_node_effective_settings(ordering_node)
    if delivery_node is None:
        delivery_node = ordering_node
        if settings.value("delivery_mode") == DeliveryMode.VIA_PLATFORM:
            # The ancestors the settings were resolved from, read just now: no second read.
            platforms = [node for node in settings.ancestors if node.kind == NodeKind.PLATFORM]
            nearest = max(platforms, key=lambda node: node.depth, default=None)
            delivery_node = nearest or ordering_node
    if invoicing_node is None:
        invoicing_node = settings.value("invoicing_node") or ordering_node
    return Parties(ordering_node, delivery_node, invoicing_node, settings.value("salesperson"), settings)


def blocked_nodes(nodes: Iterable[CustomerNode], *,
                  read: Mapping[int, CustomerNode] | None = None) -> list[CustomerNode]:
    """The nodes (or their ancestors) that are blocked or inactive: one query, none
    when ``read`` (rows read in this transaction, e.g. ``EffectiveSettings.lineage_read``)
    holds every node and ancestor concerned."""
    nodes = list(nodes)
    ids = {pk for node in nodes for pk in node.lineage_ids}
    own = {node.pk for node in nodes}
    if read is not None and ids <= read.keys():
        flags = [(pk, read[pk].is_blocked, read[pk].is_active) for pk in ids]
    else:
        rows = CustomerNode.objects.filter(Q(pk__in=ids, is_blocked=True) | Q(pk__in=own, is_active=False))
        flags = list(rows.values_list("pk", "is_blocked", "is_active"))
    bad = {pk for pk, blocked, _active in flags if blocked}
    inactive = {pk for pk, _blocked, active in flags if not active and pk in own}
    return [node for node in nodes if inactive & {node.pk} or bad & set(node.lineage_ids)]


def customer_check(*nodes: CustomerNode, read: Mapping[int, CustomerNode] | None = None) -> None:
    """Refuse blocked or inactive customers (``read``: as for ``blocked_nodes``)."""
    refused = blocked_nodes(nodes, read=read)
    if refused:
        raise ValidationFailed({"customer": [
            _("Customer %(node)s is blocked (or under a blocked node) or inactive: it cannot order.")
            % {"node": node} for node in dict.fromkeys(refused)
        ]})


# ---------------------------------------------------------------- lines


@dataclass(frozen=True)
class LineInput:
    """One line as keyed or received: ``quantity`` in ``packaging_level`` ('' = the
    article's base unit)."""

    article: Article
    quantity: Decimal
    packaging_level: str = ""
    requested_date: date | None = None
    caller_unit_price: Decimal | None = None
    customer_line_reference: str = ""
    quoted_unit_price: Decimal | None = None  # from an accepted quote: kept whatever the engine says


def line_label(position: int, article: Article | None) -> str:
    if article is None:
        return _("Line %(position)s") % {"position": position}
    return _("Line %(position)s (%(article)s)") % {"position": position, "article": article.code}


def packaging_sizes(article_ids: Iterable[int]) -> dict[tuple[int, str], Decimal]:
    """Base units per packaging: {(article id, level): quantity}, in one query."""
    return {(article_id, level): quantity for article_id, level, quantity
            in Packaging.objects.filter(article_id__in=set(article_ids)).order_by()
            .values_list("article_id", "level", "quantity")}


def lines_check(lines: Sequence[tuple[int, LineInput]], *, ordering_node: CustomerNode,
                today: date | None = None, settings: EffectiveSettings | None = None,
                packagings: Mapping[tuple[int, str], Decimal] | None = None,
                ) -> dict[tuple[int, str], Decimal]:
    """Check lines before anything is saved; every fault names its line and reason.
    Returns the base units per unit of each (article, packaging level). ``settings``:
    the ordering node's effective settings when the caller has them already;
    ``packagings``: ``packaging_sizes`` of (at least) the lines' articles, likewise."""
    today = today or timezone.localdate()
    errors: list[str] = []
    if packagings is None:
        packagings = packaging_sizes(line.article.pk for _position, line in lines)
    settings = settings or customer_node_effective_settings(ordering_node)
    full_cases = bool(settings.value("full_cases_only"))
    sizes: dict[tuple[int, str], Decimal] = {}
    for position, line in lines:
        label = line_label(position, line.article)
        article = line.article
        if line.quantity is None or line.quantity <= 0:
            errors.append(_("%(line)s: the quantity must be more than zero.") % {"line": label})
            continue
        if not article.is_sellable:
            errors.append(_("%(line)s: the article is blocked.") % {"line": label})
            continue
        level = line.packaging_level or ""
        if level and (article.pk, level) not in packagings:
            errors.append(_("%(line)s: the article has no “%(level)s” packaging.")
                          % {"line": label, "level": PackagingLevel(level).label})
            continue
        per_unit = packagings[(article.pk, level)] if level else Decimal(1)
        sizes[(article.pk, level)] = per_unit
        if line.requested_date is not None and line.requested_date < today:
            errors.append(_("%(line)s: the requested date %(date)s is in the past.")
                          % {"line": label, "date": line.requested_date.strftime("%d/%m/%Y")})
        case = packagings.get((article.pk, PackagingLevel.CASE))
        base = line.quantity * per_unit
        if full_cases and case and level in ("", PackagingLevel.CONSUMER_UNIT) and base % case:
            errors.append(_("%(line)s: this customer orders full cases only: %(quantity)s is not a multiple "
                            "of %(case)s.") % {"line": label, "quantity": _q(base), "case": _q(case)})
        if base != base.quantize(Decimal("0.001")):
            errors.append(_("%(line)s: too many decimals in the quantity.") % {"line": label})
    if errors:
        raise ValidationFailed({"lines": errors})
    return sizes


def _q(value: Decimal) -> str:
    return f"{value.normalize():f}"


def date_check(requested_date: date | None, *, today: date | None = None) -> None:
    today = today or timezone.localdate()
    if requested_date is None:
        raise ValidationFailed({"requested_date": [_("A requested delivery date is required.")]})
    if requested_date < today:
        raise ValidationFailed({"requested_date": [
            _("The requested delivery date %(date)s is in the past.") % {"date": requested_date.strftime("%d/%m/%Y")}
        ]})


def lines_price(lines: Sequence[PricedLine], *, node: CustomerNode, on_date: date,
                settings: EffectiveSettings | None = None) -> dict[int, Decimal | None]:
    """Price saved-or-not lines through the engine in one basket and write the
    snapshot on each; returns each line's previous net unit price (by position).
    ``settings``: the node's effective settings when the caller has them."""
    return lines_price_many([PricingGroup(lines, node, settings)], on_date=on_date)[0]


@dataclass(frozen=True)
class PricingGroup:
    """The lines of one document, priced for ``node`` (``settings``: its effective
    settings when the caller has them)."""

    lines: Sequence[PricedLine]
    node: CustomerNode
    settings: EffectiveSettings | None = None


def lines_price_many(groups: Sequence[PricingGroup], *, on_date: date) -> list[dict[int, Decimal | None]]:
    """``lines_price`` of many documents at once (one engine run, a fixed number of
    queries whatever the number of documents); one answer per group, in order."""
    requests = [BasketRequest(node=group.node, settings=group.settings, lines=[
        BasketLine(line_id=line.position, article_id=line.article_id, quantity=line.quantity,
                   packaging_level=line.packaging_level) for line in group.lines]) for group in groups if group.lines]
    results = iter(price_baskets(requests, on_date=on_date)) if requests else iter(())
    answers: list[dict[int, Decimal | None]] = []
    for group in groups:
        if not group.lines:
            answers.append({})
            continue
        priced = {p.line_id: p for p in next(results).lines}
        answers.append(_snapshot_write(group.lines, priced, on_date))
    return answers


def _snapshot_write(lines: Sequence[PricedLine], priced: Mapping[int | str, PricedLineResult],
                    on_date: date) -> dict[int, Decimal | None]:
    before: dict[int, Decimal | None] = {}
    for line in lines:
        before[line.position] = line.net_unit_price
        p = priced.get(line.position)
        line.priced_on = on_date
        if p is None:  # no gross price: the line stays unpriced and says so
            line.gross_unit_price = line.net_unit_price = line.cost_unit_price = line.margin_amount = None
            line.line_amount = Decimal(0)
            line.free_base_quantity = Decimal(0)
            line.breakdown = {"unpriced": True}
            continue
        line.gross_unit_price = p.gross_unit_price
        line.net_unit_price = p.net_unit_price
        line.line_amount = p.line_amount
        line.cost_unit_price = p.cost_unit_price
        line.margin_amount = p.margin_amount
        line.free_base_quantity = p.free_base_quantity
        line.breakdown = p.to_breakdown()
        quoted = getattr(line, "quoted_unit_price", None)
        if quoted is not None:  # an accepted quote is a promise: its net price holds
            amount = round_amount(quoted * line.quantity)
            line.breakdown["quote"] = {"net_unit_price": str(quoted), "engine_net_unit_price": str(p.net_unit_price)}
            if line.margin_amount is not None:
                line.margin_amount = round_amount(line.margin_amount + amount - line.line_amount)
            line.net_unit_price, line.line_amount = quoted, amount
    return before


def priced_lines_insert(model: type[PricedLineT], rows: Sequence[PricedLineT]) -> Sequence[PricedLineT]:
    """Insert priced lines (order or quote lines) and give each its id: a ``COPY`` on
    PostgreSQL (``comptoir.bulk.instances_insert``). ``bulk_create`` would compile
    every line's kilobyte of JSON breakdown into the statement: as long as pricing
    the lines for an order, seconds for an EDI interchange's thousand orders."""
    return instances_insert(model, rows)


def line_fill(line: PricedLine, data: LineInput, *, position: int, per_unit: Decimal) -> PricedLine:
    article = data.article
    line.position = position
    line.article = article
    line.packaging_level = data.packaging_level or ""
    # Written as the column stores it ("2" → "2.000", same value): the snapshot priced
    # now then equals the one priced again from the saved line at confirmation.
    exact = data.quantity.quantize(QUANTITY_PLACES)
    line.quantity = exact if exact == data.quantity else data.quantity
    line.unit = data.packaging_level or article.base_unit
    line.base_units_per_unit = per_unit
    line.base_quantity = data.quantity * per_unit
    line.requested_date = data.requested_date
    line.vat_rate = Decimal(article.vat_rate)
    line.caller_unit_price = data.caller_unit_price
    if hasattr(line, "customer_line_reference"):
        line.customer_line_reference = data.customer_line_reference
    if hasattr(line, "quoted_unit_price"):
        line.quoted_unit_price = data.quoted_unit_price
    return line


def unpriced_check(lines: Sequence[PricedLine]) -> None:
    missing = [line for line in lines if line.net_unit_price is None]
    if missing:
        raise ValidationFailed({"lines": [
            _("%(line)s: no price for this customer (no price list line valid on the date).")
            % {"line": line_label(line.position, line.article)} for line in missing
        ]})


def caller_price_off(line: PricedLine, *, tolerance_percent: Decimal = Decimal(0)) -> bool:
    """Does the price the customer sent differ from ours by more than the tolerance
    (in % of ours)? An unpriced line with a customer price is off."""
    if line.caller_unit_price is None:
        return False
    if line.net_unit_price is None:
        return True
    gap = abs(line.caller_unit_price - line.net_unit_price)
    return gap > line.net_unit_price * tolerance_percent / 100
