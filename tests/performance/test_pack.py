"""The month's PDF pack: built by the task directly (its text read back with pdftotext) and by a real
worker on Redis; asked for by POST, followed by polling, downloaded through an access check; retried,
given up on, and swept up when Redis was down."""

import hashlib
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from unittest.mock import patch

import pytest
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from performance import commentary, pack
from performance.models import Commentary, PerformancePack
from performance.quality_section import QA_AREA
from performance.scorecard import scorecard
from performance.tasks import MAX_RETRIES, performance_pack_build
from quality.built_files import build_stranded_files
from quality.org.models import Role
from tests.org.test_tasks import celery_worker, wait_for  # noqa: F401 (celery_worker is a fixture)
from tests.pdf_structure import accessibility

from .test_scorecard import make_indicator, put, set_year

pytestmark = pytest.mark.django_db

OCT = date(2026, 10, 1)
STUB_PDF = b"%PDF-1.7\n% a stand-in for a built pack\n"
TITLE = "Assessments completed within 45 working days"
COMMENTARY = "Timeliness improved after the new triage rota."
NEXT_STEPS = "Review the late assessments at the November clinic."


def pdf_text(path) -> str:
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True)
    return " ".join(result.stdout.split())


@pytest.fixture
def month(performance_officer):
    """October 2026: two indicators in two areas, one flagged, with commentary; the month locked."""
    m1 = make_indicator("M1", title=TITLE, area="Effective assessment and intervention", lead_officer="Lee Lead")
    set_year(m1, 2026, 80, england=77)
    put(m1, "2026-09", numerator=250, denominator=330)
    put(m1, "2026-10", numerator=264, denominator=333, supplied_value=Decimal(83), data_quality="Supplied 83%")
    Commentary.objects.create(indicator=m1, period=OCT, commentary=COMMENTARY, next_steps=NEXT_STEPS)
    k1 = make_indicator(
        "CLA1",
        unit="rate",
        polarity="neutral",
        title="Children looked after per 10,000",
        area="Robust corporate parenting",
    )
    put(k1, "2026-10", "68.44")
    commentary.month_lock(actor=performance_officer.user, period=OCT)
    return m1, k1


def test_the_task_called_directly_makes_the_pack_with_titles_figures_commentary_and_numbered_pages(
    month, performance_officer, media_root
):
    made = PerformancePack.objects.create(period=OCT, requested_by=performance_officer.user)

    performance_pack_build(made.pk)

    made.refresh_from_db()
    assert made.state == PerformancePack.State.READY and made.generated_at
    path = Path(made.file.path)
    assert path.parent == media_root / "performance-packs"
    data = path.read_bytes()
    assert data.startswith(b"%PDF") and made.sha256 == hashlib.sha256(data).hexdigest()
    text = pdf_text(path)
    for shown in (
        "Performance scorecard",
        "October 2026",
        "Final: the month was locked",
        "Contents",
        TITLE,
        "79% (264/333)",
        "76% (250/330)",
        "Children looked after per 10,000",
        "68.4",
        "Amber",
        COMMENTARY,
        NEXT_STEPS,
        "Supplied 83%",
        "England 77%",
        QA_AREA,
        "Cases audited",
        "Page 1 of",
        "Made 23 November 2026" if timezone.localdate() == date(2026, 11, 23) else "Made ",
        "Pia Performance",
    ):
        assert shown in text, f"{shown!r} is missing from the pack"


def test_the_pack_is_tagged_for_screen_readers_with_its_headings_tables_language_and_title(month, performance_officer):
    pdf = accessibility(pack.pack_pdf(OCT, made_by=performance_officer.user, made_at=timezone.now()))

    assert pdf.tagged and pdf.language == "en-GB"
    assert pdf.title == "Performance scorecard: October 2026" and pdf.title_shown
    assert pdf.roles["H1"] >= 1 and pdf.headings >= 3  # the title, the contents, each priority area
    assert pdf.roles["Table"] >= 1 and pdf.roles["TH"] >= 5
    assert pdf.fonts_embedded
    assert pdf.figures_without_text == 0


def test_the_pack_shows_a_code_with_spaces_and_brackets_as_written_and_names_its_chart_by_number(performance_officer):
    indicator = make_indicator("M6-QL (val)", title="Children seen alone", area="Purposeful direct contact")
    put(indicator, "2026-10", numerator=48, denominator=50)

    context = pack.pack_context(scorecard(OCT), made_by=performance_officer.user, made_at=timezone.now())
    html = render_to_string("performance/scorecard/pack.html", context)

    assert '<span class="code">M6-QL (val)</span> Children seen alone' in html
    assert f'id="chart-{indicator.pk}-title">M6-QL (val): the last 12 months' in html


