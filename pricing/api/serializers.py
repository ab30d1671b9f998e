"""Input and output serializers of the pricing API.

Output serializers describe a row or a result as the API returns it: every field is
read-only, decimals are strings. Input serializers validate a request and hand the
write to ``pricing.services`` (contracts, conditions and their tiers, price list
lines). Rows without a service of their own (segments, rebate agreements, the six
discount levels) are written here inside one transaction, after the same checks a
service would make.

The quote (``QuoteRequestSerializer``) validates every line, resolves article ids,
codes and GTINs in one query and refuses the whole basket, listing each bad line,
when any line is wrong: nothing is priced from a half-valid basket.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from comptoir.exceptions import DomainError, ValidationFailed
from comptoir.identifiers import compact_digits, gtin_lookup_forms, validate_gtin
from pricing import engine
from pricing.models import (
    Condition,
    ConditionKind,
    ConditionTier,
    Contract,
    ContractStatus,
    ContractStatusChange,
    CustomerSegment,
    DiscountLevel,
    NetPriceMode,
    PriceListItem,
    RebateAgreement,
    RebateBase,
    RebateMethod,
    RebateTier,
    ScopeKind,
    Stacking,
    TierBasis,
    ValueKind,
)
from pricing.rebates import RebateComputation
from pricing.selectors import (
    BasketLine,
    BasketResult,
    RebateStatus,
    WhatIfResult,
)
from pricing.services import (
    LEVEL_FIELDS,
    ContractImpact,
    TierInput,
    condition_save,
    contract_save,
    discount_levels_save,
    price_list_item_save,
)
from trade.api.serializers import CustomerBriefSerializer, ModelCleanMixin, NodeRefSerializer
from trade.models import Article, ArticleStatus, CustomerNode, PackagingLevel

QUOTE_MAX_LINES = 10_000

# --------------------------------------------------------------------------- helpers


def named_choice_field(
    component_name: str, choices: Sequence[tuple[str, str]]
) -> type[serializers.ChoiceField]:
    """A ChoiceField whose enum gets its own schema component.

    Several pricing choice sets share a field name with another set ("status",
    "kind", "level"…); naming each after its meaning keeps the schema readable and
    free of enum-collision warnings. A blank value, when allowed, is one of the choices.
    """
    values = list(choices)

    class NamedChoiceField(serializers.ChoiceField):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(choices=values, **kwargs)

    NamedChoiceField.__name__ = NamedChoiceField.__qualname__ = (
        component_name.removesuffix("Enum") + "Field"
    )
    return extend_schema_field(
        serializers.ChoiceField(choices=values), component_name=component_name
    )(NamedChoiceField)


PriceUnitField = named_choice_field(
    "PriceUnitEnum", [("", gettext_lazy("base unit")), *PackagingLevel.choices]
)
ContractStatusField = named_choice_field("ContractStatusEnum", ContractStatus.choices)
ConditionKindField = named_choice_field("ConditionKindEnum", ConditionKind.choices)
ScopeKindField = named_choice_field("ScopeKindEnum", ScopeKind.choices)
ConditionNetPriceModeField = named_choice_field(
    "ConditionNetPriceModeEnum", [("", gettext_lazy("not a net price")), *NetPriceMode.choices]
)
ConditionTierBasisField = named_choice_field(
    "ConditionTierBasisEnum", [("", gettext_lazy("no tiers")), *TierBasis.choices]
)
NetPriceModeField = named_choice_field("NetPriceModeEnum", NetPriceMode.choices)
ValueKindField = named_choice_field("ValueKindEnum", ValueKind.choices)
StackingField = named_choice_field("StackingEnum", Stacking.choices)
StepStatusField = named_choice_field(
    "StepStatusEnum", [(status.value, status.value) for status in engine.StepStatus]
)
RebateBaseField = named_choice_field("RebateBaseEnum", RebateBase.choices)
RebateMethodField = named_choice_field("RebateMethodEnum", RebateMethod.choices)


def decimal_string(value: Decimal | None) -> str | None:
    """Fixed-point text of a decimal (never "4E+1"), None kept."""
    return None if value is None else format(value, "f")


def _amount_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True, **kwargs)


def _unit_price_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=16, decimal_places=4, read_only=True, **kwargs)


def _rate_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=9, decimal_places=4, read_only=True, **kwargs)


def _quantity_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=3, read_only=True, **kwargs)


def _duplicate_thresholds(items: Sequence[Mapping[str, Any]]) -> dict[int, dict[str, list[str]]]:
    """Errors keyed by index, like DRF's own for a nested list, for repeated thresholds."""
    seen: set[Decimal] = set()
    errors: dict[int, dict[str, list[str]]] = {}
    for index, item in enumerate(items):
        if item["threshold"] in seen:
            errors[index] = {"threshold": [_("Two tiers have the same threshold.")]}
        seen.add(item["threshold"])
    return errors


class ApiErrorSerializer(serializers.Serializer):
    """The body of every error: a stable code, a message for people, structured details."""

    code = serializers.CharField(read_only=True)
    message = serializers.CharField(read_only=True)
    details = serializers.DictField(read_only=True)


class CodeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)


# --------------------------------------------------------------------------- price list lines

PRICE_LIST_ITEM_FIELDS = (
    "price_list",
    "article",
    "packaging_level",
    "min_quantity",
    "unit_price",
    "valid_from",
    "valid_to",
)


class PriceListItemSerializer(serializers.ModelSerializer):
    price_list_code = serializers.CharField(source="price_list.code", read_only=True)
    article_code = serializers.CharField(source="article.code", read_only=True)
    packaging_level = PriceUnitField(
        read_only=True, help_text="The unit the price is for; empty: per base unit."
    )

    class Meta:
        model = PriceListItem
        fields = (
            "id",
            "price_list",
            "price_list_code",
            "article",
            "article_code",
            *PRICE_LIST_ITEM_FIELDS[2:],
        )
        read_only_fields = fields


