"""What one model per artist costs a detection: routing an attribution to its artist's model,
and the memory of a worker holding 10 artists' heads.

    .venv/bin/python bench/bench_routing.py

On a throwaway DynamoDB Local: one real demo model is trained (Demo Hand A, 24 images, 2 folds),
then served for 10 artists under 10 versions (copies of its artifact, so every head is loaded
separately, as 10 trained heads would be). Measured:
- routing, warm: resolving a typed attribution ("gogh, artist 7") among the served artists,
  reading the pinned version's served info and finding its head in the worker's LRU, as a
  detection does on submit and in the worker: p50 / p95 over 2,000 calls (target <= 5 ms);
- routing, cold: the same after the catalogue's 5 s cache expired (one DynamoDB query of the
  artist registry and one storage read): p50 over 50 calls;
- memory: the worker's resident set before and after loading the 10 heads (backbone loaded
  before), per head. Figures only; nothing is asserted.
"""
from __future__ import annotations

import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Figure, local_stack, percentile, report  # noqa: E402

ARTISTS = 10


def _rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    with local_stack("routing"):
        from django.conf import settings

        from demo.bootstrap import DemoPlan, demo_model_ensure
        from datasets.synthetic import HAND_A
        from datasets.artist_registry import artist_serving_set, artists_register
        from training import compute, served_models, serving
        from training.ml import artifact, backbone

        plan = DemoPlan(images=24, k_folds=2, grid=[{"kind": "baseline", "C": 0.03}], version="routing-v1", width=448, height=336,
                        targets={"forged_called_authentic": 0.1, "authentic_called_forged": 0.1}, artists=(HAND_A,), proxies=False)
        [info] = demo_model_ensure(plan=plan, say=lambda message: None)
        source = artifact.model_path(settings.MODEL_DIR, info["model_version"])
        backbone.get_backbone(info["backbone"])
        for number in range(ARTISTS):
            version = f"{info['model_version']}-artist{number}"
            shutil.copytree(source, artifact.model_path(settings.MODEL_DIR, version))
            [artist] = artists_register(names=[f"Artist {number} Gogh"])
            served_models.served_info_write({**info, "model_version": version, "artist": artist.slug, "artist_name": artist.name})
            artist_serving_set(slug=artist.slug, serving={"model_version": version, "run_id": info["run_id"], "is_demo": True},
                               event={"action": "promoted", "model_version": version, "by": "bench"})
        served_models.clear_cache()

        before = _rss_mb()
        for artist in serving.served_artists(fresh=True):
            compute.loaded_model(artist.serving["model_version"])
        after = _rss_mb()
        held = len(compute.loaded_versions())

        def route(attribution: str) -> None:
            artist = serving.served_artist_for(attribution)
            version = artist.serving["model_version"]
            serving.model_info(version)
            compute.loaded_model(version)

        names = [f"gogh, artist {number % ARTISTS}" for number in range(2000)]
        warm = []
        for name in names:
            started = time.perf_counter()
            route(name)
            warm.append((time.perf_counter() - started) * 1000)
        cold = []
        for name in names[:50]:
            served_models.clear_cache()
            started = time.perf_counter()
            route(name)
            cold.append((time.perf_counter() - started) * 1000)

    figures = [
        Figure("routing an upload to its artist's model, warm: p50", percentile(warm, 50), "ms", target="<= 5 ms",
               met=percentile(warm, 50) <= 5, note=f"{ARTISTS} artists served; catalogue and served info cached"),
        Figure("  warm: p95", percentile(warm, 95), "ms"),
        Figure("routing, cold (catalogue cache expired): p50", percentile(cold, 50), "ms",
               note="one registry query + one served-info read; at most once per process per 5 s"),
        Figure(f"worker memory holding {held} artists' heads", after - before, "MB",
               note=f"RSS {before:.0f} -> {after:.0f} MB with the backbone loaded before; {(after - before) / max(held, 1):.1f} MB per head"),
    ]
    report("routing", figures, details={"artists": ARTISTS, "heads_loaded": held, "rss_before_mb": before, "rss_after_mb": after})


if __name__ == "__main__":
    main()
