"""The capture check at analysis time: is this photograph taken like the ones the model was
validated on? (issue 26)

The envelope is fitted on the capture statistics (training.ml.capture.measure) of the training
images, widened by the re-photographs the run measured robust (training.ml.robustness: a change
whose decided verdicts did not flip adds its photographs' statistics), each change on its own: a
photograph must lie within the limits of the training photographs alone or of the training
photographs with one robust change's, never a mix of several changes' limits. A photograph outside it
on a side that loses information (softer, more compressed, smaller, noisier, blockier than every
validated photograph) is outside what the error rates were measured on: the verdict is then
INCONCLUSIVE, with a reason the user can act on. Sides that add information (sharper, larger,
less compressed) are never outside.

Noise is measured but not checked: re-saving a JPEG at another quality adds requantization noise,
so a benign re-save would read as a noisier camera.

A statistic the file cannot give (no quantization tables: a PNG or TIFF) is listed as not
checked, and the rest are still checked.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MARGIN = 0.03  # relative slack on each limit: measurement noise between two files of one capture
# The model never sees more than this many pixels on the long side (datasets.imaging.MAX_SIDE,
# settings.PREPROCESS_MAX_SIDE): a 4000 px photograph is not "smaller" than 6000 px training scans.
MODEL_MAX_SIDE = 2048

# statistic: (side that loses information, words, what to do)
CHECKS = {
    "focus": ("low", "softer", "photograph it again in focus, closer, with the camera steady (a tripod or a faster shutter)"),
    "fine_detail": ("low", "less finely detailed (it looks enlarged or resampled)", "upload the original photograph, not an enlarged, resized or screenshot copy"),
    "jpeg_quality": ("low", "more compressed", "upload the original file from the camera, not a copy re-saved or sent through a messaging app"),
    "long_side": ("low", "smaller", "upload the full-resolution photograph, or photograph the work closer so that it fills the frame"),
    "blockiness": ("high", "more blocky from JPEG compression", "upload the original file, not a re-compressed copy"),
}


def _as_seen(name: str, value):
    """A statistic as the model's input has it: pixel size stops at MODEL_MAX_SIDE."""
    if name == "long_side" and value is not None:
        return min(float(value), MODEL_MAX_SIDE)
    return value


def _format(name: str, value: float) -> str:
    if name == "long_side":
        return f"{value:.0f} px on the long side"
    if name == "jpeg_quality":
        return f"JPEG quality about {value:.0f}"
    if name == "focus":
        return f"focus {value:.3g}"
    if name == "fine_detail":
        return f"fine detail {value:.3g}"
    return f"{name.replace('_', ' ')} {value:.2f}"


@dataclass
class Envelope:
    limits: dict  # statistic -> {"low": float} or {"high": float}: the widest, in words on the run page and card
    images: int
    widened_by: list = field(default_factory=list)  # names of the robust changes that widened it
    # Limits validated together: the training photographs' alone, then theirs with each robust
    # change's. A photograph inside any one is inside. Without them, a photograph small like one
    # robust change's, soft like another's and compressed like a third's passed every limit
    # though no validated photograph was all three (bench/bench_capture.py: phone-like
    # photographs decided, 7 and 20 of 180 flipped, where the run had measured them not robust).
    regions: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"limits": self.limits, "images": self.images, "widened_by": list(self.widened_by), "regions": self.regions}

    @classmethod
    def from_dict(cls, data: dict | None) -> "Envelope | None":
        if not data or not data.get("limits"):
            return None
        return cls(dict(data["limits"]), int(data.get("images") or 0), list(data.get("widened_by") or []),
                   [dict(region) for region in data.get("regions") or []])

    def assess(self, stats: dict) -> dict:
        """{"outside": bool, "reasons": [str], "checks": {name: {...}}, "not_checked": [str]}:
        against the first region the photograph is inside, else the one it misses least."""
        best = None
        for region in self.regions or [self.limits]:
            result = self._against(region, stats)
            if not result["outside"]:
                return result
            if best is None or len(result["reasons"]) < len(best["reasons"]):
                best = result
        return best

    def _against(self, region: dict, stats: dict) -> dict:
        checks, reasons, not_checked, combined = {}, [], [], []
        for name, (side, words, advice) in CHECKS.items():
            limit = region.get(name)
            value = _as_seen(name, stats.get(name))
            if limit is None:
                continue
            if value is None:
                why = "the file has no JPEG quantization tables (it is not a JPEG)" if name == "jpeg_quality" else "it could not be measured"
                not_checked.append(f"{name.replace('_', ' ')}: not checked, {why}")
                continue
            bound = float(_as_seen(name, limit[side]))
            outside = _beyond(value, bound, side)
            checks[name] = {"value": float(value), side: bound, "ok": not outside}
            if not outside:
                continue
            widest = float(_as_seen(name, self.limits.get(name, limit)[side]))
            if _beyond(value, widest, side):
                reasons.append(f"This photograph is {words} than any photograph this model was validated on "
                               f"({_format(name, value)}; validated {'from' if side == 'low' else 'up to'} {_format(name, widest)}): {advice}.")
            else:
                combined.append((words, advice))
        if combined and not reasons:
            reasons.append(f"This photograph is {' and '.join(words for words, _ in combined)} at once: this model was validated on "
                           f"photographs with each of these alone, never together: {combined[0][1]}.")
        return {"outside": bool(reasons), "reasons": reasons, "checks": checks, "not_checked": not_checked}


def _beyond(value: float, bound: float, side: str) -> bool:
    return value < bound * (1 - MARGIN) if side == "low" else value > bound * (1 + MARGIN)


def fit(stats: list[dict], labels, *, widened: dict[str, list[tuple[dict, int]]] | None = None) -> Envelope | None:
    """The envelope of these training images' statistics (labels 1 = forged), widened by
    `widened` ({change name: [(statistics of a re-photograph, its label)]}, only changes measured
    robust). On each side that loses information the limit is where BOTH labels were still seen:
    a photograph softer than every authentic training photograph but not than every forgery
    would otherwise be judged by its softness alone. None without images of both labels."""
    labels = [int(v) for v in labels]
    if not stats or len(set(labels)) < 2:
        return None
    training = list(zip(stats, labels))
    groups = widened or {}
    regions = [_limits(training)] + [_limits(training + list(groups[name])) for name in sorted(groups)]
    return Envelope(_limits(training + [pair for name in sorted(groups) for pair in groups[name]]), len(stats), sorted(groups),
                    regions if groups else [])


def _limits(pool: list[tuple[dict, int]]) -> dict:
    limits = {}
    for name, (side, _, _) in CHECKS.items():
        per_label = []
        for value in (0, 1):
            values = np.asarray([_as_seen(name, s[name]) for s, label in pool if label == value and s.get(name) is not None], dtype=np.float64)
            if len(values):
                per_label.append(values.min() if side == "low" else values.max())
        if len(per_label) == 2:
            limits[name] = {side: round(float(max(per_label) if side == "low" else min(per_label)), 6)}
    return limits
