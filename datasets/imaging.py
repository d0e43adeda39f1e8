"""Image checks, preprocessing and the patch grid, shared by training (Workflow B) and
detection (Workflow A) so the model sees patches made the same way in both.

Preprocessing: verify the file is a real, complete, single-frame image within the pixel limit;
apply the EXIF orientation; drop all metadata (EXIF, GPS, ICC, XMP) by copying pixels only;
convert to 8-bit RGB (alpha composited on white, CMYK and 16-bit converted); shrink so the long
side is at most 2048 px; enlarge only if the short side is under one patch (224 px).

Patch scheme (documented in README, "Patches"): PATCH_SIZE = 224 px tiles from two grids over
the preprocessed image, at most 32 patches:
  - context grid: the image scaled so its long side is 896 px (scale = 896 / long side, never
    above 1), tiled by 224 px patches evenly spaced to cover it edge to edge (at most 4 x 4);
  - detail grid: full resolution (scale 1), a 4 x 4 (at most) evenly spaced grid of 224 px
    patches, for brushwork and texture; skipped when the context grid is already at scale 1.
Coordinates are always reported in the preprocessed image's pixels.
"""
from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

PATCH_SIZE = 224
CONTEXT_LONG_SIDE = 896
DETAIL_GRID = 4
MAX_SIDE = 2048
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff"}
EXTENSIONS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}


class ImageRejected(ValueError):
    """The file cannot be analysed; the message is written for the person who sent it."""


@dataclass(frozen=True)
class ImageCheck:
    format: str
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class Patch:
    x: int
    y: int
    width: int
    height: int
    scale: float
    image: Image.Image


def check_image(data: bytes, *, filename: str = "", max_pixels: int = 80_000_000, min_side: int = 64) -> ImageCheck:
    """Reject anything that is not a complete, single-frame JPEG/PNG/WebP/TIFF of sane size."""
    if not data:
        raise ImageRejected("The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt, (width, height) = probe.format, probe.size
                frames = getattr(probe, "n_frames", 1)
                if width * height > max_pixels:
                    raise ImageRejected(f"The image is {width}×{height} pixels; the limit is {max_pixels // 1_000_000} megapixels.")
                probe.verify()
            with Image.open(io.BytesIO(data)) as full:
                full.load()  # verify() does not decode pixels; a truncated file fails here
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("The image declares more pixels than ArtGuard accepts (possible decompression bomb).") from None
    except UnidentifiedImageError:
        raise ImageRejected("The file is not an image ArtGuard can read (JPEG, PNG, WebP or TIFF).") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRejected(f"The image is damaged or truncated ({error}).") from None
    if fmt not in ALLOWED_FORMATS:
        raise ImageRejected(f"{fmt} images are not accepted; use JPEG, PNG, WebP or TIFF.")
    if frames > 1:
        raise ImageRejected("Animated or multi-page images are not accepted; upload a single still photograph.")
    if min(width, height) < min_side:
        raise ImageRejected(f"The image is {width}×{height} pixels; at least {min_side} px on each side is needed.")
    suffix = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    if suffix and EXTENSIONS.get(suffix) != fmt:
        raise ImageRejected(f"The file is named {suffix} but contains a {fmt} image.")
    return ImageCheck(format=fmt, content_type=ALLOWED_FORMATS[fmt], width=width, height=height)


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in {"I;16", "I;16B", "I;16L", "I"}:
        # 16-bit greyscale: scale to 8 bits rather than clip.
        image = image.point(lambda value: value * (1 / 257)).convert("L")
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def preprocess(data: bytes, *, max_side: int = MAX_SIDE) -> Image.Image:
    """Decoded, oriented, metadata-free 8-bit RGB image with long side at most `max_side`."""
    with Image.open(io.BytesIO(data)) as opened:
        oriented = ImageOps.exif_transpose(opened)
        rgb = _to_rgb(oriented)
    # A fresh image from the pixels alone: nothing of the file's metadata survives.
    clean = Image.frombytes("RGB", rgb.size, rgb.tobytes())
    long_side, short_side = max(clean.size), min(clean.size)
    if long_side > max_side:
        ratio = max_side / long_side
        clean = clean.resize((max(1, round(clean.width * ratio)), max(1, round(clean.height * ratio))), Image.Resampling.LANCZOS)
    elif short_side < PATCH_SIZE:
        ratio = PATCH_SIZE / short_side
        clean = clean.resize((round(clean.width * ratio), round(clean.height * ratio)), Image.Resampling.BICUBIC)
    return clean


def encode_png(image: Image.Image) -> bytes:
    """Lossless, fast: processed images are the model's input and must not gain JPEG artefacts."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def encode_jpeg(image: Image.Image, *, max_side: int | None = None, quality: int = 85) -> bytes:
    if max_side and max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def _positions(length: int, count: int) -> list[int]:
    """`count` patch origins spread evenly so the patches reach both edges."""
    span = length - PATCH_SIZE
    if count <= 1 or span <= 0:
        return [max(0, span // 2)]
    return [round(i * span / (count - 1)) for i in range(count)]


def patch_grid(width: int, height: int) -> list[tuple[int, int, int, int, float]]:
    """(x, y, w, h, scale) of every patch, in preprocessed-image pixels. Deterministic."""
    boxes = []
    scale = min(1.0, CONTEXT_LONG_SIDE / max(width, height))
    scaled_w, scaled_h = max(PATCH_SIZE, round(width * scale)), max(PATCH_SIZE, round(height * scale))
    for sy in _positions(scaled_h, math.ceil(scaled_h / PATCH_SIZE)):
        for sx in _positions(scaled_w, math.ceil(scaled_w / PATCH_SIZE)):
            boxes.append((round(sx / scale), round(sy / scale), round(PATCH_SIZE / scale), round(PATCH_SIZE / scale), round(scale, 4)))
    if scale < 1.0:
        for y in _positions(height, min(DETAIL_GRID, math.ceil(height / PATCH_SIZE))):
            for x in _positions(width, min(DETAIL_GRID, math.ceil(width / PATCH_SIZE))):
                boxes.append((x, y, PATCH_SIZE, PATCH_SIZE, 1.0))
    return boxes


def extract_patches(image: Image.Image) -> list[Patch]:
    """Cut the preprocessed image into PATCH_SIZE x PATCH_SIZE RGB patches (see module doc)."""
    patches = []
    scaled_cache: dict[float, Image.Image] = {}
    for x, y, w, h, scale in patch_grid(image.width, image.height):
        if scale == 1.0:
            tile = image.crop((x, y, x + PATCH_SIZE, y + PATCH_SIZE))
        else:
            if scale not in scaled_cache:
                size = (max(PATCH_SIZE, round(image.width * scale)), max(PATCH_SIZE, round(image.height * scale)))
                scaled_cache[scale] = image.resize(size, Image.Resampling.LANCZOS)
            sx, sy = round(x * scale), round(y * scale)
            tile = scaled_cache[scale].crop((sx, sy, sx + PATCH_SIZE, sy + PATCH_SIZE))
        patches.append(Patch(x=x, y=y, width=w, height=h, scale=scale, image=tile))
    return patches
