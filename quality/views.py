from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from audits import selectors as audit_selectors
from quality.access import Action, can, grant_for, require
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


@require(Action.VIEW_NOTIFICATIONS)
def notification_list(request):
    """Everything the portal has told me, newest first; only ever the person's own."""
    notifications = Notification.objects.filter(recipient=request.user)[:200]
    return render(request, "core/notification_list.html", {"notifications": notifications})


@require(Action.VIEW_NOTIFICATIONS)
@require_POST
def notifications_mark_read(request):
    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notification_list")
