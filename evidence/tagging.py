"""Practice themes in the evidence's own words: which themes an observation's write-up or a survey's
free-text answer mentions.

The practice themes belong to the reports (quality.reports.themes), a layer above the evidence apps
(docs/architecture.md, "Dependency direction"): the reports app registers the function that names them
(`themes_tagger_register`, from its ready()), as it registers the audit lists' practice theme filter.
Until one is registered nothing is tagged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Tagger = Callable[[Sequence[str]], list[list[str]]]
_registered: list[Tagger] = []


def themes_tagger_register(tagger: Tagger) -> None:
    """Use `tagger(texts)`, giving for each text the names of the themes it mentions."""
    _registered[:] = [tagger]


def themes_in(texts: Sequence[str]) -> list[list[str]]:
    """For each of `texts`, the names of the practice themes it mentions, in the themes' order."""
    if not _registered or not texts:
        return [[] for _ in texts]
    return _registered[0](texts)
