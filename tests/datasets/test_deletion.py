import io

import pytest
from django.core.management import CommandError, call_command

from artguard.storage import list_prefix, processed_storage, raw_storage
from datasets import selectors, services
from datasets.deletion import DatasetInUse, dataset_delete
from datasets.sources import entries_from_folders
from datasets.tables import ImageRecord, PatchRecord
from tests.datasets.factories import folder_dataset


def _upload(tmp_path, name: str, *, seed: int) -> int:
    folder = folder_dataset(tmp_path / name, authentic=2, forged={"imitation": 1}, seed=seed)
    entries, problems, ignored = entries_from_folders(dataset_path=folder)
    summary = services.training_upload(dataset_name=name, entries=entries, problems=problems, ignored=ignored, process=services.PROCESS_INLINE)
    assert summary.ok and summary.processed == 3
    return summary.processed


def _files(name: str) -> list[str]:
    return list_prefix(raw_storage(), f"training/{name}") + list_prefix(processed_storage(), f"training/{name}") + list_prefix(processed_storage(), f"patches/{name}")


def test_deletes_records_patches_and_files_of_that_dataset_only(tmp_path):
    _upload(tmp_path, "doomed", seed=1)
    _upload(tmp_path, "kept", seed=2)
    doomed_ids = [record.image_id for record in selectors.images_for_datasets(dataset_names=["doomed"])]
    patches_before = sum(len(selectors.patches_for_image(image_id=image_id)) for image_id in doomed_ids)

    result = dataset_delete(name="doomed")

    assert (result.images, result.patches, result.raw_objects) == (3, patches_before, 3)
    assert result.processed_objects == 3 + patches_before
    assert selectors.images_for_datasets(dataset_names=["doomed"], status=None) == []
    assert all(not selectors.patches_for_image(image_id=image_id) for image_id in doomed_ids)
    assert _files("doomed") == []
    kept = selectors.images_for_datasets(dataset_names=["kept"])
    assert len(kept) == 3 and all(selectors.patches_for_image(image_id=r.image_id) for r in kept) and _files("kept")
    with pytest.raises(Exception, match="no dataset named 'doomed'"):
        dataset_delete(name="doomed")


def test_a_dataset_in_a_version_is_kept_unless_forced(tmp_path):
    _upload(tmp_path, "frozen", seed=3)
    services.dataset_version_create(name="frozen-v1", dataset_names=["frozen"])
    with pytest.raises(DatasetInUse, match="frozen-v1"):
        dataset_delete(name="frozen")
    assert len(selectors.images_for_datasets(dataset_names=["frozen"])) == 3

    result = dataset_delete(name="frozen", force=True)
    assert result.images == 3 and result.versions_affected == ["frozen-v1"]
    assert ImageRecord.get("dataset-version#frozen-v1")  # the version's own record stays: it is history


def test_images_still_preprocessing_are_refused_unless_forced(tmp_path):
    folder = folder_dataset(tmp_path / "busy", authentic=1, forged={})
    entries, problems, ignored = entries_from_folders(dataset_path=folder)
    services.training_upload(dataset_name="busy", entries=entries, problems=problems, ignored=ignored, process="none")
    with pytest.raises(DatasetInUse, match="still being preprocessed"):
        dataset_delete(name="busy")
    assert dataset_delete(name="busy", force=True).images == 1


def test_interrupted_deletion_finishes_when_run_again(tmp_path, monkeypatch):
    _upload(tmp_path, "halfway", seed=4)
    original = type(raw_storage()).delete
    calls = []

    def fail_on_second(self, name):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("injected storage fault")
        return original(self, name)

    monkeypatch.setattr(type(raw_storage()), "delete", fail_on_second)
    with pytest.raises(OSError):
        dataset_delete(name="halfway")
    assert selectors.images_for_datasets(dataset_names=["halfway"], status=None) == []  # records went first
    monkeypatch.setattr(type(raw_storage()), "delete", original)
    result = dataset_delete(name="halfway")
    assert result.images == 0 and result.raw_objects == 2
    assert _files("halfway") == []


def test_command_asks_for_the_name_and_reports_counts(tmp_path, monkeypatch):
    _upload(tmp_path, "cmd", seed=5)
    monkeypatch.setattr("builtins.input", lambda prompt: "not-it")
    with pytest.raises(CommandError, match="Not confirmed"):
        call_command("delete_dataset", "--dataset-name", "cmd")
    assert len(selectors.images_for_datasets(dataset_names=["cmd"])) == 3

    out = io.StringIO()
    call_command("delete_dataset", "--dataset-name", "cmd", "--no-input", stdout=out)
    assert out.getvalue().startswith("Deleted dataset cmd: 3 images, ")
    with pytest.raises(CommandError, match="no dataset named"):
        call_command("delete_dataset", "--dataset-name", "cmd", "--no-input")
    assert PatchRecord.count() == 0
