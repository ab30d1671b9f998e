"""The exchange monitor: messages and interchanges with filters, their pages (raw payload
one segment per line, errors, events, linked document), the error queue with replay
and resend, counters per partner, and receiving a file by hand."""

from __future__ import annotations

import operator
from datetime import date, datetime, time, timedelta
from functools import reduce
from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import DetailView, FormView

from trade.views.common import FilteredListView, SectionMixin

from .. import conf
from ..forms import ErrorQueueFilterForm, InterchangeFilterForm, MessageFilterForm, UploadForm
from ..models import (
    Direction,
    EdiEvent,
    EdiMessage,
    Interchange,
    InterchangeState,
    InterchangeTransport,
    MessageState,
)
from ..selectors import partner_counters, payload_lines
from ..services import (
    interchange_receive,
    interchange_resend,
    message_replay,
    messages_replay,
)
from .common import SECTION, ActionView, document_link, reasons

STATE_BADGES = {
    "processed": "badge-ok",
    "acknowledged": "badge-ok",
    "sent": "badge-ok",
    "error": "badge-danger",
    "rejected": "badge-danger",
    "failed": "badge-danger",
    "duplicate": "badge-warn",
    "queued": "badge-warn",
    "received": "badge-neutral",
    "parsed": "badge-neutral",
    "split": "badge-neutral",
}


REASONS_SHOWN = 5


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _with_badges(rows: Any) -> Any:
    """Each row gets its state badge; messages also their document link and reasons."""
    for row in rows:
        row.badge = STATE_BADGES.get(row.state, "badge-neutral")
        if isinstance(row, EdiMessage):
            row.document = document_link(row.document_type, row.document_id)
            found = reasons(row.errors)
            row.reasons_shown, row.reasons_more = found[:REASONS_SHOWN], len(found[REASONS_SHOWN:])
    return rows


