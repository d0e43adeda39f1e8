"""Multi-scale patches and image-level features on the hard set (issue 12, last target).

    .venv/bin/python -u bench/bench_multiscale.py --seeds 1 2 3          # choose
    .venv/bin/python -u bench/bench_multiscale.py --seeds 4 5 6 --only style ms-concat   # confirm

The product's own nested CV (training.ml.cv, 5 outer folds, outer seed 0, inner seed 1) on the
hard training sets (bench.hard_set, 120 images), for each variant twice: with the linear
baseline alone ("base": C 0.003/0.03/0.3 chosen in the inner loop) and with the linear part of
the default grid ("linear": baseline + the by-type head, which serves only when it beats the
baseline on inner validation; the by-type head is what the default grid serves on every seed of
this set, bench/results/verdicts.json). The torch heads are left out to keep the run short.

Variants (all from frozen EfficientNet-lite0 style statistics, 3232 values per 224 px patch):
  style               the default backbone, native-resolution patches (12 per 768x576 image);
  ms-concat           per patch: style of the patch ++ style of the same patch halved (2x2
                      average pooling), backbone "efficientnet-lite0-style-ms" (6464);
  ms-coarse-only      the halved part alone;
  half-only           patches cut from the image downsampled x0.5 (LANCZOS; 4 per image);
  style+half patches  both patch sets in one head, image logit = mean over all 16 patches;
  img mean / img mean+std   image-level head: mean (and std) of the image's patch embeddings,
                      one row per image.
Figures only. Prints one line per (seed, variant, grid) as it goes.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import bench_verdicts as bv  # noqa: E402
from bench.hard_set import hard_set, load_patches  # noqa: E402
from datasets import imaging  # noqa: E402
from training.ml import backbone, cv, head  # noqa: E402

LINEAR = [hp for hp in head.DEFAULT_GRID if head.is_linear(hp)]
BASE = [hp for hp in head.DEFAULT_GRID if head.is_baseline(hp)]
STYLE_DIM = 3232
VARIANTS = ("style", "ms-concat", "ms-coarse-only", "half-only", "style+half patches", "img mean", "img mean+std")


def half_patches(folder: Path, factor: float = 0.5):
    rows = list(csv.DictReader(open(Path(folder) / "manifest.csv", newline="")))
    patches, owner = [], []
    for index, row in enumerate(rows):
        image = imaging.preprocess((Path(folder) / row["file"]).read_bytes())
        w, h = max(imaging.PATCH_SIZE, round(image.width * factor)), max(imaging.PATCH_SIZE, round(image.height * factor))
        small = image.resize((w, h), Image.Resampling.LANCZOS)
        for y in imaging._positions(h, math.ceil(h / imaging.PATCH_SIZE)):
            for x in imaging._positions(w, math.ceil(w / imaging.PATCH_SIZE)):
                patches.append(small.crop((x, y, x + imaging.PATCH_SIZE, y + imaging.PATCH_SIZE)).convert("RGB"))
                owner.append(index)
    return patches, np.asarray(owner)


def image_level(features: np.ndarray, owner: np.ndarray, n: int, with_std: bool) -> np.ndarray:
    rows = [features[owner == i] for i in range(n)]
    parts = [np.stack([r.mean(0) for r in rows])]
    if with_std:
        parts.append(np.stack([r.std(0) for r in rows]))
    return np.concatenate(parts, 1)


def nested(loaded: dict, features: np.ndarray, owner: np.ndarray, grid: list[dict]):
    labels = loaded["labels"]
    data = cv.TrainingData([str(i) for i in range(len(labels))], labels, cv.strata_for(labels, loaded["sublabels"]),
                           list(loaded["sublabels"]), features.astype(np.float32), owner)
    return cv.nested_cv(data, grid, k_folds=5, outer_split_seed=0, inner_split_seed=1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--only", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--out", default="multiscale")
    args = parser.parse_args(argv)
    rows = []
    for seed in args.seeds:
        folder = hard_set(seed, 120)
        loaded = load_patches(folder)
        n, owner = len(loaded["labels"]), loaded["patch_image"]
        style, style_s = bv._embed(folder, loaded["patches"], flip=False)
        variants = {"style": lambda: (style, owner)}
        if {"ms-concat", "ms-coarse-only"} & set(args.only):
            ms, ms_s = bv._embed(folder, loaded["patches"], flip=False, name=bv.MULTISCALE_BACKBONE)
            print(f"seed {seed}: seconds per patch, style {style_s:.4f}, style-ms {ms_s:.4f}", flush=True)
            variants["ms-concat"] = lambda: (ms, owner)
            variants["ms-coarse-only"] = lambda: (ms[:, STYLE_DIM:], owner)
        if {"half-only", "style+half patches"} & set(args.only):
            patches, half_owner = half_patches(folder)
            half = backbone.embed(patches, backbone_name=backbone.DEFAULT_BACKBONE)
            variants["half-only"] = lambda: (half, half_owner)
            variants["style+half patches"] = lambda: (np.concatenate([style, half]), np.concatenate([owner, half_owner]))
        variants["img mean"] = lambda: (image_level(style, owner, n, False), np.arange(n))
        variants["img mean+std"] = lambda: (image_level(style, owner, n, True), np.arange(n))
        for name in args.only:
            features, groups = variants[name]()
            for grid_name, grid in (("base", BASE), ("linear", LINEAR)):
                started = time.perf_counter()
                result = nested(loaded, features, groups, grid)
                row = {"seed": seed, "variant": name, "grid": grid_name, "cv_auc_mean": result.summary["mean_auc"],
                       "cv_auc_std": result.summary["std_auc"], "final": head.complete(grid[result.final_index]),
                       "seconds": time.perf_counter() - started}
                rows.append(row)
                print(f"seed {seed} {name:20s} {grid_name:7s} {row['cv_auc_mean']:.4f} ±{row['cv_auc_std']:.3f} "
                      f"({row['seconds']:.0f}s) final={row['final']}", flush=True)
    out = bv.RESULTS / f"{args.out}.json"
    out.write_text(json.dumps({"seeds": args.seeds, "rows": rows}, indent=1, default=float))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
