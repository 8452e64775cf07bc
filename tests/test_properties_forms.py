"""Issue 13, "harden every input": any POST to any page of the portal gives a page or a refusal, never a
server error, and a refused POST saves nothing.

The pages are not listed by hand: every URL the resolver knows (tests/test_access_matrix.py walks them
and says who may open each) is posted to by a person allowed to post there. A first, empty POST finds
what the page reads: the forms it binds (their fields, so Hypothesis makes values of the right kind
and of every wrong kind) and any key it reads from the request itself. Hypothesis then posts
generated bodies: fields missing, extra fields, text with control characters and NUL, huge values,
numbers out of range, impossible dates, choices that are not offered, and raw bodies that are not a
form at all. The answer must be under 500; when it is a refusal (4xx, a form with errors, or an error
message) every table of the database must be as it was.
"""

from __future__ import annotations

import json
import string
from contextlib import contextmanager
from unittest.mock import patch

import pytest
from django import forms
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import constants as message_levels
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from hypothesis import given
from hypothesis import strategies as st

from quality.idempotency import TOKEN_FIELD
from quality.org.models import Role

from .factories import ServiceAreaFactory, person_with_role
from .properties import awkward_text, changed_tables, database_picture, rolled_back
from .test_access_matrix import ANONYMOUS, EXPECTED, HELD_IN_OWN_AREA, NO_OBJECT, URL_KWARGS, URL_NAMES, World

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("frozen_today"),
    # A failing example with a huge value is still worth printing.
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]

ALLOWED = (200, 405)  # in the access matrix: the page opens, or it takes only POST
REFUSALS = (400, 403, 404, 405, 409, 422)
NOT_LET_IN = (401, 403, 404)

# Who posts, where the people the matrix names are not the ones the page is for: an audit's own
# auditor edits it (the matrix's practice manager is another manager of the area).
POSTERS = {
    "audits:audit_edit": lambda world: world.audit("own").auditor,
    "audits:audit_autosave": lambda world: world.audit("own").auditor,
    "audits:audit_action_add": lambda world: world.audit("own").auditor,
    "audits:audit_concern": lambda world: world.audit("own").auditor,
}
# What is posted to, where the matrix's object cannot take a POST: only a retired area is reactivated.
OBJECTS = {
    "org:service_area_reactivate": lambda world: {"pk": world.retired_area().pk},
}
# Refusals that write by design, with the tables they may write: a wrong code is counted on the
# person's authenticator (django-otp's throttle), to slow down guessing.
WRITES_WHEN_REFUSED = {"mfa:remove": frozenset({"otp_totp_totpdevice"})}
# The audit form keeps whatever of a draft is valid and names the rest (autosave and "submit" both
# save the draft first): a 422 there has saved the valid answers on purpose.
SAVES_THE_VALID_PART = frozenset({"audits:audit_edit", "audits:audit_autosave"})


def _candidates(url_name: str) -> tuple[str, list[str]]:
    """(where, who): the object of the own service area (or none), and the columns allowed there, the
    ones that may open the page first."""
    for where in ("own", NO_OBJECT):
        statuses = EXPECTED.get((url_name, where))
        if statuses:
            return where, [who for status in ALLOWED for who, got in statuses.items() if got == status]
    return NO_OBJECT, []


def _cases():
    for name in URL_NAMES:
        if _candidates(name)[1] or name in POSTERS:
            yield pytest.param(name, id=name)


# -- What a page reads --------------------------------------------------------------------------


@contextmanager
def recording():
    """The forms bound while a request runs, and every (dict, key) read from a MultiValueDict."""
    bound: list[forms.BaseForm] = []
    reads: set[tuple[int, str]] = set()
    form_init = forms.BaseForm.__init__
    getitem, getlist = MultiValueDict.__getitem__, MultiValueDict.getlist

    def init(self, *args, **kwargs):
        form_init(self, *args, **kwargs)
        if self.is_bound:
            bound.append(self)

    def read(self, key, *args):
        reads.add((id(self), key))
        return getitem(self, key, *args)

    def read_list(self, key, *args):
        reads.add((id(self), key))
        return getlist(self, key, *args)

    def contains(self, key):
        reads.add((id(self), key))
        return dict.__contains__(self, key)

    with (
        patch.object(forms.BaseForm, "__init__", init),
        patch.object(MultiValueDict, "__getitem__", read),
        patch.object(MultiValueDict, "getlist", read_list),
        patch.object(MultiValueDict, "__contains__", contains, create=True),
    ):
        yield bound, reads


