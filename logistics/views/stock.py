"""Stock levels by article, by location and by lot; the movement journal; adjustments."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db.models import DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import FormView

from comptoir.exceptions import DomainError
from trade.models import Article
from trade.views.common import FilteredListView, SectionMixin, yes_no

from ..forms import (
    AdjustmentForm,
    LotFilterForm,
    MoveFilterForm,
    StockArticleFilterForm,
    StockLocationFilterForm,
    article_from_code,
)
from ..models import LocationKind, Lot, LotStatus, StockBalance, StockMove
from ..selectors import stock_balances
from ..services.ledger import stock_adjust
from .common import (
    DOCUMENT_TYPES,
    ExpiryContextMixin,
    as_validation_failed,
    document_refs,
    location_choices,
)

QUANTITY_OUTPUT = DecimalField(max_digits=14, decimal_places=3)
ZERO = Value(Decimal("0"), output_field=QUANTITY_OUTPUT)
# Lots whose stock stays on hand but is never promised (as in available_to_promise).
HELD_STATUSES = [LotStatus.QUARANTINED, LotStatus.BLOCKED, LotStatus.RECALLED]


def search_articles(queryset: QuerySet, text: str) -> QuerySet:
    """Rows (with an ``article``) whose article's code or designation contains ``text``,
    or whose article has ``text`` as its code or one of its GTINs."""
    text = text.strip()
    if not text:
        return queryset
    condition = Q(article__code__icontains=text) | Q(article__designation__icontains=text)
    exact = article_from_code(text)
    if exact is not None:
        condition |= Q(article=exact)
    return queryset.filter(condition)


def filtered_article(filters: dict[str, Any]) -> Article | None:
    """The article a row link narrowed a list to (``?article=<id>``), shown as a chip."""
    article_id = filters.get("article")
    return Article.objects.filter(pk=article_id).first() if article_id else None


class StockByArticleView(FilteredListView):
    """One row per article: on hand, reserved, blocked and available, all warehouses
    or one. Available is what can be promised: storage locations, lots neither
    quarantined, blocked nor recalled (the rule of ``available_to_promise``); blocked
    counts those lots too.

    The sums are written here rather than with ``selectors.stock_by_article``, whose
    ``available`` sum refers to its own ``on_hand`` aggregate and fails to build, and
    which counts held lots as available."""

    permission_required = "logistics.view_stockbalance"
    template_name = "logistics/stock/by_article.html"
    filter_form_class = StockArticleFilterForm
    section = "stock"
    context_object_name = "rows"

    def get_queryset(self) -> QuerySet:
        filters = self.filters()
        queryset = StockBalance.objects.all()
        warehouse = filters.get("warehouse")
        if warehouse is not None:
            queryset = queryset.filter(location__warehouse=warehouse)
        queryset = search_articles(queryset, filters.get("q", ""))
        family = filters.get("family")
        if family is not None:
            queryset = queryset.filter(article__family__path__startswith=family.path)
        free = F("on_hand") - F("reserved") - F("blocked")
        held = Q(lot__status__in=HELD_STATUSES)
        return (
            queryset.values("article_id", "article__code", "article__designation")
            .annotate(
                on_hand_total=Sum("on_hand"),
                reserved_total=Sum("reserved"),
                blocked_own=Sum("blocked"),
                lot_held=Coalesce(Sum(free, filter=held), ZERO, output_field=QUANTITY_OUTPUT),
                promisable=Coalesce(
                    Sum(free, filter=Q(location__kind=LocationKind.STORAGE) & ~held),
                    ZERO,
                    output_field=QUANTITY_OUTPUT,
                ),
            )
            .annotate(blocked_total=F("blocked_own") + F("lot_held"))
            .filter(Q(on_hand_total__gt=0) | Q(reserved_total__gt=0))
            .order_by("article__code")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        warehouse = self.filters().get("warehouse")
        context["warehouse_query"] = f"&warehouse={warehouse.pk}" if warehouse else ""
        return context


class StockByLocationView(ExpiryContextMixin, FilteredListView):
    """Balances: an article in a lot at a location, with what is reserved and blocked."""

    permission_required = "logistics.view_stockbalance"
    template_name = "logistics/stock/by_location.html"
    filter_form_class = StockLocationFilterForm
    section = "stock"
    context_object_name = "balances"

    def get_queryset(self) -> QuerySet[StockBalance]:
        filters = self.filters()
        warehouse = filters.get("warehouse")
        queryset = stock_balances(
            warehouse_id=warehouse.pk if warehouse else None, article_id=filters.get("article")
        )
        queryset = search_articles(queryset, filters.get("q", ""))
        if filters.get("location"):
            queryset = queryset.filter(location__code__istartswith=filters["location"].strip())
        if filters.get("kind"):
            queryset = queryset.filter(location__kind=filters["kind"])
        if filters.get("lot"):
            queryset = queryset.filter(lot__number__iexact=filters["lot"].strip())
        return queryset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["filter_article"] = filtered_article(self.filters())
        return context


class LotListView(ExpiryContextMixin, FilteredListView):
    permission_required = "logistics.view_lot"
    template_name = "logistics/stock/lots.html"
    filter_form_class = LotFilterForm
    section = "lots"
    context_object_name = "lots"

    def get_queryset(self) -> QuerySet[Lot]:
        filters = self.filters()
        queryset = Lot.objects.select_related("article", "supplier").annotate(
            on_hand=Coalesce(Sum("balances__on_hand"), ZERO, output_field=QUANTITY_OUTPUT),
            reserved=Coalesce(Sum("balances__reserved"), ZERO, output_field=QUANTITY_OUTPUT),
        )
        search = filters.get("q", "").strip()
        if search:
            queryset = queryset.filter(
                Q(number__icontains=search) | Q(article__code__iexact=search)
            )
        if filters.get("article"):
            queryset = queryset.filter(article_id=filters["article"])
        if filters.get("status"):
            queryset = queryset.filter(status=filters["status"])
        if filters.get("supplier") is not None:
            queryset = queryset.filter(supplier=filters["supplier"])
        today = timezone.localdate()
        expiry = filters.get("expiry", "")
        if expiry == "expired":
            queryset = queryset.filter(expiry_date__lt=today)
        elif expiry == "none":
            queryset = queryset.filter(expiry_date__isnull=True)
        elif expiry.isdigit():
            queryset = queryset.filter(
                expiry_date__gte=today, expiry_date__lte=today + timedelta(days=int(expiry))
            )
        in_stock = yes_no(filters.get("in_stock", ""))
        if in_stock is True:
            queryset = queryset.filter(on_hand__gt=0)
        elif in_stock is False:
            queryset = queryset.filter(on_hand__lte=0)
        return queryset.order_by("article__code", F("expiry_date").asc(nulls_last=True), "number")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["filter_article"] = filtered_article(self.filters())
        return context


def day_start(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class MoveJournalView(FilteredListView):
    """The ledger, read-only: every move with its document, newest first."""

    permission_required = "logistics.view_stockmove"
    template_name = "logistics/stock/moves.html"
    filter_form_class = MoveFilterForm
    section = "moves"
    context_object_name = "moves"

    def get_queryset(self) -> QuerySet[StockMove]:
        filters = self.filters()
        queryset = StockMove.objects.select_related(
            "article",
            "lot",
            "serial",
            "from_location__warehouse",
            "to_location__warehouse",
            "customer_node",
            "supplier",
            "created_by",
        )
        if filters.get("article"):
            article = article_from_code(filters["article"])
            queryset = queryset.filter(article=article) if article else queryset.none()
        if filters.get("lot"):
            queryset = queryset.filter(lot__number__iexact=filters["lot"].strip())
        if filters.get("reason"):
            queryset = queryset.filter(reason=filters["reason"])
        if filters.get("document"):
            queryset = queryset.filter(self.document_condition(filters["document"]))
        warehouse = filters.get("warehouse")
        if warehouse is not None:
            queryset = queryset.filter(
                Q(from_location__warehouse=warehouse) | Q(to_location__warehouse=warehouse)
            )
        if filters.get("date_from"):
            queryset = queryset.filter(created_at__gte=day_start(filters["date_from"]))
        if filters.get("date_to"):
            queryset = queryset.filter(
                created_at__lt=day_start(filters["date_to"] + timedelta(days=1))
            )
        return queryset.order_by("-created_at", "-pk")

    @staticmethod
    def document_condition(text: str) -> Q:
        """A document number (REC2026-000001), ``type id`` (``receipt 12``) or a bare id."""
        text = text.strip()
        for document_type, (model, _url, _label) in DOCUMENT_TYPES.items():
            pk = model.objects.filter(number__iexact=text).values_list("pk", flat=True).first()
            if pk is not None:
                return Q(document_type=document_type, document_id=str(pk))
        document_type, _sep, document_id = text.partition(" ")
        if document_id:
            return Q(document_type__iexact=document_type, document_id=document_id.strip())
        return Q(document_id=text)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        moves = context["moves"]
        refs = document_refs((move.document_type, move.document_id) for move in moves)
        context["rows"] = [(move, refs[(move.document_type, move.document_id)]) for move in moves]
        return context


class AdjustmentView(SectionMixin, PermissionRequiredMixin, FormView):
    """Correct the stock of one location: a signed quantity and a reason note."""

    permission_required = "logistics.add_stockmove"
    template_name = "logistics/stock/adjustment.html"
    form_class = AdjustmentForm
    section = "moves"

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        for name in ("location", "article", "lot_number"):
            if self.request.GET.get(name):
                initial[name] = self.request.GET[name]
        if self.request.GET.get("warehouse", "").isdigit():
            initial["warehouse"] = int(self.request.GET["warehouse"])
        return initial

    def form_valid(self, form: AdjustmentForm) -> HttpResponse:
        data = form.cleaned_data
        try:
            move = stock_adjust(
                article=data["article"],
                location=data["location"],
                quantity=data["quantity"],
                lot=form.lot,
                serial=form.serial,
                note=data["note"],
                reason=data["reason"],
                user=self.request.user,
            )
        except DomainError as exc:
            for field, field_messages in as_validation_failed(exc).errors.items():
                for message in field_messages:
                    form.add_error(field if field in form.fields else None, message)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(article)s: %(quantity)s at %(location)s posted.")
            % {
                "article": move.article.code,
                "quantity": f"{data['quantity']:+}",
                "location": move.from_location or move.to_location,
            },
        )
        query = urlencode({"article": move.article.code, "reason": move.reason})
        return HttpResponseRedirect(f"{reverse('logistics:move_list')}?{query}")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["location_choices"] = location_choices()
        return context
