"""The price simulator: a customer, articles, a quantity and a date → every line's
gross price, the six levels with their sources, net price, margin and flags.

A GET form, so that a result is a link people can share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.mixins import PermissionRequiredMixin
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from comptoir.exceptions import DomainError
from trade.models import Article, Packaging
from trade.views.common import SectionMixin

from .. import engine
from ..forms import SIMULATOR_MAX_ARTICLES, SimulatorForm
from ..selectors import BasketLine, BasketResult, level_scheme, price_basket


@dataclass(frozen=True)
class SimulatedLine:
    """A priced line of the simulator with its article."""

    article: Article
    priced: engine.PricedLine


class PriceSimulatorView(SectionMixin, PermissionRequiredMixin, TemplateView):
    permission_required = (
        "pricing.view_contract",
        "pricing.view_pricelistitem",
        "trade.view_customernode",
        "trade.view_article",
    )
    template_name = "pricing/simulator.html"
    section = "price_simulator"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # Submitted means the whole form came back (its article fields always do); a link
        # carrying only ?customer= (from a contract page) just fills the form in.
        submitted = "articles" in self.request.GET or "family" in self.request.GET
        form = SimulatorForm(
            self.request.GET if submitted else None,
            initial={"customer": self.request.GET.get("customer", "")},
        )
        context["form"] = form
        context["max_articles"] = SIMULATOR_MAX_ARTICLES
        if form.is_bound and form.is_valid():
            context.update(self.simulate(form))
        return context

    def simulate(self, form: SimulatorForm) -> dict[str, Any]:
        node = form.cleaned_data["customer"]
        articles: list[Article] = form.cleaned_data["article_list"]
        level = form.packaging_level
        without_packaging: list[Article] = []
        if level:
            # An article without this packaging cannot be priced per it: say so rather
            # than price one base unit as if it were a case.
            having = set(
                Packaging.objects.filter(article__in=articles, level=level).values_list(
                    "article_id", flat=True
                )
            )
            without_packaging = [article for article in articles if article.pk not in having]
            articles = [article for article in articles if article.pk in having]
        lines = [
            BasketLine(
                line_id=article.pk,
                article_id=article.pk,
                quantity=form.cleaned_data["quantity"],
                packaging_level=level,
            )
            for article in articles
        ]
        by_id = {article.pk: article for article in articles}
        result: BasketResult | None = None
        error = ""
        if lines:
            try:
                result = price_basket(node=node, lines=lines, on_date=form.cleaned_data["on_date"])
            except DomainError as exc:
                error = _("The prices cannot be computed: %(reason)s") % {"reason": exc.message}
        return {
            "node": node,
            "result": result,
            "error": error,
            "rows": [SimulatedLine(by_id[int(line.line_id)], line) for line in result.lines]
            if result
            else [],
            "unpriced": [by_id[int(line_id)] for line_id in result.unpriced_line_ids]
            if result
            else [],
            "without_packaging": without_packaging,
            "unit_label": dict(form.fields["unit"].choices)[form.cleaned_data["unit"]],
            "capped_family_count": form.capped_family_count,
            "levels": level_scheme().levels,
        }
