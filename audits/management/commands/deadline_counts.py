"""`python manage.py deadline_counts [--rebuild] [--check]`: the audits waiting on each deadline, counted
per area and day as audits change (audits/cycle/deadline_counts.py), which the overdue counts add up.

--rebuild counts them afresh from the audits (every `migrate` does too); --check compares them with a
fresh count and exits with status 1, naming each area, deadline and day that differs.
"""

from django.core.management.base import BaseCommand, CommandError

from audits.cycle import deadline_counts


class Command(BaseCommand):
    help = "Prove (--check) or rebuild (--rebuild) the counts of audits waiting on each deadline."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="Count every open deadline afresh.")
        parser.add_argument("--check", action="store_true", help="Compare the counts with a fresh count.")

    def handle(self, *args, rebuild=False, check=False, **options):
        if rebuild:
            deadline_counts.rebuild()
            self.stdout.write("The open deadlines counted afresh.")
        if not check:
            return
        differences = deadline_counts.differences()
        if differences:
            raise CommandError("The stored counts differ from the audits:\n" + "\n".join(differences))
        self.stdout.write("The stored counts of open deadlines equal a fresh count of the audits.")
