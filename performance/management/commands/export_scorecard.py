"""python manage.py export_scorecard --period YYYY-MM --format csv|xlsx|json [--output PATH]

Writes the month's scorecard, one row per indicator (council-wide), with the columns listed in
docs/performance.md: the same file as the download on the scorecard page. Without --output the file
goes to standard output (an XLSX too, as bytes, when standard output is a file or a pipe: a binary
workbook is refused on a terminal).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from performance.exports import FORMATS, scorecard_file
from performance.scorecard import scorecard
from performance.scorecard_forms import scorecard_month

XLSX_NEEDS_OUTPUT = "An XLSX file is binary: give --output PATH, or redirect standard output to a file."


class Command(BaseCommand):
    help = "Export the month's scorecard (one row per indicator) as CSV, XLSX or JSON."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="The month, as YYYY-MM.")
        parser.add_argument("--format", required=True, choices=sorted(FORMATS), dest="file_format")
        parser.add_argument("--output", help="Write the file here instead of to standard output.")

    def handle(self, *args, period, file_format, output=None, **options):
        try:
            month = scorecard_month(period)
        except ValueError as error:
            raise CommandError(str(error)) from None
        binary_out = None
        if file_format == "xlsx" and not output:
            stream = self.stdout._out
            binary_out = getattr(stream, "buffer", None)
            if binary_out is None or stream.isatty():
                raise CommandError(XLSX_NEEDS_OUTPUT)
        content, _ = scorecard_file(scorecard(month), file_format)
        if output:
            try:
                Path(output).write_bytes(content)
            except OSError as error:
                raise CommandError(f"Cannot write {output}: {error.strerror or error}") from None
            self.stderr.write(f"Scorecard for {month:%Y-%m} written to {output}.")
        elif binary_out is not None:
            self.stdout.flush()
            binary_out.write(content)
            binary_out.flush()
        else:
            self.stdout.write(content.decode("utf-8"), ending="")
