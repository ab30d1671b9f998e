"""Receipts, transfers, counts and kit assemblies: documents whose posting writes moves.

Each posting service locks its document row, re-checks the status (so posting twice
moves stock once), gives the number at the transition and posts all moves through
``moves_post`` in one transaction.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.exceptions import InvalidTransition, ValidationFailed
from comptoir.numbering import number_next
from trade.models import Article, KitKind, TrackingMode

from ..models import (
    ArticleCost,
    AssemblyKind,
    AssemblyOrder,
    CountLine,
    CountStatus,
    DocumentStatus,
    ExpiryKind,
    InventoryCount,
    Location,
    LocationKind,
    Lot,
    MoveReason,
    Receipt,
    SerialNumber,
    SerialStatus,
    StockBalance,
    Transfer,
    TransferStatus,
)
from ..selectors import balance_read
from .ledger import MoveSpec, moves_post
from .reservations import fefo_take

DATED = {TrackingMode.LOT_DLC: ExpiryKind.DLC, TrackingMode.LOT_DDM: ExpiryKind.DDM}
LOT_TRACKED = {TrackingMode.LOT, TrackingMode.LOT_DLC, TrackingMode.LOT_DDM}


def lot_get_or_create(
    *, article: Article, number: str, expiry_date=None, production_date=None, supplier=None, received_on=None,  # noqa: ANN001
) -> Lot:
    """The lot of that number, created on first receipt. A second receipt of the same
    lot must agree on its expiry date."""
    expiry_kind = DATED.get(TrackingMode(article.tracking_mode), "")
    lot, created = Lot.objects.get_or_create(
        article=article, number=number,
        defaults={"expiry_date": expiry_date if expiry_kind else None, "expiry_kind": expiry_kind,
                  "production_date": production_date, "supplier": supplier, "received_on": received_on},
    )
    if not created and expiry_kind and expiry_date and lot.expiry_date != expiry_date:
        raise ValidationFailed({"expiry_date": [
            _("Lot %(lot)s of %(article)s already has the expiry date %(date)s.")
            % {"lot": number, "article": article.code, "date": lot.expiry_date}
        ]})
    return lot


@transaction.atomic
def receipt_post(receipt: Receipt, *, user=None) -> Receipt:  # noqa: ANN001
    """Post a draft receipt: create its lots and serials, move the goods in at their
    unit cost (updating the weighted average cost). Refuses a line without the lot,
    date or serials its article's tracking needs, or with a serial already in stock; nothing is written when any line fails. Posting twice is refused."""
    locked = Receipt.objects.select_for_update().get(pk=receipt.pk)
    if locked.status != DocumentStatus.DRAFT:
        raise InvalidTransition(_("Receipt %(number)s is already posted.") % {"number": locked.number})
    lines = list(locked.lines.select_related("article", "location"))
    if not lines:
        raise ValidationFailed({"lines": [_("A receipt needs at least one line.")]})
    errors: list[str] = []
    specs: list[MoveSpec] = []
    for position, line in enumerate(lines, start=1):
        article = line.article
        mode = TrackingMode(article.tracking_mode)
        prefix = _("Line %(n)s (%(article)s)") % {"n": position, "article": article.code}
        if line.location.warehouse_id != locked.warehouse_id:
            errors.append(_("%(line)s: the location is not in the receipt's warehouse.") % {"line": prefix})
            continue
        if article.kit_kind == KitKind.COMPONENTS:
            errors.append(_("%(line)s: a kit stocked as components is received as its components.") % {"line": prefix})
            continue
        lot = None
        if mode in LOT_TRACKED:
            if not line.lot_number:
                errors.append(_("%(line)s: the lot number is missing.") % {"line": prefix})
                continue
            if mode in DATED and not line.expiry_date:
                errors.append(_("%(line)s: the DLC/DDM date is missing.") % {"line": prefix})
                continue
            try:
                lot = lot_get_or_create(article=article, number=line.lot_number, expiry_date=line.expiry_date,
                                        production_date=line.production_date, supplier=locked.supplier,
                                        received_on=locked.received_on)
            except ValidationFailed as exc:
                errors.extend(f"{prefix}: {m}" for m in exc.errors["expiry_date"])
                continue
        if mode == TrackingMode.SERIAL:
            serials = [s.strip() for s in line.serial_numbers.splitlines() if s.strip()]
            if line.quantity != len(serials) or len(set(serials)) != len(serials):
                errors.append(_("%(line)s: give exactly %(qty)s distinct serial numbers.")
                              % {"line": prefix, "qty": line.quantity.normalize()})
                continue
            existing = set(SerialNumber.objects.filter(
                article=article, number__in=serials, status__in=[SerialStatus.IN_STOCK, SerialStatus.RESERVED]
            ).values_list("number", flat=True))
            if existing:
                errors.append(_("%(line)s: serials already in stock: %(serials)s.")
                              % {"line": prefix, "serials": ", ".join(sorted(existing))})
                continue
            for number in serials:
                serial, _created = SerialNumber.objects.update_or_create(
                    article=article, number=number,
                    defaults={"location": line.location, "status": SerialStatus.IN_STOCK},
                )
                specs.append(MoveSpec(article=article, quantity=Decimal(1), reason=MoveReason.RECEIPT,
                                      to_location=line.location, serial=serial, unit_cost=line.unit_cost,
                                      document_type="receipt", document_id=str(locked.pk),
                                      document_line=str(line.pk), supplier=locked.supplier))
            continue
        specs.append(MoveSpec(article=article, quantity=line.quantity, reason=MoveReason.RECEIPT,
                              to_location=line.location, lot=lot, unit_cost=line.unit_cost,
                              document_type="receipt", document_id=str(locked.pk), document_line=str(line.pk),
                              supplier=locked.supplier))
    if errors:
        raise ValidationFailed({"lines": errors})
    locked.number = number_next(prefix="REC", on_date=locked.received_on)
    moves_post(specs, user=user)
    locked.status = DocumentStatus.POSTED
    locked.posted_at = timezone.now()
    locked.save(update_fields=["number", "status", "posted_at"])
    return locked


