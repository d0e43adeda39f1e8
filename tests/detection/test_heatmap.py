from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from detection.heatmap import LEGEND_HEIGHT, encode_heatmap_png, render_heatmap


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


def test_large_images_are_drawn_at_display_size_and_encode_as_png():
    image = _grey(2048, 1536)
    heatmap = render_heatmap(image, [{"x": 0, "y": 0, "w": 2048, "h": 1536, "scale": 0.4375, "p": 0.5}])
    assert max(heatmap.size) == 1280
    assert encode_heatmap_png(heatmap)[:8] == b"\x89PNG\r\n\x1a\n"


def test_evidence_patches_are_outlined_and_tagged_for_the_explanations_citations():
    from PIL import Image

    from detection.heatmap import render_heatmap

    image = Image.new("RGB", (448, 448), (128, 128, 128))
    patches = [{"x": 0, "y": 0, "w": 224, "h": 224, "scale": 1.0, "p": 0.9},
               {"x": 224, "y": 224, "w": 224, "h": 224, "scale": 1.0, "p": 0.1}]
    plain = render_heatmap(image, patches)
    tagged = render_heatmap(image, patches, labelled=[(patches[0], "S1"), (patches[1], "L1")])
    assert tagged.size == plain.size
    assert tagged.getpixel((100, 1))[0] > 150 and tagged.getpixel((100, 1))[1] < 60  # red outline of S1
    assert tagged.getpixel((300, 446))[1] > tagged.getpixel((300, 446))[0]  # green outline of L1
    assert plain.getpixel((100, 1)) != tagged.getpixel((100, 1))
