import sys

from django.apps import AppConfig


class ArtGuardConfig(AppConfig):
    """Project-level commands: provisioning and DynamoDB checks."""

    name = "artguard"
    verbose_name = "ArtGuard"

    def ready(self):
        from artguard.worker_priority import lower_if_worker

        lower_if_worker(sys.argv)
