import json

import pytest
import yaml
from django.core.exceptions import ValidationError

from audits import tool_files
from audits.models import AuditTool, Question, ToolVersion

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("file_format", ["json", "yaml"])
def test_an_exported_tool_imports_as_the_same_tool_elsewhere(tool_version, qa_lead, file_format):
    text = tool_files.dump(tool_files.export_version(tool_version), file_format)
    data = tool_files.export_version(tool_version)
    data["tool"]["name"] = "Copied tool"
    copy = tool_files.tool_import(actor=qa_lead.user, text=tool_files.dump(data, file_format))
    assert copy.tool.name == "Copied tool" and copy.state == ToolVersion.State.DRAFT
    assert tool_files.version_sections(copy) == tool_files.version_sections(tool_version)
    assert copy.tool.service_area == tool_version.tool.service_area
    assert text  # the original exported text parses cleanly too
    assert tool_files.parse(text).errors == []


def test_importing_a_tool_with_an_existing_name_makes_its_next_draft(tool_version, qa_lead):
    data = tool_files.export_version(tool_version)
    data["version"]["sections"][0]["questions"][0]["text"] = "Changed wording"
    draft = tool_files.tool_import(actor=qa_lead.user, text=json.dumps(data))
    assert draft.tool == tool_version.tool and draft.number == 2
    assert Question.objects.get(section__version=draft, key="narrative-grade").text == "Changed wording"
    assert Question.objects.get(section__version=tool_version, key="narrative-grade").text != "Changed wording"


def test_a_bad_tool_file_lists_every_problem_and_saves_nothing(tool_version, qa_lead):
    data = tool_files.export_version(tool_version)
    data["tool"]["name"] = "Broken"
    data["tool"]["service_area"] = "NOPE"
    questions = data["version"]["sections"][0]["questions"]
    questions[0]["type"] = "essay"
    questions[1]["key"] = questions[0]["key"]
    data["version"]["sections"][1]["analysis_area"] = "vibes"
    with pytest.raises(ValidationError) as refused:
        tool_files.tool_import(actor=qa_lead.user, text=yaml.safe_dump(data))
    messages = refused.value.messages
    assert any("service_area" in m and "NOPE" in m for m in messages)
    assert any("section 1, question 1" in m and "essay" in m for m in messages)
    assert any("section 1, question 2" in m and "used twice" in m for m in messages)
    assert any("section 2" in m and "vibes" in m for m in messages)
    assert not AuditTool.objects.filter(name="Broken").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json: [", "not valid JSON or YAML"),
        ("- just\n- a list\n", "one tool"),
        (json.dumps({"format": "other/9", "tool": {}, "version": {}}), "format"),
        ('{"format": "x", "tool": {"name": "a\\u0000b"}}', "NUL character"),
        (
            json.dumps(
                {"version": {"sections": [{"title": "S", "questions": [{"key": "q", "text": "Q", "type": []}]}]}}
            ),
            "type '[]'",
        ),
    ],
)
def test_a_file_that_is_not_a_tool_is_refused_with_the_reason(text, expected, db):
    errors = tool_files.parse(text).errors
    assert errors and any(expected in e for e in errors)
