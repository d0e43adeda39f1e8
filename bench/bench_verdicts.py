"""Verdicts on the hard set: the linear baseline against the served head, for each feature
change, over several generator seeds, in one run (issue "Verdicts worth trusting").

    .venv/bin/python -m bench.bench_verdicts --seeds 1 2 3

For each generator seed: a 120-image hard training set and a 60-image held-out set made with
another seed (bench.hard_set), patches cut and read back as the product does. For each feature
set, the product's own nested cross-validation (training.ml.cv, 5 outer folds) runs twice on
the same embeddings: once with the baseline alone (scikit-learn logistic regression, C chosen
in the inner loop) and once with the default grid (baseline + by-type, LDA and torch heads; another head is
served only when it beats the baseline on inner validation). Reported per seed and as means:

- nested-CV image AUC (mean over outer folds, and its spread), pooled out-of-fold AUC;
- ECE of the out-of-fold probabilities before and after calibration (cross-fitted Platt), and
  the ECE a perfectly calibrated model would show on as many predictions (noise floor);
- the verdict policy at 5% / 5%: thresholds, share decided out of fold;
- held out: the final model (refit on all 120, calibrated, thresholds from out-of-fold
  predictions) scores the 60 unseen images: AUC, share decided, and the two error rates of
  the decided verdicts;
- the cost of each feature set: embedding time per patch.

Feature sets (all from the frozen EfficientNet-lite0; one embedding per patch, cached):
  pooled       the final pooled embedding (1280), what the product used before;
  stats        pooled + per-channel mean and std of five intermediate stages (2176);
  style        stats + channel correlations of two early stages (3232): the default before brushwork;
  style+flip   style averaged with the horizontally flipped patch (test-time augmentation);
  style-ms     style of the patch, then style of the same patch halved (2x2 average pooling):
               multi-scale, concatenated per patch (6464);
  brushwork    style without the final pooled embedding (1952): the stage statistics and
               correlations only; the network stops after the last of them (block 14): the default backbone.
Heads: "baseline" is the binary linear baseline alone; "default grid" adds the by-type and LDA heads and
the torch heads, which serve only when they beat the baseline on inner validation.
Figures only; nothing here is asserted.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.hard_set import baseline_auc, hard_set, load_patches  # noqa: E402
from training.ml import aggregate, backbone, calibration, cv, head, metrics, policy  # noqa: E402

RESULTS = ROOT / "bench" / "results"
BACKBONE = "efficientnet-lite0-style"
POOLED_DIM = 1280
HELD_OUT_SEED_OFFSET = 1000
STATS_DIM = 2176
MULTISCALE_BACKBONE = "efficientnet-lite0-style-ms"
BRUSHWORK_BACKBONE = "efficientnet-lite0-brushwork"
FEATURE_SETS = ("pooled", "stats", "style", "style+flip", "style-ms", "brushwork")


def _embed(folder: Path, patches: list, *, flip: bool, name: str = BACKBONE) -> tuple[np.ndarray, float]:
    """Stage-statistics embeddings (cached in the set's folder) and seconds per patch."""
    manifest = (folder / "manifest.csv").stat()  # a regenerated set rewrites its manifest last
    path = folder / f"{name}{'-flip' if flip else ''}-{manifest.st_mtime_ns:x}.npy"
    timing = path.with_suffix(".seconds")
    if path.exists() and timing.exists():
        return np.load(path), float(timing.read_text())
    images = [p.transpose(0) for p in patches] if flip else patches  # 0 = FLIP_LEFT_RIGHT
    started = time.perf_counter()
    features = backbone.embed(images, backbone_name=name)
    per_patch = (time.perf_counter() - started) / max(1, len(images))
    np.save(path, features)
    timing.write_text(f"{per_patch:.6f}")
    return features, per_patch


def feature_sets(folder: Path, loaded: dict, wanted: list[str]) -> tuple[dict, dict]:
    style, style_seconds = _embed(folder, loaded["patches"], flip=False)
    sets = {"pooled": style[:, :POOLED_DIM], "stats": style[:, :STATS_DIM], "style": style}
    cost = {"style": style_seconds}
    if "style+flip" in wanted:
        flipped, flip_seconds = _embed(folder, loaded["patches"], flip=True)
        sets["style+flip"] = (style + flipped) / 2
        cost["style+flip"] = style_seconds + flip_seconds
    if "style-ms" in wanted:
        sets["style-ms"], cost["style-ms"] = _embed(folder, loaded["patches"], flip=False, name=MULTISCALE_BACKBONE)
    if "brushwork" in wanted:
        sets["brushwork"], cost["brushwork"] = _embed(folder, loaded["patches"], flip=False, name=BRUSHWORK_BACKBONE)
    return sets, cost


def _data(loaded: dict, features: np.ndarray) -> cv.TrainingData:
    labels = loaded["labels"]
    return cv.TrainingData([str(i) for i in range(len(labels))], labels, cv.strata_for(labels, loaded["sublabels"]),
                           list(loaded["sublabels"]), features.astype(np.float32), loaded["patch_image"])


def _held_out(train: cv.TrainingData, result: cv.CVResult, grid: list[dict], held: dict, features: np.ndarray) -> dict:
    final = cv.refit(train, np.arange(len(train.image_ids)), grid[result.final_index], result.final_epochs, seed=7919)
    image_logits = aggregate.image_logits(head.predict_logits(final.head, features), held["patch_image"], range(len(held["labels"])))
    probabilities = result.calibrator.probability(image_logits)
    served = result.detail["policy"]
    rates = policy.measured_rates(held["labels"], probabilities, served)
    return {
        "auc": metrics.auc_score(held["labels"], probabilities),
        "ece": metrics.calibration(held["labels"], probabilities)["ece"],
        "decided": rates["decided"]["rate"],
        "forged_called_authentic": rates["forged_called_authentic"],
        "authentic_called_forged": rates["authentic_called_forged"],
        "called_authentic": rates["called_authentic"],
        "called_forged": rates["called_forged"],
    }


def evaluate(loaded: dict, held: dict, features: np.ndarray, held_features: np.ndarray, grid: list[dict]) -> dict:
    data = _data(loaded, features)
    started = time.perf_counter()
    result = cv.nested_cv(data, grid, k_folds=5, outer_split_seed=0, inner_split_seed=1)
    detail = result.detail
    served = detail["policy"]
    tests = [np.asarray(fold.test_images) for fold in result.folds]
    after, _ = calibration.cross_fitted(result.oof_logits, data.labels, tests)
    if result.calibrator.method != "platt":  # Platt did not earn its place: the raw ones are served
        after = result.oof_probabilities
    return {
        "oof": {"y": data.labels.tolist(), "before": result.oof_probabilities.tolist(), "after": after.tolist()},
        "cv_auc_mean": result.summary["mean_auc"],
        "cv_auc_std": result.summary["std_auc"],
        "oof_auc": metrics.auc_score(data.labels, result.oof_probabilities),
        "per_sublabel_auc": {name: value["auc"] for name, value in detail["per_sublabel"].items()},
        "ece_before": detail["calibration_before"]["ece"],
        "ece_after": detail["calibration"]["ece"],
        "ece_noise_floor": noise_floor(after),
        "thresholds": [served["authentic_below"], served["forged_above"]],
        "oof_decided": served["rates"]["decided"]["rate"],
        "check_decided": detail["policy_check"]["decided"]["rate"],
        "final": head.complete(grid[result.final_index]),
        "held_out": _held_out(data, result, grid, held, held_features),
        "seconds": time.perf_counter() - started,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--features", nargs="+", default=list(FEATURE_SETS), choices=FEATURE_SETS)
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--held-out", type=int, default=60)
    parser.add_argument("--out", default="verdicts", help="result name under bench/results/")
    args = parser.parse_args(argv)
    baseline_grid = [hp for hp in head.DEFAULT_GRID if head.is_baseline(hp)]
    grids = {"baseline": baseline_grid, "default grid": head.DEFAULT_GRID}
    rows, costs = [], {}
    for seed in args.seeds:
        folder, held_folder = hard_set(seed, args.count), hard_set(seed + HELD_OUT_SEED_OFFSET, args.held_out)
        loaded, held = load_patches(folder), load_patches(held_folder)
        sets, cost = feature_sets(folder, loaded, args.features)
        held_sets, _ = feature_sets(held_folder, held, args.features)
        costs.setdefault("patches per image", len(loaded["patch_image"]) / len(loaded["labels"]))
        for name, value in cost.items():
            costs.setdefault(name, []).append(value)
        plain = baseline_auc(sets["pooled"], loaded["patch_image"], loaded["labels"], loaded["sublabels"])
        rows.append({"seed": seed, "features": "pooled", "head": "plain LR C=0.1 (reference)", "cv_auc_mean": plain.get("fold_auc_mean"),
                     "cv_auc_std": plain.get("fold_auc_std"), "oof_auc": plain.get("auc")})
        for feature_name in args.features:
            for grid_name, grid in grids.items():
                row = {"seed": seed, "features": feature_name, "head": grid_name,
                       **evaluate(loaded, held, sets[feature_name], held_sets[feature_name], grid)}
                rows.append(row)
                print(_line(row), flush=True)
    summary = _summary(rows)
    print("\nMeans over seeds", args.seeds)
    for line in summary:
        print(_line(line))
    RESULTS.mkdir(parents=True, exist_ok=True)
    reliability_plot(rows, RESULTS / f"{args.out}_reliability.png")
    for row in rows:
        row.pop("oof", None)
    out = RESULTS / f"{args.out}.json"
    out.write_text(json.dumps({"seeds": args.seeds, "rows": rows, "means": summary,
                               "embedding_seconds_per_patch": {k: (statistics.mean(v) if isinstance(v, list) else v) for k, v in costs.items()}},
                              indent=1, default=float))
    print(f"\nembedding seconds per patch: { {k: round(statistics.mean(v), 4) if isinstance(v, list) else v for k, v in costs.items()} }")
    print(f"written to {out}")
    return 0


def _summary(rows: list[dict]) -> list[dict]:
    keys = sorted({(row["features"], row["head"]) for row in rows}, key=lambda k: (FEATURE_SETS.index(k[0]), k[1]))
    out = []
    for features, head_name in keys:
        group = [row for row in rows if (row["features"], row["head"]) == (features, head_name)]
        line = {"seed": "mean", "features": features, "head": head_name}
        for key in ("cv_auc_mean", "oof_auc", "ece_before", "ece_after", "ece_noise_floor", "oof_decided", "check_decided"):
            values = [row[key] for row in group if row.get(key) is not None]
            if values:
                line[key] = statistics.mean(values)
        seeds = [row["cv_auc_mean"] for row in group if row.get("cv_auc_mean") is not None]
        line["cv_auc_std"] = statistics.pstdev(seeds) if len(seeds) > 1 else None  # spread across seeds
        pooled = [row["oof"] for row in group if "oof" in row]
        if pooled:
            y = np.concatenate([np.asarray(o["y"]) for o in pooled])
            before = np.concatenate([np.asarray(o["before"]) for o in pooled])
            after = np.concatenate([np.asarray(o["after"]) for o in pooled])
            line["pooled_ece_before"] = metrics.calibration(y, before)["ece"]
            line["pooled_ece_after"] = metrics.calibration(y, after)["ece"]
            line["pooled_ece_noise_floor"] = noise_floor(after)
            line["pooled_n"] = int(len(y))
        held = [row["held_out"] for row in group if "held_out" in row]
        if held:
            line["held_out"] = {
                "auc": statistics.mean(h["auc"] for h in held),
                "decided": statistics.mean(h["decided"] for h in held),
                "forged_called_authentic": {"count": sum(h["forged_called_authentic"]["count"] for h in held), "of": sum(h["forged_called_authentic"]["of"] for h in held)},
                "authentic_called_forged": {"count": sum(h["authentic_called_forged"]["count"] for h in held), "of": sum(h["authentic_called_forged"]["of"] for h in held)},
                "called_authentic": {"count": sum(h["called_authentic"]["count"] for h in held), "forged": sum(h["called_authentic"]["forged"] for h in held)},
                "called_forged": {"count": sum(h["called_forged"]["count"] for h in held), "authentic": sum(h["called_forged"]["authentic"] for h in held)},
            }
        out.append(line)
    return out


def noise_floor(probabilities: np.ndarray, draws: int = 200) -> float:
    """The ECE a perfectly calibrated model would show on this many predictions: outcomes drawn
    from the probabilities themselves. With a few hundred predictions it is not small."""
    rng = np.random.default_rng(0)
    p = np.asarray(probabilities)
    return float(np.mean([metrics.calibration((rng.random(len(p)) < p).astype(int), p)["ece"] for _ in range(draws)]))


def reliability_plot(rows: list[dict], path: Path) -> None:
    """Pooled out-of-fold reliability before and after calibration, for the served setup (the
    default brushwork features when measured, else style)."""
    from training import plots

    served = "brushwork" if any(row["features"] == "brushwork" for row in rows) else "style"
    group = [row for row in rows if row["features"] == served and row["head"] == "default grid" and "oof" in row]
    if not group:
        return
    y = np.concatenate([np.asarray(o["oof"]["y"]) for o in group])
    before = metrics.calibration(y, np.concatenate([np.asarray(o["oof"]["before"]) for o in group]))
    after = metrics.calibration(y, np.concatenate([np.asarray(o["oof"]["after"]) for o in group]))
    path.write_bytes(plots.calibration_png(after, before=before))


def _f(value, digits=3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _line(row: dict) -> str:
    text = f"seed {row['seed']!s:>4}  {row['features']:<10} {row['head']:<26} CV AUC {_f(row.get('cv_auc_mean'))} ± {_f(row.get('cv_auc_std'))}  OOF {_f(row.get('oof_auc'))}"
    if "ece_before" in row:
        text += f"  ECE {_f(row['ece_before'])}->{_f(row['ece_after'])} (floor {_f(row.get('ece_noise_floor'))})  decided OOF {_f(row.get('oof_decided'), 2)} check {_f(row.get('check_decided'), 2)}"
    if "pooled_ece_after" in row:
        text += f"  pooled ECE ({row['pooled_n']}) {_f(row['pooled_ece_before'])}->{_f(row['pooled_ece_after'])} (noise floor {_f(row['pooled_ece_noise_floor'])})"
    held = row.get("held_out")
    if held:
        fa, af = held["forged_called_authentic"], held["authentic_called_forged"]
        text += f"  | held out AUC {_f(held['auc'])} decided {_f(held['decided'], 2)} F->A {fa['count']}/{fa['of']} A->F {af['count']}/{af['of']}"
    if "final" in row:
        text += f"  [{row['final'].get('kind')}{' C=' + str(row['final'].get('C')) if row['final'].get('kind') == 'baseline' else ''}, {row['seconds']:.0f} s]"
    return text


if __name__ == "__main__":
    raise SystemExit(main())
