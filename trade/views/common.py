"""What the master-data screens share: filtered lists, forms with inline formsets."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db import models, transaction
from django.forms import BaseFormSet, BaseModelForm, Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.generic import ListView, TemplateView

from comptoir.exceptions import ValidationFailed

PAGE_SIZE = 50


class SectionMixin:
    """Names the navigation entry the page belongs to (highlighted in the shell)."""

    section: ClassVar[str] = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["section"] = self.section
        return context


class FilteredListView(SectionMixin, PermissionRequiredMixin, ListView):
    """A paginated list narrowed by a GET filter form (kept across pages)."""

    filter_form_class: ClassVar[type[Form]]
    paginate_by = PAGE_SIZE

    def get_filter_form(self) -> Form:
        if not hasattr(self, "_filter_form"):
            self._filter_form = self.filter_form_class(self.request.GET or None, **self.filter_form_kwargs())
            self._filter_form.is_valid()
        return self._filter_form

    def filter_form_kwargs(self) -> dict[str, Any]:
        """What else the filter form is built with (a lookup URL…)."""
        return {}

    def filters(self) -> dict[str, Any]:
        """The valid filter values; an invalid one is ignored rather than failing the page."""
        form = self.get_filter_form()
        if not form.is_bound:
            return {}
        return {name: value for name, value in form.cleaned_data.items() if value not in ("", None)}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.get_filter_form()
        context["is_filtered"] = bool(self.filters())
        return context


def yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class FormWithInlinesView(SectionMixin, PermissionRequiredMixin, TemplateView):
    """Create or edit one record with its inline formsets, all in one transaction.

    Subclasses build the form and formsets and write through the services in
    ``save``; a ``ValidationFailed`` rolls everything back and its errors land on
    the form fields they name. Nothing is half-saved.
    """

    object: models.Model | None = None
    success_message: ClassVar[str] = ""

    def get_object(self) -> models.Model | None:
        return None

    def build(self, data: Any | None) -> tuple[BaseModelForm, dict[str, BaseFormSet]]:
        raise NotImplementedError

    def save(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> models.Model:
        raise NotImplementedError

    def success_url(self, obj: models.Model) -> str:
        raise NotImplementedError

    def formset_for_error(self, field: str, formsets: dict[str, BaseFormSet]) -> BaseFormSet | None:
        """The formset that shows a service error naming ``field``, if any."""
        return None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_permission():
            return self.handle_no_permission()
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, formsets = self.build(None)
        return self.render_to_response(self.get_context_data(form=form, formsets=formsets))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, formsets = self.build(request.POST)
        # Validate everything (no short-circuit) so that every error shows at once.
        results = [form.is_valid(), *(formset.is_valid() for formset in formsets.values())]
        if all(results):
            adding = form.instance._state.adding
            try:
                with transaction.atomic():
                    obj = self.save(form, formsets)
            except ValidationFailed as exc:
                if adding:
                    # The rollback undid the INSERT; the in-memory row must forget its id.
                    form.instance.pk = None
                    form.instance._state.adding = True
                self.apply_errors(exc, form, formsets)
            else:
                messages.success(request, self.success_message % {"object": obj})
                return HttpResponseRedirect(self.success_url(obj))
        messages.error(request, _("The record was not saved: please correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form, formsets=formsets))

    def apply_errors(
        self, exc: ValidationFailed, form: BaseModelForm, formsets: dict[str, BaseFormSet]
    ) -> None:
        for field, field_messages in exc.errors.items():
            formset = self.formset_for_error(field, formsets)
            for message in field_messages:
                if formset is not None:
                    formset.add_error(message)  # type: ignore[attr-defined]
                elif field in form.fields:
                    form.add_error(field, message)
                else:
                    form.add_error(None, message)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        context["is_create"] = self.object is None
        return context
