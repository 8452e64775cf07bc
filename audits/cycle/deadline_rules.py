"""The three deadlines of the monthly cycle, each with the state an audit waits in and the field holding
its date (audits/cycle/deadlines.py says how they follow an audit through the cycle)."""

from dataclasses import dataclass
from enum import StrEnum

from ..models import Audit


class Deadline(StrEnum):
    COMPLETION = "completion"
    OVERSIGHT = "oversight"
    RECORD = "record"


@dataclass(frozen=True)
class DeadlineRule:
    state: str  # the state an audit waits in while this deadline is open
    field: str  # the Audit field holding the date
    title: str  # the overdue page's heading for the list
    task: str  # what is due, as a reminder says it


RULES = {
    Deadline.COMPLETION: DeadlineRule(Audit.State.DRAFT, "due_on", "Audits not completed", "the audit"),
    Deadline.OVERSIGHT: DeadlineRule(
        Audit.State.SUBMITTED, "oversight_due_on", "Oversight not recorded", "the service lead's oversight"
    ),
    Deadline.RECORD: DeadlineRule(
        Audit.State.OVERSEEN, "record_due_on", "Not on the child's record", "adding the audit to the child's record"
    ),
}
