"""The hard demo set as a yardstick: how well a plain linear baseline separates it.

    .venv/bin/python -m bench.hard_set --seeds 1 2 3

For each generator seed: write (once) a 120-image `difficulty="hard"` demo dataset under
var/bench/hard-set/<seed>-<count>-<w>x<h>/, read every image back from its JPEG file the way
the product does (`datasets.imaging.preprocess`, then `extract_patches`), embed the patches
with EfficientNet-lite0 (its final pooled embedding, 1280-d, backbone "efficientnet-lite0" named
explicitly; cached in the folder as final_pooled.npy), and score the baseline:

  grouped (by image) 5-fold CV, stratified on sublabel; StandardScaler + LogisticRegression
  (C=0.1, class_weight="balanced") fit on the training images' patches (patch label = image
  label); image probability = sigmoid(mean of its patches' decision values); AUC over the
  out-of-fold image probabilities, pooled, per fold, and per forged sublabel (that sublabel's
  images against all authentic ones).

The set is meant not to saturate (AUC about 0.90-0.96), so that a model change shows up as a
difference. The cache is keyed by seed, count and size only: after changing the hard generator
in datasets/synthetic/, run with --fresh (or delete var/bench/hard-set/).
Figures only; nothing here is asserted. Needs no Django settings.
"""
from __future__ import annotations

import argparse
import csv
import shutil
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from datasets import imaging  # noqa: E402
from datasets.synthetic import FORGED_SUBLABELS, demo_dataset_write  # noqa: E402

CACHE = ROOT / "var" / "bench" / "hard-set"
FEATURES_FILE = "final_pooled.npy"
POOLED_BACKBONE = "efficientnet-lite0"  # the final pooled embedding alone, named explicitly (not whatever is default)
FOLDS = 5


def hard_set(seed: int, count: int = 120, width: int = 768, height: int = 576, *, fresh: bool = False) -> Path:
    """The folder of the hard demo set for `seed` (written on first use, reused after)."""
    folder = CACHE / f"{seed}-{count}-{width}x{height}"
    if fresh and folder.exists():
        shutil.rmtree(folder)
    if not (folder / "manifest.csv").exists():  # the manifest is written last
        demo_dataset_write(out=folder, seed=seed, count=count, width=width, height=height, difficulty="hard")
    return folder


def load_patches(folder: Path) -> dict:
    """Every image of the manifest read back from its JPEG as the product reads an upload, and
    cut into 224 px patches. Patches are in manifest order, image by image."""
    folder = Path(folder)
    with open(folder / "manifest.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    patches, patch_image = [], []
    for index, row in enumerate(rows):
        image = imaging.preprocess((folder / row["file"]).read_bytes())
        for patch in imaging.extract_patches(image):
            patches.append(patch.image.convert("RGB"))
            patch_image.append(index)
    return {
        "patches": patches,
        "patch_image": np.asarray(patch_image, dtype=np.int64),
        "labels": np.asarray([1 if row["label"] == "forged" else 0 for row in rows], dtype=np.int64),
        "sublabels": [row["sublabel"] for row in rows],
        "files": [row["file"] for row in rows],
    }


def final_pooled(folder: Path, patches: list) -> np.ndarray:
    """Final pooled EfficientNet-lite0 embeddings (1280-d) of `patches`, cached in `folder`."""
    path = Path(folder) / FEATURES_FILE
    if path.exists():
        features = np.load(path)
        if features.shape == (len(patches), 1280):
            return features
    from training.ml.backbone import embed

    features = np.asarray(embed(patches, backbone_name=POOLED_BACKBONE), dtype=np.float32)
    np.save(path, features)
    return features


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores)) if len(set(labels.tolist())) == 2 else float("nan")


def baseline_auc(features: np.ndarray, patch_image: np.ndarray, labels: np.ndarray, sublabels: list[str], seed: int = 0) -> dict:
    """Grouped, sublabel-stratified 5-fold CV of the patch-level logistic regression; AUC of the
    out-of-fold image probabilities (sigmoid of the mean patch decision value)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    labels = np.asarray(labels)
    patch_image = np.asarray(patch_image)
    strata = np.asarray(sublabels)
    probabilities = np.full(len(labels), np.nan)
    fold_aucs = []
    splitter = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    for train_images, test_images in splitter.split(np.zeros(len(labels)), strata):
        train_rows = np.flatnonzero(np.isin(patch_image, train_images))
        model = Pipeline([
            ("scale", StandardScaler()),
            ("lr", LogisticRegression(C=0.1, max_iter=2000, class_weight="balanced")),
        ])
        model.fit(features[train_rows], labels[patch_image[train_rows]])
        for image in test_images:
            rows = patch_image == image
            probabilities[image] = 1 / (1 + np.exp(-model.decision_function(features[rows]).mean()))
        fold_aucs.append(_auc(labels[test_images], probabilities[test_images]))
    authentic = labels == 0
    per_sublabel = {}
    for sublabel in FORGED_SUBLABELS:
        mask = authentic | (strata == sublabel)
        if (strata == sublabel).any():
            per_sublabel[sublabel] = _auc(labels[mask], probabilities[mask])
    return {
        "auc": _auc(labels, probabilities),
        "fold_auc_mean": float(np.nanmean(fold_aucs)),
        "fold_auc_std": float(np.nanstd(fold_aucs)),
        "per_sublabel": per_sublabel,
        "probabilities": probabilities,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--height", type=int, default=576)
    parser.add_argument("--cv-seed", type=int, default=0)
    parser.add_argument("--fresh", action="store_true", help="regenerate the sets (after changing the generator)")
    args = parser.parse_args(argv)

    columns = ["seed", "images", "patches", "AUC", "fold AUC", *FORGED_SUBLABELS, "generate s", "embed s"]
    print(" | ".join(f"{c:>12}" for c in columns))
    results = []
    for seed in args.seeds:
        start = time.perf_counter()
        folder = hard_set(seed, args.count, args.width, args.height, fresh=args.fresh)
        generated = time.perf_counter() - start
        data = load_patches(folder)
        start = time.perf_counter()
        features = final_pooled(folder, data["patches"])
        embedded = time.perf_counter() - start
        result = baseline_auc(features, data["patch_image"], data["labels"], data["sublabels"], seed=args.cv_seed)
        results.append(result)
        cells = [
            str(seed), str(len(data["labels"])), str(len(data["patches"])), f"{result['auc']:.3f}",
            f"{result['fold_auc_mean']:.3f}±{result['fold_auc_std']:.3f}",
            *(f"{result['per_sublabel'].get(s, float('nan')):.3f}" for s in FORGED_SUBLABELS),
            f"{generated:.1f}", f"{embedded:.1f}",
        ]
        print(" | ".join(f"{c:>12}" for c in cells), flush=True)
    if len(results) > 1:
        aucs = [r["auc"] for r in results]
        cells = [
            "mean", "", "", f"{statistics.mean(aucs):.3f}±{statistics.pstdev(aucs):.3f}",
            f"{statistics.mean(r['fold_auc_mean'] for r in results):.3f}",
            *(f"{statistics.mean(r['per_sublabel'][s] for r in results):.3f}" for s in FORGED_SUBLABELS),
            "", "",
        ]
        print(" | ".join(f"{c:>12}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
