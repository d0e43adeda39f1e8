"""Retention: uploads expire by age (local sweep), records by ttl (hidden from reads)."""
import importlib
import os
import time
from datetime import datetime, timedelta, timezone

from django.apps import apps as django_apps
from django.core.files.base import ContentFile
from django_q.models import Schedule

from accounts import tasks
from artguard.retention import is_expired, record_visible, storage_retention_sweep
from artguard.storage import list_prefix, processed_storage, raw_storage
from detection.tables import InferenceRecord

DAY = 86400


def put(storage, path: str, *, age_days: float) -> str:
    name = storage.save(path, ContentFile(b"data"))
    then = time.time() - age_days * DAY
    os.utime(storage.path(name), (then, then))
    return name


def test_is_expired_accepts_datetimes_epoch_seconds_and_none():
    now = datetime(2026, 1, 10, tzinfo=timezone.utc)
    assert is_expired(now - timedelta(seconds=1), now=now)
    assert not is_expired(now + timedelta(days=1), now=now)
    assert is_expired((now - timedelta(days=1)).timestamp(), now=now)
    assert not is_expired(int((now + timedelta(hours=1)).timestamp()), now=now)
    assert is_expired(datetime(2026, 1, 9), now=now)  # naive means UTC
    assert not is_expired(None, now=now)


def test_record_visible_hides_records_past_their_ttl():
    now = datetime.now(timezone.utc)
    fresh = InferenceRecord(inference_id="a", user_id="u", created_at=1, ttl=now + timedelta(days=1))
    stale = InferenceRecord(inference_id="b", user_id="u", created_at=1, ttl=now - timedelta(minutes=1))
    forever = InferenceRecord(inference_id="c", user_id="u", created_at=1)
    assert [r.inference_id for r in (fresh, stale, forever) if record_visible(r)] == ["a", "c"]


def test_sweep_deletes_uploads_past_each_buckets_retention(settings):
    raw, processed = raw_storage(), processed_storage()
    raw_old = put(raw, "inference/u1/i1/original.jpg", age_days=settings.RAW_RETENTION_DAYS + 1)
    raw_new = put(raw, "inference/u1/i2/original.jpg", age_days=settings.RAW_RETENTION_DAYS - 1)
    processed_mid = put(processed, "inference/u1/i1/heatmap.png", age_days=settings.RAW_RETENTION_DAYS + 1)
    processed_old = put(processed, "inference/u2/i3/report.pdf", age_days=settings.PROCESSED_RETENTION_DAYS + 1)
    # The company's training data never expires, however old.
    training = put(raw, "training/authentic_v1/img1.jpg", age_days=400)
    patches = put(processed, "patches/authentic_v1/img1/p1.png", age_days=400)

    result = tasks.retention_sweep()

    assert result == {"raw": 1, "processed": 1}
    assert set(list_prefix(raw, "")) == {raw_new, training}
    assert set(list_prefix(processed, "")) == {processed_mid, patches}
    assert not raw.exists(raw_old) and not processed.exists(processed_old)
    # Folders emptied by the sweep go too (their names are ids); the inference/ root stays.
    assert not raw.exists("inference/u1/i1") and not processed.exists("inference/u2")
    assert raw.exists("inference") and raw.exists("inference/u1/i2")


def test_sweep_with_nothing_stored_is_a_no_op():
    assert storage_retention_sweep() == {"raw": 0, "processed": 0}


def test_sweep_leaves_s3_to_its_lifecycle_rules(settings):
    settings.STORAGE_BACKEND = "s3"
    put(raw_storage(), "inference/u1/i1/original.jpg", age_days=365)
    assert "skipped" in storage_retention_sweep()
    assert raw_storage().exists("inference/u1/i1/original.jpg")


def test_schedules_are_registered_once_by_the_migration(db):
    schedules = {s.func: s for s in Schedule.objects.filter(func__startswith="accounts.tasks.")}
    assert set(schedules) == {"accounts.tasks.retention_sweep", "accounts.tasks.erasures_resume"}
    assert schedules["accounts.tasks.retention_sweep"].schedule_type == Schedule.DAILY
    assert schedules["accounts.tasks.erasures_resume"].schedule_type == Schedule.MINUTES
    assert all(s.repeats == -1 for s in schedules.values())
    # Running the data migration again (say, after a squash) adds nothing.
    migration = importlib.import_module("accounts.migrations.0002_erasurerequest_and_schedules")
    migration.add_schedules(django_apps, None)
    assert Schedule.objects.filter(func__startswith="accounts.tasks.").count() == 2
