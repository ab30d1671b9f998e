"""Printed documents of sales: the delivery note (bon de livraison) and the quote
(devis), as HTML templates (``sales/pdf/``) turned into A4 PDFs by WeasyPrint.

Each document is written in its customer's document language (the ordering node's
inherited ``document_language``, French when none is set) and follows the customer's
document template when it has one (header and footer text, GTINs, lots, discount
detail). Our company's legal details come from ``trade.models.Company``; a document
is refused, not printed half-empty, while they are missing.

The ``*_html`` functions give the markup the PDF is made from (tests read it; a
browser can show it); the ``*_pdf`` functions give the bytes, for the browser views
and the API alike. WeasyPrint is imported when a PDF is made, so a machine without
its system libraries (Pango) still serves every other page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comptoir.exceptions import DomainError
from comptoir.money import round_amount, round_rate
from trade.models import AddressKind, Company, CustomerAddress, CustomerNode, DocumentTemplate
from trade.selectors import customer_node_effective_settings

from .models import Delivery, DeliveryState, PricedLine, Quote
from .selectors.deliveries import delivery_note_lines

PDF_CONTENT_TYPE = "application/pdf"
HUNDRED = Decimal(100)


# ---------------------------------------------------------------- shared


@dataclass(frozen=True)
class VatRow:
    """VAT of one rate: the sum of the rounded line amounts at that rate (the base),
    times the rate, rounded once (French rule: VAT per rate on the document)."""

    rate: Decimal
    base: Decimal
    amount: Decimal


@dataclass(frozen=True)
class DocumentTotals:
    excl_vat: Decimal
    vat: tuple[VatRow, ...]
    vat_total: Decimal
    incl_vat: Decimal


def _plain(value: Decimal) -> Decimal:
    """5.50 → 5.5, 20.00 → 20: a rate as people write it."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def document_totals(lines: Iterable[PricedLine]) -> DocumentTotals:
    """Totals of priced lines: excl. VAT (the sum of rounded line amounts), VAT per
    rate (lowest rate first) and incl. VAT. Unpriced lines count for nothing."""
    bases: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in lines:
        bases[Decimal(line.vat_rate)] += line.line_amount
    rows = tuple(VatRow(rate=_plain(rate), base=round_amount(base), amount=round_amount(base * rate / HUNDRED))
                 for rate, base in sorted(bases.items()))
    excl_vat = round_amount(sum((row.base for row in rows), start=Decimal(0)))
    vat_total = sum((row.amount for row in rows), start=Decimal("0.00"))
    return DocumentTotals(excl_vat=excl_vat, vat=rows, vat_total=vat_total, incl_vat=excl_vat + vat_total)


def document_language(node: CustomerNode) -> str:
    """The language a customer's documents are written in: its own or inherited
    setting, else the site's default (French)."""
    language = customer_node_effective_settings(node).value("document_language")
    return language or settings.LANGUAGE_CODE


def company_for_documents() -> Company:
    company = Company.objects.filter(pk=1).first()
    if company is None:
        raise DomainError(
            _("Our company's legal details are not set up (name, SIREN, address…): "
              "no document can be printed before they are."), code="company_missing")
    return company


def node_address(node: CustomerNode, *kinds: str) -> CustomerAddress | None:
    """The node's first address of the first kind found among ``kinds``, else any."""
    addresses = list(node.addresses.all())
    for kind in kinds:
        for address in addresses:
            if address.kind == kind:
                return address
    return addresses[0] if addresses else None


def _party(node: CustomerNode, *kinds: str) -> dict[str, Any]:
    return {"node": node, "address": node_address(node, *kinds)}


def format_siren(siren: str) -> str:
    """``123456789`` → ``123 456 789``, as French documents print it."""
    return " ".join(siren[i:i + 3] for i in range(0, len(siren), 3)) if siren.isdigit() else siren


def format_siret(siret: str) -> str:
    return f"{format_siren(siret[:9])} {siret[9:]}" if siret.isdigit() and len(siret) == 14 else siret


def _common_context(company: Company, template: DocumentTemplate | None) -> dict[str, Any]:
    return {
        "company": company,
        "company_siren": format_siren(company.siren),
        "company_siret": format_siret(company.siret),
        "template": template,
        "show_gtin": template.show_gtin if template else True,
        "show_lots": template.show_lots if template else True,
        "show_discount_breakdown": template.show_discount_breakdown if template else True,
        "printed_at": timezone.localtime(),
    }


def pdf_render(html: str) -> bytes:
    """A4 PDF bytes of a self-contained HTML page (its stylesheet inline)."""
    from weasyprint import HTML  # imported late: it needs Pango from the system

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def _filename(name: str) -> str:
    return f"{name}.pdf".replace("/", "-").replace(" ", "-")


# ---------------------------------------------------------------- delivery note


