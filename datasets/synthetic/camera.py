"""The photograph every class goes through, so no global statistic (colour, brightness,
sharpness) tells the classes apart: `photograph` (standard) and `photograph_varied` (hard, a
wider range of cameras and conditions)."""
from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageFilter


def photograph(image: Image.Image, rng: np.random.Generator) -> Image.Image:
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


def photograph_varied(image: Image.Image, rng: np.random.Generator) -> Image.Image:
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
