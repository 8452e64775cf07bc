"""Text people wrote is shown as text, never run as markup (issue 13: stored markup became actions).

A tool whose title, sections, questions, help texts and options hold markup is published and
answered; every page that shows it, as each role allowed to open it, must show the markup as
escaped text: no element of it reaches the page, so neither the browser nor htmx can act on it.
"""

from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from audits import documents, services, tool_files
from audits.forms import answer_form
from audits.models import ToolVersion
from quality.forms import written, written_choices
from tests.factories import published_tool_version

pytestmark = pytest.mark.django_db

BOLD = "<b data-probe>probe</b>"
HTMX = """<span hx-post="/org/people/7/roles/new/" hx-trigger="load" hx-vals='{"role":"administrator"}'></span>"""
SCRIPT_LINK = '<a href="javascript:alert(1)">x</a>'
PAYLOADS = (BOLD, HTMX, SCRIPT_LINK)
ESCAPED_BOLD = "&lt;b data-probe&gt;probe&lt;/b&gt;"
ESCAPED_HTMX = "&lt;span hx-post=&quot;/org/people/7/roles/new/&quot;"


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {name: value or "" for name, value in attrs}))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


def assert_shown_as_text(html: str) -> None:
    """No element of the payloads is on the page; their text is, escaped."""
    for tag, attrs in elements(html):
        assert "data-probe" not in attrs, f"a <{tag} data-probe> element reached the page"
        assert not attrs.get("hx-post", "").startswith("/org"), f"a <{tag} hx-post> to /org reached the page"
        assert "hx-vals" not in attrs and not (tag == "span" and "hx-trigger" in attrs)
        assert not attrs.get("href", "").lower().startswith("javascript:"), f"a <{tag}> javascript: link"
    for raw in ("<b data-probe", 'hx-post="/org', 'href="javascript:'):
        assert raw not in html
    assert ESCAPED_BOLD in html


def probe_sections() -> list[dict]:
    """Tool-file sections (audits/tool_files.py) with the payloads wherever people write text."""
    return [
        {
            "title": f"Practice {BOLD}",
            "analysis_area": "narrative",
            "help_text": f"Read the file first. {HTMX} {SCRIPT_LINK}",
            "questions": [
                {"key": "narrative-grade", "text": f"Grade {BOLD}", "type": "grade", "help_text": HTMX},
                {
                    "key": "which",
                    "text": f"Which one? {BOLD} {SCRIPT_LINK}",
                    "type": "single_choice",
                    "choices": [BOLD, SCRIPT_LINK, "Plain"],
                    "help_text": f"{HTMX} {BOLD}",
                },
                {
                    "key": "several",
                    "text": f"Several {BOLD}",
                    "type": "multiple_choice",
                    "choices": [BOLD, HTMX, "Plain"],
                    "help_text": SCRIPT_LINK,
                },
                {"key": "evidence", "text": f"Evidence {BOLD}", "type": "narrative", "help_text": f"{HTMX}{BOLD}"},
            ],
        }
    ]


@pytest.fixture
def people(qa_lead, admin_person, practice_manager, service_lead, practitioner):
    return {
        "qa_lead": qa_lead,
        "admin": admin_person,
        "auditor": practice_manager,
        "lead": service_lead,
        "worker": practitioner,
    }


@pytest.fixture
def version(people, own_area) -> ToolVersion:
    """A tool of the own area with the payloads wherever people write text: its title, sections and questions."""
    return published_tool_version(
        area=own_area, actor=people["qa_lead"], name=f"Probe tool {BOLD}", sections=probe_sections()
    )


@pytest.fixture
def audit(people, own_area, version):
    audit = services.audit_create(
        actor=people["qa_lead"].user,
        case_reference="C-104233",
        service_area=own_area,
        case_holder=people["worker"],
        auditor=people["auditor"],
        tool_version=version,
    )
    # Answers that are options people wrote: the audit's pages show them as answers too.
    return services.audit_save_draft(
        actor=people["auditor"].user,
        audit=audit,
        revision=audit.revision,
        answers={"which": BOLD, "several": [BOLD, HTMX], "evidence": "Seen in the plan."},
        fields={},
    )


