"""The service area a file or a command names: one rule for every import (docs/imports.md).

People write an area as they know it: its short code, its name, or a name it had before a
rename. The rule, the same everywhere:
1. a short code, in any case (codes are unique);
2. else a current name, in any case;
3. else a name the area had before (ServiceAreaName);
and within a step, an active area before a retired one. Two areas still equal are ambiguous: the
file must give the code. A retired area is found like any other; whether a retired area is
accepted is the import's choice (`include_retired`): the history names areas as they were, a case
list or a catalogue is about today and must name the area that took over.

Imports check thousands of rows, so the areas and their old names are read once (two queries)
by a `ServiceAreaLookup`, then every row is looked up in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .models import ServiceArea, ServiceAreaName

# What a person reads next to a row naming two areas at once, whatever the import. Each import says
# "unknown" and "retired" in its own words (what that file expects), and passes them to `refusal`.
AREA_AMBIGUOUS = "more than one service area has been called '{value}': use its short code"


class Problem(StrEnum):
    UNKNOWN = "unknown"
    AMBIGUOUS = "ambiguous"
    RETIRED = "retired"  # found, but the import takes active areas only


@dataclass(frozen=True)
class AreaMatch:
    area: ServiceArea | None = None  # the area found; with RETIRED, the retired area (for its code)
    problem: Problem | None = None

    def refusal(self, text: str, *, unknown: str, retired: str = "") -> str:
        """Why a row naming the area as `text` is refused, in the import's words: `unknown` with
        {value}, `retired` with {code} (needed when the lookup leaves retired areas out); "" when
        the import takes the area."""
        if self.problem is Problem.UNKNOWN:
            return unknown.format(value=text)
        if self.problem is Problem.AMBIGUOUS:
            return AREA_AMBIGUOUS.format(value=text)
        if self.problem is Problem.RETIRED:
            return retired.format(code=self.area.code)
        return ""


class ServiceAreaLookup:
    """Every service area and the names each has had, read once, to look up many rows."""

    def __init__(self, *, include_retired: bool):
        self.include_retired = include_retired
        self.all_areas = list(ServiceArea.objects.all())
        self._by_code = {area.code.lower(): area for area in self.all_areas}
        self._by_name: dict[str, list[ServiceArea]] = {}
        for area in self.all_areas:
            self._by_name.setdefault(area.name.lower(), []).append(area)
        by_pk = {area.pk: area for area in self.all_areas}
        self._by_former_name: dict[str, list[ServiceArea]] = {}
        for name, area_id in ServiceAreaName.objects.values_list("name", "service_area_id"):
            self._by_former_name.setdefault(name.lower(), []).append(by_pk[area_id])

    @property
    def codes(self) -> set[str]:
        """Every area's code in lower case (the codes a new area may not take)."""
        return set(self._by_code)

    def find(self, text: str) -> AreaMatch:
        key = text.strip().lower()
        if key in self._by_code:
            return self._chosen([self._by_code[key]])
        candidates = self._by_name.get(key) or self._by_former_name.get(key)
        if not candidates:
            return AreaMatch(problem=Problem.UNKNOWN)
        return self._chosen(candidates)

    def _chosen(self, candidates: Iterable[ServiceArea]) -> AreaMatch:
        candidates = list({area.pk: area for area in candidates}.values())
        pool = [area for area in candidates if area.is_active] or candidates
        if len(pool) > 1:
            return AreaMatch(problem=Problem.AMBIGUOUS)
        area = pool[0]
        if not area.is_active and not self.include_retired:
            return AreaMatch(area=area, problem=Problem.RETIRED)
        return AreaMatch(area=area)


def service_area_named(text: str, *, include_retired: bool) -> AreaMatch:
    """One area named by a person (a command's option, a tool file): the same rule as the imports."""
    return ServiceAreaLookup(include_retired=include_retired).find(text)
