"""The same reads and conditional writes on a real DynamoDB Local (moto can differ on
transactions, GSIs and Select=COUNT)."""
from __future__ import annotations

import pytest
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from artguard.dynamo import now_ms
from detection import selectors, services
from detection.selectors import PENDING_MARKER_USER
from detection.tables import InferenceRecord
from tests.detection.factories import make_record, make_records

pytestmark = pytest.mark.integration


def test_history_paging_count_markers_and_sweep_on_dynamodb_local(user, dynamo_operations):
    records = list(reversed(make_records(user_id=user.user_id, count=23)))
    first = selectors.inferences_page_for_user(user_id=user.user_id)
    second = selectors.inferences_page_for_user(user_id=user.user_id, cursor=first.next_cursor)
    assert [r.inference_id for r in first.records + second.records] == [r.inference_id for r in records]
    assert second.next_cursor is None
    assert selectors.inferences_count_since(user_id=user.user_id, since_ms=0) == 23

    stuck = make_record(user_id=user.user_id, created_at=now_ms() - 3600 * 1000, status="PENDING")
    InferenceRecord(inference_id=f"pending#{stuck.inference_id}", user_id=PENDING_MARKER_USER, created_at=stuck.created_at).save()
    assert services.inferences_sweep_stuck() == 1
    assert InferenceRecord.get(stuck.inference_id).status == "FAILED"
    assert InferenceRecord.user_inferences_index.count(PENDING_MARKER_USER) == 0
    assert "Scan" not in dynamo_operations


def test_conditional_create_transaction_refuses_a_second_writer(user):
    record = make_record(user_id=user.user_id, status="PENDING")
    duplicate = InferenceRecord(inference_id=record.inference_id, user_id=user.user_id, created_at=now_ms())
    with pytest.raises(TransactWriteError) as error:
        with TransactWrite(connection=InferenceRecord._get_connection().connection) as transaction:
            transaction.save(duplicate, condition=InferenceRecord.inference_id.does_not_exist())
            transaction.save(services.pending_marker(duplicate))
    assert error.value.cause_response_code == "TransactionCanceledException"
    assert InferenceRecord.user_inferences_index.count(PENDING_MARKER_USER) == 0
