"""Issue 13, the payload crawl: text people wrote is shown as text everywhere, whoever opens it.

The demo council is loaded, then a marked payload (a `<b data-probe>`, an htmx span that would post,
a `javascript:` link and quote-breakers for badly quoted attributes) goes into every free-text
field, each field's payload naming the field (`<b data-probe="audits.Audit.strengths">`) so that a
failure says where the text came from. The fields are found by introspection: every CharField,
TextField and JSONField without choices, less the short explicit list of codes, keys and hashes
below, so a field added later is filled without anyone remembering to.

Most fields are filled with the ORM, on every row (the demo has rows for every model that holds
free text, and a test checks that it still does); append-only history gets payload-holding twins
instead. The main paths people write through then go through their services, as a browser would
reach them: a tool imported from a file, an audit's answers and comments, a learning action, a
safeguarding concern, a panel's moderation rationale, performance commentary, a report's correction,
narrative and highlights (the correction is generated from the filled data, so its snapshot carries
the payloads too), a dispute's resolution and an escalation's update and closing note. Then every
demo log-in opens the pages of scripts/smoke_pages.py and what they link to, breadth first (one
page for each shape of address, so each template is read with that person's data), and the e-mails
and PDFs made from the text are read back.
"""

import re
import subprocess
from collections import Counter, deque
from datetime import timedelta
from html.parser import HTMLParser
from importlib.util import module_from_spec, spec_from_file_location
from io import StringIO
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
import yaml
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.core.signals import request_finished
from django.db import close_old_connections, models, transaction
from django.db.models.functions import Cast, Concat, Left
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from freezegun import freeze_time

from audits import documents as audit_documents
from audits import services, tool_files
from audits.cycle import escalations
from audits.models import Answer, Audit, Dispute, Escalation, EscalationUpdate, Question, ToolVersion
from moderation import panels
from moderation.models import ModerationDecision, Panel
from performance import commentary, pack
from performance.models import Commentary
from quality import append_only
from quality.org.demo import DEMO_DOMAIN, DEMO_LOGINS
from quality.org.models import Notification
from quality.org.notify import notification_emails_send
from quality.reports import outputs
from quality.reports import services as report_services
from quality.reports.models import Report

from .clock import SUITE_NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

ROOT = Path(__file__).resolve().parent.parent

# Django's own tables: no page of the portal shows them (its people are org.Person).
EXCLUDED_APPS = {"admin", "auth", "contenttypes", "sessions"}

