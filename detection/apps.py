from django.apps import AppConfig
from django.db.models.signals import post_migrate

SWEEP_SCHEDULE_NAME = "detection: fail records stuck in PENDING/PROCESSING"
SWEEP_EVERY_MINUTES = 5


def ensure_sweep_schedule(**kwargs) -> None:
    """Create (or correct) the sweep's django-q2 Schedule; safe to run on every migrate."""
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=SWEEP_SCHEDULE_NAME,
        defaults={
            "func": "detection.tasks.inferences_sweep_stuck_task",
            "schedule_type": Schedule.MINUTES,
            "minutes": SWEEP_EVERY_MINUTES,
            "repeats": -1,
        },
    )


class DetectionConfig(AppConfig):
    name = "detection"

    def ready(self):
        # detection has no ORM models, so post_migrate is never sent for it: hook django_q's.
        post_migrate.connect(_after_migrate, dispatch_uid="detection.sweep_schedule")


def _after_migrate(sender, **kwargs):
    if getattr(sender, "name", "") == "django_q":
        ensure_sweep_schedule()
