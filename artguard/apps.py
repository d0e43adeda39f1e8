from django.apps import AppConfig


class ArtGuardConfig(AppConfig):
    """Project-level commands: provisioning and DynamoDB checks."""

    name = "artguard"
    verbose_name = "ArtGuard"
