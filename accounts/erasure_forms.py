from django import forms

CONFIRM_WORD = "DELETE"


class DeleteDataForm(forms.Form):
    """A deliberate step: the user types their email address or the word DELETE."""

    confirm = forms.CharField(
        label="Type your email address or DELETE to confirm",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True, "spellcheck": "false"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = (email or "").strip().lower()

    def clean_confirm(self):
        typed = self.cleaned_data["confirm"].strip()
        if typed == CONFIRM_WORD or (self.email and typed.lower() == self.email):
            return typed
        raise forms.ValidationError(f"Type your email address or {CONFIRM_WORD} (in capitals) to confirm. Nothing was deleted.")
