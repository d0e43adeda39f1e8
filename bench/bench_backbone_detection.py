"""Detection p50 (2048x1536 JPEG upload to COMPLETED, 28 patches) for each backbone named, in one
process, interleaved in two rounds so all see the same machine load: the ratios between them hold
even on a busy machine. A small fixture model per backbone (as bench/bench_detection.py).

    .venv/bin/python bench/bench_backbone_detection.py [--runs 8] [--backbones a b ...] [--out name]

Earlier result: bench/results/multiscale_detection.json (style against style-ms).
"""
import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bench_detection import analysed, detection_environment, painting_jpeg, promote_small_model  # noqa: E402
from bench.common import Timer, percentile  # noqa: E402

DEFAULT_BACKBONES = ("efficientnet-lite0-style", "efficientnet-lite0-brushwork")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=8, help="analyses per backbone per round")
    parser.add_argument("--backbones", nargs="+", default=list(DEFAULT_BACKBONES))
    parser.add_argument("--out", default="backbone_detection")
    args = parser.parse_args()
    with detection_environment() as (folder, user_id):
        images = [painting_jpeg(seed) for seed in range(args.runs + 1)]
        out = {}
        for round_number in range(2):  # interleaved, so all share the machine's load fairly
            for name in args.backbones:
                with Timer() as training:
                    promote_small_model(folder / "fixture-images", backbone=name)
                analysed(user_id, images[0], f"{name}-warm{round_number}.jpg")
                done = [analysed(user_id, images[1 + i], f"{name}-{round_number}-{i}.jpg") for i in range(args.runs)]
                entry = out.setdefault(name, {"totals": [], "score_step": [], "train_s": []})
                entry["totals"] += [seconds for seconds, _ in done]
                entry["score_step"] += [float(step["seconds"]) for _, record in done for step in record.steps if step["name"] == "score"]
                entry["train_s"].append(training.seconds)
                entry["patches"] = len(done[0][1].patch_scores)
                print(name, round_number, f"p50 {percentile([s for s, _ in done], 50):.3f}s train {training.seconds:.1f}s load {os.getloadavg()[0]:.2f}", flush=True)
        for name, entry in out.items():
            entry["p50"] = percentile(entry["totals"], 50)
            entry["score_p50"] = percentile(entry["score_step"], 50)
            print(name, "p50", round(entry["p50"], 3), "score step p50", round(entry["score_p50"], 3), "patches", entry["patches"],
                  "fixture train+promote s", [round(x, 1) for x in entry["train_s"]])
        out["load_average_at_end"] = os.getloadavg()
        (Path(__file__).resolve().parent / "results" / f"{args.out}.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
