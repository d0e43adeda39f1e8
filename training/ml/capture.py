"""How a photograph was taken, apart from what it shows: capture statistics, capture changes,
and random re-photographs for training copies.

A model trained on photographs can learn the photograph instead of the work: authentic works
often come as clean museum scans and forgeries as rougher auction or police photographs, and
re-compression or resampling then reads as "reproduction". Three tools against that:

- `measure(data)`: statistics of the capture alone (JPEG quality from the quantization tables,
  8x8 blockiness, focus, noise, fine-detail energy, pixel size). Training fits a baseline on
  them in the same folds as the model (training.ml.shortcut): if capture alone separates the
  labels, the run says so. At analysis time they are compared with the range the model was
  validated on (training.ml.capture_check).
- `CHANGES`: a fixed family of re-photographs (re-saved JPEG, tilt, smaller, warmer light,
  exposure, phone-like; and harsh ones: strong blur, 35% size, JPEG 40). Every run scores its
  out-of-fold works under each and reports how many decided verdicts flip (training.ml.robustness);
  bench/bench_capture.py does the same over generator seeds.
- `recapture(image, rng)`: a random re-photograph for training copies (augmentation).

Pure numpy and Pillow; no Django.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image, ImageFilter

# IJG's standard luminance quantization table (ITU T.81, Annex K), natural order.
_IJG_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
], dtype=np.float64)
_ZIGZAG = np.array([
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
    28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
    54, 47, 55, 62, 63,
])
MEASURE_LONG_SIDE = 1024  # statistics are read on the picture at this size, as the patches see it
STATISTICS = ("jpeg_quality", "blockiness", "focus", "fine_detail", "noise", "long_side")


def _ijg_table(quality: int) -> np.ndarray:
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    return np.clip(np.floor((_IJG_LUMA * scale + 50) / 100), 1, 255)


_IJG_TABLES = np.stack([_ijg_table(q) for q in range(1, 101)])


def jpeg_quality(opened: Image.Image) -> float | None:
    """The IJG quality (1-100) whose luminance table is closest to the file's, or None when the
    file is not a JPEG. Tables from other encoders (phones) give the nearest IJG equivalent."""
    tables = getattr(opened, "quantization", None)
    if opened.format != "JPEG" or not tables:
        return None
    luma = np.asarray(tables[min(tables)], dtype=np.float64)
    if luma.size != 64:
        return None
    # Pillow gives natural order; older files or libraries may hand zigzag: take the better fit.
    errors = [np.abs(np.log(_IJG_TABLES) - np.log(np.maximum(order, 1))).mean(axis=1) for order in (luma, luma[np.argsort(_ZIGZAG)])]
    best = np.minimum(*errors)
    return float(np.argmin(best) + 1)


def _grey(image: Image.Image, long_side: int = MEASURE_LONG_SIDE) -> np.ndarray:
    grey = image.convert("L")  # a new image unless it was grey already
    if max(grey.size) > long_side:
        grey = grey if grey is not image else grey.copy()
        grey.thumbnail((long_side, long_side), Image.Resampling.BOX)
    return np.asarray(grey, dtype=np.float64)


def blockiness(grey: np.ndarray) -> float:
    """How much stronger the pixel steps are across 8 px block borders than inside blocks (1 = no
    JPEG grid; a JPEG at quality 75 reads about 1.1-1.4). Sees a JPEG's history in a PNG too, as
    long as the picture was not resized since."""
    best = 1.0
    for axis in (0, 1):
        steps = np.abs(np.diff(grey, axis=axis)).mean(axis=1 - axis)
        if len(steps) < 32:
            continue
        phases = np.array([steps[p::8].mean() for p in range(8)])
        best = max(best, float(phases.max() / max(np.median(phases), 1e-6)))
    return best


def noise_sigma(grey: np.ndarray) -> float:
    """Sensor noise (grey levels), Immerkaer's fast estimate on the flattest half of the picture
    (texture is not noise)."""
    # Immerkaer's mask [[1,-2,1],[-2,4,-2],[1,-2,1]] is the outer product of [1,-2,1] with
    # itself: a second difference across, then down (a third of the array passes of the 3x3 sum).
    across = grey[:, :-2] - 2 * grey[:, 1:-1] + grey[:, 2:]
    residual = across[:-2] - 2 * across[1:-1] + across[2:]
    block = 16
    rows, cols = residual.shape[0] // block, residual.shape[1] // block
    if rows == 0 or cols == 0:
        return float(math.sqrt(math.pi / 2) * np.abs(residual).mean() / 6)
    blocks = np.abs(residual[: rows * block, : cols * block]).reshape(rows, block, cols, block).mean(axis=(1, 3)).ravel()
    flat = np.sort(blocks)[: max(1, len(blocks) // 2)]
    return float(math.sqrt(math.pi / 2) * flat.mean() / 6)


def _spectrum(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(power, radial frequency in cycles per pixel) of a windowed central crop of at most 512 px."""
    h, w = grey.shape
    size_y, size_x = min(512, h), min(512, w)
    top, left = (h - size_y) // 2, (w - size_x) // 2
    crop = grey[top:top + size_y, left:left + size_x]
    crop = crop - crop.mean()
    window = np.outer(np.hanning(crop.shape[0]), np.hanning(crop.shape[1]))
    power = np.abs(np.fft.rfft2(crop * window)) ** 2
    fy = np.abs(np.fft.fftfreq(crop.shape[0]))[:, None]
    fx = np.fft.rfftfreq(crop.shape[1])[None, :]
    return power, np.sqrt(fy * fy + fx * fx)


