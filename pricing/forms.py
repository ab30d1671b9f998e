"""Browser forms of pricing: contracts and their condition grid, the price simulator,
price lists and their lines, the six discount levels, year-end rebates.

Forms check single rows (model validators and ``clean`` run through the ModelForms);
rules that span rows (conflicts, derivation cycles) stay in ``pricing.services`` and
come back as ``ValidationFailed`` / ``DomainError``, which the views map onto these
forms. Customers and articles are keyed by code, GLN or GTIN rather than picked
from a select: a hierarchy or a catalogue of tens of thousands would not fit one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.forms import BaseModelFormSet, inlineformset_factory
from django.forms.utils import flatatt
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from comptoir import roles
from comptoir.identifiers import compact_digits
from trade.forms import (
    ANY_LABEL,
    TreeChoiceField,
    UserChoiceField,
    article_by_code_or_gtin,
    indented_label,
    plain_decimal,
)
from trade.models import (
    Article,
    ArticleFamily,
    Brand,
    CustomerNode,
    PackagingLevel,
    PriceList,
)

from . import engine
from .models import (
    Condition,
    ConditionKind,
    Contract,
    ContractStatus,
    CustomerSegment,
    DiscountLevel,
    PriceListItem,
    RebateAgreement,
    RebateBase,
    RebateTier,
)
from .services import TierInput

# How many candidates a name search lists before asking for a code.
AMBIGUOUS_LIST = 5


class DateInput(forms.DateInput):
    """The browser's date picker; the value travels as ISO 8601 whatever the language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DirectInputMixin:
    """Renders the ``<input>`` in Python, with the same attributes Django's widget
    template writes. A grid row has a dozen inputs and a contract page a few dozen rows:
    the template round trip per input is most of the page's time."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        html_attrs: dict[str, Any] = {"type": widget["type"], "name": widget["name"]}
        if widget["value"] is not None:
            html_attrs["value"] = widget["value"]
        return format_html("<input{}>", flatatt({**html_attrs, **widget["attrs"]}))


class GridTextInput(DirectInputMixin, forms.TextInput):
    pass


class GridNumberInput(DirectInputMixin, forms.NumberInput):
    pass


class GridDateInput(DirectInputMixin, DateInput):
    pass


class SharedOptionsSelect(forms.Select):
    """A select whose ``<option>`` list is rendered once and shared by every row of a
    grid. Django renders each option through a template: a grid of a few hundred
    conditions, each with the lists of families and brands, would spend seconds there.

    ``cache`` is a dict the rows share (the formset's), ``key`` names this list in it.
    """

    def __init__(
        self, *, cache: dict[str, str], key: str, choices: Any, attrs: dict[str, Any] | None = None
    ) -> None:
        super().__init__(attrs=attrs, choices=choices)
        self.cache = cache
        self.key = key

    def options_html(self) -> str:
        if self.key not in self.cache:
            self.cache[self.key] = "".join(
                format_html('<option value="{}">{}</option>', "" if value is None else value, label)
                for value, label in self.choices
            )
        return self.cache[self.key]

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        options = self.options_html()
        values = self.format_value(value)
        current = values[0] if values else ""
        marker = format_html('value="{}"', current)
        options = options.replace(marker, f"{marker} selected", 1)
        return mark_safe(f"<select{flatatt(final_attrs)}>{options}</select>")


def lookup_attrs(url_name: str, placeholder: Any) -> dict[str, Any]:
    """Attributes of a text input with type-ahead suggestions (see app.js)."""
    return {
        "data-lookup-url": reverse_lazy(url_name),
        "autocomplete": "off",
        "placeholder": placeholder,
        "spellcheck": "false",
    }


# --------------------------------------------------------------------------- keyed records


def customer_by_key(value: str) -> CustomerNode:
    """The customer node a code, a GLN or an unambiguous part of a name designates."""
    value = value.strip()
    node = CustomerNode.objects.filter(code__iexact=value).first()
    digits = compact_digits(value)
    if node is None and digits.isdigit() and len(digits) == 13:
        node = CustomerNode.objects.filter(gln=digits).first()
    if node is not None:
        return node
    matches = list(
        CustomerNode.objects.filter(name__icontains=value).order_by("depth", "code")[
            : AMBIGUOUS_LIST + 1
        ]
    )
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise forms.ValidationError(
            _("No customer has the code, GLN or name %(value)s."),
            code="unknown_customer",
            params={"value": value},
        )
    raise forms.ValidationError(
        _("Several customers match %(value)s (%(codes)s): type a code or a GLN."),
        code="ambiguous_customer",
        params={"value": value, "codes": ", ".join(node.code for node in matches[:AMBIGUOUS_LIST])},
    )


class CustomerField(forms.CharField):
    """A customer node keyed by code, GLN or name, with type-ahead suggestions."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 150)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs=lookup_attrs("pricing:lookup_customers", _("Code, GLN or name"))),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> CustomerNode | None:
        text = super().clean(value)
        return customer_by_key(text) if text else None


class ArticleField(forms.CharField):
    """An article keyed by its code or a GTIN, with type-ahead suggestions."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs=lookup_attrs("pricing:lookup_articles", _("Code or GTIN"))),
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Article | None:
        text = super().clean(value)
        return article_by_code_or_gtin(text) if text else None


def level_choices(empty_label: Any = "—") -> list[tuple[Any, str]]:
    """The company's levels in cascade order, as "L3 Remise enseigne/contrat"."""
    return [
        ("", str(empty_label)),
        *[(level.number, str(level)) for level in DiscountLevel.objects.all()],
    ]


# --------------------------------------------------------------------------- contracts


class ContractForm(forms.ModelForm):
    """A contract's header. The status is not a field: it changes through the
    Activate / Terminate actions only."""

    node = CustomerField(
        label=_("Customer"),
        required=False,
        help_text=_("The contract applies to this node and everything below it."),
    )
    owner = UserChoiceField(
        label=_("Owner"), queryset=get_user_model().objects.none(), required=False
    )

    class Meta:
        model = Contract
        fields = ["code", "name", "node", "segment", "valid_from", "valid_to", "owner", "notes"]
        widgets = {
            "valid_from": DateInput,
            "valid_to": DateInput,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "segment": _("Or a segment: the contract then applies to each of its members.")
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        contract: Contract = self.instance
        if contract.node_id is not None and not self.is_bound:
            self.initial["node"] = contract.node.code
        self.fields["segment"].queryset = CustomerSegment.objects.order_by("code")
        self.fields["segment"].empty_label = _("— none —")
        user_model = get_user_model()
        owners = Q(is_active=True, groups__name__in=[roles.SALES, roles.ADMIN])
        if contract.owner_id is not None:
            owners |= Q(pk=contract.owner_id)
        self.fields["owner"].queryset = (
            user_model.objects.filter(owners).distinct().order_by("last_name", "username")
        )


class ContractFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Code or name")}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", ANY_LABEL), *ContractStatus.choices]
    )
    customer = CustomerField(
        label=_("Applies to customer"),
        required=False,
        help_text=_("Its own contracts, its ancestors' and its segments'."),
    )
    valid_on = forms.DateField(label=_("Valid on"), required=False, widget=DateInput)


