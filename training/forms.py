from django import forms

from training.data import STRATIFY_CHOICES
from training.ml.backbone import DEFAULT_BACKBONE, REGISTRY


class RunStartForm(forms.Form):
    dataset_version = forms.CharField(max_length=64)
    k_folds = forms.IntegerField(min_value=2, max_value=20, initial=5)
    stratify_on = forms.ChoiceField(choices=[(c, c) for c in STRATIFY_CHOICES], initial="sublabel")
    outer_split_seed = forms.IntegerField(min_value=0, max_value=2**31 - 1, initial=0)
    inner_split_seed = forms.IntegerField(min_value=0, max_value=2**31 - 1, initial=1)
    backbone = forms.ChoiceField(choices=[(name, name) for name in sorted(REGISTRY)], initial=DEFAULT_BACKBONE)

    def __init__(self, *args, dataset_versions: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if dataset_versions:
            self.fields["dataset_version"] = forms.ChoiceField(choices=[(v, v) for v in dataset_versions])
