"""The printable record of an audit and its PDF: the page, the build (directly and by a real
worker on Redis), the request that only queues it, polling, the download, and who may see them."""

import hashlib
import re
import subprocess
from datetime import date, timedelta
from html import unescape
from pathlib import Path
from unittest.mock import patch

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from audits import documents, services
from audits.models import Audit, AuditDocument, Dispute
from audits.tasks import MAX_RETRIES, audit_document_build
from quality.built_files import build_stranded_files
from quality.org.models import Role, ServiceAreaName
from tests.org.test_tasks import celery_worker, wait_for  # noqa: F401 (celery_worker is a fixture)
from tests.pdf_structure import accessibility

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

CASE = "C-104233"
QUESTION = "What did you find? Give the evidence for the grade."
PLANNING_FINDING = "The plan has no dates and no owners for its actions."
STUB_PDF = b"%PDF-1.7\n% a stand-in for a built document\n"


@pytest.fixture
def people(qa_lead, service_lead, practitioner, make_person, own_area):
    """The shared cast, with the auditor and case holder under the names the printable page shows."""
    return {
        "qa_lead": qa_lead,
        "auditor": make_person(Role.PRACTICE_MANAGER, own_area, full_name="Ava Auditor"),
        "worker": make_person(Role.PRACTITIONER, own_area, full_name="Wes Worker"),
        "lead": service_lead,
        # A practitioner in the same area who is not the case holder: sees none of this audit.
        "stranger": practitioner,
    }


def new_audit(people, own_area, own_team, tool_version, reference=CASE):
    return services.audit_create(
        actor=people["qa_lead"].user,
        case_reference=reference,
        service_area=own_area,
        team=own_team,
        case_holder=people["worker"],
        auditor=people["auditor"],
        tool_version=tool_version,
        theme="Neglect",
        period_end=date(2026, 10, 31),
    )


def submitted(audit, people):
    """A complete audit, graded Good overall, with one recommended action, submitted."""
    user = people["auditor"].user
    services.action_add(
        audit=audit,
        description="Rewrite the plan with dates and owners",
        owner=people["worker"],
        due_on=date(2026, 12, 1),
    )
    answers = services.seven_area_answers("good", "Seen in the chronology.")
    answers |= {"planning-grade": "requires_improvement", "planning-evidence": PLANNING_FINDING}
    audit = services.audit_save_draft(
        actor=user,
        audit=audit,
        revision=audit.revision,
        answers=answers,
        fields={
            "overall_grade": "good",
            "discussion_held": True,
            "discussion_on": date(2026, 11, 2),
            "child_contacted": True,
            "family_contacted": False,
            "child_family_views": "Wants to stay at the same school.",
            "strengths": "A warm, steady relationship with the worker.",
            "areas_for_improvement": "Make the plan specific and timed.",
        },
    )
    return services.audit_submit(actor=user, audit=audit)


@pytest.fixture
def audit(people, own_area, own_team, tool_version):
    """Submitted, its grade disputed and changed by the QA lead, then overseen; the area renamed since."""
    audit = submitted(new_audit(people, own_area, own_team, tool_version), people)
    dispute = services.audit_dispute(
        actor=people["lead"].user,
        audit=audit,
        reason="Outcomes are not evidenced",
        proposed_grade="requires_improvement",
    )
    services.dispute_resolve(
        actor=people["qa_lead"].user,
        dispute=dispute,
        outcome=Dispute.Outcome.CHANGED,
        grade="requires_improvement",
        resolution="Agree: the difference for the child is not shown",
    )
    services.audit_confirm_oversight(actor=people["lead"].user, audit=audit, comment="Revised grade is right.")
    ServiceAreaName.objects.create(
        service_area=own_area, name="Families Together", valid_from=timezone.now() + timedelta(seconds=1)
    )
    own_area.name = "Families Together"
    own_area.save()
    return Audit.objects.get(pk=audit.pk)


def ready_document(audit, user, content=STUB_PDF):
    """A document as the worker leaves it, with a stand-in file (no WeasyPrint: fast)."""
    return AuditDocument.objects.create(
        audit=audit,
        requested_by=user,
        state=AuditDocument.State.READY,
        file=ContentFile(content, name=f"audit-{audit.pk}.pdf"),
        generated_at=timezone.now(),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def stored(document) -> bytes:
    return Path(document.file.path).read_bytes()


def status_of(client, url) -> int:
    """The status of a GET. A download is read to the end: the test client closes its file then."""
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    return response.status_code


def pdf_text(path) -> str:
    """The PDF's text as pdftotext reads it, with runs of white space made single spaces."""
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True)
    return " ".join(result.stdout.split())


