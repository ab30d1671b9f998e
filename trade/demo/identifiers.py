"""Valid, deterministic identifiers for the demo: GLN, GTIN, SIREN/SIRET, VAT, IBAN.

Every number carries a real check digit (python-stdnum), so the model validators
accept it; the GS1 prefixes are fictitious ranges of the French (376), Italian (803)
and German (401) member organisations.
"""

from __future__ import annotations

import random

from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.iso7064 import mod_11_10

from comptoir.identifiers import fr_vat_from_siren, gs1_with_check_digit, siren_with_check_digit

# Fictitious GS1 ranges (12-digit bodies before the check digit).
CUSTOMER_GLN_PREFIX = "3765"  # + chain number (4) + location (4)
SUPPLIER_GLN_PREFIX = {"FR": "3766", "IT": "8036", "DE": "4016"}  # + supplier number (4) + "0001"
OUR_GTIN_PREFIX = "3019876"  # our own company prefix (outside the suppliers' 376xxxx), for kits


def gln(body: str) -> str:
    if len(body) != 12 or not body.isdigit():
        raise ValueError(f"A GLN body has 12 digits, got {body!r}")
    return gs1_with_check_digit(body)


def customer_gln(chain_number: int, location: int) -> str:
    """Locations of one chain share the chain's (fictitious) company prefix."""
    return gln(f"{CUSTOMER_GLN_PREFIX}{chain_number:04d}{location:04d}")


def supplier_gln(country: str, supplier_number: int) -> str:
    return gln(f"{SUPPLIER_GLN_PREFIX[country]}{supplier_number:04d}0001")


def gtin13(company_prefix: str, item_reference: int) -> str:
    """GTIN-13 = company prefix + item reference (12 digits together) + check digit."""
    body = f"{company_prefix}{item_reference:0{12 - len(company_prefix)}d}"
    if len(body) != 12:
        raise ValueError(f"Item reference {item_reference} does not fit prefix {company_prefix}")
    return gs1_with_check_digit(body)


def gtin14(indicator: int, gtin: str) -> str:
    """GTIN-14 of a trade-item grouping: indicator digit + the GTIN-13 without its check
    digit + a new check digit (GS1 General Specifications, 2.1.3)."""
    return gs1_with_check_digit(f"{indicator}{gtin[:12]}")


def siret(siren: str, establishment: int) -> str:
    """SIREN + NIC: a 4-digit establishment number and a Luhn key over all 14 digits."""
    body = f"{siren}{establishment:04d}"
    return body + luhn.calc_check_digit(body)


def italian_vat(company_number: int) -> str:
    """IT + 7-digit company number + 3-digit office code + Luhn key."""
    body = f"{company_number:07d}021"
    return "IT" + body + luhn.calc_check_digit(body)


def german_vat(company_number: int) -> str:
    """DE + 8 digits + ISO 7064 MOD 11,10 key."""
    body = f"{company_number:08d}"
    return "DE" + body + mod_11_10.calc_check_digit(body)


def french_iban(bank: str, branch: str, account: str) -> str:
    """FR IBAN from a RIB: the RIB key (97 − (89 B + 15 G + 3 C) mod 97), then the
    IBAN check digits computed by python-stdnum."""
    key = 97 - ((89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97)
    bban = f"{bank}{branch}{account}{key:02d}"
    check = std_iban.calc_check_digits(f"FR00{bban}")
    return f"FR{check}{bban}"


class SirenPool:
    """Draws distinct, deterministic SIRENs from its own random stream."""

    def __init__(self, seed: str) -> None:
        self._random = random.Random(seed)
        self._used: set[str] = set()

    def reserve(self, number: str) -> str:
        self._used.add(number)
        return number

    def draw(self) -> str:
        while True:
            number = siren_with_check_digit(f"{self._random.randint(30_000_000, 99_999_999)}")
            # 356000000 is La Poste, whose SIRETs follow another rule.
            if number not in self._used and not number.startswith("356000000"):
                self._used.add(number)
                return number


__all__ = [
    "SirenPool",
    "customer_gln",
    "fr_vat_from_siren",
    "french_iban",
    "german_vat",
    "gln",
    "gtin13",
    "gtin14",
    "italian_vat",
    "siret",
    "supplier_gln",
]
