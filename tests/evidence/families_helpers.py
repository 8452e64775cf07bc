"""Building benchmarking forms for the families tests: through the real service, or in bulk."""

from datetime import date

from evidence.families.models import BenchmarkingForm, Concern, ConcernOutcome
from evidence.families.services import ConcernAnswer, benchmarking_form_create

TEN = Concern.values


def answers(identified: int, positive: int) -> dict[str, ConcernAnswer]:
    """`identified` concerns identified at the start (the first ones of the list), the first
    `positive` of them with a positive outcome, the others still identified at the end."""
    return {
        concern: ConcernAnswer(
            identified_at_start=True, identified_at_end=index >= positive, positive_outcome=index < positive
        )
        for index, concern in enumerate(TEN[:identified])
    }


def record(person, area, team, *, on: date, positive: int = 1, identified: int = 4, reference: str = "C-100"):
    return benchmarking_form_create(
        actor=person.user,
        case_reference=reference,
        service_area=area,
        team=team,
        completed_by=person,
        completed_on=on,
        concerns=answers(identified, positive),
    )


def many(person, area, team, *, on: date, positives: list[int]) -> None:
    """One form per entry of `positives`, with that many positive outcomes (of five concerns identified),
    written in two inserts: the summary's tests need the seed's 147 forms, not 147 service calls."""
    forms = BenchmarkingForm.objects.bulk_create(
        BenchmarkingForm(
            case_reference=f"C-{index:04d}", service_area=area, team=team, completed_by=person, completed_on=on
        )
        for index in range(len(positives))
    )
    ConcernOutcome.objects.bulk_create(
        ConcernOutcome(form=form, concern=concern, **vars(answer))
        for form, count in zip(forms, positives, strict=True)
        for concern, answer in {**dict.fromkeys(TEN, ConcernAnswer()), **answers(max(5, count), count)}.items()
    )
