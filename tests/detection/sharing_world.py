"""A completed analysis with its stored files, as the pipeline leaves it, for the sharing and
verification tests (no model needed: the tests are about what happens after scoring)."""
from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile

from artguard.storage import processed_storage, raw_storage
from tests.detection.factories import make_record
from tests.images import image_bytes

THRESHOLDS = {"authentic_below": 0.3, "forged_above": 0.7}


def completed_with_files(*, user_id: str, seed: int = 1, **extra):
    photo = image_bytes(96 + seed, 64, fmt="JPEG")
    record = make_record(user_id=user_id, image_sha256=hashlib.sha256(photo).hexdigest(), model_version="model-share-1",
                         attributed_artist="Demo Hand A", thresholds=THRESHOLDS, title="Harbour at dusk", **extra)
    prefix = f"inference/{user_id}/{record.inference_id}"
    processed = processed_storage()
    paths = {
        "image_path": raw_storage().save(f"{prefix}/original.jpg", ContentFile(photo)),
        "display_path": processed.save(f"{prefix}/display.jpg", ContentFile(image_bytes(96, 64))),
        "thumbnail_path": processed.save(f"{prefix}/thumb.jpg", ContentFile(image_bytes(48, 32))),
        "heatmap_path": processed.save(f"{prefix}/heatmap.jpg", ContentFile(image_bytes(90, 60))),
    }
    record.update(actions=[getattr(type(record), name).set(value) for name, value in paths.items()])
    return record, photo
