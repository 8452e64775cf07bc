"""A report's practice theme counts link to the audit list filtered by the theme and the report's period
(issue 15, bounded documents): the list holds exactly the audits counted (among those the person may
see), the figures and the files hold no audit ids and do not grow with the number of audits, an older
report whose figures still hold ids renders without them, and the report page's queries do not grow.

October 2026, the theme Chronology ("chronolog"):

    counted     SWF  C1 C2 in the strengths, C3 in a narrative answer, C4 submitted 00:30 on 1 October
                     in London (23:30 on 30 September in UTC), C5 imported, completed on 15 October
                     though loaded in November
                PTC  P1 P2
    not counted SWF  N1 no mention; D1 a draft mentioning it; S1 completed in September (the previous
                     period); L1 completed in November
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from audits.models import Answer, Audit, Question
from quality.reports import outputs
from quality.reports.models import PracticeTheme, Report
from tests.moderation.outcome_world import published_version

from .test_services import AuditMaker, generated, queued

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

PORTAL = "https://quality.council.example"
NO_MENTION = {"strengths": "A strong plan.", "areas_for_improvement": "Dates on the plan."}
OLD_IDS = [987651, 987652, 987653]  # ids an older report's figures held; no audit has them


@pytest.fixture
def portal(settings):
    settings.PORTAL_URL = PORTAL


@pytest.fixture
def chronology(db) -> PracticeTheme:
    return PracticeTheme.objects.create(name="Chronology", key_phrases=["chronolog"], order=1)


@pytest.fixture
def version(db):
    return published_version()


@pytest.fixture
def october(version, chronology, practice_manager, other_manager, own_area, other_area) -> dict[str, Audit]:
    swf, ptc = AuditMaker(version, practice_manager, own_area), AuditMaker(version, other_manager, other_area)
    PracticeTheme.objects.create(name="Visiting", key_phrases=["visit"], order=2)
    made = {
        "C1": swf(date(2026, 10, 2), strengths="A clear chronology."),
        "C2": swf(date(2026, 10, 9), areas_for_improvement="Update the CHRONOLOGY."),
        "C3": swf(date(2026, 10, 12), **NO_MENTION),
        "C4": swf(date(2026, 10, 14), strengths="Chronological notes."),
        "C5": swf(date(2026, 11, 3), strengths="Chronology kept.", completed_on=date(2026, 10, 15)),
        "P1": ptc(date(2026, 10, 21), strengths="PTC chronology kept."),
        "P2": ptc(date(2026, 10, 30), child_family_views="They read my chronology with me."),
        "N1": swf(date(2026, 10, 5), **NO_MENTION),
        "D1": swf(date(2026, 10, 6), strengths="A chronology, in a draft."),
        "S1": swf(date(2026, 9, 29), strengths="Chronology in September."),
        "L1": swf(date(2026, 11, 2), strengths="Chronology in November."),
    }
    question = Question.objects.filter(section__version=version, type=Question.Type.NARRATIVE).first()
    assert question is not None
    Answer.objects.create(audit=made["C3"], question=question, value="The chronology was thorough.")
    Audit.objects.filter(pk=made["C4"].pk).update(submitted_at=datetime(2026, 9, 30, 23, 30, tzinfo=UTC))
    Audit.objects.filter(pk=made["D1"].pk).update(state=Audit.State.DRAFT)
    return made


COUNTED = {"C1", "C2", "C3", "C4", "C5", "P1", "P2"}


def published(qa_lead, kind: str = "monthly", period: str = "2026-10") -> Report:
    from quality.reports import services

    return services.report_publish(actor=qa_lead.user, report=generated(queued(kind=kind, period=period)))


def theme_row(figures: dict, name: str) -> dict:
    return next(theme for theme in figures["themes"] if theme["name"] == name)


def link_on_page(client: Client, report: Report, theme: str) -> str:
    response = client.get(report.get_absolute_url())
    assert response.status_code == 200
    row = re.search(rf'<tr data-theme="{theme}">(.*?)</tr>', response.content.decode(), re.S).group(1)
    return unescape(re.search(r'<a href="([^"]+)" data-theme-audits>', row).group(1))


def listed(client: Client, url: str, audits: dict[str, Audit]) -> tuple[set[str], int]:
    """The audits a list shows (by their names in this module) and the count it gives."""
    response = client.get(f"{url}&per_page=100")
    assert response.status_code == 200
    names = {audit.pk: name for name, audit in audits.items()}
    table = response.context["table"]
    shown = {names[row.record.pk] for row in table.page.object_list}
    count = table.paginator.count
    assert f"{count} audit{'s' if count != 1 else ''} match" in response.content.decode()
    return shown, count


# ---------------------------------------------------------------------------------------
# The link opens the audits behind the count


def test_the_figures_hold_the_themes_id_and_counts_and_no_audit_ids(october, qa_lead, chronology):
    report = published(qa_lead)

    assert theme_row(report.figures, "Chronology") == {
        "theme_id": chronology.pk,
        "name": "Chronology",
        "count": len(COUNTED),
        "previous_count": 1,  # S1
        "change": len(COUNTED) - 1,
    }
    assert "audit_ids" not in json.dumps(report.figures)


def test_a_qa_leads_theme_link_lists_exactly_the_audits_counted(client, october, qa_lead, chronology):
    report = published(qa_lead)
    client.force_login(qa_lead.user)

    url = link_on_page(client, report, "Chronology")
    shown, count = listed(client, url, october)

    assert url == f"/audits/area/?practice_theme={chronology.pk}&completed_from=2026-10-01&completed_to=2026-10-31"
    assert shown == COUNTED
    assert count == theme_row(report.figures, "Chronology")["count"] == 7


def test_a_service_leads_theme_link_lists_the_counted_audits_of_their_own_areas(client, october, qa_lead, service_lead):
    report = published(qa_lead)
    client.force_login(service_lead.user)

    shown, count = listed(client, link_on_page(client, report, "Chronology"), october)

    assert shown == {"C1", "C2", "C3", "C4", "C5"}
    assert count == 5


def test_an_annual_reports_link_covers_its_year(client, october, qa_lead, chronology):
    report = published(qa_lead, kind="annual", period="2026")
    client.force_login(qa_lead.user)

    url = link_on_page(client, report, "Chronology")
    shown, count = listed(client, url, october)

    assert url.endswith("&completed_from=2026-01-01&completed_to=2026-12-31")
    assert shown == COUNTED | {"S1", "L1"}
    assert count == theme_row(report.figures, "Chronology")["count"] == 9


def test_the_jsons_absolute_theme_link_opens_the_same_list(client, october, qa_lead, portal):
    report = published(qa_lead)
    client.force_login(qa_lead.user)

    data = json.loads(outputs.render(outputs.report_content(report), "json"))
    url = theme_row(data, "Chronology")["audits_url"]

    assert url.startswith(f"{PORTAL}/audits/area/?practice_theme=")
    assert listed(client, url.removeprefix(PORTAL), october) == (COUNTED, 7)


def test_a_theme_with_no_audits_links_to_an_empty_list(client, october, qa_lead):
    report = published(qa_lead)
    client.force_login(qa_lead.user)

    assert theme_row(report.figures, "Visiting")["count"] == 0
    assert listed(client, link_on_page(client, report, "Visiting"), october) == (set(), 0)


# ---------------------------------------------------------------------------------------
# Bounded documents, and a page whose queries do not grow


def more_mentioning(version, practice_manager, own_area, count: int) -> None:
    maker = AuditMaker(version, practice_manager, own_area)
    maker.count = Audit.objects.count() + 1000
    for index in range(count):
        maker(date(2026, 10, 1 + index % 28), strengths=f"Chronology {index}.")


def json_of(qa_lead) -> tuple[str, Report]:
    report = published(qa_lead)
    text = outputs.render(outputs.report_content(report), "json").decode()
    return text, report


def test_the_json_holds_no_audit_ids_and_does_not_grow_with_the_number_of_audits(
    version, chronology, practice_manager, own_area, qa_lead, portal
):
    more_mentioning(version, practice_manager, own_area, 30)
    few, few_report = json_of(qa_lead)
    Report.objects.all().delete()
    more_mentioning(version, practice_manager, own_area, 270)
    many, many_report = json_of(qa_lead)

    assert theme_row(few_report.figures, "Chronology")["count"] == 30
    assert theme_row(many_report.figures, "Chronology")["count"] == 300
    assert "audit_ids" not in few and "audit_ids" not in many
    # The same document but for its numbers (the counts, and the ids of the capped exemplars and
    # highlight candidates): 30 audits and 300 give a JSON of the same shape and, but for the extra
    # digits of the counts, the same length.
    assert re.sub(r"\d+", "0", few) == re.sub(r"\d+", "0", many)
    assert 0 <= len(many) - len(few) <= 60, (len(few), len(many))
    ids = [audit.pk for audit in Audit.objects.all()]
    listed_ids = {int(n) for n in re.findall(r'"audit_id": (\d+)', many)}
    assert len(listed_ids) <= 20 < len(ids)  # only the capped exemplars and highlight candidates


@pytest.mark.parametrize("who", ["qa_lead", "service_lead"])
def test_the_report_page_runs_the_same_queries_for_30_audits_and_300(
    client, version, chronology, practice_manager, own_area, qa_lead, service_lead, who
):
    client.force_login({"qa_lead": qa_lead, "service_lead": service_lead}[who].user)

    def queries() -> int:
        report = published(qa_lead)
        client.get(report.get_absolute_url())  # first-use caches filled, so both measurements see the same
        with CaptureQueriesContext(connection) as captured:
            response = client.get(report.get_absolute_url())
        assert response.status_code == 200
        assert "data-theme-audits>" in response.content.decode()
        Report.objects.all().delete()
        return len(captured)

    more_mentioning(version, practice_manager, own_area, 30)
    few = queries()
    more_mentioning(version, practice_manager, own_area, 270)
    many = queries()

    assert few == many


# ---------------------------------------------------------------------------------------
# An older report, whose figures hold the audit ids of each theme


@pytest.fixture
def old_report(october, qa_lead) -> Report:
    report = published(qa_lead)
    figures = dict(report.figures)
    figures["themes"] = [
        {"name": "Chronology", "count": 3, "previous_count": 1, "change": 2, "audit_ids": OLD_IDS},
        {"name": "Visiting", "count": 0, "previous_count": 0, "change": 0, "audit_ids": []},
    ]
    Report.objects.filter(pk=report.pk).update(figures=figures)
    report.refresh_from_db()
    return report


@pytest.mark.parametrize("who", ["qa_lead", "service_lead"])
def test_an_older_reports_page_shows_its_theme_counts_without_the_ids_it_holds(
    client, old_report, qa_lead, service_lead, who
):
    client.force_login({"qa_lead": qa_lead, "service_lead": service_lead}[who].user)

    response = client.get(old_report.get_absolute_url())

    assert response.status_code == 200
    text = response.content.decode()
    row = re.search(r'<tr data-theme="Chronology">(.*?)</tr>', text, re.S).group(1)
    assert re.search(r'<td class="text-end">3</td>\s*<td class="text-end">1</td>\s*<td class="text-end">\+2</td>', row)
    assert "<a" not in row  # no theme id: nothing to link to
    assert not any(str(audit_id) in text for audit_id in OLD_IDS)
    assert all("audit_ids" not in theme for theme in response.context["themes"])
    assert "audit_ids" in json.dumps(Report.objects.get(pk=old_report.pk).figures)  # the stored snapshot kept


def test_an_older_reports_json_and_workbook_do_not_inline_its_ids(old_report, service_lead, portal):
    for content in (outputs.report_content(old_report), outputs.report_content(old_report, user=service_lead.user)):
        text = outputs.render(content, "json").decode()
        book = load_workbook(io.BytesIO(outputs.render(content, "xlsx")))

        assert json.loads(text)["themes"] == [
            {"name": "Chronology", "count": 3, "previous_count": 1, "change": 2, "audits_url": None},
            {"name": "Visiting", "count": 0, "previous_count": 0, "change": 0, "audits_url": None},
        ]
        assert not any(str(audit_id) in text for audit_id in OLD_IDS)
        assert list(book["Practice themes"].iter_rows(min_row=2, values_only=True)) == [
            ("Chronology", 3, 1, 2, None),
            ("Visiting", 0, 0, 0, None),
        ]
