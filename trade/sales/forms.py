"""Browser forms of sales: list filters, the order and quote headers, keyed lines.

Forms only parse and check shapes (a date, a number, a known article); every
business rule (blocked customer, full cases, past dates, prices) is the services'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from logistics.models import Warehouse
from trade.models import Article, CustomerNode, PackagingLevel

from .models import OrderOrigin, OrderState, QuoteState
from .selectors.orders import article_resolve
from .services import LineInput

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def parse_quantity(text: str) -> Decimal | None:
    """A keyed quantity: "12", "2,5" or "2.5"; None when it is not a number."""
    text = (text or "").strip().replace("\u202f", "").replace(" ", "").replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def parse_date(text: str) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


# ---------------------------------------------------------------- filters


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Number or customer reference"), required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False,
                              choices=[("", gettext_lazy("All states")), *OrderState.choices])
    customer = forms.CharField(label=gettext_lazy("Customer (code)"), required=False)
    origin = forms.ChoiceField(label=gettext_lazy("Origin"), required=False,
                               choices=[("", gettext_lazy("All origins")), *OrderOrigin.choices])
    created_from = forms.DateField(label=gettext_lazy("Created from"), required=False, widget=DATE_WIDGET)
    created_to = forms.DateField(label=gettext_lazy("Created until"), required=False, widget=DATE_WIDGET)
    requested_from = forms.DateField(label=gettext_lazy("Requested from"), required=False, widget=DATE_WIDGET)
    requested_to = forms.DateField(label=gettext_lazy("Requested until"), required=False, widget=DATE_WIDGET)
    late = forms.BooleanField(label=gettext_lazy("Late only"), required=False)

    def __init__(self, *args: Any, lookup_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if lookup_url:
            self.fields["customer"].widget.attrs.update({"data-lookup-url": lookup_url, "autocomplete": "off"})


class QuoteFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Number or customer reference"), required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False,
                              choices=[("", gettext_lazy("All states")), *QuoteState.choices])
    customer = forms.CharField(label=gettext_lazy("Customer (code)"), required=False)

    def __init__(self, *args: Any, lookup_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if lookup_url:
            self.fields["customer"].widget.attrs.update({"data-lookup-url": lookup_url, "autocomplete": "off"})


def customer_by_code(code: str) -> CustomerNode | None:
    code = (code or "").strip()
    return CustomerNode.objects.filter(code__iexact=code).first() if code else None


# ---------------------------------------------------------------- headers


class NodeField(forms.ModelChoiceField):
    """A customer node keyed by its id (the type-ahead fills a hidden input)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=CustomerNode.objects.all(), widget=forms.HiddenInput, **kwargs)


class OrderHeaderForm(forms.Form):
    customer = NodeField(label=gettext_lazy("Customer"),
                         error_messages={"required": gettext_lazy("Choose the customer first.")})
    requested_date = forms.DateField(label=gettext_lazy("Requested delivery date"), widget=DATE_WIDGET)
    customer_reference = forms.CharField(label=gettext_lazy("Customer reference"), required=False, max_length=35)
    delivery_node = NodeField(label=gettext_lazy("Delivered to"), required=False)
    invoicing_node = NodeField(label=gettext_lazy("Invoiced to"), required=False)
    warehouse = forms.ModelChoiceField(label=gettext_lazy("Warehouse"),
                                       queryset=Warehouse.objects.filter(is_active=True).order_by("code"))
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 1}))


class QuoteHeaderForm(forms.Form):
    customer = NodeField(label=gettext_lazy("Customer"),
                         error_messages={"required": gettext_lazy("Choose the customer first.")})
    requested_date = forms.DateField(label=gettext_lazy("Requested delivery date"), widget=DATE_WIDGET)
    valid_until = forms.DateField(label=gettext_lazy("Valid until"), widget=DATE_WIDGET)
    customer_reference = forms.CharField(label=gettext_lazy("Customer reference"), required=False, max_length=35)
    delivery_node = NodeField(label=gettext_lazy("Delivered to"), required=False)
    invoicing_node = NodeField(label=gettext_lazy("Invoiced to"), required=False)
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False,
                            widget=forms.Textarea(attrs={"rows": 1}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=200)


class RequestedDateForm(forms.Form):
    requested_date = forms.DateField(label=gettext_lazy("Requested delivery date"), required=False,
                                     widget=DATE_WIDGET)


# ---------------------------------------------------------------- keyed lines


@dataclass(frozen=True)
class KeyedLines:
    lines: list[LineInput]
    errors: list[str]


def _article_from(article_id: str, text: str) -> tuple[Article | None, str | None]:
    """The article of a keyed line (by id when the type-ahead chose it, else by code
    or GTIN) and the GTIN's packaging level when found that way."""
    if article_id and article_id.isdigit():
        article = Article.objects.filter(pk=int(article_id)).first()
        if article is not None:
            return article, None
    hit = article_resolve(text)
    if hit is None:
        return None, None
    return hit.article, hit.level


def keyed_lines(data: QueryDict, *, prefix: str = "") -> KeyedLines:
    """Lines posted as parallel lists ``article_id``, ``article`` (code or GTIN keyed),
    ``quantity``, ``packaging_level`` (absent: the GTIN's level or the base unit) and
    optionally ``line_requested_date`` (the header has its own ``requested_date``) and
    ``caller_unit_price`` (a price the customer sent, carried by a quote's lines: only
    ever compared). Only the shape is checked here; a line refused here names what was
    keyed."""
    def values(name: str) -> list[str]:
        return data.getlist(prefix + name)

    ids, texts, quantities = values("article_id"), values("article"), values("quantity")
    levels, dates, prices = values("packaging_level"), values("line_requested_date"), values("caller_unit_price")
    count = max(len(ids), len(texts))
    lines: list[LineInput] = []
    errors: list[str] = []
    valid_levels = {"", *PackagingLevel.values}
    for index in range(count):
        article_id = ids[index] if index < len(ids) else ""
        text = (texts[index] if index < len(texts) else "").strip()
        if not article_id and not text:
            errors.append(_("Type an article code, a GTIN or part of a designation."))
            continue
        article, gtin_level = _article_from(article_id, text)
        label = text or (article.code if article else article_id)
        if article is None:
            errors.append(_("“%(text)s”: no article has this code or GTIN.") % {"text": label})
            continue
        raw_quantity = quantities[index] if index < len(quantities) else ""
        quantity = parse_quantity(raw_quantity)
        if quantity is None:
            errors.append(_("%(article)s: the quantity “%(quantity)s” is not a number.")
                          % {"article": article.code, "quantity": raw_quantity})
            continue
        level = levels[index] if index < len(levels) else None
        if level is None:
            level = gtin_level or ""
        if level not in valid_levels:
            errors.append(_("%(article)s: unknown unit “%(level)s”.") % {"article": article.code, "level": level})
            continue
        raw_date = dates[index] if index < len(dates) else ""
        requested_date = parse_date(raw_date) if raw_date else None
        if raw_date and requested_date is None:
            errors.append(_("%(article)s: “%(date)s” is not a date.") % {"article": article.code, "date": raw_date})
            continue
        raw_price = (prices[index] if index < len(prices) else "").strip()
        caller_price = parse_quantity(raw_price) if raw_price else None
        if raw_price and (caller_price is None or caller_price < 0):
            errors.append(_("%(article)s: the price “%(price)s” is not a price.")
                          % {"article": article.code, "price": raw_price})
            continue
        lines.append(LineInput(article=article, quantity=quantity, packaging_level=level,
                               requested_date=requested_date, caller_unit_price=caller_price))
    return KeyedLines(lines=lines, errors=errors)
