from __future__ import annotations

import base64
import json

import pytest

from artguard.dynamo import now_ms
from detection import selectors
from tests.detection.factories import make_record, make_records

DAY_MS = 86400 * 1000


def test_history_pages_newest_first_without_gaps_or_repeats(user, dynamo_operations):
    records = make_records(user_id=user.user_id, count=45)
    make_records(user_id="someone-else", count=3)
    dynamo_operations.clear()
    seen, cursor, sizes = [], None, []
    while True:
        page = selectors.inferences_page_for_user(user_id=user.user_id, cursor=cursor)
        sizes.append(len(page.records))
        seen += [r.inference_id for r in page.records]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sizes == [20, 20, 5]
    assert seen == [r.inference_id for r in reversed(records)]
    assert set(dynamo_operations) == {"Query"}


def test_a_full_last_page_has_no_next_cursor(user):
    make_records(user_id=user.user_id, count=20)
    page = selectors.inferences_page_for_user(user_id=user.user_id)
    assert len(page.records) == 20 and page.next_cursor is None


def test_records_past_their_ttl_are_hidden(user):
    old = make_record(user_id=user.user_id, created_at=now_ms() - 91 * DAY_MS)
    fresh = make_record(user_id=user.user_id)
    page = selectors.inferences_page_for_user(user_id=user.user_id)
    assert [r.inference_id for r in page.records] == [fresh.inference_id]
    assert selectors.inference_get_for_user(user_id=user.user_id, inference_id=old.inference_id) is None
    assert selectors.inference_get_for_user(user_id=user.user_id, inference_id=fresh.inference_id) is not None


def test_another_users_record_is_not_found(user, other_user):
    record = make_record(user_id=other_user.user_id)
    assert selectors.inference_get_for_user(user_id=user.user_id, inference_id=record.inference_id) is None


def _b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


FORGED_CURSORS = [
    "not base64 !!",
    _b64([1, 2]),
    _b64({"i": "x" * 32, "c": 1}),
    _b64({"i": "a" * 32, "c": "1"}),
    _b64({"i": "a" * 32, "c": -5}),
    _b64({"i": "a" * 32, "c": 1, "user_id": "someone"}),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
]


def test_forged_cursors_are_rejected(user):
    for cursor in FORGED_CURSORS:
        with pytest.raises(selectors.InvalidCursor):
            selectors.inferences_page_for_user(user_id=user.user_id, cursor=cursor)


def test_count_since_counts_only_recent_records_of_the_user(user, other_user):
    make_record(user_id=user.user_id, created_at=now_ms() - 2 * 3600 * 1000)
    make_record(user_id=user.user_id)
    make_record(user_id=user.user_id)
    make_record(user_id=other_user.user_id)
    assert selectors.inferences_count_since(user_id=user.user_id, since_ms=now_ms() - 3600 * 1000) == 2
