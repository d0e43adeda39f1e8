from django.core.management.base import BaseCommand, CommandError

from artguard.health import NotReady, wait_for_services


class Command(BaseCommand):
    help = (
        "Wait until DynamoDB, image storage and the task broker answer; otherwise exit non-zero "
        "with one message naming the variable to check. The run command calls this at start."
    )

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=10.0, help="seconds to keep trying (a service may still be starting)")

    def handle(self, *args, **options):
        try:
            reports = wait_for_services(options["timeout"])
        except NotReady as error:
            raise CommandError(str(error)) from None
        self.stdout.write("Services reachable: " + "; ".join(reports))
