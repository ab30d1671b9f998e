"""Money, rates and quantities: the one place that knows the digits and the rounding.

Unit prices and rates keep 4 decimals, amounts 2; everything rounds ROUND_HALF_UP.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

AMOUNT_PLACES = Decimal("0.01")
UNIT_PRICE_PLACES = Decimal("0.0001")
RATE_PLACES = Decimal("0.0001")
QUANTITY_PLACES = Decimal("0.001")

# Field sizes shared by every model that stores money or quantities.
AMOUNT_FIELD = {"max_digits": 16, "decimal_places": 2}
UNIT_PRICE_FIELD = {"max_digits": 16, "decimal_places": 4}
RATE_FIELD = {"max_digits": 9, "decimal_places": 4}
QUANTITY_FIELD = {"max_digits": 14, "decimal_places": 3}


def round_amount(value: Decimal) -> Decimal:
    return value.quantize(AMOUNT_PLACES, rounding=ROUND_HALF_UP)


def round_unit_price(value: Decimal) -> Decimal:
    return value.quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP)


def round_rate(value: Decimal) -> Decimal:
    return value.quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def round_quantity(value: Decimal) -> Decimal:
    return value.quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP)