def test_the_pack_has_the_scorecards_rag_summary_rag_tags_and_changes_in_points(month, performance_officer):
    card = scorecard(OCT)

    context = pack.pack_context(card, made_by=performance_officer.user, made_at=timezone.now())
    html = render_to_string("performance/scorecard/pack.html", context)

    # The same summary as the page's (one function), per priority area and in all.
    assert context["rag_summary"] == card.rag_summary
    assert [(line.name, [count.count for count in line.counts]) for line in context["rag_summary"]] == [
        ("Effective assessment and intervention", [0, 1, 0, 0]),
        ("Robust corporate parenting", [0, 0, 0, 1]),
        ("All areas", [0, 1, 0, 1]),
    ]
    assert '<span class="rag-tag rag-tag-amber" data-rag="amber">Amber</span>' in html
    assert '<span class="rag-tag rag-tag-none" data-rag="">No RAG</span>' in html
    # M1 from 250/330 to 264/333: +3.5 percentage points, as on the page; the rule is stated.
    assert '+3.5 <abbr title="percentage points">pp</abbr>' in html
    assert "Changes between two percentages are the difference in percentage points" in html


def test_the_contents_give_each_priority_areas_page(month, performance_officer):
    made = pack.pack_generate(
        pack_id=PerformancePack.objects.create(period=OCT, requested_by=performance_officer.user).pk
    )

    text = pdf_text(made.file.path)

    contents = text.split("Contents", 1)[1].split("How to read this pack", 2)[1]
    assert "Effective assessment and intervention" in contents
    assert "Robust corporate parenting" in contents


def test_a_pack_of_an_unlocked_month_says_it_is_a_draft(performance_officer):
    put(make_indicator("M1", title=TITLE), "2026-10", 50)

    made = pack.pack_generate(
        pack_id=PerformancePack.objects.create(period=OCT, requested_by=performance_officer.user).pk
    )

    assert "Draft: the month is not locked" in pdf_text(made.file.path)


def test_a_worker_on_redis_makes_the_pack_once_it_is_asked_for(
    transactional_db,
    celery_worker,  # noqa: F811
    month,
    performance_officer,
):
    made = pack.pack_request(actor=performance_officer.user, period=OCT)

    def is_ready():
        made.refresh_from_db()
        return made.state == PerformancePack.State.READY

    assert wait_for(is_ready, timeout=60), f"the worker left the pack {made.state} after 60 s"
    assert TITLE in pdf_text(made.file.path)


def test_a_build_that_keeps_failing_is_tried_four_times_then_the_pack_is_marked_failed(performance_officer):
    made = PerformancePack.objects.create(period=OCT, requested_by=performance_officer.user)

    with patch("performance.pack.render_pdf", side_effect=OSError("out of memory")) as render:
        performance_pack_build.apply(args=[made.pk])

    assert render.call_count == 1 + MAX_RETRIES
    made.refresh_from_db()
    assert made.state == PerformancePack.State.FAILED and not made.file


def test_a_pack_already_made_is_not_made_again_when_the_task_comes_twice(performance_officer):
    made = PerformancePack.objects.create(
        period=OCT,
        requested_by=performance_officer.user,
        state=PerformancePack.State.READY,
        file=ContentFile(STUB_PDF, "p.pdf"),
        generated_at=timezone.now(),
    )

    with patch("performance.pack.render_pdf") as render:
        performance_pack_build(made.pk)

    render.assert_not_called()


# -- asking for it, following it, downloading it --


