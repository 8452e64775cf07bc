"""The cross-check (issue 14, item 7): one month of audits gives the same figures on every surface.

One month (the month before the suite's today) is built through the real services, with the clock
moved to each moment: audits of several kinds in three service areas, one of them renamed and
retired after the month; a dispute resolved with a changed grade; QA's review of an Inadequate grade
in the month and another after it; a panel after the month; an audit imported from the QA
spreadsheet with a moderation after the month; ungraded case reviews; audits at the month's edges in
London time; and a draft and audits of the months before and after, which must not count.

The figures for that month are written out by hand below (MONTH), and each surface is read the way
a person or a file reader gets it and compared with them: the report's JSON, the report page, the
report's workbook, the scorecard's quality section, the moderation summary and outcomes file, and
the audit list's CSV. Each surface compares the figures it shows; what it cannot show is said where
it is read.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audits import services as audit_services
from audits.models import Audit, Escalation, Grade, Question
from moderation import panels
from moderation.history_import import REQUIRED_COLUMNS, audit_history_import
from moderation.qa_review import escalation_review
from moderation.selectors import decisions_in, summary
from performance.quality_section import quality_section
from quality.months import add_months, month_end, month_start
from quality.org.models import Person, Role
from quality.org.services import service_area_retire, service_area_update
from quality.reports import documents, figures
from quality.reports import services as report_services
from quality.reports.output_tasks import build_report_document
from tests.clock import SUITE_NOW
from tests.factories import ServiceAreaFactory, person_with_role, published_tool_version
from tests.moderation.panel_world import all_areas, drawn_by_hand

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

LONDON = timezone.get_default_timezone()
SUITE_TODAY = datetime.fromisoformat(SUITE_NOW).date()
MONTH_START = add_months(month_start(SUITE_TODAY), -1)
MONTH_END = month_end(MONTH_START)
PERIOD = f"{MONTH_START:%Y-%m}"
GRADES = ("outstanding", "good", "requires_improvement", "inadequate")
GRADE_LABELS = dict(Grade.choices)

SWF, PTC, EHS = "Social Work with Families", "Pathways Through Care", "Early Help Service"
EHS_RENAMED = "Early Help and Family Support"

# The month's audits (completion day in the month, no drafts), with the auditor's grade (after any
# dispute) and the final grade (after all moderation, in the month or after it):
#   SWF  a1 monthly  good                      good
#        a2 monthly  good (disputed from RI)   outstanding (panel after the month)
#        a3 monthly  inadequate, 00:30 on the  inadequate (QA's review in the month confirms it)
#                    1st in London (BST: the 30th in UTC)
#        a4 review   ungraded
#        a5 themed   outstanding, 23:30 on the last day in London
#        i2 imported requires improvement: completed on the 30th, submitted_at after the month
#   PTC  b1 monthly  good                      requires improvement (panel after the month)
#        b2 monthly  inadequate                requires improvement (QA's review after the month)
#        b3 review   ungraded
#        i1 imported good                      requires improvement (moderated in the spreadsheet after the month)
#   EHS  c1 monthly  requires improvement      (renamed and retired after the month)
#        c2 monthly  good                      good (panel after the month, grade kept)
# Not the month's: a draft started in it, one submitted at 23:30 London on the day before the month,
# one submitted at 00:30 London on the day after it.
MONTH = {
    "completed": 12,
    "graded": 10,
    "ungraded": 2,
    "before": {"outstanding": 1, "good": 5, "requires_improvement": 2, "inadequate": 2},
    "before_pct": {"outstanding": 10.0, "good": 50.0, "requires_improvement": 20.0, "inadequate": 20.0},
    "graded_after": 10,
    "after": {"outstanding": 2, "good": 2, "requires_improvement": 5, "inadequate": 1},
    "after_pct": {"outstanding": 20.0, "good": 20.0, "requires_improvement": 50.0, "inadequate": 10.0},
    "moderated": 6,  # a2, a3, b1, b2, c2, i1 carry a moderated grade
    "by_service_area": {  # before moderation, named as the area was in the month
        SWF: {"outstanding": 1, "good": 2, "requires_improvement": 1, "inadequate": 1, "ungraded": 1, "total": 6},
        PTC: {"outstanding": 0, "good": 2, "requires_improvement": 0, "inadequate": 1, "ungraded": 1, "total": 4},
        EHS: {"outstanding": 0, "good": 1, "requires_improvement": 1, "inadequate": 0, "ungraded": 0, "total": 2},
    },
}
# Good or better: 6 of 10 = 60.0% before moderation, 4 of 10 = 40.0% after.
GOOD_OR_BETTER = {"before": (6, 60.0), "after": (4, 40.0)}
# The decisions dated in the month: QA's review confirming a3's Inadequate grade.
MODERATION_IN_MONTH = {
    "moderated": 1,
    "ungraded": 0,
    "original": {"outstanding": 0, "good": 0, "requires_improvement": 0, "inadequate": 1},
    "moderated_grades": {"outstanding": 0, "good": 0, "requires_improvement": 0, "inadequate": 1},
    "exact_agreement_pct": 100.0,
}
# Every decision on the month's audits, from its first day to today (a3, a2, b1, c2, b2, i1).
MODERATION_SINCE_MONTH = {
    "moderated": 6,
    "ungraded": 0,
    "original": {"outstanding": 0, "good": 4, "requires_improvement": 0, "inadequate": 2},
    "moderated_grades": {"outstanding": 1, "good": 1, "requires_improvement": 3, "inadequate": 1},
}


def _london(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)), LONDON)


def _day(number: int) -> date:
    """The `number`th day of the month (0 is the day before it, -1 the month's last day)."""
    return MONTH_END if number == -1 else MONTH_START + timedelta(days=number - 1)


# ---------------------------------------------------------------------------------------
# The month


@dataclass
class World:
    qa_lead: Person
    audits: dict[str, Audit]


def _made(
    clock,
    version,
    auditor,
    area,
    grade: str,
    *,
    case_reference: str,
    started: datetime,
    submitted: datetime | None,
    kind: str = Audit.Kind.MONTHLY,
    theme: str = "",
) -> Audit:
    """An audit started, answered and (unless `submitted` is None) submitted through the services, the
    frozen `clock` moved to each moment."""
    clock.move_to(started)
    audit = audit_services.audit_create(
        actor=auditor.user,
        case_reference=case_reference,
        service_area=area,
        auditor=auditor,
        tool_version=version,
        kind=kind,
        theme=theme,
        period_end=started.date(),
    )
    answers = audit_services.seven_area_answers(grade, "Seen in the chronology.") if grade else {}
    audit = audit_services.audit_save_draft(
        actor=auditor.user,
        audit=audit,
        revision=audit.revision,
        answers=answers,
        fields={"overall_grade": grade, "discussion_held": True, "discussion_on": started.date()},
    )
    if submitted is None:
        return audit
    clock.move_to(submitted)
    return audit_services.audit_submit(actor=auditor.user, audit=audit)


def _history_file(auditor) -> bytes:
    """One row of the QA spreadsheet: i1, completed in the month, moderated down two days after it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REQUIRED_COLUMNS)
    writer.writerow(
        [
            "QA-CROSS-1",
            "CI1",
            "PTC",
            "monthly",
            "",
            auditor.user.email,
            _day(27).isoformat(),
            "good",
            "yes",
            "requires_improvement",
            (MONTH_END + timedelta(days=2)).isoformat(),
        ]
    )
    return out.getvalue().encode()


@pytest.fixture
def world(frozen_today) -> World:
    clock = frozen_today
    clock.move_to(_london(add_months(MONTH_START, -1), 9))
    areas = {
        code: ServiceAreaFactory(code=code, name=name) for code, name in (("SWF", SWF), ("PTC", PTC), ("EHS", EHS))
    }
    qa_lead = person_with_role(Role.QA_LEAD, None, full_name="Quinn Lead")
    admin = person_with_role(Role.ADMINISTRATOR, None, full_name="Ada Admin")
    lead = person_with_role(Role.SERVICE_LEAD, areas["SWF"], full_name="Sam Lead")
    auditors = {
        code: person_with_role(Role.PRACTICE_MANAGER, area, full_name=f"{code} Manager") for code, area in areas.items()
    }
    version = published_tool_version(name="Cross-check case audit")
    review_version = published_tool_version(
        name="Cross-check case review",
        purpose="review",
        sections=[
            {
                "title": "What was found",
                "questions": [{"key": "found", "text": "What did you find?", "type": Question.Type.NARRATIVE}],
            }
        ],
    )

    def made(code, grade, started, submitted, **fields):
        tool = review_version if fields.get("kind") == Audit.Kind.REVIEW else version
        return _made(clock, tool, auditors[code], areas[code], grade, started=started, submitted=submitted, **fields)

    a = {}
    # The month before: 23:30 on its last day in London.
    a["p1"] = made("SWF", "good", _london(_day(0), 9), _london(_day(0), 23, 30), case_reference="CP1")
    # 00:30 on the month's first day in London (in summer time, still the day before in UTC).
    a["a3"] = made("SWF", "inadequate", _london(_day(0), 22), _london(_day(1), 0, 30), case_reference="CA3")
    a["a1"] = made("SWF", "good", _london(_day(2), 9), _london(_day(2), 10), case_reference="CA1")
    a["a2"] = made("SWF", "requires_improvement", _london(_day(6), 9), _london(_day(6), 10), case_reference="CA2")
    clock.move_to(_london(_day(8), 11))
    dispute = audit_services.audit_dispute(
        actor=lead.user, audit=a["a2"], reason="The plan is better than this.", proposed_grade="good"
    )
    clock.move_to(_london(_day(12), 11))
    audit_services.dispute_resolve(
        actor=qa_lead.user, dispute=dispute, outcome="changed", resolution="Good on the evidence.", grade="good"
    )
    a["b1"] = made("PTC", "good", _london(_day(9), 9), _london(_day(9), 10), case_reference="CB1")
    a["d1"] = made("SWF", "good", _london(_day(10), 9), None, case_reference="CD1")  # a draft: never counts
    a["a4"] = made("SWF", "", _london(_day(14), 9), _london(_day(14), 10), case_reference="CA4", kind="review")
    a["c1"] = made("EHS", "requires_improvement", _london(_day(15), 9), _london(_day(15), 10), case_reference="CC1")
    a["c2"] = made("EHS", "good", _london(_day(16), 9), _london(_day(16), 10), case_reference="CC2")
    clock.move_to(_london(_day(20), 14))
    escalation_review(
        actor=qa_lead.user,
        escalation=Escalation.objects.get(audit=a["a3"], kind=Escalation.Kind.INADEQUATE),
        decision="confirm",
        rationale="The child was left at risk.",
    )
    a["b2"] = made("PTC", "inadequate", _london(_day(22), 9), _london(_day(22), 10), case_reference="CB2")
    a["b3"] = made("PTC", "", _london(_day(23), 9), _london(_day(23), 10), case_reference="CB3", kind="review")
    a["a5"] = made(
        "SWF",
        "outstanding",
        _london(_day(-1), 20),
        _london(_day(-1), 23, 30),
        case_reference="CA5",
        kind=Audit.Kind.THEMED,
        theme="Neglect",
    )
    # The month after: 00:30 on its first day in London.
    after = MONTH_END + timedelta(days=1)
    a["n1"] = made("PTC", "outstanding", _london(_day(-1), 21), _london(after, 0, 30), case_reference="CN1")

    # After the month: the spreadsheet import, QA's review of b2, the EHS area renamed then retired, a panel.
    clock.move_to(_london(after + timedelta(days=1), 10))
    audit_history_import(actor=admin.user, content=_history_file(auditors["PTC"]), file_name="history.csv")
    a["i1"] = Audit.objects.get(import_reference="QA-CROSS-1")
    # Imported, completed in the month, but with a submission time after it: the history import itself
    # writes noon on the completion day, the model allows the two apart, and completed_on is the
    # completion day that counts (docs/reports.md).
    a["i2"] = Audit.objects.create(
        case_reference="CI2",
        service_area=areas["SWF"],
        auditor=auditors["SWF"],
        period_start=_day(1) - timedelta(days=180),
        period_end=_day(30),
        tool_version=a["i1"].tool_version,
        state=Audit.State.CLOSED,
        overall_grade="requires_improvement",
        discussion_held=True,
        import_reference="QA-CROSS-2",
        completed_on=_day(30),
        submitted_at=_london(after + timedelta(days=1), 12),
    )
    clock.move_to(_london(after + timedelta(days=2), 14))
    escalation_review(
        actor=qa_lead.user,
        escalation=Escalation.objects.get(audit=a["b2"], kind=Escalation.Kind.INADEQUATE),
        decision="change",
        grade="requires_improvement",
        rationale="Serious gaps, but the child was safe.",
    )
    clock.move_to(_london(after + timedelta(days=3), 9))
    service_area_update(actor=admin.user, area=areas["EHS"], code="EHS", name=EHS_RENAMED, reason="Restructure")
    clock.move_to(_london(after + timedelta(days=4), 9))
    service_area_retire(actor=admin.user, area=areas["EHS"], reason="Merged into PTC", successor=areas["PTC"])
    clock.move_to(_london(after + timedelta(days=9), 14))
    panel = panels.panel_create(
        actor=qa_lead.user, kind="monthly", held_on=after + timedelta(days=9), members=[qa_lead]
    )
    panel = drawn_by_hand({"qa_lead": qa_lead}, panel, [a["a2"], a["b1"], a["c2"]])
    panel = panels.panel_open(actor=qa_lead.user, panel=panel)
    for item in panel.items.select_related("audit"):
        grade = {a["a2"].pk: "outstanding", a["b1"].pk: "requires_improvement", a["c2"].pk: "good"}[item.audit_id]
        panels.decision_record(
            actor=qa_lead.user, item=item, moderated_grade=grade, area_grades=all_areas(grade), rationale="Agreed."
        )
    panels.panel_conclude(actor=qa_lead.user, panel=panel)

    clock.move_to(datetime.fromisoformat(SUITE_NOW))
    return World(qa_lead=qa_lead, audits={key: Audit.objects.get(pk=audit.pk) for key, audit in a.items()})


@pytest.fixture
def report(world):
    """The month's report as the QA lead asks for it, generated as the worker would."""
    requested = report_services.report_request(actor=world.qa_lead.user, kind="monthly", period=PERIOD)
    return report_services.report_generate(report_id=requested.report.pk)


@pytest.fixture
def qa_client(client, world):
    client.force_login(world.qa_lead.user)
    return client


# ---------------------------------------------------------------------------------------
# Reading the surfaces


def _flat(figures: dict, prefix: str = "") -> dict:
    """{"before": {"good": 5}} as {"before.good": 5}: a failure then names each figure that differs."""
    flat = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            flat |= _flat(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _from_report_json(data: dict) -> dict:
    audits, moderated = data["audits"], data["moderated"]
    return {
        "completed": audits["completed"],
        "graded": audits["graded"],
        "ungraded": audits["ungraded"],
        "before": dict(audits["grades"]),
        "before_pct": dict(data["grades_pct"]),
        "graded_after": moderated["graded"],
        "after": dict(moderated["grades"]),
        "after_pct": dict(moderated["grades_pct"]),
        "moderated": moderated["moderated_count"],
        "by_service_area": {
            row["name"]: {key: row[key] for key in (*GRADES, "ungraded", "total")} for row in data["by_service_area"]
        },
    }


class _Page(HTMLParser):
    """The report page's tables (by data-section), each a list of rows of cell texts, and the texts of
    elements carrying data-figure (a headline row: its cells)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.figures: dict[str, list[str]] = {}
        self._table = self._row = self._cell = self._figure = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("data-section"):
            self._table = self.tables.setdefault(attrs["data-section"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            if attrs.get("data-figure"):
                self.figures[attrs["data-figure"]] = self._row
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "dd" and attrs.get("data-figure"):
            self._figure, self._cell = attrs["data-figure"], []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        text = " ".join("".join(self._cell or []).split())
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(text)
            self._cell = None
        elif tag == "dd" and self._figure is not None:
            self.figures[f"moderation:{self._figure}"] = [text]
            self._figure = self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


def _number(text: str) -> float | int | None:
    match = re.match(r"-?\d+(\.\d+)?", text.strip())
    if match is None:
        return None
    return float(match.group()) if match.group(1) else int(match.group())


def _from_page(html: str) -> dict:
    page = _Page()
    page.feed(html)
    grade_rows = {row[0]: row for row in page.tables["grades"] if row[0] in GRADE_LABELS.values()}
    totals = next(row for row in page.tables["grades"] if row[0].startswith("Graded"))
    areas = {}
    for row in page.tables["by_service_area"][1:]:
        name = row[0].split(": ", 1)[1]
        areas[name] = dict(zip((*GRADES, "ungraded", "total"), (_number(cell) for cell in row[1:]), strict=True))
    moderated = re.search(r"(\d+) of the period's audits carry a moderated grade", html)
    return {
        "completed": _number(page.figures["completed"][1]),
        "graded": _number(page.figures["graded"][1]),
        "ungraded": _number(page.figures["ungraded"][1]),
        "before": {grade: _number(grade_rows[GRADE_LABELS[grade]][1]) for grade in GRADES},
        "before_pct": {grade: _number(grade_rows[GRADE_LABELS[grade]][2]) for grade in GRADES},
        "graded_after": _number(totals[3]),
        "after": {grade: _number(grade_rows[GRADE_LABELS[grade]][3]) for grade in GRADES},
        "after_pct": {grade: _number(grade_rows[GRADE_LABELS[grade]][4]) for grade in GRADES},
        "moderated": int(moderated.group(1)) if moderated else None,
        "by_service_area": areas,
    }, page


def _sheet_rows(book, title: str) -> list[tuple]:
    return list(book[title].iter_rows(min_row=2, values_only=True))


def _from_workbook(data: bytes) -> dict:
    book = load_workbook(io.BytesIO(data))
    headline = {row[0]: row[1] for row in _sheet_rows(book, "Headline")}
    grades = {row[0]: row for row in _sheet_rows(book, "Grades")}
    ungraded = next(value for label, value in headline.items() if label.startswith("Ungraded"))
    return {
        "completed": headline["Audits completed"],
        "graded": headline["Graded audits"],
        "ungraded": ungraded,
        "before": {grade: grades[GRADE_LABELS[grade]][1] for grade in GRADES},
        "before_pct": {grade: grades[GRADE_LABELS[grade]][2] for grade in GRADES},
        "graded_after": grades["Graded audits"][3],
        "after": {grade: grades[GRADE_LABELS[grade]][3] for grade in GRADES},
        "after_pct": {grade: grades[GRADE_LABELS[grade]][4] for grade in GRADES},
        "moderated": grades["Audits with a moderated grade"][3],
        "by_service_area": {
            row[1]: dict(zip((*GRADES, "ungraded", "total"), row[2:], strict=True))
            for row in _sheet_rows(book, "By service area")
        },
    }


def _streamed(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# ---------------------------------------------------------------------------------------
# The checks


def test_the_month_is_what_the_figures_below_say(world):
    """The world itself, so a wrong expectation is told apart from a surface that disagrees."""
    final = {key: audit.final_grade for key, audit in world.audits.items()}
    assert final == {
        "p1": "good",
        "a3": "inadequate",
        "a1": "good",
        "a2": "outstanding",
        "b1": "requires_improvement",
        "d1": "good",
        "a4": "",
        "c1": "requires_improvement",
        "c2": "good",
        "b2": "requires_improvement",
        "b3": "",
        "a5": "outstanding",
        "n1": "outstanding",
        "i1": "requires_improvement",
        "i2": "requires_improvement",
    }
    assert world.audits["a2"].overall_grade == "good"  # the dispute's grade, before moderation
    assert world.audits["d1"].state == Audit.State.DRAFT
    assert timezone.localdate(world.audits["a3"].submitted_at) == MONTH_START
    last = timezone.localtime(world.audits["a5"].submitted_at)  # the clock ticks: a few microseconds on
    assert (last.date(), last.hour, last.minute) == (MONTH_END, 23, 30)


def test_the_reports_json_gives_the_months_figures(world, report, qa_client):
    computed = figures.compute("monthly", PERIOD)
    out = io.StringIO()
    call_command("build_report", "--kind", "monthly", "--period", PERIOD, "--format", "json", stdout=out)
    downloaded = json.loads(qa_client.get(reverse("reports:report_json", kwargs={"pk": report.pk})).content)

    assert _flat(_from_report_json(computed)) == _flat(MONTH)
    assert _flat(_from_report_json(json.loads(out.getvalue()))) == _flat(MONTH)
    assert _flat(_from_report_json(report.figures)) == _flat(MONTH)
    assert _flat(_from_report_json(downloaded)) == _flat(MONTH)


def test_the_report_page_gives_the_months_figures(report, qa_client):
    response = qa_client.get(report.get_absolute_url())

    assert response.status_code == 200
    shown, _ = _from_page(response.content.decode())
    assert _flat(shown) == _flat(MONTH)


def test_the_reports_workbook_gives_the_months_figures(world, report, qa_client):
    # Asked for as the download page asks; built by the task as a worker would (its queueing waits for a
    # commit that a test's transaction never makes).
    document = documents.document_request(actor=world.qa_lead.user, report=report, file_format="xlsx")
    build_report_document(document.pk)

    response = qa_client.get(reverse("reports:report_xlsx", kwargs={"pk": report.pk}))

    assert response.status_code == 200
    assert _flat(_from_workbook(_streamed(response))) == _flat(MONTH)


def test_the_scorecards_quality_section_gives_the_months_figures(world):
    """The scorecard shows no single grade's count, no by-area rows and no ungraded count: it is compared
    on what it shows (audits, graded, moderated, Good or Outstanding, Requires Improvement, Inadequate)."""
    section = quality_section([MONTH_START])
    month = section.current

    def bands(side):
        shares = getattr(month, side)
        return {
            "graded": shares.graded,
            "good_or_outstanding": (shares.good_or_outstanding, round(float(shares.pct("good_or_outstanding")), 1)),
            "requires_improvement": (shares.requires_improvement, round(float(shares.pct("requires_improvement")), 1)),
            "inadequate": (shares.inadequate, round(float(shares.pct("inadequate")), 1)),
        }

    def expected(side):
        counts, pct = MONTH[side], MONTH[f"{side}_pct"]
        return {
            "graded": MONTH["graded"],
            "good_or_outstanding": GOOD_OR_BETTER[side],
            "requires_improvement": (counts["requires_improvement"], pct["requires_improvement"]),
            "inadequate": (counts["inadequate"], pct["inadequate"]),
        }

    assert (month.audits, month.moderated) == (MONTH["completed"], MONTH["moderated"])
    assert {"before": bands("before"), "after": bands("after")} == {
        "before": expected("before"),
        "after": expected("after"),
    }
    shown = {row.key: row.current.value for row in section.rows}
    assert shown["good_or_outstanding_before"] == Decimal(GOOD_OR_BETTER["before"][0] * 100) / MONTH["graded"]
    assert shown["good_or_outstanding_after"] == Decimal(GOOD_OR_BETTER["after"][0] * 100) / MONTH["graded"]


def test_the_moderation_summary_and_outcomes_file_agree_with_the_report(world, report, qa_client):
    """The moderation summary counts decisions dated in a period, whichever month their audits were
    completed in; the report's figures count the month's audits by their final grade now. So:
    - the decisions dated in the month are compared with the report's moderation section, on its page
      and in the outcomes file for the same month;
    - the decisions on the month's audits (here every decision from the month's first day to today)
      are compared with the report's final grades: the auditor's grades, less what the decisions
      moderated, plus what they moderated it to, are the grades after moderation."""
    in_month = summary(decisions_in(MONTH_START, MONTH_END))
    outcomes = qa_client.get(reverse("moderation:outcomes_csv"), {"period": PERIOD})
    outcome_rows = dict(
        row[:2] for row in csv.reader(io.StringIO(outcomes.content.decode("utf-8-sig"))) if len(row) >= 2
    )
    _, page = _from_page(qa_client.get(report.get_absolute_url()).content.decode())
    since = summary(decisions_in(MONTH_START, SUITE_TODAY))
    month = _from_report_json(report.figures)

    def counts(figures):
        return {key: figures[key] for key in MODERATION_IN_MONTH}

    assert counts(in_month) == MODERATION_IN_MONTH
    assert counts(report.figures["moderation"]) == MODERATION_IN_MONTH
    assert {
        "moderated": int(outcome_rows["moderated"]),
        "ungraded": int(outcome_rows["ungraded"]),
        "original": {grade: int(outcome_rows[f"original_{grade}"]) for grade in GRADES},
        "moderated_grades": {grade: int(outcome_rows[f"moderated_{grade}"]) for grade in GRADES},
        "exact_agreement_pct": float(outcome_rows["exact_agreement_pct"]),
    } == MODERATION_IN_MONTH
    assert _number(page.figures["moderation:moderated"][0]) == MODERATION_IN_MONTH["moderated"]
    assert _number(page.figures["moderation:exact_agreement_pct"][0]) == MODERATION_IN_MONTH["exact_agreement_pct"]

    assert {key: since[key] for key in MODERATION_SINCE_MONTH} == MODERATION_SINCE_MONTH
    assert since["moderated"] + since["ungraded"] == month["moderated"]
    assert {
        grade: month["before"][grade] - since["original"][grade] + since["moderated_grades"][grade] for grade in GRADES
    } == month["after"]


def test_the_audit_lists_csv_gives_the_months_figures(qa_client):
    """The list's month is the month an audit was submitted (a draft: started): drafts are left out here,
    as the list's state filter takes one state at a time. The file shows the auditor's grade only (no
    final grade column), so it is compared before moderation; areas are named as when the audit began."""
    response = qa_client.get(reverse("audits:audit_export_all_csv"), {"month": PERIOD})

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(_streamed(response).decode("utf-8-sig"))))
    done = [row for row in rows if row["State"] != Audit.State.DRAFT.label]
    labels = {label: grade for grade, label in GRADE_LABELS.items()}
    grades = [labels.get(row["Overall grade"], "") for row in done]
    areas = {}
    for row, grade in zip(done, grades, strict=True):
        area = areas.setdefault(row["Service area"], dict.fromkeys((*GRADES, "ungraded", "total"), 0))
        area[grade or "ungraded"] += 1
        area["total"] += 1
    shown = {
        "completed": len(done),
        "graded": sum(1 for grade in grades if grade),
        "ungraded": grades.count(""),
        "before": {grade: grades.count(grade) for grade in GRADES},
        "by_service_area": areas,
    }
    assert _flat(shown) == _flat({key: MONTH[key] for key in shown})