# Free-text columns in form only: each holds what the portal itself writes or checks.
EXCLUDED = {
    "org.ServiceArea.code": "a short code, checked by the area form and service",
    "org.ChangeRecord.action": "the service's name for the change, never typed",
    "org.Notification.url": "a path the portal builds with reverse()",
    "org.AccessReviewDecision.quarter": "a label the service computes from the date (2026-Q4)",
    "org.SubmittedForm.token": "a form's one-time token",
    "org.SubmittedForm.location": "a path the portal builds",
    "audits.Question.key": "a slug, checked in tool files and the question form",
    "audits.Audit.case_reference": "checked against services.CASE_REFERENCE (letters, digits, dashes)",
    "audits.Audit.import_reference": "the history spreadsheet's unique key",
    "audits.AuditEvent.what": "the name of the field or step that changed, never typed",
    "audits.AuditDocument.sha256": "a hash",
    "audits.Case.child_ref": "the case list's unique key",
    "complaints.Entry.source_reference": "the complaints system's unique key, checked (letters, digits, - / _ .)",
    "voices.SurveyLink.token_hash": "a hash",
    "voices.SurveyLink.case_reference": "checked as a case reference; shown once, to the QA unit",
    "audits.AuditMonthCount.theme": "copied from audits.Audit.theme by the counts kept month by month (figure_months)",
    "audits.CalendarSubscription.token": "a secret",
    "audits.SentReminder.key": "a key the reminders build",
    "audits.ScheduleEntry.legal_statuses": "codes from LegalStatus",
    "moderation.Panel.sample_pool": "ids and strata of the drawn pool",
    "performance.Indicator.code": "the catalogue's code, checked on import",
    "performance.Indicator.code_key": "the code normalised, unique",
    "performance.PerformancePack.sha256": "a hash",
    "reports.Report.period": "2023-11, 2023-Q4 or 2022, checked by the service",
    "reports.Report.figures": "computed, never typed: generated again below, so it carries the payloads",
    "reports.ReportDocument.sha256": "a hash",
    "reports.ReportSubscription.kinds": "codes from Report.Kind",
    "mfa.RecoveryCode.code_hash": "a hash",
    "mfa.RecoveryCodeDevice.name": "the fixed name quality/mfa/services.py gives it, never typed",
    "otp_totp.TOTPDevice.key": "a secret",
    "otp_totp.TOTPDevice.name": "the fixed name quality/mfa/services.py gives it, never typed",
    "security.SecurityEvent.username_key": "a keyed hash",
    "security.SignInThrottle.key": "a keyed hash",
    "security.SecurityEvent.detail": "codes and counts the portal records (events._checked_detail)",
    "security.AccessRecord.object_type": "a model label the portal writes (quality/security/access.py)",
    "security.AccessRecord.case_reference": "copied from audits.Audit.case_reference, checked there",
    "security.AccessRecord.list_name": "an export's file name, set in the code",
    "security.AccessRecord.filters": "a URL-encoded query string: <, > and quotes arrive %-escaped",
    "security.CheckedUpload.token": "a random token the portal makes",
    "ops.BeatHeartbeat.hostname": "the beat's own host name, written by quality/ops/beat.py",
    "security.CheckedUpload.sha256": "a hash",
    "evaluation.SelfEvaluation.frozen": (
        "the content kept at sign-off, made from the statements and citations filled here; "
        "tests/evaluation/test_self_views.py shows a published one's text as text"
    ),
    "evaluation.Statement.priority_area": "chosen from performance.Indicator.priority_area, filled there",
    "evaluation.Citation.source": "ids and period codes the portal writes (quality/evaluation/citations.py)",
    "evaluation.Citation.rows": "a chart's counts, percentages and period labels the portal computes",
    "evaluation.Citation.link": "a path the portal builds with reverse()",
    "evaluation.EvaluationDocument.sha256": "a hash",
    "security.CheckedUpload.file_name": (
        "shown only in the reply to its own check: tests/security/test_checked_uploads.py "
        "test_the_kept_file_name_is_shown_as_text"
    ),
}

# JSON columns holding text people wrote, filled in their own shape (fill_json below).
JSON_FILLED = {"audits.Answer.value", "audits.Question.choices", "reports.PracticeTheme.key_phrases"}
JSON_FILLED |= {"performance.IndicatorYear.comparator_notes"}
JSON_FILLED |= {"voices.ResponseAnswer.value"}
JSON_FILLED |= {"observations.ObservationAnswer.value"}

SUFFIX_ROOM = 8  # " #<pk>" keeps names unique where a constraint asks for it


def label_of(model, field) -> str:
    return f"{model._meta.label}.{field.name}"


def free_text_fields() -> list[tuple[type[models.Model], models.Field]]:
    text_types = (models.CharField, models.TextField, models.JSONField)
    return [
        (model, field)
        for model in apps.get_models()
        if model._meta.app_label not in EXCLUDED_APPS
        for field in model._meta.concrete_fields
        if isinstance(field, text_types) and not field.choices
    ]


def pieces(label: str) -> list[str]:
    """The payload's parts, the one that fits the shortest column first."""
    return [
        f'<b data-probe="{label}">{label}</b>',
        f'<span hx-post="/x" hx-trigger="load" data-probe="{label}"></span>',
        f'<a href="javascript:alert(1)" data-probe="{label}">x</a>',
        # Breaks out of an attribute quoted with ", with ' or not at all, if it is not escaped.
        f""" " data-probe-dq="{label}" ' data-probe-sq='{label}' data-probe-uq={label} """,
    ]


