import pytest

from artguard.storage import processed_storage, raw_storage
from datasets import imaging, selectors, services
from datasets.layout import STATUS_FAILED, STATUS_PROCESSED, DatasetError, VersionExists, image_id_for
from datasets.sources import entries_load
from datasets.tables import ImageRecord, PatchRecord
from tests.datasets.factories import folder_dataset, write_image, write_manifest
from tests.images import image_bytes


def _upload(folder, name="set1", process=services.PROCESS_INLINE, **kwargs):
    entries, problems, ignored, _ = entries_load(dataset_path=folder, manifest_path=None)
    return services.training_upload(dataset_name=name, entries=entries, problems=problems, ignored=ignored, process=process, **kwargs)


def test_upload_stores_originals_then_records_with_content_hash_ids(tmp_path):
    folder = folder_dataset(tmp_path / "data", authentic=2, forged={"imitation": 1, "synthetic": 1})
    summary = _upload(folder, process=services.PROCESS_NONE)

    assert summary.ok and len(summary.uploaded) == 4
    data = (folder / "forged/synthetic/synthetic0.jpg").read_bytes()
    record = ImageRecord.get(image_id_for(data))
    assert (record.label, record.sublabel, record.split, record.status) == ("forged", "synthetic", "train", "uploaded")
    assert record.image_path == f"training/set1/{record.image_id}.jpg"
    assert raw_storage().open(record.image_path).read() == data


def test_rerun_skips_present_images_and_resumes_an_interrupted_upload(tmp_path):
    folder = folder_dataset(tmp_path / "data", authentic=3, forged={})
    entries, _, _, _ = entries_load(dataset_path=folder, manifest_path=None)
    first = services.training_upload(dataset_name="set1", entries=entries[:1], process=services.PROCESS_NONE)
    assert len(first.uploaded) == 1

    second = services.training_upload(dataset_name="set1", entries=entries, process=services.PROCESS_INLINE)

    assert len(second.uploaded) == 2
    assert [problem.name for problem in second.skipped] == [entries[0].name]
    assert "already present" in second.skipped[0].reason
    # the image left at "uploaded" by the first run is preprocessed by the second
    assert second.processed == 3
    assert len(list(ImageRecord.label_split_index.query("authentic"))) == 3


def test_duplicate_content_within_one_upload_is_reported_and_stored_once(tmp_path):
    folder = folder_dataset(tmp_path / "data", authentic=1, forged={})
    (folder / "authentic" / "copy.jpg").write_bytes((folder / "authentic" / "a0.jpg").read_bytes())

    summary = _upload(folder, process=services.PROCESS_NONE)

    assert len(summary.uploaded) == 1
    assert any("duplicate of" in problem.reason for problem in summary.skipped)
    assert summary.ok


def test_same_content_with_two_labels_in_one_upload_fails_the_second(tmp_path):
    folder = folder_dataset(tmp_path / "data", authentic=1, forged={})
    (folder / "forged" / "proxy").mkdir(parents=True)
    (folder / "forged" / "proxy" / "same.jpg").write_bytes((folder / "authentic" / "a0.jpg").read_bytes())

    summary = _upload(folder, process=services.PROCESS_NONE)

    assert summary.uploaded == ["authentic/a0.jpg"]
    assert [problem.name for problem in summary.failed] == ["forged/proxy/same.jpg"]
    assert "labels disagree" in summary.failed[0].reason


def test_bad_files_are_reported_by_name_and_the_rest_continues(tmp_path):
    folder = folder_dataset(tmp_path / "data", authentic=1, forged={})
    bad = folder / "authentic"
    (bad / "empty.jpg").write_bytes(b"")
    (bad / "text.jpg").write_bytes(b"this is not an image")
    (bad / "truncated.jpg").write_bytes(image_bytes(300, 240)[:2000])
    (bad / "notes.txt").write_text("ignored")

    summary = _upload(folder, process=services.PROCESS_NONE)

    reasons = {problem.name: problem.reason for problem in summary.failed}
    assert set(reasons) == {"authentic/empty.jpg", "authentic/text.jpg", "authentic/truncated.jpg"}
    assert "empty" in reasons["authentic/empty.jpg"]
    assert "not an image" in reasons["authentic/text.jpg"]
    assert "truncated" in reasons["authentic/truncated.jpg"]
    assert summary.uploaded == ["authentic/a0.jpg"]
    assert not summary.ok
    # nothing half-written: only the good file has a record and a stored original
    assert len(list(ImageRecord.label_split_index.query("authentic"))) == 1
    assert len(list((tmp_path / "raw" / "training" / "set1").iterdir())) == 1


def test_decompression_bomb_is_rejected(tmp_path, settings):
    folder = tmp_path / "data"
    write_image(folder / "authentic" / "bomb.png", seed=1, width=200, height=200, fmt="PNG")
    from PIL import Image

    limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = 10_000  # 200x200 is now 4x the limit: Pillow raises a bomb error
    try:
        summary = _upload(folder, process=services.PROCESS_NONE)
    finally:
        Image.MAX_IMAGE_PIXELS = limit
    assert "megapixels" in summary.failed[0].reason and "bomb" not in summary.failed[0].reason


