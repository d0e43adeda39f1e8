"""The reference index of a model: its training patches, so a cited region of a new photograph
can be shown beside the closest passages of known authentic works and known forgeries.

Built once per run from the patch embeddings the run has already computed (training.ml.embeddings):
- PCA (scikit-learn) fitted on at most FIT_SAMPLE patches reduces each embedding to COMPONENTS
  dimensions; the reduced vectors are L2-normalised and stored as float16.
- Per patch: its image (id, label, sublabel), the stored patch file and its box in the image.
Saved as one compressed .npz beside the model (training.ml.artifact) and never rewritten.

Search: exact k-nearest neighbours (one numpy matrix product and a partial sort) among the
authentic patches and, separately, among the forged ones. On unit vectors Euclidean order is
cosine order. Exact search of 100,000 patches x 64 dims is fast enough that no approximation
is needed at this size (bench/results/reference_index.json). It runs on one BLAS/OpenMP thread:
a handful of queries is too little work to share, and on a busy machine the threads'
synchronisation cost more than the search itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from training.ml import blas

COMPONENTS = 64
FIT_SAMPLE = 20_000  # PCA is fitted on a random sample this large; every patch is projected
PROJECT_BLOCK = 10_000
DEFAULT_K = 3
SIDES = (("authentic", 0), ("forged", 1))
FORMAT = 1


@dataclass
class ReferenceIndex:
    mean: np.ndarray  # (dim,) float32, the PCA centre in embedding space
    components: np.ndarray  # (k, dim) float32, PCA directions
    vectors: np.ndarray  # (patches, k) float16, unit length after projection
    patch_image: np.ndarray  # (patches,) int32 index into the per-image arrays
    patch_paths: np.ndarray  # (patches,) ASCII bytes, the stored patch file (processed storage; names are ASCII)
    patch_boxes: np.ndarray  # (patches, 4) int32: x, y, w, h in the processed training image
    image_ids: np.ndarray  # (images,) str
    image_labels: np.ndarray  # (images,) int8, 1 = forged
    image_sublabels: np.ndarray  # (images,) str, "" when none
    _searchers: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def size(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def dim(self) -> int:
        return int(self.components.shape[0])

    def counts(self) -> dict:
        labels = self.image_labels[self.patch_image]
        return {side: int((labels == value).sum()) for side, value in SIDES}

    def project(self, features: np.ndarray) -> np.ndarray:
        """Embeddings (n, dim) -> unit vectors (n, k) float32 in the index's space."""
        reduced = (np.asarray(features, dtype=np.float32) - self.mean) @ self.components.T
        return _normalise(reduced)

    def _searcher(self, value: int):
        """One side's unit vectors as float32 (converted once, on first use, and kept) and their rows."""
        if value not in self._searchers:
            rows = np.flatnonzero(self.image_labels[self.patch_image] == value)
            matrix = np.ascontiguousarray(self.vectors[rows], dtype=np.float32) if len(rows) else None
            self._searchers[value] = (matrix, rows)
        return self._searchers[value]

    def warm(self) -> "ReferenceIndex":
        for _, value in SIDES:
            self._searcher(value)
        return self

    def search(self, queries: np.ndarray, *, k: int = DEFAULT_K) -> list[dict]:
        with blas.one_thread():
            return self._search(queries, k=k)

    def _search(self, queries: np.ndarray, *, k: int) -> list[dict]:
        """For each query (already projected, see `project`): {"authentic": [ref...], "forged": [ref...]},
        each side its k nearest patches, most similar first. A ref is {label, sublabel,
        similarity, image_id, patch_path, box}."""
        queries = _normalise(np.asarray(queries, dtype=np.float32).reshape(-1, self.dim))
        found: list[dict] = [{} for _ in range(len(queries))]
        for side, value in SIDES:
            matrix, rows = self._searcher(value)
            if matrix is None or not len(queries):
                for item in found:
                    item[side] = []
                continue
            # Exact search: on unit vectors the nearest are the most cosine-similar; one matrix
            # product (numpy BLAS) and a partial sort per query.
            similarities = queries @ matrix.T
            take = min(k, len(rows))
            nearest = np.argpartition(-similarities, take - 1, axis=1)[:, :take]
            for item, row_similarities, row_positions in zip(found, similarities, nearest):
                ordered = row_positions[np.argsort(-row_similarities[row_positions], kind="stable")]
                item[side] = [self._reference(int(rows[p]), float(row_similarities[p])) for p in ordered]
        return found

    def _reference(self, row: int, similarity: float) -> dict:
        image = int(self.patch_image[row])
        return {
            "label": "forged" if self.image_labels[image] else "authentic",
            "sublabel": str(self.image_sublabels[image]) or None,
            "similarity": round(max(-1.0, min(1.0, similarity)), 4),
            "image_id": str(self.image_ids[image]),
            "patch_path": self.patch_paths[row].decode("ascii"),
            "box": [int(v) for v in self.patch_boxes[row]],
        }

    def arrays(self) -> dict:
        return {
            "format": np.int32(FORMAT), "mean": self.mean.astype(np.float32), "components": self.components.astype(np.float32),
            "vectors": self.vectors.astype(np.float16), "patch_image": self.patch_image.astype(np.int32),
            "patch_paths": np.asarray(self.patch_paths, dtype=bytes), "patch_boxes": self.patch_boxes.astype(np.int32),
            "image_ids": np.asarray(self.image_ids, dtype=str), "image_labels": self.image_labels.astype(np.int8),
            "image_sublabels": np.asarray(self.image_sublabels, dtype=str),
        }

    def save(self, path: Path | str) -> None:
        with open(path, "wb") as handle:
            np.savez_compressed(handle, **self.arrays())

    @classmethod
    def load(cls, path: Path | str) -> "ReferenceIndex":
        with np.load(path, allow_pickle=False) as arrays:
            if int(arrays["format"]) != FORMAT:
                raise ValueError(f"{path}: reference index format {int(arrays['format'])}, expected {FORMAT}.")
            return cls(**{name: arrays[name] for name in (
                "mean", "components", "vectors", "patch_image", "patch_paths", "patch_boxes",
                "image_ids", "image_labels", "image_sublabels")})


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def build(
    features: np.ndarray,
    *,
    patch_image: np.ndarray,
    image_ids: list[str],
    image_labels: np.ndarray,
    image_sublabels: list[str | None],
    patch_paths: list[str],
    patch_boxes: np.ndarray,
    components: int = COMPONENTS,
    seed: int = 0,
) -> ReferenceIndex:
    """The index of these training patches (row i of `features` belongs to image patch_image[i])."""
    from sklearn.decomposition import PCA

    features = np.asarray(features, dtype=np.float32)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError("A reference index needs at least two patch embeddings.")
    if not len(features) == len(patch_image) == len(patch_paths) == len(patch_boxes):
        raise ValueError("features, patch_image, patch_paths and patch_boxes must have one row per patch.")
    sample = features
    if len(features) > FIT_SAMPLE:
        sample = features[np.random.default_rng(seed).choice(len(features), FIT_SAMPLE, replace=False)]
    n_components = max(1, min(components, len(sample) - 1, features.shape[1]))
    pca = PCA(n_components=n_components, svd_solver="randomized" if n_components < min(sample.shape) else "full", random_state=seed).fit(sample)
    mean, directions = pca.mean_.astype(np.float32), pca.components_.astype(np.float32)
    # Projected in blocks: a centred copy of every embedding at once would double the run's memory.
    vectors = np.concatenate([
        _normalise((features[start:start + PROJECT_BLOCK] - mean) @ directions.T).astype(np.float16)
        for start in range(0, len(features), PROJECT_BLOCK)
    ])
    return ReferenceIndex(
        mean=mean, components=directions, vectors=vectors,
        patch_image=np.asarray(patch_image, dtype=np.int32),
        patch_paths=np.asarray([path.encode("ascii") for path in patch_paths], dtype=bytes),
        patch_boxes=np.asarray(patch_boxes, dtype=np.int32).reshape(-1, 4),
        image_ids=np.asarray(image_ids, dtype=str),
        image_labels=np.asarray(image_labels, dtype=np.int8),
        image_sublabels=np.asarray([value or "" for value in image_sublabels], dtype=str),
    )
