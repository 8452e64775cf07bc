"""Indicator codes as the council writes them: M1, EH3a%, CP6B, M6-QL (val).

A code is kept as written (its case, brackets and punctuation), with its spaces tidied: trimmed, and
a run of spaces kept as one. Codes are compared by their key (`code_key`): the tidied code with its
case folded, so `m6-ql  (VAL)` in a values file or a re-imported catalogue is `M6-QL (val)`. The
database holds the key (Indicator.code_key) under a unique constraint, so two indicators can never
differ only in case or spacing. Every comparison of codes goes through code_key().

Refused: a code that does not start with a letter or a digit (so a spreadsheet never reads one as a
formula), one with a tab, a line break or another invisible character (a paste from a document
carries them, and nobody could type the code back), and one longer than CODE_MAX_LENGTH. Anything
else a scorecard prints is allowed: pages, files and the pack escape what they show, and addresses
name an indicator by its number, never by its code.
"""

import unicodedata

CODE_MAX_LENGTH = 32
KEY_MAX_LENGTH = 3 * CODE_MAX_LENGTH  # casefold() turns a few characters into up to three ("ΐ")

# Reasons shown next to a row and column (or the form's code field). Tests assert on these.
CODE_START = "start the code with a letter or a digit, for example M1, EH3a% or M6-QL (val)"
CODE_INVISIBLE = "the code holds a tab, a line break or another invisible character: type it again"
CODE_TOO_LONG = f"longer than {CODE_MAX_LENGTH} characters"


def code_tidy(text: str) -> str:
    """The code as kept and shown: trimmed, each run of spaces (a no-break space too) one space."""
    return " ".join(text.split())


def code_key(text: str) -> str:
    """The code as compared: 'm6-ql  (VAL)' and ' M6-QL (val)' -> 'm6-ql (val)'."""
    return code_tidy(text).casefold()


def _invisible(character: str) -> bool:
    # Spaces of any kind (Zs) are tidied; line and paragraph separators and control, format and
    # unassigned characters (C*) are refused.
    category = unicodedata.category(character)
    return category[0] == "C" or category in ("Zl", "Zp")


def code_checked(text: str) -> str:
    """The tidied code, or ValueError with the reason it cannot be one (CODE_* above)."""
    if any(_invisible(character) for character in text.strip()):
        raise ValueError(CODE_INVISIBLE)
    code = code_tidy(text)
    if not code[:1].isalnum():
        raise ValueError(CODE_START)
    if len(code) > CODE_MAX_LENGTH:
        raise ValueError(CODE_TOO_LONG)
    return code
