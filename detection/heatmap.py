"""The heatmap: patch forgery probabilities painted over the image, with a colour scale.

Each pixel takes the mean probability of the context (coarse) patches covering it; where detail
(scale 1) patches exist, their mean replaces it, so the fine grid sits on top of the coarse one.
The scale is viridis, whose lightness rises with the value, blended over a grey copy of the
photograph: the fill then reads on a painting of any colour (a red-green scale blended over a
magenta painting left "suspicious" and "clean" at the same lightness, issue 29). Detail patches
are outlined so the grid reads; the explanation's evidence patches are outlined
and tagged in the colour of their own value. Drawn at display size, as a palette image blended in
Pillow's C code (bench/bench_detection.py times it: bench/results/detection.json).
"""
from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ALPHA = 0.5
LEGEND_HEIGHT = 38
RIM = (30, 30, 30)
COLOUR_MAP = "viridis"  # dark violet (unsuspicious) -> teal -> yellow (suspicious); perceptually uniform


def colour_lut() -> np.ndarray:
    """256 RGB rows, 0..255, of COLOUR_MAP."""
    from matplotlib import colormaps  # the colour map module only, not pyplot

    return colormaps[COLOUR_MAP](np.linspace(0.0, 1.0, 256))[:, :3].astype(np.float32) * 255


_LUT = colour_lut()


_PALETTE = np.clip(np.rint(_LUT), 0, 255).astype(np.uint8)  # the LUT as 8-bit RGB
# The fill is a palette image: index i in 0..254 stands for probability i / 254; 255 marks
# pixels no patch covers.
STEPS = 254
NO_VALUE = 255
_FILL_PALETTE = np.vstack([_PALETTE[np.rint(np.arange(STEPS + 1) / STEPS * 255).astype(int)], [[0, 0, 0]]]).astype(np.uint8).tobytes()


def _index(probability: float) -> int:
    return int(np.clip(round(float(probability) * STEPS), 0, STEPS))


def colour_for(probability: float) -> tuple[int, int, int]:
    """The fill's colour for a probability, so outlines and tags read on the same scale."""
    return tuple(int(c) for c in _PALETTE[round(_index(probability) / STEPS * 255)])


def _fill_indices(shape: tuple[int, int], coarse: list, fine: list) -> np.ndarray:
    """Per-pixel palette index: the mean p of the detail (fine) boxes covering a pixel, else of
    the coarse boxes, else NO_VALUE.

    The box edges cut the image into at most (2n+1)^2 cells; means are taken per cell and the
    cells repeated out to pixels, so the cost is in cells, not pixels."""
    height, width = shape
    boxes = coarse + fine
    xs = np.unique(np.clip([0, width, *(b[0] for b in boxes), *(b[2] for b in boxes)], 0, width))
    ys = np.unique(np.clip([0, height, *(b[1] for b in boxes), *(b[3] for b in boxes)], 0, height))

    def layer(layer_boxes: list) -> tuple[np.ndarray, np.ndarray]:
        total = np.zeros((len(ys) - 1, len(xs) - 1))
        count = np.zeros_like(total)
        for x0, y0, x1, y1, p in layer_boxes:
            (cx0, cx1), (cy0, cy1) = np.searchsorted(xs, [x0, x1]), np.searchsorted(ys, [y0, y1])
            total[cy0:cy1, cx0:cx1] += p
            count[cy0:cy1, cx0:cx1] += 1
        return total, count

    (coarse_total, coarse_count), (fine_total, fine_count) = layer(coarse), layer(fine)
    use_fine = fine_count > 0
    total = np.where(use_fine, fine_total, coarse_total)
    count = np.where(use_fine, fine_count, coarse_count)
    cells = np.full(total.shape, NO_VALUE, dtype=np.uint8)
    covered = count > 0
    cells[covered] = np.clip(np.rint(total[covered] / count[covered] * STEPS), 0, STEPS).astype(np.uint8)
    return np.repeat(np.repeat(cells, np.diff(ys), axis=0), np.diff(xs), axis=1)


@functools.lru_cache(maxsize=4)
def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType
        return ImageFont.load_default()


