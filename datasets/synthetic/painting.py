"""Painting: a random composition in a random palette (the underpainting), covered with strokes
in a hand's style along the composition's contours."""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from datasets.synthetic.artists import SUBJECTS, Habits, Hand

def palette(rng: np.random.Generator) -> np.ndarray:
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


def composition(rng: np.random.Generator, width: int, height: int, palette: np.ndarray, *, blur: float) -> np.ndarray:
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


def paint(base: np.ndarray, hand: Hand, rng: np.random.Generator, *, vary: float = 0.15, light: tuple[float, float] | None = None) -> Image.Image:
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


def paint_hard(base: np.ndarray, habits: Habits, rng: np.random.Generator) -> Image.Image:
    hand, light = _hand_for_painting(habits, rng)
    return paint(base, hand, rng, vary=0.0, light=light)
