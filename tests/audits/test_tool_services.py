import pytest
from django.core.exceptions import ValidationError

from audits import services
from audits.messages import DRAFT_EXISTS, PUBLISH_EMPTY, TOOL_NAME_TAKEN, VERSION_NOT_DRAFT
from audits.models import AnalysisArea, AuditTool, Question, Section, ToolVersion
from quality.org.models import ChangeRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def tool(qa_lead, own_area):
    return services.tool_create(
        actor=qa_lead.user, name="SWF case audit", service_area=own_area, purpose=AuditTool.Purpose.CASE_AUDIT
    )


def test_new_tool_starts_as_a_draft_on_the_seven_areas_of_analysis(tool):
    version = tool.versions.get()
    assert version.state == ToolVersion.State.DRAFT
    areas = list(version.sections.values_list("analysis_area", flat=True))
    assert areas == AnalysisArea.values
    assert Question.objects.filter(section__version=version, type=Question.Type.GRADE).count() == 7


def test_tool_names_are_unique_whatever_the_case(tool, qa_lead):
    with pytest.raises(ValidationError) as refused:
        services.tool_create(actor=qa_lead.user, name="swf CASE audit", service_area=None, purpose="themed")
    assert refused.value.message_dict == {"name": [TOOL_NAME_TAKEN]}
    assert AuditTool.objects.count() == 1


def test_publishing_a_draft_records_who_and_when(tool, qa_lead):
    version = services.version_publish(actor=qa_lead.user, version=tool.versions.get())
    assert version.state == ToolVersion.State.PUBLISHED
    assert version.published_by == qa_lead.user and version.published_at is not None
    assert ChangeRecord.objects.filter(action="tool.publish", actor=qa_lead.user).exists()


def test_a_published_version_cannot_be_changed(tool, qa_lead):
    version = services.version_publish(actor=qa_lead.user, version=tool.versions.get())
    with pytest.raises(ValidationError) as refused:
        services.version_fill(version=version, sections=[])
    assert refused.value.messages == [VERSION_NOT_DRAFT]
    assert Section.objects.filter(version=version).count() == 7


def test_editing_a_published_tool_makes_a_new_draft_and_keeps_the_old_questions(tool, qa_lead):
    first = services.version_publish(actor=qa_lead.user, version=tool.versions.get())
    draft = services.version_start_draft(actor=qa_lead.user, tool=tool)
    assert draft.number == 2
    services.version_fill(
        version=draft,
        sections=[{"title": "Only", "questions": [{"key": "q1", "text": "New question?", "type": "yes_no"}]}],
    )
    services.version_publish(actor=qa_lead.user, version=draft)
    first.refresh_from_db()
    assert first.state == ToolVersion.State.RETIRED
    assert Question.objects.filter(section__version=first).count() == 14
    assert list(Question.objects.filter(section__version=draft).values_list("text", flat=True)) == ["New question?"]


def test_only_one_draft_at_a_time(tool, qa_lead):
    with pytest.raises(ValidationError) as refused:
        services.version_start_draft(actor=qa_lead.user, tool=tool)
    assert refused.value.messages == [DRAFT_EXISTS]


def test_an_empty_draft_cannot_be_published(tool, qa_lead):
    version = tool.versions.get()
    services.version_fill(version=version, sections=[{"title": "Empty", "questions": []}])
    with pytest.raises(ValidationError) as refused:
        services.version_publish(actor=qa_lead.user, version=version)
    assert PUBLISH_EMPTY in refused.value.messages
    version.refresh_from_db()
    assert version.state == ToolVersion.State.DRAFT


def test_a_choice_question_without_options_blocks_publishing(tool, qa_lead):
    version = tool.versions.get()
    services.version_fill(
        version=version,
        sections=[
            {"title": "S", "questions": [{"key": "c", "text": "Pick", "type": "single_choice", "choices": ["A"]}]}
        ],
    )
    assert services.version_problems(version)
    with pytest.raises(ValidationError):
        services.version_publish(actor=qa_lead.user, version=version)


def test_retiring_the_published_version_leaves_its_questions(tool, qa_lead):
    version = services.version_publish(actor=qa_lead.user, version=tool.versions.get())
    services.version_retire(actor=qa_lead.user, version=version, reason="Replaced by the 2027 tool")
    version.refresh_from_db()
    assert version.state == ToolVersion.State.RETIRED and version.retired_at is not None
    assert Question.objects.filter(section__version=version).count() == 14
    assert ChangeRecord.objects.get(action="tool.retire").reason == "Replaced by the 2027 tool"
