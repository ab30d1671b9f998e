"""Fixing a received message's cross-references from its page, then replaying it.

An ORDERS in the error queue for an unknown GTIN or GLN gets, per missing identifier,
a small form: map the GTIN to an article's packaging level, the GLN to a customer
node, or the buyer's own article number of a line (PIA …:IN) to an article with a
customer article reference on the buyer's node (NAD+BY, else the partner's node). The
mapping is written by a trade service and committed on its own first; only
then is the message replayed (``message_replay``), so a replay that fails again leaves
the mapping in place and the message in the queue with its new reasons.

The identifiers are read from the message itself (the stored raw payload, parsed
again), not from the reasons' text: the reasons are for people and may be translated.

The message page (``MessageDetailView`` here extends the monitor's) also lists every
sales order the message produced: a platform ORDERS split per store makes several.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comptoir.exceptions import DomainError, ValidationFailed
from comptoir.identifiers import validate_gln, validate_gtin
from edi.eancom import EdifactException, parse_interchanges
from edi.eancom.messages.orders import Orders, parse_orders
from pricing.forms import ArticleField, customer_by_key, lookup_attrs
from trade.models import CustomerNode, PackagingLevel
from trade.models.references import CUSTOMER_ARTICLE_CODE_LENGTH
from trade.sales.models import SalesOrder
from trade.selectors import article_by_gtin, customer_article_references_resolve
from trade.services import (
    customer_article_reference_create,
    customer_node_gln_assign,
    packaging_gtin_assign,
)

from ..models import Direction, EdiMessage, Interchange, MessageState, MessageType
from ..services import message_replay
from ..services.orders import order_source
from . import monitor
from .common import error_messages

GTIN, GLN, BUYER_CODE = "gtin", "gln", "buyer_code"
PROBLEM_KINDS = {"unknown_gtin": GTIN, "unknown_gln": GLN}
# Mapping writes master data, then replays: both rights are needed.
MAP_PERMISSIONS = {
    GTIN: ("trade.change_packaging", "edi.replay_edimessage"),
    GLN: ("trade.change_customernode", "edi.replay_edimessage"),
    BUYER_CODE: ("trade.add_customerarticlereference", "edi.replay_edimessage"),
}
KIND_LABELS = {GTIN: "GTIN", GLN: "GLN", BUYER_CODE: gettext_lazy("buyer code")}
CUSTOMER_ROLES = ("BY", "DP", "IV", "UC")  # NAD roles that name one of our customers
SUGGESTIONS = 15


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class CrossReference:
    """An identifier the message names and we could not resolve when it was handled.

    ``where`` says where it is (``line 2``, ``NAD+DP``, ``LOC+7, line 3``);
    ``mapped_to`` is what it resolves to now (someone mapped it since), or "". A buyer
    code belongs to a customer: ``customer`` (its node, None when the message names
    no customer we know yet).
    """

    kind: str
    value: str
    where: str
    description: str = ""
    mapped_to: str = ""
    customer: CustomerNode | None = None

    @property
    def anchor(self) -> str:
        return f"map-{self.kind}-{self.value}"


def _orders_of(row: EdiMessage) -> Orders | None:
    """The message read again from the stored payload, as a replay reads it; None when
    it no longer reads (the page then shows the reasons without forms)."""
    payload = Interchange.objects.filter(pk=row.interchange_id).values_list("payload", flat=True)
    try:
        result = parse_interchanges(bytes(payload.get()))
        message = result.interchanges[0].messages[row.position - 1]
        return parse_orders(message)
    except (EdifactException, LookupError, ValueError, Interchange.DoesNotExist):
        return None


def _buyer_node(orders: Orders, row: EdiMessage) -> CustomerNode | None:
    """Whose article numbers the lines carry, as the handler reads them: the buyer
    (NAD+BY), else the partner's customer node."""
    party = orders.buyer
    node = (CustomerNode.objects.filter(gln=party.identifier).first()
            if party is not None and party.identifier else None)
    if node is None and row.partner is not None:
        node = row.partner.customer_node
    return node


