import pytest

from datasets.sources import SourceError, entries_from_folders, entries_load
from tests.datasets.factories import folder_dataset, write_image, write_manifest


def test_folder_names_give_label_and_sublabel(tmp_path):
    folder = folder_dataset(tmp_path, authentic=1, forged={"reproduction": 1})
    write_image(folder / "forged" / "loose.jpg", seed=9)
    (folder / "authentic" / ".DS_Store").write_bytes(b"junk")
    (folder / "authentic" / "readme.txt").write_text("notes")

    entries, problems, ignored = entries_from_folders(dataset_path=folder)

    assert {(e.name, e.label, e.sublabel, e.split) for e in entries} == {
        ("authentic/a0.jpg", "authentic", "original", "train"),
        ("forged/reproduction/reproduction0.jpg", "forged", "reproduction", "train"),
        ("forged/loose.jpg", "forged", "forgery", "train"),
    }
    assert problems == [] and [p.name for p in ignored] == ["authentic/readme.txt"]


def test_manifest_is_found_in_the_folder_and_paths_cannot_escape_it(tmp_path):
    folder = tmp_path / "data"
    write_image(folder / "x.jpg", seed=1)
    write_image(tmp_path / "outside.jpg", seed=2)
    write_manifest(folder, [
        {"file": "x.jpg", "label": "authentic"},
        {"file": "../outside.jpg", "label": "authentic"},
        {"file": "x.jpg", "label": "forged", "split": "holdout"},
    ])

    entries, problems, _, manifest = entries_load(dataset_path=folder, manifest_path=None)

    assert manifest == folder / "manifest.csv"
    assert [(e.name, e.sublabel) for e in entries] == [("x.jpg", "original")]
    reasons = " | ".join(p.reason for p in problems)
    assert "outside the dataset folder" in reasons and "unknown split 'holdout'" in reasons


def test_named_manifest_must_exist(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        entries_load(dataset_path=tmp_path, manifest_path=tmp_path / "nope.csv")
