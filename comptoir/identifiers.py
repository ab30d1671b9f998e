"""Validation of the trade's identifiers with python-stdnum, as Django validators.

Each validator normalises nothing: it refuses a bad value with a message that says
what is wrong (length, check digit, format). Use ``compact_*`` to normalise input
before storing it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import ean, luhn
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren, siret


def _reason(exc: StdnumError) -> str:
    if isinstance(exc, InvalidChecksum):
        return str(_("wrong check digit"))
    if isinstance(exc, InvalidLength):
        return str(_("wrong length"))
    if isinstance(exc, InvalidFormat):
        return str(_("wrong format"))
    if isinstance(exc, InvalidComponent):
        return str(_("unknown country or component"))
    return str(_("invalid"))


def compact_digits(value: str) -> str:
    return "".join(value.split()).replace("-", "").replace(".", "")


def validate_gtin(value: str) -> None:
    """GTIN-8, -12, -13 or -14 with a valid GS1 check digit."""
    number = compact_digits(value)
    if len(number) not in (8, 12, 13, 14) or not number.isdigit():
        raise ValidationError(
            _("GTIN %(value)s is not valid: a GTIN has 8, 12, 13 or 14 digits."),
            code="invalid_gtin",
            params={"value": value},
        )
    try:
        ean.validate(number)
    except StdnumError as exc:
        raise ValidationError(
            _("GTIN %(value)s is not valid: %(reason)s."),
            code="invalid_gtin",
            params={"value": value, "reason": _reason(exc)},
        ) from exc


def validate_gln(value: str) -> None:
    """A GLN is 13 digits with a GS1 check digit."""
    number = compact_digits(value)
    if len(number) != 13 or not number.isdigit():
        raise ValidationError(
            _("GLN %(value)s is not valid: a GLN has 13 digits."),
            code="invalid_gln",
            params={"value": value},
        )
    try:
        ean.validate(number)
    except StdnumError as exc:
        raise ValidationError(
            _("GLN %(value)s is not valid: %(reason)s."),
            code="invalid_gln",
            params={"value": value, "reason": _reason(exc)},
        ) from exc


def validate_siren(value: str) -> None:
    try:
        siren.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("SIREN %(value)s is not valid: %(reason)s."),
            code="invalid_siren",
            params={"value": value, "reason": _reason(exc)},
        ) from exc


def validate_siret(value: str) -> None:
    try:
        siret.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("SIRET %(value)s is not valid: %(reason)s."),
            code="invalid_siret",
            params={"value": value, "reason": _reason(exc)},
        ) from exc


def validate_vat_number(value: str) -> None:
    """An intra-EU VAT number (FR12345678901, DE123456789, ...)."""
    try:
        eu_vat.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            _("VAT number %(value)s is not valid: %(reason)s."),
            code="invalid_vat",
            params={"value": value, "reason": _reason(exc)},
        ) from exc


def validate_sscc(value: str) -> None:
    number = compact_digits(value)
    if len(number) != 18 or not number.isdigit():
        raise ValidationError(
            _("SSCC %(value)s is not valid: an SSCC has 18 digits."), code="invalid_sscc",
            params={"value": value},
        )
    # stdnum's ean module stops at 14 digits; the GS1 check digit is the same mod-10.
    if ean.calc_check_digit(number[:-1]) != number[-1]:
        raise ValidationError(
            _("SSCC %(value)s is not valid: %(reason)s."),
            code="invalid_sscc",
            params={"value": value, "reason": _("wrong check digit")},
        )


def gs1_with_check_digit(body: str) -> str:
    """Append the GS1 check digit to ``body`` (used to build GLNs, GTINs and SSCCs)."""
    return body + ean.calc_check_digit(body)


def siren_with_check_digit(body: str) -> str:
    """Append the Luhn check digit to an 8-digit SIREN body."""
    return body + luhn.calc_check_digit(body)


def fr_vat_from_siren(number: str) -> str:
    """The French intra-EU VAT number of a SIREN: FR + key + SIREN."""
    key = (12 + 3 * (int(number) % 97)) % 97
    return f"FR{key:02d}{number}"


def gtin_lookup_forms(value: str) -> list[str]:
    """The stored forms a scanned or keyed GTIN may match (GTIN-13 vs zero-padded GTIN-14)."""
    number = compact_digits(value)
    forms = {number, number.zfill(14)}
    stripped = number.lstrip("0")
    for length in (8, 12, 13):
        if len(stripped) <= length:
            forms.add(stripped.zfill(length))
    return sorted(forms)