@extend_schema_serializer(component_name="PriceListItem")
class PriceListItemInputSerializer(serializers.ModelSerializer):
    """A gross price of an article in a price list, per base unit or per packaging, from
    a minimum quantity in base units (quantity breaks are several rows)."""

    packaging_level = PriceUnitField(
        required=False, help_text="The packaging the price is for; empty: per base unit."
    )

    class Meta:
        model = PriceListItem
        fields = PRICE_LIST_ITEM_FIELDS
        # The business key (list, article, unit, minimum quantity, start) is checked by
        # the service's full_clean, so there is one rule and one message.
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        def current(name: str) -> Any:
            return attrs[name] if name in attrs else getattr(self.instance, name, None)

        level = current("packaging_level") or ""
        article: Article | None = current("article")
        # A price per case of an article without a case packaging could not be
        # converted to what is ordered: refuse it here rather than misprice later.
        if level and article is not None and not article.packagings.filter(level=level).exists():
            raise serializers.ValidationError(
                {
                    "packaging_level": [
                        _("Article %(article)s has no %(level)s packaging.")
                        % {"article": article.code, "level": PackagingLevel(level).label}
                    ]
                }
            )
        return attrs

    def create(self, validated_data: dict[str, Any]) -> PriceListItem:
        return price_list_item_save(PriceListItem(**validated_data))

    def update(self, instance: PriceListItem, validated_data: dict[str, Any]) -> PriceListItem:
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return price_list_item_save(instance)


# --------------------------------------------------------------------------- discount levels



class DiscountLevelSerializer(serializers.ModelSerializer):
    value_kind = ValueKindField(read_only=True)
    stacking = StackingField(read_only=True)

    class Meta:
        model = DiscountLevel
        fields = ("id", "number", *LEVEL_FIELDS)
        read_only_fields = fields


@extend_schema_serializer(component_name="DiscountLevel")
class DiscountLevelInputSerializer(serializers.ModelSerializer):
    """One level's configuration; the six levels are checked together when it is saved."""

    value_kind = ValueKindField(required=False)
    stacking = StackingField(required=False)

    class Meta:
        model = DiscountLevel
        fields = LEVEL_FIELDS
        # Two levels at one place are refused by discount_levels_apply, which names them.
        extra_kwargs = {"order": {"validators": [], "min_value": 1, "max_value": 6}}

    def update(self, instance: DiscountLevel, validated_data: dict[str, Any]) -> DiscountLevel:
        levels = discount_levels_save({instance.number: validated_data})
        return next(level for level in levels if level.number == instance.number)


@extend_schema_serializer(component_name="DiscountLevelSchemeItem")
class DiscountLevelSchemeItemSerializer(DiscountLevelInputSerializer):
    number = serializers.IntegerField(min_value=1, max_value=6)
    value_kind = ValueKindField()
    stacking = StackingField()

    class Meta(DiscountLevelInputSerializer.Meta):
        fields = ("number", *LEVEL_FIELDS)
        extra_kwargs = {
            **DiscountLevelInputSerializer.Meta.extra_kwargs,
            "label": {"required": True},
            "order": {"validators": [], "min_value": 1, "max_value": 6, "required": True},
            "exclusive": {"required": True},
        }


@extend_schema_serializer(component_name="DiscountLevelScheme")
class DiscountLevelSchemeInputSerializer(serializers.Serializer):
    """The six levels at once (to reorder them, for instance), numbered 1 to 6."""

    levels = DiscountLevelSchemeItemSerializer(many=True, min_length=6, max_length=6)

    def validate_levels(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        numbers = sorted(item["number"] for item in items)
        if numbers != [1, 2, 3, 4, 5, 6]:
            raise serializers.ValidationError(
                _("Give each level 1 to 6 once; got %(numbers)s.") % {"numbers": numbers}
            )
        return items

    def save(self, **kwargs: Any) -> list[DiscountLevel]:
        changes = {
            item["number"]: {name: item[name] for name in LEVEL_FIELDS}
            for item in self.validated_data["levels"]
        }
        return discount_levels_save(changes)


# --------------------------------------------------------------------------- segments


class CustomerSegmentSerializer(serializers.ModelSerializer):
    nodes = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Ids of the member customer nodes."
    )

    class Meta:
        model = CustomerSegment
        fields = ("id", "code", "name", "nodes")
        read_only_fields = fields


