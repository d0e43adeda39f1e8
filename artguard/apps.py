from django.apps import AppConfig


class ArtGuardConfig(AppConfig):
    """Project-level commands: provisioning, DynamoDB checks, the first-run demo bootstrap."""

    name = "artguard"
    verbose_name = "ArtGuard"
