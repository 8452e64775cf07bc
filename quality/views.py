from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from audits import selectors as audit_selectors
from quality.access import Action, can, grant_for
from quality.org import selectors as org_selectors
from quality.org.models import Notification


@login_required
def home(request):
    """What is due for me: each role's panel, computed from the data."""
    person = getattr(request.user, "person", None)
    memberships = person.memberships.current().select_related("service_area", "team") if person else []
    context = {
        "person": person,
        "memberships": memberships,
        "grant": grant_for(request.user),
        "due": audit_selectors.due_for(request.user),
        "notifications": Notification.objects.filter(recipient=request.user, read_at__isnull=True)[:10],
    }
    if can(request.user, Action.MANAGE_ORGANISATION):
        context["organisation_gaps"] = org_selectors.organisation_gaps()
    return render(request, "core/home.html", context)
