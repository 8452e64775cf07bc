"""The reports' waiting work, for the home page (quality/waiting.py): the QA lead's draft reports to
publish and reports whose generation failed, and for readers the latest published report. Each selector
checks the person may do the work (quality.access) and runs a fixed number of queries (a count and the
first rows) whatever the number of reports."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from audits.selectors import HOME_ROWS
from quality.access import Action, can, grant_for
from quality.waiting import READING_ROLES, Entry, Waiting

from .models import Report
from .selectors import report_title, reports_for


def _reports_to_finish(user, state: str, key: str, heading: str, note: str) -> Waiting | None:
    if not can(user, Action.MANAGE_REPORTS):
        return None
    reports = reports_for(user).filter(state=state)
    entries = [
        Entry(text=report_title(report), url=report.get_absolute_url(), note=note)
        for report in reports.order_by("period_start", "kind", "pk")[:HOME_ROWS]
    ]
    link = {"link": reverse("reports:report_list"), "link_text": "Every report"}
    return Waiting(key, heading, reports.count(), entries, **link)


def reports_to_publish(user) -> Waiting | None:
    """Draft reports, generated and waiting for the QA lead's analysis and publication, oldest first."""
    return _reports_to_finish(
        user, Report.State.DRAFT, "reports_to_publish", "Draft reports to publish", "write the analysis and publish it"
    )


def reports_failed(user) -> Waiting | None:
    """Reports whose generation failed: the QA lead generates them again."""
    return _reports_to_finish(
        user, Report.State.FAILED, "reports_failed", "Reports that failed to generate", "generate it again"
    )


def latest_report(user) -> Waiting | None:
    """For readers: the report published last."""
    if not grant_for(user).roles & READING_ROLES or not can(user, Action.VIEW_REPORTS):
        return None
    report = reports_for(user).filter(state=Report.State.PUBLISHED).order_by("-published_at", "-pk").first()
    if report is None:
        return None
    entry = Entry(
        text=report_title(report),
        url=report.get_absolute_url(),
        note=f"published {timezone.localtime(report.published_at):%-d %B %Y}" if report.published_at else "",
    )
    link = {"link": reverse("reports:report_list"), "link_text": "Every published report"}
    return Waiting("latest_report", "Latest published report", 1, [entry], **link)
