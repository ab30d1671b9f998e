"""Customer hierarchy: lazy tree, node card with effective settings, list, forms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import Count, QuerySet
from django.forms import BaseFormSet, BaseModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, TemplateView

from comptoir.exceptions import ValidationFailed

from ..forms import (
    CustomerAddressFormSet,
    CustomerArticleReferenceForm,
    CustomerContactFormSet,
    CustomerFilterForm,
    CustomerNodeForm,
)
from ..models import (
    CustomerArticleReference,
    CustomerNode,
    NodeKind,
    ShelfLifeUnit,
)
from ..selectors import (
    EffectiveSettings,
    InheritedValue,
    article_suggestions,
    customer_article_references_for,
    customer_list,
    customer_node_ancestors,
    customer_node_effective_settings,
    customer_tree_children,
)
from ..services import (
    customer_article_reference_create,
    customer_article_reference_delete,
    customer_article_reference_update,
    customer_node_save,
)
from .common import FilteredListView, FormWithInlinesView, SectionMixin, yes_no

# Stores of a platform are fetched in pages: a national platform may serve thousands.
TREE_CHILDREN_PAGE = 200
DETAIL_CHILDREN_LIMIT = 50
# A chain may map thousands of article numbers: the page shows a screenful, searchable.
DETAIL_REFERENCES_LIMIT = 100
REFERENCES_ANCHOR = "#article-references"
LOOKUP_SUGGESTIONS = 15

SETTING_LABELS = {
    "min_shelf_life": CustomerNode._meta.get_field("min_shelf_life_value").verbose_name,
}
_CHOICE_SETTINGS = {"delivery_mode", "document_language", "backorder_policy"}


@dataclass(frozen=True)
class SettingRow:
    """One line of the effective settings table of a node card."""

    name: str
    label: str
    value: str
    value_url: str
    source: str  # "own", "inherited", "default" (a computed default) or "unset"
    source_node: CustomerNode | None


def setting_label(name: str) -> str:
    label = SETTING_LABELS.get(name) or CustomerNode._meta.get_field(name).verbose_name
    return capfirst(str(label))


def setting_display(name: str, value: Any) -> tuple[str, str]:
    """A setting's value for people, and the URL it links to (customer nodes only)."""
    if value is None:
        return "", ""
    if name == "min_shelf_life":
        number, unit = value
        return f"{number} {ShelfLifeUnit(unit).label}", ""
    if name == "salesperson":
        return value.get_full_name() or value.get_username(), ""
    if name == "invoicing_node":
        return str(value), reverse("trade:customer_detail", args=[value.pk])
    if name in _CHOICE_SETTINGS:
        choices = dict(CustomerNode._meta.get_field(name).choices or [])
        return str(choices.get(value, value)), ""
    if name == "credit_limit":
        return formats.number_format(value, 2, use_l10n=True, force_grouping=True), ""
    if name == "full_cases_only":
        return (_("Yes") if value else _("No")), ""
    return str(value), ""


def setting_row(inherited: InheritedValue) -> SettingRow:
    value, url = setting_display(inherited.name, inherited.value)
    if inherited.source is None:
        source = "default" if inherited.value is not None else "unset"
    else:
        source = "inherited" if inherited.inherited else "own"
    return SettingRow(
        name=inherited.name,
        label=setting_label(inherited.name),
        value=value,
        value_url=url,
        source=source,
        source_node=inherited.source if inherited.inherited else None,
    )


def setting_rows(effective: EffectiveSettings) -> list[SettingRow]:
    return [setting_row(effective.values[name]) for name in CustomerNode.INHERITABLE_FIELDS]


def card_context(node: CustomerNode) -> dict[str, Any]:
    """What the node card needs, on the detail page and in the tree's side panel."""
    return {
        "node": node,
        "ancestors": customer_node_ancestors(node),
        "settings_rows": setting_rows(customer_node_effective_settings(node)),
        "can_have_children": node.kind != NodeKind.STORE,
    }


def node_queryset() -> QuerySet[CustomerNode]:
    return CustomerNode.objects.select_related(
        "parent",
        "salesperson",
        "payment_terms",
        "invoicing_node",
        "price_list",
        "document_template",
    )


class CustomerTreeView(SectionMixin, PermissionRequiredMixin, TemplateView):
    """The hierarchy as a collapsible tree: roots here, children fetched on expansion.

    ``?node=<id>`` reopens the tree down to that node and shows its card.
    """

    permission_required = "trade.view_customernode"
    template_name = "trade/customers/tree.html"
    section = "customer_tree"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["nodes"] = customer_tree_children(None)
        raw = self.request.GET.get("node", "")
        selected = node_queryset().filter(pk=int(raw)).first() if raw.isdigit() else None
        if selected is not None:
            context.update(card_context(selected))
            context["open_lineage"] = ",".join(str(pk) for pk in selected.lineage_ids)
        context["selected"] = selected
        return context


