from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from quality.access import Action, can, grant_for
from quality.org import selectors as org_selectors


@login_required
def home(request):
    """What is due for me: each role's panel, computed from the data."""
    person = getattr(request.user, "person", None)
    memberships = person.memberships.current().select_related("service_area", "team") if person else []
    context = {
        "person": person,
        "memberships": memberships,
        "grant": grant_for(request.user),
    }
    if can(request.user, Action.MANAGE_ORGANISATION):
        context["organisation_gaps"] = org_selectors.organisation_gaps()
    return render(request, "core/home.html", context)
