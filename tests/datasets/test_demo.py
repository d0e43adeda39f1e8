import csv

import numpy as np
from PIL import Image

from datasets import demo


def test_class_counts_default_split():
    assert demo.class_counts(120) == {"original": 60, "imitation": 20, "reproduction": 20, "synthetic": 20}
    assert sum(demo.class_counts(7).values()) == 7
    assert demo.class_counts(1) == {"original": 1}


def test_demo_images_are_deterministic_per_seed():
    first, q1 = demo.make_image(sublabel="imitation", seed=7, index=0, width=256, height=224)
    again, q2 = demo.make_image(sublabel="imitation", seed=7, index=0, width=256, height=224)
    other, _ = demo.make_image(sublabel="imitation", seed=8, index=0, width=256, height=224)
    assert q1 == q2 and np.array_equal(np.asarray(first), np.asarray(again))
    assert not np.array_equal(np.asarray(first), np.asarray(other))


def test_every_sublabel_renders_a_distinct_rgb_image():
    arrays = {}
    for sublabel in ("original", *demo.FORGED_SUBLABELS):
        image, _ = demo.make_image(sublabel=sublabel, seed=3, index=1, width=256, height=224)
        assert image.mode == "RGB" and sorted(image.size) == [224, 256]
        arrays[sublabel] = np.asarray(image, dtype=np.float32)
        assert arrays[sublabel].std() > 3  # a picture, not a flat fill
    assert len({array.tobytes() for array in arrays.values()}) == 4


def test_dataset_write_makes_folders_and_manifest(tmp_path):
    rows = demo.demo_dataset_write(out=tmp_path, seed=1, count=8, width=256, height=224)

    with open(tmp_path / "manifest.csv") as handle:
        manifest = list(csv.DictReader(handle))
    assert manifest == rows and len(rows) == 8
    assert {row["sublabel"] for row in rows} == {"original", "imitation", "reproduction", "synthetic"}
    assert {row["attributed_creator"] for row in rows} == {demo.HAND_A}
    assert {row["split"] for row in rows} <= {"train", "test"}
    for row in rows:
        with Image.open(tmp_path / row["file"]) as image:
            assert image.format == "JPEG"
        expected_folder = "authentic" if row["label"] == "authentic" else f"forged/{row['sublabel']}"
        assert row["file"].startswith(expected_folder + "/")
