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
        from accounts.erasers import user_data_eraser_register
        from artguard.dynamo import table_models_register
        from artguard.warmup import warmup_register
        from detection import erasure, selectors, sharing
        from detection.tables import InferenceRecord

        table_models_register(InferenceRecord)
        # An upload names its artist: make the catalogue lookup's clients before the first one.
        warmup_register("served artists", _served_artists)
        # A user's analyses and their stored images are theirs: the right-to-deletion job erases
        # them through these services (detection/erasure.py), in the order the receipt lists them.
        user_data_eraser_register(kind="inference_records", erase=erasure.inferences_erase_for_user,
                                  count=selectors.inferences_count_for_user)
        user_data_eraser_register(kind="shared_items", erase=erasure.shared_items_erase_for_user,
                                  count=sharing.shared_items_count_for_user)
        user_data_eraser_register(kind="raw_objects", erase=erasure.raw_files_erase_for_user)
        user_data_eraser_register(kind="processed_objects", erase=erasure.processed_files_erase_for_user)

        # detection has no ORM models, so post_migrate is never sent for it: hook django_q's.
        post_migrate.connect(_after_migrate, dispatch_uid="detection.sweep_schedule")


def _served_artists():
    """Run the served-artists lookup once for its clients and imports, then forget the answer:
    a model promoted just after this worker started must reach its first upload, as it did
    before there was a warm-up (a cached empty catalogue would refuse it for 5 s)."""
    from detection.services import served_artists
    from training import served_models

    served_artists()
    served_models.clear_cache()


def _after_migrate(sender, **kwargs):
    if getattr(sender, "name", "") == "django_q":
        ensure_sweep_schedule()
