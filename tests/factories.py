"""Factories for the tests: people and the organisation, tool versions, audits, moderation, indicators
and reports. Rows the tests only count are made directly (factory_boy); rows whose history matters
(answers, grades, events, a panel's decisions) go through the public services, as people make them."""

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from audits import services as audit_services
from audits.models import Audit, ToolVersion
from moderation import panels
from moderation.models import ModerationDecision, Panel, PanelItem
from performance.models import Indicator, KpiValue, ValueLoad
from quality.org.models import Membership, Person, Role, ServiceArea, ServiceAreaName, Team
from quality.reports.models import Report

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@council.example")
    email = factory.SelfAttribute("username")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ServiceAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceArea
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"SA{n}")
    name = factory.Sequence(lambda n: f"Service area {n}")

    @factory.post_generation
    def first_name(obj, create, extracted, **kwargs):
        """`first_name=<datetime>` dates the first name earlier: names are history, never re-dated after."""
        if create:
            ServiceAreaName.objects.create(service_area=obj, name=obj.name, valid_from=extracted or obj.created_at)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    service_area = factory.SubFactory(ServiceAreaFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    user = factory.SubFactory(UserFactory)
    full_name = factory.Sequence(lambda n: f"Person {n}")
    job_title = "Social worker"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    role = Role.PRACTITIONER
    service_area = factory.SubFactory(ServiceAreaFactory)


def person_with_role(role: Role, area: ServiceArea | None = None, **person_fields) -> Person:
    person = PersonFactory(**person_fields)
    MembershipFactory(person=person, role=role, service_area=area)
    return person


# --- Tool versions ---------------------------------------------------------------------------------


def published_tool_version(
    *,
    area: ServiceArea | None = None,
    actor: Person | None = None,
    name: str = "",
    purpose: str = "case_audit",
    sections: list[dict] | None = None,
) -> ToolVersion:
    """A published tool version: the seven areas of analysis, a grade and an evidence question in each,
    unless `sections` says otherwise. Named "<area code> case audit" ("Shared case audit" for no area)."""
    user = actor.user if actor else None
    tool = audit_services.tool_create(
        actor=user,
        name=name or f"{area.code if area else 'Shared'} case audit",
        service_area=area,
        purpose=purpose,
        sections=sections,
    )
    return audit_services.version_publish(actor=user, version=tool.versions.get())


# --- Audits ----------------------------------------------------------------------------------------

_case_numbers = itertools.count(1)
EVIDENCE = "Seen in the chronology and the plan."


def next_case_reference() -> str:
    return f"C-{next(_case_numbers):05d}"


def audit_started(
    version: ToolVersion,
    auditor: Person,
    *,
    case_reference: str = "",
    area: ServiceArea | None = None,
    actor: Person | None = None,
    period_end: date = date(2026, 10, 31),
    **fields,
) -> Audit:
    """A draft audit in the version's area (or `area`, for a shared tool), started through the service."""
    return audit_services.audit_create(
        actor=actor.user if actor else None,
        case_reference=case_reference or next_case_reference(),
        service_area=area or version.tool.service_area,
        auditor=auditor,
        tool_version=version,
        period_end=period_end,
        **fields,
    )


def audit_answered(audit: Audit, grade: str = "good", *, area_grade: str = "", **fields) -> Audit:
    """Every area graded `area_grade` (else `grade`), the overall grade and the discussion saved."""
    fields = {"overall_grade": grade, "discussion_held": True, "discussion_on": date(2026, 11, 2)} | fields
    return audit_services.audit_save_draft(
        actor=audit.auditor.user,
        audit=audit,
        revision=audit.revision,
        answers=audit_services.seven_area_answers(area_grade or grade, EVIDENCE),
        fields=fields,
    )


def audit_submitted(
    version: ToolVersion, auditor: Person, grade: str = "good", *, area_grade: str = "", **started
) -> Audit:
    """An audit answered on the seven areas and submitted by its auditor, with its events and messages."""
    audit = audit_answered(audit_started(version, auditor, **started), grade, area_grade=area_grade)
    return audit_services.audit_submit(actor=auditor.user, audit=audit)


class AuditFactory(factory.django.DjangoModelFactory):
    """An audit row made directly, for tests that count audits rather than follow one: overseen and
    graded Good unless told otherwise. Traits: `draft`, `submitted`, `review` (ungraded), `imported`
    (from the history spreadsheet, with `completed_on`)."""

    class Meta:
        model = Audit

    case_reference = factory.LazyFunction(next_case_reference)
    service_area = factory.LazyAttribute(lambda audit: audit.tool_version.tool.service_area)
    auditor = factory.LazyAttribute(lambda audit: person_with_role(Role.PRACTICE_MANAGER, audit.service_area))
    period_start = date(2026, 4, 1)
    period_end = date(2026, 9, 30)
    state = Audit.State.OVERSEEN
    overall_grade = "good"
    submitted_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=3))

    class Params:
        draft = factory.Trait(state=Audit.State.DRAFT, overall_grade="", submitted_at=None)
        submitted = factory.Trait(state=Audit.State.SUBMITTED)
        review = factory.Trait(kind=Audit.Kind.REVIEW, overall_grade="")
        imported = factory.Trait(
            import_reference=factory.LazyAttribute(lambda audit: f"QA-{audit.case_reference}"),
            completed_on=date(2026, 10, 15),
            submitted_at=None,
        )


