"""Sign in as each demo log-in and open every page: none may fail with a server error.

Run against a database the demo was loaded into (`manage.py load_demo`), with the settings of
`make run` (SQLite by default): it checks what a person trying the portal will click. Pages
taking an object are opened for the newest object of their kind; pages that only take POST
answer 405 and are fine. Exits 1 listing every page that answered 5xx or raised.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quality.settings.local")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse  # noqa: E402

from quality.org.demo import DEMO_DOMAIN, DEMO_LOGINS  # noqa: E402


def page_names(patterns=None, prefix=""):
    """The project's URL names that take no arguments (Django's admin left out)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace != "admin":
            inner = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from page_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{prefix}{pattern.name}"


def pages() -> list[str]:
    urls = []
    for name in page_names():
        try:
            urls.append(reverse(name))
        except NoReverseMatch:
            continue  # takes arguments: covered by the object pages below
    for model in apps.get_models():
        if hasattr(model, "get_absolute_url"):
            newest = model._default_manager.order_by("-pk").first()
            if newest is not None:
                urls.append(newest.get_absolute_url())
    # The sign-out link and the calendar feed (a secret address) are not pages to open here.
    return [url for url in urls if "/logout/" not in url and "/feed/" not in url]


@override_settings(ALLOWED_HOSTS=["testserver"])
def main() -> int:
    failures, urls = [], pages()
    for key, *_ in DEMO_LOGINS:
        client = Client(raise_request_exception=False)
        client.force_login(get_user_model().objects.get(email=f"{key}@{DEMO_DOMAIN}"))
        for url in urls:
            status = client.get(url).status_code
            if status >= 500:
                failures.append(f"{status} {url} as {key}")
    print(f"{len(urls)} pages opened as each of {len(DEMO_LOGINS)} demo log-ins; {len(failures)} server errors")
    print("\n".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