def payload(label: str, max_length: int | None = None) -> str:
    """As many whole pieces as fit after the first, which names the field (by number if need be) and
    always goes in: update_rows cuts the row's suffix to the column's length instead."""
    parts = pieces(label)
    if max_length is not None and len(parts[0]) > max_length:
        short = SHORT_LABELS.setdefault(label, f"n{len(SHORT_LABELS)}")
        parts = pieces(short)
        if len(parts[0]) > max_length:
            parts[0] = f"<b data-probe={short}>"  # an unquoted attribute: still an element if not escaped
    text = parts[0]
    for part in parts[1:]:
        if max_length is None or len(text + part) <= max_length:
            text += part
    return text


# Labels too long for a column go in as n0, n1...: this maps them back for the failure message.
SHORT_LABELS: dict[str, str] = {}


def fill_by_orm() -> set[str]:
    """Every free-text column of every row, less the excluded ones; the labels filled."""
    columns: dict[type[models.Model], list[models.Field]] = {}
    for model, field in free_text_fields():
        if label_of(model, field) not in EXCLUDED and not isinstance(field, models.JSONField):
            columns.setdefault(model, []).append(field)
    protected = set(append_only.protected_models())
    for model, fields in columns.items():
        (add_rows if model in protected else update_rows)(model, fields)
    return {label_of(model, field) for model, fields in columns.items() for field in fields} | fill_json()


def _fits(model, field) -> str:
    return payload(label_of(model, field), field.max_length - SUFFIX_ROOM if field.max_length else None)


def update_rows(model, fields) -> None:
    """Each row's text replaced; " #<pk>" keeps a name unique where a constraint asks for it."""
    model._base_manager.update(**{field.attname: _cut(field, _with_pk(_fits(model, field))) for field in fields})


def _with_pk(text: str) -> Concat:
    return Concat(
        models.Value(text), models.Value(" #"), Cast("pk", models.CharField()), output_field=models.TextField()
    )


def _cut(field, value):
    return Left(value, field.max_length) if field.max_length else value


def add_rows(model, fields) -> None:
    """History the database keeps append-only (quality/append_only.py) is never rewritten: each row
    gets a twin holding the payloads instead. A twin that would break a unique rule is left out."""
    twins = []
    for row in model._base_manager.all():
        row.pk = row.id = None
        for field in fields:
            setattr(row, field.attname, f"{_fits(model, field)} #{len(twins)}"[: field.max_length])
        twins.append(row)
    model._base_manager.bulk_create(twins, ignore_conflicts=True)


def fill_json() -> set[str]:
    Answer.objects.filter(question__type__in=[Question.Type.SHORT_TEXT, Question.Type.NARRATIVE]).update(
        value=payload("audits.Answer.value")
    )
    Question.objects.exclude(choices=[]).update(choices=[payload("audits.Question.choices"), "Plain"])
    apps.get_model("voices", "ResponseAnswer").objects.filter(
        question__type__in=[Question.Type.SHORT_TEXT, Question.Type.NARRATIVE]
    ).update(value=payload("voices.ResponseAnswer.value"))
    apps.get_model("reports", "PracticeTheme").objects.update(
        key_phrases=[payload("reports.PracticeTheme.key_phrases")]
    )
    apps.get_model("performance", "IndicatorYear").objects.update(
        comparator_notes={"england": payload("performance.IndicatorYear.comparator_notes")}
    )
    apps.get_model("observations", "ObservationAnswer").objects.filter(
        question__type__in=[Question.Type.SHORT_TEXT, Question.Type.NARRATIVE]
    ).update(value=payload("observations.ObservationAnswer.value"))
    return set(JSON_FILLED)


