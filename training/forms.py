from django import forms
from django.core.exceptions import ValidationError

from training import targets
from training.data import STRATIFY_CHOICES
from training.ml.backbone import DEFAULT_BACKBONE, REGISTRY
from training.services import DEFAULT_AUC_FLOOR


def _target_percent(value: float) -> None:
    try:
        targets.percent_check(value)
    except targets.BadPercent as error:
        raise ValidationError(str(error)) from None


class RunStartForm(forms.Form):
    dataset_version = forms.CharField(max_length=64)
    artist = forms.CharField(
        max_length=200, required=False,
        help_text="Whose model to train (name or alias). May be left empty when the version has works of one artist only.")
    proxies = forms.BooleanField(
        required=False, label="Other artists' authentic works as negatives",
        help_text="Authentic works of the version's other artists join the forged side as sublabel 'proxy'.")
    k_folds = forms.IntegerField(min_value=2, max_value=20, initial=5)
    stratify_on = forms.ChoiceField(choices=[(c, c) for c in STRATIFY_CHOICES], initial="sublabel")
    outer_split_seed = forms.IntegerField(min_value=0, max_value=2**31 - 1, initial=0)
    inner_split_seed = forms.IntegerField(min_value=0, max_value=2**31 - 1, initial=1)
    backbone = forms.ChoiceField(choices=[(name, name) for name in sorted(REGISTRY)], initial=DEFAULT_BACKBONE)

    def __init__(self, *args, dataset_versions: list[str] | None = None, artists: list[tuple[str, str]] | None = None, **kwargs):
        """`artists`: (slug, name) of the chosen version's artists; the page always gives them,
        so staff pick from the version instead of typing a name (the version is then fixed)."""
        super().__init__(*args, **kwargs)
        if dataset_versions:
            self.fields["dataset_version"] = forms.ChoiceField(
                choices=[(v, v) for v in dataset_versions], widget=forms.HiddenInput if artists else forms.Select,
                error_messages={"invalid_choice": "%(value)s is not a ready dataset version; choose one from the list."})
        if artists is not None:
            self.fields["artist"] = forms.ChoiceField(
                choices=[("", "Choose an artist")] + list(artists),
                help_text="Whose model to train: an artist with works in this dataset version.",
                error_messages={"required": "Choose the artist to train a model for.",
                                "invalid_choice": "%(value)s has no works in this dataset version; choose one of its artists."})
        for field, (_, label) in targets.TARGET_FIELDS.items():
            self.fields[field] = forms.FloatField(
                label=label, initial=targets.default_percent(field), validators=[_target_percent],
                help_text="Error-rate target of the verdict policy, measured on out-of-fold predictions. "
                          "Each label needs at least 100 / target images to measure it (20 at 5%).",
            )

    def run_options(self) -> dict:
        """The cleaned form as services.run_start's keyword arguments (targets as fractions)."""
        options = {name: value for name, value in self.cleaned_data.items() if name not in targets.TARGET_FIELDS}
        return {**options, "targets": targets.from_percents(self.cleaned_data)}


class PromoteForm(forms.Form):
    auc_floor = forms.FloatField(
        label="AUC floor", required=False, min_value=0, max_value=1, initial=DEFAULT_AUC_FLOOR,
        help_text="A run whose cross-validated AUC is below it is promoted only with a reason.",
    )
    reason = forms.CharField(
        label="Reason", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed only when promoting the run raises a concern; recorded on the run and in the artist's promotion history.",
    )
