"""Headers for every response the portal makes (WhiteNoise answers static files before this runs).

- `Cache-Control: no-store` on every response to a signed-in person: pages, prints, lists and
  downloads carry children's data, and a shared computer's browser or a proxy must not keep a copy.
  A view that already says no-store (Django's `never_cache`: no-cache, must-revalidate, private...)
  keeps its own header; any other header the view set gets no-store added, never replaced.
- `Permissions-Policy`: the browser features the portal never uses are switched off, for its pages
  and for anything that might be framed in them.

And, first of all middleware, `RequestSizeLimitMiddleware`: a body over its cap is refused unread.
"""

import logging
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpResponse
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)

# The one feature the portal uses: writing to the clipboard (the Copy button beside the calendar
# address, static/js/schedule.js), from its own pages only. Features Chromium does not know
# (ambient-light-sensor, bluetooth, web-share) are left out: it warns about each on every page.
PERMISSIONS_POLICY = ", ".join(
    [
        "accelerometer=()",
        "autoplay=()",
        "browsing-topics=()",
        "camera=()",
        "clipboard-read=()",
        "clipboard-write=(self)",
        "display-capture=()",
        "encrypted-media=()",
        "fullscreen=()",
        "geolocation=()",
        "gyroscope=()",
        "hid=()",
        "idle-detection=()",
        "interest-cohort=()",
        "magnetometer=()",
        "microphone=()",
        "midi=()",
        "payment=()",
        "picture-in-picture=()",
        "publickey-credentials-get=()",
        "screen-wake-lock=()",
        "serial=()",
        "usb=()",
        "xr-spatial-tracking=()",
    ]
)


def says_no_store(response) -> bool:
    directives = response.get("Cache-Control", "").split(",")
    return "no-store" in (directive.split("=", 1)[0].strip().lower() for directive in directives)


class PrivateResponseMiddleware:
    """Sits just below WhiteNoise, so it sees every response Django makes, whoever made it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        # request.user as it is now: someone who just signed in is covered, someone just signed
        # out (or timed out) gets a redirect to the sign-in page with nothing in it.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not says_no_store(response):
            patch_cache_control(response, no_store=True)
        return response


REQUEST_TOO_LARGE = "The request is too large: nothing in it was read or saved."
LENGTH_REQUIRED = "The request must say its length (Content-Length): nothing in it was read or saved."


class RequestSizeLimitMiddleware:
    """First of all middleware: refuses a request whose body is over its cap before anything reads it.

    The cap is MAX_REQUEST_BYTES for someone signed in, MAX_ANONYMOUS_REQUEST_BYTES for anyone else.
    Only the declared Content-Length is looked at: under WSGI Django never reads more of the body
    than that. A body of unknown length (chunked) would be dropped unread by Django, so it is
    refused with 411 to say why, rather than handled as an empty form.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = _declared_length(request.META)
        if length is None:
            return _plain(LENGTH_REQUIRED, 411)
        if length > settings.MAX_ANONYMOUS_REQUEST_BYTES and (
            length > settings.MAX_REQUEST_BYTES or not _signed_in(request)
        ):
            logger.warning("request refused unread: %s bytes declared", length)
            return _plain(REQUEST_TOO_LARGE, 413)
        return self.get_response(request)


def _declared_length(meta) -> int | None:
    """The body's declared size (0 when there is none), or None when its size is not known."""
    declared = meta.get("CONTENT_LENGTH") or ""
    if not declared:
        return None if meta.get("HTTP_TRANSFER_ENCODING") else 0
    try:
        return max(int(declared), 0)
    except ValueError:
        return None


def _signed_in(request) -> bool:
    """Whether the session cookie names a signed-in session: looked up in the session store, because
    anyone can make up a cookie. Asked only about a request above the anonymous cap."""
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    return store.get(SESSION_KEY) is not None


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")