def render_heatmap(image: Image.Image, patch_scores: list[dict], *, max_side: int = 1280,
                   labelled: list[tuple[dict, str]] = (), source_size: tuple[int, int] | None = None) -> Image.Image:
    """`patch_scores`: dicts with x, y, w, h, scale, p in `image` pixels, or in pixels of an image
    of `source_size` of which `image` is a reduced copy (the display copy: no second resize).
    Returns an RGB image.
    `labelled` patches (the explanation's evidence, e.g. S1..S3, L1..L3) are outlined and tagged
    in the colour of their own probability, so the text's citations can be found on the picture
    and an outline never says more (or less) than the fill beneath it."""
    base = image.convert("RGB")
    factor = min(1.0, max_side / max(base.size))
    if source_size:
        factor, max_side = base.width / source_size[0], max(base.size)
    if factor < 1.0 and max(base.size) > max_side:
        base = base.resize((round(base.width * factor), round(base.height * factor)), Image.Resampling.BILINEAR, reducing_gap=2.0)
    height, width = base.height, base.width

    def box(patch: dict) -> tuple[int, int, int, int, float]:
        x0, y0 = int(patch["x"] * factor), int(patch["y"] * factor)
        x1 = min(width, int(round((patch["x"] + patch["w"]) * factor)))
        y1 = min(height, int(round((patch["y"] + patch["h"]) * factor)))
        return x0, y0, x1, y1, float(patch["p"])

    coarse = [box(p) for p in patch_scores if float(p["scale"]) < 1.0]
    fine = [box(p) for p in patch_scores if float(p["scale"]) >= 1.0]
    indices = _fill_indices((height, width), coarse, fine)
    fill = Image.fromarray(indices, "P")
    fill.putpalette(_FILL_PALETTE)
    # A colour map and an alpha blend over the photograph in grey, all in Pillow's C code.
    overlay = Image.blend(base.convert("L").convert("RGB"), fill.convert("RGB"), ALPHA)
    uncovered = indices == NO_VALUE
    if uncovered.any():  # pixels no patch covers keep the photograph as it is
        overlay = Image.composite(base, overlay, Image.fromarray(uncovered.astype(np.uint8) * 255, "L"))

    draw = ImageDraw.Draw(overlay)
    for x0, y0, x1, y1, _ in fine:
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=(255, 255, 255), width=1)
    font = _font(14)
    for patch, label in labelled:
        x0, y0, x1, y1, p = box(patch)
        colour = colour_for(p)
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=RIM, width=1)  # so it stands out on a fill of its own colour
        draw.rectangle((x0 + 1, y0 + 1, x1 - 2, y1 - 2), outline=colour, width=3)
        draw.rectangle((x0 + 4, y0 + 4, x1 - 5, y1 - 5), outline=RIM, width=1)
        tag_width = draw.textlength(label, font=font) + 8
        draw.rectangle((x0, y0, x0 + tag_width, y0 + 18), fill=colour, outline=RIM)
        draw.text((x0 + 4, y0 + 1), label, fill=_ink_on(colour), font=font)

    canvas = Image.new("RGB", (width, height + LEGEND_HEIGHT), (255, 255, 255))
    canvas.paste(overlay, (0, 0))
    _draw_legend(canvas, top=height)
    return canvas


def _ink_on(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    luminance = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
    return (20, 20, 20) if luminance > 150 else (255, 255, 255)


def _draw_legend(canvas: Image.Image, *, top: int) -> None:
    left, right = 10, max(60, canvas.width - 10)
    bar_top, bar_bottom = top + 6, top + 18
    span = max(1, right - left)
    row = _PALETTE[(np.arange(span) / span * 255).astype(int)]
    canvas.paste(Image.fromarray(np.repeat(row[None], bar_bottom - bar_top + 1, axis=0), "RGB"), (left, bar_top))
    draw = ImageDraw.Draw(canvas)
    font = _font(12)
    draw.text((left, bar_bottom + 2), "0 (less suspicious)", fill=(60, 60, 60), font=font)
    label = "100 (more suspicious)"
    text_width = draw.textlength(label, font=font)
    draw.text((right - text_width, bar_bottom + 2), label, fill=(60, 60, 60), font=font)


def encode_heatmap(image: Image.Image) -> bytes:
    """JPEG, 4:4:4 so the thin coloured outlines and tags keep their colour: the heatmap is a
    photograph under a translucent fill, which JPEG suits: it is several times smaller and
    faster to write than a PNG of the same heatmap."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, subsampling=0)
    return buffer.getvalue()