def focus(grey: np.ndarray, spectrum: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """Mid-frequency energy (0.12-0.25 cycles per pixel: strokes and bristle marks a few pixels
    wide) over low-frequency energy (0.02-0.06: the composition). An out-of-focus photograph loses
    the first and keeps the second; sensor noise and JPEG barely move it, unlike a Laplacian
    (measured on the hard set: training photographs 0.15-3.5, the same works blurred 2.5 px 0.004-0.02)."""
    power, radius = spectrum or _spectrum(grey)
    low = power[(radius >= 0.02) & (radius < 0.06)].sum()
    return float(power[(radius >= 0.12) & (radius < 0.25)].sum() / max(low, 1e-12))


def fine_detail(grey: np.ndarray, spectrum: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """Share of the spectrum's energy (above 0.05 cycles per pixel) in the top band, 0.35-0.5:
    near zero for an enlarged or resampled picture, higher for a crisp or noisy one."""
    power, radius = spectrum or _spectrum(grey)
    band = power[radius > 0.05].sum()
    return float(power[radius >= 0.35].sum() / max(band, 1e-12))


def measure(data: bytes) -> dict:
    """Capture statistics of an image file: {"jpeg_quality": float | None, "blockiness",
    "focus", "fine_detail", "noise", "long_side", "short_side", "format"}. Never raises for
    a readable image; what cannot be measured (no quantization tables) is None."""
    with Image.open(io.BytesIO(data)) as opened:
        quality = jpeg_quality(opened)
        file_format = opened.format
        opened.draft("L", opened.size)  # a JPEG decodes straight to grey
        width, height = opened.size
        grey = _grey(opened)
    spectrum = _spectrum(grey)  # focus and fine detail read the same spectrum
    return {
        "format": file_format,
        "jpeg_quality": quality,
        "blockiness": round(blockiness(grey), 4),
        "focus": round(focus(grey, spectrum), 5),
        "fine_detail": round(fine_detail(grey, spectrum), 6),
        "noise": round(noise_sigma(grey), 4),
        "long_side": int(max(width, height)),
        "short_side": int(min(width, height)),
    }


def statistics_vector(stats: dict) -> np.ndarray:
    """The numeric statistics as one row (a missing JPEG quality counts as 100: lossless)."""
    quality = stats.get("jpeg_quality")
    return np.array([
        100.0 if quality is None else float(quality),
        float(stats["blockiness"]), math.log(max(float(stats["focus"]), 1e-9)), math.log(max(float(stats["fine_detail"]), 1e-9)),
        float(stats["noise"]), math.log(max(int(stats["long_side"]), 1)),
    ])


# --- capture changes -----------------------------------------------------------------------------


def encode_jpeg(image: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=int(quality))
    return buffer.getvalue()


def _resize(image: Image.Image, factor: float) -> Image.Image:
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=None)


def _tilt(image: Image.Image, degrees: float) -> Image.Image:
    """Rotated by `degrees` and cropped to the largest upright rectangle, as a straightened scan."""
    rotated = image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=False)
    radians = math.radians(abs(degrees))
    dx = math.ceil(image.height * math.sin(radians)) + 1
    dy = math.ceil(image.width * math.sin(radians)) + 1
    return rotated.crop((dx, dy, image.width - dx, image.height - dy))


