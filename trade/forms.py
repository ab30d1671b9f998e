"""Browser forms of the trade master data: edit forms, inline formsets, list filters.

Forms validate single rows (model validators and ``clean`` run through the
ModelForm); rules that span rows stay in ``trade.services`` and come back as
``ValidationFailed``, which the views map onto these forms' fields.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.forms import BaseFormSet, formset_factory, inlineformset_factory
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from comptoir import roles
from comptoir.identifiers import compact_digits

from .models import (
    Article,
    ArticleFamily,
    ArticleStatus,
    Brand,
    CustomerAddress,
    CustomerContact,
    CustomerNode,
    KitKind,
    NodeKind,
    Packaging,
    PackagingLevel,
    PaymentTerms,
    Supplier,
    SupplierAddress,
    SupplierArticle,
    SupplierContact,
    TrackingMode,
)
from .models.references import CUSTOMER_ARTICLE_CODE_LENGTH
from .selectors import article_by_gtin, customer_node_ancestors

INHERIT_LABEL = _("— inherited —")
ANY_LABEL = _("All")
NBSP = "\u00a0"

# The kind a new child most likely has, given its parent's kind.
CHILD_KIND = {
    NodeKind.CHAIN: NodeKind.BUYING_GROUP,
    NodeKind.BUYING_GROUP: NodeKind.PLATFORM,
    NodeKind.PLATFORM: NodeKind.STORE,
}


def indented_label(code: str, name: str, depth: int) -> str:
    """A tree row as a select option: non-breaking spaces survive HTML whitespace folding."""
    return f"{NBSP * 3 * depth}{code} — {name}"


class TreeChoiceField(forms.ModelChoiceField):
    """Chooses a row of a tree (customer node, family), shown indented by depth."""

    def label_from_instance(self, obj: Any) -> str:
        return indented_label(obj.code, obj.name, obj.depth)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class InheritableNullBooleanSelect(forms.NullBooleanSelect):
    """Yes / no / leave it to the parent node."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", INHERIT_LABEL), ("true", _("Yes")), ("false", _("No"))]


def allow_separators(field: forms.Field, length: int = 30) -> None:
    """Let a field take an identifier keyed with spaces or dashes: the stored length is
    checked on the compact value by the model, not on what was typed."""
    field.max_length = length  # type: ignore[attr-defined]
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
    field.widget.attrs["maxlength"] = str(length)


class IdentifierCleaningMixin:
    """Accepts identifiers keyed with spaces, dots or dashes and stores them compact."""

    IDENTIFIERS = ("gln", "siren", "siret", "vat_number")
    cleaned_data: dict[str, Any]
    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.IDENTIFIERS:
            if name in self.fields:
                allow_separators(self.fields[name])

    def clean_gln(self) -> str:
        return compact_digits(self.cleaned_data.get("gln", ""))

    def clean_siren(self) -> str:
        return compact_digits(self.cleaned_data.get("siren", ""))

    def clean_siret(self) -> str:
        return compact_digits(self.cleaned_data.get("siret", ""))

    def clean_vat_number(self) -> str:
        return compact_digits(self.cleaned_data.get("vat_number", "")).upper()


# --------------------------------------------------------------------------- customers


