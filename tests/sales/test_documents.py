"""Printed documents: the delivery note and the quote as PDFs (WeasyPrint).

No PDF text extractor is installed, so the content is read from WeasyPrint's own
layout of the same HTML (``HTML(...).render()``: the pages, their boxes and text,
page-margin boxes included): what the PDF draws. The PDF bytes themselves are checked
for being a PDF, and the views for serving them inline."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils.translation import gettext as _

from tests.sales.conftest import dlc

pytestmark = pytest.mark.django_db


def _pages(html: str) -> list[str]:
    """The text WeasyPrint lays out on each page, margin boxes (footer, page number) included."""
    from weasyprint import HTML

    def walk(box):  # noqa: ANN001, ANN202
        text = getattr(box, "text", None)
        if text:
            yield text
        for child in box.all_children():
            yield from walk(child)

    document = HTML(string=html).render()
    return [" ".join(" ".join(walk(page._page_box)).split()) for page in document.pages]


@pytest.fixture
def shipped(picking_delivery, sales_user):  # noqa: ANN001, ANN201
    """The three-line delivery, 30 of 36 yogurts found, shipped."""
    from trade.models import CustomerAddress
    from trade.sales.services import delivery_pick, delivery_ship

    delivery, lines = picking_delivery["delivery"], picking_delivery["lines"]
    CustomerAddress.objects.create(customer=picking_delivery["platform"], kind="delivery",
                                   line1="ZI des Platanes, quai 4", postal_code="69800", city="Saint-Priest")
    delivery_pick(delivery, picked={lines["YAOURT"].pk: Decimal(30)}, user=sales_user)
    delivery = delivery_ship(delivery, user=sales_user)
    return {**picking_delivery, "delivery": delivery}


def test_delivery_note_prints_lots_dates_serials_company_and_numbers(shipped, our_company, today):  # noqa: ANN001
    from trade.sales.documents import delivery_note_html, delivery_note_pdf

    delivery, order = shipped["delivery"], shipped["order"]

    pdf = delivery_note_pdf(delivery)
    pages = _pages(delivery_note_html(delivery))

    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(pages) == 1
    text = pages[0]
    assert "Bon de livraison" in text  # French by default
    for expected in (delivery.number, order.number, "PO-4711",  # delivery, order, their reference
                     "L-EARLY", dlc(today, 20).strftime("%d/%m/%Y"), "L-LATE", dlc(today, 40).strftime("%d/%m/%Y"),
                     "SN-1", "SN-2", "DLC",
                     "Comptoir Test SAS", "412 345 670", "RCS Lyon", our_company.vat_number,  # legal details
                     "Plateforme Test", "ZI des Platanes, quai 4", shipped["platform"].gln,  # delivered to
                     "Magasin Test", shipped["store"].gln,  # ordered by
                     "3761007770019",  # the yogurt's unit GTIN
                     "Page 1 / 1"):
        assert expected in text, expected
    assert "2,5 Colis" in text and "30 unité" in text  # shipped, in the unit ordered and in base units


def test_delivery_note_is_in_the_customers_language_and_follows_its_template(shipped, our_company):  # noqa: ANN001
    from trade.models import DocumentTemplate
    from trade.sales.documents import delivery_note_html
    from trade.services import customer_node_save

    chain = shipped["chain"]
    chain.document_language = "en"
    chain.document_template = DocumentTemplate.objects.create(
        code="ENS", name="Enseigne", header_text="Livraison quai 4 uniquement", footer_text="Merci !",
        show_gtin=False)
    customer_node_save(chain)  # the store inherits both

    html = delivery_note_html(shipped["delivery"])

    assert "<h1>Delivery note</h1>" in html and 'lang="en"' in html
    assert "Livraison quai 4 uniquement" in html and "Merci !" in html
    assert "3761007770019" not in html  # no GTINs for this customer
    assert "L-EARLY" in html  # lots still printed


def test_delivery_note_of_a_ddm_lot_says_ddm(shop, receive, line, tomorrow, today, sales_user, our_company):  # noqa: ANN001
    from pricing.models import PriceListItem
    from tests import factories
    from trade.sales.documents import delivery_note_html
    from trade.sales.services import delivery_create, delivery_ship, order_confirm, order_create

    coffee = factories.ArticleFactory(code="CAFE", designation="Café moulu", tracking_mode="lot_ddm",
                                      shelf_life_days=365)
    PriceListItem.objects.create(price_list=shop["price_list"], article=coffee, unit_price=Decimal("3.1000"))
    receive(coffee, 10, lot="C-2027", expiry=dlc(today, 300), location="A-02")
    order = order_create(ordering_node=shop["store"], requested_date=tomorrow, lines=[line(coffee, 4)],
                         user=sales_user)
    order_confirm(order, user=sales_user)
    delivery = delivery_ship(delivery_create(order, user=sales_user), user=sales_user)

    text = _pages(delivery_note_html(delivery))[0]

    assert f"Lot C-2027 · DDM {dlc(today, 300):%d/%m/%Y} · 4 unité" in text


def test_no_delivery_note_before_shipping(picking_delivery, our_company):  # noqa: ANN001
    from comptoir.exceptions import DomainError
    from trade.sales.documents import delivery_note_pdf

    with pytest.raises(DomainError) as not_shipped:
        delivery_note_pdf(picking_delivery["delivery"])

    assert not_shipped.value.code == "delivery_not_shipped"


def test_a_shipped_delivery_without_company_details_is_refused(shipped):  # noqa: ANN001
    from comptoir.exceptions import DomainError
    from trade.sales.documents import delivery_note_pdf

    with pytest.raises(DomainError) as missing:
        delivery_note_pdf(shipped["delivery"])

    assert missing.value.code == "company_missing"


def test_delivery_note_view_serves_the_pdf_inline(client_for, warehouse_user, make_user, shipped, our_company):  # noqa: ANN001
    from django.urls import reverse

    from comptoir import roles

    delivery = shipped["delivery"]
    url = reverse("sales:delivery_note_pdf", args=[delivery.pk])

    response = client_for(warehouse_user).get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{delivery.number}.pdf"'
    assert "private" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF-")
    assert client_for(make_user(roles.PURCHASING)).get(url).status_code == 403


# ---------------------------------------------------------------- quote


@pytest.fixture
def quote(shop, line, tomorrow, sales_user):  # noqa: ANN001, ANN201
    from trade.sales.services import quote_create, quote_send

    quote = quote_create(ordering_node=shop["store"], requested_date=tomorrow, customer_reference="RFQ-12",
                         lines=[line(shop["yogurt"], 5, "case"), line(shop["machine"], 1), line(shop["plain"], 7)],
                         user=sales_user)
    return quote_send(quote, user=sales_user)


def test_document_totals_round_each_rate_once():
    from types import SimpleNamespace

    from trade.sales.documents import document_totals

    lines = [SimpleNamespace(vat_rate="5.50", line_amount=Decimal("0.10")) for _ in range(3)]
    lines.append(SimpleNamespace(vat_rate="20.00", line_amount=Decimal("10.05")))

    totals = document_totals(lines)

    # 5.5 % of 0.30 = 0.0165 → 0.02 (three lines rounded apart would give 0.03).
    assert [(row.rate, row.base, row.amount) for row in totals.vat] == [
        (Decimal("5.5"), Decimal("0.30"), Decimal("0.02")), (Decimal(20), Decimal("10.05"), Decimal("2.01"))]
    assert (totals.excl_vat, totals.vat_total, totals.incl_vat) == (
        Decimal("10.35"), Decimal("2.03"), Decimal("12.38"))


def test_quote_prints_prices_vat_per_rate_totals_and_terms(quote, our_company, shop):  # noqa: ANN001
    from trade.sales.documents import quote_html, quote_pdf

    pdf = quote_pdf(quote)
    pages = _pages(quote_html(quote))

    def vat_on(rate: str, base: str) -> str:  # as the template says it, spaces collapsed like _pages
        return " ".join((_("VAT %(rate)s %% on %(base)s") % {"rate": rate, "base": base}).split())

    assert pdf.startswith(b"%PDF-")
    text = pages[0]
    for expected in (quote.number, "RFQ-12", quote.valid_until.strftime("%d/%m/%Y"),
                     "Comptoir Test SAS", "412 345 670", "Magasin Test",
                     "6,0000", "120,0000", "1,2000",  # net unit prices
                     "30,00", "120,00", "8,40",  # line amounts
                     "158,40 EUR",  # total excl. VAT
                     vat_on("5,5", "38,40"), "2,11 EUR", vat_on("20", "120,00"), "24,00 EUR",  # VAT per rate
                     "184,51 EUR",  # total incl. VAT
                     shop["terms"].label,  # payment terms, inherited from the buying group
                     "Page 1 / 1"):
        assert expected in text, expected
    draft = _("Draft")
    assert draft not in text and draft.upper() not in text


def test_a_draft_quote_prints_as_a_draft(shop, line, tomorrow, sales_user, our_company):  # noqa: ANN001
    from trade.sales.documents import quote_filename, quote_html
    from trade.sales.services import quote_create

    draft = quote_create(ordering_node=shop["store"], requested_date=tomorrow, lines=[line(shop["plain"], 1)],
                         user=sales_user)

    assert "data-draft" in quote_html(draft)
    assert quote_filename(draft) == _("quote-draft-%(id)s") % {"id": draft.pk} + ".pdf"


def test_a_long_quote_runs_over_pages_with_footer_and_page_numbers(shop, line, tomorrow, sales_user,  # noqa: ANN001
                                                                    our_company):
    from pricing.models import PriceListItem
    from tests import factories
    from trade.sales.documents import quote_html
    from trade.sales.services import quote_create

    articles = [factories.ArticleFactory(code=f"ART{i:03d}", designation=f"Article numéro {i}") for i in range(70)]
    PriceListItem.objects.bulk_create([PriceListItem(price_list=shop["price_list"], article=article,
                                                     unit_price=Decimal("2.0000")) for article in articles])
    long_quote = quote_create(ordering_node=shop["store"], requested_date=tomorrow,
                              lines=[line(article, 1) for article in articles], user=sales_user)

    pages = _pages(quote_html(long_quote))

    assert len(pages) >= 2
    assert all(f"Page {number} / {len(pages)}" in text for number, text in enumerate(pages, start=1))
    assert all("RCS Lyon 412 345 670" in text for text in pages)  # the legal footer on every page
    assert all("Article" in text for text in pages[1:])  # the table head repeats
    assert "ART000" in pages[0] and "ART069" in pages[-1]


def test_quote_view_serves_the_pdf_inline_to_who_may_read_quotes(client_for, sales_user, warehouse_user,  # noqa: ANN001
                                                                 make_user, quote, our_company):
    from django.urls import reverse

    from comptoir import roles

    url = reverse("sales:quote_pdf", args=[quote.pk])

    response = client_for(sales_user).get(url)

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{quote.number}.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert client_for(warehouse_user).get(url).status_code == 200  # warehouse reads quotes (roles.py)
    assert client_for(make_user(roles.PURCHASING)).get(url).status_code == 403