def _transit_location(warehouse_id: int) -> Location:
    location, _created = Location.objects.get_or_create(
        warehouse_id=warehouse_id, code="TRANSIT", defaults={"kind": LocationKind.TRANSIT}
    )
    return location


@transaction.atomic
def transfer_ship(transfer: Transfer, *, user=None) -> Transfer:  # noqa: ANN001
    """draft → in transit: the goods leave their locations for the destination
    warehouse's transit location."""
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if locked.status != TransferStatus.DRAFT:
        raise InvalidTransition(_("This transfer has already left."))
    lines = list(locked.lines.select_related("article", "from_location", "to_location", "lot"))
    if not lines:
        raise ValidationFailed({"lines": [_("A transfer needs at least one line.")]})
    for line in lines:
        if line.from_location.warehouse_id != locked.from_warehouse_id or \
                line.to_location.warehouse_id != locked.to_warehouse_id:
            raise ValidationFailed({"lines": [_("%(article)s: locations must belong to the two warehouses.")
                                              % {"article": line.article.code}]})
    transit = _transit_location(locked.to_warehouse_id)
    locked.number = number_next(prefix="TRF", on_date=timezone.localdate())
    moves_post([
        MoveSpec(article=line.article, quantity=line.quantity, reason=MoveReason.TRANSFER,
                 from_location=line.from_location, to_location=transit, lot=line.lot,
                 document_type="transfer", document_id=str(locked.pk), document_line=str(line.pk))
        for line in lines
    ], user=user)
    locked.status = TransferStatus.IN_TRANSIT
    locked.shipped_at = timezone.now()
    locked.save(update_fields=["number", "status", "shipped_at"])
    return locked


@transaction.atomic
def transfer_receive(transfer: Transfer, *, user=None) -> Transfer:  # noqa: ANN001
    """in transit → received: from the transit location to the destination locations."""
    locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if locked.status != TransferStatus.IN_TRANSIT:
        raise InvalidTransition(_("Only a transfer in transit can be received."))
    transit = _transit_location(locked.to_warehouse_id)
    moves_post([
        MoveSpec(article=line.article, quantity=line.quantity, reason=MoveReason.TRANSFER,
                 from_location=transit, to_location=line.to_location, lot=line.lot,
                 document_type="transfer", document_id=str(locked.pk), document_line=str(line.pk))
        for line in locked.lines.select_related("article", "to_location", "lot")
    ], user=user)
    locked.status = TransferStatus.RECEIVED
    locked.received_at = timezone.now()
    locked.save(update_fields=["status", "received_at"])
    return locked