# --------------------------------------------------------------------------- condition grid

TIER_SEPARATOR = re.compile(r"\s*;\s*")
TIER_PAIR = re.compile(r"^(?P<threshold>\d+(?:[.,]\d+)?)\s*:\s*(?P<rate>-?\d+(?:[.,]\d+)?)$")
THRESHOLD_PLACES = 3
RATE_PLACES = 4


def _decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0


def parse_tiers(text: str) -> list[TierInput]:
    """``"10:2; 50:4,5"`` → tiers (threshold → rate %), refusing anything else.

    Strict on purpose: a threshold or a rate that cannot be read, too many decimals,
    a rate outside −100…100 or a repeated threshold is an error naming the part,
    never a silently dropped tier. The decimal mark may be a point or a comma.
    """
    text = text.strip().rstrip(";").strip()
    if not text:
        return []
    tiers: list[TierInput] = []
    seen: set[Decimal] = set()
    for part in TIER_SEPARATOR.split(text):
        match = TIER_PAIR.match(part)
        if match is None:
            raise forms.ValidationError(
                _(
                    "“%(part)s” is not a tier: write threshold:rate, tiers separated by semicolons (10:2; 50:4)."
                ),
                code="tier_format",
                params={"part": part},
            )
        # The pattern only lets digits and one decimal mark through: Decimal() cannot fail.
        threshold = Decimal(match["threshold"].replace(",", "."))
        rate = Decimal(match["rate"].replace(",", "."))
        if _decimal_places(threshold) > THRESHOLD_PLACES or _decimal_places(rate) > RATE_PLACES:
            raise forms.ValidationError(
                _("“%(part)s”: a threshold has at most 3 decimals and a rate at most 4."),
                code="tier_places",
                params={"part": part},
            )
        if not Decimal(-100) <= rate <= Decimal(100):
            raise forms.ValidationError(
                _("“%(part)s”: a rate is between −100 and 100 %%."),
                code="tier_rate",
                params={"part": part},
            )
        if threshold in seen:
            raise forms.ValidationError(
                _("The threshold %(threshold)s appears twice."),
                code="tier_duplicate",
                params={"threshold": f"{plain_decimal(threshold)}"},
            )
        seen.add(threshold)
        tiers.append(TierInput(threshold=threshold, rate=rate))
    return sorted(tiers, key=lambda tier: tier.threshold)


