"""The six discount levels of the cascade: configuration as data, French defaults.

A company configures its six levels once (label, place in the cascade, rate or
amount, multiplicative or additive stacking, exclusivity). The engine reads that
configuration; no level has behaviour written in code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .errors import InvalidPricingInput

LEVEL_NUMBERS = (1, 2, 3, 4, 5, 6)


class ValueKind(StrEnum):
    """What the conditions of a level carry."""

    RATE = "rate"  # a percentage off the price left by the previous steps
    AMOUNT = "amount"  # an amount per unit taken off at the level's place


class Stacking(StrEnum):
    """How a rate level combines with the rate levels before it."""

    MULTIPLICATIVE = "multiplicative"  # applies to the price left by the previous step
    ADDITIVE = "additive"  # its rate is added to the previous rate level's (one group)


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelConfig:
    """One level of the cascade.

    ``number`` (1–6) is what conditions refer to; ``order`` is the level's place in
    the cascade. ``exclusive``: when this level applies a condition, the levels
    before it in the cascade are cancelled (kept in the breakdown as overridden).
    ``stacking`` only matters for rate levels; an amount level is applied at its
    place and closes the current additive group.
    """

    number: int
    label: str
    order: int
    value_kind: ValueKind = ValueKind.RATE
    stacking: Stacking = Stacking.MULTIPLICATIVE
    exclusive: bool = False


@dataclass(frozen=True, slots=True)
class LevelScheme:
    """The six levels of a company, kept sorted by their order in the cascade.

    Invariants (checked at construction): exactly the level numbers 1 to 6, each
    once; distinct orders; non-empty labels.
    """

    levels: tuple[LevelConfig, ...]
    _by_number: dict[int, LevelConfig] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        errors: list[str] = []
        numbers = sorted(level.number for level in self.levels)
        if tuple(numbers) != LEVEL_NUMBERS:
            errors.append(f"levels must be numbered 1 to 6, each once; got {numbers}")
        orders = [level.order for level in self.levels]
        if len(set(orders)) != len(orders):
            errors.append(f"two levels share the same order: {sorted(orders)}")
        errors.extend(
            f"level {level.number} has an empty label"
            for level in self.levels
            if not level.label.strip()
        )
        if errors:
            raise InvalidPricingInput(errors)
        ordered = tuple(sorted(self.levels, key=lambda level: level.order))
        object.__setattr__(self, "levels", ordered)
        object.__setattr__(self, "_by_number", {level.number: level for level in ordered})

    def level(self, number: int) -> LevelConfig:
        """The level with this number; raises ``KeyError`` for an unknown number."""
        return self._by_number[number]

    def has_level(self, number: int) -> bool:
        return number in self._by_number


DEFAULT_LEVELS = LevelScheme(
    levels=(
        LevelConfig(number=1, label="Remise de base", order=1),
        LevelConfig(number=2, label="Remise quantitative", order=2),
        LevelConfig(number=3, label="Remise enseigne/contrat", order=3),
        LevelConfig(number=4, label="Remise promotionnelle", order=4),
        LevelConfig(number=5, label="Remise logistique", order=5),
        LevelConfig(number=6, label="Remise complémentaire", order=6),
    )
)
