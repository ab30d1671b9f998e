"""Input and output serializers of the sales API.

Output serializers are read-only views of quotes, orders, deliveries and their
history; decimals are strings. Input serializers validate the request and resolve
what the caller names (customer nodes by id, code or GLN; articles by id, code or
GTIN; the warehouse by id or code) into the services' inputs (``LineInput``). They
write nothing: ``trade.sales.services`` does every write and every business check.

A line whose article cannot be found never reaches the service, so it is reported
here, together with every other bad line (wrong fields, and what the service's line
check refuses: blocked article, quantity ≤ 0, not a full case, a past date…): one
400 names all the bad lines and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from comptoir.exceptions import ValidationFailed
from comptoir.identifiers import compact_digits
from comptoir.money import QUANTITY_FIELD, UNIT_PRICE_FIELD
from logistics.models import Warehouse
from pricing.api.serializers import PriceBreakdownSerializer, PriceUnitField, named_choice_field
from trade.api.serializers import NodeRefSerializer, PermissionGatedFieldsMixin
from trade.models import Article, BackorderPolicy, CustomerNode
from trade.selectors import article_by_gtin

from ..models import (
    Delivery,
    DeliveryLine,
    DeliveryState,
    LineState,
    OrderOrigin,
    OrderState,
    PricedLine,
    Quote,
    QuoteLine,
    QuoteState,
    SalesEvent,
    SalesOrder,
    SalesOrderLine,
)
from ..services import LineInput
from ..services.common import line_label, lines_check
from ..services.stock import held_units

ORDER_MAX_LINES = 2_000
UNPLACED = 10**9  # sorts a message naming no known line last
# Cost, margin and the price breakdown (which carries both) are shown to the roles
# that may read price lists; the warehouse sees what it ships, not what it earns.
PRICE_DETAIL_PERMISSION = "pricing.view_pricelistitem"

OrderStateField = named_choice_field("OrderStateEnum", OrderState.choices)
OrderOriginField = named_choice_field("OrderOriginEnum", OrderOrigin.choices)
OrderLineStateField = named_choice_field("OrderLineStateEnum", LineState.choices)
OrderBackorderPolicyField = named_choice_field(
    "OrderBackorderPolicyEnum", [("", gettext_lazy("not confirmed yet")), *BackorderPolicy.choices]
)
DeliveryStateField = named_choice_field("DeliveryStateEnum", DeliveryState.choices)
SalesQuoteStateField = named_choice_field("SalesQuoteStateEnum", QuoteState.choices)
SalesEventKindField = named_choice_field("SalesEventKindEnum", SalesEvent.Kind.choices)


def _quantity(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(**QUANTITY_FIELD, read_only=True, **kwargs)


def _unit_price(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(**UNIT_PRICE_FIELD, read_only=True, **kwargs)


def _username(source: str) -> serializers.CharField:
    return serializers.CharField(source=source, read_only=True, allow_null=True)


@extend_schema_field(PriceBreakdownSerializer(allow_null=True))
class BreakdownField(serializers.Field):
    """The pricing engine's snapshot as stored on the line; null when unpriced."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        if not value or value.get("unpriced"):
            return None
        return value


# --------------------------------------------------------------------------- output: lines