class MonitorListView(FilteredListView):
    """A list of the monitor, narrowed by its filter form (an ``ExchangeFilterForm``):
    its rows get their state badge."""

    section = SECTION
    # What the search box (``q``) matches, any of them exactly.
    search_lookups: ClassVar[tuple[str, ...]] = ()

    def filtered(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """``queryset`` narrowed by the valid filters: the search, the creation days,
        and every other filter on the model field of its name."""
        filters = self.filters()
        search = filters.pop("q", "").strip()
        if search:
            queryset = queryset.filter(
                reduce(operator.or_, (Q(**{lookup: search}) for lookup in self.search_lookups))
            )
        if "date_from" in filters:
            queryset = queryset.filter(created_at__gte=day_start(filters.pop("date_from")))
        if "date_to" in filters:
            next_day = filters.pop("date_to") + timedelta(days=1)
            queryset = queryset.filter(created_at__lt=day_start(next_day))
        return queryset.filter(**filters)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        _with_badges(context["object_list"])
        return context


class MessageListView(MonitorListView):
    """The monitor's front page: counters per partner, then every message."""

    permission_required = "edi.view_edimessage"
    template_name = "edi/monitor.html"
    filter_form_class = MessageFilterForm
    context_object_name = "edi_messages"

    search_lookups = ("reference", "document_id", "interchange__control_reference")

    def get_queryset(self) -> QuerySet[EdiMessage]:
        queryset = EdiMessage.objects.select_related("partner", "interchange").defer(
            "segments_text", "interchange__payload"
        )
        return self.filtered(queryset).order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["counters"] = partner_counters(
            now=timezone.localtime(), unacknowledged_hours=conf.unacknowledged_hours()
        )
        context["unacknowledged_hours"] = conf.unacknowledged_hours()
        context["tab"] = "messages"
        return context


class InterchangeListView(MonitorListView):
    permission_required = "edi.view_interchange"
    template_name = "edi/interchanges/list.html"
    filter_form_class = InterchangeFilterForm
    context_object_name = "interchanges"

    search_lookups = ("control_reference", "sender_id", "checksum__startswith")

    def get_queryset(self) -> QuerySet[Interchange]:
        queryset = (
            Interchange.objects.select_related("partner")
            .defer("payload")
            .annotate(message_count=Count("messages"))
        )
        return self.filtered(queryset).order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["tab"] = "interchanges"
        return context


class ErrorQueueView(MonitorListView):
    """Messages in error, oldest first: each with its reasons and its way out (replay
    a received one once its cross-reference is fixed, resend a sent one)."""

    permission_required = "edi.view_edimessage"
    template_name = "edi/errors.html"
    filter_form_class = ErrorQueueFilterForm
    context_object_name = "edi_messages"

    def get_queryset(self) -> QuerySet[EdiMessage]:
        queryset = (
            EdiMessage.objects.filter(state=MessageState.ERROR)
            .select_related("partner", "interchange")
            .defer("segments_text", "interchange__payload")
        )
        return self.filtered(queryset).order_by("created_at", "pk")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["tab"] = "errors"
        return context


class MessageDetailView(SectionMixin, PermissionRequiredMixin, DetailView):
    permission_required = "edi.view_edimessage"
    template_name = "edi/messages/detail.html"
    context_object_name = "edi_message"
    section = SECTION
    queryset = EdiMessage.objects.select_related("partner", "interchange").defer(
        "interchange__payload"
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        row: EdiMessage = self.object
        _with_badges([row, row.interchange])
        context["document"] = row.document
        context["events"] = EdiEvent.objects.filter(message=row).select_related("user")
        context["interchange_events"] = EdiEvent.objects.filter(
            interchange=row.interchange_id, message__isnull=True
        ).select_related("user")
        context["replayable"] = (
            row.direction == Direction.INBOUND and row.state == MessageState.ERROR
        )
        context["resendable"] = row.direction == Direction.OUTBOUND and row.interchange.state in (
            InterchangeState.SENT,
            InterchangeState.FAILED,
            InterchangeState.REJECTED,
        )
        return context


class InterchangeDetailView(SectionMixin, PermissionRequiredMixin, DetailView):
    permission_required = "edi.view_interchange"
    template_name = "edi/interchanges/detail.html"
    context_object_name = "interchange"
    section = SECTION
    queryset = Interchange.objects.select_related("partner", "parent", "duplicate_of", "contrl")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        row: Interchange = self.object
        _with_badges([row])
        context["lines"] = payload_lines(row.payload_bytes)
        context["edi_messages"] = _with_badges(
            list(row.messages.defer("segments_text").order_by("position"))
        )
        context["parts"] = _with_badges(list(row.parts.defer("payload").order_by("pk")))
        context["events"] = row.events.select_related("user", "message")
        context["resendable"] = row.direction == Direction.OUTBOUND and row.state in (
            InterchangeState.SENT,
            InterchangeState.FAILED,
            InterchangeState.REJECTED,
        )
        return context


def interchange_raw(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("edi.view_interchange"):
        raise PermissionDenied
    row = get_object_or_404(Interchange.objects.only("payload", "control_reference"), pk=pk)
    name = f"interchange-{row.pk}-{row.control_reference or 'raw'}.edi"
    return HttpResponse(
        row.payload_bytes,
        content_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class MessageReplayView(ActionView):
    permission_required = "edi.replay_edimessage"
    success_text = gettext_lazy("Message %(object)s replayed.")

    def run(self, request: HttpRequest, **kwargs: Any) -> Any:
        row = message_replay(message_id=kwargs["pk"], user=request.user)
        if row.state == MessageState.ERROR:
            messages.warning(request, _("The message is still in error: see its reasons."))
        return row

    def fallback_url(self, **kwargs: Any) -> str:
        return reverse("edi:message_detail", args=[kwargs["pk"]])


class ErrorQueueReplayView(ActionView):
    """Replay the messages ticked in the error queue, each on its own."""

    permission_required = "edi.replay_edimessage"

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        ids = [int(value) for value in request.POST.getlist("selected") if value.isdigit()]
        if not ids:
            messages.error(request, _("Tick the messages to replay."))
            return HttpResponseRedirect(self.next_url(request))
        outcome = messages_replay(message_ids=ids, user=request.user)
        processed = set(
            EdiMessage.objects.filter(pk__in=ids, state=MessageState.PROCESSED).values_list(
                "pk", flat=True
            )
        )
        messages.success(
            request,
            _("%(done)s of %(total)s messages processed.")
            % {"done": len(processed), "total": len(ids)},
        )
        for message_id, refusal in outcome.items():
            if refusal:
                messages.error(request, f"#{message_id}: {refusal}")
        return HttpResponseRedirect(self.next_url(request))

    def fallback_url(self, **kwargs: Any) -> str:
        return reverse("edi:error_queue")


class InterchangeResendView(ActionView):
    permission_required = "edi.resend_interchange"
    success_text = gettext_lazy("Interchange %(object)s queued to be sent again.")

    def run(self, request: HttpRequest, **kwargs: Any) -> Any:
        return interchange_resend(interchange_id=kwargs["pk"], user=request.user)

    def fallback_url(self, **kwargs: Any) -> str:
        return reverse("edi:interchange_detail", args=[kwargs["pk"]])


class UploadView(SectionMixin, PermissionRequiredMixin, FormView):
    """Receive a file by hand (one sent by e-mail, a test file): stored and processed
    exactly as if a transport had delivered it."""

    permission_required = "edi.add_interchange"
    template_name = "edi/upload.html"
    form_class = UploadForm
    section = SECTION

    def form_valid(self, form: UploadForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        row = interchange_receive(
            upload.read(),
            transport=InterchangeTransport.UPLOAD,
            metadata={"filename": upload.name, "uploaded_by": self.request.user.get_username()},
            partner=form.cleaned_data["partner"],
            user=self.request.user,
        )
        messages.success(self.request, _("File %(name)s received.") % {"name": upload.name})
        return HttpResponseRedirect(reverse("edi:interchange_detail", args=[row.pk]))


__all__ = [
    "ErrorQueueReplayView",
    "ErrorQueueView",
    "InterchangeDetailView",
    "InterchangeListView",
    "InterchangeResendView",
    "MessageDetailView",
    "MessageListView",
    "MessageReplayView",
    "UploadView",
    "interchange_raw",
]
