"""Responses to a signed-in person are never stored by a browser or proxy; every response says which
browser features the portal uses (quality/middleware.py). Static files are WhiteNoise's business."""

import hashlib

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from audits import services as audit_services
from audits.models import AuditDocument
from quality.middleware import PERMISSIONS_POLICY, PrivateResponseMiddleware
from quality.org.models import Role

pytestmark = pytest.mark.django_db

# What Django's never_cache sets: a view's own header that already forbids storing.
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


def cache_directives(response) -> set[str]:
    return {directive.strip().lower() for directive in response.get("Cache-Control", "").split(",") if directive}


def permissions(response) -> dict[str, str]:
    policy = {}
    for item in response["Permissions-Policy"].split(","):
        feature, allowlist = item.strip().split("=", 1)
        policy[feature] = allowlist
    return policy


def read(response):
    """Read a download to the end, so the test client closes its file."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def qa_officer(client, make_person):
    person = make_person(Role.QA_OFFICER, full_name="Quinn Officer")
    client.force_login(person.user)
    return person


@pytest.fixture
def audit_with_pdf(qa_officer, make_person, own_area):
    tool = audit_services.tool_create(actor=None, name="SWF case audit", service_area=own_area, purpose="case_audit")
    version = audit_services.version_publish(actor=None, version=tool.versions.get())
    audit = audit_services.audit_create(
        actor=None,
        case_reference="C-100200",
        service_area=own_area,
        auditor=make_person(Role.PRACTICE_MANAGER, own_area, full_name="Ava Auditor"),
        case_holder=make_person(Role.PRACTITIONER, own_area, full_name="Wes Worker"),
        tool_version=version,
    )
    content = b"%PDF-1.7\n% a stand-in\n"
    document = AuditDocument.objects.create(
        audit=audit,
        requested_by=qa_officer.user,
        state=AuditDocument.State.READY,
        file=ContentFile(content, name=f"audit-{audit.pk}.pdf"),
        generated_at=timezone.now(),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    return audit, document


# --- Cache-Control: no-store for a signed-in person ---------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    [
        "home",
        "audits:audit_list_all",
        "cases:case_list",
        "org:person_list",
        "audits:audit_export_all_csv",
        "audits:audit_export_all_xlsx",
        "audits:voices_export_csv",
        "schedule:download",
    ],
    ids=["home page", "audit list", "case list", "people list", "CSV export", "XLSX export", "voices CSV", "ics file"],
)
def test_a_page_or_download_for_a_signed_in_person_is_not_stored(client, qa_officer, url_name):
    response = client.get(reverse(url_name))
    read(response)

    assert response.status_code == 200
    assert "no-store" in cache_directives(response)


def test_an_audit_pdf_download_is_not_stored_and_keeps_the_views_own_header(client, audit_with_pdf):
    audit, document = audit_with_pdf
    response = client.get(reverse("audits:audit_document_download", args=[audit.pk, document.pk]))
    read(response)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == NEVER_CACHE


def test_a_print_page_for_a_signed_in_person_is_not_stored(client, audit_with_pdf):
    audit, _ = audit_with_pdf
    response = client.get(reverse("audits:audit_print", args=[audit.pk]))

    assert response.status_code == 200
    assert "no-store" in cache_directives(response)


def test_a_refusal_to_a_signed_in_person_is_not_stored_either(client, make_person):
    client.force_login(make_person(Role.READ_ONLY).user)
    response = client.get(reverse("audits:audit_list_all"))

    assert response.status_code == 403
    assert "no-store" in cache_directives(response)


def middleware_response(user, view_response):
    request = RequestFactory().get("/somewhere/")
    request.user = user
    return PrivateResponseMiddleware(lambda request: view_response)(request)


def test_a_views_weaker_cache_header_gets_no_store_added_and_keeps_its_own_directives(make_person):
    view_response = HttpResponse("rows")
    view_response["Cache-Control"] = "private, max-age=60"

    response = middleware_response(make_person(Role.QA_OFFICER).user, view_response)

    assert cache_directives(response) == {"private", "max-age=60", "no-store"}


def test_a_views_own_no_store_header_is_left_exactly_as_the_view_set_it(make_person):
    view_response = never_cache(lambda request: HttpResponse("rows"))(RequestFactory().get("/"))

    response = middleware_response(make_person(Role.QA_OFFICER).user, view_response)

    assert response["Cache-Control"] == NEVER_CACHE


def test_a_response_to_an_anonymous_visitor_gets_no_cache_header_added():
    response = middleware_response(AnonymousUser(), HttpResponse("public"))

    assert "Cache-Control" not in response


# --- Permissions-Policy on every response ------------------------------------------------------------


def test_every_page_denies_the_browser_features_the_portal_does_not_use(either_side_of_sign_in):
    policy = permissions(either_side_of_sign_in)

    assert either_side_of_sign_in.status_code == 200
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics", "display-capture"):
        assert policy[feature] == "()", feature


def test_the_only_feature_allowed_is_writing_to_the_clipboard_from_the_portals_own_pages(either_side_of_sign_in):
    policy = permissions(either_side_of_sign_in)

    assert {feature: allowed for feature, allowed in policy.items() if allowed != "()"} == {"clipboard-write": "(self)"}
    assert policy["clipboard-read"] == "()"
    assert either_side_of_sign_in["Permissions-Policy"] == PERMISSIONS_POLICY


def test_the_anonymous_sign_in_page_carries_the_permissions_policy_and_is_not_stored(client):
    response = client.get(reverse("login"))

    assert response["Permissions-Policy"] == PERMISSIONS_POLICY
    assert "no-store" in cache_directives(response)  # the sign-in view's own never_cache


# --- static files: WhiteNoise answers before the middleware ---------------------------------------------


def test_a_static_file_keeps_whitenoises_headers_even_for_a_signed_in_person(client, qa_officer):
    response = client.get("/static/css/portal.css")
    read(response)

    assert response.status_code == 200
    assert "no-store" not in cache_directives(response)
    assert "Permissions-Policy" not in response