class CustomerNodeForm(IdentifierCleaningMixin, forms.ModelForm):
    """A customer node with its own (non-inherited) settings.

    ``invoicing_node`` offers the node's ancestors and the node itself: the service
    refuses anything else. A new node cannot point at itself before it exists, so
    "this node itself" is a sentinel that the view resolves after the first save
    (``invoice_self``).
    """

    SELF = "self"

    parent = TreeChoiceField(
        label=_("Parent"),
        queryset=CustomerNode.objects.none(),
        required=False,
        empty_label=_("— none (top of a hierarchy) —"),
    )
    invoicing_node = forms.ChoiceField(
        label=_("Invoiced node"),
        required=False,
        help_text=_("Who receives the invoices: this node or one of its ancestors."),
    )
    salesperson = UserChoiceField(
        label=_("Salesperson"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=INHERIT_LABEL,
    )

    class Meta:
        model = CustomerNode
        fields = [
            "kind",
            "parent",
            "code",
            "name",
            "gln",
            "siren",
            "siret",
            "vat_number",
            "is_active",
            "is_blocked",
            "salesperson",
            "payment_terms",
            "invoicing_node",
            "delivery_mode",
            "min_shelf_life_value",
            "min_shelf_life_unit",
            "document_language",
            "price_list",
            "document_template",
            "credit_limit",
            "backorder_policy",
            "full_cases_only",
        ]
        widgets = {"full_cases_only": InheritableNullBooleanSelect}

    IDENTITY_FIELDS = (
        "kind",
        "parent",
        "code",
        "name",
        "gln",
        "siren",
        "siret",
        "vat_number",
        "is_active",
        "is_blocked",
    )
    SETTINGS_FIELDS = (
        "salesperson",
        "payment_terms",
        "invoicing_node",
        "delivery_mode",
        "min_shelf_life_value",
        "min_shelf_life_unit",
        "document_language",
        "price_list",
        "document_template",
        "credit_limit",
        "backorder_policy",
        "full_cases_only",
    )

    def __init__(self, *args: Any, parent: CustomerNode | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invoice_self = False
        node: CustomerNode = self.instance
        parents = CustomerNode.objects.exclude(kind=NodeKind.STORE).order_by("path")
        if node.pk is not None:
            parents = parents.exclude(path__startswith=node.path)
        self.fields["parent"].queryset = parents
        if node.pk is None and parent is not None:
            self.initial["parent"] = parent.pk
            self.initial["kind"] = CHILD_KIND.get(NodeKind(parent.kind), NodeKind.STORE)

        user_model = get_user_model()
        salespeople = Q(is_active=True, groups__name=roles.SALES)
        if node.salesperson_id is not None:
            salespeople |= Q(pk=node.salesperson_id)
        self.fields["salesperson"].queryset = (
            user_model.objects.filter(salespeople).distinct().order_by("last_name", "username")
        )

        for name in ("payment_terms", "price_list", "document_template"):
            self.fields[name].empty_label = INHERIT_LABEL
        for name in (
            "delivery_mode",
            "min_shelf_life_unit",
            "document_language",
            "backorder_policy",
        ):
            field = self.fields[name]
            field.choices = [("", INHERIT_LABEL), *[c for c in field.choices if c[0] != ""]]

        self.fields["invoicing_node"].choices = self._invoicing_choices(self._chosen_parent(parent))
        if node.pk is not None and node.invoicing_node_id is not None:
            self.initial["invoicing_node"] = (
                self.SELF if node.invoicing_node_id == node.pk else str(node.invoicing_node_id)
            )

    def _chosen_parent(self, parent: CustomerNode | None) -> CustomerNode | None:
        """The parent the invoicing choices derive from: the submitted one when bound,
        so that a form re-shown after an error offers the right ancestors."""
        if self.is_bound:
            raw = self.data.get(self.add_prefix("parent"))
            if not raw or not str(raw).isdigit():
                return None
            return CustomerNode.objects.filter(pk=int(raw)).first()
        if self.instance.pk is not None:
            return self.instance.parent
        return parent

    def _invoicing_choices(self, parent: CustomerNode | None) -> list[tuple[str, str]]:
        lineage = [*customer_node_ancestors(parent), parent] if parent is not None else []
        return [
            ("", INHERIT_LABEL),
            (self.SELF, str(_("This node itself"))),
            *[(str(n.pk), indented_label(n.code, n.name, n.depth)) for n in lineage],
        ]

    def clean_invoicing_node(self) -> CustomerNode | None:
        value = self.cleaned_data.get("invoicing_node") or ""
        if value == self.SELF:
            if self.instance.pk is not None:
                return self.instance
            self.invoice_self = True
            return None
        if not value:
            return None
        return CustomerNode.objects.get(pk=int(value))


class AddressForm(forms.ModelForm):
    class Meta:
        fields = ["kind", "line1", "line2", "postal_code", "city", "country"]
        widgets = {"country": forms.TextInput(attrs={"size": 3, "maxlength": 2})}


class ContactForm(forms.ModelForm):
    class Meta:
        fields = ["name", "role", "email", "phone"]


CustomerAddressFormSet = inlineformset_factory(
    CustomerNode,
    CustomerAddress,
    form=AddressForm,
    fields=AddressForm.Meta.fields,
    extra=1,
    can_delete=True,
)
CustomerContactFormSet = inlineformset_factory(
    CustomerNode,
    CustomerContact,
    form=ContactForm,
    fields=ContactForm.Meta.fields,
    extra=1,
    can_delete=True,
)

YES_NO_ANY = [("", ANY_LABEL), ("yes", _("Yes")), ("no", _("No"))]


class CustomerFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Code, name, GLN")}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", ANY_LABEL), *NodeKind.choices]
    )
    parent = TreeChoiceField(
        label=_("Parent"),
        required=False,
        empty_label=ANY_LABEL,
        queryset=CustomerNode.objects.exclude(kind=NodeKind.STORE).order_by("path"),
    )
    active = forms.ChoiceField(label=_("Active"), required=False, choices=YES_NO_ANY)
    blocked = forms.ChoiceField(label=_("Blocked"), required=False, choices=YES_NO_ANY)


