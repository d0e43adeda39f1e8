import csv
import hashlib
import io

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from datasets import synthetic


def test_class_counts_default_split():
    assert synthetic.class_counts(120) == {"original": 60, "imitation": 20, "reproduction": 20, "synthetic": 20}
    assert sum(synthetic.class_counts(7).values()) == 7
    assert synthetic.class_counts(1) == {"original": 1}


def test_demo_images_are_deterministic_per_seed():
    first, q1 = synthetic.make_image(sublabel="imitation", seed=7, index=0, width=256, height=224)
    again, q2 = synthetic.make_image(sublabel="imitation", seed=7, index=0, width=256, height=224)
    other, _ = synthetic.make_image(sublabel="imitation", seed=8, index=0, width=256, height=224)
    assert q1 == q2 and np.array_equal(np.asarray(first), np.asarray(again))
    assert not np.array_equal(np.asarray(first), np.asarray(other))


def test_every_sublabel_renders_a_distinct_rgb_image():
    arrays = {}
    for sublabel in ("original", *synthetic.FORGED_SUBLABELS):
        image, _ = synthetic.make_image(sublabel=sublabel, seed=3, index=1, width=256, height=224)
        assert image.mode == "RGB" and sorted(image.size) == [224, 256]
        arrays[sublabel] = np.asarray(image, dtype=np.float32)
        assert arrays[sublabel].std() > 3  # a picture, not a flat fill
    assert len({array.tobytes() for array in arrays.values()}) == 4


def test_dataset_write_makes_folders_and_manifest(tmp_path):
    rows = synthetic.demo_dataset_write(out=tmp_path, seed=1, count=8, width=256, height=224)

    with open(tmp_path / "manifest.csv") as handle:
        manifest = list(csv.DictReader(handle))
    assert manifest == rows and len(rows) == 8
    assert {row["sublabel"] for row in rows} == {"original", "imitation", "reproduction", "synthetic"}
    assert {row["attributed_creator"] for row in rows} == {synthetic.HAND_A}
    assert {row["split"] for row in rows} <= {"train", "test"}
    for row in rows:
        with Image.open(tmp_path / row["file"]) as image:
            assert image.format == "JPEG"
        expected_folder = "authentic" if row["label"] == "authentic" else f"forged/{row['sublabel']}"
        assert row["file"].startswith(expected_folder + "/")


# Pixels and JPEG qualities of make_image(sublabel=..., seed=3, index=1, width=256, height=224)
# for the four sublabels, recorded from the generator before the "hard" difficulty was added:
# the demo model and the other tests depend on "standard" staying exactly as it was.
STANDARD_SEED3_HASH = "ac919f3e94b3b182b18fbbab7cf67194bd99b53d23713a535869703d9d1d9f48"


def _standard_hash(**kwargs):
    digest = hashlib.sha256()
    for sublabel in ("original", *synthetic.FORGED_SUBLABELS):
        image, quality = synthetic.make_image(sublabel=sublabel, seed=3, index=1, width=256, height=224, **kwargs)
        digest.update(image.tobytes())
        digest.update(bytes([quality]))
    return digest.hexdigest()


def test_standard_difficulty_is_unchanged():
    assert _standard_hash() == STANDARD_SEED3_HASH
    assert _standard_hash(difficulty="standard") == STANDARD_SEED3_HASH


def test_hard_images_are_deterministic_per_seed_and_differ_from_standard():
    for sublabel in ("original", *synthetic.FORGED_SUBLABELS):
        first, q1 = synthetic.make_image(sublabel=sublabel, seed=7, index=0, width=256, height=224, difficulty="hard")
        again, q2 = synthetic.make_image(sublabel=sublabel, seed=7, index=0, width=256, height=224, difficulty="hard")
        other, _ = synthetic.make_image(sublabel=sublabel, seed=8, index=0, width=256, height=224, difficulty="hard")
        standard, _ = synthetic.make_image(sublabel=sublabel, seed=7, index=0, width=256, height=224)
        assert first.mode == "RGB" and sorted(first.size) == [224, 256]
        assert q1 == q2 and np.array_equal(np.asarray(first), np.asarray(again))
        assert not np.array_equal(np.asarray(first), np.asarray(other))
        assert first.tobytes() != standard.tobytes()
        assert np.asarray(first, dtype=np.float32).std() > 3


