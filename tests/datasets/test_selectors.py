import pytest

from artguard.storage import processed_storage, store_at
from datasets import selectors, services
from datasets.layout import DatasetError
from datasets.sources import entries_load
from datasets.tables import ImageRecord
from tests.datasets.factories import folder_dataset


def _upload(folder, name, process=services.PROCESS_INLINE):
    entries, _, _, _ = entries_load(dataset_path=folder, manifest_path=None)
    services.training_upload(dataset_name=name, entries=entries, process=process)


def test_datasets_list_counts_by_label_split_and_status(tmp_path):
    _upload(folder_dataset(tmp_path / "a", authentic=2, forged={"imitation": 1, "synthetic": 1}), "alpha")
    _upload(folder_dataset(tmp_path / "b", authentic=1, forged={}, seed=1), "beta", process=services.PROCESS_NONE)

    listed = {dataset["name"]: dataset for dataset in selectors.datasets_list()}

    assert set(listed) == {"alpha", "beta"}
    assert listed["alpha"]["labels"] == {"authentic": 2, "forged": 2}
    assert listed["alpha"]["sublabels"] == {"authentic/original": 2, "forged/imitation": 1, "forged/synthetic": 1}
    assert listed["alpha"]["statuses"] == {"processed": 4}
    assert listed["beta"]["statuses"] == {"uploaded": 1}


def test_images_for_datasets_only_processed_ones_of_the_named_datasets(tmp_path):
    _upload(folder_dataset(tmp_path / "a", authentic=2, forged={}), "alpha")
    _upload(folder_dataset(tmp_path / "b", authentic=1, forged={}, seed=1), "beta", process=services.PROCESS_NONE)

    assert {r.dataset_name for r in selectors.images_for_datasets(dataset_names=["alpha", "beta"])} == {"alpha"}
    assert len(selectors.images_for_datasets(dataset_names=["beta"], status=None)) == 1


def test_dataset_version_get_refuses_altered_or_incomplete_versions(tmp_path):
    _upload(folder_dataset(tmp_path / "a", authentic=1, forged={}), "alpha")
    services.dataset_version_create(name="v1", dataset_names=["alpha"])
    storage = processed_storage()
    storage.delete("datasets/versions/v1.json")
    store_at(storage, "datasets/versions/v1.json", b'{"images": []}')
    with pytest.raises(DatasetError, match="does not match"):
        selectors.dataset_version_get(name="v1")

    ImageRecord.get("dataset-version#v1").update(actions=[ImageRecord.status.set("pending")])
    with pytest.raises(DatasetError, match="incomplete"):
        selectors.dataset_version_get(name="v1")
    assert selectors.dataset_version_get(name="never") is None


def test_image_get_never_returns_a_version_item(tmp_path):
    _upload(folder_dataset(tmp_path / "a", authentic=1, forged={}), "alpha")
    services.dataset_version_create(name="v1", dataset_names=["alpha"])
    assert selectors.image_get(image_id="dataset-version#v1") is None


def test_datasets_list_reads_the_counters_not_the_images(tmp_path, monkeypatch):
    """After the first count, the page's numbers come from eight counter items: uploads,
    status changes and deletions keep them equal to a full recount, with no image read."""
    from datasets import deletion, stats

    _upload(folder_dataset(tmp_path / "a", authentic=2, forged={"imitation": 1}), "alpha", process=services.PROCESS_NONE)
    assert stats.stats_built()  # the first upload made them, before writing its images
    first = selectors.datasets_list()
    assert {d["name"]: d["statuses"] for d in first} == {"alpha": {"uploaded": 3}}

    _upload(folder_dataset(tmp_path / "b", authentic=1, forged={"synthetic": 2}, seed=1), "beta")
    for record in selectors.images_for_datasets(dataset_names=["alpha"], status=None)[:2]:
        services.image_process(image_id=record.image_id)
        services.image_process(image_id=record.image_id)  # a task run twice is counted once
    monkeypatch.setattr(selectors, "_training_images", lambda **kwargs: pytest.fail("the page read the images"))
    listed = selectors.datasets_list()
    monkeypatch.undo()
    assert {d["name"]: d["statuses"] for d in listed} == {"alpha": {"uploaded": 1, "processed": 2}, "beta": {"processed": 3}}
    assert listed[1]["sublabels"] == {"authentic/original": 1, "forged/synthetic": 2} and listed[1]["image_count"] == 3

    deletion.dataset_delete(name="beta")
    after_delete = selectors.datasets_list()
    stats.stats_rebuild(selectors.training_image_summaries())
    assert after_delete == selectors.datasets_list() and [d["name"] for d in after_delete] == ["alpha"]
    # The counters are not images: no page, listing or lookup returns them.
    assert selectors.image_get(image_id=stats.stats_item_id(0)) is None
    assert all(not r.image_id.startswith(stats.STATS_ID_PREFIX) for r in selectors.training_image_summaries())


def test_images_from_before_the_counters_are_counted_and_the_next_upload_takes_them_in(tmp_path):
    from datasets import stats

    _upload(folder_dataset(tmp_path / "a", authentic=2, forged={"imitation": 1}), "alpha")
    for shard in range(stats.SHARDS):  # as on a table written by a version without counters
        ImageRecord._get_connection().connection.client.delete_item(
            TableName=ImageRecord.Meta.table_name, Key={"image_id": {"S": stats.stats_item_id(shard)}})
    assert stats.stats_read() is None
    assert {d["name"]: d["image_count"] for d in selectors.datasets_list()} == {"alpha": 3}  # counted from the images

    _upload(folder_dataset(tmp_path / "b", authentic=1, forged={}, seed=1), "beta")
    assert stats.stats_built()
    assert {d["name"]: d["statuses"] for d in stats.stats_read()} == {"alpha": {"processed": 3}, "beta": {"processed": 1}}
