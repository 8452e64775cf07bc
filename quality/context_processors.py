from django.conf import settings
from django.urls import reverse

from quality.access import Action, can

# (label, url name, action needed): the navigation shows each person only what they may use.
# A (label, [items]) entry is a menu of related pages, grouped by task so the bar stays one line for the
# roles that see the most (the QA lead: seven entries); a person who may use only one page of a menu gets
# that page as a plain link instead (a reader's "Service areas").
NAVIGATION = [
    ("Home", "home", None),
    (
        "Audits",
        [
            ("Audits", "audits:audit_list_area", Action.VIEW_AUDITS),  # the page's tabs lead to "mine" and "all"
            ("Voices", "audits:voices_list", Action.VIEW_VOICES),
            ("Actions", "audits:action_list_mine", Action.VIEW_AUDITS),  # its tabs lead to "Area actions"
            ("Audit tools", "audits:tool_list", Action.VIEW_TOOLS),
        ],
    ),
    (
        "Monthly cycle",
        [
            ("Schedule", "schedule:calendar", Action.VIEW_SCHEDULE),
            ("Case list", "cases:case_list", Action.VIEW_CASES),
            ("Allocation", "allocation:allocation_list", Action.MANAGE_ALLOCATION),
            ("Due and overdue", "escalations:overdue_list", Action.VIEW_OVERDUE),
            ("Escalations", "escalations:board", Action.VIEW_ESCALATIONS),
            ("Exemplars", "escalations:exemplar_list", Action.VIEW_AUDITS),
        ],
    ),
    (
        "Moderation",
        [
            ("Panels", "moderation:panel_list", Action.VIEW_MODERATION),
            ("Outcomes", "moderation:outcomes", Action.VIEW_MODERATION),
            ("Calibration", "moderation:calibration_list", Action.MANAGE_PANELS),
        ],
    ),
    (
        "Performance",
        [
            ("Scorecard", "performance:scorecard", Action.VIEW_SCORECARD),
            ("Commentary", "performance:commentary", Action.WRITE_COMMENTARY),
            ("Indicator catalogue", "performance:catalogue", Action.MANAGE_INDICATORS),
            ("Load values", "performance:value_loads", Action.LOAD_KPI_VALUES),
        ],
    ),
    (
        "Reports",
        [
            ("Audit analysis reports", "reports:report_list", Action.VIEW_REPORTS),
            ("Generate a report", "reports:report_generate", Action.MANAGE_REPORTS),
            ("My report e-mails", "reports:report_subscription", Action.VIEW_REPORTS),
            ("Practice themes", "reports:theme_list", Action.MANAGE_PRACTICE_THEMES),
            ("Complaints and compliments", "complaints:entry_list", Action.VIEW_COMPLAINTS),
            ("Supporting Families benchmarking", "families:summary", Action.VIEW_BENCHMARKING_SUMMARY),
            ("Observations of practice", "observations:list", Action.VIEW_OBSERVATIONS),
            ("Surveys of children and families", "voices:survey_list", Action.VIEW_SURVEYS),
            ("Triangulation", "evaluation:index", Action.VIEW_TRIANGULATION),
            ("Triangulation rules", "evaluation:rule_list", Action.EDIT_TRIANGULATION_RULES),
            ("Self-evaluation", "evaluation:self_evaluations", Action.VIEW_SELF_EVALUATION),
        ],
    ),
    (
        "Organisation",
        [
            ("Service areas", "org:service_area_list", Action.VIEW_ORGANISATION),
            ("People", "org:person_list", Action.VIEW_PEOPLE),
            ("Security events", "security:event_list", Action.VIEW_SECURITY_EVENTS),
            ("Who saw which record", "security:access_search", Action.VIEW_ACCESS_RECORDS),
        ],
    ),
]


def _items(request, entries) -> list[dict]:
    items = []
    for label, target, *action in entries:
        if isinstance(target, list):
            children = _items(request, target)
            if len(children) == 1:
                items.extend(children)
            elif children:
                items.append({"label": label, "children": children, "active": any(c["active"] for c in children)})
        elif not action or action[0] is None or can(request.user, action[0]):
            url = reverse(target)
            items.append({"label": label, "url": url, "active": request.path == url})
    return items


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    # Once per request: each table a page renders ({% render_table %}) runs the context processors again.
    if not hasattr(request, "_navigation"):
        request._navigation = _items(request, NAVIGATION)
    return {"navigation": request._navigation}


def sign_in_options(request):
    """What the sign-in pages offer: the council account button, and whether passwords are for all."""
    return {
        "sso_configured": settings.SSO_CONFIGURED,
        "password_sign_in_for_all": settings.PASSWORD_SIGN_IN == "all",
    }
