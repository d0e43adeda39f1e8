"""The heatmap: patch forgery probabilities painted over the image, with a colour scale.

Each pixel takes the mean probability of the context (coarse) patches covering it; where detail
(scale 1) patches exist, their mean replaces it, so the fine grid sits on top of the coarse one.
Detail patches are outlined so the grid reads. Drawn at display size for speed.
"""
from __future__ import annotations

import io
import zlib

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ALPHA = 0.45
LEGEND_HEIGHT = 38
# Green (unsuspicious) -> yellow -> red (suspicious); 256 entries.
_STOPS = np.array([[26, 152, 80], [254, 224, 77], [215, 48, 39]], dtype=np.float32)


def colour_lut() -> np.ndarray:
    t = np.linspace(0.0, 1.0, 256, dtype=np.float32)[:, None]
    lower = _STOPS[0] + (_STOPS[1] - _STOPS[0]) * np.clip(t * 2, 0, 1)
    upper = _STOPS[1] + (_STOPS[2] - _STOPS[1]) * np.clip(t * 2 - 1, 0, 1)
    return np.where(t <= 0.5, lower, upper)


_LUT = colour_lut()


def _mean_layer(shape: tuple[int, int], boxes: list[tuple[int, int, int, int, float]]) -> np.ndarray:
    total = np.zeros(shape, dtype=np.float32)
    count = np.zeros(shape, dtype=np.float32)
    for x0, y0, x1, y1, p in boxes:
        total[y0:y1, x0:x1] += p
        count[y0:y1, x0:x1] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType
        return ImageFont.load_default()


def render_heatmap(image: Image.Image, patch_scores: list[dict], *, max_side: int = 1280,
                   labelled: list[tuple[dict, str]] = ()) -> Image.Image:
    """`patch_scores`: dicts with x, y, w, h, scale, p in `image` pixels. Returns an RGB image.
    `labelled` patches (the explanation's evidence, e.g. S1..S3, L1..L3) are outlined and tagged
    so the text's citations can be found on the picture."""
    base = image.convert("RGB")
    factor = min(1.0, max_side / max(base.size))
    if factor < 1.0:
        base = base.resize((round(base.width * factor), round(base.height * factor)), Image.Resampling.BILINEAR)
    height, width = base.height, base.width

    def box(patch: dict) -> tuple[int, int, int, int, float]:
        x0, y0 = int(patch["x"] * factor), int(patch["y"] * factor)
        x1 = min(width, int(round((patch["x"] + patch["w"]) * factor)))
        y1 = min(height, int(round((patch["y"] + patch["h"]) * factor)))
        return x0, y0, x1, y1, float(patch["p"])

    coarse = [box(p) for p in patch_scores if float(p["scale"]) < 1.0]
    fine = [box(p) for p in patch_scores if float(p["scale"]) >= 1.0]
    values = _mean_layer((height, width), coarse)
    if fine:
        fine_values = _mean_layer((height, width), fine)
        values = np.where(np.isnan(fine_values), values, fine_values)

    pixels = np.asarray(base, dtype=np.float32)
    covered = ~np.isnan(values)
    indices = np.clip(np.nan_to_num(values, nan=0.0) * 255, 0, 255).astype(np.uint8)
    colours = _LUT[indices]
    blended = np.where(covered[..., None], pixels * (1 - ALPHA) + colours * ALPHA, pixels)
    overlay = Image.fromarray(blended.astype(np.uint8), "RGB")

    draw = ImageDraw.Draw(overlay)
    for x0, y0, x1, y1, _ in fine:
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=(255, 255, 255), width=1)
    font = _font(14)
    for patch, label in labelled:
        x0, y0, x1, y1, _ = box(patch)
        colour = (170, 20, 20) if label.startswith("S") else (20, 110, 50)
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=colour, width=3)
        tag_width = draw.textlength(label, font=font) + 8
        draw.rectangle((x0, y0, x0 + tag_width, y0 + 18), fill=colour)
        draw.text((x0 + 4, y0 + 1), label, fill=(255, 255, 255), font=font)

    canvas = Image.new("RGB", (width, height + LEGEND_HEIGHT), (255, 255, 255))
    canvas.paste(overlay, (0, 0))
    _draw_legend(canvas, top=height)
    return canvas


def _draw_legend(canvas: Image.Image, *, top: int) -> None:
    draw = ImageDraw.Draw(canvas)
    font = _font(12)
    left, right = 10, max(60, canvas.width - 10)
    bar_top, bar_bottom = top + 6, top + 18
    span = max(1, right - left)
    for offset in range(span):
        colour = tuple(int(c) for c in _LUT[int(offset / span * 255)])
        draw.line((left + offset, bar_top, left + offset, bar_bottom), fill=colour)
    draw.text((left, bar_bottom + 2), "0 (less suspicious)", fill=(60, 60, 60), font=font)
    label = "100 (more suspicious)"
    text_width = draw.textlength(label, font=font)
    draw.text((right - text_width, bar_bottom + 2), label, fill=(60, 60, 60), font=font)


def encode_heatmap_png(image: Image.Image) -> bytes:
    # Huffman-only deflate: a third faster than the default for a few percent more bytes.
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1, compress_type=zlib.Z_HUFFMAN_ONLY)
    return buffer.getvalue()
