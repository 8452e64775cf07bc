"""Demo data for the surveys, run by `manage.py load_demo`: one survey round with its answers.

A published survey tool for parents and carers (four choice questions and one in their own words),
a round opened three weeks ago for six weeks, 30 one-time links (ten of them about a case) and 20
responses, so the results page shows counts, a response rate, suppressed small counts and free text.
Everything goes through the real services. Synthetic and deterministic (a seeded generator);
idempotent: nothing is added once the demo's survey exists.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from audits.models import AuditTool
from audits.services import tool_create, version_publish
from quality.org.models import Person

from .models import Survey
from .services import links_make, response_submit, survey_create

TOOL_NAME = "Survey of parents and carers"
SURVEY_TITLE = "Parents' and carers' survey (demo round)"
QA_LEAD_EMAIL = "qa.lead@council.example"
LINKS, CASE_LINKS, RESPONSES = 20, 10, 20

LISTENED = ["Always", "Most of the time", "Sometimes", "Never"]
PLAN = ["Yes", "A bit", "No"]
BETTER = ["Yes, a lot", "A little", "Not yet", "No"]
HELPED = ["Being listened to", "Help with school", "Help at home", "Meeting other families", "Something else"]

SECTIONS = [
    {
        "title": "The help you have had",
        "questions": [
            {"key": "listened", "text": "Did your social worker listen to you?", "type": "single_choice",
             "required": True, "choices": LISTENED},
            {"key": "understood_plan", "text": "Do you understand the plan for your family?",
             "type": "single_choice", "choices": PLAN},
            {"key": "better", "text": "Has the help made things better for your family?",
             "type": "single_choice", "choices": BETTER},
            {"key": "what_helped", "text": "What helped? Choose as many as you like.",
             "type": "multiple_choice", "choices": HELPED},
        ],
    },
    {
        "title": "In your own words",
        "questions": [
            {"key": "anything_else", "text": "Is there anything else you would like to tell us?", "type": "narrative",
             "help_text": "Please do not write names."},
        ],
    },
]  # fmt: skip

SAID = [
    "The social worker always rang back when she said she would.",
    "I wish we had the same worker for longer. We had three this year.",
    "The family group meeting helped us sort things out with my mum.",
    "It took a long time to get help with the housing.",
    "My son liked the visits at school.",
    "Meetings were sometimes moved at short notice.",
    "",
]


def survey_tool_version(actor):
    """The demo's survey tool, published (made once)."""
    tool = AuditTool.objects.filter(name=TOOL_NAME).first()
    if tool is None:
        tool = tool_create(
            actor=actor, name=TOOL_NAME, service_area=None, purpose=AuditTool.Purpose.SURVEY, sections=SECTIONS
        )
        version_publish(actor=actor, version=tool.versions.get())
    return tool.versions.get(state="published")


def _answers(rng: random.Random) -> dict[str, object]:
    # Mostly positive, as the council's own surveys were; "Never" and "No" stay rare, so some
    # counts fall under five and the page shows "fewer than 5".
    return {
        "listened": rng.choices(LISTENED, weights=[8, 6, 3, 1])[0],
        "understood_plan": rng.choices(PLAN, weights=[10, 5, 2])[0],
        "better": rng.choices(BETTER, weights=[7, 7, 3, 1])[0],
        "what_helped": rng.sample(HELPED, rng.randint(1, 3)),
        "anything_else": rng.choice(SAID),
    }


def load() -> None:
    if Survey.objects.filter(title=SURVEY_TITLE).exists():
        return
    qa_lead = Person.objects.filter(user__email=QA_LEAD_EMAIL).select_related("user").first()
    if qa_lead is None:
        return
    actor = qa_lead.user
    today = timezone.localdate()
    survey = survey_create(
        actor=actor,
        title=SURVEY_TITLE,
        tool_version=survey_tool_version(actor),
        audience=Survey.Audience.PARENTS,
        easy_read=False,
        service_area=None,
        opens_on=today - timedelta(days=21),
        closes_on=today + timedelta(days=21),
    )
    references = [f"DEMO-SV-{number:03d}" for number in range(1, CASE_LINKS + 1)]
    made = links_make(actor=actor, survey=survey, count=LINKS, case_references=references)
    rng = random.Random(18)
    for link in rng.sample(made, RESPONSES):
        response_submit(token=link.token, answers=_answers(rng))
