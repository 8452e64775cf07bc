"""A file checked with "Check only" is kept so that "Load this file" loads it without choosing it again
(quality/security/checked_uploads.py): for its owner and its kind of upload only, until it expires,
unchanged, and loaded all or nothing after a second check. Shown with the case list, the KPI values
and the catalogue uploads."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from freezegun import freeze_time

from audits.cycle import case_import as ci
from audits.models import Case, CaseImport
from performance import catalogue as cat
from performance import loads as ld
from performance.catalogue import indicator_create
from performance.models import Indicator, KpiValue
from quality.org.models import Role
from quality.security import checked_uploads
from quality.security.models import CheckedUpload
from quality.security.tasks import purge_expired_checked_uploads

pytestmark = pytest.mark.django_db

CASES_URL = "/cases/import/"
VALUES_URL = "/performance/loads/upload/"
CATALOGUE_URL = "/performance/catalogue/import/"
NOW = "2026-11-23 10:00:00"


@pytest.fixture(autouse=True)
def frozen():
    with freeze_time(NOW) as clock:
        yield clock


def as_csv(columns, rows, name) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="")
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode(), content_type="text/csv")


def case_file(practice_manager, *refs, name="annex-a.csv") -> SimpleUploadedFile:
    rows = [
        {
            "child_ref": ref,
            "service_area": "SWF",
            "manager_email": practice_manager.user.email,
            "legal_status": "cp",
            "open_since": "2025-03-14",
        }
        for ref in refs
    ]
    return as_csv([*ci.REQUIRED_COLUMNS, *ci.OPTIONAL_COLUMNS], rows, name)


def token_on(page: str) -> str:
    [token] = re.findall(r'name="checked" value="([^"]+)"', page)
    return token


def check(client, url, upload, **fields) -> str:
    response = client.post(url, {"file": upload, "mode": "check", **fields})
    assert response.status_code == 200
    return response.content.decode()


# -- the case list --------------------------------------------------------------------------


def test_check_only_keeps_the_file_and_offers_to_load_it(client, qa_lead, practice_manager):
    client.force_login(qa_lead.user)

    page = check(client, CASES_URL, case_file(practice_manager, "C-1001"))

    kept = CheckedUpload.objects.get()
    assert (kept.owner, kept.kind, kept.file_name) == (qa_lead.user, "case_list", "annex-a.csv")
    assert kept.expires_at == kept.checked_at + checked_uploads.KEPT_FOR
    assert "annex-a" not in kept.file.name  # stored under the token, not the person's file name
    assert token_on(page) == kept.token and "Load this file" in page
    assert not Case.objects.exists()


def test_the_kept_file_name_is_shown_as_text(client, qa_lead, practice_manager):
    # The file name is the one field of a kept file a person chose; the payload crawl leaves it to
    # this test because a kept file is only ever shown in the reply to its own check.
    client.force_login(qa_lead.user)
    name = '<b data-probe="name" hx-post="x">annex.csv'  # no slash: the upload keeps only the last part

    page = check(client, CASES_URL, case_file(practice_manager, "C-1001", name=name))

    assert CheckedUpload.objects.get().file_name == name
    assert "&lt;b data-probe=&quot;name&quot; hx-post=&quot;x&quot;&gt;annex.csv is kept for you" in page
    assert "<b data-probe" not in page


def test_load_this_file_imports_the_kept_file_without_choosing_it_again(client, qa_lead, practice_manager):
    client.force_login(qa_lead.user)
    token = token_on(check(client, CASES_URL, case_file(practice_manager, "C-1001", "C-1002")))

    response = client.post(CASES_URL, {"checked": token, "mode": "import"})

    assert response.status_code == 302 and response.url == "/cases/"
    assert set(Case.objects.values_list("child_ref", flat=True)) == {"C-1001", "C-1002"}
    assert CaseImport.objects.get().file_name == "annex-a.csv"
    assert not CheckedUpload.objects.exists()  # loaded: not kept any longer


def test_the_kept_file_is_refused_to_another_person(client, qa_lead, qa_officer, practice_manager):
    client.force_login(qa_lead.user)
    token = token_on(check(client, CASES_URL, case_file(practice_manager, "C-1001")))
    other = Client()
    other.force_login(qa_officer.user)

    response = other.post(CASES_URL, {"checked": token, "mode": "import"})

    assert response.status_code == 200
    assert checked_uploads.NOT_KEPT in response.content.decode()
    assert not Case.objects.exists() and CheckedUpload.objects.filter(token=token).exists()
    assert 'name="file"' in response.content.decode()  # to choose the file again


def test_the_kept_file_is_refused_once_expired(client, qa_lead, practice_manager, frozen):
    client.force_login(qa_lead.user)
    token = token_on(check(client, CASES_URL, case_file(practice_manager, "C-1001")))
    frozen.tick(checked_uploads.KEPT_FOR + timedelta(seconds=1))
    client.force_login(qa_lead.user)

    response = client.post(CASES_URL, {"checked": token, "mode": "import"})

    assert checked_uploads.NOT_KEPT in response.content.decode() and not Case.objects.exists()
    assert purge_expired_checked_uploads() == 1
    assert not CheckedUpload.objects.exists()


def test_a_kept_file_of_another_kind_is_not_loaded_here(client, qa_lead, practice_manager):
    """A token is good for the upload it was checked on only."""
    client.force_login(qa_lead.user)
    token = token_on(check(client, CASES_URL, case_file(practice_manager, "C-1001")))
    CheckedUpload.objects.filter(token=token).update(kind=CheckedUpload.Kind.KPI_VALUES)

    response = client.post(CASES_URL, {"checked": token, "mode": "import"})

    assert checked_uploads.NOT_KEPT in response.content.decode() and not Case.objects.exists()


def test_a_kept_file_changed_since_the_check_is_refused(client, qa_lead, practice_manager):
    client.force_login(qa_lead.user)
    token = token_on(check(client, CASES_URL, case_file(practice_manager, "C-1001")))
    kept = CheckedUpload.objects.get()
    with open(kept.file.path, "ab") as stored:
        stored.write(b"C-9999,SWF,,,x@council.example,cp,2025-03-14\r\n")

    response = client.post(CASES_URL, {"checked": token, "mode": "import"})

    assert checked_uploads.NOT_KEPT in response.content.decode() and not Case.objects.exists()


def test_the_load_checks_the_file_again_and_refuses_it_whole(client, qa_lead, practice_manager):
    """The data may change between the check and the load: the manager named in the file leaves."""
    client.force_login(qa_lead.user)
    token = token_on(check(client, CASES_URL, case_file(practice_manager, "C-1001", "C-1002")))
    practice_manager.user.email = "moved@council.example"
    practice_manager.user.save()

    response = client.post(CASES_URL, {"checked": token, "mode": "import"})

    assert response.status_code == 200 and response.context["errors"]
    assert not Case.objects.exists() and not CaseImport.objects.exists()
    assert not CheckedUpload.objects.exists()  # a refused file is not offered again


def test_checking_again_keeps_only_the_newest_file(client, qa_lead, practice_manager):
    client.force_login(qa_lead.user)
    first = token_on(check(client, CASES_URL, case_file(practice_manager, "C-1001")))
    second = token_on(check(client, CASES_URL, case_file(practice_manager, "C-1002", name="b.csv")))

    assert list(CheckedUpload.objects.values_list("token", flat=True)) == [second] and first != second
    client.post(CASES_URL, {"checked": second, "mode": "import"})
    assert list(Case.objects.values_list("child_ref", flat=True)) == ["C-1002"]


def test_a_refused_check_keeps_nothing(client, qa_lead, practice_manager):
    client.force_login(qa_lead.user)
    bad = as_csv([*ci.REQUIRED_COLUMNS], [{"child_ref": "C-1", "service_area": "NOPE"}], "bad.csv")

    page = check(client, CASES_URL, bad)

    assert "The file was refused" in page and "Load this file" not in page
    assert not CheckedUpload.objects.exists()


def test_loading_the_kept_file_takes_a_post(client, qa_lead, practice_manager):
    client.force_login(qa_lead.user)
    token = token_on(check(client, CASES_URL, case_file(practice_manager, "C-1001")))

    response = client.get(CASES_URL, {"checked": token, "mode": "import"})

    assert response.status_code == 200 and not Case.objects.exists()
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(qa_lead.user)
    assert csrf_client.post(CASES_URL, {"checked": token, "mode": "import"}).status_code == 403
    assert not Case.objects.exists()


# -- the KPI values and the catalogue --------------------------------------------------------


def test_kpi_values_load_from_the_checked_file(client, performance_officer):
    indicator_create(
        actor=None, code="M1", title="Indicator M1", priority_area="Area", unit="count", polarity="neutral"
    )
    client.force_login(performance_officer.user)
    values = as_csv(
        [*ld.REQUIRED_COLUMNS, *ld.OPTIONAL_COLUMNS],
        [{"indicator": "M1", "period": "2026-10", "value": "12"}],
        "oct.csv",
    )
    token = token_on(check(client, VALUES_URL, values))

    response = client.post(VALUES_URL, {"checked": token, "mode": "import"})

    assert response.status_code == 302
    assert KpiValue.objects.get(is_current=True).value == 12
    assert not CheckedUpload.objects.exists()


def test_the_catalogue_loads_from_the_checked_file_for_the_year_checked(client, performance_officer):
    client.force_login(performance_officer.user)
    year = cat.current_reporting_year()
    rows = [{"code": "M9", "title": "Indicator M9", "priority_area": "Area", "unit": "count", "polarity": "neutral"}]
    catalogue_file = as_csv([*cat.REQUIRED_COLUMNS], rows, "catalogue.csv")
    page = check(client, CATALOGUE_URL, catalogue_file, year=year)
    assert f'name="year" value="{year}"' in page

    response = client.post(CATALOGUE_URL, {"checked": token_on(page), "year": year, "mode": "import"})

    assert response.status_code == 302 and Indicator.objects.filter(code="M9").exists()


def test_a_case_list_token_does_not_load_kpi_values(client, qa_lead, practice_manager, performance_officer):
    client.force_login(qa_lead.user)
    token = token_on(check(client, CASES_URL, case_file(practice_manager, "C-1001")))
    officer = Client()
    officer.force_login(performance_officer.user)

    response = officer.post(VALUES_URL, {"checked": token, "mode": "import"})

    assert checked_uploads.NOT_KEPT in response.content.decode() and not KpiValue.objects.exists()


def test_role_is_still_required_to_load_a_kept_file(client, qa_lead, practice_manager, make_person, own_area):
    client.force_login(qa_lead.user)
    token = token_on(check(client, CASES_URL, case_file(practice_manager, "C-1001")))
    outsider = make_person(Role.PRACTITIONER, own_area)
    client.force_login(outsider.user)

    assert client.post(CASES_URL, {"checked": token, "mode": "import"}).status_code in (403, 404)
    assert not Case.objects.exists()
