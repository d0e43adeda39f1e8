"""The reference index: built from patch embeddings, queried per label, saved and loaded."""
from __future__ import annotations

import numpy as np
import pytest

from training.ml import reference_index


@pytest.fixture(autouse=True)
def dynamo_tables():
    """Pure ML: no tables."""
    yield None


def _training_patches(rng, images=12, per_image=8, dim=96):
    """Authentic images cluster around one direction, forged around another, each image a little apart."""
    labels = np.array([i % 2 for i in range(images)])
    centres = rng.normal(size=(2, dim)) * 3
    features, owners, paths, boxes = [], [], [], []
    for image in range(images):
        offset = rng.normal(size=dim) * 0.5
        for patch in range(per_image):
            features.append(centres[labels[image]] + offset + rng.normal(size=dim) * 0.3)
            owners.append(image)
            paths.append(f"patches/ds/img{image}/img{image}-{patch:03d}.png")
            boxes.append((patch * 10, 0, 224, 224))
    return dict(
        features=np.asarray(features, dtype=np.float32), patch_image=np.asarray(owners), image_ids=[f"img{i}" for i in range(images)],
        image_labels=labels, image_sublabels=[("copy" if i % 4 == 1 else "pastiche") if labels[i] else None for i in range(images)],
        patch_paths=paths, patch_boxes=np.asarray(boxes),
    )


def _build(data, **options):
    return reference_index.build(data["features"], patch_image=data["patch_image"], image_ids=data["image_ids"],
                                 image_labels=data["image_labels"], image_sublabels=data["image_sublabels"],
                                 patch_paths=data["patch_paths"], patch_boxes=data["patch_boxes"], **options)


def test_a_training_patch_finds_itself_first_and_the_k_nearest_of_each_label():
    data = _training_patches(np.random.default_rng(0))
    index = _build(data, components=16)
    assert index.vectors.dtype == np.float16 and index.vectors.shape == (96, 16) and index.dim == 16
    assert index.counts() == {"authentic": 48, "forged": 48}
    row = 8 * 5 + 5  # image 5 (forged, "copy"), patch 5
    (found,) = index.search(index.project(data["features"][row:row + 1]), k=3)
    assert [len(found["authentic"]), len(found["forged"])] == [3, 3]
    best = found["forged"][0]
    assert best["image_id"] == "img5" and best["patch_path"] == data["patch_paths"][row] and best["box"] == [50, 0, 224, 224]
    assert best["label"] == "forged" and best["sublabel"] == "copy" and best["similarity"] == pytest.approx(1.0, abs=2e-3)
    for side in ("authentic", "forged"):
        similarities = [ref["similarity"] for ref in found[side]]
        assert similarities == sorted(similarities, reverse=True)
        assert all(ref["label"] == side for ref in found[side])
    # A forged patch sits in the forged cluster: its nearest authentic passages are clearly further.
    assert found["authentic"][0]["similarity"] < found["forged"][2]["similarity"]
    assert found["authentic"][0]["sublabel"] is None


def test_similarities_are_the_cosines_of_the_reduced_vectors():
    data = _training_patches(np.random.default_rng(1))
    index = _build(data, components=16)
    query = index.project(data["features"][:1] + 0.7)
    (found,) = index.search(query, k=2)
    vectors = index.vectors.astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    cosines = vectors @ query[0]
    labels = data["image_labels"][data["patch_image"]]
    for side, value in (("authentic", 0), ("forged", 1)):
        expected = np.sort(cosines[labels == value])[::-1][:2]
        assert [ref["similarity"] for ref in found[side]] == pytest.approx(expected, abs=2e-3)


def test_saved_and_loaded_index_answers_the_same(tmp_path):
    data = _training_patches(np.random.default_rng(2))
    index = _build(data)
    index.save(tmp_path / "references.npz")
    loaded = reference_index.ReferenceIndex.load(tmp_path / "references.npz")
    queries = index.project(data["features"][::7])
    assert loaded.search(queries) == index.search(queries)
    assert loaded.dim == min(reference_index.COMPONENTS, 95) and loaded.size == 96
    assert list(loaded.image_sublabels[:4]) == ["", "copy", "", "pastiche"]


def test_a_side_with_no_patches_answers_empty_and_bad_input_is_refused():
    data = _training_patches(np.random.default_rng(3))
    data["image_labels"] = np.zeros_like(data["image_labels"])
    index = _build(data, components=8)
    (found,) = index.search(index.project(data["features"][:1]))
    assert found["forged"] == [] and len(found["authentic"]) == 3
    with pytest.raises(ValueError, match="one row per patch"):
        _build({**data, "patch_paths": data["patch_paths"][:-1]})
    with pytest.raises(ValueError, match="at least two"):
        _build({**data, "features": data["features"][:1], "patch_image": data["patch_image"][:1],
                "patch_paths": data["patch_paths"][:1], "patch_boxes": data["patch_boxes"][:1]})


def test_a_file_of_another_format_is_refused(tmp_path):
    data = _training_patches(np.random.default_rng(4))
    arrays = _build(data, components=8).arrays()
    arrays["format"] = np.int32(99)
    np.savez(tmp_path / "future.npz", **arrays)
    with pytest.raises(ValueError, match="format 99"):
        reference_index.ReferenceIndex.load(tmp_path / "future.npz")
