"""Demo audit tools: one per service area on the seven areas, a themed neglect tool and a
partnership tool, each with a published version. Idempotent."""

from quality.org.models import ServiceArea

from . import services
from .models import AuditTool, Question

NEGLECT_SECTION = {
    "title": "Neglect",
    "analysis_area": None,
    "help_text": "The month's theme: how well was neglect recognised and responded to?",
    "questions": [
        {
            "key": "neglect-tool-used",
            "text": "Was the Graded Care Profile (GCP2) or another neglect tool used?",
            "type": Question.Type.YES_NO,
            "required": True,
        },
        {
            "key": "neglect-indicators",
            "text": "Which indicators of neglect were present?",
            "type": Question.Type.MULTIPLE_CHOICE,
            "choices": ["Physical care", "Health", "Education", "Emotional warmth", "Supervision and safety"],
        },
        {
            "key": "neglect-lived-experience",
            "text": "How well does the record show the child's lived experience of neglect?",
            "type": Question.Type.NARRATIVE,
            "required": True,
        },
    ],
}

PARTNERSHIP_SECTION = {
    "title": "Multi-agency working",
    "analysis_area": None,
    "questions": [
        {
            "key": "agency",
            "text": "Your agency",
            "type": Question.Type.SINGLE_CHOICE,
            "required": True,
            "choices": ["Police", "Health", "Education", "Housing", "IDVA"],
        },
        {
            "key": "information-shared",
            "text": "Was information shared promptly between agencies?",
            "type": Question.Type.YES_NO,
            "required": True,
        },
        {
            "key": "agency-contribution",
            "text": "What did your agency contribute, and what could it have done differently?",
            "type": Question.Type.NARRATIVE,
            "required": True,
        },
    ],
}


def _published_tool(name: str, area: ServiceArea | None, purpose: str, sections=None) -> None:
    if AuditTool.objects.filter(name=name).exists():
        return
    tool = services.tool_create(actor=None, name=name, service_area=area, purpose=purpose, sections=sections)
    services.version_publish(actor=None, version=tool.versions.get())


def load() -> None:
    for area in ServiceArea.objects.filter(is_active=True):
        _published_tool(f"{area.code} case audit", area, AuditTool.Purpose.CASE_AUDIT)
    seven = services.default_sections()
    _published_tool("Neglect themed audit", None, AuditTool.Purpose.THEMED, seven + [NEGLECT_SECTION])
    _published_tool("Partnership audit", None, AuditTool.Purpose.PARTNERSHIP, [PARTNERSHIP_SECTION] + seven)