def page(client, person, url) -> str:
    client.force_login(person.user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize("who", ["qa_lead", "admin", "auditor", "worker"])
def test_the_tool_preview_shows_the_tools_markup_as_text(client, people, version, who):
    html = page(client, people[who], version.get_absolute_url())
    assert_shown_as_text(html)
    assert ESCAPED_HTMX in html  # the help text is there, to be read


def test_the_tool_pages_show_the_title_as_text(client, people, version):
    for url in (reverse("audits:tool_list"), version.tool.get_absolute_url()):
        assert_shown_as_text(page(client, people["qa_lead"], url))


def test_the_audit_form_shows_questions_help_and_options_as_text(client, people, audit):
    html = page(client, people["auditor"], reverse("audits:audit_edit", args=[audit.pk]))
    assert_shown_as_text(html)
    assert ESCAPED_HTMX in html
    # The options still answer: the stored answer is the option as written, and it is ticked.
    checked = [attrs for tag, attrs in elements(html) if tag == "input" and "checked" in attrs]
    assert {(a["name"], a["value"]) for a in checked} >= {("q-which", BOLD), ("q-several", BOLD), ("q-several", HTMX)}


@pytest.mark.parametrize("who", ["auditor", "lead", "qa_lead", "admin"])
def test_the_audit_and_its_printable_page_show_the_markup_as_text(client, people, audit, who):
    for name in ("audits:audit_detail", "audits:audit_print"):
        assert_shown_as_text(page(client, people[who], reverse(name, args=[audit.pk])))


def test_the_pdf_shows_the_markup_as_text(people, audit):
    context = documents.print_context(audit, made_by=people["auditor"].user, made_at=timezone.now(), for_pdf=True)
    assert_shown_as_text(render_to_string("audits/audit_print.html", context))


def test_the_start_page_lists_the_tools_title_as_text(client, people, version):
    assert_shown_as_text(page(client, people["qa_lead"], reverse("audits:audit_start")))


def test_a_tool_file_with_markup_imports_and_previews_as_text(client, people, version):
    data = tool_files.export_version(version)
    data["tool"]["name"] = f"Imported {BOLD}"
    client.force_login(people["qa_lead"].user)
    upload = _file("probe.json", tool_files.dump(data, "json"))
    response = client.post(reverse("audits:tool_import"), {"file": upload})
    imported = ToolVersion.objects.get(tool__name=f"Imported {BOLD}")
    assert response.status_code == 302 and response.url == imported.get_absolute_url()
    # Stored as written (the file travels on unchanged); escaped only where it is shown.
    assert imported.sections.get().help_text == probe_sections()[0]["help_text"]
    assert_shown_as_text(page(client, people["admin"], imported.get_absolute_url()))


def test_the_preview_and_the_audit_form_keep_peoples_text_out_of_htmxs_reach(client, people, audit, version):
    """hx-disable around what people wrote: htmx would ignore an hx-* there even if one slipped through."""
    preview = page(client, people["admin"], version.get_absolute_url())
    assert '<div hx-disable>\n<nav aria-label="Breadcrumb">' in preview
    form = page(client, people["auditor"], reverse("audits:audit_edit", args=[audit.pk]))
    assert form.count('<fieldset class="card mb-3" hx-disable>') == 1  # one per section of the tool
    # The autosave is on the form itself, outside the disabled regions, so it still works.
    autosave = [a for tag, a in elements(form) if tag == "form" and a.get("id") == "audit-form"]
    assert autosave and "hx-disable" not in autosave[0] and autosave[0]["hx-post"].endswith("/autosave/")


# --- the one helper ---------------------------------------------------------------------------------


def test_written_escapes_text_and_marks_only_the_escaped_text_safe():
    shown = written(HTMX)
    assert isinstance(shown, SafeString)
    assert shown.startswith(ESCAPED_HTMX) and "<" not in shown
    assert written(SafeString(BOLD)) == ESCAPED_BOLD  # even text someone marked safe is escaped


def test_written_choices_escape_labels_and_group_names_but_keep_values():
    choices = written_choices([("", "Choose…"), (f"Area {BOLD}", [(7, BOLD)]), (BOLD, SCRIPT_LINK)])
    assert choices[1] == (f"Area {ESCAPED_BOLD}", [(7, ESCAPED_BOLD)])
    assert choices[2][0] == BOLD and choices[2][1].startswith("&lt;a href=&quot;javascript")


@pytest.mark.parametrize("renderer", ["as_div", "as_p", "as_table", "as_ul"])
def test_djangos_own_form_templates_show_an_answer_forms_help_text_as_text(version, renderer):
    """Django prints help text with |safe too, not only crispy-bootstrap5."""
    form = answer_form(version.sections.prefetch_related("questions"))
    html = str(getattr(form, renderer)())
    assert ESCAPED_HTMX in html and "<span hx-post" not in html and "<b data-probe" not in html


def _file(name, text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), content_type="application/octet-stream")
