"""A 5-fold nested cross-validation run on the demo dataset, end to end on DynamoDB Local,
with the time per stage and the image-level AUC per fold and per sublabel.

    .venv/bin/python bench/bench_training.py            # demo dataset: 120 images 768x576, k=5
    .venv/bin/python bench/bench_training.py --quick    # 40 images, k=3

Stages: making the demo images (datasets.synthetic), upload + preprocessing + patches (datasets
services), then the run itself (training.services.run_execute): loading and embedding every
patch once, the nested CV (k outer folds x the default 4-configuration grid + refits), the
final model. A second run with other seeds on the same version shows the embedding cache
(no patch goes through the backbone again). Target (issue 4): the run within 10 minutes on
2 cores; AUC >= 0.9 per fold and per sublabel."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Figure, Timer, local_stack, report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=120)
    parser.add_argument("--k-folds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.count, args.k_folds = 40, 3

    stages: dict[str, float] = {}
    with local_stack("training") as scratch:
        from datasets import services as dataset_services
        from datasets.synthetic import demo_dataset_write
        from datasets.sources import entries_load
        from training import services

        print(f"[bench] demo dataset: {args.count} images ...", flush=True)
        with Timer() as t:
            demo_dataset_write(out=scratch / "demo", count=args.count)
        stages["make demo images"] = t.seconds
        entries, _, _, manifest = entries_load(dataset_path=scratch / "demo", manifest_path=None)
        with Timer() as t:
            summary = dataset_services.training_upload(dataset_name="demo", entries=entries, process=dataset_services.PROCESS_INLINE)
            assert summary.ok, summary
            dataset_services.dataset_version_create(name="demo-v1", dataset_names=["demo"])
        stages["upload + preprocess + patches + version"] = t.seconds

        marks: list[tuple[float, str]] = []
        last = {"stage": None}

        def progress(message: str, fraction: float) -> None:
            stage = message.split(" (")[0].split(":")[0]
            if stage != last["stage"]:
                last["stage"] = stage
                marks.append((time.perf_counter(), stage))
                print(f"[bench] {fraction * 100:5.1f}% {message}", flush=True)

        print(f"[bench] run: {args.k_folds}-fold nested CV ...", flush=True)
        with Timer() as t:
            run = services.run_execute(run_id=services.run_create(dataset_version="demo-v1", k_folds=args.k_folds).run_id, progress=progress)
        assert run.status == "completed", run.error
        stages["training run (total)"] = t.seconds
        timings = run.metrics_detail["timings"].as_dict() if hasattr(run.metrics_detail["timings"], "as_dict") else dict(run.metrics_detail["timings"])
        with Timer() as t:
            again = services.run_execute(run_id=services.run_create(dataset_version="demo-v1", k_folds=args.k_folds, outer_split_seed=1, inner_split_seed=2).run_id)
        stages["second run, other seeds (embeddings cached)"] = t.seconds
        detail = run.metrics_detail.as_dict()

    n_patches = detail["n_patches"]
    figures = [
        Figure("training run, total", stages["training run (total)"], "s", target="<= 600 s", met=stages["training run (total)"] <= 600,
               note=f"{args.count} images, {n_patches} patches, k={args.k_folds}, 4 configurations"),
        Figure("  load + embed every patch once", timings["load_and_embed_seconds"], "s", note=f"{n_patches / timings['load_and_embed_seconds']:.1f} patches/s"),
        Figure("  nested CV (folds x configs + refits)", timings["nested_cv_seconds"], "s"),
        Figure("  final model on every image", timings["final_model_seconds"], "s"),
        Figure("second run (embeddings from cache)", stages["second run, other seeds (embeddings cached)"], "s",
               note=f"patches embedded again: {again.metrics_detail['patches_embedded']}"),
        Figure("upload + preprocess + patches + version", stages["upload + preprocess + patches + version"], "s"),
        Figure("mean AUC over outer folds (image level)", run.mean_auc, "", target=">= 0.9", met=run.mean_auc >= 0.9, note=f"± {run.std_auc:.3f}"),
    ]
    for fold in detail["per_fold"]:
        figures.append(Figure(f"  AUC fold {fold['fold_id']}", fold["auc"], "", target=">= 0.9", met=fold["auc"] >= 0.9, note=f"{fold['n_test']} test images"))
    for name, sub in detail["per_sublabel"].items():
        figures.append(Figure(f"  AUC sublabel {name} (out-of-fold, vs other label)", sub["auc"], "", target=">= 0.9", met=sub["auc"] >= 0.9,
                              note=f"{sub['n']} images, accuracy {sub['accuracy']:.3f}"))
    figures.append(Figure("ECE (out-of-fold)", detail["calibration"]["ece"], ""))
    figures.append(Figure("second run mean AUC (seeds 1, 2)", again.mean_auc, "", note=f"± {again.std_auc:.3f}"))
    report("training", figures, details={"stages_seconds": stages, "run_timings": timings, "thresholds": detail["thresholds"],
                                          "summary": {k: getattr(run, k) for k in ("mean_accuracy", "std_accuracy", "mean_auc", "std_auc", "mean_f1", "std_f1", "mean_precision", "mean_recall")},
                                          "final_config_index": detail["final_index"], "final_epochs": detail["final_epochs"]})


if __name__ == "__main__":
    main()
