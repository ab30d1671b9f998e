"""Stock screens through Django's test client: rights, receipts, the lot card and its
actions, recalls and their CSV, counts, transfers, kit assembly, valuation."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from comptoir import roles
from logistics.models import (
    AssemblyOrder,
    CountLine,
    InventoryCount,
    Location,
    Lot,
    LotStatus,
    Recall,
    Receipt,
    StockBalance,
    StockMove,
    Transfer,
    Warehouse,
)
from logistics.services.documents import count_open
from logistics.services.reservations import ReserveLine, reservations_ship, stock_reserve
from tests import factories
from trade.services import kit_components_set

pytestmark = pytest.mark.django_db
D = Decimal


def fr(message: str, **params: Any) -> str:
    """A message as the pages show it: French is the default language of the back-office."""
    with translation.override("fr"):
        text = gettext(message)
    return text % params if params else text


def on_hand(article: Any, location: Any = None) -> Decimal:
    rows = StockBalance.objects.filter(article=article)
    if location is not None:
        rows = rows.filter(location=location)
    return sum((row.on_hand for row in rows), D(0))


def ship(article: Any, quantity: str, *, to: Any, warehouse: Warehouse, order: str) -> None:
    """Reserve FEFO and ship to a customer node, as the order desk will."""
    stock_reserve(
        document_type="order",
        document_id=order,
        warehouse=warehouse,
        delivery_date=timezone.localdate(),
        lines=[ReserveLine("1", article, D(quantity))],
    )
    reservations_ship(document_type="order", document_id=order, customer_node=to)


def line_data(prefix: str, rows: list[dict[str, str]], *, initial: int = 0) -> dict[str, str]:
    """An inline formset's POST: management form and one dict per row."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "1",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


@pytest.fixture
def supplier(db):  # noqa: ANN001, ANN201
    supplier = factories.SupplierFactory(code="F-LAIT", name="Laiterie du Val")
    return supplier


@pytest.fixture
def store_contact(hierarchy):  # noqa: ANN001, ANN201
    store = hierarchy["store"]
    store.contacts.create(name="Claire Martin", email="claire@magasin.test", phone="05 61 00 00 00")
    return store


@pytest.fixture
def shipped_lot(receive, yogurt, warehouse, hierarchy, supplier, store_contact):  # noqa: ANN001, ANN201
    """Lot Y-1 of yogurt: 20 received from the supplier, 6 shipped to the store."""
    receive(
        yogurt,
        "20",
        lot="Y-1",
        expiry=date.today() + timedelta(days=20),
        supplier=supplier,
        cost="0.4000",
    )
    ship(yogurt, "6", to=hierarchy["store"], warehouse=warehouse, order="CMD-1")
    return Lot.objects.get(number="Y-1")


# ---------------------------------------------------------------- rights


