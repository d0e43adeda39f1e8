"""Every figure of a run (AUC, F1, accuracy, ECE, …) is rounded here and nowhere else, so the run
page, the compare page, the model card and its API show the same digits for the same run.

Rounding twice disagrees: the card once kept 4 decimals and its page then rounded those to 3
(F1 0.91849 → 0.9185 → 0.919) while the run page rounded the stored value once (0.918).
"""
from __future__ import annotations

DECIMALS = 3


def metric(value) -> float | None:
    """The figure as a number rounded for people (API clients get the same digits)."""
    return None if value is None else round(float(value), DECIMALS)


def metric_text(value, missing: str = "") -> str:
    """"0.918"; `missing` for a figure that was not measured."""
    rounded = metric(value)
    return missing if rounded is None else f"{rounded:.{DECIMALS}f}"


def mean_std_text(mean, std) -> str:
    """"0.918 ± 0.012", "0.918" without a spread, "–" when not measured."""
    if mean is None:
        return "–"
    return f"{metric_text(mean)} ± {metric_text(std)}" if std is not None else metric_text(mean)