def page_text(response) -> str:
    """The page as text to search: entities decoded ("auditor's", not "auditor&#x27;s"), spaces made single."""
    return " ".join(unescape(response.content.decode()).split())


# The printable page


def test_the_printable_page_shows_the_whole_record_of_the_audit(client, audit, people):
    client.force_login(people["lead"].user)

    response = client.get(reverse("audits:audit_print", args=[audit.pk]))

    assert response.status_code == 200
    html = page_text(response)
    for shown in (
        f"Audit of case {CASE}",
        "Social Work with Families",  # the area's name when the audit was made, not its name now
        "SWF East",
        "Monthly case audit",
        "Neglect",
        "30 Apr 2026 to 31 Oct 2026",
        "Ava Auditor",
        "Wes Worker",
        "SWF case audit, version 1",
        "Grade for planning",
        QUESTION,
        PLANNING_FINDING,
        "Requires Improvement",
        "Wants to stay at the same school.",
        "A warm, steady relationship with the worker.",
        "Make the plan specific and timed.",
        "Rewrite the plan with dates and owners",
        "Revised grade is right.",
        "Outcomes are not evidenced",
        "Agree: the difference for the child is not shown",
        "Oversight recorded",
    ):
        assert shown in html, f"{shown!r} is missing from the printable page"
    assert "Families Together" not in html


def test_the_printable_page_says_the_overall_grade_shown_is_the_one_a_resolved_dispute_changed_it_to(
    client, audit, people
):
    client.force_login(people["lead"].user)

    html = page_text(client.get(reverse("audits:audit_print", args=[audit.pk])))

    assert "As changed from Good to Requires Improvement when Quinn Lead resolved a dispute on" in html
    assert documents.AUDITOR_GRADE not in html
    assert documents.AREA_GRADES_SOURCE in html


def test_the_printable_page_says_the_grade_is_the_auditors_when_a_dispute_kept_it(
    client, people, own_area, own_team, tool_version
):
    audit = submitted(new_audit(people, own_area, own_team, tool_version), people)
    dispute = services.audit_dispute(actor=people["lead"].user, audit=audit, reason="Too generous")
    services.dispute_resolve(
        actor=people["qa_lead"].user, dispute=dispute, outcome=Dispute.Outcome.KEPT, resolution="Evidence supports it"
    )
    client.force_login(people["lead"].user)

    html = page_text(client.get(reverse("audits:audit_print", args=[audit.pk])))

    assert documents.AUDITOR_GRADE in html
    assert "As changed from" not in html


def test_the_printable_page_uses_the_print_stylesheet_and_no_inline_styles(client, audit, people):
    client.force_login(people["lead"].user)

    response = client.get(reverse("audits:audit_print", args=[audit.pk]))

    html = response.content.decode()
    assert f'href="{settings.STATIC_URL}css/audit-print.css"' in html
    assert not re.search(r"<style|\sstyle=", html, re.IGNORECASE)
    assert "style-src 'self'" in response["Content-Security-Policy"]


def test_the_audit_page_links_to_the_printable_page_and_offers_a_pdf(client, audit, people):
    client.force_login(people["worker"].user)

    html = client.get(audit.get_absolute_url()).content.decode()

    assert f'href="{reverse("audits:audit_print", args=[audit.pk])}"' in html
    assert f'action="{reverse("audits:audit_document_request", args=[audit.pk])}"' in html


# Building the PDF


def test_the_task_called_directly_makes_a_pdf_with_the_case_reference_questions_and_answers_and_no_name_of_a_child(
    audit, people, media_root
):
    document = AuditDocument.objects.create(audit=audit, requested_by=people["lead"].user)

    audit_document_build(document.pk)

    document.refresh_from_db()
    assert document.state == AuditDocument.State.READY and document.generated_at
    path = Path(document.file.path)
    assert path.parent == media_root / "audit-documents"
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    text = pdf_text(path)
    for shown in (CASE, "Social Work with Families", QUESTION, PLANNING_FINDING, "As changed from Good"):
        assert shown in text, f"{shown!r} is missing from the PDF"
    assert "Back to the audit" not in text  # the screen-only box stays out of the PDF
    # An audit holds a case reference, never a child's name: no field for one, no label for one.
    assert not [field.name for field in Audit._meta.get_fields() if "name" in field.name]
    assert not re.search(r"\bnames?\b", text, re.IGNORECASE)