def test_every_stock_screen_renders_for_a_user_with_the_rights(
    admin_user_role, client_for, shipped_lot, receive, yogurt, warehouse, bins
):
    receipt = Receipt.objects.get()
    other = Warehouse.objects.create(code="BDX", name="Entrepôt Bordeaux")
    Location.objects.create(warehouse=other, code="A-01")
    transfer = Transfer.objects.create(from_warehouse=warehouse, to_warehouse=other)
    count = count_open(InventoryCount(warehouse=warehouse, kind="full"))
    kit = factories.ArticleFactory(code="PANIER", kit_kind="assembled")
    kit_components_set(kit=kit, components=[(yogurt, D("2"))])
    order = AssemblyOrder.objects.create(kit=kit, quantity=D("1"), location=bins["A-01"])
    recall = Recall.objects.create(reference="RAP-1", reason="Listeria")
    recall.lots.set([shipped_lot])
    client = client_for(admin_user_role)
    urls = [
        reverse("logistics:stock_by_article") + f"?q=YAOURT&warehouse={warehouse.pk}",
        reverse("logistics:stock_by_location") + "?location=A-&kind=storage&lot=Y-1",
        reverse("logistics:lot_list") + "?status=available&expiry=30&in_stock=yes",
        reverse("logistics:lot_detail", args=[shipped_lot.pk]),
        reverse("logistics:lot_status", args=[shipped_lot.pk, "block"]),
        reverse("logistics:move_list") + "?article=YAOURT&reason=shipment&date_from=2020-01-01",
        reverse("logistics:move_list") + f"?document={receipt.number}",
        reverse("logistics:adjustment_create"),
        reverse("logistics:recall_list") + "?q=RAP",
        reverse("logistics:recall_create") + f"?lot={shipped_lot.pk}",
        reverse("logistics:recall_detail", args=[recall.pk]),
        reverse("logistics:receipt_list") + "?status=posted",
        reverse("logistics:receipt_create"),
        reverse("logistics:receipt_detail", args=[receipt.pk]),
        reverse("logistics:transfer_list"),
        reverse("logistics:transfer_create"),
        reverse("logistics:transfer_detail", args=[transfer.pk]),
        reverse("logistics:transfer_update", args=[transfer.pk]),
        reverse("logistics:count_list"),
        reverse("logistics:count_open"),
        reverse("logistics:count_detail", args=[count.pk]) + "?only=uncounted",
        reverse("logistics:assembly_list"),
        reverse("logistics:assembly_create"),
        reverse("logistics:assembly_detail", args=[order.pk]),
        reverse("logistics:valuation") + f"?on_date=2030-01-01&warehouse={warehouse.pk}",
        reverse("logistics:anomalies") + "?kind=expired_dlc",
        reverse("logistics:replenishment") + f"?warehouse={warehouse.pk}",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
    assert client.get(reverse("logistics:lot_recall_csv", args=[shipped_lot.pk])).status_code == 200
    assert client.get(reverse("logistics:recall_csv", args=[recall.pk])).status_code == 200
    home = client.get(reverse("home")).content.decode()
    assert reverse("logistics:lot_list") in home  # the Stock navigation group


def test_a_user_without_stock_rights_gets_403_and_no_stock_navigation(
    make_user, client_for, shipped_lot
):
    client = client_for(make_user())
    receipt = Receipt.objects.get()
    gets = [
        reverse("logistics:stock_by_article"),
        reverse("logistics:stock_by_location"),
        reverse("logistics:lot_list"),
        reverse("logistics:lot_detail", args=[shipped_lot.pk]),
        reverse("logistics:lot_status", args=[shipped_lot.pk, "block"]),
        reverse("logistics:lot_recall_csv", args=[shipped_lot.pk]),
        reverse("logistics:move_list"),
        reverse("logistics:adjustment_create"),
        reverse("logistics:recall_list"),
        reverse("logistics:recall_create"),
        reverse("logistics:receipt_list"),
        reverse("logistics:receipt_create"),
        reverse("logistics:receipt_detail", args=[receipt.pk]),
        reverse("logistics:transfer_list"),
        reverse("logistics:count_list"),
        reverse("logistics:count_open"),
        reverse("logistics:assembly_list"),
        reverse("logistics:valuation"),
        reverse("logistics:anomalies"),
        reverse("logistics:replenishment"),
    ]
    posts = [
        reverse("logistics:lot_status", args=[shipped_lot.pk, "block"]),
        reverse("logistics:receipt_post", args=[receipt.pk]),
        reverse("logistics:adjustment_create"),
    ]

    assert [client.get(url).status_code for url in gets] == [403] * len(gets)
    assert [client.post(url).status_code for url in posts] == [403] * len(posts)
    shipped_lot.refresh_from_db()
    assert shipped_lot.status == LotStatus.AVAILABLE
    assert reverse("logistics:lot_list") not in client.get(reverse("home")).content.decode()


def test_sales_user_reads_the_lot_card_without_actions_and_cannot_block_or_receive(
    sales_user, client_for, shipped_lot
):
    client = client_for(sales_user)

    card = client.get(reverse("logistics:lot_detail", args=[shipped_lot.pk]))
    block = client.post(reverse("logistics:lot_status", args=[shipped_lot.pk, "block"]))
    create = client.get(reverse("logistics:receipt_create"))

    assert card.status_code == 200
    html = card.content.decode()
    assert "data-lot-action" not in html
    assert (block.status_code, create.status_code) == (403, 403)
    shipped_lot.refresh_from_db()
    assert shipped_lot.status == LotStatus.AVAILABLE


# ---------------------------------------------------------------- receipts


def receipt_post_data(
    warehouse: Warehouse, rows: list[dict[str, str]], **extra: str
) -> dict[str, str]:
    return {
        "warehouse": str(warehouse.pk),
        "supplier": "",
        "received_on": "2026-06-01",
        "reference": "BL-778",
        **line_data("lines", rows),
        **extra,
    }


def test_receipt_entered_and_posted_through_the_form(
    warehouse_user, client_for, warehouse, bins, yogurt
):
    kettle = factories.ArticleFactory(code="BOUILLOIRE", tracking_mode="serial")
    packaging = factories.PackagingFactory(
        article=kettle, level="consumer_unit", quantity=D("1"), gtin=factories.gtin(4242)
    )
    data = receipt_post_data(
        warehouse,
        [
            {
                "article": "yaourt",
                "location": "A-01",
                "quantity": "24",
                "unit_cost": "0.5",
                "lot_number": " L-77 ",
                "expiry_date": "2026-06-20",
                "production_date": "2026-05-30",
            },
            {
                "article": packaging.gtin,
                "location": "LYON/B-01",
                "quantity": "2",
                "unit_cost": "19.9",
                "serial_numbers": "SN-1\nSN-2",
            },
        ],
        post="1",
    )

    response = client_for(warehouse_user).post(reverse("logistics:receipt_create"), data)

    receipt = Receipt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("logistics:receipt_detail", args=[receipt.pk])
    assert (receipt.status, receipt.reference, receipt.created_by) == (
        "posted",
        "BL-778",
        warehouse_user,
    )
    assert receipt.number.startswith("REC")
    lot = Lot.objects.get(article=yogurt)
    assert (lot.number, lot.expiry_date, lot.expiry_kind) == ("L-77", date(2026, 6, 20), "dlc")
    assert on_hand(yogurt, bins["A-01"]) == D("24")
    assert on_hand(kettle, bins["B-01"]) == D("2")
    assert sorted(kettle.serials.values_list("number", flat=True)) == ["SN-1", "SN-2"]
    detail = client_for(warehouse_user).get(response["Location"]).content.decode()
    assert reverse("logistics:lot_detail", args=[lot.pk]) in detail
    assert reverse("logistics:receipt_post", args=[receipt.pk]) not in detail


def test_receipt_line_without_its_dlc_is_refused_naming_the_line_and_nothing_is_posted(
    warehouse_user, client_for, warehouse, yogurt
):
    rice = factories.ArticleFactory(code="RIZ")
    data = receipt_post_data(
        warehouse,
        [
            {"article": "RIZ", "location": "A-01", "quantity": "10", "unit_cost": "2"},
            {
                "article": "YAOURT",
                "location": "A-02",
                "quantity": "12",
                "unit_cost": "0.5",
                "lot_number": "L-1",
            },
        ],
        post="1",
    )

    response = client_for(warehouse_user).post(reverse("logistics:receipt_create"), data)

    assert response.status_code == 200
    line = fr("Line %(n)s (%(article)s)", n=2, article="YAOURT")
    assert list(response.context["formsets"]["lines"].non_form_errors()) == [
        fr("%(line)s: the DLC/DDM date is missing.", line=line)
    ]
    assert not Receipt.objects.exists()
    assert not StockMove.objects.exists()
    assert not Lot.objects.exists()
    assert on_hand(rice) == 0
    # What was keyed is still there to correct.
    assert response.context["formsets"]["lines"].forms[1]["lot_number"].value() == "L-1"


def test_receipt_form_checks_codes_in_the_chosen_warehouse(warehouse_user, client_for, warehouse):
    Warehouse.objects.create(code="BDX", name="Bordeaux")
    data = receipt_post_data(
        warehouse,
        [{"article": "NOPE", "location": "Z-99", "quantity": "1", "unit_cost": "1"}],
    )

    response = client_for(warehouse_user).post(reverse("logistics:receipt_create"), data)

    line = response.context["formsets"]["lines"].forms[0]
    assert response.status_code == 200
    assert line.errors["article"] == [
        fr("No article has the code or GTIN %(value)s.", value="NOPE")
    ]
    assert line.errors["location"] == [
        fr("No active location %(code)s in %(warehouse)s.", code="Z-99", warehouse="LYON")
    ]
    assert not Receipt.objects.exists()


def test_draft_receipt_is_saved_then_posted_from_its_page(
    warehouse_user, client_for, warehouse, bins
):
    rice = factories.ArticleFactory(code="RIZ")
    client = client_for(warehouse_user)
    data = receipt_post_data(
        warehouse, [{"article": "RIZ", "location": "A-01", "quantity": "10", "unit_cost": "2"}]
    )

    saved = client.post(reverse("logistics:receipt_create"), data)
    receipt = Receipt.objects.get()
    assert (saved.status_code, receipt.status, on_hand(rice)) == (302, "draft", 0)

    posted = client.post(reverse("logistics:receipt_post", args=[receipt.pk]))
    again = client.post(reverse("logistics:receipt_post", args=[receipt.pk]))

    receipt.refresh_from_db()
    assert posted.status_code == again.status_code == 302
    assert receipt.status == "posted"
    assert on_hand(rice, bins["A-01"]) == D("10")
    assert StockMove.objects.count() == 1
    assert client.get(reverse("logistics:receipt_update", args=[receipt.pk])).status_code == 302


# ---------------------------------------------------------------- lot card


def test_lot_card_shows_the_downstream_customers_and_the_kit_lots(
    warehouse_user, client_for, shipped_lot, receive, yogurt, warehouse, bins, hierarchy
):
    kit = factories.ArticleFactory(
        code="PANIER", kit_kind="assembled", tracking_mode="lot_dlc", shelf_life_days=20
    )
    kit_components_set(kit=kit, components=[(yogurt, D("2"))])
    client = client_for(warehouse_user)
    assembled = client.post(
        reverse("logistics:assembly_create"),
        {
            "kit": "PANIER",
            "quantity": "3",
            "warehouse": str(warehouse.pk),
            "location": "A-01",
            "kit_lot_number": "KIT-1",
            "post": "1",
        },
    )
    assert assembled.status_code == 302
    platform = hierarchy["platform"]
    ship(kit, "2", to=platform, warehouse=warehouse, order="CMD-2")

    response = client.get(reverse("logistics:lot_detail", args=[shipped_lot.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(
        r'<tr class="(via-kit)?" data-customer="([^"]*)"(?: data-via-lot="([^"]*)")?', html
    )
    assert rows == [("via-kit", "PF", "KIT-1"), ("", "MAG", "")]
    trace = response.context["trace"]
    assert [(r.customer.code, r.quantity, r.via_lot) for r in trace.downstream] == [
        ("PF", D("2.000"), Lot.objects.get(number="KIT-1")),
        ("MAG", D("6.000"), None),
    ]
    assert trace.on_hand == D("8.000")  # 20 received, 6 shipped, 6 into the kits
    upstream = response.context["upstream"][0]
    assert upstream.document.label == Receipt.objects.get().number
    assert upstream.document.url == reverse(
        "logistics:receipt_detail", args=[Receipt.objects.get().pk]
    )
    assert 'data-stat="customers">2<' in html


def test_blocking_from_the_lot_card_asks_for_confirmation_then_blocks(
    warehouse_user, client_for, shipped_lot
):
    client = client_for(warehouse_user)
    url = reverse("logistics:lot_status", args=[shipped_lot.pk, "block"])

    card = client.get(reverse("logistics:lot_detail", args=[shipped_lot.pk])).content.decode()
    confirm = client.get(url)
    shipped_lot.refresh_from_db()
    assert url in card
    assert confirm.status_code == 200
    assert shipped_lot.status == LotStatus.AVAILABLE  # a GET changes nothing

    response = client.post(url)

    shipped_lot.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("logistics:lot_detail", args=[shipped_lot.pk])
    assert shipped_lot.status == LotStatus.BLOCKED
    after = client.get(response["Location"]).content.decode()
    assert 'data-status="blocked"' in after
    assert reverse("logistics:lot_status", args=[shipped_lot.pk, "release"]) in after
    assert url not in after


def test_an_action_that_does_not_apply_to_the_lot_status_changes_nothing(
    warehouse_user, client_for, shipped_lot
):
    shipped_lot.status = LotStatus.RECALLED
    shipped_lot.save()

    response = client_for(warehouse_user).post(
        reverse("logistics:lot_status", args=[shipped_lot.pk, "release"])
    )

    shipped_lot.refresh_from_db()
    assert response.status_code == 302
    assert shipped_lot.status == LotStatus.RECALLED


# ---------------------------------------------------------------- recalls


def test_lot_recall_list_downloads_as_csv_with_the_customers_and_contacts(
    warehouse_user, client_for, shipped_lot
):
    response = client_for(warehouse_user).get(
        reverse("logistics:lot_recall_csv", args=[shipped_lot.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="recall-yaourt-y-1.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    shipped_on = StockMove.objects.get(reason="shipment").created_at.date().isoformat()
    assert rows[0][:8] == [
        "lot",
        "article",
        "via_kit_lot",
        "customer_code",
        "customer_name",
        "kind",
        "gln",
        "quantity",
    ]
    assert len(rows) == 2
    assert rows[1][:3] == ["Y-1", "YAOURT", ""]
    assert rows[1][3:6] == ["MAG", "Magasin Test", "store"]
    assert rows[1][7:10] == ["6", shipped_on, shipped_on]
    assert rows[1][11:] == ["Claire Martin", "claire@magasin.test", "05 61 00 00 00"]


def test_recall_of_a_supplier_over_a_date_range_recalls_its_lots_and_lists_customers(
    warehouse_user, client_for, shipped_lot, receive, yogurt, supplier
):
    receive(
        yogurt,
        "5",
        lot="Y-OLD",
        expiry=date.today() + timedelta(days=5),
        supplier=supplier,
        on=date(2025, 1, 10),
    )
    other = receive(yogurt, "5", lot="Y-OTHER", expiry=date.today() + timedelta(days=9))
    del other
    client = client_for(warehouse_user)

    response = client.post(
        reverse("logistics:recall_create"),
        {
            "reference": "RAP-2026-01",
            "reason": "Listeria monocytogenes",
            "supplier": str(supplier.pk),
            "received_from": "2026-01-01",
            "received_to": "2026-12-31",
            "lot_numbers": "",
            "article": "",
        },
    )

    recall = Recall.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("logistics:recall_detail", args=[recall.pk])
    assert list(recall.lots.values_list("number", flat=True)) == ["Y-1"]
    assert dict(Lot.objects.values_list("number", "status")) == {
        "Y-1": "recalled",
        "Y-OLD": "available",
        "Y-OTHER": "available",
    }
    page = client.get(response["Location"])
    assert [
        (row.row.customer.code, row.row.quantity, row.contact.email) for row in page.context["rows"]
    ] == [("MAG", D("6.000"), "claire@magasin.test")]
    download = client.get(reverse("logistics:recall_csv", args=[recall.pk]))
    assert download["Content-Disposition"] == 'attachment; filename="rap-2026-01.csv"'
    assert "Y-1;YAOURT;;MAG;Magasin Test" in download.content.decode()


def test_recall_form_refuses_an_unknown_lot_and_recalls_nothing(
    warehouse_user, client_for, shipped_lot
):
    response = client_for(warehouse_user).post(
        reverse("logistics:recall_create"),
        {
            "reference": "RAP-3",
            "reason": "Corps étranger",
            "lot_numbers": "Y-1\nNOPE",
            "article": "",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["lot_numbers"] == [fr("No lot %(lot)s.", lot="NOPE")]
    assert not Recall.objects.exists()
    shipped_lot.refresh_from_db()
    assert shipped_lot.status == LotStatus.AVAILABLE


# ---------------------------------------------------------------- counts


def test_count_entry_submit_and_approve_posts_the_variance(
    warehouse_user, client_for, receive, warehouse, bins
):
    sugar = factories.ArticleFactory(code="SUCRE")
    salt = factories.ArticleFactory(code="SEL")
    receive(sugar, "20", location="A-01")
    receive(salt, "7", location="A-02")
    receive(salt, "3", location="B-01")  # outside the cycle count
    client = client_for(warehouse_user)

    opened = client.post(
        reverse("logistics:count_open"),
        {
            "warehouse": str(warehouse.pk),
            "kind": "cycle",
            "location_prefix": "A-",
            "article_codes": "",
        },
    )
    count = InventoryCount.objects.get()
    assert opened["Location"] == reverse("logistics:count_detail", args=[count.pk])
    lines = {line.article.code: line for line in count.lines.select_related("article")}
    assert {code: line.expected for code, line in lines.items()} == {
        "SUCRE": D("20.000"),
        "SEL": D("7.000"),
    }

    grid = client.get(opened["Location"])
    assert [row.line.article.code for row in grid.context["rows"]] == ["SUCRE", "SEL"]
    # Tab goes from one counted quantity to the next: no link in between.
    rows_html = re.findall(r'<tr class="count-row.*?</tr>', grid.content.decode(), re.S)
    assert len(rows_html) == 2
    assert all("<a " not in row and 'class="count-input"' in row for row in rows_html)
    entry = {
        f"line-{lines['SUCRE'].pk}": "18",
        f"line-{lines['SEL'].pk}": "7",
        "submit": "1",
    }
    submitted = client.post(opened["Location"], entry)
    count.refresh_from_db()
    assert submitted.status_code == 302
    assert count.status == "submitted"
    assert dict(count.lines.values_list("article__code", "counted")) == {
        "SUCRE": D("18.000"),
        "SEL": D("7.000"),
    }
    page = client.get(opened["Location"]).content.decode()
    assert re.search(
        rf'class="count-row has-variance is-short" data-line="{lines["SUCRE"].pk}"', page
    )
    assert f'class="count-row" data-line="{lines["SEL"].pk}"' in page

    approved = client.post(reverse("logistics:count_approve", args=[count.pk]))

    count.refresh_from_db()
    assert approved.status_code == 302
    assert (count.status, count.approved_by) == ("approved", warehouse_user)
    assert on_hand(sugar, bins["A-01"]) == D("18")
    assert on_hand(salt) == D("10")
    move = StockMove.objects.get(reason="count")
    assert (move.article, move.quantity, move.from_location) == (sugar, D("2.000"), bins["A-01"])


def test_stock_found_outside_the_count_is_added_and_posted_on_approval(
    warehouse_user, client_for, receive, warehouse, bins
):
    sugar = factories.ArticleFactory(code="SUCRE")
    salt = factories.ArticleFactory(code="SEL")
    receive(sugar, "20", location="A-01")
    receive(salt, "4", location="B-01")
    count = count_open(InventoryCount(warehouse=warehouse, kind="cycle", location_prefix="A-"))
    client = client_for(warehouse_user)
    url = reverse("logistics:count_detail", args=[count.pk])

    unknown = client.post(
        url,
        {"found-article": "SEL", "found-location": "Z-9", "found-counted": "3", "add_line": "1"},
    )
    added = client.post(
        url,
        {"found-article": "SEL", "found-location": "A-02", "found-counted": "3", "add_line": "1"},
    )

    assert unknown.status_code == 200
    assert "location" in unknown.context["found_form"].errors
    assert added.status_code == 302
    found = count.lines.get(article=salt)
    assert (found.location, found.expected, found.counted) == (bins["A-02"], D("0.000"), D("3.000"))
    sugar_line = count.lines.get(article=sugar)
    client.post(url, {f"line-{sugar_line.pk}": "20", "submit": "1"})
    client.post(reverse("logistics:count_approve", args=[count.pk]))
    assert on_hand(salt, bins["A-02"]) == D("3")
    assert on_hand(salt, bins["B-01"]) == D("4")
    assert on_hand(sugar) == D("20")


def test_count_entries_refuse_a_negative_quantity_and_need_the_entry_right(
    warehouse_user, purchasing_user, client_for, receive, warehouse
):
    sugar = factories.ArticleFactory(code="SUCRE")
    receive(sugar, "20")
    count = count_open(InventoryCount(warehouse=warehouse, kind="full"))
    line = count.lines.get()
    url = reverse("logistics:count_detail", args=[count.pk])

    refused = client_for(warehouse_user).post(url, {f"line-{line.pk}": "-1"})
    forbidden = client_for(purchasing_user).post(url, {f"line-{line.pk}": "5"})

    line.refresh_from_db()
    assert refused.status_code == 200
    assert refused.context["entry_form"].errors
    assert forbidden.status_code == 403
    assert line.counted is None


def test_submitting_with_lines_left_to_count_is_refused(
    warehouse_user, client_for, receive, warehouse
):
    receive(factories.ArticleFactory(code="SUCRE"), "20")
    count = count_open(InventoryCount(warehouse=warehouse, kind="full"))

    response = client_for(warehouse_user).post(reverse("logistics:count_submit", args=[count.pk]))

    count.refresh_from_db()
    assert response.status_code == 302
    assert count.status == "counting"
    assert CountLine.objects.filter(counted__isnull=False).count() == 0


# ---------------------------------------------------------------- transfers, adjustments


def test_transfer_created_shipped_and_received_through_the_screens(
    warehouse_user, client_for, receive, yogurt, warehouse, bins
):
    other = Warehouse.objects.create(code="BDX", name="Entrepôt Bordeaux")
    destination = Location.objects.create(warehouse=other, code="A-01")
    receive(yogurt, "10", lot="Y-9", expiry=date.today() + timedelta(days=20))
    client = client_for(warehouse_user)

    created = client.post(
        reverse("logistics:transfer_create"),
        {
            "from_warehouse": str(warehouse.pk),
            "to_warehouse": str(other.pk),
            **line_data(
                "lines",
                [
                    {
                        "article": "YAOURT",
                        "lot_number": "Y-9",
                        "from_location": "A-01",
                        "to_location": "A-01",
                        "quantity": "4",
                    }
                ],
            ),
            "post": "1",
        },
    )
    transfer = Transfer.objects.get()
    assert created.status_code == 302
    assert transfer.status == "in_transit"
    assert on_hand(yogurt, bins["A-01"]) == D("6")

    received = client.post(reverse("logistics:transfer_receive", args=[transfer.pk]))

    transfer.refresh_from_db()
    assert received.status_code == 302
    assert transfer.status == "received"
    assert on_hand(yogurt, destination) == D("4")


def test_transfer_to_the_same_warehouse_is_refused_by_the_form(
    warehouse_user, client_for, warehouse
):
    response = client_for(warehouse_user).post(
        reverse("logistics:transfer_create"),
        {
            "from_warehouse": str(warehouse.pk),
            "to_warehouse": str(warehouse.pk),
            **line_data(
                "lines", [{"article": "", "from_location": "", "to_location": "", "quantity": ""}]
            ),
        },
    )

    assert response.status_code == 200
    assert "to_warehouse" in response.context["form"].errors
    assert not Transfer.objects.exists()


def test_adjustment_posts_a_signed_move_with_its_note_and_refuses_too_much(
    warehouse_user, client_for, receive, warehouse, bins
):
    rice = factories.ArticleFactory(code="RIZ")
    receive(rice, "5", location="A-02")
    client = client_for(warehouse_user)
    url = reverse("logistics:adjustment_create")
    base = {
        "warehouse": str(warehouse.pk),
        "location": "A-02",
        "article": "RIZ",
        "lot_number": "",
        "serial_number": "",
        "reason": "adjustment",
        "note": "Casse",
    }

    too_much = client.post(url, {**base, "quantity": "-6"})
    assert too_much.status_code == 200
    assert too_much.context["form"].non_field_errors()
    assert on_hand(rice) == D("5")

    response = client.post(url, {**base, "quantity": "-2"})

    assert response.status_code == 302
    assert response["Location"] == reverse("logistics:move_list") + "?article=RIZ&reason=adjustment"
    move = StockMove.objects.get(reason="adjustment")
    assert (move.quantity, move.from_location, move.note, move.created_by) == (
        D("2.000"),
        bins["A-02"],
        "Casse",
        warehouse_user,
    )
    assert on_hand(rice) == D("3")
    journal = client.get(response["Location"])
    assert [m.pk for m, _document in journal.context["rows"]] == [move.pk]


# ---------------------------------------------------------------- stock lists, reports


def test_stock_by_article_counts_blocked_lots_out_of_available(
    warehouse_user, client_for, receive, yogurt, warehouse
):
    receive(yogurt, "10", lot="A", expiry=date.today() + timedelta(days=20))
    receive(yogurt, "4", lot="B", expiry=date.today() + timedelta(days=25), location="QUAI")
    blocked = receive(yogurt, "3", lot="C", expiry=date.today() + timedelta(days=30))
    del blocked
    Lot.objects.filter(number="C").update(status=LotStatus.BLOCKED)

    response = client_for(warehouse_user).get(reverse("logistics:stock_by_article") + "?q=yaourt")

    [row] = response.context["rows"]
    assert (
        row["on_hand_total"],
        row["reserved_total"],
        row["blocked_total"],
        row["promisable"],
    ) == (D("17.000"), D("0.000"), D("3.000"), D("10.000"))


def test_valuation_report_totals_the_stock_value_at_the_date(make_user, client_for, receive, bins):
    rice = factories.ArticleFactory(code="RIZ")
    oil = factories.ArticleFactory(code="HUILE")
    receive(rice, "100", cost="2.0000")
    receive(rice, "50", cost="3.5000")
    receive(oil, "10", cost="4.2500")
    client = client_for(make_user(roles.ACCOUNTING))

    response = client.get(reverse("logistics:valuation"))
    past = client.get(reverse("logistics:valuation") + "?on_date=2000-01-01")

    assert response.status_code == 200
    assert [
        (r.article.code, r.quantity, r.unit_cost, r.value) for r in response.context["rows"]
    ] == [
        ("HUILE", D("10.000"), D("4.2500"), D("42.50")),
        ("RIZ", D("150.000"), D("2.5000"), D("375.00")),
    ]
    assert response.context["total_value"] == D("417.50")
    assert "data-total>417,50<" in response.content.decode()
    assert past.context["total_value"] == 0
    assert list(past.context["rows"]) == []
