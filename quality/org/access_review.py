"""Leavers and movers: the quarterly access review.

Each quarter an administrator goes through everyone who can sign in: their current roles, their last
sign-in, whether they have a second factor, and a flag for an account unused for
ACCESS_REVIEW_UNUSED_DAYS (never signed in counts from their latest invitation, or from when they
were added). For each person the administrator keeps the access or deactivates the account in one
step; either way an AccessReviewDecision records who decided, when and why (never edited).
"""

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from quality.months import quarter_of
from quality.security.models import Kind, SecurityEvent

from . import selectors, services
from .messages import REASON_REQUIRED
from .models import AccessReviewDecision, Membership, Person, ServiceArea

Decision = AccessReviewDecision.Decision

HEADER = [
    "Name",
    "E-mail address",
    "Roles",
    "Last sign-in",
    "Second factor",
    "Unused",
    "Last decision",
    "Decided on",
    "Decided by",
    "Reason",
]


def quarter_label(moment: datetime) -> str:
    """The quarter a decision belongs to, as the review names it: 2026-Q4."""
    local = timezone.localtime(moment)
    return f"{local.year}-Q{quarter_of(local)}"


def unused_since() -> datetime:
    """An account not used since this moment is flagged as unused."""
    return timezone.now() - timedelta(days=settings.ACCESS_REVIEW_UNUSED_DAYS)


def deactivation_reason() -> str:
    """What the deactivate button's reason says until the administrator changes it."""
    return f"Quarterly access review: unused for {settings.ACCESS_REVIEW_UNUSED_DAYS} days"


def _latest_decision(field: str) -> Subquery:
    decisions = AccessReviewDecision.objects.filter(person=OuterRef("pk")).order_by("-decided_at", "-pk")
    return Subquery(decisions.values(field)[:1])


def review_rows(*, unused_only: bool = False, role: str = "", area: ServiceArea | None = None) -> QuerySet[Person]:
    """Everyone who can sign in, with what the review shows, in one query (and one for their roles)."""
    cutoff = unused_since()
    invited_at = Subquery(
        SecurityEvent.objects.filter(kind=Kind.INVITATION_SENT, user=OuterRef("user")).order_by("-at").values("at")[:1]
    )
    people = (
        Person.objects.filter(user__is_active=True)
        .select_related("user")
        .prefetch_related(selectors.current_memberships())
        .annotate(
            last_sign_in=F("user__last_login"),
            invited_at=Coalesce(invited_at, "created_at"),
            has_second_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True)),
            last_decision=_latest_decision("decision"),
            last_decided_at=_latest_decision("decided_at"),
            last_decided_by=_latest_decision("decided_by__person__full_name"),
            last_reason=_latest_decision("reason"),
        )
        .annotate(
            unused=Case(
                When(Q(user__last_login__lte=cutoff), then=Value(True)),
                When(Q(user__last_login__isnull=True, invited_at__lte=cutoff), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )
    if unused_only:
        people = people.filter(unused=True)
    current = Membership.objects.current().filter(person=OuterRef("pk"))
    if role:
        people = people.filter(Exists(current.filter(role=role)))
    if area is not None:
        people = people.filter(Exists(current.filter(service_area=area)))
    return people.order_by("full_name", "pk")


def roles_label(person: Person) -> str:
    """The person's current roles, from the prefetched memberships: no query of its own."""
    return "; ".join(str(membership) for membership in person.current_memberships) or "No role"


def decision_label(person: Person) -> str:
    return Decision(person.last_decision).label if person.last_decision else ""


def review_csv_rows(people: QuerySet[Person]) -> Iterator[list]:
    """The review's rows for its CSV, the page's columns and the last decision (quality.spreadsheets writes them)."""
    yield HEADER
    for person in people:
        yield [
            person.full_name,
            person.email,
            roles_label(person),
            f"{timezone.localtime(person.last_sign_in):%d/%m/%Y %H:%M}" if person.last_sign_in else "Never",
            "Yes" if person.has_second_factor else "No",
            "Yes" if person.unused else "No",
            decision_label(person),
            f"{timezone.localtime(person.last_decided_at):%d/%m/%Y}" if person.last_decided_at else "",
            person.last_decided_by or "",
            person.last_reason or "",
        ]


@transaction.atomic
def access_review_decide(*, actor, person: Person, decision: str, reason: str) -> AccessReviewDecision:
    """Record the review's decision about a person; deactivating goes through person_set_active (its
    ChangeRecord and security event, and the last administrator's protection)."""
    reason = reason.strip()
    if decision == Decision.DEACTIVATE:
        if not reason:
            raise ValidationError({"reason": REASON_REQUIRED})
        services.person_set_active(actor=actor, person=person, active=False, reason=reason)
    elif decision != Decision.KEEP:
        raise ValidationError({"decision": "Choose to keep or to deactivate."})
    now = timezone.now()
    return AccessReviewDecision.objects.create(
        person=person, decided_by=actor, decided_at=now, decision=decision, reason=reason, quarter=quarter_label(now)
    )