def test_the_pdf_is_tagged_for_screen_readers_with_its_headings_tables_language_and_title(audit, people):
    pdf = accessibility(documents.audit_pdf(audit, made_by=people["lead"].user, made_at=timezone.now()))

    assert pdf.tagged and pdf.language == "en-GB"
    assert pdf.title == f"Audit of case {CASE}" and pdf.title_shown
    assert pdf.roles["H1"] == 1 and pdf.headings >= 4  # the record's title, its sections
    assert pdf.roles["Table"] >= 1 and pdf.roles["TH"] >= 2
    assert pdf.fonts_embedded
    assert pdf.figures_without_text == 0


def test_a_worker_on_redis_makes_the_pdf_once_it_is_asked_for(transactional_db, celery_worker, audit, people):  # noqa: F811
    document = documents.document_request(actor=people["lead"].user, audit=audit)

    def is_ready():
        document.refresh_from_db()
        return document.state == AuditDocument.State.READY

    assert wait_for(is_ready, timeout=60), f"the worker left the document {document.state} after 60 s"
    assert Path(document.file.path).read_bytes().startswith(b"%PDF")
    assert CASE in pdf_text(document.file.path)


def test_a_build_that_keeps_failing_is_tried_four_times_then_the_document_is_marked_failed(audit, people):
    document = AuditDocument.objects.create(audit=audit, requested_by=people["lead"].user)

    with patch("audits.documents.render_pdf", side_effect=OSError("out of memory")) as render:
        audit_document_build.apply(args=[document.pk])

    assert render.call_count == 1 + MAX_RETRIES
    document.refresh_from_db()
    assert document.state == AuditDocument.State.FAILED
    assert not document.file and not document.sha256


def test_a_build_that_fails_once_is_tried_again_and_the_document_is_made(audit, people):
    document = AuditDocument.objects.create(audit=audit, requested_by=people["lead"].user)

    with patch("audits.documents.render_pdf", side_effect=[OSError("font cache busy"), STUB_PDF]) as render:
        audit_document_build.apply(args=[document.pk])

    assert render.call_count == 2
    document.refresh_from_db()
    assert document.state == AuditDocument.State.READY
    assert stored(document) == STUB_PDF


def test_a_document_already_made_is_not_made_again_when_the_task_comes_twice(audit, people):
    document = ready_document(audit, people["lead"].user)

    with patch("audits.documents.render_pdf") as render:
        audit_document_build(document.pk)

    render.assert_not_called()
    document.refresh_from_db()
    assert stored(document) == STUB_PDF


# Asking for the PDF, following it, downloading it