@permission_required("trade.view_customernode", raise_exception=True)
def customer_children(request: HttpRequest, pk: int) -> HttpResponse:
    """Fragment: the ``<li>`` rows of a node's children, a page at a time."""
    parent = get_object_or_404(CustomerNode, pk=pk)
    raw_offset = request.GET.get("offset", "0")
    offset = int(raw_offset) if raw_offset.isdigit() else 0
    children = list(customer_tree_children(parent)[offset : offset + TREE_CHILDREN_PAGE])
    total = parent.children.count()
    remaining = max(total - offset - len(children), 0)
    return render(
        request,
        "trade/customers/_tree_nodes.html",
        {
            "nodes": children,
            "remaining": remaining,
            "next_page": min(remaining, TREE_CHILDREN_PAGE),
            "more_url": f"{reverse('trade:customer_children', args=[parent.pk])}?offset={offset + len(children)}",
        },
    )


@permission_required("trade.view_customernode", raise_exception=True)
def customer_card(request: HttpRequest, pk: int) -> HttpResponse:
    """Fragment: the node card shown in the tree's side panel."""
    node = get_object_or_404(node_queryset(), pk=pk)
    return render(request, "trade/customers/_card.html", {**card_context(node), "in_panel": True})


class CustomerDetailView(SectionMixin, PermissionRequiredMixin, DetailView):
    permission_required = "trade.view_customernode"
    template_name = "trade/customers/detail.html"
    context_object_name = "node"
    section = "customer_list"

    def get_queryset(self) -> QuerySet[CustomerNode]:
        return node_queryset()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        node: CustomerNode = self.object
        context.update(card_context(node))
        children = customer_tree_children(node)
        context["children"] = children[:DETAIL_CHILDREN_LIMIT]
        context["children_count"] = node.children.count()
        context["addresses"] = node.addresses.all()
        context["contacts"] = node.contacts.all()
        if self.request.user.has_perm("trade.view_customerarticlereference"):
            context.update(self.references_context(node))
        return context

    def references_context(self, node: CustomerNode) -> dict[str, Any]:
        search = self.request.GET.get("refs", "").strip()
        rows = customer_article_references_for(node, search=search)
        context: dict[str, Any] = {
            "references": rows[:DETAIL_REFERENCES_LIMIT],
            "references_count": len(rows),
            "references_search": search,
            "references_shown": True,
        }
        if self.request.user.has_perm("trade.add_customerarticlereference"):
            context["reference_form"] = CustomerArticleReferenceForm(auto_id="id_reference_%s")
        return context


class CustomerListView(FilteredListView):
    permission_required = "trade.view_customernode"
    template_name = "trade/customers/list.html"
    filter_form_class = CustomerFilterForm
    section = "customer_list"
    context_object_name = "nodes"
    SORTS = {
        "code": "code",
        "-code": "-code",
        "name": "name",
        "-name": "-name",
        "kind": "kind",
        "-kind": "-kind",
    }

    def get_queryset(self) -> QuerySet[CustomerNode]:
        filters = self.filters()
        parent = filters.get("parent")
        queryset = customer_list(
            search=filters.get("q", ""),
            kind=filters.get("kind", ""),
            parent_id=parent.pk if parent is not None else None,
        )
        active = yes_no(filters.get("active", ""))
        if active is not None:
            queryset = queryset.filter(is_active=active)
        blocked = yes_no(filters.get("blocked", ""))
        if blocked is not None:
            queryset = queryset.filter(is_blocked=blocked)
        order = self.SORTS.get(self.request.GET.get("sort", ""), "code")
        return queryset.annotate(child_count=Count("children")).order_by(order, "pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sort"] = self.request.GET.get("sort", "code")
        return context


