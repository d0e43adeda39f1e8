"""The hyperparameter grid's rules (training.ml.grid): each head kind's settings and ranges."""
import pytest

from training.ml import grid, head


def test_the_default_grid_is_completed_with_every_setting_each_head_trains_with():
    cleaned = grid.clean_grid(None)
    assert len(cleaned) == len(head.DEFAULT_GRID)
    assert cleaned[0] == {"kind": "baseline", "C": 0.003}
    assert {"kind": "lda"} in cleaned
    assert cleaned[-1] == {"kind": "torch", "hidden": 128, "lr": 0.0003, "weight_decay": 0.001, "dropout": 0.5,
                           "max_epochs": 60, "patience": 8, "batch_size": 256}
    # what the grid checks is what head.complete stores for each kind
    assert [head.complete(config) == config for config in cleaned] == [True] * len(cleaned)


def test_numbers_given_as_text_are_read_and_missing_ones_take_their_defaults():
    assert grid.clean_grid([{"kind": "by_type", "C": "2"}, {"hidden": "16"}]) == [
        {"kind": "by_type", "C": 2.0},
        {"kind": "torch", "hidden": 16, "lr": 0.001, "weight_decay": 0.0, "dropout": 0.0, "max_epochs": 60, "patience": 8, "batch_size": 256},
    ]


@pytest.mark.parametrize(("configs", "message"), [
    ([], "The hyperparameter grid must be a non-empty list of configurations."),
    ({"kind": "baseline"}, "The hyperparameter grid must be a non-empty list"),
    (["baseline"], "Configuration 1: allowed keys are C, batch_size, dropout, hidden, kind, lr, max_epochs, patience, weight_decay."),
    ([{"layers": 3}], "Configuration 1: allowed keys are"),
    ([{"kind": "baseline"}, {"kind": "svm"}], "Configuration 2: kind must be one of baseline, by_type, lda, torch."),
    ([{"kind": "lda", "C": 1}], r"Configuration 1: the lda head takes no other setting \(its shrinkage is estimated\)."),
    ([{"kind": "baseline", "hidden": 8}], "Configuration 1: the baseline head takes only C."),
    ([{"kind": "torch", "C": 1}], "Configuration 1: the torch head takes only hidden, lr, weight_decay, dropout, max_epochs, patience, batch_size."),
    ([{"kind": "baseline", "C": "lots"}], "Configuration 1: C is not a number."),
    ([{"kind": "baseline", "C": 0}], "Configuration 1: C must be above 0 and at most 10000, not 0.0."),
    ([{"kind": "by_type", "C": 20000}], "Configuration 1: C must be above 0 and at most 10000, not 20000.0."),
    ([{"kind": "baseline", "C": float("nan")}], "Configuration 1: C must be above 0 and at most 10000, not nan."),
    ([{"hidden": None}], "Configuration 1: hidden is not a number."),
    ([{"hidden": -1}], "Configuration 1: hidden must be at least 0, not -1."),
    ([{"lr": 0}], "Configuration 1: lr must be above 0 and at most 1, not 0.0."),
    ([{"dropout": 1}], "Configuration 1: dropout must be at least 0 and below 1, not 1.0."),
    ([{"max_epochs": 1001}], "Configuration 1: max_epochs must be at least 1 and at most 1000, not 1001."),
    ([{"patience": 0}], "Configuration 1: patience must be at least 1, not 0."),
])
def test_a_grid_the_heads_cannot_train_is_refused_with_the_configuration_and_reason(configs, message):
    with pytest.raises(grid.InvalidGrid, match=f"^{message}"):
        grid.clean_grid(configs)
