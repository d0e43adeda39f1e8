"""The training management commands' error-rate targets and the promotion guard."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.training.fixtures import FIXTURE_REASON
from training import serving, services
from training.tables import RunRecord


@pytest.mark.parametrize("value", ["0", "60", "-1", "nan"])
def test_start_training_run_refuses_targets_outside_0_to_50_percent(value):
    with pytest.raises(CommandError, match="above 0 and at most 50"):
        call_command("start_training_run", "--dataset-version", "any", "--max-authentic-called-forged", value)
    assert list(RunRecord.status_index.query(services.RUNNING)) == []


def test_start_training_run_refuses_a_target_that_is_not_a_number():
    with pytest.raises(CommandError, match="invalid float value"):
        call_command("start_training_run", "--dataset-version", "any", "--max-forged-called-authentic", "x")


def test_promote_model_asks_for_a_reason_when_the_run_cannot_decide(promoted_model, capsys):
    run = RunRecord.get(promoted_model.run_id)
    detail = run.metrics_detail.as_dict()
    detail["policy"].update(authentic_below=None, forged_above=None)
    run.update(actions=[RunRecord.metrics_detail.set(detail)])
    promoted_at = run.promoted_at

    with pytest.raises(CommandError, match="give --reason"):
        call_command("promote_model", "--run-id", run.run_id)
    assert "This model can decide neither side" in capsys.readouterr().err
    assert RunRecord.get(run.run_id).promoted_at == promoted_at

    call_command("promote_model", "--run-id", run.run_id, "--reason", "Kept serving while more images are labelled.")
    out = capsys.readouterr().out
    assert "now serves Fixture Hand" in out and "Promoted despite: This model can decide neither side" in out
    assert RunRecord.get(run.run_id).promotion_reason == "Kept serving while more images are labelled."
    assert serving.promoted_model_info()["promotion_concerns"][0].startswith("This model can decide neither side")


def test_promote_model_reports_a_missing_run_and_a_bad_floor(promoted_model):
    with pytest.raises(CommandError, match="There is no run"):
        call_command("promote_model", "--run-id", "f" * 32)
    with pytest.raises(CommandError, match="between 0 and 1"):
        call_command("promote_model", "--run-id", promoted_model.run_id, "--auc-floor", "2")
    # AUC 1.0 is above a floor of 0.9; the 12-image fixture still has other concerns (too few works), hence the reason.
    call_command("promote_model", "--run-id", promoted_model.run_id, "--auc-floor", "0.9", "--reason", FIXTURE_REASON)
    concerns = RunRecord.get(promoted_model.run_id).promotion_concerns
    assert concerns and not any("cross-validated AUC" in concern for concern in concerns)
