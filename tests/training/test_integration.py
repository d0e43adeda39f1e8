"""A run, its records and its promotion on a real DynamoDB Local: conditional updates, map
attributes of floats and nested lists, the three indexes the pages read."""
import pytest

from tests.training.fixtures import SMALL_TARGETS
from training import selectors, serving, services
from training.tables import RunRecord

pytestmark = pytest.mark.integration


def test_run_and_promotion_on_dynamodb_local(promoted_model, settings):
    run = RunRecord.get(promoted_model.run_id)
    assert run.status == services.COMPLETED and run.promoted_by == "fixture@example.com"
    detail = run.metrics_detail.as_dict()
    assert isinstance(detail["roc"][0], list) and detail["policy"]["statements"]
    assert [r.run_id for r in selectors.runs_by_status(status="completed").items] == [run.run_id]
    assert [r.run_id for r in selectors.runs_for_dataset_version(dataset_version=promoted_model.dataset_version).items] == [run.run_id]
    table = selectors.run_fold_table(run_id=run.run_id)
    assert table["folds"] == [0, 1] and table["final"].config_id == run.best_config_id
    assert serving.promoted_model_info()["model_version"] == run.model_version

    settings.TRAINING_HEARTBEAT_STALE_SECONDS = 0
    queued = services.run_create(targets=SMALL_TARGETS, dataset_version=promoted_model.dataset_version, k_folds=2)
    assert services.runs_sweep_stale(now=queued.created_at + 1000) == [queued.run_id]
    assert services.run_fail(run_id=queued.run_id, error="again") is False  # conditional: only running runs
