"""Messages people see when their input about audits is refused. Tests assert on these."""

TOOL_NAME_TAKEN = "Another audit tool already has this name."
VERSION_NOT_DRAFT = "Only a draft version can be changed: start a new draft to edit a published tool."
DRAFT_EXISTS = "This tool already has a draft version: edit that one."
NOTHING_TO_COPY = "This tool has no version to start from."
PUBLISH_EMPTY = "A version needs at least one question before it can be published."
CHOICES_NEEDED = "A choice question needs at least two options."
KEY_REPEATED = "Each question needs its own key within a version."
CASE_REFERENCE_INVALID = "Use the case number only (letters, digits and -), never a name."
TOOL_NOT_PUBLISHED = "Audits can only be started on a published tool version."
TOOL_FOR_IMPORTS = "This tool only holds audits imported from the QA spreadsheet: choose another tool."
TOOL_NOT_FOR_AUDITS = "This tool is the form of observations or surveys, not of audits: choose another tool."
TOOL_WRONG_AREA = "This tool belongs to another service area."
AUDIT_NOT_DRAFT = "This audit has been submitted: it can no longer be changed."
AUTOSAVE_SIGNED_OUT = "You are signed out: sign in again in a new tab; your text is kept in this browser."
AUTOSAVE_CLOSED = "This audit has been submitted: changes here are no longer saved."
AUDIT_CONFLICT = "Someone else saved this audit since you opened it. Their changes are shown; yours are kept below."
ANSWER_REQUIRED = "Answer this question before submitting."
OVERALL_GRADE_REQUIRED = "Give the overall grade before submitting."
DISCUSSION_REQUIRED = "Say whether you discussed the case with the practitioner."
DISCUSSION_DATE_REQUIRED = "Give the date of the discussion."
CONCERN_DETAILS_REQUIRED = "Describe the concern so the people told can act on it."
CONCERN_ALREADY_RAISED = (
    "A safeguarding concern has already been raised on this audit: the people who act on it were told then."
)
NOT_AWAITING_OVERSIGHT = "This audit is not awaiting oversight."
NO_OPEN_DISPUTE = "This dispute has already been resolved."
PROPOSED_GRADE_UNCHANGED = (
    "The audit's grade is already {grade}: choose the grade you think is right, or leave this empty."
)
GRADE_REQUIRED_TO_CHANGE = "Choose the grade the audit should have."
OUTCOME_REQUIRED = "Say what was done, or why the action is no longer needed."
ACTION_NOT_OPEN = "This action has already been closed."
ACTION_CLOSE_STATUS = "Choose done or no longer needed."
AUDITOR_NOT_ELIGIBLE = (
    "Choose a practice manager of this service area (or a QA officer or lead for a QA thematic audit, "
    "a partner auditor for a partnership audit)."
)
CASE_HOLDER_NOT_PRACTITIONER = "Choose a practitioner of this service area as the case holder."
PARTICIPANTS_PARTNERSHIP_ONLY = "Only a partnership audit can have invited contributors."
PARTICIPANT_NOT_ELIGIBLE = "Invite a partner auditor, a practice manager, or a QA officer or lead: they work on audits."
PARTICIPANT_ALREADY = "This person already works on this audit."


def autosave_saved(saved_at: str, invalid: list[str]) -> str:
    """The autosave's status line once the draft is saved (`invalid`: fields left unsaved)."""
    message = f"Draft saved at {saved_at}."
    return f"{message} Not saved, please check: {'; '.join(invalid)}." if invalid else message


def autosave_conflict(changes: list[str]) -> str:
    return (
        f"Not saved: someone else saved this audit since you opened it ({'; '.join(changes)}). "
        "Copy anything you need, then reload the page to see their version."
    )


TOOL_FILE_TOO_LARGE = "The file is larger than 1 MB: a tool file is much smaller."
TOOL_FILE_ALIASES = "Tool files may not use YAML anchors or aliases (& and *): write each part out in full."
TOOL_FILE_NUL = "The file holds a NUL character (\\u0000 in JSON): a tool file is plain text."
TOOL_FILE_TOO_DEEP = "The file nests lists and objects deeper than a tool does: it is not a tool file."

# Which grade counts in the figures (Audit.final_grade: the moderated grade where there is one, else the
# auditor's grade, as a resolved dispute left it), said on the audit's page and after a dispute is resolved.
COUNTS_MODERATED = "the moderated grade, from QA or a moderation panel, which is the final grade"
COUNTS_AUDITORS = "the auditor's grade, as any resolved dispute left it; the audit has no moderated grade"
MODERATED_GRADE_STILL_COUNTS = (
    "This audit was moderated: its moderated grade, {grade}, is the one that counts in the figures and reports. "
    "A new grade recorded here changes the auditor's grade only, so the figures will still count {grade} "
    "unless the audit is moderated again."
)


def grade_that_counts(grade: str, moderated: bool) -> str:
    """The sentence naming the grade that counts in the figures and why (`grade`: its label)."""
    return f"The grade that counts in the figures: {grade}, {COUNTS_MODERATED if moderated else COUNTS_AUDITORS}."
