"""The one domain error type. Services raise it; the API and views translate it."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused an operation.

    ``code`` is stable and machine-readable, ``message`` is for people, ``details``
    carries structured data (e.g. ``{"field": "gln"}`` or the lines that failed).
    """

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": str(self.message), "details": self.details}


class ValidationFailed(DomainError):
    """Input broke a rule; ``details["errors"]`` maps field names to messages."""

    code = "validation_failed"

    def __init__(self, errors: dict[str, list[str]], message: str | None = None) -> None:
        first = next(iter(errors.items()), ("", [""]))
        super().__init__(message or f"{first[0]}: {first[1][0]}", errors=errors)
        self.errors = errors


class InvalidTransition(DomainError):
    code = "invalid_transition"
