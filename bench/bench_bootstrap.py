"""The first run's whole demo bootstrap (demo.bootstrap.demo_model_ensure, the standard plan),
timed end to end on a throwaway DynamoDB Local, with the demo model's verdict band.

    .venv/bin/python bench/bench_bootstrap.py

Stages as the bootstrap prints them: painting the synthetic images, upload + preprocessing,
the training run (embedding, nested CV, final model, familiarity reference), promotion.
Targets (issue "Verdicts worth trusting"): the whole bootstrap <= 90 s on 2 cores (aim 60 s),
the familiarity fit no longer the larger part of the run, and thresholds that leave a real
INCONCLUSIVE band on the (easy, separable) demo set. Figures only; nothing is asserted.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Figure, local_stack, report  # noqa: E402


def main() -> None:
    with local_stack("bootstrap"):
        from demo.bootstrap import demo_model_ensure
        from training.tables import RunRecord

        marks: list[tuple[float, str]] = []

        def say(message: str) -> None:
            marks.append((time.perf_counter(), message))
            print(f"[{marks[-1][0] - marks[0][0]:6.1f} s] {message}", flush=True)

        started = time.perf_counter()
        infos = demo_model_ensure(say=say)
        total = time.perf_counter() - started
        runs = [RunRecord.get(info["run_id"]) for info in infos]
        details = [run.metrics_detail.as_dict() for run in runs]

    def stage(prefix: str) -> float:
        starts = [at for at, message in marks if message.startswith(prefix)]
        later = [at for at, message in marks if message.startswith("[") and starts and at > starts[0]]
        return (min(later) if later else marks[-1][0]) - starts[0] if starts else float("nan")

    figures = [
        Figure("demo bootstrap, whole (two artists)", total, "s", target="<= 90 s (aim 60 s)", met=total <= 90),
        Figure("  painting the demo images", stage("[1/4]"), "s"),
        Figure("  upload + preprocess + patches", stage("[2/4]"), "s"),
    ]
    for run, detail in zip(runs, details):
        timings, policy = detail["timings"], detail["policy"]
        low, high = policy["authentic_below"], policy["forged_above"]
        band = None if low is None or high is None else high - low
        figures += [
            Figure(f"  training run, {run.artist_name}", timings["total_seconds"], "s"),
            Figure("    load + embed", timings["load_and_embed_seconds"], "s", note=f"{detail['n_patches']} patches ({detail['patches_embedded']} new), {run.backbone}"),
            Figure("    nested CV", timings["nested_cv_seconds"], "s"),
            Figure("    familiarity reference", timings["familiarity_seconds"], "s",
                   note=f"{100 * timings['familiarity_seconds'] / timings['total_seconds']:.0f}% of the run"),
            Figure(f"  {run.artist_name} demo model mean AUC", run.mean_auc, "", note=f"± {run.std_auc:.3f}"),
            Figure("  INCONCLUSIVE band width (probability)", band if band is not None else float("nan"), "", target="> 0 (a real band)",
                   met=band is not None and band > 0.05, note=f"authentic below {low}, forged above {high}"),
            Figure("  ECE out of fold: before -> after calibration", detail["calibration"]["ece"], "",
                   note=f"before {detail['calibration_before']['ece']:.3f}"),
        ]
    report("bootstrap", figures, details={run.artist_name: {"timings": d["timings"], "policy": d["policy"], "calibrator": d["calibrator"]}
                                          for run, d in zip(runs, details)})


if __name__ == "__main__":
    main()
