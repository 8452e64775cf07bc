"""Organisation pages: service areas, teams, people and their roles.

Every view checks access through quality.access; changes go through quality.org.services.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from quality.access import Action, can, get_for, require
from quality.forms import call_service
from quality.idempotency import create_once
from quality.pagination import filter_query, paginate_table
from quality.security.access import record_export
from quality.spreadsheets import csv_response

from . import access_review, invitations, selectors, services
from .forms import (
    AccessReviewDecisionForm,
    AccessReviewFilterForm,
    MembershipForm,
    NewPersonForm,
    NewServiceAreaForm,
    NewTeamForm,
    PersonForm,
    PersonSearchForm,
    ReasonForm,
    RetireForm,
    ServiceAreaEditForm,
    TeamEditForm,
)
from .messages import ACCESS_REVIEW_KEPT, INVITATION_SENT, PERSON_DEACTIVATED
from .models import Membership, Person, ServiceArea, Team
from .tables import AccessReviewTable, PersonTable, ServiceAreaTable


def _url(created) -> str:
    return created.get_absolute_url()


@require(Action.VIEW_ORGANISATION)
def service_area_list(request):
    table = ServiceAreaTable(selectors.service_areas_for(request.user).order_by("-is_active", "name"))
    paginate_table(request, table)
    return render(request, "org/service_area_list.html", {"table": table})


@require(Action.VIEW_ORGANISATION)
def service_area_detail(request, pk):
    area = get_for(request.user, Action.VIEW_ORGANISATION, ServiceArea.objects.select_related("successor"), pk=pk)
    # The staff list (names and roles) is the staff directory's: only for those who may view people.
    may_view_people = can(request.user, Action.VIEW_PEOPLE, area)
    context = {
        "area": area,
        "teams": area.teams.all(),
        "may_view_people": may_view_people,
        "people": selectors.people_in_area(area) if may_view_people else None,
        "names": area.names.all(),
        "changes": selectors.changes_to(area)[:20],
    }
    return render(request, "org/service_area_detail.html", context)


@require(Action.MANAGE_ORGANISATION)
def service_area_create(request):
    form = NewServiceAreaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        area, again = create_once(
            request, form, services.service_area_create, location=_url, actor=request.user, **form.cleaned_data
        )
        if again:
            return again
        if area:
            messages.success(request, f"Service area {area.code} created.")
            return redirect(area)
    return render(request, "org/service_area_form.html", {"form": form, "title": "New service area"})


@require(Action.MANAGE_ORGANISATION)
def service_area_edit(request, pk):
    area = get_for(request.user, Action.MANAGE_ORGANISATION, ServiceArea.objects, pk=pk)
    form = ServiceAreaEditForm(request.POST or None, initial={"code": area.code, "name": area.name})
    if request.method == "POST" and form.is_valid():
        if call_service(form, services.service_area_update, actor=request.user, area=area, **form.cleaned_data):
            messages.success(request, "Service area saved.")
            return redirect(area)
    return render(request, "org/service_area_form.html", {"form": form, "title": f"Change {area}", "area": area})


@require(Action.MANAGE_ORGANISATION)
def service_area_retire(request, pk):
    area = get_for(request.user, Action.MANAGE_ORGANISATION, ServiceArea.objects.filter(is_active=True), pk=pk)
    form = RetireForm(request.POST or None, area=area)
    if request.method == "POST" and form.is_valid():
        if call_service(form, services.service_area_retire, actor=request.user, area=area, **form.cleaned_data):
            messages.success(request, f"{area.code} retired. Its history is kept.")
            return redirect(area)
    return render(request, "org/service_area_retire.html", {"form": form, "area": area})


@require(Action.MANAGE_ORGANISATION)
@require_POST
def service_area_reactivate(request, pk):
    area = get_for(request.user, Action.MANAGE_ORGANISATION, ServiceArea.objects.filter(is_active=False), pk=pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        services.service_area_reactivate(actor=request.user, area=area, reason=form.cleaned_data["reason"])
        messages.success(request, f"{area.code} is active again.")
    else:
        messages.error(request, form.errors["reason"][0])
    return redirect(area)


@require(Action.MANAGE_ORGANISATION)
def team_create(request, area_pk):
    area = get_for(request.user, Action.MANAGE_ORGANISATION, ServiceArea.objects, pk=area_pk)
    form = NewTeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kwargs = {"actor": request.user, "service_area": area, **form.cleaned_data}
        team, again = create_once(
            request, form, services.team_create, location=lambda team: area.get_absolute_url(), **kwargs
        )
        if again:
            return again
        if team:
            messages.success(request, "Team created.")
            return redirect(area)
    return render(request, "org/team_form.html", {"form": form, "area": area, "title": f"New team in {area.code}"})


@require(Action.MANAGE_ORGANISATION)
def team_edit(request, pk):
    team = get_for(request.user, Action.MANAGE_ORGANISATION, Team.objects.select_related("service_area"), pk=pk)
    form = TeamEditForm(request.POST or None, initial={"name": team.name, "is_active": team.is_active})
    if request.method == "POST" and form.is_valid():
        if call_service(form, services.team_update, actor=request.user, team=team, **form.cleaned_data):
            messages.success(request, "Team saved.")
            return redirect(team.service_area)
    context = {"form": form, "area": team.service_area, "title": f"Change team {team.name}"}
    return render(request, "org/team_form.html", context)


@require(Action.VIEW_PEOPLE)
def person_list(request):
    search = PersonSearchForm(request.GET or None)
    term = search.cleaned_data["q"] if search.is_valid() else ""
    table = PersonTable(selectors.people_for(request.user, search=term))
    paginate_table(request, table)
    return render(request, "org/person_list.html", {"table": table, "search": search})


@require(Action.VIEW_PEOPLE)
def person_detail(request, pk):
    person = get_for(
        request.user,
        Action.VIEW_PEOPLE,
        Person.objects.select_related("user").prefetch_related(selectors.current_memberships()),
        pk=pk,
    )
    context = {
        "person": person,
        "past_memberships": person.memberships.filter(ended_at__isnull=False).select_related("service_area"),
        "changes": selectors.changes_to(person)[:20],
    }
    return render(request, "org/person_detail.html", context)


@require(Action.MANAGE_ORGANISATION)
def person_create(request):
    form = NewPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person, again = create_once(
            request, form, services.person_create, location=_url, actor=request.user, **form.cleaned_data
        )
        if again:
            return again
        if person:
            messages.success(
                request, f"{person} added. Their invitation is on its way by e-mail. Give them a role below."
            )
            return redirect(person)
    return render(request, "org/person_form.html", {"form": form, "title": "New person"})


@require(Action.MANAGE_ORGANISATION)
def person_edit(request, pk):
    person = get_for(request.user, Action.MANAGE_ORGANISATION, Person.objects.select_related("user"), pk=pk)
    initial = {f: getattr(person, f) for f in ("full_name", "email", "job_title", "organisation")}
    form = PersonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if call_service(form, services.person_update, actor=request.user, person=person, **form.cleaned_data):
            messages.success(request, "Details saved.")
            return redirect(person)
    return render(request, "org/person_form.html", {"form": form, "title": f"Change {person}", "person": person})


@require(Action.MANAGE_ORGANISATION)
@require_http_methods(["GET", "HEAD", "POST"])  # a page asking why, then the change by POST
def person_set_active(request, pk, active: bool):
    person = get_for(request.user, Action.MANAGE_ORGANISATION, Person.objects.select_related("user"), pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kwargs = {"actor": request.user, "person": person, "active": active, **form.cleaned_data}
        if call_service(form, services.person_set_active, **kwargs):
            messages.success(request, f"{person} can {'now' if active else 'no longer'} sign in.")
            return redirect(person)
    return render(request, "org/person_set_active.html", {"form": form, "person": person, "active": active})


@require(Action.MANAGE_ORGANISATION)
@require_POST
def person_invite(request, pk):
    """Send the invitation again (it lasts 72 hours, or the first went astray)."""
    person = get_for(request.user, Action.MANAGE_ORGANISATION, Person.objects.select_related("user"), pk=pk)
    try:
        invitations.invitation_send(actor=request.user, person=person)
    except ValidationError as refusal:
        messages.error(request, refusal.messages[0])
    else:
        messages.success(request, INVITATION_SENT.format(email=person.email))
    return redirect(person)


@require(Action.MANAGE_ORGANISATION)
def membership_add(request, pk):
    person = get_for(
        request.user,
        Action.MANAGE_ORGANISATION,
        Person.objects.select_related("user").prefetch_related(selectors.current_memberships()),
        pk=pk,
    )
    # ?service_area= (the area chosen, htmx asking for its teams) starts the form with that area.
    form = MembershipForm(
        request.POST or None,
        initial={"service_area": request.GET.get("service_area")},
        teams_url=reverse("org:membership_add", args=[person.pk]),
    )
    if request.method == "POST" and form.is_valid():
        kwargs = {"actor": request.user, "person": person, **form.cleaned_data}
        membership, again = create_once(
            request, form, services.membership_add, location=lambda m: person.get_absolute_url(), **kwargs
        )
        if again:
            return again
        if membership:
            messages.success(request, "Role added.")
            return redirect(person)
    return render(request, "org/membership_form.html", {"form": form, "person": person})


@require(Action.MANAGE_ORGANISATION)
@require_http_methods(["GET", "HEAD", "POST"])  # a page asking why, then the change by POST
def membership_end(request, pk):
    membership = get_for(
        request.user,
        Action.MANAGE_ORGANISATION,
        Membership.objects.current().select_related("person", "service_area", "team"),
        pk=pk,
    )
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        kwargs = {"actor": request.user, "membership": membership, **form.cleaned_data}
        if call_service(form, services.membership_end, **kwargs):
            messages.success(request, f"Role ended: {membership}.")
            return redirect(membership.person)
    return render(request, "org/membership_end.html", {"form": form, "membership": membership})


def _review_rows(request):
    filters = AccessReviewFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    rows = access_review.review_rows(
        unused_only=chosen.get("unused", False), role=chosen.get("role", ""), area=chosen.get("area")
    )
    return filters, rows


@require(Action.REVIEW_ACCESS)
@require_safe
def access_review_page(request):
    filters, rows = _review_rows(request)
    table = AccessReviewTable(rows)
    paginate_table(request, table)
    context = {
        "filters": filters,
        "table": table,
        "quarter": access_review.quarter_label(timezone.now()),
        "unused_days": settings.ACCESS_REVIEW_UNUSED_DAYS,
        "deactivation_reason": access_review.deactivation_reason(),
        "csv_url": f"{reverse('org:access_review_export')}?{filter_query(request)}",
    }
    return render(request, "org/access_review.html", context)


@require(Action.REVIEW_ACCESS)
@require_safe
def access_review_export(request):
    _, rows = _review_rows(request)
    record_export(request, "access review", rows=rows)  # staff, not children: recorded like every export
    return csv_response(access_review.review_csv_rows(rows), "access-review")


@require(Action.REVIEW_ACCESS)
@require_POST
def access_review_decide(request, pk):
    """Keep or deactivate, in one step from the review's row; back to the review as it was filtered."""
    person = get_for(request.user, Action.REVIEW_ACCESS, Person.objects.select_related("user"), pk=pk)
    form = AccessReviewDecisionForm(request.POST)
    if form.is_valid():
        kwargs = {k: form.cleaned_data[k] for k in ("decision", "reason")}
        if call_service(form, access_review.access_review_decide, actor=request.user, person=person, **kwargs):
            done = ACCESS_REVIEW_KEPT if kwargs["decision"] == "keep" else PERSON_DEACTIVATED
            messages.success(request, done.format(person=person))
    for error in form.errors.values():
        messages.error(request, error[0])
    # Only the filters' own fields go back into the address, whatever was posted.
    filters = AccessReviewFilterForm(QueryDict(form.data.get("filters", "")))
    kept = {key: value for key, value in filters.data.items() if key in filters.fields}
    return redirect(f"{reverse('org:access_review')}?{urlencode(kept)}")
