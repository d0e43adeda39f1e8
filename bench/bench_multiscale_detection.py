"""Detection p50 (2048x1536 JPEG upload to COMPLETED, 28 patches), the default style backbone against
the multi-scale one (efficientnet-lite0-style-ms), same process, interleaved in two rounds so both
see the same machine load. Small fixture model per backbone (as bench/bench_detection.py).

    .venv/bin/python bench/bench_multiscale_detection.py [runs per round, default 8]
"""
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_detection import analysed, detection_environment, painting_jpeg, promote_small_model  # noqa: E402
from bench.common import Timer, percentile  # noqa: E402

BACKBONES = ("efficientnet-lite0-style", "efficientnet-lite0-style-ms")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    with detection_environment() as (folder, user_id):
        images = [painting_jpeg(seed) for seed in range(runs + 1)]
        out = {}
        for round_number in range(2):  # interleaved, so both share the machine's load fairly
            for name in BACKBONES:
                with Timer() as training:
                    promote_small_model(folder / "fixture-images", backbone=name)
                analysed(user_id, images[0], f"{name}-warm{round_number}.jpg")
                done = [analysed(user_id, images[1 + i], f"{name}-{round_number}-{i}.jpg") for i in range(runs)]
                entry = out.setdefault(name, {"totals": [], "train_s": []})
                entry["totals"] += [seconds for seconds, _ in done]
                entry["train_s"].append(training.seconds)
                entry["patches"] = len(done[0][1].patch_scores)
                print(name, round_number, f"p50 {percentile([s for s, _ in done], 50):.3f}s train {training.seconds:.1f}s load {os.getloadavg()[0]:.2f}", flush=True)
        for name, entry in out.items():
            entry["p50"] = percentile(entry["totals"], 50)
            print(name, "p50", round(entry["p50"], 3), "patches", entry["patches"], "fixture train+promote s", [round(x, 1) for x in entry["train_s"]])
        (Path(__file__).resolve().parent / "results" / "multiscale_detection.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
