from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from audits import selectors as audit_selectors
from audits import waiting as audit_waiting
from moderation import waiting as moderation_waiting
from performance import waiting as performance_waiting
from quality.access import Action, can, grant_for, require
from quality.org import selectors as org_selectors
from quality.org.models import Notification, Role
from quality.reports import waiting as report_waiting

# The kinds of waiting work the home page lists, in this order, above the audits' own lists
# (audits.selectors.due_for). Each asks whether the person's roles give them such work (else None).
WAITING_KINDS = (
    audit_waiting.allocation_to_propose,
    audit_waiting.allocations_to_review,
    audit_waiting.grades_to_moderate,
    moderation_waiting.sessions_open,
    moderation_waiting.panels_coming_up,
    moderation_waiting.panels_to_prepare,
    report_waiting.reports_to_publish,
    report_waiting.reports_failed,
    performance_waiting.figures_to_load,
    performance_waiting.commentary_to_write,
    performance_waiting.months_to_lock,
)
# What readers come for (quality.waiting.READING_ROLES), listed last without a count; with them on the
# page it does not say that nothing is due.
READING_KINDS = (report_waiting.latest_report, performance_waiting.latest_scorecard_month)


def _kinds_for(user, kinds) -> list:
    """The kinds of work this person's roles give them, leaving out those with nothing waiting."""
    return [waiting for kind in kinds if (waiting := kind(user)) is not None and waiting.count]


@login_required
def home(request):
    """What is due for me: each role's waiting work with counts and links, computed from the data."""
    person = getattr(request.user, "person", None)
    memberships = person.memberships.current().select_related("service_area", "team") if person else []
    grant = grant_for(request.user)
    context = {
        "person": person,
        "memberships": memberships,
        "grant": grant,
        "due": audit_selectors.due_for(request.user),
        "waiting": _kinds_for(request.user, WAITING_KINDS),
        "to_read": _kinds_for(request.user, READING_KINDS),
        "partner_auditor": Role.PARTNER_AUDITOR in grant.roles,
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
