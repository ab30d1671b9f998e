"""What the stock screens share on top of the master-data base views: service refusals
mapped onto forms and messages, document references, expiry thresholds, the
location list offered while keying codes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.db import models
from django.forms import BaseFormSet, BaseModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views import View

from comptoir.exceptions import DomainError, ValidationFailed
from trade.views.common import FormWithInlinesView

from ..models import (
    AssemblyOrder,
    DocumentStatus,
    InventoryCount,
    Location,
    LocationKind,
    Receipt,
    Transfer,
)

# A lot whose DLC/DDM falls within this many days gets a "close" badge.
EXPIRY_SOON_DAYS = 7


def error_messages(exc: DomainError) -> list[str]:
    """Every message a refusal carries, for a page-level error."""
    if isinstance(exc, ValidationFailed):
        return [
            str(message) for field_messages in exc.errors.values() for message in field_messages
        ]
    return [str(exc.message)]


def as_validation_failed(exc: DomainError) -> ValidationFailed:
    """A refusal as field errors: a ``DomainError`` naming a field (``details["field"]``)
    lands on it, any other one above the form."""
    if isinstance(exc, ValidationFailed):
        return exc
    field = exc.details.get("field") or NON_FIELD_ERRORS
    return ValidationFailed({field: [str(exc.message)]}, message=str(exc.message))


class ExpiryContextMixin:
    """``today`` and ``expiry_soon`` for the DLC/DDM badges of the templates."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        today = timezone.localdate()
        context["today"] = today
        context["expiry_soon"] = today + timedelta(days=EXPIRY_SOON_DAYS)
        return context


