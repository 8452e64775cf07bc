import pytest

from tests.factories import published_tool_version


@pytest.fixture
def people(
    qa_lead,
    qa_officer,
    moderator,
    other_moderator,
    practice_manager,
    other_manager,
    service_lead,
    other_lead,
    practitioner,
    head_of_service,
):
    """The shared cast by the part each plays around a panel: the parametrised tests name them as keys.
    Everyone exists in every test, as the outcome messages and the panel's pools depend on who exists."""
    return {
        "qa_lead": qa_lead,
        "qa_officer": qa_officer,
        "moderator": moderator,
        "other_moderator": other_moderator,
        "auditor": practice_manager,
        "other_auditor": other_manager,
        "lead": service_lead,
        "other_lead": other_lead,
        "worker": practitioner,
        "head": head_of_service,
    }


@pytest.fixture
def versions(tool_version, own_area, other_area):
    """Each area's published case-audit tool, by area id."""
    return {own_area.pk: tool_version, other_area.pk: published_tool_version(area=other_area)}
