"""Patch embeddings computed once and reused.

Within a run every patch is embedded once (the backbone is frozen) and the same vectors feed
every fold and every configuration. Across runs they are reused from a disk cache keyed by
backbone name + patch_id: patch ids are never reused for different pixels (a re-processed image
gets new patches and new ids), so a cached vector is never stale.
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
from PIL import Image

from training.ml import backbone as backbone_module

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class EmbeddingCache:
    def __init__(self, directory: Path | str | None, backbone_name: str = backbone_module.DEFAULT_BACKBONE):
        self.backbone_name = backbone_name
        self.directory = Path(directory) / _SAFE.sub("_", backbone_name) if directory else None
        self.memory: dict[str, np.ndarray] = {}
        self.computed = 0  # patches that went through the backbone in this cache's lifetime

    def _path(self, patch_id: str) -> Path:
        safe = _SAFE.sub("_", patch_id)
        return self.directory / safe[:2] / f"{safe}.npy"

    def _read(self, patch_id: str) -> np.ndarray | None:
        if self.directory is None:
            return None
        path = self._path(patch_id)
        try:
            return np.load(path)
        except (FileNotFoundError, ValueError, OSError):
            return None

    def _write(self, patch_id: str, vector: np.ndarray) -> None:
        if self.directory is None:
            return
        path = self._path(patch_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader on another process never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, vector)
        os.replace(tmp, path)

    def has(self, patch_id: str) -> bool:
        """Whether `patch_id`'s embedding is here without the backbone (in memory or on disk)."""
        return patch_id in self.memory or (self.directory is not None and self._path(patch_id).exists())

    def get_many(
        self,
        patch_ids: Sequence[str],
        load_images: Callable[[list[str]], list[Image.Image]],
        *,
        batch_size: int = 64,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """Embeddings for `patch_ids` (input order); only the missing ones are computed,
        `batch_size` patches at a time (`load_images(ids)` returns their RGB patches)."""
        missing = []
        for patch_id in dict.fromkeys(patch_ids):
            if patch_id in self.memory:
                continue
            vector = self._read(patch_id)
            if vector is None:
                missing.append(patch_id)
            else:
                self.memory[patch_id] = vector
        for start in range(0, len(missing), batch_size):
            ids = missing[start:start + batch_size]
            vectors = backbone_module.embed(load_images(ids), backbone_name=self.backbone_name)
            self.computed += len(ids)
            for patch_id, vector in zip(ids, vectors):
                self.memory[patch_id] = vector
                self._write(patch_id, vector)
            if progress:
                progress(min(start + batch_size, len(missing)), len(missing))
        if not patch_ids:
            return np.zeros((0, backbone_module.get_backbone(self.backbone_name).dim), dtype=np.float32)
        return np.stack([self.memory[patch_id] for patch_id in patch_ids]).astype(np.float32)
