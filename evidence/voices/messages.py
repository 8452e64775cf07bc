"""What the survey pages and services say when they refuse something: one place for the wording."""

TOOL_NOT_A_PUBLISHED_SURVEY = "Choose the published version of a survey tool."
WINDOW_BACKWARDS = "The survey cannot close before it opens."
LINKS_NEEDED = "Ask for at least one link, or give the case references to send links about."
TOO_MANY_LINKS = "Make at most {limit} links at a time."
CASE_REFERENCE_INVALID = "Line {line}: use the case number only (letters, digits and -), never a name."
LINK_UNAVAILABLE = "This link cannot be used. It may have been used already, or it may be mistyped."
ANSWER_NEEDED = "Answer this question, please."
