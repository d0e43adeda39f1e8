"""The verdict policy: thresholds on the calibrated probability, chosen from OUT-OF-FOLD
predictions to meet error-rate targets that staff set, and the error rates measured for them.

Targets (defaults 5% / 5%):
- forged_called_authentic: at most this share of FORGERIES may score below authentic_below
  (and so be called LIKELY_AUTHENTIC);
- authentic_called_forged: at most this share of AUTHENTIC works may score above forged_above
  (and so be called LIKELY_FORGED).

Rule. A side is claimed only where works of that side were actually seen: authentic_below is
just above an observed authentic score, forged_above just below an observed forged score. A
threshold meets its target when the error rate to expect from its validation counts,
(errors + 1) / (n + 2), is within it (`expected_rate`). Of those, the thresholds meeting the
targets with the widest decisive range are the highest authentic_below and the lowest
forged_above. When the two cross (both claims would be within
their targets over an overlap of scores), the overlap is left INCONCLUSIVE: the thresholds are
swapped rather than one silently winning. When classes separate, the gap between them stays
INCONCLUSIVE, so the band is never empty by construction.

A target that no threshold meets leaves that side as None (never a silent 0 or 1): the model
then never gives that verdict, and `statements` says so in plain words, for the run page, the
model's description and every result.
"""
from __future__ import annotations

import math

import numpy as np

from training.ml import aggregate

DEFAULT_TARGETS = {"forged_called_authentic": 0.05, "authentic_called_forged": 0.05}
TARGET_LIMITS = (0.0, 0.5)  # exclusive lower bound, inclusive upper bound
REFERENCE_POINTS = 1000  # out-of-fold (probability, label) pairs kept for operating points
NEAREST = 20  # validation works an operating point is read from
EPSILON = 1e-6

LIKELY_AUTHENTIC, INCONCLUSIVE, LIKELY_FORGED = aggregate.LIKELY_AUTHENTIC, aggregate.INCONCLUSIVE, aggregate.LIKELY_FORGED


class InvalidTargets(ValueError):
    """Targets outside (0, 50%]; the message is meant for staff."""


def clean_targets(targets: dict | None) -> dict:
    """Targets as fractions, checked: each in (0, 0.5]."""
    merged = {**DEFAULT_TARGETS, **{k: v for k, v in (targets or {}).items() if v is not None}}
    out = {}
    for key in DEFAULT_TARGETS:
        try:
            value = float(merged[key])
        except (TypeError, ValueError):
            raise InvalidTargets(f"The {_TARGET_WORDS[key]} target must be a number.") from None
        if not TARGET_LIMITS[0] < value <= TARGET_LIMITS[1] or math.isnan(value):
            raise InvalidTargets(f"The {_TARGET_WORDS[key]} target must be above 0% and at most 50%; got {value * 100:g}%.")
        out[key] = value
    return out


_TARGET_WORDS = {
    "forged_called_authentic": "forgeries called likely authentic",
    "authentic_called_forged": "authentic works called likely forged",
}


def images_needed(targets: dict) -> dict:
    """Per label, the fewest images that can measure its target (one error must be within it):
    the forged target is measured on forgeries, the authentic target on authentic works."""
    return {
        "forged": math.ceil(1 / targets["forged_called_authentic"] - 1e-9),
        "authentic": math.ceil(1 / targets["authentic_called_forged"] - 1e-9),
    }


def score_cut(probability: float) -> str:
    """A threshold on the 0-100 score scale, rounded no further than keeps it inside (0, 100):
    a cut at probability 0.0009 reads "0.1", not a meaningless "below 0"."""
    value = float(probability) * 100
    for decimals in range(4):
        text = f"{value:.{decimals}f}"
        if 0 < float(text) < 100:
            return text
    return f"{value:g}"


def pct(value: float) -> str:
    return f"{value * 100:.0f}%" if abs(value * 100 - round(value * 100)) < 1e-9 else f"{value * 100:.1f}%"


