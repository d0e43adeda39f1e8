"""The forgeries that are not painted by an imitating hand: prints of a painting (`reproduce`,
a cheap or a good `Print`) and generated look-alikes (`synthesize`, `synthesize_hard`)."""
from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from datasets.synthetic.artists import HANDS, HARD_HANDS, Habits, Hand
from datasets.synthetic.painting import paint, paint_hard


def _jpeg_roundtrip(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=int(quality))
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


@dataclass(frozen=True)
class Print:
    """The ranges one kind of print draws from: how small it is resampled and back, the halftone
    screen's period (px) and strength, the desaturation, the colour gain and offset, the blur
    (px) and the JPEG quality."""

    shrink: tuple[float, float]
    shrink_filter: Image.Resampling
    period: tuple[float, float]
    amplitude: tuple[float, float]
    saturation: tuple[float, float]
    gain: tuple[float, float]
    offset_sd: float
    blur: tuple[float, float]
    quality: tuple[int, int]
    # The cheap print multiplies its screen before scaling it; the same product in another float32
    # order would move a few pixels, and the generated images must stay byte for byte (bench caches).
    screen_first: bool


CHEAP_PRINT = Print((0.4, 0.65), Image.Resampling.BILINEAR, (4.5, 7.5), (10, 22), (0.7, 0.95), (0.9, 1.1), 6, (0.3, 0.8), (30, 60), True)
GOOD_PRINT = Print((0.55, 0.75), Image.Resampling.LANCZOS, (4.0, 6.5), (7, 14), (0.88, 0.99), (0.96, 1.04), 3, (0.2, 0.5), (55, 81), False)


def reproduce(painting: Image.Image, rng: np.random.Generator, kind: Print = CHEAP_PRINT) -> Image.Image:
    """What printing and rescanning does: resampling blur, halftone dots, colour shift, JPEG."""
    width, height = painting.size
    factor = rng.uniform(*kind.shrink)
    image = painting.resize((int(width * factor), int(height * factor)), kind.shrink_filter).resize((width, height), Image.Resampling.BICUBIC)
    pixels = np.asarray(image, dtype=np.float32)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    period = rng.uniform(*kind.period)
    amplitude = rng.uniform(*kind.amplitude)
    for channel, angle in enumerate(np.radians([15, 75, 45]) + rng.uniform(0, 0.2)):
        u = (xx * math.cos(angle) + yy * math.sin(angle)) * 2 * math.pi / period
        v = (-xx * math.sin(angle) + yy * math.cos(angle)) * 2 * math.pi / period
        ink = 1 - pixels[:, :, channel] / 255
        if kind.screen_first:
            screen = np.cos(u) * np.cos(v)  # a dot lattice per ink, at the classic screen angles
            pixels[:, :, channel] -= amplitude * screen * (0.3 + ink)
        else:
            pixels[:, :, channel] -= amplitude * np.cos(u) * np.cos(v) * (0.3 + ink)
    grey = pixels.mean(axis=2, keepdims=True)
    pixels = grey + (pixels - grey) * rng.uniform(*kind.saturation)  # prints lose saturation
    pixels = pixels * rng.uniform(*kind.gain, 3) + rng.normal(0, kind.offset_sd, 3)
    image = Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(*kind.blur)))
    return _jpeg_roundtrip(image, rng.integers(*kind.quality))


def reproduce_well(painting: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A good print (the hard difficulty): slight resampling softness, a faint fine halftone, a
    mild colour shift and a fairly high JPEG quality."""
    return reproduce(painting, rng, GOOD_PRINT)


def synthesize(base: np.ndarray, rng: np.random.Generator, hand: Hand = HANDS["A"]) -> Image.Image:
    """A generated look-alike: smooth colour field, one brushwork tile (in `hand`) repeated, noise."""
    height, width = base.shape[:2]
    smooth = np.asarray(Image.fromarray(base.clip(0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(3, 8))), dtype=np.float32)
    tile_size = int(rng.integers(48, 112))
    tile_base = np.full((tile_size, tile_size, 3), 128, dtype=np.float32) + rng.normal(0, 20, 3)
    tile = np.asarray(paint(tile_base, hand, rng), dtype=np.float32)
    texture = tile - tile.mean(axis=(0, 1))
    reps = (height // tile_size + 1, width // tile_size + 1, 1)
    tiled = np.tile(texture, reps)[:height, :width]
    pixels = smooth + tiled * rng.uniform(0.5, 0.9)
    # generators upsample: render at half size and enlarge, leaving soft blocky structure
    half = Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).resize((width // 2, height // 2), Image.Resampling.BILINEAR)
    pixels = np.asarray(half.resize((width, height), Image.Resampling.NEAREST).filter(ImageFilter.GaussianBlur(0.6)), dtype=np.float32)
    pixels += rng.normal(0, rng.uniform(2, 6), pixels.shape)
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def synthesize_hard(base: np.ndarray, rng: np.random.Generator, habits: Habits = HARD_HANDS["A"]) -> Image.Image:
    """A better generated look-alike: a lightly smoothed colour field under brushwork texture
    assembled from several small painted tiles (flipped and rotated at random, so no single tile
    repeats visibly), rendered at reduced size and enlarged, with mild noise."""
    height, width = base.shape[:2]
    smooth = np.asarray(Image.fromarray(base.clip(0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 2.5))), dtype=np.float32)
    tile_size = int(rng.integers(64, 129))
    tiles = []
    for _ in range(int(rng.integers(3, 7))):
        tile_base = np.full((tile_size, tile_size, 3), 128, dtype=np.float32) + rng.normal(0, 20, 3)
        tile = np.asarray(paint_hard(tile_base, habits, rng), dtype=np.float32)
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
