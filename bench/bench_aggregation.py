"""Does the verdict gain from weighing localized evidence? Patch-to-image aggregation rules
compared on the hard set, over several generator seeds, in one run (issue 17, "Local evidence
is not averaged away").

    .venv/bin/python -m bench.bench_aggregation --seeds 1 2 3

Everything but the aggregation is what bench.bench_verdicts measures for the served setup
(style features, default grid, the product's nested CV with 5 outer folds, then the refit
model on the 60 held-out images). The aggregation rule is swapped in for the whole pipeline,
so inner-loop selection, calibration and thresholds all see it:

  mean        the mean of the patch logits (what the product serves);
  top3        the mean of the three highest patch logits (a quarter of the 12 patches);
  mean+top3   the average of the two.

The product changes its rule only if a rule lifts the nested-CV AUC over all the seeds.
Figures only; nothing here is asserted.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_verdicts import HELD_OUT_SEED_OFFSET, evaluate, feature_sets  # noqa: E402
from bench.hard_set import hard_set, load_patches  # noqa: E402
from training.ml import aggregate, head  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TOP_K = 3


def _top_k(logits) -> float:
    values = np.sort(np.asarray(logits, dtype=np.float64))[::-1]
    return float(np.mean(values[:TOP_K]))


RULES = {
    "mean": aggregate.image_logit,
    "top3": lambda logits: (_check(logits), _top_k(logits))[1],
    "mean+top3": lambda logits: (_check(logits), 0.5 * float(np.mean(logits)) + 0.5 * _top_k(logits))[1],
}


def _check(logits) -> None:
    if len(logits) == 0:
        raise ValueError("An image needs at least one patch to be scored.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--rules", nargs="+", default=list(RULES), choices=list(RULES))
    args = parser.parse_args(argv)
    served = aggregate.image_logit
    rows = []
    try:
        for seed in args.seeds:
            folder, held_folder = hard_set(seed, 120), hard_set(seed + HELD_OUT_SEED_OFFSET, 60)
            loaded, held = load_patches(folder), load_patches(held_folder)
            sets, _ = feature_sets(folder, loaded, ["style"])
            held_sets, _ = feature_sets(held_folder, held, ["style"])
            for rule in args.rules:
                aggregate.image_logit = RULES[rule]
                result = evaluate(loaded, held, sets["style"], held_sets["style"], head.DEFAULT_GRID)
                result.pop("oof", None)
                row = {"seed": seed, "rule": rule, **result}
                rows.append(row)
                print(_line(row), flush=True)
    finally:
        aggregate.image_logit = served
    means = []
    for rule in args.rules:
        group = [row for row in rows if row["rule"] == rule]
        means.append({
            "seed": "mean", "rule": rule,
            "cv_auc_mean": statistics.mean(row["cv_auc_mean"] for row in group),
            "cv_auc_spread": statistics.pstdev([row["cv_auc_mean"] for row in group]) if len(group) > 1 else None,
            "oof_auc": statistics.mean(row["oof_auc"] for row in group),
            "oof_decided": statistics.mean(row["oof_decided"] for row in group),
            "held_out": {"auc": statistics.mean(row["held_out"]["auc"] for row in group),
                         "decided": statistics.mean(row["held_out"]["decided"] for row in group)},
        })
    print("\nMeans over seeds", args.seeds)
    for line in means:
        print(_line(line))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "aggregation.json"
    out.write_text(json.dumps({"seeds": args.seeds, "rows": rows, "means": means}, indent=1, default=float))
    print(f"written to {out}")
    return 0


def _line(row: dict) -> str:
    held = row["held_out"]
    return (f"seed {row['seed']!s:>4}  {row['rule']:<10} CV AUC {row['cv_auc_mean']:.3f}  OOF AUC {row['oof_auc']:.3f}  "
            f"decided OOF {row['oof_decided']:.2f}  | held out AUC {held['auc']:.3f} decided {held['decided']:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
