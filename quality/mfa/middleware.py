"""Nobody who must use a second factor reaches a page before passing it.

After the password a session is signed in but not verified. Until it is verified, a person who has
an authenticator (whatever their role) is sent to the code page, and a person whose role requires
one but who has none is sent to set it up, from every page but those listed in OPEN_PAGES. A script
(htmx, or one asking for JSON such as the audit autosave) gets 401 with JSON instead of a redirect
whose page would read as success, and htmx is told to load the code page.

Below django_otp's OTPMiddleware (request.user.is_verified()) and the session time-out (a session
that has just ended is no longer signed in, so it goes to the log-in page, not here).
"""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from . import rules

# Pages a signed-in but unverified session may reach: signing in and out, the second-factor pages
# themselves, password reset (reached from an e-mail, signed in or not) and single sign-on's own
# pages (signing in with the council account verifies the session).
OPEN_PAGES = frozenset(
    {
        "login",
        "logout",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        "oidc_authentication_init",
        "oidc_authentication_callback",
        "mfa:verify",
        "mfa:enrol",
        "mfa:recovery_codes",
        "mfa:recovery_codes_download",
    }
)


def _is_open(match) -> bool:
    # No match: a 404 page, which shows nothing.
    return match is None or match.view_name in OPEN_PAGES


def _wants_json(request) -> bool:
    return bool(getattr(request, "htmx", False)) or "application/json" in request.headers.get("Accept", "")


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or _is_open(request.resolver_match) or rules.is_verified(request):
            return None
        if rules.is_enrolled(user):
            return self._send_to(request, "mfa:verify")
        if rules.second_factor_required(user):
            return self._send_to(request, "mfa:enrol")
        return None

    @staticmethod
    def _send_to(request, page: str):
        url = f"{reverse(page)}?{urlencode({'next': request.get_full_path()})}"
        if _wants_json(request):
            response = JsonResponse({"second_factor_needed": True}, status=401)
            if getattr(request, "htmx", False):
                response["HX-Redirect"] = reverse(page)
            return response
        return redirect(url)
