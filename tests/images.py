"""Image bytes for tests, made on the fly."""
import io

import numpy as np
from PIL import Image


def image_bytes(width=640, height=480, *, fmt="JPEG", mode="RGB", seed=0, **save_kwargs) -> bytes:
    rng = np.random.default_rng(seed)
    channels = {"RGB": 3, "RGBA": 4, "CMYK": 4, "L": 1}.get(mode, 3)
    pixels = rng.integers(0, 255, size=(height, width, channels), dtype=np.uint8)
    image = Image.fromarray(pixels.squeeze() if channels == 1 else pixels, mode=None if mode != "CMYK" else None)
    if mode == "CMYK":
        image = Image.fromarray(pixels[:, :, :3]).convert("CMYK")
    elif mode == "RGBA":
        image = Image.fromarray(pixels, "RGBA")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save_kwargs)
    return buffer.getvalue()