def delivery_note_context(delivery: Delivery) -> dict[str, Any]:
    """What the delivery note prints (see ``sales/pdf/delivery_note.html``)."""
    if delivery.state != DeliveryState.SHIPPED:
        raise DomainError(
            _("Delivery %(number)s has not shipped: its delivery note exists once it ships "
              "(print the picking list until then).") % {"number": delivery.number},
            code="delivery_not_shipped")
    company = company_for_documents()
    delivery = (Delivery.objects
                .select_related("order__ordering_node", "order__invoicing_node", "delivery_node", "warehouse")
                .get(pk=delivery.pk))
    order = delivery.order
    effective = customer_node_effective_settings(order.ordering_node)
    template = effective.value("document_template")
    lines = delivery_note_lines(delivery)
    return {
        **_common_context(company, template),
        "delivery": delivery,
        "order": order,
        "shipped_on": timezone.localtime(delivery.shipped_at).date() if delivery.shipped_at else None,
        "delivered_to": _party(delivery.delivery_node, AddressKind.DELIVERY, AddressKind.HEAD_OFFICE),
        "ordered_by": _party(order.ordering_node, AddressKind.HEAD_OFFICE, AddressKind.BILLING),
        "warehouse": delivery.warehouse,
        "lines": lines,
        "shipped_lines": sum(1 for line in lines if line.shipped_base_quantity),
    }


def delivery_note_html(delivery: Delivery) -> str:
    """The delivery note as an HTML page, in the customer's document language."""
    delivery = Delivery.objects.select_related("order__ordering_node").get(pk=delivery.pk)
    with translation.override(document_language(delivery.order.ordering_node)):
        return render_to_string("sales/pdf/delivery_note.html", delivery_note_context(delivery))


def delivery_note_pdf(delivery: Delivery) -> bytes:
    """The delivery note (bon de livraison) of a shipped delivery, as PDF bytes.
    Refused (``DomainError`` ``delivery_not_shipped``) before the delivery ships, and
    (``company_missing``) while our company's legal details are not set up."""
    return pdf_render(delivery_note_html(delivery))


def delivery_note_filename(delivery: Delivery) -> str:
    """``BL2026-000012.pdf``: the number says what it is."""
    return _filename(delivery.number)


# ---------------------------------------------------------------- quote


def _discount_rate(line: PricedLine) -> Decimal | None:
    if not line.gross_unit_price or line.net_unit_price is None or line.net_unit_price >= line.gross_unit_price:
        return None
    return _plain(round_rate((1 - line.net_unit_price / line.gross_unit_price) * HUNDRED).quantize(Decimal("0.01")))


def quote_context(quote: Quote) -> dict[str, Any]:
    """What the quote prints (see ``sales/pdf/quote.html``)."""
    company = company_for_documents()
    quote = (Quote.objects.select_related("ordering_node", "delivery_node", "invoicing_node", "salesperson")
             .get(pk=quote.pk))
    lines = list(quote.lines.select_related("article").order_by("position"))
    effective = customer_node_effective_settings(quote.ordering_node)
    # Who pays sets the terms: the invoiced node's (its own or inherited).
    payer = effective if quote.invoicing_node_id == quote.ordering_node_id else \
        customer_node_effective_settings(quote.invoicing_node)
    template = effective.value("document_template")
    return {
        **_common_context(company, template),
        "quote": quote,
        "is_draft": not quote.number,
        "issued_on": timezone.localtime(quote.sent_at or quote.created_at).date(),
        "customer": _party(quote.ordering_node, AddressKind.HEAD_OFFICE, AddressKind.BILLING),
        "delivered_to": _party(quote.delivery_node, AddressKind.DELIVERY, AddressKind.HEAD_OFFICE),
        "invoiced_to": _party(quote.invoicing_node, AddressKind.BILLING, AddressKind.HEAD_OFFICE),
        "lines": [{"line": line, "discount_rate": _discount_rate(line), "vat_rate": _plain(Decimal(line.vat_rate))}
                  for line in lines],
        "has_discounts": any(_discount_rate(line) is not None for line in lines),
        "totals": document_totals(lines),
        "payment_terms": payer.value("payment_terms"),
        "currency": company.currency,
    }


def quote_html(quote: Quote) -> str:
    """The quote as an HTML page, in the customer's document language."""
    quote = Quote.objects.select_related("ordering_node").get(pk=quote.pk)
    with translation.override(document_language(quote.ordering_node)):
        return render_to_string("sales/pdf/quote.html", quote_context(quote))


def quote_pdf(quote: Quote) -> bytes:
    """The quote (devis) as PDF bytes: a draft prints as a draft, without number.
    Refused (``DomainError`` ``company_missing``) while our company's legal details
    are not set up."""
    return pdf_render(quote_html(quote))


def quote_filename(quote: Quote) -> str:
    """``DEV2026-000003.pdf``; a draft has no number yet: ``quote-draft-12.pdf``."""
    return _filename(quote.number or _("quote-draft-%(id)s") % {"id": quote.pk})
