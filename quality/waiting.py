"""What is waiting for a person, in the shape the home page lists it.

Each kind of waiting work (an allocation to review, draft reports to publish, a panel session open...)
is computed by a selector of the app that owns the work: audits/waiting.py, moderation/waiting.py,
performance/waiting.py and quality/reports/waiting.py. Each returns a `Waiting`, or None when the
person's roles give them no such work, in a fixed number of queries whatever the number of rows (a
count, and the first rows the page shows). The home page (quality/views.py) asks each kind in turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from quality.org.models import Role

# The roles whose brief is to read what the portal publishes: their home shows the latest published
# report and scorecard month (item 4 of issue 16). Everyone else reaches those through the menu.
READING_ROLES = frozenset({Role.SENIOR_LEADER, Role.READ_ONLY})


@dataclass(frozen=True)
class Entry:
    """One row of a kind of waiting work: what it is (a link to the page that acts on it) and a note."""

    text: str
    url: str
    note: str = ""


@dataclass(frozen=True)
class Waiting:
    """One kind of waiting work: `count` things in all, the first of them as `entries`, and a link to
    the page that holds them all (`link`, with `link_text`)."""

    key: str
    heading: str
    count: int
    entries: list[Entry] = field(default_factory=list)
    link: str = ""
    link_text: str = ""

    @property
    def shown(self) -> int:
        return len(self.entries)
