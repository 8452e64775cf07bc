"""`python manage.py allocate --month YYYY-MM [--dry-run] [--distribute]`: the month's allocation
from the command line, as the scheduled job and the QA unit's pages make it.

Without options it proposes the month's allocation (or finds the one that exists: never two) and
prints it; --dry-run prints what would be proposed and saves nothing; --distribute then
distributes it. Output names cases by reference, areas by code and auditors by e-mail only.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from audits.cycle import allocation as allocation_services
from audits.models import Allocation
from quality.tabular import parse_month


class Command(BaseCommand):
    help = "Propose (or show) a month's allocation; --dry-run to preview it, --distribute to send it out."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="The month to allocate, as YYYY-MM.")
        parser.add_argument("--dry-run", action="store_true", help="Show the proposal without saving anything.")
        parser.add_argument(
            "--distribute", action="store_true", help="Distribute the proposal: create the audits, tell the auditors."
        )

    def handle(self, *args, month, dry_run=False, distribute=False, **options):
        try:
            month = parse_month(month)
        except ValueError as error:
            raise CommandError(str(error)) from error
        if dry_run and distribute:
            raise CommandError("--dry-run saves nothing, so it cannot be combined with --distribute.")

        existing = Allocation.objects.filter(month=month).first()
        if dry_run and existing is None:
            proposal = allocation_services.proposal_compute(month=month)
            self._heading(month, "dry run, nothing saved", proposal.theme)
            for pick in proposal.picks:
                self._line(pick.area_code, pick.case.child_ref, pick.auditor.user.email, pick.reason)
            self._uncovered(proposal.uncovered)
            return

        if existing is None and not dry_run:
            allocation = allocation_services.allocation_propose(month=month)
            state = "proposed now"
        else:
            allocation = existing
            state = f"already {allocation.get_state_display().lower()}"
        if distribute and allocation.state == Allocation.State.PROPOSED:
            try:
                allocation = allocation_services.allocation_distribute(actor=None, allocation=allocation)
            except ValidationError as error:
                raise CommandError("Not distributed: " + " ".join(error.messages)) from error
            state = "distributed now"
        self._show(allocation, state)

    def _heading(self, month, state, theme):
        self.stdout.write(f"Allocation for {month:%Y-%m} ({state})")
        self.stdout.write(f"Theme: {theme.title if theme else 'none'}")

    def _line(self, area_code, child_ref, email, reason):
        self.stdout.write(f"  {area_code:<8} {child_ref:<16} {email:<40} {reason}")

    def _uncovered(self, memberships):
        for membership in memberships:
            self.stdout.write(
                self.style.WARNING(
                    f"  No eligible case for {membership.person.user.email} ({membership.service_area.code})"
                )
            )

    def _show(self, allocation, state):
        self._heading(allocation.month, state, allocation.theme)
        items = [item for item in allocation_services.items_for_review(allocation) if item.removed_at is None]
        for item in items:
            self._line(item.case.service_area.code, item.case.child_ref, item.auditor.user.email, item.reason)
        if allocation.state == Allocation.State.PROPOSED:
            self._uncovered(allocation_services.managers_without_case(allocation))
        self.stdout.write(self.style.SUCCESS(f"{len(items)} case(s)."))
