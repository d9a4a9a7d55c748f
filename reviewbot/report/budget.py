"""Fitting a report into a size limit by choosing, per section, how much of it to show.

A section lists its forms from the fullest to the tersest (the tersest may be "", meaning
"leave it out"). Every section starts at its tersest form; then, most important first, each
takes the fullest form that still fits. What must always be shown (priority 0) is grown
first, and its tersest form is never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    """A part of a report: where it goes, how important it is, its forms fullest first."""

    position: tuple[int, int]
    priority: int
    variants: tuple[str, ...]


def _size(text: str) -> int:
    return len(text) + 1 if text else 0  # each part is followed by a blank-line separator


def choose(sections: Sequence[Section], limit: int) -> list[int]:
    """The index of the form chosen for each section."""
    chosen = [len(section.variants) - 1 for section in sections]
    used = sum(_size(s.variants[c]) for s, c in zip(sections, chosen, strict=True))
    order = sorted(range(len(sections)),
                   key=lambda i: (sections[i].priority, sections[i].position))
    for i in order:
        variants = sections[i].variants
        current = _size(variants[chosen[i]])
        for form in range(chosen[i]):
            grown = _size(variants[form]) - current
            if used + grown <= limit:
                chosen[i], used = form, used + grown
                break
    return chosen


@dataclass(frozen=True)
class Assembled:
    text: str
    complete: bool  # every section in its fullest form


def assemble(sections: Sequence[Section], limit: int) -> Assembled:
    """The sections in their positions, each in the form ``choose`` picked."""
    chosen = choose(sections, limit)
    placed = sorted(zip(sections, chosen, strict=True), key=lambda pair: pair[0].position)
    text = "\n".join(s.variants[c] for s, c in placed if s.variants[c])
    return Assembled(text, not any(chosen))
