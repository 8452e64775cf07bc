"""Every file the portal keeps, on S3-compatible storage (FILE_STORAGE=s3) against a real S3 server on
loopback (tests/ops/conftest.py): each kind is stored in the bucket and nowhere on the local disk,
handed over only through its view with the same access checks as on the local disk, kept private in
the bucket, and deleted from it by the purges."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audits.documents import DOCUMENT_RETENTION
from audits.models import Case, CaseImport
from audits.tasks import purge_old_audit_documents
from performance.models import PerformancePack
from quality.security import checked_uploads
from quality.security.models import AccessRecord, CheckedUpload
from quality.security.tasks import purge_expired_checked_uploads
from tests.audits.test_documents import audit, people  # noqa: F401 (fixtures)
from tests.audits.test_documents import ready_document as ready_audit_document
from tests.reports.test_documents import make_report
from tests.reports.test_documents import ready_document as ready_report_document
from tests.security.test_checked_uploads import CASES_URL, case_file, check, token_on

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


def pdf_bytes(what: str) -> bytes:
    """A small file that says what it is: each test's bytes differ, so a mix-up cannot pass."""
    return f"%PDF-1.7\n% {what}, kept on S3\n".encode()


def download(client: Client, url: str) -> tuple[int, bytes]:
    """A GET's status and body; a streamed download is read to the end (the client then closes it)."""
    response = client.get(url)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, content