def test_unknown_difficulty_is_refused(tmp_path):
    with pytest.raises(ValueError, match="difficulty"):
        synthetic.make_image(sublabel="original", seed=1, index=0, width=256, height=224, difficulty="extreme")
    with pytest.raises(ValueError, match="difficulty"):
        synthetic.demo_dataset_write(out=tmp_path / "x", seed=1, count=4, width=256, height=224, difficulty="extreme")
    assert not (tmp_path / "x").exists()


def test_hard_dataset_write_makes_the_same_layout_and_manifest(tmp_path):
    rows = synthetic.demo_dataset_write(out=tmp_path, seed=1, count=8, width=256, height=224, difficulty="hard")

    with open(tmp_path / "manifest.csv") as handle:
        manifest = list(csv.DictReader(handle))
    assert manifest == rows and len(rows) == 8
    assert list(manifest[0]) == ["file", "label", "sublabel", "attributed_creator", "actual_creator", "split"]
    assert {row["sublabel"] for row in rows} == {"original", "imitation", "reproduction", "synthetic"}
    assert {row["attributed_creator"] for row in rows} == {synthetic.HAND_A}
    assert {row["actual_creator"] for row in rows} == set(synthetic.ACTUAL_CREATOR.values())
    for row in rows:
        expected_folder = "authentic" if row["label"] == "authentic" else f"forged/{row['sublabel']}"
        assert row["file"].startswith(expected_folder + "/")
        with Image.open(tmp_path / row["file"]) as image:
            assert image.format == "JPEG"
            index = int(row["file"].rsplit("_", 1)[1].split(".")[0])
            expected, _ = synthetic.make_image(sublabel=row["sublabel"], seed=1, index=index, width=256, height=224, difficulty="hard")
            assert image.size == expected.size


def _command(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("make_demo_dataset", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue()


def test_command_takes_difficulty_hard_and_refuses_other_values(tmp_path):
    out = _command("--out", str(tmp_path / "hard"), "--count", "4", "--width", "256", "--height", "224", "--seed", "2", "--difficulty", "hard")

    assert "Wrote 4 synthetic images" in out
    with open(tmp_path / "hard" / "manifest.csv") as handle:
        rows = list(csv.DictReader(handle))
    image, quality = synthetic.make_image(sublabel="original", seed=2, index=0, width=256, height=224, difficulty="hard")
    expected = io.BytesIO()
    image.save(expected, format="JPEG", quality=quality)
    assert (tmp_path / "hard" / "authentic" / "original_000.jpg").read_bytes() == expected.getvalue()
    assert len(rows) == 4
    with pytest.raises(CommandError, match="invalid choice"):
        _command("--out", str(tmp_path / "bad"), "--count", "4", "--difficulty", "extreme")
    assert not (tmp_path / "bad").exists()


def test_painting_in_worker_processes_writes_the_same_files(tmp_path):
    """Run as the product runs it, in a process of its own (manage.py make_demo_dataset or the
    first-run bootstrap): inside pytest's own process the worker pool is not exercised."""
    import hashlib
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import sys; from pathlib import Path; from datasets.synthetic import dataset\n"
        "out, parallel = Path(sys.argv[1]), sys.argv[2] == 'parallel'\n"
        "dataset.PARALLEL_FROM = dataset.PARALLEL_FROM if parallel else 10**6  # where _run looks it up\n"
        "dataset.demo_dataset_write(out=out, count=16, width=256, height=224)\n"
    )
    root = Path(__file__).resolve().parents[2]
    for mode in ("parallel", "serial"):
        subprocess.run([sys.executable, "-c", script, str(tmp_path / mode), mode], cwd=root, check=True, timeout=120)

    def digests(folder):
        return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}

    assert digests(tmp_path / "parallel") == digests(tmp_path / "serial")
    assert len([name for name in digests(tmp_path / "serial") if name.endswith(".jpg")]) == 16