class StockFormView(FormWithInlinesView):
    """A document header with its lines. ``write`` saves through forms (drafts) and
    services (postings) in the base view's transaction; any refusal rolls everything
    back and shows on the form: ``lines`` errors above the lines, a field's on it."""

    lines_formset: ClassVar[str] = "lines"

    def write(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> models.Model:
        raise NotImplementedError

    def save(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> models.Model:
        try:
            return self.write(form, formsets)
        except DomainError as exc:
            raise as_validation_failed(exc) from exc

    def formset_for_error(self, field: str, formsets: dict[str, BaseFormSet]) -> BaseFormSet | None:
        return formsets.get(self.lines_formset) if field == "lines" else None

    def posting_requested(self) -> bool:
        return "post" in self.request.POST

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["location_choices"] = location_choices()
        return context


class DraftDocumentFormView(StockFormView):
    """A draft document (with its lines when ``lines_formset_class`` is set). Editing
    is refused once it is no longer a draft; "Save and post" runs ``post_document``
    (its first transition) in the same transaction, so a refusal leaves nothing
    behind, not even the draft."""

    model: ClassVar[type[models.Model]]
    form_class: ClassVar[type[BaseModelForm]]
    lines_formset_class: ClassVar[type[BaseFormSet] | None] = None
    draft_status: ClassVar[str] = DocumentStatus.DRAFT
    detail_url_name: ClassVar[str]
    not_draft_text: ClassVar[Promise]
    post_permission: ClassVar[str]
    posted_text: ClassVar[Promise]

    def post_document(self, document: Any, form: BaseModelForm) -> models.Model:
        raise NotImplementedError

    def line_form_kwargs(self, form: BaseModelForm) -> dict[str, Any]:
        return {}

    def get_object(self) -> models.Model | None:
        if "pk" not in self.kwargs:
            return None
        return get_object_or_404(self.model, pk=self.kwargs["pk"])

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "pk" in kwargs and self.has_permission():
            document = get_object_or_404(self.model, pk=kwargs["pk"])
            if document.status != self.draft_status:  # type: ignore[attr-defined]
                messages.error(request, self.not_draft_text)
                return HttpResponseRedirect(reverse(self.detail_url_name, args=[document.pk]))
        return super().dispatch(request, *args, **kwargs)

    def build(self, data: Any | None) -> tuple[BaseModelForm, dict[str, BaseFormSet]]:
        document = self.object
        if document is None:
            document = self.model(created_by=self.request.user)  # type: ignore[misc]
        form = self.form_class(data, instance=document)
        if self.lines_formset_class is None:
            return form, {}
        lines = self.lines_formset_class(  # type: ignore[call-arg]
            data,
            instance=document,
            prefix=self.lines_formset,
            form_kwargs=self.line_form_kwargs(form),
        )
        return form, {self.lines_formset: lines}

    def write(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> models.Model:
        posting = self.posting_requested()
        if posting and not self.request.user.has_perm(self.post_permission):
            raise PermissionDenied
        document = form.save()
        if self.lines_formset in formsets:
            lines = formsets[self.lines_formset]
            lines.instance = document  # type: ignore[attr-defined]
            lines.save()  # type: ignore[attr-defined]
        if posting:
            document = self.post_document(document, form)
            self.success_message = self.posted_text  # type: ignore[misc]
        return document

    def success_url(self, obj: Any) -> str:
        return reverse(self.detail_url_name, args=[obj.pk])


class DocumentActionView(PermissionRequiredMixin, View):
    """A POST that moves a document through one transition service, then back to the
    document. A refusal is shown as page errors; the service's transaction wrote nothing."""

    model: ClassVar[type[models.Model]]
    detail_url_name: ClassVar[str]
    success_text: ClassVar[Promise]

    def run(self, obj: Any) -> Any:
        raise NotImplementedError

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = get_object_or_404(self.model, pk=pk)
        try:
            result = self.run(obj)
        except DomainError as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, self.success_text % {"object": result})
        return HttpResponseRedirect(reverse(self.detail_url_name, args=[pk]))


def location_choices() -> list[tuple[str, str]]:
    """(location code, warehouse code) of the active locations, for the ``<datalist>``
    offered while keying location codes."""
    return list(
        Location.objects.filter(is_active=True, warehouse__is_active=True)
        .exclude(kind=LocationKind.TRANSIT)
        .order_by("warehouse__code", "picking_order", "code")
        .values_list("code", "warehouse__code")
    )


@dataclass(frozen=True)
class DocumentRef:
    """A document a move or a trace row names: its number for people and its page."""

    label: str
    url: str = ""


# document_type of the ledger -> (model, detail URL name, what it is called)
DOCUMENT_TYPES: dict[str, tuple[type[models.Model], str, Promise]] = {
    "receipt": (Receipt, "logistics:receipt_detail", _("Receipt")),
    "transfer": (Transfer, "logistics:transfer_detail", _("Transfer")),
    "count": (InventoryCount, "logistics:count_detail", _("Count")),
    "assembly": (AssemblyOrder, "logistics:assembly_detail", _("Assembly order")),
}


def document_refs(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], DocumentRef]:
    """References for (document type, document id) pairs: one query per known type
    gives the numbers; documents of later modules (orders) keep their raw reference."""
    wanted: dict[str, set[int]] = defaultdict(set)
    pairs = set(pairs)
    for document_type, document_id in pairs:
        if document_type in DOCUMENT_TYPES and document_id.isdigit():
            wanted[document_type].add(int(document_id))
    numbers: dict[tuple[str, str], str] = {}
    for document_type, ids in wanted.items():
        model = DOCUMENT_TYPES[document_type][0]
        for pk, number in model.objects.filter(pk__in=ids).values_list("pk", "number"):
            numbers[(document_type, str(pk))] = number or f"#{pk}"
    result: dict[tuple[str, str], DocumentRef] = {}
    for document_type, document_id in pairs:
        if not document_type and not document_id:
            result[(document_type, document_id)] = DocumentRef("")
        elif (document_type, document_id) in numbers:
            url_name = DOCUMENT_TYPES[document_type][1]
            result[(document_type, document_id)] = DocumentRef(
                numbers[(document_type, document_id)], reverse(url_name, args=[int(document_id)])
            )
        else:
            result[(document_type, document_id)] = DocumentRef(
                f"{document_type} {document_id}".strip()
            )
    return result


def split_document(text: str) -> tuple[str, str]:
    """``"receipt 12"`` (as the trace names documents) → ``("receipt", "12")``."""
    document_type, _sep, document_id = text.partition(" ")
    return document_type, document_id