def _offered(field: forms.Field) -> list[str]:
    values = []
    for value, label in getattr(field, "choices", ()):
        if isinstance(label, list | tuple):  # an optgroup
            values += [str(inner) for inner, _ in label]
        else:
            values.append(str(value))
    return [value for value in values if value]


def _sensible(field: forms.Field):
    """Values a person could mean for this kind of field (the awkward ones come from `awkward_text`)."""
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField) and _offered(field):
        return st.sampled_from(_offered(field))
    if isinstance(field, forms.BooleanField | forms.NullBooleanField):
        return st.sampled_from(["on", "true", "false", "1", "unknown"])
    if isinstance(field, forms.DateTimeField):
        return st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%d %H:%M"))
    if isinstance(field, forms.DateField):
        dates = st.dates()
        return st.one_of(dates.map(lambda day: day.isoformat()), dates.map(lambda day: day.strftime("%d/%m/%Y")))
    if isinstance(field, forms.TimeField):
        return st.times().map(lambda moment: moment.isoformat())
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return st.one_of(st.integers(-(10**20), 10**20).map(str), st.decimals().map(str))
    if isinstance(field, forms.EmailField):
        return st.emails()
    return st.text(max_size=300)


def _value(field: forms.Field | None):
    one = awkward_text if field is None else st.one_of(_sensible(field), awkward_text)
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return st.lists(one, max_size=4)
    return one


def _names(form: forms.BaseForm, name: str, field: forms.Field) -> list[str]:
    html_name = form.add_prefix(name)
    if isinstance(field.widget, forms.MultiWidget):
        return [f"{html_name}{suffix}" for suffix in field.widget.widgets_names]
    return [html_name]


def post_bodies(bound: list[forms.BaseForm], keys: set[str]):
    """Bodies for this page: form data built from its fields and keys (each may be missing, others
    added), or a raw body that is no form at all."""
    fields: dict[str, object] = {}
    for form in bound:
        for name, field in form.fields.items():
            for html_name in _names(form, name, field):
                fields[html_name] = _value(field)
    for key in keys - fields.keys():
        fields[key] = st.one_of(st.sampled_from(["0", "1", "2", "on", "save", "import", "up"]), awkward_text)
    fields[TOKEN_FIELD] = st.one_of(st.text(string.ascii_letters + "-_", min_size=16, max_size=64), awkward_text)
    extra_names = st.text(string.ascii_letters + "_-[]0123456789", min_size=1, max_size=12)
    form_data = st.builds(
        lambda known, extra: ("form", {**extra, **known}),
        st.fixed_dictionaries({}, optional=fields),
        st.dictionaries(extra_names, awkward_text, max_size=2),
    )
    raw = st.tuples(
        st.sampled_from(["application/x-www-form-urlencoded", "application/json", "multipart/form-data; boundary=x"]),
        st.one_of(st.binary(max_size=200), st.recursive(st.none() | st.integers() | awkward_text, _json_inner)),
    ).map(lambda typed: ("raw", typed))
    return st.tuples(st.one_of(form_data, form_data, form_data, raw), st.booleans())


def _json_inner(children):
    return st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)


# -- Posting ------------------------------------------------------------------------------------


def _post(client, url, body, htmx: bool):
    headers = {"HX-Request": "true"} if htmx else {}
    kind, payload = body
    if kind == "form":
        return client.post(url, payload, headers=headers)
    content_type, content = payload
    if not isinstance(content, bytes):
        content = json.dumps(content).encode()
    return client.post(url, content, content_type=content_type, headers=headers)


