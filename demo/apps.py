from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The first-run demo bootstrap. It drives datasets and training, so it sits above them:
    nothing imports it but its own `bootstrap_demo` command (and its test and benchmark)."""

    name = "demo"
    verbose_name = "First-run demo"
