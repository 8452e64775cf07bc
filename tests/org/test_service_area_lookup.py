"""The one rule by which every import finds the service area a file names (quality/org/lookup.py):
code, then current name, then a former name; an active area before a retired one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from quality.org.lookup import AREA_AMBIGUOUS, AreaMatch, Problem, ServiceAreaLookup, service_area_named
from quality.org.services import service_area_retire, service_area_update

from ..factories import ServiceAreaFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

UNKNOWN = "'{value}' is unknown"
RETIRED = "{code} is retired"


def found(text: str, *, include_retired: bool = True):
    return service_area_named(text, include_retired=include_retired).area


def retire(area):
    return service_area_retire(actor=None, area=area, reason="Restructure")


@pytest.mark.parametrize("text", ["SWF", "swf", "  Swf ", "Social Work with Families", "SOCIAL WORK WITH FAMILIES"])
def test_an_area_is_found_by_its_code_or_its_name_in_any_case(own_area, text):
    assert found(text) == own_area


def test_an_area_is_found_by_a_name_it_had_before_a_rename(other_area):
    service_area_update(actor=None, area=other_area, code="PTC", name="Care and Pathways")

    assert found("pathways through care") == other_area
    assert found("Care and Pathways") == other_area


def test_a_code_wins_over_another_areas_name(own_area):
    named_like_a_code = ServiceAreaFactory(code="FAM", name="SWF")

    assert found("SWF") == own_area
    assert found("fam") == named_like_a_code


def test_a_current_name_wins_over_another_areas_former_name(other_area):
    service_area_update(actor=None, area=other_area, code="PTC", name="Leaving Care")
    now_called_that = ServiceAreaFactory(code="PWC", name="Pathways Through Care")

    assert found("Pathways Through Care") == now_called_that


def test_an_active_area_wins_over_a_retired_one_of_the_same_name():
    retired = retire(ServiceAreaFactory(code="OLD", name="Early Help"))
    active = ServiceAreaFactory(code="EH", name="Early Help")

    assert found("early help") == active
    assert found("OLD") == retired  # its code still names it


def test_two_active_areas_of_the_same_name_are_ambiguous():
    ServiceAreaFactory(code="N1", name="North")
    ServiceAreaFactory(code="N2", name="North")

    match = service_area_named("North", include_retired=True)

    assert match == AreaMatch(problem=Problem.AMBIGUOUS)
    assert match.refusal("North", unknown=UNKNOWN) == AREA_AMBIGUOUS.format(value="North")


def test_two_retired_areas_once_called_the_same_are_ambiguous():
    for code in ("S1", "S2"):
        area = ServiceAreaFactory(code=code, name="South")
        service_area_update(actor=None, area=area, code=code, name=f"South {code}")
        retire(area)

    assert service_area_named("south", include_retired=True).problem is Problem.AMBIGUOUS


def test_a_retired_area_is_found_for_history_and_refused_with_its_code_for_today(own_area):
    retire(own_area)

    assert found("SWF", include_retired=True) == own_area
    match = service_area_named("swf", include_retired=False)
    assert (match.area, match.problem) == (own_area, Problem.RETIRED)
    assert match.refusal("swf", unknown=UNKNOWN, retired=RETIRED) == "SWF is retired"


def test_an_unknown_area_is_refused_in_the_imports_own_words(own_area):
    match = service_area_named("YPS", include_retired=False)

    assert match == AreaMatch(problem=Problem.UNKNOWN)
    assert match.refusal("YPS", unknown=UNKNOWN, retired=RETIRED) == "'YPS' is unknown"


def test_a_found_area_is_no_refusal(own_area):
    assert service_area_named("SWF", include_retired=False).refusal("SWF", unknown=UNKNOWN, retired=RETIRED) == ""


def test_a_lookup_reads_the_areas_once_whatever_the_number_of_rows(own_area, other_area):
    ServiceAreaFactory.create_batch(20)
    with CaptureQueriesContext(connection) as queries:
        lookup = ServiceAreaLookup(include_retired=False)
        matches = [lookup.find(text) for text in ["SWF", "ptc", "Pathways Through Care", "nowhere"] * 250]

    assert len(queries.captured_queries) == 2  # the areas, and the names they have had
    assert [match.area for match in matches[:4]] == [own_area, other_area, other_area, None]
    assert {"swf", "ptc"} <= lookup.codes
