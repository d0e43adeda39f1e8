"""Detection p50 (2048x1536 JPEG upload to COMPLETED, 28 patches), the default style backbone against
the multi-scale one (efficientnet-lite0-style-ms), same process, interleaved in two rounds so both
see the same machine load. Small fixture model per backbone (as bench/bench_detection.py).

    .venv/bin/python bench/bench_multiscale_detection.py [runs per round, default 8]
"""
import sys, os, statistics, tempfile, json
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_detection import painting_jpeg, promote_small_model
from bench.common import Timer, percentile
from artguard import dynamodb_local
runs = int(sys.argv[1]) if len(sys.argv) > 1 else 8
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
        from detection import services
        from detection.selectors import inference_get
        settings.UPLOADS_PER_HOUR = 10_000
        call_command("migrate", verbosity=0)
        tables_provision()
        user = user_create(email="bench@example.com", password="correct-horse-battery-staple")
        images = [painting_jpeg(seed) for seed in range(runs + 1)]
        def analyse(data, name):
            with Timer() as t:
                record = services.inference_submit(user_id=user.user_id, data=data, filename=name, attributed_artist="Fixture Hand").record
            done = inference_get(inference_id=record.inference_id)
            assert done.status == "COMPLETED", done.failure_reason
            return t.seconds, len(done.patch_scores)
        out = {}
        for rnd in range(2):  # interleave to share the machine's load fairly
            for name in ("efficientnet-lite0-style", "efficientnet-lite0-style-ms"):
                with Timer() as tt:
                    promote_small_model(Path(tmp) / "fixture-images", backbone=name)
                analyse(images[0], f"{name}-warm{rnd}.jpg")
                times = [analyse(images[1 + i], f"{name}-{rnd}-{i}.jpg") for i in range(runs)]
                out.setdefault(name, {"totals": [], "train_s": []})
                out[name]["totals"] += [t for t, _ in times]; out[name]["train_s"].append(tt.seconds); out[name]["patches"] = times[0][1]
                print(name, rnd, f"p50 {percentile([t for t, _ in times], 50):.3f}s train {tt.seconds:.1f}s load {os.getloadavg()[0]:.2f}", flush=True)
        for name, v in out.items():
            v["p50"] = percentile(v["totals"], 50)
            print(name, "p50", round(v["p50"], 3), "patches", v["patches"], "fixture train+promote s", [round(x, 1) for x in v["train_s"]])
        json.dump(out, open(Path(__file__).resolve().parent / "results" / "multiscale_detection.json", "w"), indent=1)
    finally:
        process.terminate(); process.wait(timeout=20)