def wilson(count: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson score interval (95% by default) of a rate `count` / `n`; None when n is 0.
    Unlike the normal approximation it stays inside 0..1 and is honest about 0 of 12."""
    if not n:
        return None
    share = count / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def interval_words(count: int, n: int) -> str:
    """"95% interval 0.2–38%" for a rate of `count` in `n`."""
    bounds = wilson(count, n)
    if bounds is None:
        return ""
    return f"95% interval {_pct_loose(bounds[0])}–{_pct_loose(bounds[1])}"


def _pct_loose(value: float) -> str:
    number = value * 100
    if number < 0.05:
        return "0%"
    return f"{number:.1f}%" if number < 1 else f"{number:.0f}%"


WIDE_INTERVAL = 0.30  # an interval wider than 30 points cannot tell a good rate from a poor one
KIND_WORDS = {"proxy": "works by other artists"}


def choose(y_true, probabilities, targets: dict | None = None, sublabels=None) -> dict:
    """The policy for these out-of-fold (label, calibrated probability) pairs; plain values.
    With `sublabels` (one per work), the rate at which each kind of forgery is called likely
    authentic is measured too (`rates["by_kind"]`), with its interval."""
    targets = clean_targets(targets)
    y = np.asarray(y_true, dtype=int)
    p = np.asarray(probabilities, dtype=np.float64)
    forged, authentic = p[y == 1], p[y == 0]
    authentic_below = forged_above = None
    if len(forged) and len(authentic):
        candidates = np.unique(authentic) + EPSILON
        errors = np.searchsorted(np.sort(forged), candidates, side="left")  # forged strictly below t
        meeting = candidates[expected_rate(errors, len(forged)) <= targets["forged_called_authentic"] + 1e-12]
        authentic_below = float(meeting.max()) if len(meeting) else None
        candidates = np.unique(forged) - EPSILON
        errors = len(authentic) - np.searchsorted(np.sort(authentic), candidates, side="right")  # authentic strictly above t
        meeting = candidates[expected_rate(errors, len(authentic)) <= targets["authentic_called_forged"] + 1e-12]
        forged_above = float(meeting.min()) if len(meeting) else None
    if authentic_below is not None and forged_above is not None and authentic_below > forged_above:
        authentic_below, forged_above = forged_above, authentic_below  # the overlap stays INCONCLUSIVE
    policy = {
        "authentic_below": None if authentic_below is None else round(authentic_below, 6),
        "forged_above": None if forged_above is None else round(forged_above, 6),
        "targets": targets,
        "n_authentic": int(len(authentic)),
        "n_forged": int(len(forged)),
    }
    policy["rates"] = measured_rates(y, p, policy)
    if sublabels is not None:
        policy["rates"]["by_kind"] = rates_by_kind(y, p, policy, list(sublabels))
    policy["statements"] = statements(policy)
    policy["reference"] = reference_points(y, p)
    return policy


def expected_rate(errors, n: int):
    """The error rate to expect on new works after `errors` of `n` validation works: the
    posterior mean under a uniform prior, (errors + 1) / (n + 2). The raw share would read 0 of
    20 as 0% and set thresholds right at the edge of the target; this keeps a small margin that
    shrinks as validation data grows."""
    return (np.asarray(errors, dtype=np.float64) + 1) / (n + 2)


def verdict(probability: float, policy: dict) -> str:
    return aggregate.verdict(probability, policy)


def measured_rates(y, p, policy: dict) -> dict:
    """How these (label, probability) pairs fall under `policy`'s thresholds: each error rate as
    count / of, the share decided, and what share of each decisive verdict was wrong."""
    y = np.asarray(y, dtype=int)
    verdicts = np.array([verdict(float(value), policy) for value in np.asarray(p, dtype=np.float64)])
    n_forged, n_authentic = int((y == 1).sum()), int((y == 0).sum())
    fa = int(((verdicts == LIKELY_AUTHENTIC) & (y == 1)).sum())
    af = int(((verdicts == LIKELY_FORGED) & (y == 0)).sum())
    called_authentic, called_forged = int((verdicts == LIKELY_AUTHENTIC).sum()), int((verdicts == LIKELY_FORGED).sum())
    return {
        "forged_called_authentic": {"count": fa, "of": n_forged, "rate": fa / n_forged if n_forged else None},
        "authentic_called_forged": {"count": af, "of": n_authentic, "rate": af / n_authentic if n_authentic else None},
        "decided": {"count": called_authentic + called_forged, "of": int(len(y)), "rate": (called_authentic + called_forged) / len(y) if len(y) else None},
        "called_authentic": {"count": called_authentic, "forged": fa},
        "called_forged": {"count": called_forged, "authentic": af},
    }


def rates_by_kind(y, p, policy: dict, sublabels: list) -> dict:
    """{kind: {"count", "of", "rate", "low", "high"}}: how many forgeries of each sublabel were
    called likely authentic, with the Wilson interval. The hard kinds (imitations) hide in the
    pooled rate."""
    y = np.asarray(y, dtype=int)
    verdicts = np.array([verdict(float(value), policy) for value in np.asarray(p, dtype=np.float64)])
    out = {}
    for kind in sorted({str(s) for s, label in zip(sublabels, y) if label == 1 and s}):
        rows = np.array([label == 1 and str(s) == kind for s, label in zip(sublabels, y)])
        n, count = int(rows.sum()), int((rows & (verdicts == LIKELY_AUTHENTIC)).sum())
        low, high = wilson(count, n)
        out[kind] = {"count": count, "of": n, "rate": count / n, "low": round(low, 4), "high": round(high, 4)}
    return out


# Per verdict side: (threshold key, target/rate key, verdict words, "below"/"above", who errs, who is claimed)
_SIDES = (
    ("authentic_below", "forged_called_authentic", "authentic", "below", "forgeries", "authentic works"),
    ("forged_above", "authentic_called_forged", "forged", "above", "authentic works", "forgeries"),
)


def statements(policy: dict) -> list[str]:
    """What the policy can and cannot say, in plain words (shown wherever the model is)."""
    out = []
    for threshold_key, rate_key, verdict_word, side, erring, claimed in _SIDES:
        target = pct(policy["targets"][rate_key])
        if policy[threshold_key] is None:
            out.append(f"This model cannot call a work likely {verdict_word} at {target} risk: on its validation works, "
                       f"every score range that held {claimed} also held more than {target} of the {erring}.")
        else:
            r = policy["rates"][rate_key]
            interval = interval_words(r["count"], r["of"])
            out.append(f"Likely {verdict_word} {side} {score_cut(policy[threshold_key])}: on validation works, {r['count']} of "
                       f"{r['of']} {erring} ({pct(r['rate'] or 0)}{', ' + interval if interval else ''}) scored there (target at most {target}).")
    if policy.get("authentic_below") is not None:
        out += kind_statements(policy)
    return out


def kind_statements(policy: dict) -> list[str]:
    """Per kind of forgery, how many were called likely authentic, flagged when the rate misses
    the target or the interval is too wide to tell (there are too few of that kind)."""
    target = policy["targets"]["forged_called_authentic"]
    out = []
    for kind, r in (policy.get("rates", {}).get("by_kind") or {}).items():
        words = KIND_WORDS.get(kind, f"{kind} forgeries")
        line = (f"Of {words}, {r['count']} of {r['of']} ({pct(r['rate'])}, {interval_words(r['count'], r['of'])}) "
                "were called likely authentic")
        flags = []
        if r["rate"] > target:
            flags.append(f"above the {pct(target)} target")
        if r["high"] - r["low"] > WIDE_INTERVAL:
            flags.append(f"too few {words} to measure the rate closely")
        out.append(line + (f": {'; '.join(flags)}." if flags else "."))
    return out


def cannot_decide_either(policy: dict | None) -> bool:
    return bool(policy) and policy.get("authentic_below") is None and policy.get("forged_above") is None


def reference_points(y, p, limit: int = REFERENCE_POINTS) -> list[list[float]]:
    """Sorted [probability, label] pairs, thinned evenly to at most `limit`."""
    order = np.argsort(np.asarray(p, dtype=np.float64), kind="mergesort")
    if len(order) > limit:
        order = order[np.linspace(0, len(order) - 1, limit).round().astype(int)]
    return [[round(float(p[i]), 5), int(y[i])] for i in order]


def operating_point(probability: float, reference: list | None, nearest: int = NEAREST) -> dict | None:
    """Of the validation works whose out-of-fold score was closest to `probability`, how many
    were forgeries: {"n", "forged", "share", "low", "high", "text"}; None without a reference."""
    if not reference:
        return None
    values = np.asarray([row[0] for row in reference], dtype=np.float64)
    labels = np.asarray([row[1] for row in reference], dtype=int)
    k = min(nearest, len(values))
    closest = np.argsort(np.abs(values - float(probability)), kind="mergesort")[:k]
    forged = int(labels[closest].sum())
    low, high = float(values[closest].min()), float(values[closest].max())
    text = (f"Of the {k} validation works scored most like this one (scores {low * 100:.0f}–{high * 100:.0f}), "
            f"{forged} ({pct(forged / k)}) were forgeries.")
    return {"n": k, "forged": forged, "share": round(forged / k, 4), "low": round(low, 4), "high": round(high, 4), "text": text}
