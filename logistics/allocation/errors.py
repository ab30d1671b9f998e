"""Errors the allocation engine raises: subclasses of the one ``DomainError``."""

from __future__ import annotations

from comptoir.exceptions import DomainError


class InvalidAllocationInput(DomainError):
    """An input breaks a rule of the engine (a negative quantity, a dated lot
    without its date, a serial listed twice…). ``details["errors"]`` lists every
    problem found, the first one is the message."""

    code = "invalid_allocation_input"

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors[0] if errors else "invalid allocation input", errors=errors)
        self.errors = errors
