"""A synthetic, deterministic demo dataset of painting-like images (numpy + PIL, offline).

Nothing here is a real painting. Every image is built from a random composition (landscape,
seascape, still life, portrait, abstract) in a random palette and brightness, then painted by
one of two synthetic "hands" or generated another way:

- authentic (sublabel "original"), "Demo Hand A": directional strokes that follow the
  composition's contours with little angular scatter, medium length (lognormal around 30 px),
  slim (about 5 px), impasto lit consistently from the upper left, bristle streaks inside each
  stroke;
- forged / "imitation", "Demo Hand B": a close palette but other stroke statistics: shorter,
  wider, more scattered and more curved strokes, weaker impasto lit from random sides;
- forged / "reproduction": a Hand A painting degraded the way a printed copy is: resampling
  blur, a rotated halftone dot screen per channel, a colour shift and low-quality JPEG;
- forged / "synthetic": a generated look-alike: smooth gradients, a small brushwork tile
  repeated across the picture, upsampling artefacts and noise.

Every class then goes through the same "photograph": canvas weave, uneven lighting, white
balance, sensor noise and JPEG, with per-image strengths, so no single global statistic (mean
colour, brightness, sharpness) separates the classes; the differences are in local texture.

Difficulty. `make_image(..., difficulty=...)` and `demo_dataset_write(..., difficulty=...)`:
"standard" (the default) is the set above, byte for byte as it always was; the linear probe below
separates it perfectly (image AUC 1.000 on seed 1), so it is a smoke test, not a yardstick.
"hard" is for comparing models where a small change can show: a standardized logistic
regression on the pooled patch embeddings reaches an image AUC of about 0.92 (mean of seeds
1-3; bench/hard_set.py measures it, docs/datasets.md has the figures). Three principles, none
aimed at a particular classifier: the forger is competent (every forged class is a modest shift
from the authentic one, not a different style); the artist is not a machine (each painting
draws its own stroke statistics around the hand's habits, so authentic works vary and the
classes overlap); the camera does not help (one wider range of photographs for every class).
The differences stay in local brushwork and print or generator texture, not in a global colour
statistic. Per class:

- every hand is a `Habits`: a typical `Hand`, a lognormal painting-to-painting drift (sd 0.12)
  of each continuous statistic, bristle count +-1, and a light direction (+-0.15 rad per
  painting) with a stroke-to-stroke scatter; Hand A is "standard"'s Hand A with its light
  scattered by 0.15 rad;
- "imitation", Hand B: length median 25 px (A: 30), width 5.9 px (5.0), angular scatter 0.27
  rad (0.18), curvature 0.25 rad (0.15), impasto 0.17 (0.22), colour jitter 8.5 (7), its light
  0.3 rad off Hand A's and scattered 0.45 rad (0.15); "standard"'s Hand B is much further away
  (19 px, 7.5 px, 0.5, 0.4, light from anywhere);
- "reproduction", a good print of a hard Hand A painting: resampled to 55-75 % and back (standard
  40-65 %), a finer and weaker halftone (period 4-6.5 px, amplitude 7-14; standard 4.5-7.5 px,
  10-22), 1-12 % desaturation, colour gain +-4 %, blur 0.2-0.5 px, JPEG quality 55-80 (30-60);
- "synthetic", a less smooth look-alike: the colour field blurred 0.8-2.5 px (standard 3-8),
  texture from 3-6 painted tiles picked, rotated and flipped at random per cell (no single
  repeating tile), rendered at 65-90 % size and enlarged bicubically (standard: half size,
  nearest neighbour), noise sd 1-3;
- the photograph, the same for every class: canvas weave up to 4 %, uneven light up to 35 %,
  a tone curve (gamma 0.85-1.2), exposure 0.8-1.2, white balance +-10 % per channel, offset
  +-15, sensor noise sd 1-7, focus blur 0.3-1.3 px for half the shots, JPEG quality 70-95.

Hard images draw from their own random stream ([seed, index, sublabel code, 1]), so nothing here
changes "standard" output.
"""
from datasets.synthetic.artists import (
    ACTUAL_CREATOR,
    DEMO_ARTISTS,
    DIFFICULTIES,
    FORGED_SUBLABELS,
    HAND_A,
    HAND_C,
    HANDS,
    HARD_HANDS,
    SUBJECTS,
    SUBLABEL_CODES,
    Habits,
    Hand,
    actual_creator,
)
from datasets.synthetic.dataset import PARALLEL_FROM, class_counts, demo_dataset_write
from datasets.synthetic.recipes import RECIPES, make_image

__all__ = [
    "ACTUAL_CREATOR", "DEMO_ARTISTS", "DIFFICULTIES", "FORGED_SUBLABELS", "HAND_A", "HAND_C", "HANDS", "HARD_HANDS",
    "PARALLEL_FROM", "RECIPES", "SUBJECTS", "SUBLABEL_CODES", "Habits", "Hand", "actual_creator", "class_counts",
    "demo_dataset_write", "make_image",
]
