from django import forms

from datasets.sources import LABELS, SPLITS


class DatasetVersionForm(forms.Form):
    name = forms.RegexField(
        regex=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        max_length=64,
        help_text="1-64 letters, digits, '.', '_' or '-'. Versions are immutable: a name can be used once.",
        error_messages={"invalid": "Use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit."},
    )
    datasets = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, help_text="Their processed images are frozen into the version.")

    def __init__(self, *args, dataset_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["datasets"].choices = [(name, name) for name in dataset_names]


class ImageFilterForm(forms.Form):
    label = forms.ChoiceField(choices=[(label, label) for label in LABELS], initial="authentic")
    split = forms.ChoiceField(choices=[(split, split) for split in SPLITS], initial="train")