def _buyer_code_refs(orders: Orders, row: EdiMessage, lines: set[str]) -> list[CrossReference]:
    """The buyer's article numbers of the ``lines`` in error, each once, with what it
    maps to now for the buyer (one query for all)."""
    carried = [line for line in orders.lines if line.line_number in lines and line.buyer_article.strip()]
    if not carried:
        return []
    node = _buyer_node(orders, row)
    mapped = (customer_article_references_resolve(node=node, codes=[line.buyer_article for line in carried])
              if node is not None else {})
    refs: dict[str, CrossReference] = {}
    for line in carried:
        code = line.buyer_article.strip()
        if code in refs:
            continue
        article, level = mapped.get(code, (None, ""))
        refs[code] = CrossReference(
            BUYER_CODE, code, _("line %(line)s") % {"line": line.line_number},
            description=line.description, customer=node,
            mapped_to=(f"{article.code} ({PackagingLevel(level).label})" if article is not None and level
                       else article.code if article is not None else ""),
        )
    return list(refs.values())


def message_crossrefs(row: EdiMessage) -> list[CrossReference]:
    """The unknown GTINs, buyer's article numbers and GLNs a received ORDERS in error
    is waiting for, in the order of the message; [] for any other message. A line
    that carries both a GTIN and a buyer's number offers both: either mapping fixes it."""
    if (row.direction != Direction.INBOUND or row.state != MessageState.ERROR
            or row.message_type != MessageType.ORDERS):
        return []
    problems = [p for p in row.errors if p.get("code") in PROBLEM_KINDS]
    if not problems:
        return []
    orders = _orders_of(row)
    if orders is None:
        return []
    found: dict[tuple[str, str], CrossReference] = {}

    gtin_lines = {str(p.get("line", "")) for p in problems if p["code"] == "unknown_gtin"}
    for line in orders.lines:
        if line.line_number in gtin_lines and line.gtin and (GTIN, line.gtin) not in found:
            packaging = article_by_gtin(line.gtin)
            found[GTIN, line.gtin] = CrossReference(
                GTIN, line.gtin, _("line %(line)s") % {"line": line.line_number},
                description=line.description,
                mapped_to=(f"{packaging.article.code} ({packaging.get_level_display()})"
                           if packaging is not None else ""),
            )
    for ref in _buyer_code_refs(orders, row, gtin_lines):
        found[BUYER_CODE, ref.value] = ref

    # A GLN's reason names it: keep the message's GLNs that a reason names.
    named = set(re.findall(r"\d{13}", " ".join(p.get("reason", "") for p in problems
                                                 if p["code"] == "unknown_gln")))
    places = [(party.identifier, f"NAD+{party.role}") for party in orders.parties
              if party.role in CUSTOMER_ROLES]
    places += [(split.location, _("LOC+7, line %(line)s") % {"line": line.line_number})
               for line in orders.lines for split in line.store_splits]
    for gln, where in places:
        if gln in named and (GLN, gln) not in found:
            node = CustomerNode.objects.filter(gln=gln).only("code").first()
            found[GLN, gln] = CrossReference(GLN, gln, where,
                                             mapped_to=node.code if node is not None else "")
    return list(found.values())


def may_map(user: AbstractBaseUser | AnonymousUser, kind: str) -> bool:
    return user.has_perms(MAP_PERMISSIONS[kind])


# --------------------------------------------------------------------------- forms


class _MappingForm(forms.Form):
    replay = forms.BooleanField(label=gettext_lazy("Replay the message after mapping"),
                                required=False, initial=True)

    def add_service_errors(self, exc: DomainError) -> None:
        """A service's refusal on the field it names, else above the form."""
        if isinstance(exc, ValidationFailed):
            for name, texts in exc.errors.items():
                for text in texts:
                    visible = name in self.fields and not self.fields[name].widget.is_hidden
                    self.add_error(name if visible else None, text)
        else:
            self.add_error(None, str(exc.message))