def files_under(folder) -> list:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def as_user(person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


# -- each kind of file, stored in the bucket and handed over through its view ------------------


def test_an_audit_pdf_on_s3_is_downloaded_through_its_view_by_those_who_may_see_the_audit_only(
    s3_storage,
    audit,  # noqa: F811
    people,  # noqa: F811
    media_root,
):
    content = pdf_bytes("an audit's record")
    document = ready_audit_document(audit, people["lead"].user, content=content)
    url = reverse("audits:audit_document_download", args=[audit.pk, document.pk])

    assert s3_storage.keys() == {document.file.name} and document.file.name.startswith("audit-documents/")
    assert s3_storage.read(document.file.name) == content
    assert files_under(media_root) == []
    assert download(as_user(people["worker"]), url) == (200, content)  # the case holder
    assert download(as_user(people["stranger"]), url)[0] == 404  # a practitioner who is not


def test_a_performance_pack_on_s3_is_downloaded_through_its_view_by_scorecard_readers_only(
    s3_storage, performance_officer, head_of_service, practitioner, media_root
):
    content = pdf_bytes("the October pack")
    made = PerformancePack.objects.create(
        period=date(2026, 10, 1),
        requested_by=performance_officer.user,
        state=PerformancePack.State.READY,
        file=ContentFile(content, name="performance-pack-2026-10.pdf"),
        generated_at=timezone.now(),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    url = reverse("performance:pack_download", args=[made.pk])

    assert s3_storage.keys() == {made.file.name} and made.file.name.startswith("performance-packs/")
    assert files_under(media_root) == []
    assert download(as_user(head_of_service), url) == (200, content)
    assert download(as_user(practitioner), url)[0] == 403


def test_a_reports_pdf_and_workbook_on_s3_are_downloaded_through_their_views_by_its_readers_only(
    s3_storage, qa_lead, head_of_service, practitioner, own_area, other_area, media_root
):
    report = make_report({"qa_lead": qa_lead}, own_area, other_area)
    pdf = ready_report_document(report, head_of_service.user, "pdf", pdf_bytes("the report"))
    workbook = ready_report_document(report, head_of_service.user, "xlsx", b"PK\x03\x04 the report's workbook")

    assert s3_storage.keys() == {pdf.file.name, workbook.file.name}
    assert files_under(media_root) == []
    for name, document in (("report_pdf", pdf), ("report_xlsx", workbook)):
        url = reverse(f"reports:{name}", kwargs={"pk": report.pk})
        assert download(as_user(head_of_service), url) == (200, s3_storage.read(document.file.name)), name
        assert download(as_user(practitioner), url)[0] == 403, name


def test_a_checked_upload_on_s3_is_loaded_by_the_person_who_checked_it_only_and_then_goes(
    client, s3_storage, qa_lead, qa_officer, practice_manager, media_root
):
    client.force_login(qa_lead.user)
    token = token_on(check(client, CASES_URL, case_file(practice_manager, "C-1001", "C-1002")))
    kept = CheckedUpload.objects.get(token=token)
    assert s3_storage.keys() == {f"checked-uploads/{token}"} and kept.file.name == f"checked-uploads/{token}"
    assert files_under(media_root) == []

    refused = as_user(qa_officer).post(CASES_URL, {"checked": token, "mode": "import"})
    assert checked_uploads.NOT_KEPT in refused.content.decode() and not Case.objects.exists()

    loaded = client.post(CASES_URL, {"checked": token, "mode": "import"})
    assert loaded.status_code == 302 and CaseImport.objects.get().rows == 2
    assert s3_storage.keys() == set()  # loaded: nobody needs it again


def test_a_checked_upload_whose_object_has_gone_from_the_bucket_is_asked_for_again(s3_storage, qa_lead):
    kept = checked_uploads.upload_keep(owner=qa_lead.user, kind="case_list", content=b"a,b\n", file_name="list.csv")
    s3_storage.server.client().delete_object(Bucket=s3_storage.name, Key=kept.file.name)

    assert checked_uploads.kept_file(owner=qa_lead.user, kind="case_list", token=kept.token) is None


# -- private, and never overwritten ---------------------------------------------------------


def test_the_objects_are_private_an_unsigned_get_is_refused(s3_storage):
    name = default_storage.save("audit-documents/record.pdf", ContentFile(pdf_bytes("a record")))
    unsigned = f"{s3_storage.server.endpoint}/{s3_storage.name}/{name}"

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=5)

    assert refused.value.code == 403
    grants = s3_storage.server.client().get_object_acl(Bucket=s3_storage.name, Key=name)["Grants"]
    assert [(grant["Grantee"]["Type"], grant["Permission"]) for grant in grants] == [("CanonicalUser", "FULL_CONTROL")]
    # The same object with a signature is there: the refusal is the bucket's privacy, not a wrong address.
    with urllib.request.urlopen(default_storage.url(name), timeout=5) as signed:
        assert signed.read() == pdf_bytes("a record")


def test_two_files_saved_under_the_same_name_are_both_kept(s3_storage):
    first = default_storage.save("performance-packs/pack.pdf", ContentFile(pdf_bytes("first")))
    second = default_storage.save("performance-packs/pack.pdf", ContentFile(pdf_bytes("second")))

    assert first == "performance-packs/pack.pdf" and second != first
    assert s3_storage.read(first) == pdf_bytes("first") and s3_storage.read(second) == pdf_bytes("second")


# -- the purges delete from the bucket ----------------------------------------------------------


def test_the_audit_pdf_purge_deletes_old_pdfs_from_the_bucket_and_keeps_recent_ones(
    s3_storage,
    audit,  # noqa: F811
    people,  # noqa: F811
):
    old = ready_audit_document(audit, people["lead"].user, content=pdf_bytes("an old copy"))
    recent = ready_audit_document(audit, people["lead"].user, content=pdf_bytes("a recent copy"))
    type(old).objects.filter(pk=old.pk).update(requested_at=timezone.now() - DOCUMENT_RETENTION - timedelta(minutes=1))
    assert s3_storage.keys() == {old.file.name, recent.file.name}

    assert purge_old_audit_documents() == 1

    assert s3_storage.keys() == {recent.file.name}


def test_the_checked_upload_purge_deletes_expired_files_from_the_bucket(s3_storage, qa_lead):
    expired = checked_uploads.upload_keep(owner=qa_lead.user, kind="case_list", content=b"a\n", file_name="a.csv")
    fresh = checked_uploads.upload_keep(owner=qa_lead.user, kind="kpi_values", content=b"b\n", file_name="b.csv")
    CheckedUpload.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert purge_expired_checked_uploads() == 1

    assert s3_storage.keys() == {fresh.file.name}


def test_with_the_default_local_storage_the_same_code_keeps_the_file_under_media_root(media_root, qa_lead):
    kept = checked_uploads.upload_keep(owner=qa_lead.user, kind="case_list", content=b"a\n", file_name="a.csv")

    assert (media_root / kept.file.name).read_bytes() == b"a\n"


# -- a file the storage no longer has -----------------------------------------------------------


def test_a_built_file_missing_from_the_bucket_is_a_404_and_its_row_offers_to_make_it_again(
    s3_storage,
    audit,  # noqa: F811
    people,  # noqa: F811
    performance_officer,
    head_of_service,
    qa_lead,
    own_area,
    other_area,
):
    """Removed by hand, a bucket emptied or pointed elsewhere: no server error, no access recorded for a
    download that did not happen, and the row is failed, so its page offers to make the file again."""
    audit_pdf = ready_audit_document(audit, people["lead"].user, content=pdf_bytes("an audit's record"))
    made = PerformancePack.objects.create(
        period=date(2026, 10, 1),
        requested_by=performance_officer.user,
        state=PerformancePack.State.READY,
        file=ContentFile(pdf_bytes("the October pack"), name="performance-pack-2026-10.pdf"),
        generated_at=timezone.now(),
    )
    report = make_report({"qa_lead": qa_lead}, own_area, other_area)
    report_pdf = ready_report_document(report, head_of_service.user, "pdf", pdf_bytes("the report"))
    downloads = [
        (audit_pdf, people["worker"], reverse("audits:audit_document_download", args=[audit.pk, audit_pdf.pk])),
        (made, head_of_service, reverse("performance:pack_download", args=[made.pk])),
        (report_pdf, head_of_service, reverse("reports:report_pdf", kwargs={"pk": report.pk})),
    ]
    for row, _, _ in downloads:
        default_storage.delete(row.file.name)
    recorded = AccessRecord.objects.count()

    for row, reader, url in downloads:
        assert download(as_user(reader), url)[0] == 404, url
        row.refresh_from_db()
        assert row.state == row.State.FAILED, url
    assert AccessRecord.objects.count() == recorded
