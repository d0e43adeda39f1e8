"""Every pixel mode Pillow opens from an accepted format becomes the right 8-bit RGB picture,
and pictures too blank to show brushwork are refused (issue 17)."""
import io

import numpy as np
import pytest
from PIL import Image

from datasets import imaging

WIDTH, HEIGHT = 320, 240


def _ramp() -> np.ndarray:
    """A horizontal grey ramp 0..255 (8-bit), so a wrong scale shows as a wrong mean."""
    return np.tile(np.linspace(0, 255, WIDTH), (HEIGHT, 1))


def _saved(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _grey_mean(data: bytes) -> float:
    return float(np.asarray(imaging.preprocess(data).convert("L"), dtype=np.float64).mean())


RAMP_MEAN = float(_ramp().mean())  # 127.5


def _rgb_ramp() -> Image.Image:
    return Image.fromarray(np.stack([_ramp()] * 3, axis=-1).astype(np.uint8), "RGB")


# mode -> (image in that mode, format that stores it); each decodes back to the same mode.
def _cases():
    ramp8 = _ramp().astype(np.uint8)
    grey = Image.fromarray(ramp8, "L")
    return {
        "1": (grey.convert("1"), "PNG"),  # dithered: the mean survives
        "L": (grey, "PNG"),
        "LA": (Image.merge("LA", [grey, Image.new("L", grey.size, 255)]), "PNG"),
        "P": (_rgb_ramp().convert("P", palette=Image.Palette.ADAPTIVE, colors=256), "PNG"),
        "PA": (Image.merge("RGBA", [*_rgb_ramp().split(), Image.new("L", grey.size, 255)]).convert("PA"), "TIFF"),
        "RGB": (_rgb_ramp(), "PNG"),
        "RGBA": (_rgb_ramp().convert("RGBA"), "PNG"),
        "CMYK": (_rgb_ramp().convert("CMYK"), "TIFF"),
        "YCbCr": (_rgb_ramp().convert("YCbCr"), "TIFF"),
        "LAB": (_rgb_ramp().convert("LAB"), "TIFF"),
        # 16-bit holding 8-bit values: today divided by 257, i.e. black.
        "I;16": (Image.fromarray(ramp8.astype(np.uint16)), "PNG"),
        "I;16B": (Image.fromarray(ramp8.astype(np.uint16)).convert("I;16B"), "TIFF"),
        "I": (Image.fromarray(ramp8.astype(np.int32)), "TIFF"),
        # floats as unit intensities 0..1
        "F": (Image.fromarray((_ramp() / 255).astype(np.float32)), "TIFF"),
    }


@pytest.mark.parametrize("mode", list(_cases()))
def test_every_mode_converts_to_the_same_picture(mode):
    image, fmt = _cases()[mode]
    data = _saved(image, fmt)
    with Image.open(io.BytesIO(data)) as opened:
        assert opened.mode == image.mode or (mode == "I;16B" and opened.mode.startswith("I;16"))
    out = imaging.preprocess(data)
    assert out.mode == "RGB"
    assert _grey_mean(data) == pytest.approx(RAMP_MEAN, abs=6)
    left, right = np.asarray(out.convert("L"), dtype=np.float64)[:, :20].mean(), np.asarray(out.convert("L"), dtype=np.float64)[:, -20:].mean()
    assert left < 40 and right > 215, "the ramp runs dark to light"


@pytest.mark.parametrize("scale, bits", [(257, 16), (16, 12), (4, 10)])
def test_high_bit_depth_is_scaled_by_the_range_it_uses(scale, bits):
    """Full 16-bit data is divided by 257, 12- and 10-bit data in a 16-bit file by 16 and 4."""
    top = 2 ** bits - 1
    values = np.rint(_ramp() / 255 * top).astype(np.uint16)
    data = _saved(Image.fromarray(values), "PNG")
    assert _grey_mean(data) == pytest.approx(RAMP_MEAN, abs=2)


def test_signed_data_is_stretched_and_float_data_read_by_its_range():
    signed = Image.fromarray((_ramp() - 1000).astype(np.int32))
    assert _grey_mean(_saved(signed, "TIFF")) == pytest.approx(RAMP_MEAN, abs=2)
    wide = Image.fromarray((_ramp() * 257).astype(np.float32))  # 16-bit values held as floats
    assert _grey_mean(_saved(wide, "TIFF")) == pytest.approx(RAMP_MEAN, abs=3)


def test_a_sixteen_bit_photograph_holding_eight_bit_values_is_not_black():
    rng = np.random.default_rng(0)
    values = rng.integers(0, 256, size=(HEIGHT, WIDTH)).astype(np.uint16)
    data = _saved(Image.fromarray(values), "PNG")
    imaging.check_image(data, filename="scan.png", min_side=imaging.PATCH_SIZE, require_texture=True)
    assert _grey_mean(data) == pytest.approx(values.mean(), abs=2)


@pytest.mark.parametrize("colour", [(0, 0, 0), (128, 128, 128), (255, 255, 255)], ids=["black", "grey", "white"])
def test_blank_photographs_are_refused_with_the_reason(colour):
    data = _saved(Image.new("RGB", (800, 600), colour), "JPEG")
    imaging.check_image(data, filename="blank.jpg")  # a training upload may still hold one
    with pytest.raises(imaging.ImageRejected, match="too little texture"):
        imaging.check_image(data, filename="blank.jpg", require_texture=True)


def test_near_uniform_is_refused_but_a_textured_work_is_not():
    rng = np.random.default_rng(1)
    faint = np.clip(128 + rng.normal(0, 0.8, (600, 800)), 0, 255).astype(np.uint8)
    with pytest.raises(imaging.ImageRejected, match="too little texture"):
        imaging.check_image(_saved(Image.fromarray(faint), "PNG"), filename="a.png", require_texture=True)
    # A small mark on an empty sheet is still an empty sheet.
    sheet = np.full((600, 800), 250, dtype=np.uint8)
    sheet[280:320, 380:420] = rng.integers(0, 255, (40, 40))
    with pytest.raises(imaging.ImageRejected, match="too little texture"):
        imaging.check_image(_saved(Image.fromarray(sheet), "PNG"), filename="a.png", require_texture=True)
    strokes = np.clip(128 + rng.normal(0, 12, (600, 800)), 0, 255).astype(np.uint8)
    assert imaging.texture_problem(Image.fromarray(strokes)) is None


def test_too_small_for_one_patch_is_refused_with_why():
    data = _saved(Image.fromarray(np.random.default_rng(2).integers(0, 255, (80, 100), dtype=np.uint8)), "PNG")
    with pytest.raises(imaging.ImageRejected, match="at least 224 px.*224 px patches"):
        imaging.check_image(data, filename="a.png", min_side=imaging.PATCH_SIZE)


def test_low_resolution_threshold_is_where_the_detail_grid_disappears():
    assert imaging.low_resolution(896, 600) and not imaging.low_resolution(897, 600)
    assert all(scale == 1.0 for *_, scale in imaging.patch_grid(896, 672))
    assert any(scale < 1.0 for *_, scale in imaging.patch_grid(897, 672))
    assert "896 px or less" in imaging.low_resolution_warning(800, 600)
    assert imaging.low_resolution_warning(2048, 1536) == ""


@pytest.mark.parametrize("sigma", [2, 4, 6], ids=["blank", "borderline", "textured"])
def test_the_upload_check_decodes_a_colour_jpeg_to_grey_and_measures_the_same_texture(sigma):
    """The check has the JPEG decoder produce luma directly (a third of the CPU); the share must
    be the one the documented rule gives from the RGB picture, even at the threshold."""
    rng = np.random.default_rng(sigma)
    grey = np.clip(128 + rng.normal(0, sigma, (768, 1024)), 0, 255).astype(np.uint8)
    data = _saved(Image.fromarray(np.stack([grey, grey, np.roll(grey, 1, axis=1)], axis=2)), "JPEG")
    with Image.open(io.BytesIO(data)) as drafted:
        imaging._draft_for_texture(drafted)
        drafted.load()
        assert drafted.mode == "L" and drafted.size == (1024, 768)
        share_as_checked = imaging.texture_share(drafted)
    with Image.open(io.BytesIO(data)) as full:
        assert imaging.texture_share(full.convert("RGB")) == pytest.approx(share_as_checked, abs=0.005)
    refused = share_as_checked < imaging.TEXTURE_MIN_SHARE
    try:
        imaging.check_image(data, filename="a.jpg", require_texture=True)
        assert not refused
    except imaging.ImageRejected as error:
        assert refused and "too little texture" in str(error)
    with pytest.raises(imaging.ImageRejected, match="truncated"):
        imaging.check_image(data[: len(data) - 200], filename="a.jpg", require_texture=True)