def demo_user(key: str):
    return get_user_model().objects.get(email=f"{key}@{DEMO_DOMAIN}")


def load_demo() -> None:
    call_command("load_demo", stdout=StringIO())


# -- through the services: the paths people write through --------------------------------------


def write_through_services() -> dict:
    """The payloads written as people write them; what was written, for the e-mails and PDFs."""
    qa_lead, manager = demo_user("qa.lead"), demo_user("manager")
    version = import_probe_tool(qa_lead)
    audit = Audit.objects.filter(auditor=manager.person, state=Audit.State.DRAFT).order_by("pk").first()
    write_audit(audit, manager)
    moderate_on_a_panel(qa_lead)
    written = write_commentary(demo_user("performance"))
    report = write_report(qa_lead)
    write_to_the_e_mails()
    return {"audit": audit, "version": version, "report": report, "commentary_period": written.period}


def import_probe_tool(actor) -> ToolVersion:
    """A published tool exported, its wording replaced with payloads, and imported as a new tool."""
    data = tool_files.export_version(ToolVersion.objects.filter(state=ToolVersion.State.PUBLISHED).first())
    data["tool"] |= {
        "name": payload("audits.AuditTool.name", 150),
        "description": payload("audits.AuditTool.description"),
    }
    data["version"]["notes"] = payload("audits.ToolVersion.notes")
    for section in data["version"]["sections"]:
        section |= {"title": payload("audits.Section.title", 200), "help_text": payload("audits.Section.help_text")}
        for question in section["questions"]:
            question |= {"text": payload("audits.Question.text"), "help_text": payload("audits.Question.help_text")}
            if question["choices"]:
                question["choices"] = [payload("audits.Question.choices"), "Plain"]
    draft = tool_files.tool_import(actor=actor, text=yaml.safe_dump(data))
    return services.version_publish(actor=actor, version=draft)


def write_audit(audit: Audit, manager) -> None:
    texts = [Question.Type.SHORT_TEXT, Question.Type.NARRATIVE]
    keys = Question.objects.filter(section__version=audit.tool_version, type__in=texts).values_list("key", flat=True)
    fields = ("child_family_views", "strengths", "areas_for_improvement")
    services.audit_save_draft(
        actor=manager,
        audit=audit,
        revision=audit.revision,
        answers={key: payload("audits.Answer.value") for key in keys},
        fields={name: payload(f"audits.Audit.{name}") for name in fields},
    )
    services.action_add(
        audit=audit,
        description=payload("audits.LearningAction.description"),
        owner=audit.case_holder,
        due_on=timezone.localdate() + timedelta(days=30),
    )
    services.audit_raise_concern(actor=manager, audit=audit, details=payload("audits.Audit.safeguarding_details"))


def moderate_on_a_panel(qa_lead) -> ModerationDecision:
    """The demo's next panel opens and records its decision on the first audit of its sample."""
    panel = panels.panel_open(actor=qa_lead, panel=Panel.objects.get(state=Panel.State.SAMPLE_DRAWN))
    item = panel.items.filter(removed_at__isnull=True).order_by("pk")[0]
    audit = item.audit
    return panels.decision_record(
        actor=qa_lead,
        item=item,
        moderated_grade=audit.overall_grade,
        area_grades=dict(audit.area_grades.values_list("area", "grade")),
        rationale=payload("moderation.ModerationDecision.rationale"),
        feedback=payload("moderation.ModerationDecision.feedback"),
    )


def write_commentary(officer) -> Commentary:
    locked = apps.get_model("performance", "MonthLock").objects.values("period")
    open_month = Commentary.objects.exclude(period__in=locked).order_by("-period").first()
    return commentary.commentary_write(
        actor=officer,
        indicator=open_month.indicator,
        period=open_month.period,
        commentary=payload("performance.Commentary.commentary"),
        next_steps=payload("performance.Commentary.next_steps"),
    )


