"""Reads of the organisation shared by views, always through the access rules."""

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from quality.access import visible

from .models import ChangeRecord, Membership, Person, ServiceArea


def current_memberships() -> Prefetch:
    return Prefetch(
        "memberships",
        queryset=Membership.objects.current().select_related("service_area", "team"),
        to_attr="current_memberships",
    )


def service_areas_for(user) -> QuerySet[ServiceArea]:
    return visible(user, ServiceArea.objects.all()).annotate(
        team_count=Count("teams", filter=Q(teams__is_active=True), distinct=True),
        people_count=Count("memberships__person", filter=Q(memberships__ended_at__isnull=True), distinct=True),
    )


def people_for(user, *, search: str = "") -> QuerySet[Person]:
    people = visible(user, Person.objects.all()).select_related("user").prefetch_related(current_memberships())
    if search:
        people = people.filter(Q(full_name__icontains=search) | Q(user__email__icontains=search))
    return people


def people_in_area(area: ServiceArea) -> QuerySet[Person]:
    return (
        Person.objects.filter(memberships__service_area=area, memberships__ended_at__isnull=True)
        .select_related("user")
        .prefetch_related(current_memberships())
        .distinct()
    )


def changes_to(obj) -> QuerySet[ChangeRecord]:
    from django.contrib.contenttypes.models import ContentType

    return ChangeRecord.objects.filter(
        target_type=ContentType.objects.get_for_model(obj), target_id=obj.pk
    ).select_related("actor__person")


def organisation_gaps() -> dict:
    """What an administrator should fix: people with no role, active areas with no service lead
    or no practice manager (their monthly audits would have no one to do or oversee them)."""
    from .models import Role

    active_areas = ServiceArea.objects.filter(is_active=True)

    def holds_current(role):
        # One membership must be both of the role and current: exclude(memberships__role=...,
        # memberships__ended_at__isnull=True) may match the two conditions on different memberships.
        return Exists(Membership.objects.current().filter(service_area=OuterRef("pk"), role=role))

    # Not exclude(memberships__ended_at__isnull=True): that also drops people who never had a membership.
    has_current_role = Exists(Membership.objects.current().filter(person=OuterRef("pk")))
    return {
        "people_without_role": Person.objects.filter(user__is_active=True)
        .exclude(has_current_role)
        .order_by("full_name"),
        "areas_without_service_lead": active_areas.exclude(holds_current(Role.SERVICE_LEAD)),
        "areas_without_practice_manager": active_areas.exclude(holds_current(Role.PRACTICE_MANAGER)),
    }


# Who to tell: the active users holding a role now. Every notification finds its people here.


def _holders(roles, area_ids=None) -> QuerySet[Membership]:
    memberships = Membership.objects.current().filter(role__in=roles, person__user__is_active=True)
    if area_ids is not None:
        memberships = memberships.filter(service_area_id__in=area_ids)
    return memberships.select_related("person__user")


def users_holding(*roles, area: ServiceArea | None = None) -> list:
    """The active users who hold one of `roles` now (in `area` if given), each once."""
    users = {m.person.user.pk: m.person.user for m in _holders(roles, None if area is None else [area.pk])}
    return list(users.values())


def users_holding_by_area(role, area_ids) -> dict[int, list]:
    """For each of `area_ids`, the active users who hold `role` there now (one query for all areas)."""
    by_area: dict[int, list] = {}
    for membership in _holders([role], area_ids):
        by_area.setdefault(membership.service_area_id, []).append(membership.person.user)
    return by_area