class PricedLineSerializer(PermissionGatedFieldsMixin, serializers.ModelSerializer):
    """What quote and order lines share: the article, the quantity in the unit
    ordered and in base units, the price snapshot and the caller's price (compared
    with ours, never used)."""

    gated_fields = {
        "cost_unit_price": PRICE_DETAIL_PERMISSION,
        "margin_amount": PRICE_DETAIL_PERMISSION,
        "breakdown": PRICE_DETAIL_PERMISSION,
    }

    article_code = serializers.CharField(source="article.code", read_only=True)
    article_designation = serializers.CharField(source="article.designation", read_only=True)
    packaging_level = PriceUnitField(read_only=True)
    cost_unit_price = _unit_price(allow_null=True, required=False)
    margin_amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, allow_null=True, required=False
    )
    breakdown = BreakdownField(
        required=False,
        help_text="How the line was priced (gross, the six levels with their sources, net, "
        "free goods, margin, flags); null when no price was found.",
    )
    caller_price_differs = serializers.BooleanField(
        read_only=True, help_text="The caller sent a unit price and it is not ours."
    )
    caller_price_flagged = serializers.BooleanField(
        read_only=True,
        help_text="The caller's price is off ours beyond the tolerance agreed (none through the API).",
    )
    caller_price_difference = serializers.SerializerMethodField(
        help_text="caller_unit_price − net_unit_price, when the caller sent a price."
    )

    class Meta:
        model: type[PricedLine] = QuoteLine
        fields: tuple[str, ...] = (
            "id",
            "position",
            "article",
            "article_code",
            "article_designation",
            "packaging_level",
            "quantity",
            "unit",
            "base_units_per_unit",
            "base_quantity",
            "free_base_quantity",
            "requested_date",
            "gross_unit_price",
            "net_unit_price",
            "line_amount",
            "vat_rate",
            "cost_unit_price",
            "margin_amount",
            "priced_on",
            "breakdown",
            "caller_unit_price",
            "caller_price_differs",
            "caller_price_flagged",
            "caller_price_difference",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(**UNIT_PRICE_FIELD, allow_null=True))
    def get_caller_price_difference(self, line: PricedLine) -> str | None:
        if line.caller_unit_price is None or line.net_unit_price is None:
            return None
        return format(line.caller_unit_price - line.net_unit_price, "f")


class SalesQuoteLineSerializer(PricedLineSerializer):
    class Meta(PricedLineSerializer.Meta):
        model = QuoteLine


class SalesOrderLineSerializer(PricedLineSerializer):
    """An order line. Base-unit counts (kits for a kit line): ``base_quantity`` ordered,
    ``free_base_quantity`` free goods, ``delivered_quantity``, ``cut_quantity`` (short
    and not kept as backorder), ``remaining_quantity`` (to ship still) and
    ``reserved_quantity`` (held in stock by the order, not yet handed to a delivery)."""

    order = serializers.IntegerField(source="order_id", read_only=True)
    state = OrderLineStateField(read_only=True)
    remaining_quantity = _quantity(source="remaining")
    reserved_quantity = serializers.SerializerMethodField(
        help_text="Base units the order holds for the line in stock (null when not asked)."
    )
    price_changed = serializers.BooleanField(
        read_only=True, help_text="Confirmation found another net price than when keyed."
    )

    class Meta(PricedLineSerializer.Meta):
        model = SalesOrderLine
        fields = (
            *PricedLineSerializer.Meta.fields[:3],
            "order",
            "state",
            *PricedLineSerializer.Meta.fields[3:],
            "keyed_net_unit_price",
            "price_changed",
            "customer_line_reference",
            "delivered_quantity",
            "cut_quantity",
            "remaining_quantity",
            "reserved_quantity",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(**QUANTITY_FIELD, allow_null=True))
    def get_reserved_quantity(self, line: SalesOrderLine) -> str | None:
        held = self.context.get("held")
        if held is None:
            return None
        return format(held_units(held, line), "f")


# --------------------------------------------------------------------------- output: history


class SalesEventSerializer(serializers.ModelSerializer):
    kind = SalesEventKindField(read_only=True)
    user = _username("user.username")

    class Meta:
        model = SalesEvent
        fields = ("id", "at", "kind", "from_state", "to_state", "message", "data", "user")
        read_only_fields = fields


# --------------------------------------------------------------------------- output: documents


