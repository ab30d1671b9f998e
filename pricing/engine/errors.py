"""Errors the pricing engine raises: subclasses of the one ``DomainError``."""

from __future__ import annotations

from comptoir.exceptions import DomainError


class InvalidPricingInput(DomainError):
    """An input breaks a rule of the engine (a rate on an amount level, an empty
    tier list, a negative price…). ``details["errors"]`` lists every problem found."""

    code = "invalid_pricing_input"

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors[0] if errors else "invalid pricing input", errors=errors)
        self.errors = errors


class PriceNotFound(DomainError):
    """No gross price is valid for the article, its packaging and the date."""

    code = "price_not_found"

    def __init__(self, *, line_id: int | str, article_id: int) -> None:
        super().__init__(
            f"no gross price for article {article_id} (line {line_id})",
            line_id=line_id,
            article_id=article_id,
        )
        self.line_id = line_id
        self.article_id = article_id
