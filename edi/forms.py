"""Browser forms of the EDI gateway: monitor filters, the partner form and its agreements,
uploading a file by hand. Forms check single rows; ``edi.services`` decide the rest."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib.auth import get_user_model
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from comptoir.identifiers import compact_digits
from trade.forms import ANY_LABEL, YES_NO_ANY, IdentifierCleaningMixin, TreeChoiceField
from trade.models import CustomerNode, Supplier

from .models import (
    Direction,
    InterchangeState,
    InterchangeTransport,
    MessageState,
    MessageType,
    PartnerMessageType,
    TradingPartner,
    TransportKind,
)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def _choices(choices: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("", ANY_LABEL), *choices]


def partner_filter_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Partner"),
        required=False,
        empty_label=ANY_LABEL,
        queryset=TradingPartner.objects.order_by("code"),
    )


class ExchangeFilterForm(forms.Form):
    """The filters of every list of the monitor: partner and direction.

    Each field but ``q`` and the dates filters the model field of its name.
    """

    partner = partner_filter_field()
    direction = forms.ChoiceField(
        label=_("Direction"), required=False, choices=_choices(Direction.choices)
    )


class ExchangeSearchFilterForm(ExchangeFilterForm):
    """A list also searched by its references (``q``) and narrowed to the days it was
    created in: the search box comes first, the dates last, the list's own filters in
    between."""

    DATE_FIELDS = ("date_from", "date_to")
    search_placeholder: ClassVar[Promise | str] = ""

    q = forms.CharField(label=_("Search"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = self.search_placeholder
        between = [name for name in self.fields if name != "q" and name not in self.DATE_FIELDS]
        self.order_fields(["q", *between, *self.DATE_FIELDS])


def message_type_filter_field() -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Type"), required=False, choices=_choices(MessageType.choices))


class MessageFilterForm(ExchangeSearchFilterForm):
    search_placeholder = _("Reference, document")

    message_type = message_type_filter_field()
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=_choices(MessageState.choices)
    )


class InterchangeFilterForm(ExchangeSearchFilterForm):
    search_placeholder = _("Control reference, sender")

    state = forms.ChoiceField(
        label=_("State"), required=False, choices=_choices(InterchangeState.choices)
    )
    transport = forms.ChoiceField(
        label=_("Transport"), required=False, choices=_choices(InterchangeTransport.choices)
    )


class ErrorQueueFilterForm(ExchangeFilterForm):
    message_type = message_type_filter_field()


class PartnerFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Code, name, GLN")}),
    )
    transport = forms.ChoiceField(
        label=_("Transport"), required=False, choices=_choices(TransportKind.choices)
    )
    active = forms.ChoiceField(label=_("Active"), required=False, choices=YES_NO_ANY)


class TradingPartnerForm(IdentifierCleaningMixin, forms.ModelForm):
    IDENTIFIERS = ("gln",)

    customer_node = TreeChoiceField(
        label=_("Customer"), required=False, queryset=CustomerNode.objects.none()
    )
    as2_url = forms.URLField(
        label=_("Their AS2 URL"), required=False, max_length=500, assume_scheme="https"
    )

    class Meta:
        model = TradingPartner
        fields = TradingPartner.EDITABLE_FIELDS
        widgets = {"as2_certificate": forms.Textarea(attrs={"rows": 4, "class": "mono"})}

    # Field groups of the form page, in order.
    SECTIONS = (
        (
            _("Partner"),
            ("code", "name", "customer_node", "supplier", "gln", "is_active"),
        ),
        (
            _("Envelope"),
            (
                "interchange_id",
                "interchange_id_qualifier",
                "our_id",
                "our_id_qualifier",
                "syntax_identifier",
                "syntax_version",
                "test_indicator",
            ),
        ),
        (
            _("Transport"),
            (
                "transport",
                "inbox_path",
                "outbox_path",
                "as2_id",
                "as2_url",
                "as2_certificate",
                "as2_sign",
                "as2_encrypt",
                "as2_compress",
                "as2_mdn_mode",
                "as2_mdn_signed",
                "api_user",
            ),
        ),
        (
            _("Rules"),
            (
                "unknown_gtin_policy",
                "price_tolerance_percent",
                "send_contrl",
                "request_contrl",
                "ordrsp_policy",
            ),
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer_node"].queryset = CustomerNode.objects.order_by("path")
        self.fields["supplier"].queryset = Supplier.objects.order_by("name")
        self.fields["api_user"].queryset = (
            get_user_model()
            .objects.filter(is_staff=False, is_superuser=False, groups__isnull=True)
            .order_by("username")
        )

    def clean_interchange_id(self) -> str:
        value = self.cleaned_data.get("interchange_id", "").strip()
        digits = compact_digits(value)
        return digits if digits.isdigit() else value

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]


class PartnerMessageTypeForm(forms.ModelForm):
    class Meta:
        model = PartnerMessageType
        fields = PartnerMessageType.EDITABLE_FIELDS
        widgets = {
            "version": forms.TextInput(attrs={"size": 3}),
            "release": forms.TextInput(attrs={"size": 4}),
            "association_code": forms.TextInput(attrs={"size": 7}),
        }


class BasePartnerMessageTypeFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        seen: set[tuple[str, str]] = set()
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            key = (form.cleaned_data.get("direction"), form.cleaned_data.get("message_type"))
            if key in seen:
                raise forms.ValidationError(
                    _("A message type is listed twice in the same direction.")
                )
            seen.add(key)


PartnerMessageTypeFormSet = inlineformset_factory(
    TradingPartner,
    PartnerMessageType,
    form=PartnerMessageTypeForm,
    formset=BasePartnerMessageTypeFormSet,
    extra=1,
    can_delete=True,
)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))
    partner = forms.ModelChoiceField(
        label=_("Sent by"),
        required=False,
        queryset=TradingPartner.objects.filter(is_active=True).order_by("code"),
        empty_label=_("— read it from UNB —"),
        help_text=_("Leave empty to identify the partner by the interchange sender."),
    )
