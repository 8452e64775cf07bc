"""Building surveys for the voices tests: the demo's survey tool, a round open around the suite's
today (16 November 2026), its links and responses, all through the real services."""

from datetime import date

from evidence.voices.demo import survey_tool_version
from evidence.voices.models import Survey
from evidence.voices.services import links_make, response_submit, survey_create

OPENS_ON, CLOSES_ON = date(2026, 11, 1), date(2026, 11, 30)


def open_survey(actor, *, area=None, opens_on=OPENS_ON, closes_on=CLOSES_ON, easy_read=False) -> Survey:
    return survey_create(
        actor=actor,
        title="Autumn survey of parents",
        tool_version=survey_tool_version(actor),
        audience=Survey.Audience.PARENTS,
        easy_read=easy_read,
        service_area=area,
        opens_on=opens_on,
        closes_on=closes_on,
    )


def tokens(actor, survey: Survey, count: int = 1, references=()) -> list[str]:
    return [link.token for link in links_make(actor=actor, survey=survey, count=count, case_references=references)]


def answers(listened="Always", said="", **more) -> dict:
    return {"listened": listened, "anything_else": said, **more}


def responses(actor, survey: Survey, *listened: str, said: str = "") -> None:
    """One response per value of `listened`, each through its own link."""
    for token, value in zip(tokens(actor, survey, len(listened)), listened, strict=True):
        response_submit(token=token, answers=answers(value, said))
