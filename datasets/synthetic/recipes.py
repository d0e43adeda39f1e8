"""One demo image: a difficulty's recipe (who paints, how prints and look-alikes are made, which
camera) applied on a random stream of its own."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from datasets.synthetic.artists import DEMO_ARTISTS, DIFFICULTIES, HAND_A, HANDS, HARD_HANDS, SUBLABEL_CODES
from datasets.synthetic.camera import photograph, photograph_varied
from datasets.synthetic.copies import reproduce, reproduce_well, synthesize, synthesize_hard
from datasets.synthetic.painting import composition, paint, paint_hard, palette


@dataclass(frozen=True)
class _Recipe:
    """How one difficulty paints each class and photographs the result."""

    hands: dict
    paint: object  # (base, hand, rng) -> Image
    reproduce: object  # (painting, rng) -> Image
    synthesize: object  # (base, rng, hand) -> Image
    photograph: object  # (image, rng) -> Image
    stream: tuple  # appended to the rng seed: "hard" has a stream of its own, so "standard" is unchanged
    quality: tuple[int, int]  # JPEG quality range


RECIPES = {
    "standard": _Recipe(HANDS, paint, reproduce, synthesize, photograph, (), (82, 96)),
    "hard": _Recipe(HARD_HANDS, paint_hard, reproduce_well, synthesize_hard, photograph_varied, (1,), (70, 96)),
}


def make_image(*, sublabel: str, seed: int, index: int, width: int = 768, height: int = 576, difficulty: str = "standard",
               artist: str = HAND_A) -> tuple[Image.Image, int]:
    """One demo image for `sublabel` ("original" or a forged sublabel) of `artist` (a key of
    DEMO_ARTISTS: its own work, its imitator's, a print of its work, or a look-alike) and its
    JPEG quality."""
    if difficulty not in RECIPES:
        raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)}, not {difficulty!r}")
    if artist not in DEMO_ARTISTS:
        raise ValueError(f"artist must be one of {', '.join(DEMO_ARTISTS)}, not {artist!r}")
    recipe = RECIPES[difficulty]
    own, imitator = DEMO_ARTISTS[artist]
    artist_stream = () if artist == HAND_A else (list(DEMO_ARTISTS).index(artist) + 10,)  # Hand A's stream as it always was
    rng = np.random.default_rng([seed, index, SUBLABEL_CODES[sublabel], *recipe.stream, *artist_stream])
    if rng.random() < 0.35:  # portrait or landscape format
        width, height = height, width
    colours = palette(rng)
    base = composition(rng, width, height, colours, blur=rng.uniform(1.5, 3.5))
    if sublabel == "original":
        image = recipe.paint(base, recipe.hands[own], rng)
    elif sublabel == "imitation":
        image = recipe.paint(base, recipe.hands[imitator], rng)
    elif sublabel == "reproduction":
        image = recipe.reproduce(recipe.paint(base, recipe.hands[own], rng), rng)
    else:
        image = recipe.synthesize(base, rng, recipe.hands[own])
    return recipe.photograph(image, rng), int(rng.integers(*recipe.quality))
