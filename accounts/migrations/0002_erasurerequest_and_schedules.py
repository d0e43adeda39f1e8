"""ErasureRequest (right to deletion) and the two scheduled jobs: resuming interrupted
erasures and the local retention sweep. Schedules are keyed by name, so re-running this
migration (or a fresh database) never creates duplicates."""
import uuid

import django.utils.timezone
from django.db import migrations, models

import accounts.models

SCHEDULES = [
    # (name, func, schedule_type, minutes)
    ("accounts: resume interrupted erasures", "accounts.tasks.erasures_resume", "I", 5),
    ("artguard: retention sweep of local uploads", "accounts.tasks.retention_sweep", "D", None),
]


def add_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, schedule_type, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": schedule_type, "minutes": minutes, "repeats": -1},
        )


def remove_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=[name for name, *_ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.CreateModel(
            name="ErasureRequest",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("user_id", models.CharField(db_index=True, max_length=64)),
                ("email_sha256", models.CharField(blank=True, max_length=64)),
                ("requested_by", models.CharField(choices=[("self", "The account holder"), ("staff", "Staff")], max_length=8)),
                ("staff_user_id", models.CharField(blank=True, max_length=64)),
                ("receipt_token", models.CharField(default=accounts.models._receipt_token, editable=False, max_length=64, unique=True)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting to start"),
                            ("running", "Erasing"),
                            ("retrying", "Interrupted, will resume"),
                            ("completed", "Completed"),
                        ],
                        db_index=True,
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("step", models.CharField(blank=True, max_length=32)),
                ("inference_records", models.PositiveIntegerField(default=0)),
                ("raw_objects", models.PositiveIntegerField(default=0)),
                ("processed_objects", models.PositiveIntegerField(default=0)),
                ("account", models.PositiveIntegerField(default=0)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("last_error", models.TextField(blank=True)),
                ("requested_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("completed_at", models.DateTimeField(blank=True, null=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                ("lease_until", models.DateTimeField(blank=True, null=True)),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"ordering": ["-requested_at"]},
        ),
        migrations.AddConstraint(
            model_name="erasurerequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "completed"), _negated=True),
                fields=("user_id",),
                name="one_open_erasure_per_user",
            ),
        ),
        migrations.RunPython(add_schedules, remove_schedules),
    ]
