import io

import pytest
from django.core.management import CommandError, call_command

from datasets import selectors
from datasets.tables import ImageRecord
from tests.datasets.factories import folder_dataset


def _run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def demo_dir(tmp_path):
    out, _ = _run("make_demo_dataset", "--out", str(tmp_path / "demo"), "--count", "8", "--width", "256", "--height", "224", "--seed", "5")
    assert "Wrote 8 synthetic images" in out
    return tmp_path / "demo"


def test_demo_dataset_uploads_through_the_queue_and_versions(db, demo_dir):
    out, err = _run("upload_training_data", "--dataset-path", str(demo_dir), "--dataset-name", "demo")

    assert "manifest" in err and "8/8" in err  # source and progress bar on stderr
    assert "Uploaded: 8" in out and "Failed: 0" in out and "Queued for preprocessing: 8" in out
    # django-q2 runs synchronously in tests: the tasks have preprocessed and cut patches
    records = list(ImageRecord.label_split_index.query("forged"))
    assert len(records) == 3 and {record.status for record in records} == {"processed"}
    assert all(selectors.patches_for_image(image_id=record.image_id) for record in records)
    assert {record.attributed_creator for record in records} == {"Demo Hand A"}

    again, _ = _run("upload_training_data", "--dataset-path", str(demo_dir), "--dataset-name", "demo", "--sync")
    assert "Uploaded: 0" in again and "Skipped: 8" in again

    created, _ = _run("create_dataset_version", "--name", "demo-v1", "--datasets", "demo")
    assert "Created dataset version demo-v1 with 8 images" in created
    assert len(selectors.dataset_version_get(name="demo-v1")["images"]) == 8
    with pytest.raises(CommandError, match="already exists"):
        _run("create_dataset_version", "--name", "demo-v1", "--datasets", "demo")


def test_upload_with_bad_files_reports_each_and_exits_non_zero(db, tmp_path):
    folder = folder_dataset(tmp_path / "data", authentic=1, forged={"proxy": 1})
    (folder / "forged" / "proxy" / "broken.png").write_bytes(b"\x89PNG not really")

    with pytest.raises(CommandError) as raised:
        _run("upload_training_data", "--dataset-path", str(folder), "--dataset-name", "mixed", "--sync", "--no-progress")

    assert raised.value.returncode == 1
    assert "1 file(s) failed" in str(raised.value)
    assert ImageRecord.get(next(ImageRecord.label_split_index.query("forged")).image_id).sublabel == "proxy"
    assert len(list(ImageRecord.label_split_index.query("authentic"))) == 1


def test_upload_summary_names_failed_files(db, tmp_path):
    folder = folder_dataset(tmp_path / "data", authentic=1, forged={})
    (folder / "authentic" / "empty.jpg").write_bytes(b"")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("upload_training_data", "--dataset-path", str(folder), "--dataset-name", "x", "--sync", stdout=out, stderr=io.StringIO())
    assert "authentic/empty.jpg: The file is empty." in out.getvalue()
    assert "Uploaded: 1" in out.getvalue()


@pytest.mark.parametrize("args, message", [
    (["--dataset-path", "/nonexistent/folder", "--dataset-name", "x"], "not a folder"),
    (["--dataset-name", "bad name!"], "not valid"),
])
def test_upload_refuses_unusable_arguments(db, tmp_path, args, message):
    folder_dataset(tmp_path / "data", authentic=1, forged={})
    if "--dataset-path" not in args:
        args = ["--dataset-path", str(tmp_path / "data"), *args]
    with pytest.raises(CommandError, match=message):
        _run("upload_training_data", *args)


def test_folder_without_labels_or_manifest_is_refused(db, tmp_path):
    (tmp_path / "flat").mkdir()
    with pytest.raises(CommandError, match="neither an authentic/ nor a forged/ folder"):
        _run("upload_training_data", "--dataset-path", str(tmp_path / "flat"), "--dataset-name", "x")


def test_manifest_missing_columns_is_refused(db, tmp_path):
    folder = folder_dataset(tmp_path / "data", authentic=1, forged={})
    (folder / "labels.csv").write_text("name,kind\na.jpg,authentic\n")
    with pytest.raises(CommandError, match="lacks the column"):
        _run("upload_training_data", "--dataset-path", str(folder), "--dataset-name", "x", "--manifest", str(folder / "labels.csv"))
