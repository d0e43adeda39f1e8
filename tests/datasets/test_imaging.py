import io

import numpy as np
import pytest
from PIL import Image

from datasets import imaging
from tests.images import image_bytes


def test_accepts_common_formats():
    for fmt, name in [("JPEG", "a.jpg"), ("PNG", "a.png"), ("WEBP", "a.webp"), ("TIFF", "a.tiff")]:
        assert imaging.check_image(image_bytes(fmt=fmt), filename=name).format == fmt


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"", "a.jpg", "empty"),
        (b"hello, not an image at all", "a.jpg", "not an image"),
        (image_bytes()[:3000], "a.jpg", "truncated"),
        (image_bytes(1, 1, fmt="PNG"), "a.png", "at least"),
        (image_bytes(fmt="GIF"), "a.gif", "not accepted"),
    ],
)
def test_rejects_bad_files_with_a_clear_reason(data, name, message):
    with pytest.raises(imaging.ImageRejected, match=message):
        imaging.check_image(data, filename=name)


def test_a_file_is_read_by_its_content_and_a_misleading_name_is_only_a_note():
    """A JPEG named IMG_0042.HEIC was refused (issue 29); it is a JPEG and is read as one."""
    check = imaging.check_image(image_bytes(fmt="JPEG"), filename="IMG_0042.HEIC")
    assert check.format == "JPEG" and check.note == "The file is named .heic but holds a JPEG image; it was read as JPEG."
    assert imaging.check_image(image_bytes(fmt="JPEG"), filename="work.jpg").note == ""


def test_a_real_heic_photo_is_decoded_and_preprocessed():
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.open(io.BytesIO(image_bytes(640, 480))).save(buffer, format="HEIF")
    check = imaging.check_image(buffer.getvalue(), filename="IMG_0001.HEIC")
    assert (check.format, check.content_type, check.width, check.height, check.note) == ("HEIF", "image/heif", 640, 480, "")
    assert imaging.preprocess(buffer.getvalue()).size == (640, 480)


def test_the_pixel_limit_is_said_in_plain_words():
    with pytest.raises(imaging.ImageRejected) as error:
        imaging.check_image(image_bytes(1000, 1000), filename="big.jpg", max_pixels=500_000)
    assert str(error.value).startswith("The image is 1000×1000 pixels: ArtGuard accepts at most 0.5 megapixels; this one has 1.")
    assert "bomb" not in str(error.value)


def test_rejects_decompression_bomb_without_decoding():
    bomb = io.BytesIO()
    Image.new("L", (20000, 20000)).save(bomb, format="PNG")
    with pytest.raises(imaging.ImageRejected) as refused:
        imaging.check_image(bomb.getvalue(), filename="bomb.png", max_pixels=80_000_000 // 2)
    assert str(refused.value).startswith("The image is declared as far larger: ArtGuard accepts at most 40 megapixels; this one has 400.")


def test_rejects_animation():
    frames = [Image.new("RGB", (100, 100), color) for color in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="WEBP", save_all=True, append_images=frames[1:])
    with pytest.raises(imaging.ImageRejected, match="Animated"):
        imaging.check_image(buffer.getvalue(), filename="a.webp")


def test_preprocess_orients_strips_metadata_and_converts():
    image = Image.new("RGB", (300, 200), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise when displayed
    exif[0x010F] = "SecretCam"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    out = imaging.preprocess(buffer.getvalue())
    assert out.size == (224, 336)  # turned upright, then enlarged to one patch on the short side
    assert out.mode == "RGB" and not out.info.get("exif") and not out.getexif()
    assert imaging.preprocess(image_bytes(64, 64, fmt="PNG", mode="RGBA")).mode == "RGB"
    assert imaging.preprocess(image_bytes(300, 300, fmt="JPEG", mode="CMYK")).mode == "RGB"
    sixteen = io.BytesIO()
    Image.fromarray(np.full((300, 300), 65535, dtype=np.uint16)).save(sixteen, format="PNG")
    assert imaging.preprocess(sixteen.getvalue()).getpixel((5, 5)) == (255, 255, 255)


def test_preprocess_limits_long_side():
    out = imaging.preprocess(image_bytes(3000, 2000))
    assert max(out.size) == 2048


def test_patch_grid_covers_image_and_is_bounded():
    boxes = imaging.patch_grid(2048, 1536)
    assert len(boxes) <= 32
    assert {scale for *_, scale in boxes} == {1.0, round(896 / 2048, 4)}
    for x, y, w, h, _ in boxes:
        assert 0 <= x and 0 <= y and x + w <= 2048 + 1 and y + h <= 1536 + 1
    context = [box for box in boxes if box[4] < 1]
    assert min(b[0] for b in context) == 0 and max(b[0] + b[2] for b in context) >= 2047
    patches = imaging.extract_patches(Image.new("RGB", (2048, 1536)))
    assert len(patches) == len(boxes) and all(p.image.size == (224, 224) for p in patches)


def test_small_image_has_one_grid():
    boxes = imaging.patch_grid(500, 300)
    assert {scale for *_, scale in boxes} == {1.0}
    assert len(boxes) == 3 * 2