def write_report(qa_lead) -> Report:
    """A correction of a published report, generated from the payload-filled data (so its snapshot
    carries them), its narrative and highlights written, and published to a subscriber."""
    published = Report.objects.filter(state=Report.State.PUBLISHED).order_by("pk").first()
    report = report_services.report_correct(
        actor=qa_lead, report=published, reason=payload("reports.Report.correction_reason")
    )
    report = report_services.report_generate(report_id=report.pk)
    report_services.report_edit(
        actor=qa_lead,
        report=report,
        summary=payload("reports.Report.summary"),
        analysis=payload("reports.Report.analysis"),
        next_steps=payload("reports.Report.next_steps"),
        highlights={
            pk: (True, payload("reports.Highlight.text")) for pk in report.highlights.values_list("pk", flat=True)
        },
    )
    report_services.subscription_set(person=demo_user("reader").person, kinds=[report.kind])
    return report_services.report_publish(actor=qa_lead, report=report)


def write_to_the_e_mails() -> None:
    """Texts people write that the notification e-mails quote: a dispute's resolution, an
    escalation's update and QA's note closing it."""
    services.dispute_resolve(
        actor=demo_user("qa.lead"),
        dispute=Dispute.objects.get(resolved_at__isnull=True),
        outcome=Dispute.Outcome.KEPT,
        resolution=payload("audits.Dispute.resolution"),
    )
    escalation = Escalation.objects.filter(kind=Escalation.Kind.INADEQUATE).order_by("pk").first()
    lead = demo_user("servicelead")
    escalations.escalation_record_update(
        actor=lead, escalation=escalation, step=EscalationUpdate.Step.NOTE, text=payload("audits.EscalationUpdate.text")
    )
    escalations.escalation_close(
        actor=demo_user("qa.lead"), escalation=escalation, note=payload("audits.Escalation.closing_note")
    )


@pytest.fixture(scope="module")
def payload_world(django_db_setup, django_db_blocker):
    """Built once for the module (the demo takes seconds to load) in a transaction rolled back at
    its end; each test runs in a savepoint inside it, so what one test changes the next never sees."""
    with django_db_blocker.unblock(), freeze_time(SUITE_NOW, tick=True), transaction.atomic():
        load_demo()
        filled = fill_by_orm()
        yield {"filled": filled} | write_through_services()
        transaction.set_rollback(True)


# -- reading it back ----------------------------------------------------------------------------

PROBE_TEXT = re.compile(r'<b data-probe="?([\w.\[\]]+)')


class Probes(HTMLParser):
    """What of the payloads a page turned into markup (`live`), and which fields it showed as text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.live: list[str] = []
        self.shown: set[str] = set()
        self.links: list[str] = []
        self._raw_text = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = value or ""
            if is_live(name, value):
                self.live.append(f"<{tag} {name}={full_label(value)!r}>")
            self._note_shown(value)
        if tag == "a":
            self.links += [value for name, value in attrs if name == "href" and value]
        self._raw_text = tag in ("script", "style")

    def handle_endtag(self, tag):
        self._raw_text = False

    def handle_data(self, data):
        if self._raw_text and "<b data-probe" in data:
            self.live.append(f"raw in <script>/<style>: {data[:80]!r}")
        self._note_shown(data)

    def _note_shown(self, text: str):
        self.shown.update(full_label(label) for label in PROBE_TEXT.findall(text))


def full_label(label: str) -> str:
    return {short: full for full, short in SHORT_LABELS.items()}.get(label, label)


def is_live(name: str, value: str) -> bool:
    """An attribute that came out of a payload: its own, a quote-breaker's, a script link, or htmx."""
    if name.startswith("data-probe"):
        return True
    if value.strip().lower().startswith("javascript:"):
        return True
    return name.startswith("hx-") and ("data-probe" in value or value == "/x")


def read_page(html: str) -> Probes:
    probes = Probes()
    probes.feed(html)
    probes.close()
    return probes


