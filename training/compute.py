"""Where training and scoring run: on Modal when settings.MODAL_ENABLED, else in this process.
This module is the ONE place that choice is made; `_modal_function` is the one Modal lookup
(tests replace it). Both paths run the same plain functions (training.services.run_execute,
training.compute.local_patch_scores)."""
from __future__ import annotations

import io
import logging
import threading
from collections import OrderedDict
from typing import Callable

import numpy as np
from django.conf import settings
from PIL import Image

from training.ml import artifact, backbone as backbone_module, blas, head as head_module

logger = logging.getLogger(__name__)

_scorer_lock = threading.Lock()
# Loaded heads (+ familiarity reference) by (model_dir, version), most recently used last. The
# backbone is shared (training.ml.backbone builds each one once per process); a head is small, so
# a worker keeps the heads of the artists it served lately (bench/bench_routing.py measures them).
_heads: OrderedDict = OrderedDict()


def _modal_function(name: str):
    """The deployed Modal function `name` ("train_run") or class method ("Scorer.score"),
    as an object with .remote(...)."""
    import modal

    if "." in name:
        cls_name, method = name.split(".", 1)
        return getattr(modal.Cls.from_name(settings.MODAL_APP_NAME, cls_name)(), method)
    return modal.Function.from_name(settings.MODAL_APP_NAME, name)


def run_training(*, run_id: str, progress: Callable[[str, float], None] | None = None):
    """Execute a created run (Modal GPU function, or in-process) and return its RunRecord."""
    from training import services
    from training.tables import RunRecord

    if settings.MODAL_ENABLED:
        try:
            _modal_function("train_run").remote(run_id)
        except Exception as error:  # Modal unreachable, bad token, timeout, or the remote run raised
            logger.exception("training run %s on Modal failed", run_id)
            # No-op when the remote run already recorded its own failure (the write is conditional).
            services.run_fail(run_id=run_id, error=f"Training on Modal failed: {type(error).__name__}: {error}")
        return RunRecord.get(run_id)
    return services.run_execute(run_id=run_id, progress=progress)


def patch_scores(*, model_version: str, images: list[Image.Image]) -> dict:
    """{"logits": per-patch forgery logits, "familiarity": {"distance", "threshold", "unfamiliar"}
    or None, "reference_queries": per-patch vectors in the model's reference index space, or None
    when the model has no index} from model `model_version` (Modal Scorer, or in-process)."""
    if settings.MODAL_ENABLED:
        payload = [_png(image) for image in images]
        answer = _modal_function("Scorer.score").remote(model_version, payload)
        if isinstance(answer, dict):
            return {"logits": list(answer["logits"]), "familiarity": answer.get("familiarity"),
                    "reference_queries": answer.get("reference_queries")}
        return {"logits": list(answer), "familiarity": None, "reference_queries": None}  # a Scorer deployed before familiarity existed
    return local_patch_scores(model_version=model_version, images=images)


def reference_neighbours(*, model_version: str, queries: list[list[float]], k: int = 3) -> list[dict] | None:
    """The nearest authentic and forged training patches of each query (reference_queries rows),
    from the model's reference index (Modal Scorer, or in-process); None if it has none."""
    if not queries:
        return []
    if settings.MODAL_ENABLED:
        return _modal_function("Scorer.references").remote(model_version, queries, k)
    return local_reference_neighbours(model_version=model_version, queries=queries, k=k)


def local_reference_neighbours(*, model_version: str, queries: list[list[float]], k: int = 3, model_dir=None) -> list[dict] | None:
    model = loaded_model(model_version, model_dir)
    if model.references is None:
        return None
    return model.references.search(np.asarray(queries, dtype=np.float32), k=k)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def decode_pngs(payload: list[bytes]) -> list[Image.Image]:
    return [Image.open(io.BytesIO(data)).convert("RGB") for data in payload]


def head_cache_size() -> int:
    return max(1, int(getattr(settings, "MODEL_CACHE_SIZE", 16)))


def loaded_model(model_version: str, model_dir=None) -> artifact.LoadedModel:
    """Model `model_version`, loaded once and kept in a bounded LRU with the other recently used ones."""
    key = (str(model_dir or settings.MODEL_DIR), model_version)
    with _scorer_lock:
        model = _heads.get(key)
        if model is not None:
            _heads.move_to_end(key)
            return model
    model = artifact.load(key[0], model_version)  # outside the lock: other versions keep scoring meanwhile
    backbone_module.get_backbone(model.backbone)  # build the backbone now, not on first patch
    with _scorer_lock:
        _heads[key] = model
        _heads.move_to_end(key)
        while len(_heads) > head_cache_size():
            _heads.popitem(last=False)
    return model


def loaded_versions() -> list[str]:
    with _scorer_lock:
        return [version for _, version in _heads]


def local_patch_scores(*, model_version: str, images: list[Image.Image], model_dir=None) -> dict:
    model = loaded_model(model_version, model_dir)
    features = backbone_module.embed(images, backbone_name=model.backbone)
    with blas.one_thread():  # small products: BLAS threads only contend with the lanes
        logits = head_module.predict_logits(model.head, features).astype(np.float64).tolist()
        familiarity = model.familiarity.assess(features) if model.familiarity is not None else None
        # A few dozen numbers per patch: the caller picks the cited regions and asks for their neighbours.
        queries = model.references.project(features).round(5).tolist() if model.references is not None else None
    return {"logits": logits, "familiarity": familiarity, "reference_queries": queries}