def test_asking_for_a_pdf_adds_a_queued_document_and_queues_the_build_after_commit_without_rendering_it(
    client, audit, people, django_capture_on_commit_callbacks
):
    client.force_login(people["lead"].user)
    url = reverse("audits:audit_document_request", args=[audit.pk])

    with (
        patch("audits.documents.render_pdf") as render,
        patch("weasyprint.HTML") as weasyprint_html,
        patch("audits.tasks.audit_document_build.delay") as queue,
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.post(url)

        document = AuditDocument.objects.get()
        assert response.status_code == 302 and response.url == document.get_absolute_url()
        assert (document.state, document.requested_by, bool(document.file)) == (
            AuditDocument.State.QUEUED,
            people["lead"].user,
            False,
        )
        render.assert_not_called()
        weasyprint_html.assert_not_called()
        queue.assert_not_called()  # not before the row is committed: the worker could not see it

        for callback in callbacks:
            callback()
        queue.assert_called_once_with(document.pk)
        render.assert_not_called()


def test_asking_for_a_pdf_while_redis_is_down_still_answers_and_the_sweep_builds_it_later(
    client, audit, people, django_capture_on_commit_callbacks
):
    client.force_login(people["lead"].user)
    url = reverse("audits:audit_document_request", args=[audit.pk])
    down = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with (
        patch("audits.tasks.audit_document_build.delay", side_effect=down) as queue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(url)

    queue.assert_called_once()
    document = AuditDocument.objects.get()
    assert response.status_code == 302 and document.state == AuditDocument.State.QUEUED
    assert documents.documents_stranded() == []  # not yet: its own task may still come

    AuditDocument.objects.filter(pk=document.pk).update(requested_at=timezone.now() - timedelta(minutes=6))
    assert documents.documents_stranded() == [document.pk]
    with patch("audits.documents.render_pdf", return_value=STUB_PDF):
        assert build_stranded_files() == 1
        assert build_stranded_files() == 0  # safe to run again
    document.refresh_from_db()
    assert document.state == AuditDocument.State.READY and stored(document) == STUB_PDF


def test_asking_for_a_pdf_without_the_csrf_token_is_refused(audit, people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["lead"].user)

    response = client.post(reverse("audits:audit_document_request", args=[audit.pk]))

    assert response.status_code == 403
    assert not AuditDocument.objects.exists()


def test_the_status_block_asks_again_every_2s_while_the_pdf_is_made_and_stops_once_it_is_ready(client, audit, people):
    document = AuditDocument.objects.create(audit=audit, requested_by=people["lead"].user)
    client.force_login(people["lead"].user)
    url = document.get_absolute_url()

    page = client.get(url).content.decode()
    queued = client.get(url, headers={"HX-Request": "true"}).content.decode()
    AuditDocument.objects.filter(pk=document.pk).update(
        state=AuditDocument.State.READY, file="audit-documents/made.pdf", generated_at=timezone.now(), sha256="ab" * 32
    )
    ready = client.get(url, headers={"HX-Request": "true"}).content.decode()

    assert "<html" in page and 'hx-trigger="every 2s"' in page
    assert "<html" not in queued
    assert 'hx-trigger="every 2s"' in queued and f'hx-get="{url}"' in queued
    assert "hx-trigger" not in ready and "hx-get" not in ready
    assert f'href="{reverse("audits:audit_document_download", args=[audit.pk, document.pk])}"' in ready


def test_a_failed_pdf_stops_the_polling_and_offers_to_try_again(client, audit, people):
    document = AuditDocument.objects.create(audit=audit, requested_by=people["lead"].user)
    documents.document_fail(document_id=document.pk)
    client.force_login(people["lead"].user)

    html = client.get(document.get_absolute_url(), headers={"HX-Request": "true"}).content.decode()

    assert "hx-trigger" not in html
    assert "could not be made" in html
    assert f'action="{reverse("audits:audit_document_request", args=[audit.pk])}"' in html


def test_the_download_streams_the_pdf_as_an_attachment_that_is_not_cached(client, audit, people):
    document = ready_document(audit, people["lead"].user)
    client.force_login(people["worker"].user)

    response = client.get(reverse("audits:audit_document_download", args=[audit.pk, document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == STUB_PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="audit-{audit.pk}-case-{CASE}.pdf"'
    assert "no-store" in response["Cache-Control"]


def test_the_file_is_not_served_at_a_media_url(client, audit, people):
    document = ready_document(audit, people["lead"].user)
    client.force_login(people["lead"].user)

    response = client.get(f"{settings.MEDIA_URL}{document.file.name}")

    assert response.status_code == 404


def test_a_pdf_still_being_made_cannot_be_downloaded(client, audit, people):
    document = AuditDocument.objects.create(audit=audit, requested_by=people["lead"].user)
    client.force_login(people["lead"].user)

    response = client.get(reverse("audits:audit_document_download", args=[audit.pk, document.pk]))

    assert response.status_code == 404


def test_a_document_is_found_only_under_its_own_audit(client, audit, people, own_area, own_team, tool_version):
    other = new_audit(people, own_area, own_team, tool_version, reference="C-555")
    document = ready_document(other, people["lead"].user)
    client.force_login(people["lead"].user)

    for name in ("audits:audit_document", "audits:audit_document_download"):
        response = client.get(reverse(name, args=[audit.pk, document.pk]))
        assert response.status_code == 404, name


# Who may see them


def _urls(audit, document):
    return {
        "print": reverse("audits:audit_print", args=[audit.pk]),
        "document": reverse("audits:audit_document", args=[audit.pk, document.pk]),
        "download": reverse("audits:audit_document_download", args=[audit.pk, document.pk]),
    }


def test_the_case_holder_may_print_follow_and_download_the_pdf_of_their_audit(client, audit, people):
    document = ready_document(audit, people["lead"].user)
    client.force_login(people["worker"].user)

    statuses = {what: status_of(client, url) for what, url in _urls(audit, document).items()}
    asked = client.post(reverse("audits:audit_document_request", args=[audit.pk]))

    assert statuses == {"print": 200, "document": 200, "download": 200}
    assert asked.status_code == 302


def test_a_practitioner_who_is_not_the_case_holder_gets_not_found_for_anothers_audit(client, audit, people):
    document = ready_document(audit, people["lead"].user)
    client.force_login(people["stranger"].user)

    statuses = {what: status_of(client, url) for what, url in _urls(audit, document).items()}
    asked = client.post(reverse("audits:audit_document_request", args=[audit.pk]))

    assert statuses == {"print": 404, "document": 404, "download": 404}
    assert asked.status_code == 404
    assert AuditDocument.objects.count() == 1


def test_an_anonymous_visitor_is_sent_to_sign_in(client, audit, people):
    document = ready_document(audit, people["lead"].user)
    request_url = reverse("audits:audit_document_request", args=[audit.pk])

    for url in [*_urls(audit, document).values(), request_url]:
        response = client.post(url) if url == request_url else client.get(url)
        assert response.status_code == 302, url
        assert response.url == f"{reverse('login')}?next={url}"
    assert AuditDocument.objects.count() == 1


def test_the_request_for_a_pdf_takes_only_post(client, audit, people):
    client.force_login(people["lead"].user)

    response = client.get(reverse("audits:audit_document_request", args=[audit.pk]))

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert not AuditDocument.objects.exists()


def test_pdfs_older_than_the_retention_period_are_deleted_with_their_files(audit, people):
    old = ready_document(audit, people["lead"].user)
    recent = ready_document(audit, people["lead"].user)
    old_path = Path(old.file.path)
    AuditDocument.objects.filter(pk=old.pk).update(
        requested_at=timezone.now() - documents.DOCUMENT_RETENTION - timedelta(minutes=1)
    )

    assert documents.documents_purge() == 1

    assert not AuditDocument.objects.filter(pk=old.pk).exists() and not old_path.exists()
    assert AuditDocument.objects.filter(pk=recent.pk).exists() and Path(recent.file.path).exists()
    assert Audit.objects.filter(pk=audit.pk).exists()


# The PDF from the audit's page: its progress, then its download, on that page


def test_the_audit_page_asks_for_the_pdf_in_place_with_a_live_region(client, audit, people):
    client.force_login(people["worker"].user)

    html = client.get(audit.get_absolute_url()).content.decode()

    asked = reverse("audits:audit_document_request", args=[audit.pk])
    assert f'hx-post="{asked}" hx-target="#audit-pdf" hx-swap="innerHTML"' in html
    assert '<div id="audit-pdf" class="mb-3" aria-live="polite"></div>' in html and "js/downloads.js" in html


def test_asking_by_htmx_answers_the_status_block_that_polls_then_starts_the_download(client, audit, people):
    client.force_login(people["worker"].user)

    with patch("audits.tasks.audit_document_build.delay"):
        answer = client.post(reverse("audits:audit_document_request", args=[audit.pk]), headers={"HX-Request": "true"})
    document = AuditDocument.objects.get()
    status_url = document.get_absolute_url()
    AuditDocument.objects.filter(pk=document.pk).update(
        state=AuditDocument.State.READY, file="audits/a.pdf", generated_at=timezone.now(), sha256="ab" * 32
    )
    polled = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    page = client.get(status_url).content.decode()

    html = answer.content.decode()
    assert answer.status_code == 200 and "<html" not in html
    assert f'hx-get="{status_url}" hx-trigger="every 2s"' in html and "The PDF is being made" in html
    download = reverse("audits:audit_document_download", args=[audit.pk, document.pk])
    assert f'data-download-now="{download}"' in polled and "hx-trigger" not in polled
    assert f'href="{download}" download' in page and "data-download-now" not in page  # opened ready: no surprise


def test_the_pdfs_page_takes_only_get(client, audit, people):
    document = ready_document(audit, people["worker"].user)
    client.force_login(people["worker"].user)

    assert client.post(document.get_absolute_url()).status_code == 405