def test_making_the_pack_adds_a_queued_pack_and_queues_its_build_after_commit(
    client, performance_officer, django_capture_on_commit_callbacks
):
    client.force_login(performance_officer.user)

    with (
        patch("performance.pack.render_pdf") as render,
        patch("performance.tasks.performance_pack_build.delay") as queue,
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.post(reverse("performance:pack_request", args=["2026-10"]))
        made = PerformancePack.objects.get()
        assert response.status_code == 302 and response.url == reverse("performance:pack_detail", args=[made.pk])
        assert (made.state, made.period, made.requested_by) == (
            PerformancePack.State.QUEUED,
            OCT,
            performance_officer.user,
        )
        queue.assert_not_called()
        for callback in callbacks:
            callback()
        queue.assert_called_once_with(made.pk)
        render.assert_not_called()


def test_making_the_pack_while_redis_is_down_still_answers_and_the_sweep_builds_it_later(
    client, performance_officer, django_capture_on_commit_callbacks
):
    client.force_login(performance_officer.user)
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with (
        patch("performance.tasks.performance_pack_build.delay", side_effect=down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(reverse("performance:pack_request", args=["2026-10"]))

    made = PerformancePack.objects.get()
    assert response.status_code == 302 and made.state == PerformancePack.State.QUEUED
    assert pack.packs_stranded() == []
    PerformancePack.objects.filter(pk=made.pk).update(requested_at=timezone.now() - timedelta(minutes=6))
    with patch("performance.pack.render_pdf", return_value=STUB_PDF):
        assert build_stranded_files() == 1
        assert build_stranded_files() == 0
    made.refresh_from_db()
    assert made.state == PerformancePack.State.READY and Path(made.file.path).read_bytes() == STUB_PDF


def test_making_the_pack_needs_a_post_with_the_csrf_token(performance_officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(performance_officer.user)
    url = reverse("performance:pack_request", args=["2026-10"])

    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 403
    assert not PerformancePack.objects.exists()


def test_the_status_block_polls_while_the_pack_is_made_and_stops_once_it_is_ready(client, performance_officer):
    made = PerformancePack.objects.create(period=OCT, requested_by=performance_officer.user)
    client.force_login(performance_officer.user)
    url = reverse("performance:pack_detail", args=[made.pk])

    page = client.get(url).content.decode()
    queued = client.get(url, headers={"HX-Request": "true"}).content.decode()
    PerformancePack.objects.filter(pk=made.pk).update(
        state=PerformancePack.State.READY, file="performance-packs/p.pdf", generated_at=timezone.now(), sha256="ab" * 32
    )
    ready = client.get(url, headers={"HX-Request": "true"}).content.decode()

    assert "<html" in page and 'hx-trigger="every 2s"' in page
    assert "<html" not in queued and f'hx-get="{url}"' in queued
    assert "hx-trigger" not in ready
    assert f'href="{reverse("performance:pack_download", args=[made.pk])}"' in ready


def test_a_failed_pack_offers_to_try_again(client, performance_officer):
    made = PerformancePack.objects.create(period=OCT, requested_by=performance_officer.user)
    pack.pack_fail(pack_id=made.pk)
    client.force_login(performance_officer.user)

    html = client.get(
        reverse("performance:pack_detail", args=[made.pk]), headers={"HX-Request": "true"}
    ).content.decode()

    assert "could not be made" in html and "hx-trigger" not in html
    assert f'action="{reverse("performance:pack_request", args=["2026-10"])}"' in html


def test_the_download_streams_the_pdf_as_an_uncached_attachment_to_scorecard_readers_only(
    client, performance_officer, make_person, own_area
):
    made = PerformancePack.objects.create(
        period=OCT,
        requested_by=performance_officer.user,
        state=PerformancePack.State.READY,
        file=ContentFile(STUB_PDF, name="performance-pack.pdf"),
        generated_at=timezone.now(),
    )
    url = reverse("performance:pack_download", args=[made.pk])
    client.force_login(make_person(Role.HEAD_OF_SERVICE).user)

    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == STUB_PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="performance-pack-2026-10.pdf"'
    assert "no-cache" in response["Cache-Control"]
    client.force_login(make_person(Role.PRACTITIONER, own_area).user)
    assert client.get(url).status_code == 403


def test_a_pack_still_being_made_cannot_be_downloaded(client, performance_officer):
    made = PerformancePack.objects.create(period=OCT, requested_by=performance_officer.user)
    client.force_login(performance_officer.user)

    assert client.get(reverse("performance:pack_download", args=[made.pk])).status_code == 404


def test_the_scorecard_page_lists_the_months_packs(client, performance_officer):
    made = PerformancePack.objects.create(period=OCT, requested_by=performance_officer.user)
    PerformancePack.objects.create(period=date(2026, 9, 1), requested_by=performance_officer.user)
    client.force_login(performance_officer.user)

    response = client.get(reverse("performance:scorecard"), {"month": "2026-10"})

    assert list(response.context["packs"]) == [made]


def test_asking_by_htmx_answers_the_status_block_of_the_new_pack_which_polls(client, performance_officer):
    client.force_login(performance_officer.user)

    with patch("performance.tasks.performance_pack_build.delay"):
        answer = client.post(reverse("performance:pack_request", args=["2026-10"]), headers={"HX-Request": "true"})

    made = PerformancePack.objects.get()
    html = answer.content.decode()
    assert answer.status_code == 200 and "<html" not in html
    assert f'hx-get="{reverse("performance:pack_detail", args=[made.pk])}" hx-trigger="every 2s"' in html
    assert 'role="progressbar" aria-label="Making the PDF pack"' in html


def test_the_pack_starts_downloading_on_its_page_once_ready_but_not_when_opened_ready(client, performance_officer):
    made = PerformancePack.objects.create(period=OCT, requested_by=performance_officer.user)
    client.force_login(performance_officer.user)
    url = reverse("performance:pack_detail", args=[made.pk])
    waiting = client.get(url).content.decode()
    PerformancePack.objects.filter(pk=made.pk).update(
        state=PerformancePack.State.READY, file="performance-packs/p.pdf", generated_at=timezone.now(), sha256="ab" * 32
    )

    polled = client.get(url, headers={"HX-Request": "true"}).content.decode()
    opened = client.get(url).content.decode()

    download = reverse("performance:pack_download", args=[made.pk])
    assert '<div aria-live="polite">' in waiting and "js/downloads.js" in waiting
    assert f'data-download-now="{download}"' in polled and "Your download has started" in polled
    assert "data-download-now" not in opened and f'href="{download}" download' in opened
