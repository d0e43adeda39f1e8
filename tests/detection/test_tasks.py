from __future__ import annotations

from django_q.models import Schedule

from artguard.dynamo import now_ms
from detection import tasks
from detection.apps import SWEEP_SCHEDULE_NAME, ensure_sweep_schedule
from detection.selectors import PENDING_MARKER_PREFIX, PENDING_MARKER_USER
from detection.tables import InferenceRecord
from tests.detection.factories import make_record


def test_sweep_schedule_exists_after_migrate_and_is_created_once(db):
    ensure_sweep_schedule()
    ensure_sweep_schedule()
    schedules = Schedule.objects.filter(name=SWEEP_SCHEDULE_NAME)
    assert schedules.count() == 1
    assert schedules.get().func == "detection.tasks.inferences_sweep_stuck_task"


def test_sweep_task_fails_only_stuck_records(user):
    old = now_ms() - 60 * 60 * 1000
    stuck = make_record(user_id=user.user_id, created_at=old, status="PROCESSING")
    fresh = make_record(user_id=user.user_id, status="PENDING")
    done = make_record(user_id=user.user_id, created_at=old, status="COMPLETED")
    for record in (stuck, fresh, done):
        InferenceRecord(inference_id=PENDING_MARKER_PREFIX + record.inference_id, user_id=PENDING_MARKER_USER,
                        created_at=record.created_at).save()
    assert tasks.inferences_sweep_stuck_task() == 1
    assert InferenceRecord.get(stuck.inference_id).status == "FAILED"
    assert InferenceRecord.get(fresh.inference_id).status == "PENDING"
    assert InferenceRecord.get(done.inference_id).status == "COMPLETED"
    # Markers of finished records are cleared; the fresh one's stays.
    assert [m.inference_id for m in InferenceRecord.user_inferences_index.query(PENDING_MARKER_USER)] == [
        PENDING_MARKER_PREFIX + fresh.inference_id
    ]


def test_process_task_ignores_unknown_and_finished_records(user):
    done = make_record(user_id=user.user_id, status="COMPLETED")
    tasks.inference_process_task("0" * 32)
    tasks.inference_process_task(done.inference_id)
    assert InferenceRecord.get(done.inference_id).status == "COMPLETED"
