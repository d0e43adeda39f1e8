"""A fixed detection.explain.Evidence (a likely-forged work with six cited patches), shared by the
explanation tests and the Anthropic fault tests."""
from __future__ import annotations

from detection import explain
from tests.images import image_bytes


def patch_evidence(label: str, x: int, y: int, p: float, scale: float = 1.0) -> explain.PatchEvidence:
    return explain.PatchEvidence(
        label=label, x=x, y=y, w=224, h=224, scale=scale, p=p,
        location=explain.location_name(x=x, y=y, w=224, h=224, width=1200, height=900),
        crop_jpeg=image_bytes(32, 32, seed=len(label) + x),
    )


def sample_evidence() -> explain.Evidence:
    return explain.Evidence(
        score=0.81, forgery_score=81, verdict="LIKELY_FORGED",
        image_jpeg=image_bytes(120, 90), image_width=1200, image_height=900,
        most_suspicious=[patch_evidence("S1", 0, 0, 0.97), patch_evidence("S2", 976, 0, 0.9), patch_evidence("S3", 500, 400, 0.85)],
        least_suspicious=[patch_evidence("L1", 0, 676, 0.12), patch_evidence("L2", 976, 676, 0.2), patch_evidence("L3", 500, 676, 0.3)],
        attributed_artist="Berthe Morisot", title="Harbour", model_version="v7", is_demo=False,
        thresholds={"authentic_below": 0.3, "forged_above": 0.7},
    )
