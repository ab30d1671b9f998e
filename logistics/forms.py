"""Browser forms of logistics: document headers and lines, stock actions, list filters.

Articles are keyed by code or GTIN and locations by their code inside the document's
warehouse: a warehouse has hundreds of bins and a catalogue tens of thousands of
articles, far too many for selects. Forms check single rows; the services decide
everything that needs stock (tracking requirements, quantities, transitions) and
come back as ``ValidationFailed`` / ``DomainError``, which the views map onto these
forms.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.identifiers import compact_digits
from trade.forms import ANY_LABEL, YES_NO_ANY, TreeChoiceField
from trade.models import Article, ArticleFamily, KitKind, Supplier
from trade.selectors import article_by_gtin

from .models import (
    AssemblyOrder,
    CountKind,
    CountLine,
    CountStatus,
    DocumentStatus,
    InventoryCount,
    Location,
    LocationKind,
    Lot,
    LotStatus,
    MoveReason,
    Recall,
    Receipt,
    ReceiptLine,
    SerialNumber,
    Transfer,
    TransferLine,
    TransferStatus,
    Warehouse,
)

QUANTITY = {"max_digits": 14, "decimal_places": 3}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def article_from_code(value: str) -> Article | None:
    """The article of a code (any case) or of one of its packagings' GTINs."""
    value = value.strip()
    if not value:
        return None
    article = Article.objects.filter(code__iexact=value).first()
    if article is None and compact_digits(value).isdigit():
        packaging = article_by_gtin(value)
        article = packaging.article if packaging is not None else None
    return article


class ArticleCodeField(forms.CharField):
    """An article keyed by its code or a GTIN; cleans to the ``Article``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Article (code or GTIN)"))
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off", "size": 14}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return value.code if isinstance(value, Article) else value

    def clean(self, value: Any) -> Article | None:  # type: ignore[override]
        text = super().clean(value)
        if not text:
            return None
        article = article_from_code(text)
        if article is None:
            raise forms.ValidationError(
                _("No article has the code or GTIN %(value)s."),
                code="unknown_article",
                params={"value": text},
            )
        return article


class LocationCodeField(forms.CharField):
    """A location keyed by its code inside ``warehouse`` (set by the form, from the
    document's header). ``LYON/A-01`` is accepted too, as locations are displayed."""

    warehouse: Warehouse | None = None

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Location"))
        kwargs.setdefault("max_length", 52)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"autocomplete": "off", "size": 9, "list": "stock-locations"}),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return value.code if isinstance(value, Location) else value

    def clean(self, value: Any) -> Location | None:  # type: ignore[override]
        text = super().clean(value)
        if not text:
            return None
        if self.warehouse is None:
            raise forms.ValidationError(_("Choose the warehouse first."), code="no_warehouse")
        code = text.strip()
        prefix = f"{self.warehouse.code}/"
        if code.upper().startswith(prefix.upper()):
            code = code[len(prefix) :]
        location = Location.objects.filter(
            warehouse=self.warehouse, code__iexact=code, is_active=True
        ).first()
        if location is None:
            raise forms.ValidationError(
                _("No active location %(code)s in %(warehouse)s."),
                code="unknown_location",
                params={"code": code, "warehouse": self.warehouse.code},
            )
        return location


def warehouse_of(form: forms.BaseForm, name: str) -> Warehouse | None:
    """The warehouse chosen in ``form`` (bound or not), before the form is validated:
    the lines need it to read their location codes."""
    field = form.fields[name]
    raw = form[name].value()
    if raw in (None, ""):
        return None
    try:
        return field.clean(raw)  # type: ignore[no-any-return]
    except forms.ValidationError:
        return None


def lot_of(article: Article, number: str) -> Lot | None:
    return Lot.objects.filter(article=article, number=number.strip()).first()


def warehouses() -> Any:
    return Warehouse.objects.filter(is_active=True).order_by("code")


