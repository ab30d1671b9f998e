"""How a sales line's quantity maps to what logistics holds: one article, or the
components of a kit stocked as components (``quantity_per_kit`` each)."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from logistics.services.reservations import reservations_reduce
from trade.models import KitKind

from ..models import PricedLine

THOUSANDTH = Decimal("0.001")


def line_components(line: PricedLine) -> list[tuple[int, Decimal]]:
    """(article id, base units per line unit) that stock holds for the line."""
    article = line.article
    cached = getattr(article, "_stock_components", None)
    if cached is None:
        if article.kit_kind == KitKind.COMPONENTS:
            cached = [(c.component_id, c.quantity) for c in article.components.all()]
        else:
            cached = [(article.pk, Decimal(1))]
        article._stock_components = cached
    return cached


def held_units(held: dict[tuple[str, int], Decimal], line: PricedLine) -> Decimal:
    """Line units (kits for a kit) covered by what is held, from
    ``reserved_quantities`` of the document."""
    key = str(line.pk)
    components = line_components(line)
    if not components:
        return Decimal(0)
    return min((held.get((key, article_id), Decimal(0)) / per_unit).quantize(THOUSANDTH, ROUND_DOWN)
               for article_id, per_unit in components)


def units_release(*, document_type: str, document_id: str, line_key: str, line: PricedLine,
                  units: Decimal) -> None:
    """Release ``units`` line units of what a document line holds (each component)."""
    for article_id, per_unit in line_components(line):
        reservations_reduce(document_type=document_type, document_id=document_id, document_line=line_key,
                            quantity=units * per_unit, article_id=article_id)
