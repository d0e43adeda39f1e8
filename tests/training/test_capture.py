"""Capture statistics, the shortcut audit and the capture check (issue 26): pure functions, no model."""
import io

import numpy as np
from PIL import Image, ImageFilter

from tests.training.fixtures import synthetic_painting
from training.ml import capture, capture_check, shortcut


def _painting(index=0, size=480):
    return synthetic_painting(index, forged=False, size=size)


def _png(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_jpeg_quality_is_read_from_the_quantization_tables():
    image = _painting()
    for quality in (40, 75, 92):
        assert capture.measure(capture.encode_jpeg(image, quality))["jpeg_quality"] == quality
    assert capture.measure(_png(image))["jpeg_quality"] is None


def test_focus_falls_when_the_photograph_is_blurred():
    image = _painting()
    sharp = capture.measure(capture.encode_jpeg(image, 95))["focus"]
    blurred = capture.measure(capture.encode_jpeg(image.filter(ImageFilter.GaussianBlur(2.5)), 95))["focus"]
    assert blurred < sharp / 5


def test_envelope_flags_a_softer_photograph_with_an_actionable_reason_and_lists_what_it_could_not_check():
    stats = [capture.measure(capture.encode_jpeg(_painting(i), 90)) for i in range(6)]
    envelope = capture_check.fit(stats, [0, 1, 0, 1, 0, 1])
    inside = envelope.assess(capture.measure(capture.encode_jpeg(_painting(7), 90)))
    assert not inside["outside"], inside
    blurred = envelope.assess(capture.measure(capture.encode_jpeg(_painting(7).filter(ImageFilter.GaussianBlur(2.5)), 95)))
    assert blurred["outside"] and any("softer" in r and "in focus" in r for r in blurred["reasons"]), blurred
    png = envelope.assess(capture.measure(_png(_painting(7))))
    assert any("JPEG quantization tables" in line for line in png["not_checked"])
    assert capture_check.Envelope.from_dict(envelope.as_dict()).limits == envelope.limits


def test_audit_names_a_capture_confound_and_stays_quiet_without_one():
    rng = np.random.default_rng(0)
    labels = np.array([0, 1] * 20)
    folds = [(np.setdiff1d(np.arange(40), np.arange(k, 40, 5)), np.arange(k, 40, 5)) for k in range(5)]
    images = [_painting(i, size=320) for i in range(40)]
    confounded = [capture.measure(capture.encode_jpeg(im, 95 if y == 0 else 60)) for im, y in zip(images, labels)]
    audit = shortcut.audit(confounded, labels, folds)
    assert audit["concern"] and audit["strongest"] in ("jpeg_quality", "blockiness"), audit
    assert "differ in how they were photographed" in audit["statement"]
    same = [capture.measure(capture.encode_jpeg(im, int(rng.integers(70, 96)))) for im in images]
    assert not shortcut.audit(same, labels, folds)["concern"]


def test_a_photograph_is_inside_only_where_one_validated_capture_had_all_its_statistics():
    """Each robust change widens the envelope with its own photographs: small like one change's
    and soft like another's was never validated, and is INCONCLUSIVE with both named."""
    base = {"focus": 1.0, "fine_detail": 0.3, "jpeg_quality": 92.0, "blockiness": 1.0, "noise": 2.0, "long_side": 768}
    training = [base, base]
    smaller, softer = {**base, "long_side": 460}, {**base, "focus": 0.5}
    envelope = capture_check.fit(training, [0, 1], widened={"size-60": [(smaller, 0), (smaller, 1)], "blur": [(softer, 0), (softer, 1)]})
    assert envelope.limits["long_side"] == {"low": 460.0} and envelope.limits["focus"] == {"low": 0.5}  # in words: the widest
    assert not envelope.assess(base)["outside"]
    assert not envelope.assess(smaller)["outside"] and not envelope.assess(softer)["outside"]
    both = envelope.assess({**base, "long_side": 460, "focus": 0.5})
    assert both["outside"] and both["reasons"] == [
        "This photograph is softer and smaller at once: this model was validated on photographs with each of these alone, never "
        "together: photograph it again in focus, closer, with the camera steady (a tripod or a faster shutter)."]
    beyond = envelope.assess({**base, "long_side": 300})
    assert beyond["outside"] and "300 px on the long side; validated from 460 px" in beyond["reasons"][0]
    # stored and read back, it judges alike; one stored before regions existed is one region
    again = capture_check.Envelope.from_dict(envelope.as_dict())
    assert again.assess({**base, "long_side": 460, "focus": 0.5})["outside"] and not again.assess(smaller)["outside"]
    before = {key: value for key, value in envelope.as_dict().items() if key != "regions"}
    assert not capture_check.Envelope.from_dict(before).assess({**base, "long_side": 460, "focus": 0.5})["outside"]


def test_pixel_size_is_compared_as_the_model_sees_it():
    """Training scans of 6000 px and an upload of 4000 px both reach the model at 2048 px: the
    upload is not smaller than anything validated. A 1200 px one is."""
    from datasets import imaging
    from django.conf import settings

    assert capture_check.MODEL_MAX_SIDE == imaging.MAX_SIDE == settings.PREPROCESS_MAX_SIDE
    base = {"focus": 1.0, "fine_detail": 0.3, "jpeg_quality": 92.0, "blockiness": 1.0, "noise": 2.0}
    envelope = capture_check.fit([{**base, "long_side": 6000}, {**base, "long_side": 6400}], [0, 1])
    assert envelope.limits["long_side"] == {"low": 2048.0}
    assert not envelope.assess({**base, "long_side": 4000})["outside"]
    small = envelope.assess({**base, "long_side": 1200})
    assert small["outside"] and "1200 px on the long side; validated from 2048 px" in small["reasons"][0]
