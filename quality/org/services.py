"""Changes to the organisation. Each validates, saves atomically and leaves a ChangeRecord."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Model
from django.db.models.functions import Lower
from django.utils import timezone

from quality.security.events import Kind, record_event

from . import invitations
from .messages import (
    AREA_ROLE_NEEDS_AREA,
    CODE_TAKEN,
    EMAIL_TAKEN,
    LAST_ADMINISTRATOR,
    MEMBERSHIP_DUPLICATE,
    REASON_REQUIRED,
    RETIRED_AREA,
    SUCCESSOR_INVALID,
    TEAM_NAME_TAKEN,
    TEAM_OUTSIDE_AREA,
)
from .models import AREA_ROLES, ChangeRecord, Membership, Person, Role, ServiceArea, ServiceAreaName, Team

User = get_user_model()


def change_record(*, actor, target: Model, action: str, summary: str, reason: str = "") -> ChangeRecord:
    from django.contrib.contenttypes.models import ContentType

    return ChangeRecord.objects.create(
        actor=actor,
        target_type=ContentType.objects.get_for_model(target),
        target_id=target.pk,
        action=action,
        summary=summary,
        reason=reason,
    )


def _check_code_free(code: str, *, exclude_pk: int | None = None) -> None:
    clash = ServiceArea.objects.annotate(lc=Lower("code")).filter(lc=code.lower())
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"code": CODE_TAKEN})


@transaction.atomic
def service_area_create(*, actor, code: str, name: str) -> ServiceArea:
    code = code.strip().upper()
    _check_code_free(code)
    area = ServiceArea.objects.create(code=code, name=name.strip())
    ServiceAreaName.objects.create(service_area=area, name=area.name, valid_from=area.created_at)
    change_record(actor=actor, target=area, action="service_area.create", summary=f"Created {area}")
    return area


@transaction.atomic
def service_area_update(*, actor, area: ServiceArea, code: str, name: str, reason: str = "") -> ServiceArea:
    code, name = code.strip().upper(), name.strip()
    _check_code_free(code, exclude_pk=area.pk)
    changes = []
    if name != area.name:
        ServiceAreaName.objects.create(service_area=area, name=name)
        changes.append(f"renamed from '{area.name}' to '{name}'")
    if code != area.code:
        changes.append(f"code changed from {area.code} to {code}")
    if changes:
        area.code, area.name = code, name
        area.save(update_fields=["code", "name", "updated_at"])
        change_record(actor=actor, target=area, action="service_area.update", summary="; ".join(changes), reason=reason)
    return area


@transaction.atomic
def service_area_retire(*, actor, area: ServiceArea, reason: str, successor: ServiceArea | None = None) -> ServiceArea:
    """Retire an area (or merge it into `successor`). Its history and memberships stay as they were."""
    if successor is not None and (successor.pk == area.pk or not successor.is_active):
        raise ValidationError({"successor": SUCCESSOR_INVALID})
    area.is_active = False
    area.retired_at = timezone.now()
    area.successor = successor
    area.save(update_fields=["is_active", "retired_at", "successor", "updated_at"])
    summary = f"Retired {area}" + (f", work moved to {successor}" if successor else "")
    change_record(actor=actor, target=area, action="service_area.retire", summary=summary, reason=reason)
    return area


@transaction.atomic
def service_area_reactivate(*, actor, area: ServiceArea, reason: str) -> ServiceArea:
    area.is_active, area.retired_at, area.successor = True, None, None
    area.save(update_fields=["is_active", "retired_at", "successor", "updated_at"])
    change_record(
        actor=actor, target=area, action="service_area.reactivate", summary=f"Reactivated {area}", reason=reason
    )
    return area


def _check_team_name_free(area: ServiceArea, name: str, *, exclude_pk: int | None = None) -> None:
    clash = area.teams.annotate(lc=Lower("name")).filter(lc=name.lower())
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": TEAM_NAME_TAKEN})


@transaction.atomic
def team_create(*, actor, service_area: ServiceArea, name: str) -> Team:
    if not service_area.is_active:
        raise ValidationError({"service_area": RETIRED_AREA})
    name = name.strip()
    _check_team_name_free(service_area, name)
    team = Team.objects.create(service_area=service_area, name=name)
    change_record(actor=actor, target=team, action="team.create", summary=f"Created team {team} in {service_area.code}")
    return team


@transaction.atomic
def team_update(*, actor, team: Team, name: str, is_active: bool) -> Team:
    name = name.strip()
    _check_team_name_free(team.service_area, name, exclude_pk=team.pk)
    changes = []
    if name != team.name:
        changes.append(f"renamed from '{team.name}' to '{name}'")
    if is_active != team.is_active:
        changes.append("reopened" if is_active else "closed")
    if changes:
        team.name, team.is_active = name, is_active
        team.save(update_fields=["name", "is_active", "updated_at"])
        change_record(actor=actor, target=team, action="team.update", summary="; ".join(changes))
    return team


def _check_email_free(email: str, *, exclude_user_pk: int | None = None) -> None:
    clash = User.objects.filter(email__iexact=email)
    if exclude_user_pk:
        clash = clash.exclude(pk=exclude_user_pk)
    if clash.exists():
        raise ValidationError({"email": EMAIL_TAKEN})


@transaction.atomic
def person_create(
    *, actor, full_name: str, email: str, job_title: str = "", organisation: str = "", invite: bool = True
) -> Person:
    """A person with a log-in named by their e-mail, and their invitation e-mail (quality/org/invitations.py):
    a one-time link to set a password, or a pointer to single sign-on."""
    email = User.objects.normalize_email(email.strip()).lower()
    _check_email_free(email)
    user = User(username=email, email=email)
    user.set_unusable_password()
    user.save()
    person = Person.objects.create(
        user=user, full_name=full_name.strip(), job_title=job_title.strip(), organisation=organisation.strip()
    )
    change_record(actor=actor, target=person, action="person.create", summary=f"Created {person}")
    if invite:
        invitations.invitation_send(actor=actor, person=person)
    return person


@transaction.atomic
def person_update(*, actor, person: Person, full_name: str, email: str, job_title: str, organisation: str) -> Person:
    email = User.objects.normalize_email(email.strip()).lower()
    _check_email_free(email, exclude_user_pk=person.user_id)
    if email != person.user.email:
        person.user.email = person.user.username = email
        person.user.save(update_fields=["email", "username"])
    person.full_name, person.job_title, person.organisation = full_name.strip(), job_title.strip(), organisation.strip()
    person.save(update_fields=["full_name", "job_title", "organisation", "updated_at"])
    change_record(actor=actor, target=person, action="person.update", summary="Details updated")
    return person


def _check_not_last_administrator(person: Person) -> None:
    """Refuse a change that would leave no active administrator: nobody could manage the portal again.

    Called inside the change's transaction. It locks the current Administrator memberships first, so
    that two administrators removing each other at the same moment are taken one after the other, and
    the second sees the first's change."""
    current_admins = Membership.objects.current().filter(role=Role.ADMINISTRATOR)
    list(current_admins.select_for_update().order_by("pk").values_list("pk", flat=True))
    active_admins = current_admins.filter(person__user__is_active=True)
    if active_admins.filter(person=person).exists() and not active_admins.exclude(person=person).exists():
        raise ValidationError({NON_FIELD_ERRORS: LAST_ADMINISTRATOR})


