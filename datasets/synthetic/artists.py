"""The demo's invented painters: their names, who really made each class of image, and each
hand's stroke statistics (`Hand`; `Habits` for the hard difficulty, a Hand that drifts from one
painting to the next)."""
from __future__ import annotations

import math
from dataclasses import dataclass

HAND_A = "Demo Hand A"
HAND_C = "Demo Hand C"
# The demo's painters, each with its own imitator: canonical name -> (its hand, its imitator's hand)
# (keys of HANDS / HARD_HANDS). The first is the one-artist demo of old, unchanged byte for byte.
DEMO_ARTISTS = {HAND_A: ("A", "B"), HAND_C: ("C", "D")}
ACTUAL_CREATOR = {
    "original": HAND_A,
    "imitation": "Demo Hand B",
    "reproduction": "Demo print workshop",
    "synthetic": "Demo image generator",
}


def actual_creator(sublabel: str, artist: str = HAND_A) -> str:
    if sublabel == "original":
        return artist
    if sublabel == "imitation":
        return f"Demo Hand {DEMO_ARTISTS[artist][1]}"
    return ACTUAL_CREATOR[sublabel]


FORGED_SUBLABELS = ("imitation", "reproduction", "synthetic")
SUBJECTS = ("landscape", "seascape", "still_life", "portrait", "abstract")
SUBLABEL_CODES = {"original": 0, "imitation": 1, "reproduction": 2, "synthetic": 3}
DIFFICULTIES = ("standard", "hard")  # keys of datasets.synthetic.recipes.RECIPES


@dataclass(frozen=True)
class Hand:
    length_median: float  # px
    length_sigma: float  # lognormal sigma
    width_mean: float
    width_sd: float
    angle_noise: float  # radians of scatter around the flow field
    curvature: float  # radians of bend along a stroke
    impasto: float  # strength of highlight/shadow ridges
    fixed_light: bool  # light from one side on every stroke
    colour_jitter: float
    bristles: int  # streaks drawn inside each stroke
    coverage: float  # painted area / canvas area


HANDS = {
    "A": Hand(30, 0.35, 5.0, 1.1, 0.18, 0.15, 0.22, True, 7, 2, 1.5),
    "B": Hand(19, 0.55, 7.5, 2.4, 0.50, 0.40, 0.12, False, 11, 1, 1.4),
    # Hand C: short broad dabs in scattered directions, strong impasto lit from one side; its
    # imitator D: longer, slimmer, more curved dabs, weaker impasto, light from anywhere.
    # (Each paints about as many strokes per canvas as Hand A: coverage / (length x width).)
    "C": Hand(17, 0.30, 8.5, 1.2, 0.90, 0.05, 0.30, True, 5, 3, 1.4),
    "D": Hand(22, 0.45, 6.5, 1.8, 0.70, 0.25, 0.16, False, 9, 1, 1.3),
}


@dataclass(frozen=True)
class Habits:
    """A hand as the hard difficulty paints it: its typical stroke statistics (`typical`), how far
    each continuous statistic drifts from one painting to the next (lognormal sd `drift`), and its
    light: mean direction of the impasto highlight and the scatter of that direction between the
    strokes of one painting."""

    typical: Hand
    drift: float
    light_angle: float
    light_scatter: float


HARD_HANDS = {
    "A": Habits(HANDS["A"], 0.12, -3 * math.pi / 4, 0.15),
    "B": Habits(Hand(25, 0.42, 5.9, 1.4, 0.27, 0.25, 0.17, True, 8.5, 2, 1.5), 0.12, -3 * math.pi / 4 + 0.3, 0.45),
    "C": Habits(HANDS["C"], 0.12, math.pi / 4, 0.15),
    "D": Habits(Hand(19, 0.38, 7.5, 1.5, 0.80, 0.15, 0.22, True, 7, 2, 1.4), 0.12, math.pi / 4 + 0.3, 0.45),
}
