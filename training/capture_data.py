"""A training run's capture evidence, read from the dataset version (issue 26):

- `statistics`: each training image's capture statistics (training.ml.capture.measure), read
  from the original file as uploaded (its JPEG tables are part of the evidence);
- `copies`: randomly re-photographed copies of every training image (capture.recapture), cut
  like the originals, half of each copy's patches embedded (capture.copy_patch_subset), so the
  head learns that capture is not evidence;
- `changed_works`: the robustness works re-photographed with each of capture.RUN_CHANGES.

Embeddings of copies and changed works are cached like the originals' (training.ml.embeddings),
keyed by image, recipe version and patch geometry, so a second run of the same version embeds
nothing again.
"""
from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

from artguard.storage import processed_storage, raw_storage
from training.ml import capture
from training.ml.embeddings import EmbeddingCache

COPIES = 2  # bench/bench_capture.py: two copies cut decided flips on a capture-confounded set most
COPY_VERSION = "recapture-v1"
CHANGE_VERSION = "change-v1"


def _read(storage, path: str | None) -> bytes | None:
    if not path:
        return None
    try:
        with storage.open(path, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, OSError):
        return None


def original_bytes(image: dict) -> bytes | None:
    """The file as uploaded; versions frozen before the snapshot kept its path need one GetItem."""
    path = image.get("image_path")
    if not path:
        from datasets.selectors import image_get

        record = image_get(image_id=image["image_id"])
        path = record.image_path if record is not None else None
    return _read(raw_storage(), path)


def processed_image(image: dict) -> Image.Image:
    with processed_storage().open(image["processed_path"], "rb") as handle:
        return Image.open(io.BytesIO(handle.read())).convert("RGB")


def statistics(images: list[dict]) -> list[dict]:
    """Capture statistics per image, from the original (or, when it is gone, the processed PNG:
    then no JPEG quality)."""
    out = []
    for image in images:
        data = original_bytes(image)
        if data is None:
            buffer = io.BytesIO()
            processed_image(image).save(buffer, format="PNG")
            data = buffer.getvalue()
        out.append(capture.measure(data))
    return out


def _geometry_key(prefix: str, patch) -> str:
    return f"{prefix}@{patch.x}_{patch.y}_{patch.width}_{patch.height}_{float(patch.scale):g}"


def _embed_image(cache: EmbeddingCache, prefix: str, picture: Image.Image, rng: np.random.Generator | None = None) -> np.ndarray:
    """Every patch's embedding; with `rng`, only capture.copy_patch_subset's (training copies)."""
    from datasets import imaging

    patches = imaging.extract_patches(picture)
    if rng is not None:
        patches = [patches[i] for i in capture.copy_patch_subset(len(patches), rng)]
    keys = [_geometry_key(prefix, patch) for patch in patches]
    by_key = dict(zip(keys, (patch.image for patch in patches)))
    return cache.get_many(keys, lambda ids: [by_key[key] for key in ids])


@dataclass
class Embedded:
    features: np.ndarray  # (rows, dim)
    owners: np.ndarray  # (rows,) index into the list of images given


def _stack(blocks: list[np.ndarray], dim: int) -> Embedded:
    owners = np.concatenate([np.full(len(block), i) for i, block in enumerate(blocks)]) if blocks else np.zeros(0, dtype=int)
    features = np.concatenate(blocks) if blocks else np.zeros((0, dim), dtype=np.float32)
    return Embedded(features.astype(np.float32), owners.astype(int))


def copies(images: list[dict], cache: EmbeddingCache, *, copies_per_image: int = COPIES, progress=None) -> Embedded:
    """Patch embeddings of `copies_per_image` re-photographs of each image; owners index `images`.
    Each copy's recipe is drawn from a stream of its own (image id, copy number), so reruns agree."""
    from datasets import imaging

    blocks, owners = [], []
    for index, image in enumerate(images):
        if progress:
            progress(index, len(images))
        source = processed_image(image)
        for copy in range(copies_per_image):
            rng = np.random.default_rng([zlib.crc32(image["image_id"].encode()), copy, 26])
            picture = imaging.preprocess(capture.encode_jpeg(capture.recapture(source, rng), 95))
            block = _embed_image(cache, f"{image['image_id']}~{COPY_VERSION}~{copy}", picture, rng=rng)
            blocks.append(block)
            owners.append(np.full(len(block), index))
    if not blocks:
        return Embedded(np.zeros((0, 0), dtype=np.float32), np.zeros(0, dtype=int))
    return Embedded(np.concatenate(blocks).astype(np.float32), np.concatenate(owners).astype(int))


def changed_works(images: list[dict], cache: EmbeddingCache, *, names=capture.RUN_CHANGES, progress=None) -> tuple[dict, dict]:
    """({change: Embedded, owners indexing `images`}, {change: [capture statistics per image]}).
    Each work is changed from its original as uploaded, read the way an upload is read."""
    from datasets import imaging

    sources = []
    for image in images:
        data = original_bytes(image)
        sources.append(imaging.preprocess(data) if data is not None else processed_image(image))
    features, stats = {}, {}
    for step, name in enumerate(names):
        if progress:
            progress(step, len(names))
        change = capture.CHANGES_BY_NAME[name]
        blocks, stats[name] = [], []
        for image, source in zip(images, sources):
            data = change.bytes_of(source)
            stats[name].append(capture.measure(data))
            blocks.append(_embed_image(cache, f"{image['image_id']}~{CHANGE_VERSION}~{name}", imaging.preprocess(data)))
        features[name] = _stack(blocks, 0)
    return features, stats
