"""moderation_summary: the outcome of moderation over a date range, as JSON or CSV (docs/moderation.md).

    python manage.py moderation_summary --from 2026-07-01 --to 2026-09-30 [--service-area SWF]
        --format json|csv [--output PATH]

Counts every decision dated in the range, both days included, whatever its source (a panel, QA's
review of an Inadequate grade, the imported audit history); an audit moderated more than once
counts once, by its latest decision. Without --output the file goes to standard output.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from moderation import outcome_exports
from moderation.selectors import decisions_in, summary
from quality.org.lookup import AREA_AMBIGUOUS, Problem, service_area_named

DATE_INVALID = "{option} must be a date written YYYY-MM-DD, not {value!r}."
RANGE_BACKWARDS = "--from ({start}) is after --to ({end})."
AREA_UNKNOWN = "There is no service area with the code {code!r}."
OUTPUT_FAILED = "Could not write {path}: {reason}."


def _date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as invalid:
        raise CommandError(DATE_INVALID.format(option=option, value=value)) from invalid


class Command(BaseCommand):
    help = "Moderation outcomes over a date range: counts, the transition matrix, agreement and weighted kappa."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", required=True, help="First day, YYYY-MM-DD (included).")
        parser.add_argument("--to", dest="date_to", required=True, help="Last day, YYYY-MM-DD (included).")
        parser.add_argument("--service-area", dest="service_area", help="Only this service area (its code).")
        parser.add_argument("--format", dest="file_format", choices=("json", "csv"), default="json")
        parser.add_argument("--output", help="Write to this file instead of standard output.")

    def handle(self, *args, date_from, date_to, service_area=None, file_format="json", output=None, **options):
        start, end = _date(date_from, "--from"), _date(date_to, "--to")
        if start > end:
            raise CommandError(RANGE_BACKWARDS.format(start=start, end=end))
        area = None
        if service_area is not None:
            match = service_area_named(service_area, include_retired=True)  # the range may predate retiring
            if match.problem is Problem.AMBIGUOUS:
                raise CommandError(AREA_AMBIGUOUS.format(value=service_area))
            if match.problem:
                raise CommandError(AREA_UNKNOWN.format(code=service_area))
            area = match.area
        figures = summary(decisions_in(start, end, area))
        if file_format == "json":
            text = outcome_exports.summary_json(figures)
        else:
            text = outcome_exports.csv_text(outcome_exports.summary_rows(figures))
        if output:
            try:
                with open(output, "w", encoding="utf-8", newline="") as file:
                    file.write(text)
            except OSError as failed:
                raise CommandError(OUTPUT_FAILED.format(path=output, reason=failed.strerror)) from failed
            self.stdout.write(
                f"Wrote the {file_format.upper()} summary of {figures['moderated']} decisions to {output}."
            )
        else:
            self.stdout.write(text, ending="")
