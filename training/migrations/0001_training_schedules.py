"""The scheduled sweep that fails runs whose worker died (stale heartbeat). Keyed by name, so
re-running this migration never creates a duplicate."""
from django.db import migrations

SCHEDULES = [
    # (name, func, schedule_type, minutes)
    ("training: fail runs with a stale heartbeat", "training.tasks.runs_sweep_stale_task", "I", 5),
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
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(add_schedules, remove_schedules)]