def _refused(response, bound) -> bool:
    if response.status_code in REFUSALS:
        return True
    if any(form._errors for form in bound if form._errors is not None):  # only forms the view validated
        return True
    stored = getattr(response.wsgi_request, "_messages", None)
    added = getattr(stored, "_queued_messages", [])  # this request's, not those waiting from earlier ones
    return any(message.level >= message_levels.ERROR for message in added)


class Page:
    """One URL and the person who posts to it; `post` checks the answer.

    The person signs in once, and the database is pictured once, here: every POST runs in a
    transaction rolled back afterwards (`rolled_back`), so each one starts from this same database,
    the person's session included; only the browser's cookie is put back, as a view may have
    replaced it (signing out, a new session key)."""

    def __init__(self, client, url_name, url, user):
        self.client, self.url_name, self.url, self.user = client, url_name, url, user
        if user is not None:
            client.force_login(user)
            self.session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
        self.before = database_picture()

    def post(self, body, htmx=False):
        """(response, forms bound, keys read from the posted data)."""
        if self.user is None:
            self.client.logout()
        else:
            self.client.cookies[settings.SESSION_COOKIE_NAME] = self.session_key
            assert self.client.session.get(SESSION_KEY) == str(self.user.pk), f"{self.url_name}: signed out"
        self.client.cookies.pop("messages", None)  # the client follows no redirect: none are shown
        before = self.before
        with recording() as (bound, reads):
            response = _post(self.client, self.url, body, htmx)
        assert response.status_code < 500, f"POST {self.url_name}: {response.status_code}"
        if response.streaming:
            b"".join(response.streaming_content)
        if _refused(response, bound) and self.url_name not in SAVES_THE_VALID_PART:
            allowed = WRITES_WHEN_REFUSED.get(self.url_name, frozenset())
            changed = [table for table in changed_tables(before, database_picture()) if table not in allowed]
            assert not changed, f"POST {self.url_name} was refused ({response.status_code}) but changed {changed}"
        request = response.wsgi_request
        # Only what was read from the posted data (not the query string, nor Django's own lookups);
        # read from the request's attributes, so that a body the view never parsed is not parsed now.
        posted = {id(getattr(request, "_post", None)), id(getattr(request, "_files", None))}
        return response, bound, {key for owner, key in reads if owner in posted}


class PostWorld(World):
    def retired_area(self):
        return self._once(
            "retired_area", "-", lambda: ServiceAreaFactory(code="OLD", is_active=False, retired_at=timezone.now())
        )


def _person(who, world):
    area = world.area("own") if who in HELD_IN_OWN_AREA else None
    return person_with_role(Role(who), area, full_name=f"Poster {who}")


def page_and_probe(client, world, url_name):
    """The page posted to by the first person allowed who is let in, and its empty POST's answer."""
    where, candidates = _candidates(url_name)
    make_kwargs = OBJECTS.get(url_name) or (lambda world: URL_KWARGS[url_name](world, where))
    url = reverse(url_name, kwargs=make_kwargs(world) if url_name in OBJECTS or url_name in URL_KWARGS else None)
    if url_name in POSTERS:
        users = [POSTERS[url_name](world).user]
    else:
        users = [None if who == ANONYMOUS else _person(who, world).user for who in candidates]
    for user in users:
        page = Page(client, url_name, url, user)
        with rolled_back():
            probe = page.post(("form", {}))
        if probe[0].status_code not in NOT_LET_IN:
            return page, probe
    raise AssertionError(f"{url_name}: nobody the access matrix allows was let in to post; see POSTERS")


@pytest.fixture
def world(own_area, other_area):
    return PostWorld(own_area, other_area)


@pytest.mark.parametrize("url_name", list(_cases()))
def test_any_post_gives_a_page_or_a_refusal_and_a_refusal_saves_nothing(client, world, url_name):
    page, (probe, bound, keys) = page_and_probe(client, world, url_name)
    if probe.status_code == 405:
        return  # a page that only shows: the empty POST above was its property

    @given(body_and_htmx=post_bodies(bound, keys))
    def any_body(body_and_htmx):
        with rolled_back():
            page.post(*body_and_htmx)

    any_body()
