"""Against a real DynamoDB Local: batch writes of ImageRecords/PatchRecords and the dataset
version's conditional put (the parts moto could get subtly wrong)."""
import threading

import pytest

from datasets import selectors, services
from datasets.layout import VersionExists
from datasets.sources import entries_load
from datasets.tables import ImageRecord, PatchRecord
from tests.datasets.factories import folder_dataset

pytestmark = pytest.mark.integration


@pytest.fixture
def uploaded(tmp_path):
    # 28 images: more than one upload chunk (25), so two BatchGet/BatchWrite rounds
    folder = folder_dataset(tmp_path / "data", authentic=20, forged={"imitation": 4, "synthetic": 4})
    entries, _, _, _ = entries_load(dataset_path=folder, manifest_path=None)
    summary = services.training_upload(dataset_name="local", entries=entries, process=services.PROCESS_NONE)
    assert summary.ok and len(summary.uploaded) == 28
    return entries


def test_batch_written_records_are_queryable_and_rerun_skips_them(uploaded):
    assert len(list(ImageRecord.label_split_index.query("authentic", ImageRecord.split == "train"))) == 20
    assert len(list(ImageRecord.label_split_index.query("forged"))) == 8

    again = services.training_upload(dataset_name="local", entries=uploaded, process=services.PROCESS_NONE)
    assert again.uploaded == [] and len(again.skipped) == 28


def test_patch_records_batch_written_and_read_through_the_index(uploaded):
    record = next(ImageRecord.label_split_index.query("forged"))
    services.image_process(image_id=record.image_id)
    services.image_patches_extract(image_id=record.image_id)  # idempotent second call

    patches = selectors.patches_for_image(image_id=record.image_id, patch_type="forged")
    assert len(patches) == ImageRecord.get(record.image_id).patch_count > 0
    assert PatchRecord.count() == len(patches)


def test_version_conditional_put_lets_exactly_one_of_two_racers_win(uploaded):
    for record in list(ImageRecord.label_split_index.query("forged")):
        services.image_process(image_id=record.image_id)
    barrier, results = threading.Barrier(2), []

    def create():
        barrier.wait()
        try:
            results.append(services.dataset_version_create(name="race", dataset_names=["local"])["created_at"])
        except VersionExists:
            results.append("refused")

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count("refused") == 1
    winner = next(result for result in results if result != "refused")
    snapshot = selectors.dataset_version_get(name="race")
    assert snapshot["created_at"] == winner and snapshot["image_count"] == 8
    assert [version["name"] for version in selectors.dataset_versions_list()] == ["race"]


def test_version_put_is_refused_by_the_condition_even_when_the_precheck_misses(uploaded, monkeypatch):
    record = next(ImageRecord.label_split_index.query("forged"))
    services.image_process(image_id=record.image_id)
    first = services.dataset_version_create(name="v1", dataset_names=["local"])

    def never_found(*args, **kwargs):
        raise ImageRecord.DoesNotExist()

    monkeypatch.setattr(ImageRecord, "get", never_found)  # as if a racer read before the put
    with pytest.raises(VersionExists):
        services.dataset_version_create(name="v1", dataset_names=["local"])
    monkeypatch.undo()
    assert selectors.dataset_version_get(name="v1") == first
