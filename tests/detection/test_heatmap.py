from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from detection.heatmap import LEGEND_HEIGHT, colour_for, encode_heatmap, render_heatmap


@pytest.fixture(autouse=True)
def dynamo_tables():
    """No table is touched here: skip the shared moto set-up."""
    yield None


def _grey(width, height):
    return Image.new("RGB", (width, height), (128, 128, 128))


def _pixel(image, x, y):
    return np.asarray(image)[y, x].astype(int)


def _lightness(pixel) -> float:
    return 0.299 * pixel[0] + 0.587 * pixel[1] + 0.114 * pixel[2]


def test_suspicious_patch_is_painted_bright_and_clean_one_dark():
    image = _grey(448, 224)
    scores = [
        {"x": 0, "y": 0, "w": 224, "h": 224, "scale": 1.0, "p": 0.98},
        {"x": 224, "y": 0, "w": 224, "h": 224, "scale": 1.0, "p": 0.02},
    ]
    heatmap = render_heatmap(image, scores)
    assert heatmap.size == (448, 224 + LEGEND_HEIGHT)
    high, low = _pixel(heatmap, 100, 100), _pixel(heatmap, 330, 100)
    assert _lightness(high) > _lightness(low) + 60  # viridis: yellow where p is high, dark violet where low
    assert high[0] > high[2] and low[2] > low[1]


@pytest.mark.parametrize("painting", [(255, 0, 255), (215, 48, 39), (26, 152, 80), (250, 250, 250), (15, 15, 15)],
                         ids=["magenta", "red", "green", "white", "black"])
def test_the_fill_reads_on_a_painting_of_any_colour(painting):
    """Issue 29: a red overlay was unreadable on a magenta painting. Suspicious and clean differ
    in lightness, in order, whatever the painting's colour; the old red-green blend left magenta's
    0.02 and 0.98 within 4 levels of each other."""
    image = Image.new("RGB", (672, 224), painting)
    scores = [{"x": 224 * i, "y": 0, "w": 224, "h": 224, "scale": 1.0, "p": p} for i, p in enumerate((0.02, 0.5, 0.98))]
    heatmap = render_heatmap(image, scores)
    low, middle, high = (_lightness(_pixel(heatmap, 224 * i + 112, 150)) for i in range(3))
    assert low + 25 < middle < high - 25


def test_fine_grid_is_drawn_over_the_coarse_grid():
    image = _grey(896, 448)
    scores = [
        {"x": 0, "y": 0, "w": 896, "h": 448, "scale": 0.25, "p": 0.05},  # coarse says clean
        {"x": 0, "y": 0, "w": 224, "h": 224, "scale": 1.0, "p": 0.95},  # a detail patch says suspicious
    ]
    heatmap = render_heatmap(image, scores)
    inside, outside = _pixel(heatmap, 100, 100), _pixel(heatmap, 600, 300)
    assert _lightness(inside) > _lightness(outside) + 60


def test_large_images_are_drawn_at_display_size_and_encode_as_jpeg():
    image = _grey(2048, 1536)
    heatmap = render_heatmap(image, [{"x": 0, "y": 0, "w": 2048, "h": 1536, "scale": 0.4375, "p": 0.5}])
    assert max(heatmap.size) == 1280
    assert encode_heatmap(heatmap)[:3] == b"\xff\xd8\xff"


def test_evidence_patches_are_outlined_and_tagged_for_the_explanations_citations():
    image = Image.new("RGB", (448, 448), (128, 128, 128))
    patches = [{"x": 0, "y": 0, "w": 224, "h": 224, "scale": 1.0, "p": 0.9},
               {"x": 224, "y": 224, "w": 224, "h": 224, "scale": 1.0, "p": 0.1}]
    plain = render_heatmap(image, patches)
    tagged = render_heatmap(image, patches, labelled=[(patches[0], "S1"), (patches[1], "L1")])
    assert tagged.size == plain.size
    assert plain.getpixel((100, 2)) != tagged.getpixel((100, 2))
    assert tagged.getpixel((100, 2)) == colour_for(0.9)
    assert tagged.getpixel((300, 445)) == colour_for(0.1)


def test_outlines_take_their_colour_from_the_value_on_the_fills_scale():
    """A 2% region among the 'most suspicious' is boxed dark violet, a 100% one among the 'least' yellow."""
    image = Image.new("RGB", (448, 224), (128, 128, 128))
    low = {"x": 0, "y": 0, "w": 224, "h": 224, "scale": 1.0, "p": 0.02}
    high = {"x": 224, "y": 0, "w": 224, "h": 224, "scale": 1.0, "p": 1.0}
    tagged = render_heatmap(image, [low, high], labelled=[(low, "S1"), (high, "L1")])
    low_outline, high_outline = _pixel(tagged, 100, 222), _pixel(tagged, 330, 222)
    assert low_outline[2] > low_outline[1] + 60 and _lightness(low_outline) < 60, "a 2% region is outlined dark violet"
    assert high_outline[0] > high_outline[2] + 100 and _lightness(high_outline) > 180, "a 100% region is outlined yellow"
    # the outline is the colour the fill scale gives that value (the fill itself is blended)
    assert tuple(low_outline) == colour_for(0.02) and tuple(high_outline) == colour_for(1.0)
    legend_left, legend_right = _pixel(tagged, 11, 224 + 10), _pixel(tagged, 436, 224 + 10)
    assert tuple(legend_left) == pytest.approx(colour_for(0.0), abs=3)
    assert tuple(legend_right) == pytest.approx(colour_for(1.0), abs=12)


def test_the_display_copy_is_drawn_on_without_a_second_resize():
    image = _grey(2048, 1536)
    display = image.resize((1280, 960))
    scores = [{"x": 1024, "y": 0, "w": 1024, "h": 1536, "scale": 0.4375, "p": 0.98},
              {"x": 0, "y": 0, "w": 1024, "h": 1536, "scale": 0.4375, "p": 0.02}]
    heatmap = render_heatmap(display, scores, source_size=image.size)
    assert heatmap.size == (1280, 960 + LEGEND_HEIGHT)
    assert _lightness(_pixel(heatmap, 1000, 500)) > _lightness(_pixel(heatmap, 300, 500)) + 60


def test_pixels_no_patch_covers_keep_the_photograph():
    image = _grey(448, 448)
    heatmap = render_heatmap(image, [{"x": 0, "y": 0, "w": 224, "h": 224, "scale": 1.0, "p": 0.9}])
    assert tuple(_pixel(heatmap, 400, 400)) == (128, 128, 128)
