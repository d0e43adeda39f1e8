"""Image checks, preprocessing and the patch grid, shared by training (Workflow B) and
detection (Workflow A) so the model sees patches made the same way in both.

Preprocessing: verify the file is a real, complete, single-frame image within the pixel limit;
apply the EXIF orientation; drop all metadata (EXIF, GPS, ICC, XMP) by copying pixels only;
convert to 8-bit RGB (alpha composited on white; CMYK, LAB and YCbCr through Pillow's colour
conversions; high-bit-depth greyscale by its actual range, see `high_bit_to_l`); shrink so the
long side is at most 2048 px; enlarge only if the short side is under one patch (224 px; the
detection upload refuses such images instead, docs/detection.md "Images refused before scoring").

Texture (`texture_problem`): an image with too little texture to show brushwork (blank, uniform,
near-uniform) is refused before scoring: the model has nothing to read there, and on such input
its score is an extrapolation (a solid black frame scored 100). Measured on the picture reduced
to the context grid's size (long side 896 px): the share of 28 px blocks (an eighth of a patch)
whose grey levels vary by a standard deviation of at least TEXTURE_MIN_STD (2 of 255). Below
TEXTURE_MIN_SHARE (10 %) of the picture, the image is refused.

Resolution (`low_resolution`): at or under CONTEXT_LONG_SIDE on the long side, the context grid
is already at full resolution and no finer detail grid exists: each patch spans a quarter or more
of the work, too coarse for brushwork. Such results carry a warning.

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
import re
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from artguard.errors import DomainError

try:  # HEIC/HEIF, the iPhone's default format (pillow-heif, requirements.txt)
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_READABLE = True
except ImportError:  # pragma: no cover - the requirement is pinned; kept so a broken install says what to do
    HEIF_READABLE = False

PATCH_SIZE = 224
CONTEXT_LONG_SIDE = 896
# How far a photograph smaller than CONTEXT_LONG_SIDE is enlarged for the context grid, so that
# its patches cover the same share of the work as a larger one's. 1.0: never. Enlarging up to 2x
# was measured and not adopted: the enlargement's softness became a camera cue of its own, and
# more held-out works were judged wrong (bench/results/capture_scale_seed1.json against
# capture_default_seed1.json).
CONTEXT_MAX_UPSCALE = 1.0
DETAIL_GRID = 4
MAX_SIDE = 2048
TEXTURE_BLOCK = PATCH_SIZE // 8
TEXTURE_MIN_STD = 2.0
TEXTURE_MIN_SHARE = 0.10
TOO_LITTLE_TEXTURE = (
    "The image shows too little texture to analyse ({share:.0%} of it has visible detail; at least "
    "{minimum:.0%} is needed): it looks blank or nearly uniform. Photograph the painted surface itself, "
    "in focus and evenly lit."
)
LOW_RESOLUTION_WARNING = (
    "This photograph is {width}×{height} pixels. At {threshold} px or less on the long side, each 224 px "
    "patch spans a quarter or more of the work, too coarse to show brushwork: the score rests on composition "
    "and colour more than on the painted surface. A sharper, larger photograph gives a better-founded result."
)
HIGH_BIT_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff", "HEIF": "image/heif"}
EXTENSIONS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".webp": "WEBP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".heic": "HEIF",
    ".heif": "HEIF",
}
EXTENSION_FOR_FORMAT = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "TIFF": ".tif", "HEIF": ".heic"}  # how an original is stored
FORMAT_WORDS = "JPEG, PNG, WebP, TIFF or HEIC"
HEIF_HOW_TO_CONVERT = ("HEIC photos cannot be read on this server; export the photo as JPEG (on an iPhone: Settings > Camera > "
                       "Formats > Most Compatible, or share it as JPEG) and upload that.")


class ImageRejected(DomainError, ValueError):
    """The file cannot be analysed; the message is written for the person who sent it."""

    field = "file"


@dataclass(frozen=True)
class ImageCheck:
    format: str
    content_type: str
    width: int
    height: int
    note: str = ""  # said beside the upload, never a refusal: a file named .heic that holds a JPEG


@dataclass(frozen=True)
class Patch:
    x: int
    y: int
    width: int
    height: int
    scale: float
    image: Image.Image


def check_image(data: bytes, *, filename: str = "", max_pixels: int = 80_000_000, min_side: int = 64,
                require_texture: bool = False) -> ImageCheck:
    """Reject anything that is not a complete, single-frame JPEG/PNG/WebP/TIFF of sane size
    (and, with `require_texture`, anything too blank to show brushwork: `texture_problem`)."""
    texture = None
    if not data:
        raise ImageRejected("The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt, (width, height) = probe.format, probe.size
                frames = getattr(probe, "n_frames", 1)
                if width * height > max_pixels:
                    raise ImageRejected(_too_many_pixels(f"{width}×{height} pixels", width * height, max_pixels))
                probe.verify()
            with Image.open(io.BytesIO(data)) as full:
                wants_texture = require_texture and min(width, height) >= min_side
                if wants_texture:
                    _draft_for_texture(full)
                full.load()  # verify() does not decode pixels; a truncated file fails here
                if wants_texture:
                    texture = texture_problem(full)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        declared = re.search(r"\((\d+) pixels\)", str(error))
        pixels = int(declared.group(1)) if declared else 0
        raise ImageRejected(_too_many_pixels("declared as far larger", pixels, max_pixels)) from None
    except UnidentifiedImageError:
        suffix = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
        if suffix in (".heic", ".heif") and not HEIF_READABLE:
            raise ImageRejected(HEIF_HOW_TO_CONVERT) from None
        raise ImageRejected(f"The file is not an image ArtGuard can read ({FORMAT_WORDS}).") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageRejected(f"The image is damaged or truncated ({error}).") from None
    if fmt not in ALLOWED_FORMATS:
        raise ImageRejected(f"{fmt} images are not accepted; use {FORMAT_WORDS}.")
    if frames > 1:
        raise ImageRejected("Animated or multi-page images are not accepted; upload a single still photograph.")
    if min(width, height) < min_side:
        why = f": the model reads the work in {PATCH_SIZE} px patches and enlarging would invent the detail" if min_side >= PATCH_SIZE else ""
        raise ImageRejected(f"The image is {width}×{height} pixels; at least {min_side} px on each side is needed{why}.")
    suffix = ("." + filename.rsplit(".", 1)[-1].lower()) if "." in filename else ""
    note = ""
    if suffix and EXTENSIONS.get(suffix) != fmt:  # read by its content, whatever its name says
        note = f"The file is named {suffix} but holds a {fmt} image; it was read as {fmt}."
    if texture:
        raise ImageRejected(texture)
    return ImageCheck(format=fmt, content_type=ALLOWED_FORMATS[fmt], width=width, height=height, note=note)


def _too_many_pixels(size: str, pixels: int, max_pixels: int) -> str:
    """The pixel limit in plain words (never "decompression bomb": that is not for the sender)."""
    has = f"; this one has {_megapixels(pixels)}" if pixels else ""
    return (f"The image is {size}: ArtGuard accepts at most {_megapixels(max_pixels)} megapixels{has}. "
            "Upload a smaller export of the photograph.")


def _megapixels(pixels: int) -> str:
    value = pixels / 1_000_000
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}".removesuffix(".0")


def high_bit_to_l(image: Image.Image) -> Image.Image:
    """8-bit greyscale from a 16-bit, 32-bit integer or float image, by the range its values use.

    Non-negative values are read as n-bit data with the smallest n >= 8 that holds the largest
    value (a 16-bit file holding 0-255 stays as it is; 12-bit sensor data is divided by 16, full
    16-bit data by 257), so brightness keeps its meaning. Floats within 0..1 are unit intensities.
    Signed data has no natural black and is stretched from its minimum to its maximum."""
    values = np.asarray(image, dtype=np.float64)
    values = np.where(np.isfinite(values), values, 0.0)
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if low < 0:
        span = high - low
        scaled = (values - low) * (255.0 / span) if span > 0 else np.zeros_like(values)
    elif image.mode == "F" and high <= 1.0:
        scaled = values * 255.0
    else:
        bits = max(8, math.ceil(math.log2(high + 1))) if high > 0 else 8
        scaled = values * (255.0 / (2 ** bits - 1))
    return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), "L")


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in HIGH_BIT_MODES:
        image = high_bit_to_l(image)
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def preprocess(data: bytes, *, max_side: int = MAX_SIDE) -> Image.Image:
    """Decoded, oriented, metadata-free 8-bit RGB image with long side at most `max_side`."""
    with Image.open(io.BytesIO(data)) as opened:
        ImageOps.exif_transpose(opened, in_place=True)
        clean = _to_rgb(opened)  # always a new image (convert() copies even an RGB one)
    # Nothing of the file's metadata survives: a converted image carries only `info`, and no
    # EXIF object (that lives on the opened file). Two fewer 9 MB copies than rebuilding it.
    clean.info = {}
    long_side, short_side = max(clean.size), min(clean.size)
    if long_side > max_side:
        ratio = max_side / long_side
        clean = clean.resize((max(1, round(clean.width * ratio)), max(1, round(clean.height * ratio))), Image.Resampling.LANCZOS)
    elif short_side < PATCH_SIZE:
        ratio = PATCH_SIZE / short_side
        clean = clean.resize((round(clean.width * ratio), round(clean.height * ratio)), Image.Resampling.BICUBIC)
    return clean


def _draft_for_texture(opened: Image.Image) -> None:
    """Have a colour JPEG decode straight to grey (its luma), which is all the texture check
    reads: no colour conversion, a third of the bytes to copy (bench/results/cpu_paths.json). Full
    size, so the check measures what the module doc says; every byte is still decoded, so
    truncation is still caught."""
    if opened.format == "JPEG":
        opened.draft("L", opened.size)


def texture_share(image: Image.Image) -> float:
    """Share (0..1) of the picture, reduced to the context grid's size, whose TEXTURE_BLOCK px
    blocks vary by at least TEXTURE_MIN_STD grey levels (see the module doc)."""
    grey = image if image.mode == "L" else _to_rgb(image).convert("L")
    if max(grey.size) > CONTEXT_LONG_SIDE:
        grey = grey.copy()
        grey.thumbnail((CONTEXT_LONG_SIDE, CONTEXT_LONG_SIDE), Image.Resampling.BOX)
    values = np.asarray(grey, dtype=np.float32)
    block = min(TEXTURE_BLOCK, *values.shape)  # an image smaller than a block is one block
    rows, cols = values.shape[0] // block, values.shape[1] // block
    blocks = values[: rows * block, : cols * block].reshape(rows, block, cols, block)
    return float(np.mean(blocks.std(axis=(1, 3)) >= TEXTURE_MIN_STD))


def texture_problem(image: Image.Image) -> str | None:
    """The refusal message when the image is too blank to show brushwork, else None."""
    share = texture_share(image)
    if share < TEXTURE_MIN_SHARE:
        return TOO_LITTLE_TEXTURE.format(share=share, minimum=TEXTURE_MIN_SHARE)
    return None


def low_resolution(width: int, height: int) -> bool:
    """True when the patch grid has no detail level finer than its overview (see module doc)."""
    return max(width, height) <= CONTEXT_LONG_SIDE


def low_resolution_warning(width: int, height: int) -> str:
    return LOW_RESOLUTION_WARNING.format(width=width, height=height, threshold=CONTEXT_LONG_SIDE) if low_resolution(width, height) else ""


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
    scale = min(CONTEXT_MAX_UPSCALE, CONTEXT_LONG_SIDE / max(width, height))
    scaled_w, scaled_h = max(PATCH_SIZE, round(width * scale)), max(PATCH_SIZE, round(height * scale))
    for sy in _positions(scaled_h, math.ceil(scaled_h / PATCH_SIZE)):
        for sx in _positions(scaled_w, math.ceil(scaled_w / PATCH_SIZE)):
            boxes.append((round(sx / scale), round(sy / scale), round(PATCH_SIZE / scale), round(PATCH_SIZE / scale), round(scale, 4)))
    if scale < 1.0 and DETAIL_GRID:
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
