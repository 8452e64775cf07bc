from django.urls import reverse

from quality.access import Action, can

# (label, url name, action needed): the navigation shows each person only what they may use.
NAVIGATION = [
    ("Home", "home", None),
    ("Service areas", "org:service_area_list", Action.VIEW_ORGANISATION),
    ("People", "org:person_list", Action.VIEW_PEOPLE),
    ("Audits", "audits:audit_list_area", Action.VIEW_AUDITS),  # the page's tabs lead to "mine" and "all"
    ("Voices", "audits:voices_list", Action.VIEW_VOICES),
    ("Actions", "audits:action_list_mine", Action.VIEW_AUDITS),  # its tabs lead to "Area actions"
    ("Audit tools", "audits:tool_list", Action.VIEW_TOOLS),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    items = [
        {"label": label, "url": reverse(name), "active": request.path == reverse(name)}
        for label, name, action in NAVIGATION
        if action is None or can(user, action)
    ]
    return {"navigation": items}
