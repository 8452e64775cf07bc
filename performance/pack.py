"""The month's performance pack: a PDF for the improvement board and the scrutiny papers.

A cover, the contents, one section per priority area (its table of figures, a chart of each
indicator against its target and comparators, and the month's commentary and next steps), and the
quality-assurance section from the audits. A4 landscape, pages numbered "Page n of m".

Made by WeasyPrint in a Celery worker (performance/tasks.py), never in a web request: a request
only adds a queued PerformancePack row and queues its build once the row is committed. The PDF is
downloaded through a view that checks access, never from a media URL.
"""

from __future__ import annotations

import logging
from datetime import date

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from quality import built_files
from quality.pdf import html_to_pdf
from quality.queue import enqueue_on_commit

from . import calculations, charts
from .models import PerformancePack
from .scorecard import COMPARATOR_FIELDS, Row, Scorecard, references_of, scorecard

logger = logging.getLogger(__name__)

PACK_STYLESHEET = "css/scorecard-pack.css"


def row_chart(row: Row, chart_id: str):
    """The indicator's last 12 months against each month's target and this year's comparators."""
    return charts.line_chart(
        [cell.period for cell in row.trend],
        [cell.value for cell in row.trend],
        [cell.target for cell in row.trend],
        references_of(row.comparators),
        unit=row.indicator.unit,
        title=f"{row.indicator.code}: the last 12 months against the target and comparators",
        chart_id=chart_id,
        shown=[cell.display for cell in row.trend],
    )


def pack_context(card: Scorecard, *, made_by, made_at) -> dict:
    """What the pack's template shows; its RAG summary is the scorecard page's (card.rag_summary)."""
    return {
        "card": card,
        "sections": [
            {"area": area, "indicators": [(row, row_chart(row, f"chart-{row.indicator.pk}")) for row in area.rows]}
            for area in card.areas
        ],
        "rag_summary": card.rag_summary,
        "flagged": [row for row in card.rows if row.current.data_quality],
        "comparator_labels": [label for _, label in COMPARATOR_FIELDS],
        "made_by": made_by,
        "made_at": made_at,
        "amber_defaults": calculations.DEFAULT_AMBER_TOLERANCE,
    }


def render_pdf(html: str) -> bytes:
    """HTML to a tagged PDF with the pack's stylesheet (quality/pdf.py)."""
    return html_to_pdf(html, stylesheet=PACK_STYLESHEET)


def pack_pdf(period: date, *, made_by, made_at) -> bytes:
    card = scorecard(period)
    return render_pdf(
        render_to_string("performance/scorecard/pack.html", pack_context(card, made_by=made_by, made_at=made_at))
    )


# Services: ask for a pack (in the request), make it (in the worker), give up on it.


@transaction.atomic
def pack_request(*, actor, period: date) -> PerformancePack:
    """Add a queued pack and queue its build once the row is committed (the worker must see it)."""
    from .tasks import performance_pack_build  # the task module imports this one

    pack = PerformancePack.objects.create(period=period, requested_by=actor)
    enqueue_on_commit(performance_pack_build, pack.pk)
    return pack


@transaction.atomic
def pack_generate(*, pack_id: int, skip_locked: bool = False) -> PerformancePack | None:
    """Build the PDF of a queued pack (quality/built_files.py: once, under the row's lock; with
    `skip_locked`, the sweep's, not if a worker is building it now)."""
    rows = PerformancePack.objects.select_related("requested_by__person")
    pack = built_files.lock_queued(rows, pack_id, skip_locked=skip_locked)
    if pack is None:
        return None
    made_at = timezone.now()
    pdf = pack_pdf(pack.period, made_by=pack.requested_by, made_at=made_at)
    built_files.store(pack, f"performance-pack-{pack.period:%Y-%m}-{pack.pk}.pdf", pdf, made_at=made_at)
    return pack


def packs_stranded() -> list[int]:
    return built_files.stranded(PerformancePack)


def pack_fail(*, pack_id: int) -> None:
    """Give up on a pack the worker could not build; the page then offers to try again."""
    built_files.fail(PerformancePack, pack_id)


def download_name(pack: PerformancePack) -> str:
    return f"performance-pack-{pack.period:%Y-%m}.pdf"
