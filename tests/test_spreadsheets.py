"""The one rule for text written to a spreadsheet (quality.spreadsheets.spreadsheet_text): every
export (audit lists, the scorecard, the moderation summary, a report's workbook) goes through it."""

import pytest

from quality.spreadsheets import spreadsheet_text


@pytest.mark.parametrize(
    ("text", "written"),
    [
        # Free text a spreadsheet would run as a formula is shown, never run.
        ('=HYPERLINK("http://evil.example","Open")', '\'=HYPERLINK("http://evil.example","Open")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("- a bullet point someone typed", "'- a bullet point someone typed"),
        ("-", "'-"),
        # A negative figure as a page shows it has no letter to run: it is left as shown.
        ("-5", "-5"),
        ("-1,343", "-1,343"),
        ("-2.5%", "-2.5%"),
        ("-5.0% (3/60)", "-5.0% (3/60)"),
        ("-5e3", "'-5e3"),  # a letter makes it text like any other
        # Control characters a workbook cannot hold are dropped before the rule looks.
        ("\x01=1+1", "'=1+1"),
        ("Good\x0b work", "Good work"),
        # Anything else is written as it is.
        ("Neglect", "Neglect"),
        ("a = b", "a = b"),
        ("", ""),
        ("'already quoted", "'already quoted"),
    ],
)
def test_text_a_spreadsheet_would_run_is_written_with_a_leading_apostrophe(text, written):
    assert spreadsheet_text(text) == written
