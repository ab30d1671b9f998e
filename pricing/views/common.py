"""What the pricing screens share on top of the master-data base views."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import models
from django.forms import BaseForm, BaseFormSet, BaseModelForm

from comptoir.exceptions import DomainError, ValidationFailed
from trade.views.common import FormWithInlinesView


def domain_messages(exc: DomainError) -> list[str]:
    """Every message a refusal carries: each conflict of a ``ConditionConflict``
    (both conditions named), else the error's own message."""
    conflicts = exc.details.get("conflicts") or []
    messages = [str(conflict["message"]) for conflict in conflicts if conflict.get("message")]
    return messages or [str(exc.message)]


def apply_validation_errors(exc: ValidationFailed, form: BaseForm) -> None:
    """A service's field errors on the form's fields; the others above the form."""
    for field, field_messages in exc.errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


class ServiceFormView(FormWithInlinesView):
    """``FormWithInlinesView`` whose writes may also be refused by a ``DomainError``
    that names no field (an invalid transition, a conflict): it is shown above the
    form and the transaction is rolled back like a field error."""

    def write(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> models.Model:
        raise NotImplementedError

    def save(self, form: BaseModelForm, formsets: dict[str, BaseFormSet]) -> models.Model:
        try:
            return self.write(form, formsets)
        except ValidationFailed:
            raise
        except DomainError as exc:
            raise ValidationFailed(
                {NON_FIELD_ERRORS: domain_messages(exc)}, message=str(exc.message)
            ) from exc
