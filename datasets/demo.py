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
from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

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
DIFFICULTIES = ("standard", "hard")  # keys of RECIPES below


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


def _palette(rng: np.random.Generator) -> np.ndarray:
    """5 RGB colours (0..255) around a random hue scheme, at a random brightness/saturation."""
    hue = rng.uniform(0, 1)
    scheme = rng.choice(["analogous", "complementary", "triad"])
    offsets = {"analogous": [0, 0.05, -0.05, 0.1, -0.08], "complementary": [0, 0.5, 0.04, 0.46, 0.0], "triad": [0, 0.33, 0.66, 0.02, 0.35]}[scheme]
    value, saturation = rng.uniform(0.35, 0.95), rng.uniform(0.2, 0.8)
    colours = []
    for i, offset in enumerate(offsets):
        v = np.clip(value * rng.uniform(0.55, 1.15) + (0.15 if i == 4 else 0), 0.05, 1)
        s = np.clip(saturation * rng.uniform(0.6, 1.2), 0, 1)
        colours.append(_hsv_to_rgb((hue + offset + rng.normal(0, 0.02)) % 1, s, v))
    return np.array(colours) * 255


def _hsv_to_rgb(h: float, s: float, v: float) -> tuple[float, float, float]:
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    return [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]


def _composition(rng: np.random.Generator, width: int, height: int, palette: np.ndarray, *, blur: float) -> np.ndarray:
    """The scene as a smooth colour field (float HxWx3): the underpainting strokes sample from."""
    small_w, small_h = max(32, width // 4), max(32, height // 4)
    colour = [tuple(int(c) for c in palette[i % len(palette)]) for i in range(len(palette))]
    image = Image.new("RGB", (small_w, small_h), colour[0])
    draw = ImageDraw.Draw(image)
    subject = rng.choice(SUBJECTS)
    for band in range(small_h):  # a vertical gradient between two palette colours underneath
        t = band / small_h
        mix = tuple(int(a * (1 - t) + b * t) for a, b in zip(colour[0], colour[1]))
        draw.line([(0, band), (small_w, band)], fill=mix)
    if subject in {"landscape", "seascape"}:
        horizon = int(small_h * rng.uniform(0.35, 0.65))
        points = [(0, small_h)] + [(x, horizon + int(rng.normal(0, small_h * (0.08 if subject == "landscape" else 0.01)))) for x in range(0, small_w + 8, 8)] + [(small_w, small_h)]
        draw.polygon(points, fill=colour[2])
        for _ in range(rng.integers(2, 6)):
            cx, cy, r = rng.uniform(0, small_w), rng.uniform(0, horizon), rng.uniform(3, small_h * 0.15)
            draw.ellipse([cx - r * 1.8, cy - r, cx + r * 1.8, cy + r], fill=colour[4])
        if subject == "seascape":
            for y in range(horizon, small_h, 3):
                draw.line([(0, y), (small_w, y + rng.integers(-1, 2))], fill=colour[3], width=1)
    elif subject == "still_life":
        table = int(small_h * rng.uniform(0.55, 0.75))
        draw.rectangle([0, table, small_w, small_h], fill=colour[2])
        for _ in range(rng.integers(2, 6)):
            cx, r = rng.uniform(0.15, 0.85) * small_w, rng.uniform(0.06, 0.16) * small_h
            draw.ellipse([cx - r, table - 1.6 * r, cx + r, table + 0.4 * r], fill=colour[rng.integers(3, 5)])
    elif subject == "portrait":
        cx, cy = small_w * rng.uniform(0.4, 0.6), small_h * rng.uniform(0.35, 0.5)
        rx, ry = small_w * 0.14, small_h * 0.2
        draw.ellipse([cx - rx * 2.2, cy + ry * 0.8, cx + rx * 2.2, small_h + ry], fill=colour[2])
        draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=colour[4])
        draw.ellipse([cx - rx * 1.05, cy - ry * 1.1, cx + rx * 1.05, cy - ry * 0.2], fill=colour[3])
    else:
        for _ in range(rng.integers(4, 10)):
            x0, y0 = rng.uniform(-0.1, 0.9) * small_w, rng.uniform(-0.1, 0.9) * small_h
            x1, y1 = x0 + rng.uniform(0.1, 0.5) * small_w, y0 + rng.uniform(0.1, 0.5) * small_h
            shape = draw.rectangle if rng.random() < 0.5 else draw.ellipse
            shape([x0, y0, x1, y1], fill=colour[rng.integers(1, 5)])
    image = image.filter(ImageFilter.GaussianBlur(blur)).resize((width, height), Image.Resampling.BICUBIC)
    return np.asarray(image, dtype=np.float32)