@extend_schema_serializer(component_name="CustomerSegment")
class CustomerSegmentInputSerializer(serializers.ModelSerializer):
    """A segment; ``nodes``, when given, replaces its members. Active contracts of the
    segment are checked again for conflicts with the new members."""

    nodes = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_empty=True,
        help_text="Ids of the member customer nodes.",
    )

    class Meta:
        model = CustomerSegment
        fields = ("code", "name", "nodes")

    def validate_nodes(self, ids: list[int]) -> list[int]:
        wanted = list(dict.fromkeys(ids))
        known = set(CustomerNode.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        missing = [pk for pk in wanted if pk not in known]
        if missing:
            raise serializers.ValidationError(
                _("Unknown customer node(s): %(ids)s.") % {"ids": missing}
            )
        return wanted

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> CustomerSegment:
        nodes = validated_data.pop("nodes", None)
        segment = CustomerSegment.objects.create(**validated_data)
        if nodes:
            segment.nodes.set(nodes)
        return segment

    @transaction.atomic
    def update(self, instance: CustomerSegment, validated_data: dict[str, Any]) -> CustomerSegment:
        nodes = validated_data.pop("nodes", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.save()
        if nodes is not None:
            instance.nodes.set(nodes)
            # New members may tie an active segment contract with their own contracts:
            # contract_save re-checks an active contract's conditions and refuses a tie.
            for contract in instance.contracts.filter(status=ContractStatus.ACTIVE).order_by("pk"):
                contract_save(contract)
        return instance


# --------------------------------------------------------------------------- conditions

CONDITION_FIELDS = (
    "kind",
    "level",
    "scope_kind",
    "family",
    "brand",
    "article",
    "rate",
    "amount",
    "net_price",
    "net_price_mode",
    "buy_quantity",
    "free_quantity",
    "tier_basis",
    "min_quantity",
    "valid_from",
    "valid_to",
)


class ConditionTierSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConditionTier
        fields = ("threshold", "rate")
        read_only_fields = fields


@extend_schema_serializer(component_name="ConditionTier")
class ConditionTierInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConditionTier
        fields = ("threshold", "rate")


class ConditionSerializer(serializers.ModelSerializer):
    contract_code = serializers.CharField(source="contract.code", read_only=True)
    kind = ConditionKindField(read_only=True)
    scope_kind = ScopeKindField(read_only=True)
    net_price_mode = ConditionNetPriceModeField(read_only=True)
    tier_basis = ConditionTierBasisField(read_only=True)
    scope_label = serializers.CharField(
        read_only=True, help_text="What the scope covers, for people."
    )
    tiers = ConditionTierSerializer(many=True, read_only=True)

    class Meta:
        model = Condition
        fields = ("id", "contract", "contract_code", *CONDITION_FIELDS, "scope_label", "tiers")
        read_only_fields = fields


@extend_schema_serializer(component_name="Condition")
class ConditionInputSerializer(serializers.ModelSerializer):
    """A condition of a draft or active contract. ``tiers``, when given, replaces the
    condition's tiers. A tie with another condition (same level, node, scope and start
    date) is refused with 409, both conditions named in ``details.conflicts``."""

    kind = ConditionKindField()
    scope_kind = ScopeKindField(required=False)
    net_price_mode = ConditionNetPriceModeField(required=False)
    tier_basis = ConditionTierBasisField(required=False)
    tiers = ConditionTierInputSerializer(many=True, required=False)

    class Meta:
        model = Condition
        fields = ("contract", *CONDITION_FIELDS, "tiers")

    def validate_contract(self, contract: Contract) -> Contract:
        if self.instance is not None and contract.pk != self.instance.contract_id:
            raise serializers.ValidationError(_("A condition cannot move to another contract."))
        return contract

    def validate_tiers(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        errors = _duplicate_thresholds(items)
        if errors:
            raise serializers.ValidationError(errors)
        return items

    @staticmethod
    def _tier_inputs(items: list[dict[str, Any]] | None) -> list[TierInput] | None:
        if items is None:
            return None
        return [TierInput(threshold=item["threshold"], rate=item["rate"]) for item in items]

    def create(self, validated_data: dict[str, Any]) -> Condition:
        tiers = self._tier_inputs(validated_data.pop("tiers", None))
        return condition_save(Condition(**validated_data), tiers=tiers)

    def update(self, instance: Condition, validated_data: dict[str, Any]) -> Condition:
        tiers = self._tier_inputs(validated_data.pop("tiers", None))
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return condition_save(instance, tiers=tiers)


# --------------------------------------------------------------------------- contracts

CONTRACT_WRITABLE_FIELDS = (
    "code",
    "name",
    "node",
    "segment",
    "valid_from",
    "valid_to",
    "owner",
    "notes",
)


class ContractStatusChangeSerializer(serializers.ModelSerializer):
    from_status = ContractStatusField(read_only=True)
    to_status = ContractStatusField(read_only=True)
    changed_by_username = serializers.CharField(
        source="changed_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = ContractStatusChange
        fields = ("from_status", "to_status", "changed_by", "changed_by_username", "changed_at")
        read_only_fields = fields


class ContractSerializer(serializers.ModelSerializer):
    """A contract with its conditions and the history of its status."""

    node_code = serializers.CharField(
        source="node.code", read_only=True, allow_null=True, default=None
    )
    segment_code = serializers.CharField(
        source="segment.code", read_only=True, allow_null=True, default=None
    )
    status = ContractStatusField(
        read_only=True, help_text="Changed only by the activate and terminate actions (and expiry)."
    )
    conditions = ConditionSerializer(many=True, read_only=True)
    status_changes = ContractStatusChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Contract
        fields = (
            "id",
            "code",
            "name",
            "node",
            "node_code",
            "segment",
            "segment_code",
            "valid_from",
            "valid_to",
            "status",
            "owner",
            "notes",
            "created_at",
            "updated_at",
            "conditions",
            "status_changes",
        )
        read_only_fields = fields


@extend_schema_serializer(component_name="Contract")
class ContractInputSerializer(serializers.ModelSerializer):
    """A contract header, attached to one customer node or one segment. Its status is
    not writable: use the activate and terminate actions. The owner defaults to the
    user who creates it."""

    class Meta:
        model = Contract
        fields = CONTRACT_WRITABLE_FIELDS

    def create(self, validated_data: dict[str, Any]) -> Contract:
        request = self.context.get("request")
        if "owner" not in validated_data and request is not None:
            validated_data["owner"] = request.user
        return contract_save(Contract(**validated_data))

    def update(self, instance: Contract, validated_data: dict[str, Any]) -> Contract:
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return contract_save(instance)


class ContractImpactSerializer(serializers.Serializer):
    """Who and what a contract touches."""

    node_count = serializers.IntegerField(
        read_only=True,
        help_text="Customer nodes covered: the contract's nodes and everything below them.",
    )
    store_count = serializers.IntegerField(read_only=True, help_text="Stores among them.")
    article_count = serializers.IntegerField(
        read_only=True, help_text="Articles within the scopes of the contract's conditions."
    )
    nodes = CustomerBriefSerializer(
        many=True,
        read_only=True,
        help_text="The nodes the contract stands on (its node or its segment's).",
    )


def contract_impact_data(impact: ContractImpact) -> dict[str, Any]:
    return {
        "node_count": impact.node_count,
        "store_count": impact.store_count,
        "article_count": impact.article_count,
        "nodes": list(impact.nodes),
    }


class WhatIfQuerySerializer(serializers.Serializer):
    until = serializers.DateField(
        required=False,
        help_text="Last day of the 12 months replayed (YYYY-MM-DD); default: today.",
    )


class WhatIfFiguresSerializer(serializers.Serializer):
    line_count = serializers.IntegerField(read_only=True)
    turnover_before = _amount_field()
    turnover_after = _amount_field()
    turnover_change = _amount_field()
    discount_before = _amount_field(help_text="Gross amount − net amount, before the contract.")
    discount_after = _amount_field()
    discount_change = _amount_field()
    margin_before = _amount_field()
    margin_after = _amount_field()
    margin_change = _amount_field()


class WhatIfNodeSerializer(WhatIfFiguresSerializer):
    node = NodeRefSerializer(read_only=True)


class WhatIfSerializer(serializers.Serializer):
    """The contract replayed over the sales of the nodes it covers: each node's figures
    with the active contracts only (before) and with this contract added (after)."""

    contract = CodeRefSerializer(read_only=True)
    period_start = serializers.DateField(read_only=True)
    period_end = serializers.DateField(read_only=True)
    unpriced_line_count = serializers.IntegerField(
        read_only=True, help_text="History lines left out: no gross price on their date."
    )
    nodes = WhatIfNodeSerializer(many=True, read_only=True)
    totals = WhatIfFiguresSerializer(read_only=True)


_WHAT_IF_PAIRS = ("turnover", "discount", "margin")


def _what_if_figures(line_count: int, values: Mapping[str, Decimal]) -> dict[str, Any]:
    figures: dict[str, Any] = {"line_count": line_count}
    for name in _WHAT_IF_PAIRS:
        before, after = values[f"{name}_before"], values[f"{name}_after"]
        figures[f"{name}_before"] = before
        figures[f"{name}_after"] = after
        figures[f"{name}_change"] = after - before
    return figures


def what_if_data(result: WhatIfResult) -> dict[str, Any]:
    attributes = [f"{name}_{when}" for name in _WHAT_IF_PAIRS for when in ("before", "after")]
    return {
        "contract": result.contract,
        "period_start": result.period_start,
        "period_end": result.period_end,
        "unpriced_line_count": result.unpriced_line_count,
        "nodes": [
            {
                "node": row.node,
                **_what_if_figures(
                    row.line_count, {name: getattr(row, name) for name in attributes}
                ),
            }
            for row in result.nodes
        ],
        "totals": _what_if_figures(
            sum(row.line_count for row in result.nodes),
            {name: result.total(name) for name in attributes},
        ),
    }


# --------------------------------------------------------------------------- rebates


class RebateTierSerializer(serializers.ModelSerializer):
    class Meta:
        model = RebateTier
        fields = ("threshold", "rate")
        read_only_fields = fields


@extend_schema_serializer(component_name="RebateTier")
class RebateTierInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = RebateTier
        fields = ("threshold", "rate")


REBATE_WRITABLE_FIELDS = ("code", "node", "period_start", "period_end", "base", "family", "method")


class RebateAgreementSerializer(serializers.ModelSerializer):
    node_code = serializers.CharField(source="node.code", read_only=True)
    base = RebateBaseField(read_only=True)
    method = RebateMethodField(read_only=True)
    tiers = RebateTierSerializer(many=True, read_only=True)

    class Meta:
        model = RebateAgreement
        fields = (
            "id",
            "code",
            "node",
            "node_code",
            "period_start",
            "period_end",
            "base",
            "family",
            "method",
            "settled_at",
            "settled_turnover",
            "settled_amount",
            "settled_by",
            "tiers",
        )
        read_only_fields = fields


@extend_schema_serializer(component_name="RebateAgreement")
class RebateAgreementInputSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """A year-end rebate agreement; ``tiers`` (turnover threshold → rate), when given,
    replaces its tiers. A settled agreement cannot change."""

    base = RebateBaseField(required=False)
    method = RebateMethodField(required=False)
    tiers = RebateTierInputSerializer(many=True, required=False)

    class Meta:
        model = RebateAgreement
        fields = (*REBATE_WRITABLE_FIELDS, "tiers")

    def validate_tiers(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        errors = _duplicate_thresholds(items)
        if errors:
            raise serializers.ValidationError(errors)
        return items

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and self.instance.settled_at is not None:
            raise DomainError(
                _("Agreement %(code)s is settled and cannot change.")
                % {"code": self.instance.code},
                code="rebate_settled",
            )
        base = attrs.get("base", getattr(self.instance, "base", RebateBase.TOTAL))
        family = attrs["family"] if "family" in attrs else getattr(self.instance, "family", None)
        if base == RebateBase.FAMILY and family is None:
            raise serializers.ValidationError({"family": [_("A family base needs its family.")]})
        if base == RebateBase.TOTAL and family is not None:
            raise serializers.ValidationError(
                {
                    "family": [
                        _("Only a family base takes a family; the base is the total turnover.")
                    ]
                }
            )
        return super().validate(attrs)

    @staticmethod
    def _replace_tiers(agreement: RebateAgreement, items: list[dict[str, Any]] | None) -> None:
        if items is None:
            return
        RebateTier.objects.filter(agreement=agreement).delete()
        RebateTier.objects.bulk_create([RebateTier(agreement=agreement, **item) for item in items])

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> RebateAgreement:
        tiers = validated_data.pop("tiers", None)
        agreement = RebateAgreement.objects.create(**validated_data)
        self._replace_tiers(agreement, tiers)
        return agreement

    @transaction.atomic
    def update(self, instance: RebateAgreement, validated_data: dict[str, Any]) -> RebateAgreement:
        tiers = validated_data.pop("tiers", None)
        # Lock the row: a concurrent settlement must not slip in between check and write.
        locked = RebateAgreement.objects.select_for_update().get(pk=instance.pk)
        if locked.settled_at is not None:
            raise DomainError(
                _("Agreement %(code)s is settled and cannot change.") % {"code": locked.code},
                code="rebate_settled",
            )
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.save()
        self._replace_tiers(instance, tiers)
        return instance


@extend_schema_serializer(component_name="RebateSettlement")
class RebateSettleInputSerializer(serializers.Serializer):
    """Settle after the period: the turnover and the rebate earned are frozen."""

    on = serializers.DateField(
        required=False, help_text="Settlement date (YYYY-MM-DD), after the period; default: today."
    )


class RebateStatusQuerySerializer(serializers.Serializer):
    on = serializers.DateField(
        required=False, help_text="Date of the accrual (YYYY-MM-DD); default: today."
    )


class RebateSliceSerializer(serializers.Serializer):
    threshold = _amount_field()
    upper = _amount_field(allow_null=True, help_text="End of the slice; null: no upper bound.")
    rate = _rate_field()
    base = _amount_field(help_text="Turnover within the slice (by step: the whole turnover).")
    amount = _amount_field()


class RebateStatusSerializer(serializers.Serializer):
    """Where a rebate agreement stands on a date: the turnover and rebate earned so far
    (the accrual) and both projected linearly to the end of the period."""

    agreement = CodeRefSerializer(read_only=True)
    node = NodeRefSerializer(read_only=True)
    on_date = serializers.DateField(read_only=True)
    period_start = serializers.DateField(read_only=True)
    period_end = serializers.DateField(read_only=True)
    method = RebateMethodField(read_only=True)
    turnover_to_date = _amount_field()
    accrued_rate = _rate_field(help_text="Rate of the highest tier reached.")
    accrued_amount = _amount_field()
    accrued_slices = RebateSliceSerializer(many=True, read_only=True)
    projected_turnover = _amount_field()
    projected_rate = _rate_field()
    projected_amount = _amount_field()
    projected_slices = RebateSliceSerializer(many=True, read_only=True)


def _slices(computation: RebateComputation) -> list[dict[str, Any]]:
    return [
        {
            "threshold": piece.threshold,
            "upper": piece.upper,
            "rate": piece.rate,
            "base": piece.base,
            "amount": piece.amount,
        }
        for piece in computation.slices
    ]


def rebate_status_data(status: RebateStatus) -> dict[str, Any]:
    agreement = status.agreement
    return {
        "agreement": agreement,
        "node": agreement.node,
        "on_date": status.on_date,
        "period_start": agreement.period_start,
        "period_end": agreement.period_end,
        "method": agreement.method,
        "turnover_to_date": status.turnover_to_date,
        "accrued_rate": status.accrued.rate_reached,
        "accrued_amount": status.accrued.amount,
        "accrued_slices": _slices(status.accrued),
        "projected_turnover": status.projected_turnover,
        "projected_rate": status.projected.rate_reached,
        "projected_amount": status.projected.amount,
        "projected_slices": _slices(status.projected),
    }


# --------------------------------------------------------------------------- quote


@dataclass(frozen=True, slots=True)
class QuoteLineInput:
    """A line as validated, before its article is looked up."""

    index: int
    line_id: str | None
    article_id: int | None
    article_code: str | None
    gtin: str | None
    quantity: Decimal
    packaging_level: str | None
    caller_price: Decimal | None


@dataclass(frozen=True, slots=True)
class QuoteLine:
    """A line ready to price: its article and packaging resolved."""

    index: int
    line_id: str | None
    article: Article
    quantity: Decimal
    packaging_level: str
    caller_price: Decimal | None

    def basket_line(self) -> BasketLine:
        # The line's index is its id in the basket: unique whatever the caller's line_id.
        return BasketLine(self.index, self.article.pk, self.quantity, self.packaging_level)


@dataclass(frozen=True, slots=True)
class LineProblem:
    index: int
    line_id: str | None
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "line_id": self.line_id,
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class _RefusedLine:
    """A line whose own fields are wrong; kept so every bad line is reported at once."""

    line_id: str | None
    errors: Any


class QuoteLineListSerializer(serializers.ListSerializer):
    """Validates every line without stopping at the first bad one: a line whose fields
    are wrong comes back as a ``_RefusedLine``; the request serializer reports them all
    together with the lines whose article is unknown or blocked."""

    def run_child_validation(self, data: Any) -> Any:
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as exc:
            line_id = data.get("line_id") if isinstance(data, Mapping) else None
            return _RefusedLine(
                line_id=None if line_id is None else str(line_id), errors=exc.detail
            )


@extend_schema_serializer(component_name="QuoteLine")
class QuoteLineSerializer(serializers.Serializer):
    """One line to price. Name the article by exactly one of ``article`` (id),
    ``article_code`` or ``gtin``; a GTIN names a packaging, whose level is used."""

    line_id = serializers.CharField(
        required=False, max_length=64, help_text="Your reference for the line, echoed back."
    )
    article = serializers.IntegerField(required=False, min_value=1, help_text="Article id.")
    article_code = serializers.CharField(required=False, max_length=30)
    gtin = serializers.CharField(
        required=False, max_length=20, help_text="GTIN-8/12/13/14 of the ordered packaging."
    )
    quantity = serializers.DecimalField(
        max_digits=14, decimal_places=3, help_text="In the ordered unit (cases for a case GTIN)."
    )
    packaging_level = PriceUnitField(
        required=False,
        help_text="The ordered unit; empty or absent: the base unit (or the GTIN's packaging).",
    )
    price = serializers.DecimalField(
        max_digits=16,
        decimal_places=4,
        required=False,
        min_value=Decimal("0"),
        help_text="The net unit price you expect; compared with ours, never used to price.",
    )

    def validate_quantity(self, value: Decimal) -> Decimal:
        if value <= 0:
            raise serializers.ValidationError(
                _("The quantity must be greater than zero."), code="quantity_not_positive"
            )
        return value

    def validate_gtin(self, value: str) -> str:
        number = compact_digits(value)
        try:
            validate_gtin(number)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages[0], code="invalid_gtin") from exc
        return number

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [name for name in ("article", "article_code", "gtin") if name in attrs]
        if len(given) != 1:
            raise serializers.ValidationError(
                {
                    "article": [
                        serializers.ErrorDetail(
                            _("Name the article by exactly one of article, article_code or gtin."),
                            code="article_not_named" if not given else "article_named_twice",
                        )
                    ]
                }
            )
        return attrs

    class Meta:
        list_serializer_class = QuoteLineListSerializer


def _problems_of(index: int, line_id: str | None, errors: Any) -> list[LineProblem]:
    """DRF error details of one line as a flat list of problems."""
    if not isinstance(errors, Mapping):
        errors = {"non_field_errors": errors if isinstance(errors, list) else [errors]}
    problems = []
    for field, messages in errors.items():
        for message in messages if isinstance(messages, list) else [messages]:
            code = getattr(message, "code", None) or "invalid"
            problems.append(LineProblem(index, line_id, field, code, str(message)))
    return problems


@dataclass(frozen=True, slots=True)
class _Catalogue:
    """The articles a basket names, indexed the three ways a line may name them."""

    by_id: dict[int, Article]
    by_code: dict[str, Article]
    by_gtin: dict[str, tuple[Article, str]]  # stored GTIN -> (article, packaging level)
    levels: dict[int, set[str]]  # article id -> its packaging levels

    @classmethod
    def load(cls, lines: Sequence[QuoteLineInput]) -> _Catalogue:
        """One query for the articles named by id, code or GTIN, one for their packagings."""
        ids = {line.article_id for line in lines if line.article_id is not None}
        codes = {line.article_code for line in lines if line.article_code is not None}
        forms = {form for line in lines if line.gtin for form in gtin_lookup_forms(line.gtin)}
        wanted = Q(pk__in=ids) | Q(code__in=codes)
        if forms:
            wanted |= Q(packagings__gtin__in=forms)
        articles = list(
            Article.objects.filter(wanted)
            .distinct()
            .only("id", "code", "status")
            .prefetch_related("packagings")
        )
        return cls(
            by_id={article.pk: article for article in articles},
            by_code={article.code: article for article in articles},
            by_gtin={
                packaging.gtin: (article, packaging.level)
                for article in articles
                for packaging in article.packagings.all()
                if packaging.gtin
            },
            levels={
                article.pk: {p.level for p in article.packagings.all()} for article in articles
            },
        )

    def resolve(self, line: QuoteLineInput) -> QuoteLine | LineProblem:
        """The line with its article and ordered unit, or the reason it cannot be priced."""

        def problem(field: str, code: str, message: str) -> LineProblem:
            return LineProblem(line.index, line.line_id, field, code, message)

        level = line.packaging_level or ""
        if line.gtin is not None:
            match = next(
                (
                    self.by_gtin[form]
                    for form in gtin_lookup_forms(line.gtin)
                    if form in self.by_gtin
                ),
                None,
            )
            if match is None:
                return problem(
                    "gtin",
                    "unknown_gtin",
                    _("No packaging has GTIN %(gtin)s.") % {"gtin": line.gtin},
                )
            article, gtin_level = match
            if level and level != gtin_level:
                return problem(
                    "packaging_level",
                    "packaging_mismatch",
                    _("GTIN %(gtin)s is a %(level)s, not a %(given)s.")
                    % {"gtin": line.gtin, "level": gtin_level, "given": level},
                )
            level = gtin_level
        elif line.article_id is not None:
            found = self.by_id.get(line.article_id)
            if found is None:
                return problem(
                    "article",
                    "unknown_article",
                    _("No article has id %(id)s.") % {"id": line.article_id},
                )
            article = found
        else:
            found = self.by_code.get(line.article_code or "")
            if found is None:
                return problem(
                    "article_code",
                    "unknown_article",
                    _("No article has code %(code)s.") % {"code": line.article_code},
                )
            article = found
        if article.status == ArticleStatus.BLOCKED:
            return problem(
                "article",
                "article_blocked",
                _("Article %(code)s is blocked.") % {"code": article.code},
            )
        if level and level not in self.levels[article.pk]:
            return problem(
                "packaging_level",
                "unknown_packaging",
                _("Article %(code)s has no %(level)s packaging.")
                % {"code": article.code, "level": level},
            )
        return QuoteLine(line.index, line.line_id, article, line.quantity, level, line.caller_price)


@extend_schema_serializer(component_name="Quote")
class QuoteRequestSerializer(serializers.Serializer):
    """A basket to price for a customer node on a date. Name the node by exactly one of
    ``node`` (id), ``node_code`` or ``node_gln``. Up to 10,000 lines; when any line is
    wrong (unknown article or GTIN, quantity ≤ 0, blocked article…) nothing is priced
    and the 400 answer lists every bad line in ``details.lines``."""

    node = serializers.IntegerField(required=False, min_value=1, help_text="Customer node id.")
    node_code = serializers.CharField(required=False, max_length=30)
    node_gln = serializers.CharField(required=False, max_length=20)
    date = serializers.DateField(
        required=False, help_text="Pricing date (YYYY-MM-DD); default: today."
    )
    lines = QuoteLineSerializer(many=True, allow_empty=False, max_length=QUOTE_MAX_LINES)

    def _node(self, attrs: Mapping[str, Any]) -> CustomerNode:
        given = [name for name in ("node", "node_code", "node_gln") if name in attrs]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"node": [_("Name the customer by exactly one of node, node_code or node_gln.")]}
            )
        field = given[0]
        if field == "node_gln" and not compact_digits(attrs["node_gln"]).isdigit():
            raise serializers.ValidationError({"node_gln": [_("A GLN has 13 digits.")]})
        lookup = {
            "node": {"pk": attrs.get("node")},
            "node_code": {"code": attrs.get("node_code")},
            "node_gln": {"gln": compact_digits(attrs.get("node_gln") or "")},
        }[field]
        node = CustomerNode.objects.filter(**lookup).first()
        if node is None:
            raise serializers.ValidationError(
                {field: [_("No customer node matches %(value)s.") % {"value": attrs[field]}]}
            )
        return node

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        node = self._node(attrs)
        problems: list[LineProblem] = []
        inputs: list[QuoteLineInput] = []
        for index, item in enumerate(attrs["lines"]):
            if isinstance(item, _RefusedLine):
                problems.extend(_problems_of(index, item.line_id, item.errors))
                continue
            inputs.append(
                QuoteLineInput(
                    index=index,
                    line_id=item.get("line_id"),
                    article_id=item.get("article"),
                    article_code=item.get("article_code"),
                    gtin=item.get("gtin"),
                    quantity=item["quantity"],
                    packaging_level=item.get("packaging_level") or None,
                    caller_price=item.get("price"),
                )
            )
        catalogue = _Catalogue.load(inputs)
        resolved: list[QuoteLine] = []
        for line_input in inputs:
            outcome = catalogue.resolve(line_input)
            if isinstance(outcome, LineProblem):
                problems.append(outcome)
            else:
                resolved.append(outcome)
        problems.sort(key=lambda problem: problem.index)
        if problems:
            bad_lines = len({problem.index for problem in problems})
            first = problems[0]
            error = ValidationFailed(
                {"lines": [f"{p.index}: {p.message}" for p in problems]},
                message=_(
                    "%(bad)s of %(total)s lines cannot be priced; line %(index)s: %(message)s"
                )
                % {
                    "bad": bad_lines,
                    "total": len(attrs["lines"]),
                    "index": first.index,
                    "message": first.message,
                },
            )
            error.details["lines"] = [problem.as_dict() for problem in problems]
            raise error
        return {
            "node": node,
            "on_date": attrs.get("date") or timezone.localdate(),
            "lines": resolved,
        }


# Response of the quote: described by serializers, built as plain data (10,000 lines
# through DRF fields would cost more than the pricing itself).


class BreakdownSourceSerializer(serializers.Serializer):
    condition_id = serializers.IntegerField(read_only=True)
    contract_id = serializers.IntegerField(read_only=True)
    contract_code = serializers.CharField(read_only=True)
    node_id = serializers.IntegerField(read_only=True, help_text="The node the contract stands on.")
    scope_kind = ScopeKindField(read_only=True)
    scope_id = serializers.IntegerField(read_only=True, allow_null=True)


class BreakdownGrossSerializer(serializers.Serializer):
    unit_price = _unit_price_field(help_text="Per ordered unit.")
    price_list_id = serializers.IntegerField(read_only=True)
    price_list_code = serializers.CharField(
        read_only=True, help_text="The list, or 'LIST ← PARENT' when inherited from a parent list."
    )


class BreakdownLevelSerializer(serializers.Serializer):
    level = serializers.IntegerField(read_only=True)
    label = serializers.CharField(read_only=True)
    order = serializers.IntegerField(read_only=True)
    value_kind = ValueKindField(read_only=True)
    stacking = StackingField(read_only=True)
    exclusive = serializers.BooleanField(read_only=True)
    status = StepStatusField(read_only=True)
    rate = _rate_field(allow_null=True, help_text="Percent; null when no rate applies.")
    amount = _unit_price_field(allow_null=True, help_text="Per ordered unit.")
    price_after = _unit_price_field()
    source = BreakdownSourceSerializer(read_only=True, allow_null=True)


class BreakdownNetPriceSerializer(serializers.Serializer):
    mode = NetPriceModeField(read_only=True)
    price = _unit_price_field()
    applied = serializers.BooleanField(read_only=True)
    source = BreakdownSourceSerializer(read_only=True)


class BreakdownFreeGoodsSerializer(serializers.Serializer):
    buy_quantity = _quantity_field(help_text="N, in base units.")
    free_per_buy = _quantity_field(help_text="M, in base units.")
    free_quantity = _quantity_field(help_text="Free quantity, in the ordered unit.")
    free_base_quantity = _quantity_field(help_text="Free quantity, in base units.")
    source = BreakdownSourceSerializer(read_only=True)


class BreakdownMarginSerializer(serializers.Serializer):
    cost_unit_price = _unit_price_field(help_text="Per ordered unit.")
    amount = _amount_field(allow_null=True)
    rate_on_sales = _rate_field(allow_null=True)
    rate_on_cost = _rate_field(allow_null=True)


class BreakdownConflictSerializer(serializers.Serializer):
    slot = serializers.CharField(read_only=True)
    node_id = serializers.IntegerField(read_only=True)
    scope_kind = ScopeKindField(read_only=True)
    scope_id = serializers.IntegerField(read_only=True, allow_null=True)
    condition_ids = serializers.ListField(child=serializers.IntegerField(), read_only=True)


class BreakdownFlagsSerializer(serializers.Serializer):
    below_cost = serializers.BooleanField(read_only=True)
    below_resale_floor = serializers.BooleanField(read_only=True)
    clamped_at_zero = serializers.BooleanField(read_only=True)
    conflicts = BreakdownConflictSerializer(many=True, read_only=True)


class PriceBreakdownSerializer(serializers.Serializer):
    """How a line was priced (``PricedLine.to_breakdown()``), the snapshot stored on
    document lines: gross price and its list, each of the six levels with its rate or
    amount, the price after it and the condition that set it, the net price, free
    goods, margin and flags."""

    schema = serializers.IntegerField(read_only=True, help_text="Version of this structure.")
    line_id = serializers.IntegerField(read_only=True, help_text="The line's index in the request.")
    article_id = serializers.IntegerField(read_only=True)
    date = serializers.DateField(read_only=True)
    quantity = _quantity_field()
    unit = serializers.CharField(read_only=True, help_text="The ordered unit.")
    base_units_per_unit = _quantity_field()
    gross = BreakdownGrossSerializer(read_only=True)
    levels = BreakdownLevelSerializer(many=True, read_only=True)
    net_price = BreakdownNetPriceSerializer(read_only=True, allow_null=True)
    net_unit_price = _unit_price_field()
    line_amount = _amount_field()
    free_goods = BreakdownFreeGoodsSerializer(read_only=True, allow_null=True)
    effective_unit_price = _unit_price_field(
        help_text="Line amount over the quantity received, free goods included."
    )
    equivalent_discount_rate = _rate_field()
    margin = BreakdownMarginSerializer(
        read_only=True, allow_null=True, help_text="Null when the article has no cost price."
    )
    flags = BreakdownFlagsSerializer(read_only=True)


class QuoteLineResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(
        read_only=True, help_text="Position of the line in the request."
    )
    line_id = serializers.CharField(read_only=True, allow_null=True)
    article_code = serializers.CharField(read_only=True)
    breakdown = PriceBreakdownSerializer(read_only=True)
    caller_price = _unit_price_field(
        required=False, help_text="Present when the line gave a price."
    )
    price_difference = _unit_price_field(
        required=False,
        help_text="caller_price − net_unit_price; present when the line gave a price.",
    )


class UnpricedLineSerializer(serializers.Serializer):
    index = serializers.IntegerField(read_only=True)
    line_id = serializers.CharField(read_only=True, allow_null=True)
    article_id = serializers.IntegerField(read_only=True)
    article_code = serializers.CharField(read_only=True)
    reason = serializers.CharField(read_only=True, help_text="Machine-readable: price_not_found.")
    message = serializers.CharField(read_only=True)


class PriceListRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    currency = serializers.CharField(read_only=True)


class QuoteSerializer(serializers.Serializer):
    """A priced basket. ``lines`` holds the priced lines in request order; lines without
    a gross price on the date are in ``unpriced``. Totals count priced lines only."""

    node = NodeRefSerializer(read_only=True)
    date = serializers.DateField(read_only=True)
    price_list = PriceListRefSerializer(
        read_only=True, allow_null=True, help_text="The list the node holds or inherits."
    )
    condition_count = serializers.IntegerField(
        read_only=True, help_text="Contract conditions considered for the basket."
    )
    line_count = serializers.IntegerField(read_only=True)
    priced_line_count = serializers.IntegerField(read_only=True)
    total_amount = _amount_field(help_text="Sum of the priced lines' amounts.")
    lines = QuoteLineResultSerializer(many=True, read_only=True)
    unpriced = UnpricedLineSerializer(many=True, read_only=True)


def quote_data(result: BasketResult, lines: Sequence[QuoteLine]) -> dict[str, Any]:
    """The quote response, built as plain JSON-able data with decimals as strings."""
    by_index = {line.index: line for line in lines}
    priced = []
    total = Decimal("0.00")
    for priced_line in result.lines:
        line = by_index[priced_line.line_id]  # type: ignore[index]
        total += priced_line.line_amount
        row: dict[str, Any] = {
            "index": line.index,
            "line_id": line.line_id,
            "article_code": line.article.code,
            "breakdown": priced_line.to_breakdown(),
        }
        if line.caller_price is not None:
            row["caller_price"] = decimal_string(line.caller_price)
            row["price_difference"] = decimal_string(line.caller_price - priced_line.net_unit_price)
        priced.append(row)
    unpriced = []
    for line_id in result.unpriced_line_ids:
        line = by_index[line_id]  # type: ignore[index]
        unpriced.append(
            {
                "index": line.index,
                "line_id": line.line_id,
                "article_id": line.article.pk,
                "article_code": line.article.code,
                "reason": engine.PriceNotFound.code,
                "message": _("No gross price for article %(code)s on %(date)s.")
                % {"code": line.article.code, "date": result.on_date.isoformat()},
            }
        )
    price_list = result.price_list
    return {
        "node": {"id": result.node.pk, "code": result.node.code, "name": result.node.name},
        "date": result.on_date.isoformat(),
        "price_list": None
        if price_list is None
        else {
            "id": price_list.pk,
            "code": price_list.code,
            "name": price_list.name,
            "currency": price_list.currency,
        },
        "condition_count": result.condition_count,
        "line_count": len(lines),
        "priced_line_count": len(priced),
        "total_amount": decimal_string(total),
        "lines": priced,
        "unpriced": unpriced,
    }
