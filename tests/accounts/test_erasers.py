"""The user-data eraser registry: detection registers its erasers, a kind with no receipt count is
refused, and `manage.py check` fails when a receipt count has nobody to erase it."""
import pytest

from accounts import erasers
from accounts.checks import erasers_cover_receipt_counts
from tests.accounts.user_data import seed_user_data


def test_detection_registers_its_erasers_in_receipt_order():
    assert [eraser.kind for eraser in erasers.user_data_erasers()] == ["inference_records", "shared_items", "raw_objects", "processed_objects"]
    assert all(eraser.erase.__module__ == "detection.erasure" for eraser in erasers.user_data_erasers())
    assert erasers_cover_receipt_counts() == []


@pytest.mark.parametrize("kind", ["artist_notes", "account"])
def test_a_kind_without_its_own_receipt_count_is_refused(kind):
    with pytest.raises(ValueError, match="no receipt count"):
        erasers.user_data_eraser_register(kind=kind, erase=lambda **kwargs: None)


def test_check_fails_when_a_receipt_count_has_no_eraser(monkeypatch):
    remaining = {kind: eraser for kind, eraser in erasers._ERASERS.items() if kind != "raw_objects"}
    monkeypatch.setattr(erasers, "_ERASERS", remaining)
    errors = erasers_cover_receipt_counts()
    assert [error.id for error in errors] == ["accounts.E001"]
    assert "raw_objects" in errors[0].msg


def test_count_asks_the_registered_counter(user):
    seed_user_data(user.user_id, analyses=3)
    assert erasers.user_data_count(user_id=user.user_id, kind="inference_records") == 3
    assert erasers.user_data_count(user_id=user.user_id, kind="raw_objects") == 0  # no counter registered