@transaction.atomic
def person_set_active(*, actor, person: Person, active: bool, reason: str) -> Person:
    """Deactivating only stops the log-in: everything the person did stays attributed to them.
    The last active administrator cannot be deactivated."""
    if not active:
        _check_not_last_administrator(person)
    person.user.is_active = active
    person.user.save(update_fields=["is_active"])
    action = "person.reactivate" if active else "person.deactivate"
    change_record(actor=actor, target=person, action=action, summary=action.split(".")[1].capitalize(), reason=reason)
    if not active:
        record_event(Kind.PERSON_DEACTIVATED, user=person.user, actor=actor, detail={"person": person.pk})
    return person


@transaction.atomic
def membership_add(
    *, actor, person: Person, role: str, service_area: ServiceArea | None = None, team: Team | None = None
) -> Membership:
    errors = {}
    if role in AREA_ROLES and service_area is None:
        errors["service_area"] = AREA_ROLE_NEEDS_AREA
    if service_area is not None and not service_area.is_active:
        errors["service_area"] = RETIRED_AREA
    if team is not None and team.service_area_id != getattr(service_area, "pk", None):
        errors["team"] = TEAM_OUTSIDE_AREA
    if errors:
        raise ValidationError(errors)
    if person.memberships.current().filter(role=role, service_area=service_area).exists():
        raise ValidationError({"role": MEMBERSHIP_DUPLICATE})
    membership = Membership.objects.create(person=person, role=role, service_area=service_area, team=team)
    change_record(actor=actor, target=person, action="membership.add", summary=f"Role added: {membership}")
    record_event(Kind.ROLE_GRANTED, user=person.user, actor=actor, detail=_membership_detail(membership))
    return membership


@transaction.atomic
def membership_end(*, actor, membership: Membership, reason: str) -> Membership:
    """End a role, saying why. The last active administrator's Administrator role cannot be ended."""
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    if membership.role == Role.ADMINISTRATOR:
        _check_not_last_administrator(membership.person)
    membership.ended_at = timezone.now()
    membership.save(update_fields=["ended_at"])
    change_record(
        actor=actor,
        target=membership.person,
        action="membership.end",
        summary=f"Role ended: {membership}",
        reason=reason.strip(),
    )
    record_event(Kind.ROLE_ENDED, user=membership.person.user, actor=actor, detail=_membership_detail(membership))
    return membership


def _membership_detail(membership: Membership) -> dict:
    return {
        "person": membership.person_id,
        "membership": membership.pk,
        "role": membership.role,
        "service_area": membership.service_area_id,
    }


ROLE_LABELS = dict(Role.choices)
