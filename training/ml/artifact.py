"""A saved model version: `<model_dir>/<model_version>/` holding

  head.pt     the head's state dict (standardization buffers included)
  model.json  backbone, hyperparameters, thresholds, aggregation rule, dataset version,
              run id, metrics, embedding dimension, created_at, familiarity calibration
  familiarity.npz  the training patches' reference (training.ml.familiarity); absent for
              models trained on too few images, or before it existed
  references.npz   the reference index (training.ml.reference_index): the training patches
              reduced for nearest-neighbour search, with their image, label and position;
              absent for models trained before it existed

The backbone is not copied: it is named in model.json and rebuilt from its installed weights.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

import numpy as np

from training.ml import familiarity as familiarity_module, head as head_module, reference_index as reference_module

REFERENCES_FILE = "references.npz"

VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
AGGREGATION = "mean of patch logits, then sigmoid"


class ModelNotFound(FileNotFoundError):
    pass


@dataclass
class LoadedModel:
    model_version: str
    head: head_module.Head
    meta: dict
    familiarity: familiarity_module.Reference | None = None
    references: reference_module.ReferenceIndex | None = None  # None: trained before the index existed

    @property
    def backbone(self) -> str:
        return self.meta["backbone"]

    @property
    def thresholds(self) -> dict:
        return self.meta["thresholds"]


def model_path(model_dir: Path | str, model_version: str) -> Path:
    if not VERSION_PATTERN.match(model_version or ""):
        raise ValueError(f"Invalid model version {model_version!r}.")
    return Path(model_dir) / model_version


def save(
    model_dir: Path | str, model_version: str, trained_head: head_module.Head, meta: dict,
    familiarity: familiarity_module.Reference | None = None,
    references: reference_module.ReferenceIndex | None = None,
) -> Path:
    """Write the model atomically (a folder renamed into place)."""
    target = model_path(model_dir, model_version)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{model_version}-"))
    try:
        torch.save(trained_head.state_dict(), staging / "head.pt")
        if familiarity is not None:
            np.savez(staging / "familiarity.npz", **familiarity.arrays())
        if references is not None:
            references.save(staging / REFERENCES_FILE)
        full_meta = {
            **meta, "model_version": model_version, "aggregation": AGGREGATION, "format": 1,
            "familiarity": None if familiarity is None else {"threshold": familiarity.threshold, **familiarity.calibration},
            "reference_index": None if references is None else {"patches": references.size, "components": references.dim, **references.counts()},
        }
        (staging / "model.json").write_text(json.dumps(full_meta, indent=2, sort_keys=True, default=float))
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def read_meta(model_dir: Path | str, model_version: str) -> dict:
    path = model_path(model_dir, model_version) / "model.json"
    if not path.exists():
        raise ModelNotFound(f"Model {model_version} is not in {model_dir}.")
    return json.loads(path.read_text())


def load(model_dir: Path | str, model_version: str) -> LoadedModel:
    meta = read_meta(model_dir, model_version)
    state = torch.load(model_path(model_dir, model_version) / "head.pt", map_location="cpu", weights_only=True)
    outputs = state[[key for key in state if key.startswith("net.") and key.endswith(".weight")][-1]].shape[0]
    trained = head_module.build(int(meta["embedding_dim"]), meta["hyperparameters"], classes=outputs)
    trained.load_state_dict(state)
    trained.eval()
    reference = None
    reference_path = model_path(model_dir, model_version) / "familiarity.npz"
    if reference_path.exists():
        with np.load(reference_path) as arrays:
            reference = familiarity_module.Reference.from_arrays(arrays, (meta.get("familiarity") or {}))
    references_path = model_path(model_dir, model_version) / REFERENCES_FILE
    references = reference_module.ReferenceIndex.load(references_path).warm() if references_path.exists() else None
    return LoadedModel(model_version, trained, meta, reference, references)
