"""The segment value type shared by the codec, the tokenizers and the mappings.

A segment is its tag and its data elements. A data element is either a string (a
simple element, or a composite of which only the first component is present) or a
tuple of component strings. This is exactly the shape pydifact produces (with tuples
for its lists), so segments from both tokenizers compare equal.

Positions used in accessors are 1-based, as in EDIFACT and in CONTRL (S011).
"""

from __future__ import annotations

from typing import NamedTuple

Element = str | tuple[str, ...]


class Segment(NamedTuple):
    """One segment. A NamedTuple: immutable, cheap to create by the hundred thousand."""

    tag: str
    elements: tuple[Element, ...] = ()

    def value(self, element: int, component: int = 1) -> str:
        """Component ``component`` of data element ``element`` ('' when absent)."""
        if element < 1 or element > len(self.elements):
            return ""
        item = self.elements[element - 1]
        if isinstance(item, str):
            return item if component == 1 else ""
        if component < 1 or component > len(item):
            return ""
        return item[component - 1]

    def components(self, element: int) -> tuple[str, ...]:
        """All components of data element ``element`` (a simple element gives one)."""
        if element < 1 or element > len(self.elements):
            return ()
        item = self.elements[element - 1]
        if isinstance(item, str):
            return (item,) if item else ()
        return item

    def has(self, element: int, component: int = 1) -> bool:
        return self.value(element, component) != ""


def make_segment(tag: str, *elements: str | tuple[str, ...] | list[str] | None) -> Segment:
    """Build a segment the way it reads back: trailing empties dropped, composites tupled.

    ``None`` is an absent element. A composite whose only non-empty component is the
    first becomes a plain string, as every EDIFACT parser reads it back.
    """
    normalised: list[Element] = []
    for item in elements:
        if item is None:
            normalised.append("")
        elif isinstance(item, str):
            normalised.append(item)
        else:
            components = list(item)
            while components and components[-1] == "":
                components.pop()
            if not components:
                normalised.append("")
            elif len(components) == 1:
                normalised.append(components[0])
            else:
                normalised.append(tuple(components))
    while normalised and normalised[-1] == "":
        normalised.pop()
    return Segment(tag, tuple(normalised))
