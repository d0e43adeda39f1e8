"""`manage.py bootstrap_demo [--quick] [--force]`: on a first run with no promoted model, prepare
the synthetic demo data and a quick demo model (the run command calls this)."""
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.bootstrap import DemoPlan, demo_model_ensure


class Command(BaseCommand):
    help = "Make, upload and version the synthetic demo dataset, then train and promote a demo model, unless a model already serves."

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="a tiny demo (24 images, 2 folds) for tests and smoke runs")
        parser.add_argument("--force", action="store_true", help="train and promote a demo model even if a model serves")

    def handle(self, *args, **options):
        if not settings.DEMO_BOOTSTRAP and not options["force"] and not options["quick"]:
            self.stdout.write("Demo bootstrap is off (ARTGUARD_DEMO_BOOTSTRAP=false).")
            return

        def say(message: str) -> None:
            self.stdout.write(message)
            sys.stdout.flush()

        plan = DemoPlan.quick() if options["quick"] else DemoPlan.standard()
        try:
            demo_model_ensure(plan=plan, say=say, force=options["force"])
        except Exception as error:  # the server still starts; the upload page says no model serves
            raise CommandError(f"The demo bootstrap stopped: {error}. Run `bin/artguard manage bootstrap_demo` to resume.") from error