@transaction.atomic
def count_open(count: InventoryCount, *, user=None) -> InventoryCount:  # noqa: ANN001
    """Freeze the expected quantities of the counted balances (by location prefix and/or
    articles; a full count takes every storage balance of the warehouse)."""
    count.number = number_next(prefix="INV", on_date=timezone.localdate())
    count.created_by = user if getattr(user, "is_authenticated", False) else None
    count.save()
    balances = StockBalance.objects.filter(location__warehouse_id=count.warehouse_id).exclude(
        location__kind=LocationKind.TRANSIT)
    if count.kind == "cycle":
        if count.location_prefix:
            balances = balances.filter(location__code__startswith=count.location_prefix)
        article_ids = list(count.articles.values_list("pk", flat=True))
        if article_ids:
            balances = balances.filter(article_id__in=article_ids)
        if not count.location_prefix and not article_ids:
            raise ValidationFailed({"location_prefix": [_("A cycle count needs locations or articles.")]})
    CountLine.objects.bulk_create([
        CountLine(count=count, article_id=b.article_id, location_id=b.location_id, lot_id=b.lot_id, expected=b.on_hand)
        for b in balances.filter(Q(on_hand__gt=0) | Q(reserved__gt=0))
    ])
    return count


@transaction.atomic
def count_entries_record(count: InventoryCount, *, counted: dict[int, Decimal | None]) -> int:
    """Record counted quantities (line id → quantity, None to clear) while the count is
    in progress. Locks the count row, as submit and approve do, so an entry never
    lands after the count was submitted. Returns the number of lines written."""
    locked = InventoryCount.objects.select_for_update().get(pk=count.pk)
    if locked.status != CountStatus.COUNTING:
        raise InvalidTransition(_("Only a count in progress takes counted quantities."))
    lines = list(CountLine.objects.filter(count=locked, pk__in=counted).order_by("pk"))
    for line in lines:
        line.counted = counted[line.pk]
    CountLine.objects.bulk_update(lines, ["counted"])
    return len(lines)


@transaction.atomic
def count_line_found(
    count: InventoryCount,
    *,
    article: Article,
    location: Location,
    lot: Lot | None,
    counted: Decimal,
) -> CountLine:
    """Record stock found on a key the count did not freeze. Its expected quantity is
    the balance's on hand now (zero where there was none), so that approval posts only
    what the count found beyond the books. A key already in the count takes the new
    counted quantity."""
    locked = InventoryCount.objects.select_for_update().get(pk=count.pk)
    if locked.status != CountStatus.COUNTING:
        raise InvalidTransition(_("Only a count in progress takes counted quantities."))
    mode = TrackingMode(article.tracking_mode)
    if mode in LOT_TRACKED and (lot is None or lot.article_id != article.pk):
        raise ValidationFailed({"lot": [_("%(code)s is tracked by lot: say which one.") % {"code": article.code}]})
    if mode not in LOT_TRACKED and lot is not None:
        raise ValidationFailed({"lot": [_("%(code)s is not tracked by lot.") % {"code": article.code}]})
    if mode == TrackingMode.SERIAL:
        raise ValidationFailed({"article": [_("Serial-numbered units found are received or adjusted one by one.")]})
    if location.warehouse_id != locked.warehouse_id:
        raise ValidationFailed({"location": [_("The location is not in the count's warehouse.")]})
    balance = balance_read(
        article_id=article.pk, location_id=location.pk, lot_id=lot.pk if lot else None
    )
    line, _created = CountLine.objects.update_or_create(
        count=locked,
        article=article,
        location=location,
        lot=lot,
        defaults={"counted": counted},
        create_defaults={
            "counted": counted,
            "expected": balance.on_hand if balance else Decimal(0),
        },
    )
    return line


@transaction.atomic
def count_submit(count: InventoryCount) -> InventoryCount:
    locked = InventoryCount.objects.select_for_update().get(pk=count.pk)
    if locked.status != CountStatus.COUNTING:
        raise InvalidTransition(_("Only a count in progress can be submitted."))
    missing = locked.lines.filter(counted__isnull=True).count()
    if missing:
        raise ValidationFailed({"lines": [_("%(n)s lines are not counted yet.") % {"n": missing}]})
    locked.status = CountStatus.SUBMITTED
    locked.save(update_fields=["status"])
    return locked


@transaction.atomic
def count_approve(count: InventoryCount, *, user=None) -> InventoryCount:  # noqa: ANN001
    """submitted → approved: post each variance (counted − expected) as a count move.
    Stock that moved since the count opened is respected: the move brings the balance
    to ``on hand + variance``, never to the counted figure blindly."""
    locked = InventoryCount.objects.select_for_update().get(pk=count.pk)
    if locked.status != CountStatus.SUBMITTED:
        raise InvalidTransition(_("Only a submitted count can be approved."))
    specs = []
    for line in locked.lines.select_related("article", "location", "lot"):
        variance = line.variance or Decimal(0)
        if variance == 0:
            continue
        specs.append(MoveSpec(
            article=line.article, quantity=abs(variance), reason=MoveReason.COUNT, lot=line.lot,
            from_location=line.location if variance < 0 else None, to_location=line.location if variance > 0 else None,
            document_type="count", document_id=str(locked.pk), document_line=str(line.pk),
        ))
    if specs:
        moves_post(specs, user=user)
    locked.status = CountStatus.APPROVED
    locked.approved_by = user if getattr(user, "is_authenticated", False) else None
    locked.approved_at = timezone.now()
    locked.save(update_fields=["status", "approved_by", "approved_at"])
    return locked


