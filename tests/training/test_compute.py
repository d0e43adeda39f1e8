"""The one seam between in-process and Modal: training.compute._modal_function."""
import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from datasets import imaging
from training import compute, serving, services, tasks
from training.ml import head
from tests.training.fixtures import SMALL_TARGETS, fixture_dataset_create

GRID = [{"hidden": 0, "lr": 0.01, "weight_decay": 0.0001, "dropout": 0.0, "max_epochs": 20, "patience": 4}]


class FakeRemote:
    """Stands in for a deployed Modal function: .remote runs the same plain function here."""

    def __init__(self, name, calls):
        self.name, self.calls = name, calls

    def remote(self, *args):
        self.calls.append(self.name)
        if self.name == "train_run":
            (run_id,) = args
            return services.run_execute(run_id=run_id).status
        if self.name == "Scorer.score":
            model_version, pngs = args
            assert all(isinstance(p, bytes) for p in pngs)  # what crosses the wire is PNG bytes
            return compute.local_patch_scores(model_version=model_version, images=compute.decode_pngs(pngs))
        if self.name == "Scorer.references":
            model_version, queries, k = args
            return compute.local_reference_neighbours(model_version=model_version, queries=queries, k=k)
        raise AssertionError(f"unexpected Modal lookup {self.name}")


@pytest.fixture
def modal_calls(settings, monkeypatch):
    settings.MODAL_ENABLED = True
    calls = []
    monkeypatch.setattr(compute, "_modal_function", lambda name: FakeRemote(name, calls))
    return calls


@pytest.fixture
def dataset_version(settings, tmp_path, training_embedding_cache):
    settings.EMBEDDING_CACHE_DIR = training_embedding_cache
    return fixture_dataset_create(tmp_path / "images")["name"]


def test_training_task_goes_to_modal_when_enabled(dataset_version, modal_calls):
    run = services.run_create(targets=SMALL_TARGETS, dataset_version=dataset_version, k_folds=2, grid=GRID)
    assert tasks.run_train_task(run.run_id) == services.COMPLETED
    assert modal_calls == ["train_run"]


def test_scoring_goes_to_the_modal_scorer_when_enabled_with_the_same_result(promoted_model, settings, monkeypatch):
    patches = [p.image for p in imaging.extract_patches(promoted_model.forged_image)]
    local = serving.score_patches(patches, model_version=promoted_model.model_version)
    calls = []
    settings.MODAL_ENABLED = True
    monkeypatch.setattr(compute, "_modal_function", lambda name: FakeRemote(name, calls))
    remote = serving.score_patches(patches, model_version=promoted_model.model_version)
    assert calls == ["Scorer.score"]
    assert remote.probabilities == pytest.approx(local.probabilities, abs=1e-5)
    assert remote.verdict == local.verdict and remote.model_version == local.model_version
    # The reference index lives with the model: its neighbours come from the Scorer too.
    np.testing.assert_allclose(remote.reference_queries, local.reference_queries, atol=1e-4)
    settings.MODAL_ENABLED = False
    local_refs = serving.reference_neighbours(model_version=local.model_version, queries=local.reference_queries[:2])
    settings.MODAL_ENABLED = True
    remote_refs = serving.reference_neighbours(model_version=remote.model_version, queries=remote.reference_queries[:2])
    assert calls == ["Scorer.score", "Scorer.references"]
    assert len(remote_refs) == 2 and all(len(found["forged"]) == 3 for found in remote_refs)
    assert [[ref["patch_path"] for ref in found["forged"] + found["authentic"]] for found in remote_refs] == [
        [ref["patch_path"] for ref in found["forged"] + found["authentic"]] for found in local_refs]


def test_in_process_path_runs_queued_runs_in_the_worker_and_never_touches_modal(dataset_version, monkeypatch, db):
    monkeypatch.setattr(compute, "_modal_function", lambda name: pytest.fail("Modal used while disabled"))
    run = services.run_start(targets=SMALL_TARGETS, dataset_version=dataset_version, k_folds=2, grid=GRID)  # django-q2 sync mode in tests
    run.refresh()
    assert run.status == services.COMPLETED and run.model_version


def test_start_training_run_command_prints_progress_and_reports_bad_input(dataset_version, capsys, monkeypatch):
    # The command's printing and errors are under test, not the default grid (test_views trains that).
    monkeypatch.setattr(head, "DEFAULT_GRID", GRID)
    call_command("start_training_run", "--dataset-version", dataset_version, "--k-folds", "2", "--seeds", "3", "4", "--sync",
                 "--max-forged-called-authentic", "20", "--max-authentic-called-forged", "20")  # 6 images per label
    out = capsys.readouterr().out
    assert "%] embedding patches" in out or "%] listing patches" in out
    assert "fold 2/2" in out
    assert "completed: model" in out and "AUC" in out
    with pytest.raises(CommandError, match="no dataset version"):
        call_command("start_training_run", "--dataset-version", "missing", "--sync")