def format_tiers(tiers: Sequence[Any]) -> str:
    return "; ".join(
        f"{plain_decimal(tier.threshold)}:{plain_decimal(tier.rate)}" for tier in tiers
    )


# The fields each kind uses; the others are emptied so that a row switched from one
# kind to another does not keep stale values.
KIND_FIELDS: dict[str, set[str]] = {
    ConditionKind.DISCOUNT: {"level", "rate", "amount"},
    ConditionKind.NET_PRICE: {"net_price", "net_price_mode"},
    ConditionKind.FREE_GOODS: {"buy_quantity", "free_quantity"},
    ConditionKind.TIERS: {"level", "tier_basis", "tiers"},
}
KIND_DEPENDENT = set().union(*KIND_FIELDS.values())
SCOPE_TARGETS = ("family", "brand", "article")


SHARED_SELECTS = ("kind", "level", "scope_kind", "family", "brand", "net_price_mode", "tier_basis")


class ConditionForm(forms.ModelForm):
    """One row of the condition grid. The target of the scope is a family or a brand
    picked in a list, or an article keyed by code or GTIN; quantity tiers are typed as
    ``threshold:rate; threshold:rate``."""

    level = forms.TypedChoiceField(label=_("Level"), required=False, coerce=int, empty_value=None)
    family = TreeChoiceField(
        label=_("Family"),
        queryset=ArticleFamily.objects.order_by("path"),
        required=False,
        empty_label=_("— family —"),
    )
    article = ArticleField(
        label=_("Article"),
        required=False,
        widget=GridTextInput(attrs=lookup_attrs("pricing:lookup_articles", _("Code or GTIN"))),
    )
    tiers = forms.CharField(
        label=_("Tiers (threshold:rate %)"),
        required=False,
        max_length=500,
        widget=GridTextInput(attrs={"placeholder": "10:2; 50:4", "spellcheck": "false"}),
    )

    class Meta:
        model = Condition
        fields = [
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
        ]
        widgets = {
            "kind": forms.Select(attrs={"data-switch": "kind"}),
            "scope_kind": forms.Select(attrs={"data-switch": "scope"}),
            "rate": GridNumberInput,
            "amount": GridNumberInput,
            "net_price": GridNumberInput,
            "buy_quantity": GridNumberInput,
            "free_quantity": GridNumberInput,
            "min_quantity": GridNumberInput,
            "valid_from": GridDateInput,
            "valid_to": GridDateInput,
        }
        labels = {
            "net_price_mode": _("Mode"),
            "buy_quantity": _("N ordered"),
            "free_quantity": _("M free"),
        }

    def __init__(
        self,
        *args: Any,
        levels: list[tuple[Any, str]] | None = None,
        families: list[tuple[Any, str]] | None = None,
        brands: list[tuple[Any, str]] | None = None,
        options_cache: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The grid shares one copy of each list (see ConditionFormSet): one query per
        # list for the whole grid, not one per row.
        self.fields["level"].choices = levels if levels is not None else level_choices()
        if families is not None:
            self.fields["family"].choices = families
        self.fields["brand"].queryset = Brand.objects.all()
        self.fields["brand"].empty_label = str(_("— brand —"))
        if brands is not None:
            self.fields["brand"].choices = brands
        self.fields["kind"].choices = [("", str(_("— kind —"))), *ConditionKind.choices]
        self.fields["net_price_mode"].choices = [
            ("", "—"),
            *self.fields["net_price_mode"].choices[1:],
        ]
        self.fields["tier_basis"].choices = [("", "—"), *self.fields["tier_basis"].choices[1:]]
        if options_cache is not None:
            for name in SHARED_SELECTS:
                field = self.fields[name]
                field.widget = SharedOptionsSelect(
                    cache=options_cache, key=name, choices=field.choices, attrs=field.widget.attrs
                )
        condition: Condition = self.instance
        if not self.is_bound:
            # 2 rather than 2.0000 in the inputs: the stored places are not what was typed.
            for name in (
                "rate",
                "amount",
                "net_price",
                "buy_quantity",
                "free_quantity",
                "min_quantity",
            ):
                if isinstance(self.initial.get(name), Decimal):
                    self.initial[name] = plain_decimal(self.initial[name])
        if condition.pk is not None and not self.is_bound:
            if condition.article_id is not None:
                self.initial["article"] = condition.article.code
            self.initial["tiers"] = format_tiers(list(condition.tiers.all()))
        self.tier_inputs: list[TierInput] | None = None

    def clean_tiers(self) -> str:
        text = self.cleaned_data.get("tiers", "")
        self.tier_inputs = parse_tiers(text)
        return text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        used = KIND_FIELDS.get(kind, KIND_DEPENDENT) if kind else KIND_DEPENDENT
        for name in KIND_DEPENDENT - used:
            cleaned[name] = "" if name in ("net_price_mode", "tier_basis", "tiers") else None
        if kind != ConditionKind.TIERS:
            self.tier_inputs = None
        elif not self.tier_inputs and "tiers" not in self.errors:
            self.add_error("tiers", _("Give at least one tier, e.g. 10:2; 50:4."))
        scope = cleaned.get("scope_kind")
        for name in SCOPE_TARGETS:
            if name != scope:
                cleaned[name] = None
        return cleaned

    def tiers_to_save(self) -> list[TierInput] | None:
        """The tiers the service writes: the parsed list for a tier condition, an empty
        list for another kind (a row switched away from tiers drops them)."""
        return self.tier_inputs if self.cleaned_data.get("kind") == ConditionKind.TIERS else []


class BaseConditionFormSet(BaseModelFormSet):
    """The grid of a contract's conditions; the lists of levels, families and brands
    are loaded once and shared by every row."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._shared_choices = {
            "levels": level_choices(),
            "families": [
                ("", str(_("— family —"))),
                *[
                    (family.pk, indented_label(family.code, family.name, family.depth))
                    for family in ArticleFamily.objects.order_by("path")
                ],
            ],
            "brands": [("", str(_("— brand —"))), *[(b.pk, b.name) for b in Brand.objects.all()]],
        }
        self._options_cache: dict[str, str] = {}
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {
            **super().get_form_kwargs(index),
            **self._shared_choices,
            "options_cache": self._options_cache,
        }

    def add_error(self, message: str) -> None:
        """Show a rule the services refused (a conflict, a closed contract) above the grid."""
        self.non_form_errors().append(message)


ConditionFormSet = forms.modelformset_factory(
    Condition,
    form=ConditionForm,
    formset=BaseConditionFormSet,
    extra=1,
    can_delete=True,
)


# --------------------------------------------------------------------------- simulator

SIMULATOR_MAX_ARTICLES = 100
BASE_UNIT = "base"
ORDERED_UNIT_CHOICES = [(BASE_UNIT, _("Base unit")), *PackagingLevel.choices]
ARTICLE_SEPARATORS = re.compile(r"[\s,;]+")


class SimulatorForm(forms.Form):
    """What the price simulator prices: one customer, articles keyed one by one or a
    whole family, one quantity in one packaging level, on one date."""

    customer = CustomerField(label=_("Customer"))
    articles = forms.CharField(
        label=_("Articles"),
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": _("Codes or GTINs, separated by spaces or lines"),
                "spellcheck": "false",
            }
        ),
    )
    family = TreeChoiceField(
        label=_("Or a family"),
        queryset=ArticleFamily.objects.order_by("path"),
        required=False,
        empty_label=_("— none —"),
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=14,
        decimal_places=3,
        min_value=Decimal("0.001"),
        initial=Decimal("1"),
    )
    unit = forms.ChoiceField(
        label=_("Per"), choices=ORDERED_UNIT_CHOICES, initial=PackagingLevel.CASE
    )
    on_date = forms.DateField(label=_("Date"), widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on_date"].initial = timezone.localdate()
        self.fields["family"].help_text = _(
            "Its articles and its sub-families' (at most %(max)s)."
        ) % {"max": SIMULATOR_MAX_ARTICLES}
        self.capped_family_count: int | None = None

    def clean_articles(self) -> list[Article]:
        text = self.cleaned_data.get("articles", "")
        articles: list[Article] = []
        errors: list[forms.ValidationError] = []
        for key in ARTICLE_SEPARATORS.split(text.strip()):
            if not key:
                continue
            try:
                article = article_by_code_or_gtin(key)
            except forms.ValidationError as exc:
                errors.append(exc)
                continue
            if article not in articles:
                articles.append(article)
        if errors:
            raise forms.ValidationError(errors)
        if len(articles) > SIMULATOR_MAX_ARTICLES:
            raise forms.ValidationError(
                _("At most %(max)s articles at once."),
                code="too_many",
                params={"max": SIMULATOR_MAX_ARTICLES},
            )
        return articles

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        articles: list[Article] = list(cleaned.get("articles") or [])
        family: ArticleFamily | None = cleaned.get("family")
        if family is not None:
            in_family = Article.objects.filter(family__path__startswith=family.path).order_by(
                "code"
            )
            total = in_family.count()
            room = SIMULATOR_MAX_ARTICLES - len(articles)
            if total > room:
                self.capped_family_count = total
            chosen = {article.pk for article in articles}
            articles += [
                article for article in in_family[: max(room, 0)] if article.pk not in chosen
            ]
        if not articles and "articles" not in self.errors:
            self.add_error("articles", _("Key at least one article or choose a family."))
        cleaned["article_list"] = articles
        return cleaned

    @property
    def packaging_level(self) -> str:
        unit = self.cleaned_data["unit"]
        return "" if unit == BASE_UNIT else unit


# --------------------------------------------------------------------------- what-if


class WhatIfForm(forms.Form):
    until = forms.DateField(
        label=_("Twelve months up to"),
        widget=DateInput,
        help_text=_("The sales of the twelve months before this date are priced again."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["until"].initial = timezone.localdate()


# --------------------------------------------------------------------------- price lists


class PriceListForm(forms.ModelForm):
    class Meta:
        model = PriceList
        fields = [
            "code",
            "name",
            "currency",
            "parent",
            "coefficient",
            "valid_from",
            "valid_to",
            "is_active",
        ]
        widgets = {
            "currency": forms.TextInput(attrs={"size": 4, "maxlength": 3}),
            "valid_from": DateInput,
            "valid_to": DateInput,
        }
        help_texts = {
            "coefficient": _(
                "A derived list's price = its parent's × this coefficient (1.05 = +5 %)."
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = PriceList.objects.order_by("code")
        if self.instance.pk is not None:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].empty_label = _("— none (own prices only) —")

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()


class PriceListFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Code or name")}),
    )
    active = forms.ChoiceField(
        label=_("Active"),
        required=False,
        choices=[("", ANY_LABEL), ("yes", _("Yes")), ("no", _("No"))],
    )


class PriceListItemFilterForm(forms.Form):
    article = forms.CharField(
        label=_("Article"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Code, designation or GTIN")}),
    )


class PriceListItemForm(forms.ModelForm):
    article = ArticleField(label=_("Article"))

    class Meta:
        model = PriceListItem
        fields = [
            "article",
            "packaging_level",
            "min_quantity",
            "unit_price",
            "valid_from",
            "valid_to",
        ]
        widgets = {"valid_from": DateInput, "valid_to": DateInput}
        labels = {"packaging_level": _("Price per")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["packaging_level"].choices = [("", _("Base unit")), *PackagingLevel.choices]
        if not self.is_bound and isinstance(self.initial.get("min_quantity"), Decimal):
            self.initial["min_quantity"] = plain_decimal(self.initial["min_quantity"])
        if self.instance.pk is not None and not self.is_bound:
            self.initial["article"] = self.instance.article.code


class BasePriceListItemFormSet(BaseModelFormSet):
    def add_error(self, message: str) -> None:
        self.non_form_errors().append(message)


PriceListItemFormSet = forms.modelformset_factory(
    PriceListItem,
    form=PriceListItemForm,
    formset=BasePriceListItemFormSet,
    extra=3,
    can_delete=False,
)


# --------------------------------------------------------------------------- discount levels


class DiscountLevelForm(forms.ModelForm):
    class Meta:
        model = DiscountLevel
        fields = ["label", "order", "value_kind", "stacking", "exclusive"]
        widgets = {"order": forms.NumberInput(attrs={"min": 1, "max": 6, "class": "narrow"})}

    def validate_unique(self) -> None:
        """Two levels may trade places: distinct orders are checked on the six rows
        together (the formset, then the engine's LevelScheme), not row by row
        against the stored ones."""


class BaseDiscountLevelFormSet(BaseModelFormSet):
    """The six levels, checked together by the engine's own ``LevelScheme``."""

    def validate_unique(self) -> None:
        """Distinct orders are the engine's rule: ``clean`` lets ``LevelScheme`` say it,
        in its own words, rather than Django's generic duplicate message."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        try:
            self.level_scheme()
        except engine.InvalidPricingInput as exc:
            raise forms.ValidationError([str(message) for message in exc.errors]) from exc

    def level_scheme(self) -> engine.LevelScheme:
        return engine.LevelScheme(
            levels=tuple(
                engine.LevelConfig(
                    number=form.instance.number,
                    label=form.cleaned_data["label"],
                    order=form.cleaned_data["order"],
                    value_kind=engine.ValueKind(form.cleaned_data["value_kind"]),
                    stacking=engine.Stacking(form.cleaned_data["stacking"]),
                    exclusive=form.cleaned_data["exclusive"],
                )
                for form in self.forms
            )
        )

    def add_error(self, message: str) -> None:
        self.non_form_errors().append(message)


DiscountLevelFormSet = forms.modelformset_factory(
    DiscountLevel,
    form=DiscountLevelForm,
    formset=BaseDiscountLevelFormSet,
    extra=0,
    can_delete=False,
    max_num=6,
    validate_max=True,
)


# --------------------------------------------------------------------------- year-end rebates


class RebateAgreementForm(forms.ModelForm):
    node = CustomerField(
        label=_("Customer"), help_text=_("Its turnover and that of every node below it count.")
    )
    family = TreeChoiceField(
        label=_("Family"),
        queryset=ArticleFamily.objects.order_by("path"),
        required=False,
        empty_label=_("— none —"),
        help_text=_("Only for a base on a family's turnover."),
    )

    class Meta:
        model = RebateAgreement
        fields = ["code", "node", "period_start", "period_end", "base", "family", "method"]
        widgets = {"period_start": DateInput, "period_end": DateInput}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.node_id is not None and not self.is_bound:
            self.initial["node"] = self.instance.node.code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        base, family = cleaned.get("base"), cleaned.get("family")
        if base == RebateBase.FAMILY and family is None:
            self.add_error("family", _("A base on a family's turnover needs the family."))
        elif base == RebateBase.TOTAL and family is not None:
            cleaned["family"] = None
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The end date is before the start date."))
        return cleaned


class RebateTierForm(forms.ModelForm):
    class Meta:
        model = RebateTier
        fields = ["threshold", "rate"]


class BaseRebateTierFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [
            form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if not kept:
            raise forms.ValidationError(
                _("Give at least one tier (from 0 for a rebate from the first euro).")
            )


RebateTierFormSet = inlineformset_factory(
    RebateAgreement,
    RebateTier,
    form=RebateTierForm,
    formset=BaseRebateTierFormSet,
    extra=2,
    can_delete=True,
)


class RebateFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Agreement or customer code")}),
    )
    running_on = forms.DateField(label=_("Running on"), required=False, widget=DateInput)


class RebateStatusForm(forms.Form):
    on_date = forms.DateField(label=_("Status on"), widget=DateInput)

    def __init__(self, *args: Any, default: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on_date"].initial = default
