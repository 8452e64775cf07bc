"""The access rules: the one place that says who may do what, and who may see which rows.

Two questions, asked by every view, template and selector:
- `can(user, action, obj=None)`: may this person do `action` (to `obj`)?
- `visible(user, queryset)`: which rows of this queryset may this person see?

Rights come from the roles a person holds (`Membership`). Roles in CROSS_AREA_ROLES see
every service area; the others see only the areas they hold a role in. A model takes part
in area scoping by naming the field that leads to its service area in `ACCESS_AREA_FIELD`
(ServiceArea itself is the area); a model of shared reference material that holds nothing
about children (an audit tool) says so with `ACCESS_SHARED = True` and is seen by anyone
whose roles grant the action. Workbench apps add their own actions to ROLE_ACTIONS by
listing them here, so the whole policy stays readable in one file.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from quality.org.models import Membership, Person, Role, ServiceArea


class Action(StrEnum):
    VIEW_ORGANISATION = "view_organisation"  # service areas and teams in scope
    VIEW_PEOPLE = "view_people"  # the staff directory in scope
    MANAGE_ORGANISATION = "manage_organisation"  # create and change areas, teams, people, roles
    VIEW_TOOLS = "view_tools"  # read audit tools and preview their versions
    MANAGE_TOOLS = "manage_tools"  # draft, publish, retire, import and export audit tools


CROSS_AREA_ROLES = frozenset(
    {
        Role.QA_OFFICER,
        Role.QA_LEAD,
        Role.HEAD_OF_SERVICE,
        Role.SENIOR_LEADER,
        Role.ADMINISTRATOR,
        Role.READ_ONLY,
    }
)

_INTERNAL_ROLES = frozenset(Role) - {Role.PARTNER_AUDITOR}
_OVERSIGHT_ROLES = frozenset(
    {Role.SERVICE_LEAD, Role.HEAD_OF_SERVICE, Role.QA_OFFICER, Role.QA_LEAD, Role.SENIOR_LEADER, Role.ADMINISTRATOR}
)

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    role: frozenset(
        action
        for action, roles in {
            Action.VIEW_ORGANISATION: _INTERNAL_ROLES,
            Action.VIEW_PEOPLE: _OVERSIGHT_ROLES,
            Action.MANAGE_ORGANISATION: {Role.ADMINISTRATOR},
            Action.VIEW_TOOLS: _INTERNAL_ROLES,
            Action.MANAGE_TOOLS: {Role.QA_LEAD, Role.ADMINISTRATOR},
        }.items()
        if role in roles
    )
    for role in Role
}


@dataclass(frozen=True)
class Grant:
    """What one person holds: their roles and the service areas each role covers."""

    roles: frozenset[Role]
    all_areas: bool
    area_ids: frozenset[int]
    area_ids_by_role: dict[Role, frozenset[int]]

    def actions(self) -> frozenset[Action]:
        return frozenset().union(*(ROLE_ACTIONS[role] for role in self.roles)) if self.roles else frozenset()


_NO_GRANT = Grant(frozenset(), False, frozenset(), {})


def grant_for(user) -> Grant:
    """The person's current roles, read once per request and cached on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return _NO_GRANT
    cached = getattr(user, "_quality_grant", None)
    if cached is not None:
        return cached
    rows = Membership.objects.current().filter(person__user=user).values_list("role", "service_area_id")
    by_role: dict[Role, set[int]] = {}
    for role, area_id in rows:
        by_role.setdefault(Role(role), set())
        if area_id is not None:
            by_role[Role(role)].add(area_id)
    roles = frozenset(by_role)
    grant = Grant(
        roles=roles,
        all_areas=bool(roles & CROSS_AREA_ROLES),
        area_ids=frozenset().union(*by_role.values()) if by_role else frozenset(),
        area_ids_by_role={role: frozenset(ids) for role, ids in by_role.items()},
    )
    user._quality_grant = grant
    return grant


def area_id_of(obj: Model) -> int | None:
    if isinstance(obj, ServiceArea):
        return obj.pk
    field = getattr(obj, "ACCESS_AREA_FIELD", None)
    if field is None:
        return None
    return getattr(obj, f"{field}_id")


def covers(user, obj: Model) -> bool:
    """Is `obj` inside the service areas this person's roles cover?"""
    grant = grant_for(user)
    if grant.all_areas or getattr(obj, "ACCESS_SHARED", False):
        return True
    if isinstance(obj, Person):
        return obj.memberships.current().filter(service_area_id__in=grant.area_ids).exists()
    area_id = area_id_of(obj)
    return area_id is not None and area_id in grant.area_ids


def can(user, action: Action | str, obj: Model | None = None) -> bool:
    grant = grant_for(user)
    if Action(action) not in grant.actions():
        return False
    return obj is None or covers(user, obj)


def visible(user, queryset: QuerySet) -> QuerySet:
    """The rows of `queryset` this person may see (by service area)."""
    model = queryset.model
    shared = getattr(model, "ACCESS_SHARED", False)
    field = getattr(model, "ACCESS_AREA_FIELD", None)
    # Checked before looking at the person, so an unscoped model fails for an administrator too.
    if field is None and not shared and model not in (ServiceArea, Person):
        raise TypeError(f"{model.__name__} has no ACCESS_AREA_FIELD: the access rules cannot scope it.")
    grant = grant_for(user)
    if not grant.roles:
        return queryset.none()
    if grant.all_areas or shared:
        return queryset
    if model is ServiceArea:
        return queryset.filter(pk__in=grant.area_ids)
    if model is Person:
        return queryset.filter(
            memberships__ended_at__isnull=True, memberships__service_area_id__in=grant.area_ids
        ).distinct()
    return queryset.filter(**{f"{field}__in": grant.area_ids})


def require(action: Action):
    """View decorator: log-in required, then the action, else 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not can(request.user, action):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_action = action
        return wrapped

    return decorator


def get_for(user, action: Action, queryset: QuerySet, **lookup) -> Model:
    """One row the person may see and act on: 404 if outside their areas, 403 if not allowed."""
    try:
        obj = visible(user, queryset).get(**lookup)
    except queryset.model.DoesNotExist as missing:
        raise Http404 from missing
    if not can(user, action, obj):
        raise PermissionDenied
    return obj
