"""Messages people see when a benchmarking form is refused. Tests assert on these."""

CASE_REFERENCE_INVALID = "Use the family's case reference only (letters, digits and -), never a name."
POSITIVE_NEEDS_CONCERN = "A positive outcome can only be recorded for a concern identified at the start or the end."
TEAM_OUTSIDE_AREA = "Choose a team of the service area chosen."
COMPLETED_IN_FUTURE = "The date completed cannot be in the future."
CONCERN_NEEDED = "Tick at least one concern identified at the start or the end."
