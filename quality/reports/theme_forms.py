"""The practice-themes form: a name and its key phrases, one per line (rules in quality/reports/themes.py)."""

from django import forms

from .themes import MAX_PHRASE_LENGTH, normalise_phrases


class PracticeThemeForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="As reports show it, for example Chronology.")
    key_phrases = forms.CharField(
        label="Key phrases",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            "One per line. An audit mentions the theme when one of these occurs in its strengths, areas for "
            "improvement, what the child and family said, or a narrative answer, in any case and also inside "
            "longer words: 'visit' also finds 'visits' and 'visiting'."
        ),
    )

    def __init__(self, *args, theme=None, **kwargs):
        if theme is not None:
            kwargs.setdefault("initial", {"name": theme.name, "key_phrases": "\n".join(theme.key_phrases)})
        super().__init__(*args, **kwargs)
        self.fields["key_phrases"].widget.attrs["maxlength"] = 50 * (MAX_PHRASE_LENGTH + 1)

    def clean_key_phrases(self) -> list[str]:
        return normalise_phrases(self.cleaned_data["key_phrases"])


class PracticeThemeEditForm(PracticeThemeForm):
    order = forms.IntegerField(
        label="Position", min_value=0, max_value=100000, help_text="Themes are listed from the lowest number."
    )

    def __init__(self, *args, theme=None, **kwargs):
        if theme is not None:
            kwargs.setdefault(
                "initial",
                {"name": theme.name, "key_phrases": "\n".join(theme.key_phrases), "order": theme.order},
            )
        super().__init__(*args, theme=theme, **kwargs)