def article_by_code_or_gtin(value: str) -> Article:
    """The article a code (any case) or the GTIN of one of its packagings designates."""
    value = value.strip()
    article = Article.objects.filter(code__iexact=value).first()
    if article is None and compact_digits(value).isdigit():
        packaging = article_by_gtin(value)
        article = packaging.article if packaging is not None else None
    if article is None:
        raise forms.ValidationError(
            _("No article has the code or GTIN %(value)s."),
            code="unknown_article",
            params={"value": value},
        )
    return article


class CustomerArticleReferenceForm(forms.Form):
    """A customer's article number and the article (keyed by code or GTIN, with
    suggestions) it stands for. Written by ``trade.services.references``, whose
    refusals land on these fields."""

    code = forms.CharField(
        label=_("Customer's article number"),
        max_length=CUSTOMER_ARTICLE_CODE_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    article = forms.CharField(
        label=_("Article (code or GTIN)"),
        max_length=30,
        widget=forms.TextInput(
            attrs={
                "data-lookup-url": reverse_lazy("trade:article_lookup"),
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": _("Code or GTIN"),
            }
        ),
    )
    packaging_level = forms.ChoiceField(
        label=_("Packaging level"),
        required=False,
        choices=[("", _("Base unit")), *PackagingLevel.choices],
        help_text=_("What one unit ordered under this number is."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def clean_article(self) -> Article:
        return article_by_code_or_gtin(self.cleaned_data["article"])


# --------------------------------------------------------------------------- suppliers


class SupplierForm(IdentifierCleaningMixin, forms.ModelForm):
    class Meta:
        model = Supplier
        fields = [
            "code",
            "name",
            "gln",
            "siren",
            "siret",
            "vat_number",
            "lead_time_days",
            "minimum_order_amount",
            "currency",
            "payment_terms",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment_terms"].queryset = PaymentTerms.objects.all()

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()


SupplierAddressFormSet = inlineformset_factory(
    Supplier,
    SupplierAddress,
    form=AddressForm,
    fields=AddressForm.Meta.fields,
    extra=1,
    can_delete=True,
)
SupplierContactFormSet = inlineformset_factory(
    Supplier,
    SupplierContact,
    form=ContactForm,
    fields=ContactForm.Meta.fields,
    extra=1,
    can_delete=True,
)


class SupplierFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Code, name, GLN")}),
    )
    active = forms.ChoiceField(label=_("Active"), required=False, choices=YES_NO_ANY)


# --------------------------------------------------------------------------- articles


class ArticleForm(forms.ModelForm):
    family = TreeChoiceField(label=_("Family"), queryset=ArticleFamily.objects.none())

    class Meta:
        model = Article
        fields = [
            "code",
            "designation",
            "brand",
            "family",
            "vat_rate",
            "base_unit",
            "net_weight_kg",
            "tracking_mode",
            "shelf_life_days",
            "kit_kind",
            "status",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["family"].queryset = ArticleFamily.objects.order_by("path")
        self.fields["brand"].queryset = Brand.objects.all()


class PackagingForm(forms.ModelForm):
    class Meta:
        model = Packaging
        fields = ["level", "quantity", "gtin", "gross_weight_kg"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allow_separators(self.fields["gtin"])

    def clean_gtin(self) -> str:
        return compact_digits(self.cleaned_data.get("gtin", ""))


class SupplierArticleForm(forms.ModelForm):
    class Meta:
        model = SupplierArticle
        fields = [
            "supplier",
            "supplier_reference",
            "purchase_price",
            "currency",
            "minimum_order_quantity",
            "is_preferred",
        ]
        widgets = {"currency": forms.TextInput(attrs={"size": 4, "maxlength": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = Supplier.objects.order_by("name")

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].upper()


PackagingFormSet = inlineformset_factory(
    Article,
    Packaging,
    form=PackagingForm,
    extra=1,
    can_delete=True,
    max_num=4,
    validate_max=True,
)
SupplierArticleFormSet = inlineformset_factory(
    Article,
    SupplierArticle,
    form=SupplierArticleForm,
    extra=1,
    can_delete=True,
)


class KitComponentForm(forms.Form):
    """One bill-of-materials line. The component is keyed by code or GTIN: a select of
    every article would not scale to a catalogue of tens of thousands."""

    component = forms.CharField(
        label=_("Component (code or GTIN)"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    quantity = forms.DecimalField(
        label=_("Quantity per kit"),
        max_digits=14,
        decimal_places=3,
        min_value=Decimal("0.001"),
    )

    def clean_component(self) -> Article:
        return article_by_code_or_gtin(self.cleaned_data["component"])


class BaseKitComponentFormSet(BaseFormSet):
    def components(self) -> list[tuple[Article, Decimal]]:
        """The lines kept: filled in and not marked for deletion."""
        return [
            (form.cleaned_data["component"], form.cleaned_data["quantity"])
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def add_error(self, message: str) -> None:
        """Show a rule the service refused (a cycle, a duplicate) above the lines."""
        self.non_form_errors().append(message)


KitComponentFormSet = formset_factory(
    KitComponentForm,
    formset=BaseKitComponentFormSet,
    extra=2,
    can_delete=True,
)


def plain_decimal(value: Decimal) -> Decimal:
    """2.000 -> 2 and 1.500 -> 1.5, without the exponent ``normalize`` gives 10 (1E+1)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def kit_component_initial(article: Article) -> list[dict[str, Any]]:
    return [
        {"component": line.component.code, "quantity": plain_decimal(line.quantity)}
        for line in article.components.select_related("component").order_by("component__code")
    ]


KIT_FILTER_CHOICES = [
    ("", ANY_LABEL),
    ("none", _("Not a kit")),
    ("any", _("Any kit")),
    *[(value, label) for value, label in KitKind.choices if value],
]


class ArticleFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Code, designation, GTIN")}),
    )
    family = TreeChoiceField(
        label=_("Family"),
        required=False,
        empty_label=ANY_LABEL,
        queryset=ArticleFamily.objects.order_by("path"),
    )
    brand = forms.ModelChoiceField(
        label=_("Brand"), required=False, empty_label=ANY_LABEL, queryset=Brand.objects.all()
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", ANY_LABEL), *ArticleStatus.choices]
    )
    tracking_mode = forms.ChoiceField(
        label=_("Tracking"), required=False, choices=[("", ANY_LABEL), *TrackingMode.choices]
    )
    kit = forms.ChoiceField(label=_("Kit"), required=False, choices=KIT_FILTER_CHOICES)
