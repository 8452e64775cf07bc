import pytest
import yaml
from django.urls import reverse

from audits import services, tool_files
from audits.messages import KEY_REPEATED
from audits.models import AuditTool, Question, ToolVersion
from quality.org.models import ChangeRecord, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def tool(qa_lead, own_area):
    return services.tool_create(actor=qa_lead.user, name="SWF case audit", service_area=own_area, purpose="case_audit")


@pytest.fixture
def draft(tool):
    return tool.versions.get()


@pytest.fixture
def published(draft, qa_lead):
    return services.version_publish(actor=qa_lead.user, version=draft)


def test_qa_lead_creates_a_tool_as_a_draft_on_the_seven_areas(client, qa_lead, own_area):
    client.force_login(qa_lead.user)
    response = client.post(
        reverse("audits:tool_create"),
        {"name": "CRS front door audit", "service_area": own_area.pk, "purpose": "case_audit", "description": ""},
    )
    tool = AuditTool.objects.get(name="CRS front door audit")
    version = tool.versions.get()
    assert response.status_code == 302 and response.url == version.get_absolute_url()
    assert version.state == ToolVersion.State.DRAFT and version.sections.count() == 7


def test_practitioner_can_preview_a_tool_but_not_change_it(client, make_person, own_area, published):
    practitioner = make_person(Role.PRACTITIONER, own_area).user
    client.force_login(practitioner)
    response = client.get(published.get_absolute_url())
    assert response.status_code == 200
    assert b"Grade for narrative / history" in response.content
    assert b"Retire this version" not in response.content and b"Export JSON" not in response.content
    refused = client.post(reverse("audits:version_start_draft", args=[published.tool_id]))
    assert refused.status_code == 403
    assert published.tool.versions.count() == 1


def test_partner_auditor_cannot_browse_tools(client, make_person, published):
    client.force_login(make_person(Role.PARTNER_AUDITOR).user)
    assert client.get(reverse("audits:tool_list")).status_code == 403


def test_adding_a_question_with_a_key_already_in_the_version_is_refused_next_to_the_key(client, qa_lead, draft):
    section = draft.sections.first()
    client.force_login(qa_lead.user)
    response = client.post(
        reverse("audits:question_create", args=[section.pk]),
        {"text": "Again?", "key": "narrative-grade", "type": "yes_no", "choices": "", "help_text": ""},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["key"] == [KEY_REPEATED]
    assert Question.objects.filter(section__version=draft).count() == 14


def test_a_published_version_refuses_edits_and_keeps_its_questions(client, qa_lead, published):
    question = Question.objects.filter(section__version=published).first()
    client.force_login(qa_lead.user)
    client.post(reverse("audits:part_change", args=["question", question.pk, "delete"]))
    assert Question.objects.filter(pk=question.pk).exists()


def test_moving_a_question_down_swaps_it_with_the_next(client, qa_lead, draft):
    section = draft.sections.first()
    first, second = section.questions.all()
    client.force_login(qa_lead.user)
    client.post(reverse("audits:part_change", args=["question", first.pk, "down"]))
    assert list(section.questions.values_list("pk", flat=True)) == [second.pk, first.pk]


def test_publishing_a_new_version_retires_the_old_one_which_still_shows_its_questions(client, qa_lead, published):
    client.force_login(qa_lead.user)
    response = client.post(reverse("audits:version_start_draft", args=[published.tool_id]))
    draft = published.tool.versions.get(state=ToolVersion.State.DRAFT)
    assert response.url == draft.get_absolute_url()
    changed = draft.sections.first().questions.first()
    client.post(
        reverse("audits:question_edit", args=[changed.section_id, changed.pk]),
        {"text": "Reworded for 2027", "key": changed.key, "type": "grade", "required": "on", "choices": ""},
    )
    client.post(reverse("audits:version_publish", args=[draft.pk]))
    published.refresh_from_db()
    draft.refresh_from_db()
    assert (published.state, draft.state) == (ToolVersion.State.RETIRED, ToolVersion.State.PUBLISHED)
    old_page = client.get(published.get_absolute_url()).content.decode()
    assert "Grade for narrative / history" in old_page and "Reworded for 2027" not in old_page
    assert ChangeRecord.objects.filter(action="tool.publish").count() == 2


def test_export_downloads_the_version_as_yaml(client, qa_lead, published):
    client.force_login(qa_lead.user)
    response = client.get(reverse("audits:version_export_yaml", args=[published.pk]))
    assert response["Content-Disposition"].endswith('.yaml"')
    assert yaml.safe_load(response.content)["tool"]["name"] == "SWF case audit"


def test_importing_a_broken_file_lists_the_problems_and_saves_nothing(client, qa_lead, published):
    data = tool_files.export_version(published)
    data["tool"]["name"] = "Copy"
    data["version"]["sections"][0]["questions"][0]["type"] = "essay"
    upload = _file("copy.yaml", yaml.safe_dump(data))
    client.force_login(qa_lead.user)
    response = client.post(reverse("audits:tool_import"), {"file": upload})
    assert response.status_code == 200
    assert any("essay" in e for e in response.context["form"].errors["file"])
    assert not AuditTool.objects.filter(name="Copy").exists()


def test_importing_a_good_file_creates_a_draft(client, qa_lead, published):
    data = tool_files.export_version(published)
    data["tool"]["name"] = "Copy"
    client.force_login(qa_lead.user)
    response = client.post(reverse("audits:tool_import"), {"file": _file("copy.json", tool_files.dump(data, "json"))})
    copy = AuditTool.objects.get(name="Copy").versions.get()
    assert response.url == copy.get_absolute_url()


def _file(name, text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode(), content_type="application/octet-stream")


def test_an_audit_answered_on_an_old_version_keeps_its_questions_after_a_new_version_is_published(
    client, qa_lead, published, own_area, make_person
):
    auditor = make_person(Role.PRACTICE_MANAGER, own_area)
    audit = services.audit_create(
        actor=qa_lead.user, case_reference="C-77", service_area=own_area, auditor=auditor, tool_version=published
    )
    services.audit_save_draft(
        actor=auditor.user, audit=audit, revision=audit.revision, answers={"narrative-grade": "good"}, fields={}
    )
    draft = services.version_start_draft(actor=qa_lead.user, tool=published.tool)
    question = Question.objects.get(section__version=draft, key="narrative-grade")
    services.question_save(
        section=question.section,
        question=question,
        text="Reworded for 2027",
        key=question.key,
        type=question.type,
        required=True,
        allow_not_applicable=False,
        choices=[],
        help_text="",
    )
    services.version_publish(actor=qa_lead.user, version=draft)

    client.force_login(auditor.user)
    page = client.get(audit.get_absolute_url()).content.decode()
    form = client.get(reverse("audits:audit_edit", args=[audit.pk])).content.decode()

    for shown in (page, form):
        assert "Grade for narrative / history" in shown and "Reworded for 2027" not in shown
