"""Upload to COMPLETED for a 2048x1536 JPEG, in-process: check, record, store, preprocess, patches,
scoring with the promoted model (loaded once per process), heatmap and the local explanation,
on DynamoDB Local and local storage. A small real model is trained and promoted first (the test
fixture's synthetic data; the backbone, and so the scoring cost, is the production one).

    .venv/bin/python bench/bench_detection.py [--runs 12] [--quick]
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Figure, Timer, percentile, report  # noqa: E402


def painting_jpeg(seed: int, size=(2048, 1536)) -> bytes:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0 : size[1], 0 : size[0]].astype(np.float32)
    base = np.stack([
        120 + 70 * np.sin(x / rng.uniform(80, 200)), 110 + 60 * np.cos(y / rng.uniform(80, 200)), 100 + 50 * np.sin((x + y) / 300),
    ], axis=-1)
    base += rng.normal(0, 12, base.shape).astype(np.float32)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(base, 0, 255).astype("uint8")).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def promote_small_model(folder: Path, backbone: str | None = None) -> str:
    from tests.training.fixtures import SMALL_TARGETS, FIXTURE_GRID, fixture_dataset_create
    from training import services

    snapshot = fixture_dataset_create(folder)
    options = {"backbone": backbone} if backbone else {}
    run = services.run_create(targets=SMALL_TARGETS, dataset_version=snapshot["name"], k_folds=2, grid=FIXTURE_GRID,
                              started_by="bench@example.com", **options)
    run = services.run_execute(run_id=run.run_id)
    if run.status != services.COMPLETED:
        raise SystemExit(f"training the bench model failed: {run.error}")
    services.model_promote(run_id=run.run_id, promoted_by="bench@example.com", reason="benchmark model")
    return run.model_version


def analysed(user_id: str, data: bytes, name: str):
    """Upload `data` as `name`, attributed to the fixture artist: (seconds to COMPLETED, the record)."""
    from detection import services
    from detection.selectors import inference_get
    from tests.training.fixtures import FIXTURE_ARTIST

    with Timer() as timer:
        record = services.inference_submit(user_id=user_id, data=data, filename=name, attributed_artist=FIXTURE_ARTIST).record
    done = inference_get(inference_id=record.inference_id)
    if done.status != "COMPLETED":
        raise SystemExit(f"{name} ended {done.status}: {done.failure_reason}")
    return timer.seconds, done


@contextmanager
def detection_environment():
    """DynamoDB Local on a free port, Django on a temporary data folder, tables and migrations,
    no upload rate limit, and a bench user: yields (folder, user_id). Shared by the detection benches."""
    from artguard import dynamodb_local

    with tempfile.TemporaryDirectory() as tmp:
        port = dynamodb_local.free_port()
        process = dynamodb_local.start(port=port, db_path=None)
        try:
            from bench.common import django_setup

            django_setup(dynamodb_host=f"http://127.0.0.1:{port}", data_dir=Path(tmp))
            from django.conf import settings
            from django.core.management import call_command

            from accounts.services import user_create
            from artguard.provisioning import tables_provision

            settings.UPLOADS_PER_HOUR = 10_000
            call_command("migrate", verbosity=0)
            tables_provision()
            user = user_create(email="bench@example.com", password="correct-horse-battery-staple")
            yield Path(tmp), user.user_id
        finally:
            process.terminate()
            process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=12)
    parser.add_argument("--sizes", type=int, nargs="*", default=[512, 1024, 2048, 4096], help="long sides for the growth table")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.sizes = 4, [512, 2048]

    with detection_environment() as (folder, user_id):
        print("[detection] training and promoting a small model ...", flush=True)
        with Timer() as train_timer:
            model_version = promote_small_model(folder / "fixture-images")
        print(f"[detection] model {model_version} ready in {train_timer.seconds:.0f} s", flush=True)
        images = [painting_jpeg(seed) for seed in range(args.runs + 1)]

        def analyse(data: bytes, name: str) -> float:
            return analysed(user_id, data, name)[0]

        first_seconds = analyse(images[0], "first.jpg")  # a fresh process: includes loading the model
        totals, steps = [], {}
        for index in range(1, args.runs + 1):
            seconds, done = analysed(user_id, images[index], f"w{index}.jpg")
            totals.append(seconds)
            for step in done.steps:
                steps.setdefault(step["name"], []).append(float(step["seconds"]))
        patches = len(done.patch_scores)

        # The naive way, same run: the scorer as eager torch (the engine before ONNX Runtime).
        from training.ml import backbone

        bb = backbone.get_backbone()
        session, bb.session = bb.session, None
        try:
            naive_totals = [analyse(images[1 + i % args.runs], f"naive{i}.jpg") for i in range(max(3, args.runs // 3))]
        finally:
            bb.session = session

        # The pooled-only backbone models used before the style statistics, same run.
        print("[detection] the legacy pooled backbone, for comparison ...", flush=True)
        promote_small_model(folder / "fixture-images", backbone=backbone.LEGACY_BACKBONE)
        analyse(images[0], "legacy-warmup.jpg")
        legacy_totals = [analyse(images[1 + i % args.runs], f"legacy{i}.jpg") for i in range(args.runs)]
        promote_small_model(folder / "fixture-images")

        # How cost grows with the image's size (4:3, long side given).
        growth = {}
        for side in args.sizes:
            data = painting_jpeg(side, size=(side, side * 3 // 4))
            growth[side] = statistics.median(analyse(data, f"side{side}-{k}.jpg") for k in range(3))
        import resource

        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    p50 = percentile(totals, 50)
    naive_p50 = percentile(naive_totals, 50)
    figures = [
        Figure("2048x1536 JPEG upload to COMPLETED p50", p50, "s", target="<= 1.5 s", met=p50 <= 1.5,
               naive=naive_p50, ratio=naive_p50 / p50,
               note=f"{args.runs} runs after one warm-up, {patches} patches, local explanation, DynamoDB Local, sync django-q2; "
                    "naive = the same pipeline scoring with eager torch; issue 5 asked <= 3 s, issue 8 <= 1.5 s"),
        Figure("upload to COMPLETED p95", percentile(totals, 95), "s"),
        Figure("  the same with the legacy pooled backbone (p50)", percentile(legacy_totals, 50), "s",
               note=f"the default backbone against the pooled-only one: {p50 / percentile(legacy_totals, 50):.2f}x its p50, same run"),
        Figure("first analysis in a fresh process (loads the model)", first_seconds, "s"),
    ]
    figures.append(Figure("peak resident memory of the scoring process", peak_rss_mb, "MB", note="ru_maxrss after every run above, model loaded"))
    figures += [Figure(f"growth: long side {side} px, upload to COMPLETED (median of 3)", seconds, "s") for side, seconds in growth.items()]
    figures.append(Figure("load average during the run (2 cores)", os.getloadavg()[0], "", note="other work on the machine inflates every figure"))
    figures += [Figure(f"step: {name} (median)", statistics.median(values), "s") for name, values in steps.items()]
    report("detection", figures, details={"runs": args.runs, "load_average": os.getloadavg(), "totals": totals, "naive_totals": naive_totals, "legacy_totals": legacy_totals, "growth_seconds_by_long_side": growth, "peak_rss_mb": peak_rss_mb})


if __name__ == "__main__":
    main()