def moderated(
    audit: Audit, grade: str, *, on: date, source: str = ModerationDecision.Source.PANEL, **fields
) -> ModerationDecision:
    """A standing moderation decision on `audit`, and the audit's moderated grade set to it."""
    decision = ModerationDecision.objects.create(
        audit=audit, source=source, original_grade=audit.overall_grade, moderated_grade=grade, decided_on=on, **fields
    )
    Audit.objects.filter(pk=audit.pk).update(moderated_grade=grade)
    audit.moderated_grade = grade
    return decision


# --- Moderation panels -----------------------------------------------------------------------------


def panel_in_session(
    qa_lead: Person,
    audits: list[Audit],
    *,
    members: list[Person] = (),
    blind: bool = False,
    held_on: date | None = None,
) -> Panel:
    """A panel whose sample is exactly `audits`, added by hand with nothing drawn at random, in session."""
    panel = panels.panel_create(
        actor=qa_lead.user,
        kind="monthly",
        held_on=held_on or timezone.localdate() + timedelta(days=7),
        members=list(members) or [qa_lead],
        blind=blind,
    )
    return panels.panel_open(actor=qa_lead.user, panel=sample_by_hand(qa_lead, panel, audits))


def sample_by_hand(qa_lead: Person, panel: Panel, audits: list[Audit]) -> Panel:
    """`panel`'s sample marked drawn with nothing at random, then exactly `audits` added by hand."""
    Panel.objects.filter(pk=panel.pk).update(
        state=Panel.State.SAMPLE_DRAWN,
        sample_drawn_at=timezone.now(),
        sample_drawn_by=qa_lead.user,
        sample_from=timezone.localdate(),
        seed=1,
        sample_random_count=0,
    )
    panel.refresh_from_db()
    for audit in audits:
        panels.sample_add(actor=qa_lead.user, panel=panel, audit=audit, reason="Chosen for the test")
    return panel


def panel_decision(
    member: Person, item: PanelItem, grade: str, *, rationale: str = "The evidence supports it."
) -> ModerationDecision:
    """The panel's decision on one sampled audit, every area moderated to `grade`, through the service."""
    return panels.decision_record(
        actor=member.user,
        item=item,
        moderated_grade=grade,
        area_grades={area: grade for area in item.audit.area_grades.values_list("area", flat=True)},
        rationale=rationale,
    )


# --- Performance indicators ------------------------------------------------------------------------


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    code = factory.Sequence(lambda n: f"M{n + 1}")
    title = factory.LazyAttribute(lambda indicator: f"Indicator {indicator.code}")
    priority_area = "Assessment"
    unit = "percentage"
    polarity = "higher"
    display_order = factory.Sequence(lambda n: n)


def indicator_value(indicator: Indicator, period: date, value, *, load: ValueLoad | None = None, **fields) -> KpiValue:
    """A current figure for the month starting `period`, as a load leaves it."""
    return KpiValue.objects.create(
        indicator=indicator,
        period=period,
        value=None if value is None else Decimal(str(value)),
        load=load or ValueLoad.objects.create(file_name="kpi-values.csv"),
        **fields,
    )


# --- Reports ---------------------------------------------------------------------------------------


class ReportFactory(factory.django.DjangoModelFactory):
    """A monthly report for November 2023 as generation leaves it: a draft with its figures taken.
    The `published` trait adds who published it and when (pass `published_by`)."""

    class Meta:
        model = Report

    kind = "monthly"
    period = "2023-11"
    period_start = date(2023, 11, 1)
    period_end = date(2023, 11, 30)
    state = Report.State.DRAFT
    figures = factory.LazyFunction(dict)
    data_taken_at = datetime(2023, 12, 9, 5, 0, tzinfo=UTC)

    class Params:
        published = factory.Trait(state=Report.State.PUBLISHED, published_at=datetime(2023, 12, 11, 10, 0, tzinfo=UTC))