class SalesDocumentSerializer(serializers.ModelSerializer):
    ordering_node = NodeRefSerializer(read_only=True)
    delivery_node = NodeRefSerializer(read_only=True)
    invoicing_node = NodeRefSerializer(read_only=True)
    salesperson = _username("salesperson.username")
    created_by = _username("created_by.username")

    class Meta:
        model: type[Quote | SalesOrder] = SalesOrder
        fields: tuple[str, ...] = (
            "id",
            "number",
            "state",
            "ordering_node",
            "delivery_node",
            "invoicing_node",
            "customer_reference",
            "requested_date",
            "salesperson",
            "notes",
            "total_amount",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class DeliveryRefSerializer(serializers.ModelSerializer):
    state = DeliveryStateField(read_only=True)

    class Meta:
        model = Delivery
        fields = ("id", "number", "state", "planned_date", "shipped_at")
        read_only_fields = fields


class SalesOrderSerializer(SalesDocumentSerializer):
    """An order as listed. ``is_late``: confirmed or partly delivered, and its
    requested date has passed."""

    state = OrderStateField(read_only=True)
    origin = OrderOriginField(read_only=True)
    backorder_policy = OrderBackorderPolicyField(read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    is_late = serializers.SerializerMethodField()

    class Meta(SalesDocumentSerializer.Meta):
        model = SalesOrder
        fields = (
            *SalesDocumentSerializer.Meta.fields[:3],
            "origin",
            "source",
            *SalesDocumentSerializer.Meta.fields[3:],
            "warehouse",
            "warehouse_code",
            "quote",
            "confirmed_at",
            "backorder_policy",
            "is_late",
        )
        read_only_fields = fields

    def get_is_late(self, order: SalesOrder) -> bool:
        return order.is_open and order.requested_date < timezone.localdate()


class SalesOrderDetailSerializer(SalesOrderSerializer):
    """An order with its lines, history and deliveries. ``caller_price_mismatches``
    lists the positions of the lines flagged because the caller's price is not ours."""

    lines = SalesOrderLineSerializer(many=True, read_only=True)
    events = SalesEventSerializer(many=True, read_only=True)
    deliveries = DeliveryRefSerializer(many=True, read_only=True)
    caller_price_mismatches = serializers.SerializerMethodField()

    class Meta(SalesOrderSerializer.Meta):
        fields = (
            *SalesOrderSerializer.Meta.fields,
            "caller_price_mismatches",
            "lines",
            "deliveries",
            "events",
        )
        read_only_fields = fields

    def get_caller_price_mismatches(self, order: SalesOrder) -> list[int]:
        return [line.position for line in order.lines.all() if line.caller_price_flagged]


class SalesQuoteSerializer(SalesDocumentSerializer):
    state = SalesQuoteStateField(read_only=True)
    order = serializers.SerializerMethodField(
        help_text="The order made of the quote, once accepted."
    )

    class Meta(SalesDocumentSerializer.Meta):
        model = Quote
        fields = (*SalesDocumentSerializer.Meta.fields, "valid_until", "sent_at", "order")
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_order(self, quote: Quote) -> int | None:
        order = getattr(quote, "order", None)
        return order.pk if order is not None else None


class SalesQuoteDetailSerializer(SalesQuoteSerializer):
    lines = SalesQuoteLineSerializer(many=True, read_only=True)
    events = SalesEventSerializer(many=True, read_only=True)

    class Meta(SalesQuoteSerializer.Meta):
        fields = (*SalesQuoteSerializer.Meta.fields, "lines", "events")
        read_only_fields = fields


class PriceChangeSerializer(serializers.Serializer):
    line = serializers.IntegerField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    article_code = serializers.CharField(read_only=True)
    keyed_net_unit_price = _unit_price(help_text="The net price when the line was keyed.")
    net_unit_price = _unit_price(help_text="The net price at confirmation (the one kept).")


class ShortLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    article_code = serializers.CharField(read_only=True)
    short_quantity = _quantity(help_text="Base units (kits for a kit line) not reserved.")
    reason = serializers.CharField(read_only=True, help_text="Why, for people: “12 no stock”.")
    cut = serializers.BooleanField(
        read_only=True, help_text="Cut (the customer's rule) rather than kept as backorder."
    )


class ConfirmResultSerializer(serializers.Serializer):
    """The confirmed order, the lines whose price moved since keying, and the lines
    not fully reserved with the reason."""

    order = SalesOrderDetailSerializer(read_only=True)
    price_changes = PriceChangeSerializer(many=True, read_only=True)
    short_lines = ShortLineSerializer(many=True, read_only=True)


class BackordersResultSerializer(serializers.Serializer):
    order = SalesOrderDetailSerializer(read_only=True)
    short_lines = ShortLineSerializer(many=True, read_only=True)


def short_lines_data(
    order: SalesOrder, short_lines: Sequence[tuple[SalesOrderLine, Decimal, str]]
) -> list[dict[str, Any]]:
    cut = order.backorder_policy == BackorderPolicy.CUT
    return [
        {
            "line": line.pk,
            "position": line.position,
            "article_code": line.article.code,
            "short_quantity": short,
            "reason": reason,
            "cut": cut,
        }
        for line, short, reason in short_lines
    ]


def price_changes_data(lines: Sequence[SalesOrderLine]) -> list[dict[str, Any]]:
    return [
        {
            "line": line.pk,
            "position": line.position,
            "article_code": line.article.code,
            "keyed_net_unit_price": line.keyed_net_unit_price,
            "net_unit_price": line.net_unit_price,
        }
        for line in lines
    ]


# --------------------------------------------------------------------------- output: deliveries


class DeliveryLineSerializer(serializers.ModelSerializer):
    """Quantities in base units (kits for a kit line). ``picked_quantity`` is null until
    picking is recorded; ``short_quantity`` is what picking did not find."""

    position = serializers.IntegerField(source="order_line.position", read_only=True)
    article_code = serializers.CharField(source="article.code", read_only=True)
    article_designation = serializers.CharField(source="article.designation", read_only=True)
    short_quantity = _quantity()

    class Meta:
        model = DeliveryLine
        fields = (
            "id",
            "order_line",
            "position",
            "article",
            "article_code",
            "article_designation",
            "quantity",
            "picked_quantity",
            "shipped_quantity",
            "short_quantity",
        )
        read_only_fields = fields


class PickingRowSerializer(serializers.Serializer):
    """Where to take what, in the warehouse's picking order, with the lot (and its
    DLC/DDM) or serial reserved; before shipping from the reservations, after it from
    the stock moves. For a kit stocked as components, ``article`` is the component
    and ``kit_article_code`` the kit ordered."""

    delivery_line = serializers.IntegerField(read_only=True)
    position = serializers.IntegerField(read_only=True, help_text="The order line's number.")
    location = serializers.IntegerField(read_only=True)
    location_code = serializers.CharField(read_only=True)
    article = serializers.IntegerField(read_only=True)
    article_code = serializers.CharField(read_only=True)
    article_designation = serializers.CharField(read_only=True)
    kit_article_code = serializers.CharField(read_only=True, allow_null=True)
    lot_number = serializers.CharField(read_only=True, allow_null=True)
    expiry_date = serializers.DateField(read_only=True, allow_null=True)
    serial_number = serializers.CharField(read_only=True, allow_null=True)
    quantity = _quantity(help_text="Base units.")


class DeliverySerializer(serializers.ModelSerializer):
    state = DeliveryStateField(read_only=True)
    order_number = serializers.CharField(source="order.number", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    delivery_node = NodeRefSerializer(read_only=True)
    created_by = _username("created_by.username")

    class Meta:
        model = Delivery
        fields: tuple[str, ...] = (
            "id",
            "number",
            "state",
            "order",
            "order_number",
            "warehouse",
            "warehouse_code",
            "delivery_node",
            "planned_date",
            "shipped_at",
            "created_by",
            "created_at",
        )
        read_only_fields = fields


class DeliveryDetailSerializer(DeliverySerializer):
    """A delivery with its lines, its picking list and its history."""

    lines = DeliveryLineSerializer(many=True, read_only=True)
    picking_list = serializers.SerializerMethodField()
    events = SalesEventSerializer(many=True, read_only=True)

    class Meta(DeliverySerializer.Meta):
        fields = (*DeliverySerializer.Meta.fields, "lines", "picking_list", "events")
        read_only_fields = fields

    @extend_schema_field(PickingRowSerializer(many=True))
    def get_picking_list(self, delivery: Delivery) -> list[dict[str, Any]]:
        rows = self.context.get("picking_rows", [])
        return PickingRowSerializer(rows, many=True).data


# --------------------------------------------------------------------------- input: naming things


def _node_by(field: str, value: Any) -> CustomerNode | None:
    if field.endswith("_gln"):
        return CustomerNode.objects.filter(gln=compact_digits(str(value))).first()
    if field.endswith("_code"):
        return CustomerNode.objects.filter(code=value).first()
    return CustomerNode.objects.filter(pk=value).first()


def node_resolve(
    attrs: Mapping[str, Any], prefix: str, errors: dict[str, list[str]], *, required: bool
) -> CustomerNode | None:
    """The node named by exactly one of ``<prefix>``, ``<prefix>_code`` or
    ``<prefix>_gln``; a problem is added to ``errors`` under the field given."""
    names = [
        name
        for name in (prefix, f"{prefix}_code", f"{prefix}_gln")
        if attrs.get(name) not in (None, "")
    ]
    if not names:
        if required:
            errors.setdefault(prefix, []).append(
                _("Name the customer node by one of %(fields)s.")
                % {"fields": f"{prefix}, {prefix}_code, {prefix}_gln"}
            )
        return None
    if len(names) > 1:
        errors.setdefault(prefix, []).append(
            _("Name the customer node by only one of %(fields)s.") % {"fields": ", ".join(names)}
        )
        return None
    field = names[0]
    node = _node_by(field, attrs[field])
    if node is None:
        errors.setdefault(field, []).append(
            _("No customer node matches %(value)s.") % {"value": attrs[field]}
        )
    return node


def _node_fields(
    prefix: str, label: str, *, required: bool = False
) -> dict[str, serializers.Field]:
    return {
        prefix: serializers.IntegerField(
            required=False, min_value=1, help_text=f"{label}: customer node id."
        ),
        f"{prefix}_code": serializers.CharField(
            required=False, max_length=30, help_text=f"{label}: customer node code."
        ),
        f"{prefix}_gln": serializers.CharField(
            required=False, max_length=20, help_text=f"{label}: customer node GLN."
        ),
    }


@dataclass(frozen=True, slots=True)
class _RefusedLine:
    """A line whose own fields are wrong, kept so every bad line is reported at once."""

    errors: Any


class _LineListSerializer(serializers.ListSerializer):
    """Validates every line without stopping at the first bad one."""

    def run_child_validation(self, data: Any) -> Any:
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as exc:
            return _RefusedLine(errors=exc.detail)


@extend_schema_serializer(component_name="SalesLineInput")
class LineInputSerializer(serializers.Serializer):
    """One line. Name the article by exactly one of ``article`` (id), ``article_code``
    or ``gtin``; a GTIN names a packaging, whose level is the unit ordered."""

    article = serializers.IntegerField(required=False, min_value=1, help_text="Article id.")
    article_code = serializers.CharField(required=False, max_length=30)
    gtin = serializers.CharField(
        required=False, max_length=20, help_text="GTIN-8/12/13/14 of the packaging ordered."
    )
    quantity = serializers.DecimalField(
        **QUANTITY_FIELD, help_text="In the unit ordered (cases for a case GTIN); more than zero."
    )
    packaging_level = PriceUnitField(
        required=False,
        allow_blank=True,
        help_text="The unit ordered; empty or absent: the base unit (or the GTIN's packaging).",
    )
    requested_date = serializers.DateField(required=False, allow_null=True)
    unit_price = serializers.DecimalField(
        **UNIT_PRICE_FIELD,
        required=False,
        allow_null=True,
        min_value=Decimal(0),
        help_text="The net unit price you expect. Kept as caller_unit_price and compared with "
        "ours (caller_price_differs); never used to price.",
    )
    customer_line_reference = serializers.CharField(
        required=False, allow_blank=True, max_length=35, help_text="Your line number."
    )

    class Meta:
        list_serializer_class = _LineListSerializer


def _field_messages(errors: Any) -> list[str]:
    """DRF error details of one line as "field: message" texts."""
    if not isinstance(errors, Mapping):
        errors = {"non_field_errors": errors if isinstance(errors, list) else [errors]}
    texts = []
    for field, messages in errors.items():
        for message in messages if isinstance(messages, list) else [messages]:
            texts.append(str(message) if field == "non_field_errors" else f"{field}: {message}")
    return texts


def _articles_named(
    items: Sequence[Mapping[str, Any]],
) -> tuple[dict[int, Article], dict[str, Article]]:
    """One query for the articles named by id or code."""
    ids = {item["article"] for item in items if item.get("article") is not None}
    codes = {item["article_code"] for item in items if item.get("article_code")}
    if not ids and not codes:
        return {}, {}
    articles = list(Article.objects.filter(Q(pk__in=ids) | Q(code__in=codes)))
    return {a.pk: a for a in articles}, {a.code: a for a in articles}


def lines_resolve(
    items: Sequence[Any], *, first_position: int = 1
) -> tuple[list[tuple[int, LineInput]], list[tuple[int, str]]]:
    """Each validated line as ``(position, LineInput)``, or ``(position, message)``
    naming the lines that cannot be read or whose article cannot be found."""
    good = [item for item in items if not isinstance(item, _RefusedLine)]
    by_id, by_code = _articles_named(good)
    resolved: list[tuple[int, LineInput]] = []
    problems: list[tuple[int, str]] = []
    for position, item in enumerate(items, start=first_position):
        label = line_label(position, None)
        if isinstance(item, _RefusedLine):
            problems.extend((position, f"{label}: {text}") for text in _field_messages(item.errors))
            continue
        named = [
            name for name in ("article", "article_code", "gtin") if item.get(name) not in (None, "")
        ]
        if len(named) != 1:
            problems.append(
                (
                    position,
                    _("%(line)s: name the article by exactly one of article, article_code or gtin.")
                    % {"line": label},
                )
            )
            continue
        level = item.get("packaging_level") or ""
        if named[0] == "gtin":
            packaging = article_by_gtin(item["gtin"])
            if packaging is None:
                problems.append(
                    (
                        position,
                        _("%(line)s: no article has the GTIN %(gtin)s.")
                        % {"line": label, "gtin": item["gtin"]},
                    )
                )
                continue
            if level and level != packaging.level:
                problems.append(
                    (
                        position,
                        _("%(line)s: GTIN %(gtin)s is a %(level)s, not a %(given)s.")
                        % {
                            "line": label,
                            "gtin": item["gtin"],
                            "level": packaging.get_level_display(),
                            "given": level,
                        },
                    )
                )
                continue
            article, level = packaging.article, packaging.level
        elif named[0] == "article":
            article = by_id.get(item["article"])
            if article is None:
                problems.append(
                    (
                        position,
                        _("%(line)s: no article has the id %(id)s.")
                        % {"line": label, "id": item["article"]},
                    )
                )
                continue
        else:
            article = by_code.get(item["article_code"])
            if article is None:
                problems.append(
                    (
                        position,
                        _("%(line)s: no article has the code %(code)s.")
                        % {"line": label, "code": item["article_code"]},
                    )
                )
                continue
        resolved.append(
            (
                position,
                LineInput(
                    article=article,
                    quantity=item["quantity"],
                    packaging_level=level,
                    requested_date=item.get("requested_date"),
                    caller_unit_price=item.get("unit_price"),
                    customer_line_reference=item.get("customer_line_reference") or "",
                ),
            )
        )
    return resolved, problems


def lines_refuse(
    problems: list[tuple[int, str]],
    resolved: Sequence[tuple[int, LineInput]],
    *,
    ordering_node: CustomerNode | None,
    errors: dict[str, list[str]],
) -> None:
    """Raise one ``ValidationFailed`` naming every bad line, in line order (and the
    header faults): the lines found go through the service's own line check so that
    their faults come out with those of the lines not found. Does nothing when all
    is well (the service then checks everything itself)."""
    if not problems and not errors:
        return
    problems = list(problems)
    if ordering_node is not None and resolved:
        try:
            lines_check(list(resolved), ordering_node=ordering_node)
        except ValidationFailed as exc:
            labels = [(position, line_label(position, line.article)) for position, line in resolved]
            for message in exc.errors.get("lines", []):
                position = next(
                    (p for p, label in labels if message.startswith(f"{label}:")), UNPLACED
                )
                problems.append((position, message))
    problems.sort(key=lambda problem: problem[0])  # stable: a line's faults stay in order
    raise ValidationFailed(
        {**errors, **({"lines": [message for _p, message in problems]} if problems else {})}
    )


class _DocumentInputSerializer(serializers.Serializer):
    """The header of a quote or order and its lines (at least one)."""

    requested_date = serializers.DateField(help_text="Requested delivery date; today or later.")
    customer_reference = serializers.CharField(
        required=False, allow_blank=True, max_length=35, help_text="Your purchase order number."
    )
    notes = serializers.CharField(required=False, allow_blank=True)
    lines = LineInputSerializer(many=True, allow_empty=False, max_length=ORDER_MAX_LINES)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields.update(_node_fields("ordering_node", "Ordered by (required, one of three)"))
        fields.update(_node_fields("delivery_node", "Delivered to (default: from the hierarchy)"))
        fields.update(_node_fields("invoicing_node", "Invoiced to (default: from the hierarchy)"))
        return fields

    def header_resolve(
        self, attrs: Mapping[str, Any], errors: dict[str, list[str]]
    ) -> dict[str, Any]:
        return {
            "ordering_node": node_resolve(attrs, "ordering_node", errors, required=True),
            "delivery_node": node_resolve(attrs, "delivery_node", errors, required=False),
            "invoicing_node": node_resolve(attrs, "invoicing_node", errors, required=False),
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        header = self.header_resolve(attrs, errors)
        resolved, problems = lines_resolve(attrs["lines"])
        lines_refuse(problems, resolved, ordering_node=header["ordering_node"], errors=errors)
        return {
            **header,
            "requested_date": attrs["requested_date"],
            "customer_reference": attrs.get("customer_reference", ""),
            "notes": attrs.get("notes", ""),
            "lines": [line for _position, line in resolved],
        }


@extend_schema_serializer(component_name="SalesOrderInput")
class OrderInputSerializer(_DocumentInputSerializer):
    """A new order (origin ``api``), priced by the engine. Name the ordering node by
    exactly one of ``ordering_node`` (id), ``ordering_node_code`` or
    ``ordering_node_gln``; delivery and invoicing nodes default from the hierarchy.
    Any bad line refuses the whole order: the 400 lists every bad line by number."""

    warehouse = serializers.IntegerField(
        required=False, min_value=1, help_text="Warehouse id; default: the first active one."
    )
    warehouse_code = serializers.CharField(required=False, max_length=20)

    def header_resolve(
        self, attrs: Mapping[str, Any], errors: dict[str, list[str]]
    ) -> dict[str, Any]:
        header = super().header_resolve(attrs, errors)
        warehouse = None
        if attrs.get("warehouse") is not None and attrs.get("warehouse_code"):
            errors.setdefault("warehouse", []).append(
                _("Give the warehouse by id or by code, not both.")
            )
        elif attrs.get("warehouse") is not None:
            warehouse = Warehouse.objects.filter(pk=attrs["warehouse"]).first()
            if warehouse is None:
                errors.setdefault("warehouse", []).append(
                    _("No warehouse has the id %(id)s.") % {"id": attrs["warehouse"]}
                )
        elif attrs.get("warehouse_code"):
            warehouse = Warehouse.objects.filter(code=attrs["warehouse_code"]).first()
            if warehouse is None:
                errors.setdefault("warehouse_code", []).append(
                    _("No warehouse has the code %(code)s.") % {"code": attrs["warehouse_code"]}
                )
        return {**header, "warehouse": warehouse}


@extend_schema_serializer(component_name="SalesQuoteInput")
class QuoteInputSerializer(_DocumentInputSerializer):
    """A new quote, priced by the engine; ``valid_until`` defaults to 30 days. The
    same payload replaces a draft quote's content (``PUT``: ``valid_until`` absent
    keeps the quote's); ``PATCH`` gives only what changes (the context's ``quote``
    is the one changed): lines absent are kept, lines given replace them all."""

    valid_until = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.partial:
            return self.changes(attrs)
        data = super().validate(attrs)
        data["valid_until"] = attrs.get("valid_until")
        return data

    def changes(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """A ``PATCH``: the fields given only, nodes resolved, every bad line named."""
        errors: dict[str, list[str]] = {}
        changes = {
            name: attrs[name]
            for name in ("requested_date", "valid_until", "customer_reference", "notes")
            if name in attrs
        }
        for prefix in ("ordering_node", "delivery_node", "invoicing_node"):
            if any(name in attrs for name in (prefix, f"{prefix}_code", f"{prefix}_gln")):
                changes[prefix] = node_resolve(attrs, prefix, errors, required=False)
        resolved: list[tuple[int, LineInput]] = []
        problems: list[tuple[int, str]] = []
        if "lines" in attrs:
            # A partial serializer lets its nested fields skip what is missing: the
            # lines are read again on their own, every field of each checked.
            items = LineInputSerializer(many=True).run_validation(self.initial_data["lines"])
            resolved, problems = lines_resolve(items)
        quote = self.context.get("quote")
        ordering_node = changes.get("ordering_node") or getattr(quote, "ordering_node", None)
        lines_refuse(problems, resolved, ordering_node=ordering_node, errors=errors)
        if "lines" in attrs:
            changes["lines"] = [line for _position, line in resolved]
        return changes


@extend_schema_serializer(component_name="SalesOrderLineAdd")
class LineAddInputSerializer(LineInputSerializer):
    """A line added to an order (on a confirmed order it is reserved at once)."""

    class Meta:
        pass

    def __init__(self, *args: Any, order: SalesOrder | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order = order

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        top = (
            self.order.lines.aggregate(top=Max("position"))["top"]
            if self.order is not None
            else None
        )
        position = (top or 0) + 1
        resolved, problems = lines_resolve([attrs], first_position=position)
        lines_refuse(problems, resolved, ordering_node=None, errors={})
        return {"line": resolved[0][1]}


@extend_schema_serializer(component_name="SalesOrderLineChange")
class LineChangeInputSerializer(serializers.Serializer):
    """Change a line's quantity (in its unit) and/or requested date. After
    confirmation the reservation follows; never below what is delivered or picked."""

    quantity = serializers.DecimalField(**QUANTITY_FIELD, required=False)
    requested_date = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(_("Give a quantity and/or a requested date."))
        return attrs


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class RequestedDateInputSerializer(serializers.Serializer):
    requested_date = serializers.DateField(required=False, help_text="Default: today.")


@extend_schema_serializer(component_name="QuoteAcceptInput")
class QuoteAcceptInputSerializer(serializers.Serializer):
    requested_date = serializers.DateField(
        required=False, help_text="Of the order; default: the quote's (or today if past)."
    )


class DeliveryCreateInputSerializer(serializers.Serializer):
    planned_date = serializers.DateField(
        required=False, help_text="Default: the order's requested date, or today if past."
    )


class PickLineInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, help_text="Delivery line id.")
    picked_quantity = serializers.DecimalField(
        **QUANTITY_FIELD,
        min_value=Decimal(0),
        help_text="Base units found (0 to the line's quantity).",
    )


@extend_schema_serializer(component_name="DeliveryPickInput")
class PickInputSerializer(serializers.Serializer):
    """Quantities picked per delivery line; lines not given are picked in full."""

    lines = PickLineInputSerializer(many=True, required=False)

    def validate_lines(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [line["id"] for line in lines]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError(_("A delivery line is given twice."))
        return lines

    def picked(self) -> dict[int, Decimal]:
        return {
            line["id"]: line["picked_quantity"] for line in self.validated_data.get("lines", [])
        }
