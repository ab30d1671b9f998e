"""Writing trading partners and their message-type agreements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from comptoir.exceptions import ValidationFailed
from edi.eancom import (
    CONTRL_D3,
    DESADV_D96A,
    INVOIC_D96A,
    ORDERS_D96A,
    ORDRSP_D96A,
    MessageIdentifier,
)
from trade.models import Company

from ..models import (
    InterchangeSequence,
    MessageType,
    PartnerMessageType,
    TradingPartner,
)

DEFAULT_IDENTIFIERS: dict[str, MessageIdentifier] = {
    MessageType.ORDERS: ORDERS_D96A,
    MessageType.ORDRSP: ORDRSP_D96A,
    MessageType.DESADV: DESADV_D96A,
    MessageType.INVOIC: INVOIC_D96A,
    MessageType.CONTRL: CONTRL_D3,
}


@dataclass(frozen=True)
class MessageTypeAgreement:
    """One message type agreed with a partner, as the forms and the API give it."""

    direction: str
    message_type: str
    version: str = "D"
    release: str = "96A"
    association_code: str = ""
    is_enabled: bool = True
    id: int | None = None


def agreement_identifier(agreement: PartnerMessageType) -> MessageIdentifier:
    """The UNH S009 we write for an agreed message type."""
    if agreement.message_type == MessageType.CONTRL:
        return CONTRL_D3
    return MessageIdentifier(
        agreement.message_type,
        agreement.version,
        agreement.release,
        "UN",
        agreement.association_code,
    )


def _validation_failed(exc: ValidationError, prefix: str = "") -> ValidationFailed:
    return ValidationFailed(
        {
            f"{prefix}{field}": [str(message) for message in messages]
            for field, messages in exc.message_dict.items()
        }
    )


@transaction.atomic
def trading_partner_save(
    partner: TradingPartner, *, message_types: Sequence[MessageTypeAgreement] | None = None
) -> TradingPartner:
    """Create or update a partner and, when given, make its agreements exactly these.

    Single-row rules come from the models' ``clean`` (one party, GLN check digit,
    transport settings); here: our id defaults to our company's GLN, the API user
    holds no role (its token must open nothing but the inbound endpoint), and a
    message type is agreed once per direction. Nothing is written when a rule fails.
    """
    if not partner.our_id:
        company = Company.objects.filter(pk=1).only("gln").first()
        if company is not None and company.gln:
            partner.our_id = company.gln
    errors: dict[str, list[str]] = {}
    try:
        partner.full_clean()
    except ValidationError as exc:
        errors.update(_validation_failed(exc).errors)
    if not partner.our_id:
        errors.setdefault("our_id", []).append(
            _("Give our id towards this partner (our company has no GLN to default to).")
        )
    user = partner.api_user
    if user is not None and (user.is_staff or user.is_superuser or user.groups.exists()):
        errors.setdefault("api_user", []).append(
            _("A partner's API user must hold no role and no staff rights.")
        )
    rows: list[PartnerMessageType] = []
    if message_types is not None:
        existing = (
            {row.pk: row for row in partner.message_types.all()} if partner.pk is not None else {}
        )
        seen: set[tuple[str, str]] = set()
        for index, item in enumerate(message_types):
            key = (item.direction, item.message_type)
            if key in seen:
                errors.setdefault(f"message_types[{index}]", []).append(
                    _("%(type)s is listed twice in the same direction.")
                    % {"type": item.message_type}
                )
            seen.add(key)
            if item.id is not None and item.id not in existing:
                errors.setdefault(f"message_types[{index}]", []).append(
                    _("This message type does not belong to this partner.")
                )
                continue
            row = existing.get(item.id) if item.id is not None else None
            row = row or PartnerMessageType()
            row.direction = item.direction
            row.message_type = item.message_type
            row.version = item.version or "D"
            row.release = item.release or "96A"
            default = DEFAULT_IDENTIFIERS.get(item.message_type)
            row.association_code = item.association_code or (
                default.association_code if default else ""
            )
            row.is_enabled = item.is_enabled
            try:
                row.full_clean(exclude=["partner"], validate_unique=False)
            except ValidationError as exc:
                errors.update(_validation_failed(exc, f"message_types[{index}].").errors)
            rows.append(row)
    if errors:
        raise ValidationFailed(errors)
    partner.save()
    InterchangeSequence.objects.get_or_create(partner=partner)
    if message_types is not None:
        kept = [row.pk for row in rows if row.pk is not None]
        partner.message_types.exclude(pk__in=kept).delete()
        for row in rows:
            row.partner = partner
            row.save()
    return partner
