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


def test_suspicious_patch_is_painted_red_and_clean_one_green():
    image = _grey(448, 224)
    scores = [
        {"x": 0, "y": 0, "w": 224, "h": 224, "scale": 1.0, "p": 0.98},
        {"x": 224, "y": 0, "w": 224, "h": 224, "scale": 1.0, "p": 0.02},
    ]
    heatmap = render_heatmap(image, scores)
    assert heatmap.size == (448, 224 + LEGEND_HEIGHT)
    red, green = _pixel(heatmap, 100, 100), _pixel(heatmap, 330, 100)
    assert red[0] > red[1] + 40  # red dominates where p is high
    assert green[1] > green[0] + 20  # green dominates where p is low


def test_fine_grid_is_drawn_over_the_coarse_grid():
    image = _grey(896, 448)
    scores = [
        {"x": 0, "y": 0, "w": 896, "h": 448, "scale": 0.25, "p": 0.05},  # coarse says clean
        {"x": 0, "y": 0, "w": 224, "h": 224, "scale": 1.0, "p": 0.95},  # a detail patch says suspicious
    ]
    heatmap = render_heatmap(image, scores)
    inside, outside = _pixel(heatmap, 100, 100), _pixel(heatmap, 600, 300)
    assert inside[0] > inside[1] + 40
    assert outside[1] > outside[0] + 20


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
    """A 2% region among the 'most suspicious' is boxed green, a 100% one among the 'least' red."""
    image = Image.new("RGB", (448, 224), (128, 128, 128))
    low = {"x": 0, "y": 0, "w": 224, "h": 224, "scale": 1.0, "p": 0.02}
    high = {"x": 224, "y": 0, "w": 224, "h": 224, "scale": 1.0, "p": 1.0}
    tagged = render_heatmap(image, [low, high], labelled=[(low, "S1"), (high, "L1")])
    low_outline, high_outline = _pixel(tagged, 100, 222), _pixel(tagged, 330, 222)
    assert low_outline[1] > low_outline[0] + 60, "a 2% region is outlined green"
    assert high_outline[0] > high_outline[1] + 100, "a 100% region is outlined red"
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
    assert _pixel(heatmap, 1000, 500)[0] > _pixel(heatmap, 1000, 500)[1] + 40
    assert _pixel(heatmap, 300, 500)[1] > _pixel(heatmap, 300, 500)[0] + 20


def test_pixels_no_patch_covers_keep_the_photograph():
    image = _grey(448, 448)
    heatmap = render_heatmap(image, [{"x": 0, "y": 0, "w": 224, "h": 224, "scale": 1.0, "p": 0.9}])
    assert tuple(_pixel(heatmap, 400, 400)) == (128, 128, 128)