@transaction.atomic
def assembly_post(order: AssemblyOrder, *, component_lots: dict[int, list[tuple[Lot | None, Decimal]]] | None = None,
                  kit_lot_number: str = "", user=None) -> AssemblyOrder:  # noqa: ANN001
    """Assemble kits (consume components, make kits) or take them apart.

    Components are taken FEFO from the order's location unless ``component_lots``
    says which lots (article id → [(lot, quantity)]). The kits made get the lot
    ``kit_lot_number`` (default: the order number) with the earliest expiry of the
    dated components, and the moves share the order as document, so a trace from a
    component lot reaches the kit lot and from it the customers."""
    locked = AssemblyOrder.objects.select_for_update().get(pk=order.pk)
    if locked.status != DocumentStatus.DRAFT:
        raise InvalidTransition(_("This assembly order is already posted."))
    kit = locked.kit
    if kit.kit_kind != KitKind.ASSEMBLED:
        raise ValidationFailed({"kit": [_("%(code)s is not a kit assembled in advance.") % {"code": kit.code}]})
    components = list(kit.components.select_related("component"))
    if not components:
        raise ValidationFailed({"kit": [_("This kit has no components.")]})
    locked.number = number_next(prefix="ASM", on_date=timezone.localdate())
    document = {"document_type": "assembly", "document_id": str(locked.pk)}
    consume_reason = MoveReason.KIT_ASSEMBLY
    specs: list[MoveSpec] = []
    expiries = []
    if locked.kind == AssemblyKind.ASSEMBLY:
        for component in components:
            needed = component.quantity * locked.quantity
            picks = (component_lots or {}).get(component.component_id) or fefo_take(
                article=component.component, location=locked.location, quantity=needed)
            if sum((q for _lot, q in picks), Decimal(0)) != needed:
                raise ValidationFailed({"lines": [_("%(code)s: %(qty)s needed.")
                                                  % {"code": component.component.code, "qty": f"{needed.normalize():f}"}]})
            for lot, quantity in picks:
                if lot is not None and lot.expiry_date:
                    expiries.append(lot.expiry_date)
                specs.append(MoveSpec(article=component.component, quantity=quantity, reason=consume_reason,
                                      from_location=locked.location, lot=lot, **document))
        kit_lot = None
        if kit.tracking_mode != TrackingMode.NONE:
            kit_lot = lot_get_or_create(article=kit, number=kit_lot_number or locked.number,
                                        expiry_date=min(expiries) if expiries else None,
                                        received_on=timezone.localdate())
            locked.kit_lot = kit_lot
        costs = dict(ArticleCost.objects.filter(article_id__in=[c.component_id for c in components])
                     .values_list("article_id", "unit_cost"))
        kit_cost = sum((c.quantity * costs.get(c.component_id, Decimal(0)) for c in components), Decimal(0))
        specs.append(MoveSpec(article=kit, quantity=locked.quantity, reason=consume_reason,
                              to_location=locked.location, lot=kit_lot, unit_cost=kit_cost, **document))
    else:
        kit_lot = locked.kit_lot
        specs.append(MoveSpec(article=kit, quantity=locked.quantity, reason=MoveReason.KIT_DISASSEMBLY,
                              from_location=locked.location, lot=kit_lot, **document))
        for component in components:
            lots = (component_lots or {}).get(component.component_id)
            if component.component.tracking_mode in (*LOT_TRACKED,) and not lots:
                raise ValidationFailed({"lines": [_("%(code)s: say which lot each component goes back to.")
                                                  % {"code": component.component.code}]})
            average = ArticleCost.objects.filter(article=component.component).values_list("unit_cost", flat=True)
            for lot, quantity in lots or [(None, component.quantity * locked.quantity)]:
                specs.append(MoveSpec(article=component.component, quantity=quantity,
                                      reason=MoveReason.KIT_DISASSEMBLY, to_location=locked.location, lot=lot,
                                      unit_cost=average.first() or Decimal(0), **document))
    moves_post(specs, user=user)
    locked.status = DocumentStatus.POSTED
    locked.save(update_fields=["number", "status", "kit_lot"])
    return locked