class CustomerFormView(FormWithInlinesView):
    """Create (optionally as the child of ``?parent=<id>``) or edit a customer node."""

    template_name = "trade/customers/form.html"
    section = "customer_list"

    def get_object(self) -> CustomerNode | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(node_queryset(), pk=self.kwargs["pk"])

    def requested_parent(self) -> CustomerNode | None:
        raw = self.request.GET.get("parent", "")
        if not raw.isdigit():
            return None
        parent = CustomerNode.objects.exclude(kind=NodeKind.STORE).filter(pk=int(raw)).first()
        if parent is None:
            raise Http404(_("No customer node that may have children has this id."))
        return parent

    def build(self, data: Any | None) -> tuple[BaseModelForm, dict[str, BaseFormSet]]:
        node = self.object if self.object is not None else CustomerNode()
        parent = self.requested_parent() if self.object is None else None
        form = CustomerNodeForm(data, instance=node, parent=parent)
        formsets: dict[str, BaseFormSet] = {
            "addresses": CustomerAddressFormSet(data, instance=node, prefix="addresses"),
            "contacts": CustomerContactFormSet(data, instance=node, prefix="contacts"),
        }
        self.describe_fallbacks(form, node.parent if node.pk else parent)
        return form, formsets

    def describe_fallbacks(self, form: CustomerNodeForm, parent: CustomerNode | None) -> None:
        """Under each setting, say what applies when it is left empty: the parent's
        effective value and where it comes from."""
        if parent is None:
            return
        effective = customer_node_effective_settings(parent)
        for name in CustomerNode.INHERITABLE_FIELDS:
            inherited = effective.values[name]
            field_name = "min_shelf_life_value" if name == "min_shelf_life" else name
            if name == "invoicing_node" and inherited.source is None:
                hint = _("If empty: this node itself.")
            elif inherited.source is None:
                hint = _("If empty: not set.")
            else:
                value, _url = setting_display(name, inherited.value)
                hint = _("If empty: %(value)s, from %(node)s.") % {
                    "value": value,
                    "node": inherited.source.name,
                }
            field = form.fields[field_name]
            field.help_text = f"{field.help_text} {hint}".strip() if field.help_text else hint

    def save(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> CustomerNode:
        node = customer_node_save(form.save(commit=False))
        if getattr(form, "invoice_self", False):
            node.invoicing_node = node
            customer_node_save(node)
        for formset in formsets.values():
            formset.instance = node
            formset.save()
        return node

    def success_url(self, obj: Any) -> str:
        return reverse("trade:customer_detail", args=[obj.pk])

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["parent"] = self.requested_parent() if self.object is None else self.object.parent
        return context


class CustomerCreateView(CustomerFormView):
    permission_required = (
        "trade.add_customernode",
        "trade.add_customeraddress",
        "trade.add_customercontact",
    )
    success_message = gettext_lazy("Customer %(object)s created.")


class CustomerUpdateView(CustomerFormView):
    permission_required = (
        "trade.change_customernode",
        "trade.change_customeraddress",
        "trade.change_customercontact",
    )
    success_message = gettext_lazy("Customer %(object)s saved.")


# --------------------------------------------------------------- customer article references


class CustomerReferenceFormView(SectionMixin, PermissionRequiredMixin, TemplateView):
    """Add a customer article reference to a node, or edit one of the node's own
    (an inherited one is edited on the node that holds it). Writes through
    ``trade.services.references``; a refusal shows the form again with its errors."""

    template_name = "trade/customers/reference_form.html"
    section = "customer_list"
    node: CustomerNode
    reference: CustomerArticleReference | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_permission():
            return self.handle_no_permission()
        self.node = get_object_or_404(CustomerNode, pk=kwargs["pk"])
        if "reference_pk" in kwargs:
            self.reference = get_object_or_404(
                CustomerArticleReference.objects.select_related("article"),
                pk=kwargs["reference_pk"], customer_node=self.node,
            )
        return super().dispatch(request, *args, **kwargs)

    def initial(self) -> dict[str, Any]:
        if self.reference is None:
            return {}
        return {
            "code": self.reference.code,
            "article": self.reference.article.code,
            "packaging_level": self.reference.packaging_level,
            "description": self.reference.description,
        }

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = CustomerArticleReferenceForm(initial=self.initial())
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = CustomerArticleReferenceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                saved = self.save(data)
            except ValidationFailed as exc:
                for field, texts in exc.errors.items():
                    for text in texts:
                        form.add_error(field if field in form.fields else None, text)
            else:
                text = (_("Reference %(code)s added.") if self.reference is None
                        else _("Reference %(code)s saved."))
                messages.success(request, text % {"code": saved.code})
                return HttpResponseRedirect(
                    reverse("trade:customer_detail", args=[self.node.pk]) + REFERENCES_ANCHOR
                )
        messages.error(request, _("The record was not saved: please correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form))

    def save(self, data: dict[str, Any]) -> CustomerArticleReference:
        fields = {name: data[name] for name in ("code", "article", "packaging_level", "description")}
        if self.reference is None:
            return customer_article_reference_create(customer_node=self.node, **fields)
        return customer_article_reference_update(reference=self.reference, **fields)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["node"] = self.node
        context["reference"] = self.reference
        context["is_create"] = self.reference is None
        return context


class CustomerReferenceCreateView(CustomerReferenceFormView):
    permission_required = ("trade.view_customernode", "trade.add_customerarticlereference")


class CustomerReferenceUpdateView(CustomerReferenceFormView):
    permission_required = ("trade.view_customernode", "trade.change_customerarticlereference")


class CustomerReferenceDeleteView(PermissionRequiredMixin, View):
    """POST: remove one of the node's own references."""

    permission_required = ("trade.view_customernode", "trade.delete_customerarticlereference")
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, reference_pk: int) -> HttpResponse:
        reference = get_object_or_404(CustomerArticleReference, pk=reference_pk, customer_node_id=pk)
        customer_article_reference_delete(reference=reference)
        messages.success(request, _("Reference %(code)s deleted.") % {"code": reference.code})
        return HttpResponseRedirect(reverse("trade:customer_detail", args=[pk]) + REFERENCES_ANCHOR)


@permission_required("trade.view_article", raise_exception=True)
def article_lookup(request: HttpRequest) -> JsonResponse:
    """Suggestions for the article of a reference: articles whose code or designation
    matches, or one of whose GTINs is the query (``{"results": [{value, label}]}``)."""
    query = request.GET.get("q", "").strip()
    results = []
    if len(query) >= 2:
        results = [{"value": article.code, "label": article.designation}
                   for article in article_suggestions(query, limit=LOOKUP_SUGGESTIONS)]
    return JsonResponse({"results": results})
