"""Trade identifiers are validated with python-stdnum and refused with a named reason."""

import pytest
from django.core.exceptions import ValidationError

from comptoir.identifiers import (
    fr_vat_from_siren,
    gs1_with_check_digit,
    gtin_lookup_forms,
    siren_with_check_digit,
    validate_gln,
    validate_gtin,
    validate_siren,
    validate_siret,
    validate_sscc,
    validate_vat_number,
)


@pytest.mark.parametrize("value", ["3760123450003", "03760123450003", "96385074", "036000291452"])
def test_valid_gtins_pass(value):
    validate_gtin(value)


@pytest.mark.parametrize(
    "value",
    [
        "3760123450006",
        "376012345000",  # 12 digits with a wrong check digit
        "37601234500",
        "37601234500A5",
    ],
)
def test_bad_gtins_are_refused_naming_the_value(value):
    with pytest.raises(ValidationError) as excinfo:
        validate_gtin(value)
    message = excinfo.value.messages[0]
    assert value in message
    assert excinfo.value.code == "invalid_gtin"


def test_gln_needs_13_digits_and_a_check_digit():
    validate_gln("3760000000017")
    with pytest.raises(ValidationError) as excinfo:
        validate_gln("3760000000018")
    assert excinfo.value.code == "invalid_gln"
    with pytest.raises(ValidationError):
        validate_gln("37600000000171")  # a GTIN-14 is not a GLN


def test_siren_siret_and_vat():
    siren = siren_with_check_digit("73282932")
    assert siren == "732829320"
    validate_siren(siren)
    validate_siret("73282932000074")
    validate_vat_number(fr_vat_from_siren(siren))
    assert fr_vat_from_siren(siren) == "FR44732829320"
    validate_vat_number("DE136695976")
    for bad, validator in [("732829321", validate_siren), ("73282932000075", validate_siret),
                           ("FR45732829320", validate_vat_number), ("XX123", validate_vat_number)]:
        with pytest.raises(ValidationError):
            validator(bad)


def test_sscc_check_digit():
    sscc = gs1_with_check_digit("03760000" + "000000001")
    validate_sscc(sscc)
    with pytest.raises(ValidationError):
        validate_sscc(sscc[:-1] + str((int(sscc[-1]) + 1) % 10))


def test_gtin_lookup_forms_match_13_and_padded_14():
    forms = gtin_lookup_forms("3760123450003")
    assert "3760123450003" in forms and "03760123450003" in forms
    assert "3760123450003" in gtin_lookup_forms("03760123450003")