def test_preprocess_writes_png_dimensions_and_patches_idempotently(tmp_path):
    folder = tmp_path / "data"
    write_image(folder / "authentic" / "big.jpg", seed=3, width=1200, height=600)
    _upload(folder, process=services.PROCESS_NONE)
    image_id = image_id_for((folder / "authentic" / "big.jpg").read_bytes())

    record = services.image_process(image_id=image_id)
    again = services.image_process(image_id=image_id)

    assert record.status == again.status == STATUS_PROCESSED
    assert (record.image_width, record.image_height) == (1200, 600)
    assert record.processed_path == f"training/set1/{image_id}.png"
    grid = imaging.patch_grid(1200, 600)
    patches = selectors.patches_for_image(image_id=image_id)
    assert len(patches) == len(grid) == record.patch_count
    assert patches[0].patch_id == f"{image_id}-000"
    assert {patch.patch_type for patch in patches} == {"authentic"}
    assert processed_storage().exists(patches[-1].patch_path)
    assert [(p.patch_x, p.patch_y, p.patch_width, p.patch_height) for p in patches] == [box[:4] for box in grid]
    # a forced re-extraction overwrites the same ids instead of adding patches
    record.update(actions=[ImageRecord.patch_count.remove()])
    services.image_patches_extract(image_id=image_id)
    assert len(selectors.patches_for_image(image_id=image_id)) == len(grid)
    assert selectors.patches_for_image(image_id=image_id, patch_type="forged") == []


def test_preprocess_marks_a_vanished_original_failed_with_a_reason(tmp_path):
    folder = folder_dataset(tmp_path / "data", authentic=1, forged={})
    _upload(folder, process=services.PROCESS_NONE)
    record = next(ImageRecord.label_split_index.query("authentic"))
    raw_storage().delete(record.image_path)

    result = services.image_preprocess(image_id=record.image_id)

    assert result.status == STATUS_FAILED
    assert "missing" in result.status_reason
    with pytest.raises(DatasetError):
        services.image_patches_extract(image_id=record.image_id)


def test_dataset_version_snapshot_and_uniqueness(tmp_path):
    _upload(folder_dataset(tmp_path / "a", authentic=2, forged={"imitation": 1}), name="set1")
    _upload(folder_dataset(tmp_path / "b", authentic=1, forged={}, seed=1), name="set2")

    snapshot = services.dataset_version_create(name="v1", dataset_names=["set1", "set2"])

    assert snapshot["image_count"] == 4
    assert snapshot["label_counts"] == {"authentic/original": 3, "forged/imitation": 1}
    stored = selectors.dataset_version_get(name="v1")
    assert stored == snapshot
    assert {image["dataset_name"] for image in stored["images"]} == {"set1", "set2"}
    assert set(stored["images"][0]) >= {"image_id", "label", "sublabel", "attributed_creator", "split", "dataset_name"}
    assert processed_storage().exists("datasets/versions/v1.json")
    with pytest.raises(VersionExists, match="already exists"):
        services.dataset_version_create(name="v1", dataset_names=["set1"])
    assert selectors.dataset_version_get(name="v1") == snapshot  # the refused attempt changed nothing
    assert [version["name"] for version in selectors.dataset_versions_list()] == ["v1"]
    # versions never show up among the training images
    assert all(not record.image_id.startswith("dataset-version#") for record in ImageRecord.label_split_index.query("authentic"))


@pytest.mark.parametrize("name, datasets, message", [
    ("bad name", ["set1"], "not valid"),
    ("v2", [], "at least one"),
    ("v2", ["nosuch"], "No processed images"),
])
def test_dataset_version_bad_requests(tmp_path, name, datasets, message):
    _upload(folder_dataset(tmp_path / "a", authentic=1, forged={}), name="set1")
    with pytest.raises(DatasetError, match=message):
        services.dataset_version_create(name=name, dataset_names=datasets)


def test_manifest_labels_and_row_problems(tmp_path):
    folder = tmp_path / "data"
    write_image(folder / "img" / "one.jpg", seed=1)
    write_image(folder / "img" / "two.jpg", seed=2)
    write_manifest(folder, [
        {"file": "img/one.jpg", "label": "authentic", "sublabel": "original", "attributed_creator": "Hand A", "actual_creator": "Hand A", "split": "val"},
        {"file": "img/two.jpg", "label": "Forged", "sublabel": "proxy", "attributed_creator": "Hand A", "actual_creator": "Hand B"},
        {"file": "img/three.jpg", "label": "forged"},
        {"file": "img/one.jpg", "label": "authentic"},
        {"file": "img/two.jpg", "label": "fake"},
    ])

    summary = _upload(folder, process=services.PROCESS_NONE)

    assert sorted(summary.uploaded) == ["img/one.jpg", "img/two.jpg"]
    reasons = sorted(problem.reason for problem in summary.failed)
    assert any("file not found" in reason for reason in reasons)
    assert any("listed twice" in reason for reason in reasons)
    assert any("unknown label 'fake'" in reason for reason in reasons)
    two = ImageRecord.get(image_id_for((folder / "img" / "two.jpg").read_bytes()))
    assert (two.label, two.sublabel, two.split, two.actual_creator) == ("forged", "proxy", "train", "Hand B")
    one = ImageRecord.get(image_id_for((folder / "img" / "one.jpg").read_bytes()))
    assert one.split == "val"


def test_rerun_finishes_an_image_whose_patches_were_never_cut(tmp_path):
    folder = folder_dataset(tmp_path / "data", authentic=1, forged={})
    _upload(folder, process=services.PROCESS_NONE)
    record = next(ImageRecord.label_split_index.query("authentic"))
    services.image_preprocess(image_id=record.image_id)  # the patch task never ran

    summary = _upload(folder)

    assert summary.uploaded == [] and summary.processed == 1
    assert len(selectors.patches_for_image(image_id=record.image_id)) == ImageRecord.get(record.image_id).patch_count > 0
