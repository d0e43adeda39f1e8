"""The integration tier: real DynamoDB Local semantics for every index, cursors, conditional
writes and the TTL attribute."""
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from pynamodb.exceptions import PutError

from accounts.tables import UserRecord
from artguard.dynamo import all_table_models, now_ms
from artguard.pagination import cursor_decode, page_from_query
from datasets.tables import ImageRecord, PatchRecord
from detection.tables import InferenceRecord
from training.tables import ConfigRecord, RunRecord

pytestmark = pytest.mark.integration


# Indexes ArtGuard adds to seed 000's tables, each documented (docs/deletion.md).
ADDED_INDEXES = {"artguard-users-test": {"ErasureIndex"}}


def test_tables_exist_with_seed_names_and_indexes():
    expected = {
        "artguard-users-test": {"EmailIndex"},
        "artguard-inference-records-test": {"UserInferencesIndex"},
        "artguard-image-records-test": {"LabelSplitIndex"},
        "artguard-patch-records-test": {"ImagePatchesIndex"},
        "artguard-run-records-test": {"StatusIndex", "DatasetVersionIndex"},
        "artguard-config-records-test": {"RunConfigsIndex"},
    }
    for model in all_table_models():
        description = model.describe_table()
        name = description["TableName"]
        assert {index["IndexName"] for index in description["GlobalSecondaryIndexes"]} == expected[name] | ADDED_INDEXES.get(name, set())


def test_a_query_on_every_index():
    UserRecord(user_id="u1", email="a@example.com").save()
    assert [r.user_id for r in UserRecord.email_index.query("a@example.com")] == ["u1"]

    for i in range(3):
        InferenceRecord(inference_id=f"i{i}", user_id="u1", created_at=1000 + i).save()
    InferenceRecord(inference_id="other", user_id="u2", created_at=5000).save()
    newest_first = [r.inference_id for r in InferenceRecord.user_inferences_index.query("u1", scan_index_forward=False)]
    assert newest_first == ["i2", "i1", "i0"]

    ImageRecord(image_id="img1", label="forged", split="train").save()
    ImageRecord(image_id="img2", label="forged", split="test").save()
    ImageRecord(image_id="img3", label="authentic", split="train").save()
    assert [r.image_id for r in ImageRecord.label_split_index.query("forged", ImageRecord.split == "train")] == ["img1"]

    PatchRecord(patch_id="p1", image_id="img1", patch_type="forged", patch_x=0, patch_y=0, patch_width=224, patch_height=224).save()
    PatchRecord(patch_id="p2", image_id="img3", patch_type="authentic", patch_x=0, patch_y=0, patch_width=224, patch_height=224).save()
    assert [r.patch_id for r in PatchRecord.image_patches_index.query("img1")] == ["p1"]

    RunRecord(run_id="r1", created_at=1, status="completed", dataset_version="v1", outer_split_seed=1, inner_split_seed=2).save()
    RunRecord(run_id="r2", created_at=2, status="running", dataset_version="v1", outer_split_seed=1, inner_split_seed=2).save()
    assert [r.run_id for r in RunRecord.status_index.query("running")] == ["r2"]
    assert [r.run_id for r in RunRecord.dataset_version_index.query("v1", scan_index_forward=False)] == ["r2", "r1"]

    for fold in (1, 0):
        ConfigRecord(config_id=f"c{fold}", created_at=1, run_id="r1", dataset_version="v1", fold_id=fold, hyperparameters={"lr": 0.01}).save()
    assert [r.fold_id for r in ConfigRecord.run_configs_index.query("r1")] == [0, 1]


def test_pagination_cursor_walks_every_page_once():
    with InferenceRecord.batch_write() as batch:
        for i in range(45):
            batch.save(InferenceRecord(inference_id=uuid.uuid4().hex, user_id="pager", created_at=10_000 + i))
    seen, cursor, pages = [], None, 0
    while True:
        start = cursor_decode(cursor, allowed_keys={"inference_id", "user_id", "created_at"})
        page = page_from_query(
            InferenceRecord.user_inferences_index.query("pager", scan_index_forward=False, limit=20, last_evaluated_key=start),
            limit=20,
        )
        seen.extend(r.created_at for r in page.items)
        pages += 1
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 45
    assert pages == 3


def test_conditional_write_conflict():
    record = InferenceRecord(inference_id="dup", user_id="u1", created_at=now_ms())
    record.save(condition=InferenceRecord.inference_id.does_not_exist())
    with pytest.raises(PutError) as error:
        InferenceRecord(inference_id="dup", user_id="u2", created_at=now_ms()).save(condition=InferenceRecord.inference_id.does_not_exist())
    assert error.value.cause_response_code == "ConditionalCheckFailedException"
    assert InferenceRecord.get("dup").user_id == "u1"


def test_ttl_attribute_round_trip_and_table_ttl_enabled():
    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=90)
    InferenceRecord(inference_id="ttl", user_id="u1", created_at=now_ms(), ttl=expires).save()
    stored = InferenceRecord.get("ttl")
    assert stored.ttl == expires
    raw = InferenceRecord._get_connection().connection.client.get_item(TableName=InferenceRecord.Meta.table_name, Key={"inference_id": {"S": "ttl"}})
    assert int(raw["Item"]["ttl"]["N"]) == int(expires.timestamp())
    described = InferenceRecord._get_connection().connection.client.describe_time_to_live(TableName=InferenceRecord.Meta.table_name)
    assert described["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}


def test_update_quietly_writes_under_its_condition_and_reads_nothing_back():
    from pynamodb.exceptions import UpdateError

    from artguard.dynamo import update_quietly

    record = InferenceRecord(inference_id=uuid.uuid4().hex, user_id="quiet", created_at=1, status="PROCESSING")
    record.save()
    update_quietly(record, actions=[InferenceRecord.status.set("COMPLETED")], condition=InferenceRecord.status == "PROCESSING")
    assert record.status == "PROCESSING"  # nothing was read back into the object
    assert InferenceRecord.get(record.inference_id, consistent_read=True).status == "COMPLETED"
    with pytest.raises(UpdateError) as failed:
        update_quietly(record, actions=[InferenceRecord.status.set("FAILED")], condition=InferenceRecord.status == "PROCESSING")
    assert failed.value.cause_response_code == "ConditionalCheckFailedException"
    assert InferenceRecord.get(record.inference_id, consistent_read=True).status == "COMPLETED"
