"""End sessions after SESSION_IDLE_TIMEOUT without a request, or SESSION_ABSOLUTE_TIMEOUT in all."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from .messages import SESSION_ENDED

STARTED, LAST_SEEN = "quality_session_started", "quality_session_last_seen"


@receiver(user_logged_in)
def start_session_clock(sender, request, user, **kwargs):
    """The 12-hour limit counts from sign-in itself, not from the first page after it."""
    if request is not None and hasattr(request, "session"):
        now = timezone.now().timestamp()
        request.session[STARTED] = request.session[LAST_SEEN] = now


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = timezone.now().timestamp()
            started = request.session.setdefault(STARTED, now)
            last_seen = request.session.get(LAST_SEEN, now)
            idle = now - last_seen > settings.SESSION_IDLE_TIMEOUT.total_seconds()
            too_old = now - started > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
            if idle or too_old:
                logout(request)
                messages.info(request, SESSION_ENDED)
                if request.htmx:
                    # An htmx request cannot follow a redirect to a full page: ask for a reload.
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = reverse("login")
                    return response
                return redirect_to_login(request.get_full_path())
            request.session[LAST_SEEN] = now
        return self.get_response(request)
