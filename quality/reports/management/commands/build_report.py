"""build_report: an audit analysis report built from the current data, as PDF, XLSX or JSON (docs/reports.md).

    python manage.py build_report --kind monthly|quarterly|annual --period 2023-11|2023-Q4|2022
        --format pdf|xlsx|json [--output PATH] [--year-to-date]

The same figures (quality.reports.figures.compute) and the same files as the portal's, for a draft
made from the data as it is now: nothing is saved or published, there is no narrative, and no
highlights are picked. Without --output the file goes to standard output (PDF and XLSX as bytes,
never to a terminal).
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from quality.reports import figures, outputs

FORMATS = ("pdf", "xlsx", "json")
KINDS = ("monthly", "quarterly", "annual")
OUTPUT_FAILED = "Could not write {path}: {reason}."
BINARY_TO_TERMINAL = "A {format} file is binary: give --output PATH, or redirect standard output to a file."
NO_BINARY_STDOUT = "Standard output cannot take bytes here: give --output PATH for a {format} file."


class Command(BaseCommand):
    help = "Build an audit analysis report from the current data (a draft: nothing is saved) as PDF, XLSX or JSON."

    def add_arguments(self, parser):
        parser.add_argument("--kind", required=True, choices=KINDS)
        parser.add_argument("--period", required=True, help="2023-11 (monthly), 2023-Q4 (quarterly) or 2022 (annual).")
        parser.add_argument("--format", dest="file_format", choices=FORMATS, default="json")
        parser.add_argument("--output", help="Write to this file instead of standard output.")
        parser.add_argument(
            "--year-to-date",
            action="store_true",
            help="An annual report of the year so far: 1 January to yesterday, compared with the same span before.",
        )

    def handle(self, *args, kind, period, file_format="json", output=None, year_to_date=False, **options):
        try:
            computed = figures.compute(kind, period, year_to_date=year_to_date)
        except ValueError as invalid:
            raise CommandError(str(invalid)) from invalid
        data = outputs.render(outputs.draft_content(computed), file_format, made_at=timezone.now())
        if output:
            try:
                with open(output, "wb") as file:
                    file.write(data)
            except OSError as failed:
                raise CommandError(OUTPUT_FAILED.format(path=output, reason=failed.strerror)) from failed
            self.stdout.write(f"Wrote the {file_format.upper()} of the {kind} report {computed['period']} to {output}.")
            return
        if file_format == "json":
            self.stdout.write(data.decode("utf-8"), ending="")
            return
        stream = getattr(self.stdout._out, "buffer", None)
        if stream is None:
            raise CommandError(NO_BINARY_STDOUT.format(format=file_format.upper()))
        if self.stdout.isatty():
            raise CommandError(BINARY_TO_TERMINAL.format(format=file_format.upper()))
        self.stdout.flush()
        stream.write(data)
        stream.flush()
