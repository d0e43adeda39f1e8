"""How a result's score is read, in plain words."""
from __future__ import annotations

import pytest

from detection import reading
from tests.detection.factories import FORGED_ONLY_BASIS, FORGED_ONLY_THRESHOLDS


@pytest.fixture(autouse=True)
def dynamo_tables():
    """These tests touch no table: skip the shared moto set-up."""
    yield None


@pytest.mark.parametrize(("thresholds", "expected"), [
    ({"authentic_below": 0.3, "forged_above": 0.7}, "Scores below 30 read as likely authentic, above 70 as likely forged, and between as inconclusive."),
    ({"authentic_below": 0.3, "forged_above": None}, "Scores below 30 read as likely authentic and all others as inconclusive: this model never calls a work likely forged."),
    ({"authentic_below": None, "forged_above": 0.62}, "Scores above 62 read as likely forged and all others as inconclusive: this model never calls a work likely authentic."),
    ({"authentic_below": None, "forged_above": None}, "Every score reads as inconclusive: this model met neither of its error-rate targets."),
    ({}, ""),
    (None, ""),
])
def test_thresholds_read_as_a_sentence_whichever_side_is_missing(thresholds, expected):
    assert reading.thresholds_sentence(thresholds or {}) == expected


@pytest.mark.parametrize(("probability", "expected"), [(0.62, "62"), (0.000509, "0.1"), (0.99398, "99"), (0.999952, "99.995")])
def test_a_cut_near_the_ends_is_not_rounded_to_0_or_100(probability, expected):
    assert reading.score_cut(probability) == expected


def test_the_reading_carries_the_operating_point_what_cannot_be_decided_and_the_calibration():
    read = reading.reading_from(thresholds=FORGED_ONLY_THRESHOLDS, basis=FORGED_ONLY_BASIS)
    assert read.operating_point.startswith("Of the 20 validation works scored most like this one")
    assert read.cannot == [FORGED_ONLY_BASIS["statements"][0]]
    assert read.calibration_note.startswith("Scores are not calibrated")
    assert read.lines() == [read.thresholds, read.operating_point, *FORGED_ONLY_BASIS["statements"], read.calibration_note]


def test_a_calibrated_score_has_no_note_and_an_unfamiliar_photograph_qualifies_the_comparison():
    calibrated = {**FORGED_ONLY_BASIS, "calibrated": True, "calibration_note": ""}
    read = reading.reading_from(thresholds=FORGED_ONLY_THRESHOLDS, basis=calibrated, unfamiliar=True)
    assert read.calibration_note == ""
    assert read.operating_point.endswith(reading.UNFAMILIAR_CAVEAT)


def test_without_a_basis_the_reading_says_so_and_claims_no_error_rate():
    read = reading.reading_from(thresholds={"authentic_below": 0.3, "forged_above": 0.7}, basis=None)
    assert not read.has_basis and read.operating_point == "" and read.statements == []
    assert read.lines() == [read.thresholds, reading.NO_BASIS]