def _tone(image: Image.Image, gains=(1.0, 1.0, 1.0), exposure: float = 1.0) -> Image.Image:
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32) * (np.asarray(gains, dtype=np.float32) * exposure)
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def _noise(image: Image.Image, sd: float, seed: int) -> Image.Image:
    pixels = np.asarray(image, dtype=np.float32) + np.random.default_rng(seed).normal(0, sd, (image.height, image.width, 3))
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def _phone(image: Image.Image) -> Image.Image:
    smaller = _resize(image, 0.6).filter(ImageFilter.GaussianBlur(0.6))
    return _noise(smaller, 3.0, seed=smaller.width * 7919 + smaller.height)


KEEP_QUALITY = 95  # a change that is not itself a re-compression is saved as a good camera would


@dataclass(frozen=True)
class Change:
    name: str
    words: str
    severity: str  # "benign" (verdicts must not flip), "realistic" (several at once) or "harsh"
    apply: Callable[[Image.Image], Image.Image]
    quality: int = KEEP_QUALITY

    def bytes_of(self, image: Image.Image) -> bytes:
        """The re-photographed file, as a user would upload it."""
        return encode_jpeg(self.apply(image.convert("RGB")), self.quality)


def _same(image: Image.Image) -> Image.Image:
    return image


CHANGES: tuple[Change, ...] = (
    Change("jpeg-85", "re-saved as JPEG quality 85", "benign", _same, 85),
    Change("jpeg-75", "re-saved as JPEG quality 75", "benign", _same, 75),
    Change("jpeg-70", "re-saved as JPEG quality 70", "benign", _same, 70),
    Change("tilt-1", "tilted 1° and cropped", "benign", lambda im: _tilt(im, 1.0)),
    Change("tilt-3", "tilted 3° and cropped", "benign", lambda im: _tilt(im, -3.0)),
    Change("size-80", "80% size", "benign", lambda im: _resize(im, 0.8)),
    Change("size-60", "60% size", "benign", lambda im: _resize(im, 0.6)),
    Change("warm-light", "warmer light", "benign", lambda im: _tone(im, (1.08, 1.0, 0.9))),
    Change("exposure-up", "brighter exposure (+15%)", "benign", lambda im: _tone(im, exposure=1.15)),
    Change("exposure-down", "darker exposure (-15%)", "benign", lambda im: _tone(im, exposure=0.85)),
    Change("phone-like", "phone-like: 60% size, slight softness, sensor noise, JPEG 85", "realistic", _phone, 85),
    Change("blur-strong", "strongly out of focus (blur 2.5 px)", "harsh", lambda im: im.filter(ImageFilter.GaussianBlur(2.5))),
    Change("size-35", "35% size", "harsh", lambda im: _resize(im, 0.35)),
    Change("jpeg-40", "re-saved as JPEG quality 40", "harsh", _same, 40),
)
CHANGES_BY_NAME = {change.name: change for change in CHANGES}
# The smaller family every training run measures (training.ml.robustness): one of each kind.
RUN_CHANGES = ("jpeg-70", "tilt-3", "size-80", "size-60", "warm-light", "exposure-up", "phone-like", "blur-strong", "size-35", "jpeg-40")


# --- random re-photographs ---------------------------------------------------------------------


COPY_PATCH_SHARE = 0.5


def copy_patch_subset(count: int, rng: np.random.Generator, share: float = COPY_PATCH_SHARE) -> np.ndarray:
    """Which of a training copy's `count` patches are kept (sorted indices): a random `share`, at
    least one. Half of each copy's patches costs half the embedding and head-training time of
    whole copies (bench/bench_capture.py measures both)."""
    keep = min(count, max(1, round(count * share)))
    return np.sort(rng.choice(count, keep, replace=False))


def recapture(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """A random re-photograph of a whole image, for training copies: resampled to 55-100%,
    tilted up to 4°, white balance and exposure, sometimes a little blur and noise, then JPEG
    55-95. The same family for every label, so none of it can tell the labels apart."""
    out = image.convert("RGB")
    factor = float(rng.uniform(0.55, 1.0))
    if factor < 0.98:
        out = _resize(out, factor)
    if rng.random() < 0.5:
        out = _tilt(out, float(rng.uniform(-4, 4)))
    out = _tone(out, tuple(rng.uniform(0.92, 1.08, 3)), float(rng.uniform(0.85, 1.15)))
    if rng.random() < 0.4:
        out = out.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.0))))
    if rng.random() < 0.4:
        out = _noise(out, float(rng.uniform(1, 4)), int(rng.integers(1 << 30)))
    return Image.open(io.BytesIO(encode_jpeg(out, int(rng.integers(55, 96))))).convert("RGB")
