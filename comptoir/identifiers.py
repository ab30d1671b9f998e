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


def _invalid(label: str, code: str, value: str, reason: object) -> ValidationError:
    return ValidationError(
        _("%(label)s %(value)s is not valid: %(reason)s."),
        code=code,
        params={"label": label, "value": value, "reason": reason},
    )


def _validate_gs1(value: str, *, label: str, code: str, lengths: tuple[int, ...], length_text: str) -> None:
    """A GS1 key of one of ``lengths`` digits whose last digit is the mod-10 check digit
    (stdnum's ``ean`` stops at 14 digits, so SSCCs are checked the same way by hand)."""
    number = compact_digits(value)
    if len(number) not in lengths or not number.isdigit():
        raise _invalid(label, code, value, length_text)
    if ean.calc_check_digit(number[:-1]) != number[-1]:
        raise _invalid(label, code, value, _("wrong check digit"))


def _validate_stdnum(module, value: str, *, label: str, code: str) -> None:  # noqa: ANN001
    try:
        module.validate(value)
    except StdnumError as exc:
        raise _invalid(label, code, value, _reason(exc)) from exc


def validate_gtin(value: str) -> None:
    """GTIN-8, -12, -13 or -14 with a valid GS1 check digit."""
    _validate_gs1(value, label="GTIN", code="invalid_gtin", lengths=(8, 12, 13, 14),
                  length_text=_("a GTIN has 8, 12, 13 or 14 digits"))


def validate_gln(value: str) -> None:
    """A GLN is 13 digits with a GS1 check digit."""
    _validate_gs1(value, label="GLN", code="invalid_gln", lengths=(13,), length_text=_("a GLN has 13 digits"))


def validate_sscc(value: str) -> None:
    """An SSCC is 18 digits with a GS1 check digit."""
    _validate_gs1(value, label="SSCC", code="invalid_sscc", lengths=(18,),
                  length_text=_("an SSCC has 18 digits"))


def validate_siren(value: str) -> None:
    _validate_stdnum(siren, value, label="SIREN", code="invalid_siren")


def validate_siret(value: str) -> None:
    _validate_stdnum(siret, value, label="SIRET", code="invalid_siret")


def validate_vat_number(value: str) -> None:
    """An intra-EU VAT number (FR12345678901, DE123456789, ...)."""
    _validate_stdnum(eu_vat, value, label=str(_("VAT number")), code="invalid_vat")


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