@pytest.mark.parametrize("piece", range(4))
@pytest.mark.parametrize("quote", ['"', "'", ""])
def test_the_reader_finds_each_piece_left_as_markup_and_none_escaped(piece, quote):
    """The crawl's reader can fail: each piece is found wherever an unescaping template would put it,
    in text or in an attribute however quoted, and nothing once Django has escaped it, except in an
    unquoted attribute, where a space ends the value whatever escaping did."""
    text = pieces("audits.Audit.strengths")[piece]
    for escaped, found in ((text, True), (escape(text), not quote)):
        html = f"<p>{escaped}</p><input value={quote}{escaped}{quote}>"
        assert bool(read_page(html).live) is found, html


def smoke_pages():
    """scripts/smoke_pages.py's pages: every page taking no argument and the newest of each object."""
    spec = spec_from_file_location("smoke_pages", ROOT / "scripts" / "smoke_pages.py")
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.pages()


# Not opened: signing out ends the crawl, the calendar feed is a secret address, and Django's admin
# is not the portal's.
SKIPPED = ("/logout/", "/feed/", "/admin/")
PER_SHAPE = 1  # pages opened for each shape of address (/audits/<n>/ ...): the same template again
PER_ROLE = 250  # a cap, so that a page listing thousands of links cannot make the crawl run away


def shape(url: str) -> str:
    path, _, query = url.partition("?")
    keys = sorted(part.split("=")[0] for part in query.split("&") if part)
    return re.sub(r"/\d{4}-\d{2}(?=/)|/\d+", "/n", path) + ("?" + "&".join(keys) if keys else "")


