from datasets import selectors, services, tasks
from datasets.sources import entries_load
from datasets.tables import ImageRecord
from tests.datasets.factories import folder_dataset


def test_preprocess_task_chains_patches_and_can_run_twice(db, tmp_path):
    entries, _, _, _ = entries_load(dataset_path=folder_dataset(tmp_path / "a", authentic=1, forged={}), manifest_path=None)
    services.training_upload(dataset_name="alpha", entries=entries, process=services.PROCESS_NONE)
    image_id = next(ImageRecord.label_split_index.query("authentic")).image_id

    assert tasks.image_preprocess_task(image_id) == "processed"  # django-q2 runs the patch task inline in tests
    count = len(selectors.patches_for_image(image_id=image_id))
    assert count > 0
    assert tasks.image_preprocess_task(image_id) == "processed"
    assert tasks.image_patches_task(image_id) == count
    assert len(selectors.patches_for_image(image_id=image_id)) == count


def test_preprocess_task_records_failure_for_a_corrupted_original(db, tmp_path):
    from artguard.storage import raw_storage, store_at

    entries, _, _, _ = entries_load(dataset_path=folder_dataset(tmp_path / "a", authentic=1, forged={}), manifest_path=None)
    services.training_upload(dataset_name="alpha", entries=entries, process=services.PROCESS_NONE)
    record = next(ImageRecord.label_split_index.query("authentic"))
    store_at(raw_storage(), record.image_path, b"\xff\xd8 corrupted")

    assert tasks.image_preprocess_task(record.image_id) == "failed"
    record.refresh()
    assert "not an image" in record.status_reason or "damaged" in record.status_reason
    assert selectors.patches_for_image(image_id=record.image_id) == []
