"""A run's derived pictures (training.capture_data): a second run over the same images in the
same process gets the same copies and changed works without re-deriving any of them, and a
cache that lost the embeddings derives them again."""
import numpy as np
import pytest

from tests.training.fixtures import synthetic_painting
from training import capture_data
from training.ml import capture
from training.ml.embeddings import EmbeddingCache

CHANGES = ("jpeg-70", "size-60")


@pytest.fixture
def works(monkeypatch):
    """Two works as uploaded (JPEG) and processed, served from memory instead of storage."""
    pictures = {f"work-{i}": synthetic_painting(i, forged=bool(i), size=448) for i in range(2)}
    monkeypatch.setattr(capture_data, "original_bytes", lambda image: capture.encode_jpeg(pictures[image["image_id"]], 90))
    monkeypatch.setattr(capture_data, "processed_image", lambda image: pictures[image["image_id"]].copy())
    monkeypatch.setattr(capture_data, "_DERIVED", {})
    return [{"image_id": image_id} for image_id in pictures]


def _derivations(monkeypatch) -> list[str]:
    made = []
    original = capture_data._cut
    monkeypatch.setattr(capture_data, "_cut", lambda prefix, *args, **kwargs: made.append(prefix) or original(prefix, *args, **kwargs))
    return made


def test_a_second_run_reuses_the_derived_pictures_and_gets_the_same_evidence(works, monkeypatch, tmp_path):
    made = _derivations(monkeypatch)
    first_copies = capture_data.copies(works, EmbeddingCache(tmp_path))
    first_features, first_stats = capture_data.changed_works(works, EmbeddingCache(tmp_path), names=CHANGES)
    assert len(made) == 2 * capture_data.COPIES + 2 * len(CHANGES)

    again = EmbeddingCache(tmp_path)  # a new run: a new cache over the same folder
    second_copies = capture_data.copies(works, again)
    second_features, second_stats = capture_data.changed_works(works, again, names=CHANGES)
    assert len(made) == 2 * capture_data.COPIES + 2 * len(CHANGES) and again.computed == 0
    np.testing.assert_array_equal(first_copies.features, second_copies.features)
    np.testing.assert_array_equal(first_copies.owners, second_copies.owners)
    assert second_stats == first_stats and second_stats["jpeg-70"][0]["jpeg_quality"] == 70
    for name in CHANGES:
        np.testing.assert_array_equal(first_features[name].features, second_features[name].features)
        np.testing.assert_array_equal(first_features[name].owners, second_features[name].owners)
    assert second_stats["size-60"][1]["long_side"] == round(448 * 0.6)  # each change's own statistics, not another's


def test_pictures_are_derived_again_when_their_embeddings_are_not_cached(works, monkeypatch, tmp_path):
    made = _derivations(monkeypatch)
    first, _ = capture_data.changed_works(works, EmbeddingCache(tmp_path / "one"), names=CHANGES[:1])
    elsewhere = EmbeddingCache(tmp_path / "two")
    second, _ = capture_data.changed_works(works, elsewhere, names=CHANGES[:1])
    assert len(made) == 4 and elsewhere.computed == len(second[CHANGES[0]].features)
    np.testing.assert_allclose(first[CHANGES[0]].features, second[CHANGES[0]].features, rtol=1e-5, atol=1e-6)
