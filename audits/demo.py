"""Demo audit tools: one per service area on the seven areas, a themed neglect tool and a
partnership tool, each with a published version. Idempotent."""

from datetime import timedelta

from django.utils import timezone

from quality.months import month_start
from quality.org.models import Person, Role, ServiceArea

from . import services
from .cycle import demo as cycle_demo
from .models import Audit, AuditTool, Question

NEGLECT_SECTION = {
    "title": "Neglect",
    "analysis_area": None,
    "help_text": "The month's theme: how well was neglect recognised and responded to?",
    "questions": [
        {
            "key": "neglect-tool-used",
            "text": "Was the Graded Care Profile (GCP2) or another neglect tool used?",
            "type": Question.Type.YES_NO,
            "required": True,
        },
        {
            "key": "neglect-indicators",
            "text": "Which indicators of neglect were present?",
            "type": Question.Type.MULTIPLE_CHOICE,
            "choices": ["Physical care", "Health", "Education", "Emotional warmth", "Supervision and safety"],
        },
        {
            "key": "neglect-lived-experience",
            "text": "How well does the record show the child's lived experience of neglect?",
            "type": Question.Type.NARRATIVE,
            "required": True,
        },
    ],
}

PARTNERSHIP_SECTION = {
    "title": "Multi-agency working",
    "analysis_area": None,
    "questions": [
        {
            "key": "agency",
            "text": "Your agency",
            "type": Question.Type.SINGLE_CHOICE,
            "required": True,
            "choices": ["Police", "Health", "Education", "Housing", "IDVA"],
        },
        {
            "key": "information-shared",
            "text": "Was information shared promptly between agencies?",
            "type": Question.Type.YES_NO,
            "required": True,
        },
        {
            "key": "agency-contribution",
            "text": "What did your agency contribute, and what could it have done differently?",
            "type": Question.Type.NARRATIVE,
            "required": True,
        },
    ],
}


def _published_tool(name: str, area: ServiceArea | None, purpose: str, sections=None) -> None:
    if AuditTool.objects.filter(name=name).exists():
        return
    tool = services.tool_create(actor=None, name=name, service_area=area, purpose=purpose, sections=sections)
    services.version_publish(actor=None, version=tool.versions.get())


def load() -> None:
    for area in ServiceArea.objects.filter(is_active=True):
        _published_tool(f"{area.code} case audit", area, AuditTool.Purpose.CASE_AUDIT)
    seven = services.default_sections()
    _published_tool("Neglect themed audit", None, AuditTool.Purpose.THEMED, seven + [NEGLECT_SECTION])
    _published_tool("Partnership audit", None, AuditTool.Purpose.PARTNERSHIP, [PARTNERSHIP_SECTION] + seven)
    load_audits()
    cycle_demo.load()


GRADE_MIX = ["good", "good", "requires_improvement", "good", "outstanding", "requires_improvement", "inadequate"]
STRENGTHS = [
    "The worker knows the family well and the child's voice is clear in visits.",
    "Good multi-agency working; the plan is understood by the family.",
    "Chronology up to date; supervision records reflective discussion.",
]
ACTIONS = [
    "Update the chronology and case summary.",
    "Rewrite the plan with SMART actions, owners and dates.",
    "Record the child's views in their own words at the next visit.",
]
IMPROVEMENTS = [
    "The plan is not SMART: actions lack timescales.",
    "Supervision is infrequent and does not set direction.",
    "The assessment does not analyse parental capacity.",
]


def _answers(grade: str) -> dict:
    return services.seven_area_answers(grade, "Evidence seen on the file and discussed with the worker.")


def _demo_audit(number: int, area: ServiceArea, auditor, case_holder, team, state: str, grade: str):
    reference = f"C{100200 + number}"
    if Audit.objects.filter(case_reference=reference).exists():
        return
    version = area.audit_tools.get().versions.get(state="published")
    month_end = month_start(timezone.localdate()) - timedelta(days=1)
    audit = services.audit_create(
        actor=None,
        case_reference=reference,
        service_area=area,
        team=team,
        case_holder=case_holder,
        auditor=auditor,
        tool_version=version,
        theme="Neglect",
        period_end=month_end,
        due_on=timezone.localdate().replace(day=28),
    )
    work_on_demo_audit(audit, number, state, grade)


def work_on_demo_audit(audit, number: int, state: str, grade: str) -> None:
    """Take a new demo audit to `state` (draft, submitted, disputed, closed) as its people would."""
    auditor, case_holder, area = audit.auditor, audit.case_holder, audit.service_area
    month_end = audit.period_end
    if state == "draft":
        if number % 2:
            services.audit_save_draft(
                actor=auditor.user, audit=audit, revision=audit.revision, answers={"narrative-grade": grade}, fields={}
            )
        return
    fields = {
        "overall_grade": grade,
        "discussion_held": number % 5 != 0,
        "discussion_on": month_end if number % 5 else None,
        "child_contacted": number % 3 == 0,
        "family_contacted": number % 2 == 0,
        "child_family_views": "The young person said their worker listens to them." if number % 3 == 0 else "",
        "strengths": STRENGTHS[number % 3],
        "areas_for_improvement": IMPROVEMENTS[number % 3],
    }
    audit = services.audit_save_draft(
        actor=auditor.user, audit=audit, revision=audit.revision, answers=_answers(grade), fields=fields
    )
    # A recommended action for the case holder; every third one is already past its due date.
    services.action_add(
        audit=audit,
        description=ACTIONS[number % len(ACTIONS)],
        owner=case_holder or auditor,
        due_on=timezone.localdate() + timedelta(days=14 if number % 3 else -7),
    )
    services.audit_submit(actor=auditor.user, audit=audit)
    lead = area.memberships.current().filter(role=Role.SERVICE_LEAD).first().person
    if state == "disputed":
        services.audit_dispute(actor=lead.user, audit=audit, reason="The outcomes are not evidenced.")
    elif state == "closed":
        services.audit_confirm_oversight(actor=lead.user, audit=audit, comment="Agree with the findings.")
        services.audit_mark_on_record(actor=lead.user, audit=audit)


def load_audits() -> None:
    """Audits at every stage: drafts for the demo practice manager, submitted ones for the demo
    service lead, a disputed one for the QA lead and closed ones across the service areas."""
    number = 0
    for area in ServiceArea.objects.filter(is_active=True).order_by("code"):
        managers = [m.person for m in area.memberships.current().filter(role=Role.PRACTICE_MANAGER)]
        workers = [m for m in area.memberships.current().filter(role=Role.PRACTITIONER).select_related("person")]
        if not managers or not workers:
            continue
        states = ["closed", "closed", "submitted"] + (
            ["draft", "draft", "disputed", "submitted"] if area.code == "SWF" else []
        )
        for state in states:
            number += 1
            auditor = managers[number % len(managers)]
            if area.code == "SWF" and state == "draft":
                auditor = Person.objects.get(user__email="manager@council.example")
            worker = workers[number % len(workers)]
            _demo_audit(number, area, auditor, worker.person, worker.team, state, GRADE_MIX[number % len(GRADE_MIX)])