def single_warehouse_id() -> int | None:
    """The warehouse to propose when there is only one."""
    only = list(warehouses().values_list("pk", flat=True)[:2])
    return only[0] if len(only) == 1 else None


def search_field(placeholder: Any, label: Any = None) -> forms.CharField:
    """The free-text box of a filter form."""
    return forms.CharField(
        label=label or _("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": placeholder}),
    )


def short_text_field(label: Any) -> forms.CharField:
    """An optional short code (lot number, location prefix) of a filter form."""
    return forms.CharField(label=label, required=False, widget=forms.TextInput(attrs={"size": 10}))


def status_filter_field(choices: Any) -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Status"), required=False, choices=[("", ANY_LABEL), *choices])


def warehouse_filter_field(label: Any = None) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label or _("Warehouse"), required=False, empty_label=ANY_LABEL, queryset=warehouses()
    )


def supplier_filter_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Supplier"),
        required=False,
        empty_label=ANY_LABEL,
        queryset=Supplier.objects.order_by("name"),
    )


def family_filter_field() -> TreeChoiceField:
    return TreeChoiceField(
        label=_("Family"),
        required=False,
        empty_label=ANY_LABEL,
        queryset=ArticleFamily.objects.order_by("path"),
    )


def lot_number_field() -> forms.CharField:
    """A lot keyed by its number on a line; ``lot_or_error`` reads it."""
    return forms.CharField(
        label=_("Lot number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"size": 10}),
    )


def lot_or_error(form: forms.BaseForm, article: Article | None, number: str) -> Lot | None:
    """The lot ``number`` of ``article``, or an error on ``lot_number`` when there is none."""
    if article is None or not number:
        return None
    lot = lot_of(article, number)
    if lot is None:
        form.add_error(
            "lot_number",
            _("%(article)s has no lot %(lot)s.") % {"article": article.code, "lot": number},
        )
    return lot


def line_formset(parent: type[Any], model: type[Any], form: type[forms.ModelForm]) -> Any:
    """Lines of a document: at least one, two blank ones offered, deletable."""
    return inlineformset_factory(
        parent,
        model,
        form=form,
        formset=BaseLineFormSet,
        extra=2,
        min_num=1,
        validate_min=True,
        can_delete=True,
    )


class BaseLineFormSet(BaseInlineFormSet):
    """Document lines: at least one, and service refusals shown above the lines."""

    def add_error(self, message: str) -> None:
        self.non_form_errors().append(message)


# --------------------------------------------------------------------------- receipts


class ReceiptForm(forms.ModelForm):
    class Meta:
        model = Receipt
        fields = ["warehouse", "supplier", "received_on", "reference"]
        labels = {"warehouse": _("Warehouse"), "supplier": _("Supplier")}
        widgets = {"received_on": DateInput()}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses()
        self.fields["supplier"].queryset = Supplier.objects.filter(is_active=True).order_by("name")
        if self.instance.pk is None and not self.is_bound:
            self.initial["received_on"] = self.initial.get("received_on") or timezone.localdate()
            self.initial["warehouse"] = self.initial.get("warehouse") or single_warehouse_id()


class ReceiptLineForm(forms.ModelForm):
    article = ArticleCodeField()
    location = LocationCodeField()

    class Meta:
        model = ReceiptLine
        fields = [
            "article",
            "location",
            "quantity",
            "unit_cost",
            "lot_number",
            "expiry_date",
            "production_date",
            "serial_numbers",
        ]
        labels = {"expiry_date": _("DLC/DDM")}
        widgets = {
            "expiry_date": DateInput(),
            "production_date": DateInput(),
            "serial_numbers": forms.Textarea(attrs={"rows": 1, "cols": 16}),
            "lot_number": forms.TextInput(attrs={"size": 10}),
        }

    def __init__(self, *args: Any, warehouse: Warehouse | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].warehouse = warehouse  # type: ignore[attr-defined]
        self.fields["serial_numbers"].help_text = ""
        if self.instance.pk is not None:
            self.initial["article"] = self.instance.article.code
            self.initial["location"] = self.instance.location.code

    def clean_lot_number(self) -> str:
        return self.cleaned_data["lot_number"].strip()


ReceiptLineFormSet = line_formset(Receipt, ReceiptLine, ReceiptLineForm)


class ReceiptFilterForm(forms.Form):
    q = search_field(_("Number, delivery note"))
    status = status_filter_field(DocumentStatus.choices)
    warehouse = warehouse_filter_field()
    supplier = supplier_filter_field()


# --------------------------------------------------------------------------- transfers


class TransferForm(forms.ModelForm):
    class Meta:
        model = Transfer
        fields = ["from_warehouse", "to_warehouse"]
        labels = {"from_warehouse": _("From warehouse"), "to_warehouse": _("To warehouse")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_warehouse"].queryset = warehouses()
        self.fields["to_warehouse"].queryset = warehouses()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        source, destination = cleaned.get("from_warehouse"), cleaned.get("to_warehouse")
        if source is not None and source == destination:
            self.add_error(
                "to_warehouse",
                _("A transfer goes to another warehouse; within one, move the stock."),
            )
        return cleaned


class TransferLineForm(forms.ModelForm):
    article = ArticleCodeField()
    from_location = LocationCodeField(label=_("From location"))
    to_location = LocationCodeField(label=_("To location"))
    lot_number = lot_number_field()

    class Meta:
        model = TransferLine
        fields = ["article", "lot_number", "from_location", "to_location", "quantity"]

    def __init__(
        self,
        *args: Any,
        from_warehouse: Warehouse | None = None,
        to_warehouse: Warehouse | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_location"].warehouse = from_warehouse  # type: ignore[attr-defined]
        self.fields["to_location"].warehouse = to_warehouse  # type: ignore[attr-defined]
        line: TransferLine = self.instance
        if line.pk is not None:
            self.initial.update(
                {
                    "article": line.article.code,
                    "from_location": line.from_location.code,
                    "to_location": line.to_location.code,
                    "lot_number": line.lot.number if line.lot else "",
                }
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        number = cleaned.get("lot_number", "").strip()
        self.instance.lot = lot_or_error(self, cleaned.get("article"), number)
        return cleaned


TransferLineFormSet = line_formset(Transfer, TransferLine, TransferLineForm)


class TransferFilterForm(forms.Form):
    status = status_filter_field(TransferStatus.choices)
    warehouse = warehouse_filter_field(_("Warehouse (either end)"))


# --------------------------------------------------------------------------- adjustments


class AdjustmentForm(forms.Form):
    """A manual correction at one location: a signed quantity and why."""

    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none())
    location = LocationCodeField()
    article = ArticleCodeField()
    lot_number = forms.CharField(label=_("Lot number"), max_length=40, required=False)
    serial_number = forms.CharField(label=_("Serial number"), max_length=60, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity (+ adds, − removes)"),
        help_text=_("In the article's base unit: −3 removes three units."),
        **QUANTITY,
    )
    reason = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (MoveReason.ADJUSTMENT, MoveReason.ADJUSTMENT.label),
            (MoveReason.SCRAP, MoveReason.SCRAP.label),
        ],
        initial=MoveReason.ADJUSTMENT,
    )
    note = forms.CharField(
        label=_("Reason note"),
        max_length=200,
        help_text=_("Say why: it stays in the movement journal."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses()
        if not self.is_bound and not self.initial.get("warehouse"):
            self.initial["warehouse"] = single_warehouse_id()
        self.fields["location"].warehouse = warehouse_of(self, "warehouse")  # type: ignore[attr-defined]
        self.lot: Lot | None = None
        self.serial: SerialNumber | None = None

    def clean_quantity(self) -> Decimal:
        quantity: Decimal = self.cleaned_data["quantity"]
        if quantity == 0:
            raise forms.ValidationError(_("An adjustment of zero changes nothing."))
        return quantity

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        article: Article | None = cleaned.get("article")
        if cleaned.get("reason") == MoveReason.SCRAP and (cleaned.get("quantity") or 0) > 0:
            self.add_error("quantity", _("Scrap removes stock: give a negative quantity."))
        if article is None:
            return cleaned
        number = cleaned.get("lot_number", "").strip()
        if number:
            self.lot = lot_of(article, number)
            if self.lot is None:
                self.add_error(
                    "lot_number",
                    _("%(article)s has no lot %(lot)s.") % {"article": article.code, "lot": number},
                )
        serial = cleaned.get("serial_number", "").strip()
        if serial:
            self.serial = SerialNumber.objects.filter(article=article, number=serial).first()
            if self.serial is None:
                self.add_error(
                    "serial_number",
                    _("%(article)s has no serial number %(serial)s.")
                    % {"article": article.code, "serial": serial},
                )
        return cleaned


# --------------------------------------------------------------------------- counts


def split_codes(text: str) -> list[str]:
    return [code for code in re.split(r"[\s,;]+", text) if code]


class CountOpenForm(forms.ModelForm):
    """Open a count: a full count of a warehouse, or a cycle count of some locations
    (code prefix) and/or some articles."""

    article_codes = forms.CharField(
        label=_("Articles (codes or GTINs)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Separated by spaces, commas or new lines. Empty: every article."),
    )

    class Meta:
        model = InventoryCount
        fields = ["warehouse", "kind", "location_prefix"]
        labels = {"warehouse": _("Warehouse")}
        widgets = {"kind": forms.RadioSelect}
        help_texts = {"location_prefix": _("For example A- counts every bin of zone A.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses()
        self.articles: list[Article] = []

    def clean_article_codes(self) -> str:
        text: str = self.cleaned_data.get("article_codes", "")
        unknown = []
        for code in split_codes(text):
            article = article_from_code(code)
            if article is None:
                unknown.append(code)
            elif article not in self.articles:
                self.articles.append(article)
        if unknown:
            raise forms.ValidationError(
                _("Unknown articles: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        return text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("kind") == CountKind.FULL:
            cleaned["location_prefix"] = ""
            self.instance.location_prefix = ""
            self.articles = []
        return cleaned


class CountEntryForm(forms.Form):
    """The counted quantity of each line of one page of a count, in a grid."""

    def __init__(self, *args: Any, lines: list[CountLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[self.name_of(line)] = forms.DecimalField(
                label=str(line),
                required=False,
                min_value=Decimal(0),
                initial=line.counted,
                widget=forms.NumberInput(
                    attrs={"class": "count-input", "step": "any", "inputmode": "decimal"}
                ),
                **QUANTITY,
            )

    @staticmethod
    def name_of(line: CountLine) -> str:
        return f"line-{line.pk}"

    def rows(self) -> list[tuple[CountLine, forms.BoundField]]:
        return [(line, self[self.name_of(line)]) for line in self.lines]

    def counted(self) -> dict[int, Decimal | None]:
        """Line id → counted quantity, for the lines whose entry changed."""
        return {
            line.pk: self.cleaned_data[self.name_of(line)]
            for line in self.lines
            if self.name_of(line) in self.changed_data
        }


class CountFilterForm(forms.Form):
    status = status_filter_field(CountStatus.choices)
    warehouse = warehouse_filter_field()


class CountFoundLineForm(forms.Form):
    """Stock found where the count expected none: a line of its own."""

    article = ArticleCodeField()
    location = LocationCodeField()
    lot_number = lot_number_field()
    counted = forms.DecimalField(label=_("Counted"), min_value=Decimal(0), **QUANTITY)

    def __init__(self, *args: Any, warehouse: Warehouse, **kwargs: Any) -> None:
        super().__init__(*args, prefix="found", **kwargs)
        self.fields["location"].warehouse = warehouse  # type: ignore[attr-defined]
        self.lot: Lot | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        number = cleaned.get("lot_number", "").strip()
        self.lot = lot_or_error(self, cleaned.get("article"), number)
        return cleaned


class CountLineFilterForm(forms.Form):
    location = short_text_field(_("Locations starting with"))
    q = forms.CharField(
        label=_("Article"), required=False, widget=forms.TextInput(attrs={"size": 12})
    )
    only = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", ANY_LABEL),
            ("uncounted", _("Not counted yet")),
            ("variance", _("With a variance")),
        ],
    )


# --------------------------------------------------------------------------- kits


class AssemblyForm(forms.ModelForm):
    kit = ArticleCodeField(label=_("Kit (code or GTIN)"))
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none())
    location = LocationCodeField(
        help_text=_("Where the components are taken and the kits put."),
    )
    kit_lot_number = forms.CharField(
        label=_("Kit lot number"),
        max_length=40,
        required=False,
        help_text=_("Empty: the order's number, once posted."),
    )

    class Meta:
        model = AssemblyOrder
        fields = ["kit", "quantity", "warehouse", "location"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = warehouses()
        if not self.is_bound and not self.initial.get("warehouse"):
            self.initial["warehouse"] = single_warehouse_id()
        self.fields["location"].warehouse = warehouse_of(self, "warehouse")  # type: ignore[attr-defined]

    def clean_kit(self) -> Article:
        kit: Article = self.cleaned_data["kit"]
        if kit.kit_kind != KitKind.ASSEMBLED:
            raise forms.ValidationError(
                _("%(code)s is not a kit assembled in advance.") % {"code": kit.code}
            )
        return kit


class AssemblyPostForm(forms.Form):
    kit_lot_number = forms.CharField(
        label=_("Kit lot number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("Kit lot (empty: order number)"), "size": 24}
        ),
    )


class AssemblyFilterForm(forms.Form):
    q = forms.CharField(label=_("Kit"), required=False)
    status = status_filter_field(DocumentStatus.choices)


# --------------------------------------------------------------------------- recalls


def recall_reference_suggestion() -> str:
    return f"RAP-{timezone.localtime():%Y%m%d-%H%M}"


class RecallForm(forms.Form):
    """Lots chosen one by one, or every lot of a supplier (and article) received over a
    date range, or both."""

    reference = forms.CharField(label=_("Reference"), max_length=30)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What is wrong with the goods, as it will be told to the customers."),
    )
    article = ArticleCodeField(required=False)
    lot_numbers = forms.CharField(
        label=_("Lot numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One per line (or separated by spaces). Give the article when two articles share a number."
        ),
    )
    supplier = forms.ModelChoiceField(
        label=_("Every lot of the supplier"),
        required=False,
        empty_label=_("— none —"),
        queryset=Supplier.objects.none(),
    )
    received_from = forms.DateField(label=_("Received from"), required=False, widget=DateInput())
    received_to = forms.DateField(label=_("Received until"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.order_by("name")
        self.lots: list[Lot] = []

    def clean_reference(self) -> str:
        reference: str = self.cleaned_data["reference"].strip()
        if Recall.objects.filter(reference__iexact=reference).exists():
            raise forms.ValidationError(_("A recall already has this reference."))
        return reference

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        article: Article | None = cleaned.get("article")
        numbers = split_codes(cleaned.get("lot_numbers", ""))
        for number in numbers:
            candidates = Lot.objects.filter(number=number).select_related("article")
            if article is not None:
                candidates = candidates.filter(article=article)
            found = list(candidates[:2])
            if not found:
                self.add_error("lot_numbers", _("No lot %(lot)s.") % {"lot": number})
            elif len(found) > 1:
                self.add_error(
                    "lot_numbers",
                    _("Several articles have a lot %(lot)s: give the article.") % {"lot": number},
                )
            elif found[0] not in self.lots:
                self.lots.append(found[0])
        if not numbers and cleaned.get("supplier") is None and "lot_numbers" not in self.errors:
            raise forms.ValidationError(
                _("Give lot numbers, or a supplier whose lots are recalled.")
            )
        start, end = cleaned.get("received_from"), cleaned.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("The end of the range is before its start."))
        return cleaned


class RecallFilterForm(forms.Form):
    q = search_field(_("Reference, lot number"))


# --------------------------------------------------------------------------- lists


class StockFilterForm(forms.Form):
    """What the stock lists filter on first: the article and the warehouse."""

    q = search_field(_("Code, designation"), label=_("Article"))
    warehouse = warehouse_filter_field()


class StockArticleFilterForm(StockFilterForm):
    family = family_filter_field()


class StockLocationFilterForm(StockFilterForm):
    location = short_text_field(_("Locations starting with"))
    kind = forms.ChoiceField(
        label=_("Location kind"), required=False, choices=[("", ANY_LABEL), *LocationKind.choices]
    )
    lot = short_text_field(_("Lot number"))
    article = forms.IntegerField(required=False, widget=forms.HiddenInput)


EXPIRY_CHOICES = [
    ("", ANY_LABEL),
    ("expired", _("Past date")),
    ("7", _("Within 7 days")),
    ("30", _("Within 30 days")),
    ("none", _("No date")),
]


class LotFilterForm(forms.Form):
    q = search_field(_("Lot number, article code"))
    status = status_filter_field(LotStatus.choices)
    expiry = forms.ChoiceField(label=_("DLC/DDM"), required=False, choices=EXPIRY_CHOICES)
    supplier = supplier_filter_field()
    in_stock = forms.ChoiceField(label=_("In stock"), required=False, choices=YES_NO_ANY)
    article = forms.IntegerField(required=False, widget=forms.HiddenInput)


DOCUMENT_TYPE_CHOICES = [
    ("", ANY_LABEL),
    ("receipt", _("Receipt")),
    ("transfer", _("Transfer")),
    ("count", _("Count")),
    ("assembly", _("Assembly order")),
]


class MoveFilterForm(forms.Form):
    article = forms.CharField(
        label=_("Article"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Code or GTIN"), "size": 12}),
    )
    lot = short_text_field(_("Lot number"))
    reason = forms.ChoiceField(
        label=_("Reason"), required=False, choices=[("", ANY_LABEL), *MoveReason.choices]
    )
    document = forms.CharField(
        label=_("Document"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Number, or type and id"), "size": 14}),
    )
    warehouse = warehouse_filter_field()
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())


class ValuationForm(forms.Form):
    on_date = forms.DateField(label=_("Stock at the end of"), required=False, widget=DateInput())
    warehouse = warehouse_filter_field()
    family = family_filter_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on_date"].initial = timezone.localdate()

    def clean_on_date(self) -> date:
        return self.cleaned_data.get("on_date") or timezone.localdate()


ANOMALY_KINDS = {
    "reserved_above_on_hand": _("Reserved above on hand"),
    "expired_dlc": _("Use-by date passed, still in stock"),
    "expired_dlc_reserved": _("Expired use-by lot reserved"),
    "ddm_past": _("Best-before date passed"),
    "count_variance": _("Large count variance"),
    "serial_mismatch": _("Serial numbers and stock disagree"),
    "ledger_mismatch": _("Balance differs from the ledger"),
}


class AnomalyFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", ANY_LABEL), *ANOMALY_KINDS.items()]
    )
    threshold = forms.DecimalField(
        label=_("Count variance above"),
        required=False,
        min_value=Decimal(0),
        initial=Decimal(10),
        **QUANTITY,
    )


class ReplenishmentForm(forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("Warehouse"), required=False, empty_label=None, queryset=warehouses()
    )
    weeks = forms.IntegerField(
        label=_("Weeks of sales history"), required=False, min_value=1, max_value=52, initial=8
    )
