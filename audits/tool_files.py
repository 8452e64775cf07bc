"""Audit tools as files (JSON or YAML): export a version, and read one back with every problem listed.

The file shape (format "case-quality-tool/1"):

    format: case-quality-tool/1
    tool: {name, purpose, service_area: CODE or null, description}
    version: {number, notes, sections: [{title, analysis_area, help_text,
              questions: [{key, text, type, required, allow_not_applicable, choices, help_text}]}]}
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from quality.org.lookup import service_area_named
from quality.org.models import ServiceArea

from . import messages
from .models import AnalysisArea, AuditTool, Question, ToolVersion

FORMAT = "case-quality-tool/1"
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
AREA_UNKNOWN = "no active service area has the code '{value}'"
AREA_RETIRED = "{code} is retired: a tool belongs to an active service area"


def version_sections(version: ToolVersion) -> list[dict]:
    sections = version.sections.prefetch_related("questions")
    return [
        {
            "title": s.title,
            "analysis_area": s.analysis_area or None,
            "help_text": s.help_text,
            "questions": [
                {
                    "key": q.key,
                    "text": q.text,
                    "type": q.type,
                    "required": q.required,
                    "allow_not_applicable": q.allow_not_applicable,
                    "choices": q.choices,
                    "help_text": q.help_text,
                }
                for q in s.questions.all()
            ],
        }
        for s in sections
    ]


def export_version(version: ToolVersion) -> dict:
    tool = version.tool
    return {
        "format": FORMAT,
        "tool": {
            "name": tool.name,
            "purpose": tool.purpose,
            "service_area": tool.service_area.code if tool.service_area_id else None,
            "description": tool.description,
        },
        "version": {"number": version.number, "notes": version.notes, "sections": version_sections(version)},
    }


def dump(data: dict, file_format: str) -> str:
    if file_format == "yaml":
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return json.dumps(data, indent=2, ensure_ascii=False)


@dataclass
class ToolFile:
    """A parsed tool file: `data` is usable only when `errors` is empty."""

    data: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    service_area: ServiceArea | None = None


def parse(text: str) -> ToolFile:
    """Read JSON or YAML (JSON is YAML) and check every part, collecting all problems."""
    result = ToolFile()
    if len(text) > settings.TOOL_FILE_MAX_BYTES:
        result.errors.append(messages.TOOL_FILE_TOO_LARGE)
        return result
    try:
        data = _load(text)
    except _Refused as refused:
        result.errors.append(str(refused))
        return result
    except yaml.YAMLError as error:
        result.errors.append(f"The file is not valid JSON or YAML: {str(error).splitlines()[0]}")
        return result
    if not isinstance(data, dict):
        result.errors.append("The file must hold one tool (an object with format, tool and version).")
        return result
    if data.get("format") != FORMAT:
        result.errors.append(f"format: expected '{FORMAT}'.")
    _check_tool(data.get("tool"), result)
    _check_version(data.get("version"), result)
    result.data = data
    return result


class _Refused(Exception):
    pass


# libyaml's loader (PyYAML's pure-Python one takes seconds over a large file), safe tags only.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(text: str):
    """YAML's safe load, after a pass over the file's events that refuses anchors and aliases and
    nesting deeper than a tool needs.

    An alias repeats a part of the file by reference, so a few kilobytes of aliases to aliases stand
    for billions of parts (the "billion laughs"); a tool never needs one, and JSON has none. The
    event pass builds nothing, so it costs little whatever the file holds.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_SAFE_LOADER):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused(messages.TOOL_FILE_ALIASES)
        if isinstance(event, yaml.ScalarEvent) and "\x00" in event.value:  # the database keeps no NUL in text
            raise _Refused(messages.TOOL_FILE_NUL)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > settings.TOOL_FILE_MAX_DEPTH:
                raise _Refused(messages.TOOL_FILE_TOO_DEEP)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 (a safe loader)


def _check_tool(tool, result: ToolFile) -> None:
    if not isinstance(tool, dict):
        result.errors.append("tool: missing.")
        return
    if not str(tool.get("name") or "").strip():
        result.errors.append("tool.name: a name is needed.")
    if tool.get("purpose") not in AuditTool.Purpose.values:
        result.errors.append(f"tool.purpose: one of {', '.join(AuditTool.Purpose.values)}.")
    code = str(tool.get("service_area") or "")
    if code:
        match = service_area_named(code, include_retired=False)
        if match.problem:
            reason = match.refusal(code, unknown=AREA_UNKNOWN, retired=AREA_RETIRED)
            result.errors.append(f"tool.service_area: {reason}.")
        else:
            result.service_area = match.area


def _check_version(version, result: ToolFile) -> None:
    sections = version.get("sections") if isinstance(version, dict) else None
    if not isinstance(sections, list) or not sections:
        result.errors.append("version.sections: at least one section is needed.")
        return
    keys: set[str] = set()
    for i, section in enumerate(sections, start=1):
        where = f"section {i}"
        if not isinstance(section, dict) or not str(section.get("title") or "").strip():
            result.errors.append(f"{where}: a title is needed.")
            continue
        area = section.get("analysis_area")
        if area and area not in AnalysisArea.values:
            result.errors.append(f"{where}: analysis_area '{area}' is not one of the seven areas.")
        questions = section.get("questions") or []
        if not isinstance(questions, list):
            result.errors.append(f"{where}: questions must be a list.")
            continue
        for j, question in enumerate(questions, start=1):
            _check_question(question, f"{where}, question {j}", keys, result)


def _check_question(question, where: str, keys: set[str], result: ToolFile) -> None:
    if not isinstance(question, dict):
        result.errors.append(f"{where}: must be an object.")
        return
    key = str(question.get("key") or "")
    if not KEY_PATTERN.match(key):
        result.errors.append(f"{where}: key '{key}' must be lower-case letters, digits, - or _.")
    elif key in keys:
        result.errors.append(f"{where}: key '{key}' is used twice.")
    keys.add(key)
    if not str(question.get("text") or "").strip():
        result.errors.append(f"{where}: the question text is needed.")
    qtype = question.get("type")
    if not isinstance(qtype, str) or qtype not in Question.Type.values:  # a list or object is no type either
        result.errors.append(f"{where}: type '{qtype}' is not one of {', '.join(Question.Type.values)}.")
        return
    choices = question.get("choices") or []
    if qtype in Question.CHOICE_TYPES and (not isinstance(choices, list) or len(choices) < 2):
        result.errors.append(f"{where}: a choice question needs at least two choices.")


@transaction.atomic
def tool_import(*, actor, text: str) -> ToolVersion:
    """Import a tool file: a new tool, or a new draft version of the tool with the same name.

    All or nothing: any problem raises ValidationError listing every one, and nothing is saved.
    """
    from .services import tool_create, version_fill, version_start_draft

    parsed = parse(text)
    if parsed.errors:
        raise ValidationError(parsed.errors)
    tool_data, sections = parsed.data["tool"], parsed.data["version"]["sections"]
    existing = AuditTool.objects.filter(name__iexact=tool_data["name"].strip()).first()
    if existing is None:
        tool = tool_create(
            actor=actor,
            name=tool_data["name"],
            service_area=parsed.service_area,
            purpose=tool_data["purpose"],
            description=tool_data.get("description") or "",
            sections=sections,
        )
        return tool.versions.get()
    draft = version_start_draft(actor=actor, tool=existing, notes=parsed.data["version"].get("notes") or "")
    version_fill(version=draft, sections=sections)
    return draft
