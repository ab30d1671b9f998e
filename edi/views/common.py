"""What the EDI screens share: the section, business-document links, POST actions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from comptoir.exceptions import DomainError, ValidationFailed

SECTION = "edi"

# document_type (as handlers return it) → the URL name of its page. Modules that
# produce documents from EDI add theirs (``"sales.SalesOrder": "sales:order_detail"``).
DOCUMENT_URLS: dict[str, str] = {
    "edi.Interchange": "edi:interchange_detail",
    "edi.EdiMessage": "edi:message_detail",
    "sales.SalesOrder": "sales:order_detail",
    "sales.Delivery": "sales:delivery_detail",
}


@dataclass(frozen=True)
class DocumentLink:
    label: str
    url: str = ""


def document_link(document_type: str, document_id: str) -> DocumentLink | None:
    if not document_type and not document_id:
        return None
    label = f"{document_type} {document_id}".strip()
    url_name = DOCUMENT_URLS.get(document_type)
    if url_name and document_id.isdigit():
        try:
            return DocumentLink(label, reverse(url_name, args=[int(document_id)]))
        except NoReverseMatch:
            pass
    return DocumentLink(label)


@dataclass(frozen=True)
class Reason:
    where: str
    reason: str
    code: str


def reasons(problems: list[dict[str, Any]]) -> list[Reason]:
    """Stored problems as "where: why [code]" for people: ``line 2, segment 14 (LIN),
    element 3.1``."""
    result = []
    for problem in problems:
        where = []
        if problem.get("line"):
            where.append(_("line %(line)s") % {"line": problem["line"]})
        if problem.get("position") is not None:
            segment = _("segment %(position)s") % {"position": problem["position"]}
            if problem.get("segment"):
                segment += f" ({problem['segment']})"
            where.append(segment)
        elif problem.get("segment"):
            where.append(problem["segment"])
        if problem.get("element"):
            where.append(_("element %(element)s") % {"element": problem["element"]})
        result.append(Reason(", ".join(where), problem.get("reason", ""), problem.get("code", "")))
    return result


def error_messages(exc: DomainError) -> list[str]:
    if isinstance(exc, ValidationFailed):
        return [str(message) for field in exc.errors.values() for message in field]
    return [str(exc.message)]


class ActionView(PermissionRequiredMixin, View):
    """A POST running one service, then back to where the person came from (``next``,
    when it is one of our pages) or to ``fallback_url``. Refusals show as messages."""

    success_text: ClassVar[Promise]

    def run(self, request: HttpRequest, **kwargs: Any) -> Any:
        raise NotImplementedError

    def fallback_url(self, **kwargs: Any) -> str:
        raise NotImplementedError

    def next_url(self, request: HttpRequest, **kwargs: Any) -> str:
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target
        return self.fallback_url(**kwargs)

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        try:
            result = self.run(request, **kwargs)
        except DomainError as exc:
            for message in error_messages(exc):
                messages.error(request, message)
        else:
            messages.success(request, self.success_text % {"object": result})
        return HttpResponseRedirect(self.next_url(request, **kwargs))