def _flow_field(base: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Stroke direction at each pixel: along the composition's contours, with a gentle swirl."""
    lum = base.mean(axis=2)
    small = np.asarray(Image.fromarray(lum.astype(np.uint8)).resize((lum.shape[1] // 8, lum.shape[0] // 8)).filter(ImageFilter.GaussianBlur(2)), dtype=np.float32)
    gy, gx = np.gradient(small)
    h, w = small.shape
    yy, xx = np.mgrid[0:h, 0:w]
    bias = rng.uniform(0, math.pi)
    swirl = bias + 0.6 * np.sin(xx / rng.uniform(6, 14) + rng.uniform(0, 6)) * np.cos(yy / rng.uniform(6, 14))
    strength = np.hypot(gx, gy)
    contour = np.arctan2(gy, gx) + math.pi / 2
    weight = np.clip(strength / (strength.mean() * 2 + 1e-6), 0, 1)
    angle = np.arctan2(weight * np.sin(contour) + (1 - weight) * np.sin(swirl), weight * np.cos(contour) + (1 - weight) * np.cos(swirl))
    return np.asarray(Image.fromarray(angle.astype(np.float32), mode="F").resize((base.shape[1], base.shape[0]), Image.Resampling.BILINEAR))


def _paint(base: np.ndarray, hand: Hand, rng: np.random.Generator, *, vary: float = 0.15, light: tuple[float, float] | None = None) -> Image.Image:
    """Cover the underpainting with strokes in the hand's style (per-image variation `vary`).
    `light` = (mean angle, scatter in radians) replaces the hand's fixed/random light (hard)."""
    height, width = base.shape[:2]
    angle_field = _flow_field(base, rng)
    scale = rng.uniform(1 - vary, 1 + vary)
    length_median, width_mean = hand.length_median * scale, hand.width_mean * rng.uniform(1 - vary, 1 + vary)
    canvas = Image.fromarray(base.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(canvas)
    mean_area = length_median * math.exp(hand.length_sigma ** 2 / 2) * width_mean
    count = int(width * height * hand.coverage / mean_area)
    xs, ys = rng.uniform(0, width, count), rng.uniform(0, height, count)
    lengths = rng.lognormal(math.log(length_median), hand.length_sigma, count)
    widths = np.clip(rng.normal(width_mean, hand.width_sd, count), 2, None)
    noise = rng.normal(0, hand.angle_noise, count)
    bends = rng.normal(0, hand.curvature, count)
    jitter = rng.normal(0, hand.colour_jitter, (count, 3))
    if light is not None:
        lights = light[0] + rng.normal(0, light[1], count)
    else:
        lights = np.full(count, -3 * math.pi / 4) if hand.fixed_light else rng.uniform(-math.pi, math.pi, count)
    bristle_offsets = rng.uniform(-0.35, 0.35, (count, max(1, hand.bristles)))
    bristle_tones = rng.normal(0, 14, (count, max(1, hand.bristles)))
    for i in range(count):
        x, y = xs[i], ys[i]
        colour = base[int(y), int(x)] + jitter[i]
        theta = angle_field[int(y), int(x)] + noise[i]
        length, stroke_width = lengths[i], widths[i]
        points = []
        for step in range(4):  # a gently bent polyline through the centre
            t = step / 3 - 0.5
            phi = theta + bends[i] * t
            points.append((x + math.cos(phi) * length * t, y + math.sin(phi) * length * t))
        lx, ly = math.cos(lights[i]), math.sin(lights[i])
        ridge = hand.impasto * 255 * 0.35
        offset = stroke_width * 0.3
        shadow = tuple(int(c) for c in np.clip(colour - ridge, 0, 255))
        draw.line([(px - lx * offset, py - ly * offset) for px, py in points], fill=shadow, width=max(1, int(stroke_width)))
        draw.line(points, fill=tuple(int(c) for c in np.clip(colour, 0, 255)), width=max(1, int(stroke_width)), joint="curve")
        highlight = tuple(int(c) for c in np.clip(colour + ridge, 0, 255))
        draw.line([(px + lx * offset, py + ly * offset) for px, py in points], fill=highlight, width=max(1, int(stroke_width * 0.3)))
        nx, ny = -math.sin(theta), math.cos(theta)
        for b in range(hand.bristles):
            shift = bristle_offsets[i, b] * stroke_width
            tone = tuple(int(c) for c in np.clip(colour + bristle_tones[i, b], 0, 255))
            draw.line([(px + nx * shift, py + ny * shift) for px, py in points], fill=tone, width=1)
    return canvas


def _jpeg_roundtrip(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=int(quality))
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def _reproduce(painting: Image.Image, rng: np.random.Generator) -> Image.Image:
    """What printing and rescanning does: resampling blur, halftone dots, colour shift, JPEG."""
    width, height = painting.size
    factor = rng.uniform(0.4, 0.65)
    image = painting.resize((int(width * factor), int(height * factor)), Image.Resampling.BILINEAR).resize((width, height), Image.Resampling.BICUBIC)
    pixels = np.asarray(image, dtype=np.float32)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    period = rng.uniform(4.5, 7.5)
    amplitude = rng.uniform(10, 22)
    for channel, angle in enumerate(np.radians([15, 75, 45]) + rng.uniform(0, 0.2)):
        u = (xx * math.cos(angle) + yy * math.sin(angle)) * 2 * math.pi / period
        v = (-xx * math.sin(angle) + yy * math.cos(angle)) * 2 * math.pi / period
        screen = np.cos(u) * np.cos(v)  # a dot lattice per ink, at the classic screen angles
        ink = 1 - pixels[:, :, channel] / 255
        pixels[:, :, channel] -= amplitude * screen * (0.3 + ink)
    grey = pixels.mean(axis=2, keepdims=True)
    pixels = grey + (pixels - grey) * rng.uniform(0.7, 0.95)  # prints lose saturation
    pixels = pixels * rng.uniform(0.9, 1.1, 3) + rng.normal(0, 6, 3)
    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    return _jpeg_roundtrip(image, rng.integers(30, 60))


def _synthesize(base: np.ndarray, rng: np.random.Generator, hand: Hand = HANDS["A"]) -> Image.Image:
    """A generated look-alike: smooth colour field, one brushwork tile (in `hand`) repeated, noise."""
    height, width = base.shape[:2]
    smooth = np.asarray(Image.fromarray(base.clip(0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(3, 8))), dtype=np.float32)
    tile_size = int(rng.integers(48, 112))
    tile_base = np.full((tile_size, tile_size, 3), 128, dtype=np.float32) + rng.normal(0, 20, 3)
    tile = np.asarray(_paint(tile_base, hand, rng), dtype=np.float32)
    texture = tile - tile.mean(axis=(0, 1))
    reps = (height // tile_size + 1, width // tile_size + 1, 1)
    tiled = np.tile(texture, reps)[:height, :width]
    pixels = smooth + tiled * rng.uniform(0.5, 0.9)
    # generators upsample: render at half size and enlarge, leaving soft blocky structure
    half = Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).resize((width // 2, height // 2), Image.Resampling.BILINEAR)
    pixels = np.asarray(half.resize((width, height), Image.Resampling.NEAREST).filter(ImageFilter.GaussianBlur(0.6)), dtype=np.float32)
    pixels += rng.normal(0, rng.uniform(2, 6), pixels.shape)
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def _photograph(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The same camera for every class: weave, uneven light, white balance, sensor noise."""
    pixels = np.asarray(image, dtype=np.float32)
    height, width = pixels.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    weave_period = rng.uniform(3, 6)
    weave = np.sin(xx * 2 * math.pi / weave_period) * np.sin(yy * 2 * math.pi / weave_period)
    pixels *= (1 + rng.uniform(0.0, 0.03) * weave)[..., None]
    cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
    falloff = 1 - rng.uniform(0.05, 0.25) * (((xx - cx) / width) ** 2 + ((yy - cy) / height) ** 2)
    pixels *= falloff[..., None]
    pixels = pixels * rng.uniform(0.88, 1.12) * rng.uniform(0.93, 1.07, 3) + rng.uniform(-12, 12)
    pixels += rng.normal(0, rng.uniform(1, 4), pixels.shape)
    photo = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
    if rng.random() < 0.4:  # slightly out of focus
        photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.0)))
    return photo


# --- difficulty "hard" ------------------------------------------------------------------------


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


def _hand_for_painting(habits: Habits, rng: np.random.Generator) -> tuple[Hand, tuple[float, float]]:
    """This painting's hand and light, drawn around the hand's habits."""
    t = habits.typical

    def drift(value: float) -> float:
        return float(value * math.exp(rng.normal(0, habits.drift)))

    hand = Hand(
        drift(t.length_median), drift(t.length_sigma), drift(t.width_mean), drift(t.width_sd),
        drift(t.angle_noise), drift(t.curvature), drift(t.impasto), True, drift(t.colour_jitter),
        max(1, t.bristles + int(rng.integers(-1, 2))), drift(t.coverage),
    )
    light = (habits.light_angle + rng.normal(0, 0.15), habits.light_scatter * math.exp(rng.normal(0, habits.drift)))
    return hand, light


def _paint_hard(base: np.ndarray, habits: Habits, rng: np.random.Generator) -> Image.Image:
    hand, light = _hand_for_painting(habits, rng)
    return _paint(base, hand, rng, vary=0.0, light=light)


def _reproduce_mild(painting: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A good print of a Hand A painting: slight resampling softness, a faint fine halftone,
    a mild colour shift and a fairly high JPEG quality."""
    width, height = painting.size
    factor = rng.uniform(0.55, 0.75)
    image = painting.resize((int(width * factor), int(height * factor)), Image.Resampling.LANCZOS).resize((width, height), Image.Resampling.BICUBIC)
    pixels = np.asarray(image, dtype=np.float32)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    period = rng.uniform(4.0, 6.5)
    amplitude = rng.uniform(7, 14)
    for channel, angle in enumerate(np.radians([15, 75, 45]) + rng.uniform(0, 0.2)):
        u = (xx * math.cos(angle) + yy * math.sin(angle)) * 2 * math.pi / period
        v = (-xx * math.sin(angle) + yy * math.cos(angle)) * 2 * math.pi / period
        ink = 1 - pixels[:, :, channel] / 255
        pixels[:, :, channel] -= amplitude * np.cos(u) * np.cos(v) * (0.3 + ink)
    grey = pixels.mean(axis=2, keepdims=True)
    pixels = grey + (pixels - grey) * rng.uniform(0.88, 0.99)
    pixels = pixels * rng.uniform(0.96, 1.04, 3) + rng.normal(0, 3, 3)
    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(0.2, 0.5)))
    return _jpeg_roundtrip(image, rng.integers(55, 81))


def _synthesize_hard(base: np.ndarray, rng: np.random.Generator, habits: Habits = HARD_HANDS["A"]) -> Image.Image:
    """A better generated look-alike: a lightly smoothed colour field under brushwork texture
    assembled from several small painted tiles (flipped and rotated at random, so no single tile
    repeats visibly), rendered at reduced size and enlarged, with mild noise."""
    height, width = base.shape[:2]
    smooth = np.asarray(Image.fromarray(base.clip(0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 2.5))), dtype=np.float32)
    tile_size = int(rng.integers(64, 129))
    tiles = []
    for _ in range(int(rng.integers(3, 7))):
        tile_base = np.full((tile_size, tile_size, 3), 128, dtype=np.float32) + rng.normal(0, 20, 3)
        tile = np.asarray(_paint_hard(tile_base, habits, rng), dtype=np.float32)
        tiles.append(tile - tile.mean(axis=(0, 1)))
    rows, cols = height // tile_size + 1, width // tile_size + 1
    mosaic = np.zeros((rows * tile_size, cols * tile_size, 3), dtype=np.float32)
    for r in range(rows):
        for c in range(cols):
            tile = np.rot90(tiles[int(rng.integers(len(tiles)))], int(rng.integers(4)))
            if rng.random() < 0.5:
                tile = tile[:, ::-1]
            mosaic[r * tile_size:(r + 1) * tile_size, c * tile_size:(c + 1) * tile_size] = tile
    pixels = smooth + mosaic[:height, :width] * rng.uniform(0.7, 1.1)
    factor = rng.uniform(0.65, 0.9)
    small = Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).resize((int(width * factor), int(height * factor)), Image.Resampling.BILINEAR)
    pixels = np.asarray(small.resize((width, height), Image.Resampling.BICUBIC), dtype=np.float32)
    pixels += rng.normal(0, rng.uniform(1, 3), pixels.shape)
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def _photograph_varied(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A wider range of cameras and conditions, the same for every class: canvas weave, uneven
    light, exposure and tone curve, white balance, sensor noise, and for some shots focus blur."""
    pixels = np.asarray(image, dtype=np.float32)
    height, width = pixels.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    weave_period = rng.uniform(3, 7)
    weave = np.sin(xx * 2 * math.pi / weave_period) * np.sin(yy * 2 * math.pi / weave_period)
    pixels *= (1 + rng.uniform(0.0, 0.04) * weave)[..., None]
    cx, cy = rng.uniform(0.1, 0.9) * width, rng.uniform(0.1, 0.9) * height
    falloff = 1 - rng.uniform(0.05, 0.35) * (((xx - cx) / width) ** 2 + ((yy - cy) / height) ** 2)
    pixels *= falloff[..., None]
    pixels = 255 * (pixels.clip(0, 255) / 255) ** rng.uniform(0.85, 1.2)  # tone curve
    pixels = pixels * rng.uniform(0.8, 1.2) * rng.uniform(0.9, 1.1, 3) + rng.uniform(-15, 15)
    pixels += rng.normal(0, rng.uniform(1, 7), pixels.shape)
    photo = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
    if rng.random() < 0.5:  # out of focus or camera shake
        photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.3)))
    return photo


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
    "standard": _Recipe(HANDS, _paint, _reproduce, _synthesize, _photograph, (), (82, 96)),
    "hard": _Recipe(HARD_HANDS, _paint_hard, _reproduce_mild, _synthesize_hard, _photograph_varied, (1,), (70, 96)),
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
    palette = _palette(rng)
    base = _composition(rng, width, height, palette, blur=rng.uniform(1.5, 3.5))
    if sublabel == "original":
        image = recipe.paint(base, recipe.hands[own], rng)
    elif sublabel == "imitation":
        image = recipe.paint(base, recipe.hands[imitator], rng)
    elif sublabel == "reproduction":
        image = recipe.reproduce(recipe.paint(base, recipe.hands[own], rng), rng)
    else:
        image = recipe.synthesize(base, rng, recipe.hands[own])
    return recipe.photograph(image, rng), int(rng.integers(*recipe.quality))


def class_counts(count: int) -> dict[str, int]:
    """About half authentic, the rest split evenly over the forged sublabels."""
    forged_each = max(1, count // 2 // len(FORGED_SUBLABELS)) if count >= 4 else (1 if count >= 2 else 0)
    forged = {sublabel: forged_each for sublabel in FORGED_SUBLABELS[: max(0, count - 1)]}
    return {"original": count - sum(forged.values()), **forged}


PARALLEL_FROM = 16  # fewer images are painted in this process: starting workers would cost more


def _paint_file(job: tuple) -> None:
    """Paint one image and save it (top level, so worker processes can run it)."""
    path, sublabel, seed, index, width, height, difficulty, artist = job
    image, quality = make_image(sublabel=sublabel, seed=seed, index=index, width=width, height=height, difficulty=difficulty, artist=artist)
    image.save(path, format="JPEG", quality=quality)


def _run(jobs: list[tuple]):
    """Yield as each job finishes, in order: in worker processes (one per core) when there are
    enough jobs. Painting is pure Python stroke by stroke, so threads would not help."""
    if len(jobs) < PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        for job in jobs:
            yield _paint_file(job)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork: workers start at once and need nothing re-imported (painting uses numpy and PIL only)
    with ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=multiprocessing.get_context("fork")) as pool:
        yield from pool.map(_paint_file, jobs, chunksize=4)


def demo_dataset_write(*, out: Path, seed: int = 7, count: int = 120, width: int = 768, height: int = 576, progress=None,
                       difficulty: str = "standard", artists: tuple[str, ...] = (HAND_A,)) -> list[dict]:
    """Write `count` images per artist, Hand A's under out/authentic/ and out/forged/<sublabel>/
    (another artist's under out/<its slug>/ the same way), plus out/manifest.csv; return the
    manifest rows. Every image is attributed to its artist; actual_creator says who made it. One
    in five images of each class is marked split "test". Images are painted side by side on
    every core; each is deterministic, so the result is the same."""
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)}, not {difficulty!r}")
    out.mkdir(parents=True, exist_ok=True)
    rows, jobs = [], []
    for artist in artists:
        if artist not in DEMO_ARTISTS:
            raise ValueError(f"artist must be one of {', '.join(DEMO_ARTISTS)}, not {artist!r}")
        root = out if artist == HAND_A else out / artist.lower().replace(" ", "-")
        for sublabel, n in class_counts(count).items():
            label = "authentic" if sublabel == "original" else "forged"
            folder = root / "authentic" if label == "authentic" else root / "forged" / sublabel
            folder.mkdir(parents=True, exist_ok=True)
            for index in range(n):
                name = f"{sublabel}_{index:03d}.jpg"
                jobs.append((folder / name, sublabel, seed, index, width, height, difficulty, artist))
                rows.append({
                    "file": (folder / name).relative_to(out).as_posix(),
                    "label": label,
                    "sublabel": sublabel,
                    "attributed_creator": artist,
                    "actual_creator": actual_creator(sublabel, artist),
                    "split": "test" if index % 5 == 4 else "train",
                })
    for done, _ in enumerate(_run(jobs), start=1):
        if progress:
            progress(done, len(jobs), rows[done - 1]["file"])
    with open(out / "manifest.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "label", "sublabel", "attributed_creator", "actual_creator", "split"])
        writer.writeheader()
        writer.writerows(rows)
    return rows
