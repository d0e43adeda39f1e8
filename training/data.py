"""Training data from a dataset version (the datasets app's selectors), as patch embeddings.

This is the only module of the training app that reads the datasets app. Image label
"forged" is the positive class (1), "authentic" is 0.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from django.conf import settings
from PIL import Image

from artguard.storage import processed_storage
from training.ml import cv
from training.ml.embeddings import EmbeddingCache

LABEL_VALUES = {"authentic": 0, "forged": 1}
STRATIFY_CHOICES = ("sublabel", "label", "attributed_creator", "actual_creator", "dataset_name")


class TrainingDataError(ValueError):
    """The dataset version cannot be trained on; the message says why."""


def embedding_cache_dir() -> Path:
    return Path(getattr(settings, "EMBEDDING_CACHE_DIR", None) or Path(settings.MODEL_DIR) / "embeddings")


def dataset_version_snapshot(name: str) -> dict:
    from datasets.layout import DatasetError
    from datasets.selectors import dataset_version_get

    try:
        snapshot = dataset_version_get(name=name)
    except DatasetError as error:
        raise TrainingDataError(str(error)) from None
    if snapshot is None:
        raise TrainingDataError(f"There is no dataset version {name!r}.")
    return snapshot


PROXY_SUBLABEL = "proxy"


def version_artists(snapshot: dict) -> list:
    """The registered artists (datasets.artists.Artist) the version's images are attributed to."""
    from datasets.selectors import artists_resolver

    resolver = artists_resolver()
    found = {}
    for image in snapshot.get("images", []):
        artist = resolver.find(image.get("attributed_creator")) if image.get("attributed_creator") else None
        if artist is not None:
            found[artist.slug] = artist
    return sorted(found.values(), key=lambda artist: artist.name)


def resolve_artist(name: str):
    """The registered artist `name` (a canonical name, an alias or a slug) names;
    TrainingDataError when none or several."""
    from datasets.artists import ArtistError
    from datasets.selectors import artist_get, artists_resolver

    by_slug = artist_get(slug=name.strip()) if name and name.strip() else None
    if by_slug is not None:
        return by_slug
    try:
        return artists_resolver().resolve(name, what="artists in the training data")
    except ArtistError as error:
        raise TrainingDataError(str(error)) from None


def artist_images(snapshot: dict, *, artist_slug: str | None, proxies: bool = False) -> list[dict]:
    """The images a run for this artist trains on: works attributed to the artist, authentic
    (their own) and forged (imitations, forgeries, reproductions, synthetic); with `proxies`,
    authentic works of other artists join as forged, sublabel "proxy". No artist: every image."""
    images = snapshot.get("images", [])
    if artist_slug is None:
        return list(images)
    from datasets.selectors import artists_resolver

    resolver = artists_resolver()
    chosen = []
    for image in images:
        artist = resolver.find(image.get("attributed_creator")) if image.get("attributed_creator") else None
        if artist is not None and artist.slug == artist_slug:
            chosen.append(image)
        elif proxies and artist is not None and image.get("label") == "authentic":
            chosen.append({**image, "label": "forged", "sublabel": PROXY_SUBLABEL})
    return chosen


def _patches(image_id: str) -> list:
    from datasets.selectors import patches_for_image

    return patches_for_image(image_id=image_id)


def _cache_key(patch) -> str:
    # patch_id alone is stable per image content; the geometry guards against a changed grid.
    return f"{patch.patch_id}@{int(patch.patch_x)}_{int(patch.patch_y)}_{int(patch.patch_width)}_{int(patch.patch_height)}_{float(patch.patch_scale or 1.0):g}"


def load_patch_image(path: str) -> Image.Image:
    with processed_storage().open(path, "rb") as handle:
        return Image.open(io.BytesIO(handle.read())).convert("RGB")


@dataclass
class LoadedData:
    data: cv.TrainingData
    snapshot: dict
    patch_count: int
    embedded: int  # patches that went through the backbone now (the rest came from the cache)
    patch_paths: list[str] | None = None  # per patch row: its stored file (processed storage)
    patch_boxes: np.ndarray | None = None  # per patch row: x, y, w, h in the processed image
    images: list[dict] | None = None  # the snapshot's image entries, in image_ids order
    cache: EmbeddingCache | None = None


def training_data_load(
    *,
    dataset_version: str,
    stratify_on: str = "sublabel",
    backbone: str,
    progress: Callable[[str, float], None] | None = None,
    cache: EmbeddingCache | None = None,
    artist: str | None = None,
    proxies: bool = False,
) -> LoadedData:
    if stratify_on not in STRATIFY_CHOICES:
        raise TrainingDataError(f"stratify_on must be one of {', '.join(STRATIFY_CHOICES)}, not {stratify_on!r}.")
    report = progress or (lambda message, fraction: None)
    snapshot = dataset_version_snapshot(dataset_version)
    images = sorted(artist_images(snapshot, artist_slug=artist, proxies=proxies), key=lambda item: item["image_id"])
    if not images:
        whose = f" attributed to {artist}" if artist else ""
        raise TrainingDataError(f"Dataset version {dataset_version!r} has no images{whose}.")
    image_ids, labels, values, sublabels, keys, paths, owners, boxes = [], [], [], [], [], {}, [], []
    for position, image in enumerate(images):
        report(f"listing patches ({position + 1}/{len(images)} images)", position / len(images))
        if image.get("label") not in LABEL_VALUES:
            raise TrainingDataError(f"Image {image['image_id']} has label {image.get('label')!r}; expected authentic or forged.")
        patches = _patches(image["image_id"])
        if not patches:
            raise TrainingDataError(f"Image {image['image_id']} has no patches; process the dataset before training.")
        index = len(image_ids)
        image_ids.append(image["image_id"])
        labels.append(LABEL_VALUES[image["label"]])
        values.append(image.get(stratify_on))
        sublabels.append(image.get("sublabel"))
        for patch in patches:
            key = _cache_key(patch)
            keys.append(key)
            paths[key] = patch.patch_path
            owners.append(index)
            boxes.append((int(patch.patch_x), int(patch.patch_y), int(patch.patch_width), int(patch.patch_height)))
    cache = cache or EmbeddingCache(embedding_cache_dir(), backbone)
    before = cache.computed

    def load(batch_keys: list[str]) -> list[Image.Image]:
        return [load_patch_image(paths[key]) for key in batch_keys]

    features = cache.get_many(keys, load, progress=lambda done, total: report(f"embedding patches ({done}/{total} new)", done / max(total, 1)))
    labels_array = np.asarray(labels, dtype=int)
    data = cv.TrainingData(image_ids, labels_array, cv.strata_for(labels_array, values), sublabels, features, np.asarray(owners))
    return LoadedData(data, snapshot, len(keys), cache.computed - before,
                      patch_paths=[paths[key] for key in keys], patch_boxes=np.asarray(boxes, dtype=np.int32).reshape(-1, 4),
                      images=images, cache=cache)