def close(response) -> None:
    """Close a download's file, which is not read here, as the test client closes a response: the
    request_finished signal must not close the database connection, inside the test's transaction."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def crawl(client: Client, seeds: list[str]) -> tuple[list[str], set[str], int]:
    """Open the seeds and every same-origin page linked from them, breadth first, GET only.
    Returns the problems (live markup, page and where), the fields seen as text and the pages opened."""
    queue, seen, shapes = deque(seeds), set(seeds), Counter()
    problems, shown, opened = [], set(), 0
    while queue and opened < PER_ROLE:
        url = queue.popleft()
        response = client.get(url)
        opened += 1
        is_page = response.status_code == 200 and response["Content-Type"].startswith("text/html")
        html = response.content.decode() if is_page else ""
        close(response)
        if not is_page:
            continue
        page = read_page(html)
        problems += [f"{url}: {live}" for live in page.live]
        shown |= page.shown
        for link in page.links:
            link = urldefrag(link)[0]
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not link.startswith("/") or link in seen:
                continue
            if any(skip in link for skip in SKIPPED) or shapes[shape(link)] >= PER_SHAPE:
                continue
            seen.add(link)
            shapes[shape(link)] += 1
            queue.append(link)
    return problems, shown, opened


def test_no_page_turns_the_payloads_into_markup_for_any_demo_login(payload_world):
    seeds = ["/", *smoke_pages(), payload_world["audit"].get_absolute_url(), payload_world["report"].get_absolute_url()]
    problems, shown, report = [], set(), []
    for key, *_ in DEMO_LOGINS:
        client = Client(raise_request_exception=False)
        client.force_login(demo_user(key))
        found, seen, opened = crawl(client, list(dict.fromkeys(seeds)))
        problems += [f"as {key}: {problem}" for problem in found]
        shown |= seen
        report.append(f"{key}: {opened} pages, {len(seen)} fields shown")
    print("\n".join(report), "\nnever on a page:", sorted(payload_world["filled"] - shown))
    assert not problems, "\n".join(problems[:50])
    # The crawl reached what people wrote through the services, shown as text.
    assert WRITTEN_THROUGH_SERVICES - shown == set()


WRITTEN_THROUGH_SERVICES = {
    "audits.AuditTool.name",
    "audits.Section.title",
    "audits.Section.help_text",
    "audits.Question.text",
    "audits.Question.help_text",
    "audits.Answer.value",
    "audits.Audit.strengths",
    "audits.Audit.child_family_views",
    "audits.Audit.safeguarding_details",
    "audits.LearningAction.description",
    "audits.Dispute.resolution",
    "audits.EscalationUpdate.text",
    "moderation.ModerationDecision.rationale",
    "performance.Commentary.commentary",
    "reports.Report.summary",
    "reports.Highlight.text",
}


def test_every_free_text_field_is_filled_or_excluded_with_a_reason(payload_world):
    """A field added later is filled by fill_by_orm (text) or must be named here (JSON); a model
    added later needs rows in the demo, or its fields are filled on no row and shown on no page."""
    labels = {label_of(model, field) for model, field in free_text_fields()}
    assert set(EXCLUDED) | JSON_FILLED <= labels, "an excluded or JSON field that no longer exists"
    json_fields = {label_of(m, f) for m, f in free_text_fields() if isinstance(f, models.JSONField)}
    assert json_fields - JSON_FILLED - set(EXCLUDED) == set(), "a JSON field with text: fill it in fill_json"
    empty = [
        label_of(model, field)
        for model, field in free_text_fields()
        if label_of(model, field) not in EXCLUDED
        and not model._base_manager.annotate(probe_text=Cast(field.attname, models.TextField()))
        .filter(probe_text__contains="data-probe")
        .exists()
    ]
    assert empty == [], "no row holds the payload: give the demo (or this world) rows of these"


def test_e_mails_quote_what_people_wrote_as_plain_text(payload_world):
    """The e-mails are plain text: the payload arrives as the characters typed, neither escaped
    (a reader would see &lt;) nor as HTML. An HTML part, if one is ever added, must hold no markup of it."""
    mail.outbox.clear()
    ids = list(Notification.objects.filter(by_email=True, emailed_at__isnull=True).values_list("pk", flat=True))
    assert notification_emails_send(notification_ids=ids) == len(ids)
    bodies = "\n".join(message.subject + "\n" + message.body for message in mail.outbox)
    for label in ("audits.Dispute.resolution", "audits.EscalationUpdate.text", "audits.Escalation.closing_note"):
        assert pieces(label)[0] in bodies, label
    assert pieces("reports.Report.correction_reason")[0] in bodies
    assert "&lt;" not in bodies and "&quot;" not in bodies
    for message in mail.outbox:
        for content, kind in getattr(message, "alternatives", []):
            assert kind != "text/html" or read_page(content).live == [], message.subject


def pdf_text(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True, timeout=120)
    return re.sub(r"\s+", "", done.stdout.decode())


def shown_in(text: str, label: str) -> bool:
    """The payload's first piece as characters in the PDF's text: had WeasyPrint been given it as
    markup, the tag would have become bold type and vanished from the text."""
    return re.sub(r"\s+", "", pieces(label)[0]) in text


def test_pdfs_show_what_people_wrote_as_text(payload_world):
    made_at, qa_lead = timezone.now(), demo_user("qa.lead")
    audit = pdf_text(audit_documents.audit_pdf(payload_world["audit"], made_by=qa_lead, made_at=made_at))
    for label in ("audits.Audit.strengths", "audits.Answer.value", "audits.Question.text", "audits.Section.title"):
        assert shown_in(audit, label), label
    report = payload_world["report"]
    content = outputs.report_content(report, user=qa_lead)
    report_text = pdf_text(outputs.pdf_bytes(content, made_at=made_at))
    for label in ("reports.Report.summary", "reports.Highlight.text"):
        assert shown_in(report_text, label), label
    period = payload_world["commentary_period"]
    scorecard = pdf_text(pack.pack_pdf(period, made_by=demo_user("performance"), made_at=made_at))
    assert shown_in(scorecard, "performance.Commentary.commentary")
