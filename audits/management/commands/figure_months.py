"""`python manage.py figure_months [--rebuild] [--check]`: the audits' counts kept month by month
(audits/figure_months.py), which every report figure adds up.

Without options it rebuilds the months the database has marked stale (a scheduled job does the
same); --rebuild counts every month afresh; --check then compares each month with a fresh count
of the audits and exits with status 1, naming the months, if any differs.
"""

from django.core.management.base import BaseCommand, CommandError

from audits import figure_months


class Command(BaseCommand):
    help = "Rebuild the stale months of audit counts; --rebuild for every month, --check to prove them."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Count every month afresh.")
        parser.add_argument("--check", action="store_true", help="Compare every month with a fresh count.")

    def handle(self, *args, rebuild=False, check=False, **options):
        months = figure_months.rebuild() if rebuild else figure_months.refresh()
        self.stdout.write(f"{len(months)} month(s) counted afresh.")
        if not check:
            return
        differences = figure_months.differences()
        if differences:
            raise CommandError("The stored counts differ from the audits:\n" + "\n".join(differences))
        self.stdout.write("Every month's stored counts equal a fresh count of the audits.")
