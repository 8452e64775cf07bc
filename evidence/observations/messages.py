"""Messages people see when an observation is refused. Tests assert on these."""

NOT_A_PRACTITIONER = "Choose someone who holds the practitioner role in a team now."
OBSERVER_MAY_NOT = (
    "The observer must be the practitioner's practice manager or service lead, the QA unit, "
    "or a head of service or senior leader on a walk-the-floor visit."
)
OBSERVING_ONESELF = "A practitioner cannot observe themselves."
TOOL_NOT_FOR_OBSERVATIONS = "Choose a published observation tool."
OBSERVED_IN_FUTURE = "The date observed cannot be in the future."
ALREADY_RECORDED = "This observation is already recorded."
ANSWER_REQUIRED = "Answer this question: it is required."
DONE_IN_FUTURE = "The date reviewed cannot be in the future."
ALREADY_DONE = "This action was already reviewed as done."
WEEK_ENDS_BEFORE = "The last day must be on or after the first day."
WEEK_OVERLAPS = "This week overlaps another practice week."
