"""The photograph every class goes through, so no global statistic (colour, brightness,
sharpness) tells the classes apart: one `photograph`, with the ranges of one `Camera` (standard)
or of a wider range of cameras and conditions (hard)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter


@dataclass(frozen=True)
class Camera:
    """The ranges a photograph draws from: canvas weave period (px) and strength, where the light
    is brightest (fraction of the side) and how fast it falls off, a tone curve's gamma (None: no
    curve), exposure, white balance per channel, offset, sensor noise sd, and the share of shots
    out of focus with their blur (px)."""

    weave_period: tuple[float, float]
    weave: tuple[float, float]
    centre: tuple[float, float]
    falloff: tuple[float, float]
    tone: tuple[float, float] | None
    exposure: tuple[float, float]
    white_balance: tuple[float, float]
    offset: float
    noise: tuple[float, float]
    blurred_share: float
    blur: tuple[float, float]


EVERYDAY = Camera((3, 6), (0.0, 0.03), (0.2, 0.8), (0.05, 0.25), None, (0.88, 1.12), (0.93, 1.07), 12, (1, 4), 0.4, (0.3, 1.0))
VARIED = Camera((3, 7), (0.0, 0.04), (0.1, 0.9), (0.05, 0.35), (0.85, 1.2), (0.8, 1.2), (0.9, 1.1), 15, (1, 7), 0.5, (0.3, 1.3))


def photograph(image: Image.Image, rng: np.random.Generator, camera: Camera = EVERYDAY) -> Image.Image:
    """The same camera for every class: weave, uneven light, (tone curve,) exposure, white
    balance, sensor noise, and for some shots focus blur or camera shake."""
    pixels = np.asarray(image, dtype=np.float32)
    height, width = pixels.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    weave_period = rng.uniform(*camera.weave_period)
    weave = np.sin(xx * 2 * math.pi / weave_period) * np.sin(yy * 2 * math.pi / weave_period)
    pixels *= (1 + rng.uniform(*camera.weave) * weave)[..., None]
    cx, cy = rng.uniform(*camera.centre) * width, rng.uniform(*camera.centre) * height
    falloff = 1 - rng.uniform(*camera.falloff) * (((xx - cx) / width) ** 2 + ((yy - cy) / height) ** 2)
    pixels *= falloff[..., None]
    if camera.tone is not None:
        pixels = 255 * (pixels.clip(0, 255) / 255) ** rng.uniform(*camera.tone)
    pixels = pixels * rng.uniform(*camera.exposure) * rng.uniform(*camera.white_balance, 3) + rng.uniform(-camera.offset, camera.offset)
    pixels += rng.normal(0, rng.uniform(*camera.noise), pixels.shape)
    photo = Image.fromarray(pixels.clip(0, 255).astype(np.uint8))
    if rng.random() < camera.blurred_share:
        photo = photo.filter(ImageFilter.GaussianBlur(rng.uniform(*camera.blur)))
    return photo


def photograph_varied(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A wider range of cameras and conditions (the hard difficulty)."""
    return photograph(image, rng, VARIED)