class GtinMappingForm(_MappingForm):
    gtin = forms.CharField(widget=forms.HiddenInput, max_length=14, validators=[validate_gtin])
    article = ArticleField(label=gettext_lazy("Article"))
    level = forms.ChoiceField(label=gettext_lazy("Packaging level"), choices=PackagingLevel.choices,
                              initial=PackagingLevel.CONSUMER_UNIT,
                              widget=forms.Select(attrs={"data-switch": "level"}))
    quantity = forms.DecimalField(
        label=gettext_lazy("Quantity in base units"), required=False, max_digits=14,
        decimal_places=3, min_value=0.001,
        help_text=gettext_lazy("What the case, layer or pallet holds."),
    )
    field_order = ["gtin", "article", "level", "quantity", "replay"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        level = data.get("level")
        if level and level != PackagingLevel.CONSUMER_UNIT and data.get("quantity") is None:
            self.add_error("quantity", _("Give what this packaging holds in base units."))
        return data


class CustomerKeyField(forms.CharField):
    """A customer node keyed by code, GLN or name; suggests the nodes without a GLN."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 150)
        kwargs.setdefault("widget", forms.TextInput(
            attrs=lookup_attrs("edi:crossref_customers", gettext_lazy("Code or name"))))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> CustomerNode | None:
        text = super().clean(value)
        return customer_by_key(text) if text else None


class GlnMappingForm(_MappingForm):
    gln = forms.CharField(widget=forms.HiddenInput, max_length=13, validators=[validate_gln])
    customer = CustomerKeyField(label=gettext_lazy("Customer"))
    replace = forms.BooleanField(
        label=gettext_lazy("Replace the customer's GLN if it has one"), required=False,
        help_text=gettext_lazy("Its current GLN then no longer designates it."),
    )
    field_order = ["gln", "customer", "replace", "replay"]


def validate_buyer_code(value: str) -> None:
    if not value.strip() or len(value) > CUSTOMER_ARTICLE_CODE_LENGTH:
        raise ValidationError(_("Not a buyer's article number: %(value)s.") % {"value": value})


class BuyerCodeMappingForm(_MappingForm):
    """The buyer's article number of a line → one of our articles, recorded as a
    customer article reference of the buyer's node (every node below it inherits it)."""

    buyer_code = forms.CharField(widget=forms.HiddenInput, max_length=CUSTOMER_ARTICLE_CODE_LENGTH)
    article = ArticleField(label=gettext_lazy("Article"))
    packaging_level = forms.ChoiceField(
        label=gettext_lazy("Packaging level"), required=False,
        choices=[("", gettext_lazy("Base unit")), *PackagingLevel.choices],
        help_text=gettext_lazy("What one unit ordered under this number is."),
    )
    field_order = ["buyer_code", "article", "packaging_level", "replay"]


FORMS: dict[str, type[_MappingForm]] = {
    GTIN: GtinMappingForm, GLN: GlnMappingForm, BUYER_CODE: BuyerCodeMappingForm,
}
VALIDATORS = {GTIN: validate_gtin, GLN: validate_gln, BUYER_CODE: validate_buyer_code}


def _auto_id(index: int) -> str:
    return f"id_map{index}_%s"


@dataclass
class CrossReferenceRow:
    """One missing identifier on the page: its form when the person may map it."""

    ref: CrossReference
    form: _MappingForm | None
    action: str


# --------------------------------------------------------------------------- pages


class MessageDetailView(monitor.MessageDetailView):
    """The monitor's message page, plus the forms that fix its cross-references and
    the sales orders it produced."""

    bound: tuple[str, str, _MappingForm] | None = None  # a refused form, shown again
    _crossrefs: list[CrossReference]

    def crossrefs(self) -> list[CrossReference]:
        if not hasattr(self, "_crossrefs"):
            self._crossrefs = message_crossrefs(self.object)
        return self._crossrefs

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        row: EdiMessage = self.object
        user = self.request.user
        rows = []
        for index, ref in enumerate(self.crossrefs()):
            form: _MappingForm | None = None
            if may_map(user, ref.kind) and (ref.kind != BUYER_CODE or ref.customer is not None):
                if self.bound is not None and self.bound[:2] == (ref.kind, ref.value):
                    form = self.bound[2]
                elif not ref.mapped_to:
                    form = FORMS[ref.kind](auto_id=_auto_id(index),
                                           initial={ref.kind: ref.value})
            rows.append(CrossReferenceRow(
                ref, form, reverse(f"edi:message_map_{ref.kind}", args=[row.pk])))
        context["crossrefs"] = rows
        context["sales_orders"] = (
            list(SalesOrder.objects.filter(source=order_source(row))
                 .select_related("ordering_node").order_by("pk"))
            if row.direction == Direction.INBOUND and row.message_type == MessageType.ORDERS
            and user.has_perm("sales.view_salesorder")
            else []
        )
        return context


class _MapView(MessageDetailView):
    """POST a mapping: write it (committed on its own), then replay when asked.
    A refusal shows the page again with the form and its errors."""

    kind: ClassVar[str]
    http_method_names = ["post"]

    def get_permission_required(self) -> tuple[str, ...]:
        return ("edi.view_edimessage", *MAP_PERMISSIONS[self.kind])

    def assign(self, data: dict[str, Any]) -> str:
        """Write the mapping (committed when this returns); the text that says so."""
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = row = self.get_object()
        detail_url = reverse("edi:message_detail", args=[row.pk])
        value = request.POST.get(self.kind, "").strip()
        refs = self.crossrefs()
        index = next((i for i, ref in enumerate(refs) if (ref.kind, ref.value) == (self.kind, value)),
                     None)
        if index is None:
            # Not an identifier this message waits for: malformed, another message's, or
            # the message is no longer in error (someone replayed it meanwhile).
            try:
                VALIDATORS[self.kind](value)
            except ValidationError as exc:
                for text in exc.messages:
                    messages.error(request, text)
            else:
                messages.error(request, _("Message %(message)s does not wait for %(kind)s %(value)s.")
                               % {"message": row, "kind": KIND_LABELS[self.kind], "value": value})
            return HttpResponseRedirect(detail_url)
        form = FORMS[self.kind](request.POST, auto_id=_auto_id(index))
        if not form.is_valid():
            return self.invalid(form, refs[index])
        try:
            done = self.assign(form.cleaned_data)
        except DomainError as exc:
            form.add_service_errors(exc)
            return self.invalid(form, refs[index])
        messages.success(request, done)
        if form.cleaned_data["replay"]:
            self.replay(request, row)
        return HttpResponseRedirect(detail_url)

    def invalid(self, form: _MappingForm, ref: CrossReference) -> HttpResponse:
        self.bound = (ref.kind, ref.value, form)
        return self.render_to_response(self.get_context_data(object=self.object))

    @staticmethod
    def replay(request: HttpRequest, row: EdiMessage) -> None:
        """The mapping is committed: a refused or failed replay leaves it in place."""
        try:
            replayed = message_replay(message_id=row.pk, user=request.user)
        except DomainError as exc:
            for text in error_messages(exc):
                messages.error(request, _("The mapping is saved, but the replay was refused: "
                                          "%(reason)s") % {"reason": text})
            return
        if replayed.state == MessageState.PROCESSED:
            messages.success(request, _("Message %(message)s replayed and processed.")
                             % {"message": replayed})
        else:
            messages.warning(request, _("Message %(message)s replayed: it is still in error, "
                                        "see its reasons.") % {"message": replayed})


class MapGtinView(_MapView):
    kind = GTIN

    def assign(self, data: dict[str, Any]) -> str:
        packaging = packaging_gtin_assign(article=data["article"], level=data["level"],
                                          gtin=data["gtin"], quantity=data["quantity"])
        return _("GTIN %(gtin)s mapped to %(article)s (%(level)s).") % {
            "gtin": packaging.gtin, "article": packaging.article.code,
            "level": packaging.get_level_display()}


class MapGlnView(_MapView):
    kind = GLN

    def assign(self, data: dict[str, Any]) -> str:
        node = customer_node_gln_assign(node=data["customer"], gln=data["gln"],
                                        replace=data["replace"])
        return _("GLN %(gln)s mapped to %(customer)s.") % {"gln": node.gln, "customer": node.code}


class MapBuyerCodeView(_MapView):
    kind = BUYER_CODE

    def assign(self, data: dict[str, Any]) -> str:
        code = data["buyer_code"].strip()
        ref = next(ref for ref in self.crossrefs() if (ref.kind, ref.value) == (BUYER_CODE, code))
        node = ref.customer
        if node is None:  # the message names no customer we know: map its GLN first
            raise DomainError(_("The buyer of this message is not a customer we know: map its GLN first."),
                              code="unknown_buyer")
        reference = customer_article_reference_create(
            customer_node=node, code=code, article=data["article"],
            packaging_level=data["packaging_level"], description=ref.description[:200],
        )
        return _("Buyer code %(code)s of %(customer)s mapped to %(article)s.") % {
            "code": reference.code, "customer": node.code, "article": reference.article.code}


@permission_required("trade.change_customernode", raise_exception=True)
def lookup_customers_without_gln(request: HttpRequest) -> JsonResponse:
    """Customer nodes without a GLN whose code or name matches (``{"results": [...]}``):
    the ones a new GLN may go to without replacing anything."""
    query = request.GET.get("q", "").strip()
    results = []
    if len(query) >= 2:
        nodes = CustomerNode.objects.filter(
            Q(code__icontains=query) | Q(name__icontains=query), gln=""
        ).order_by("depth", "code")[:SUGGESTIONS]
        results = [{"value": node.code, "label": f"{node.name} · {node.get_kind_display()}"}
                   for node in nodes]
    return JsonResponse({"results": results})


__all__ = [
    "CrossReference",
    "MapBuyerCodeView",
    "MapGlnView",
    "MapGtinView",
    "MessageDetailView",
    "lookup_customers_without_gln",
    "message_crossrefs",
]
