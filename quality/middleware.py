"""Headers for every response the portal makes (WhiteNoise answers static files before this runs).

- `Cache-Control: no-store` on every response to a signed-in person: pages, prints, lists and
  downloads carry children's data, and a shared computer's browser or a proxy must not keep a copy.
  A view that already says no-store (Django's `never_cache`: no-cache, must-revalidate, private...)
  keeps its own header; any other header the view set gets no-store added, never replaced.
- `Permissions-Policy`: the browser features the portal never uses are switched off, for its pages
  and for anything that might be framed in them.
"""

from django.utils.cache import patch_cache_control

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
