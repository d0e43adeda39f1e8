from django.core.management.base import BaseCommand, CommandError

from artguard.dynamo import DynamoUnavailable, check_reachable


class Command(BaseCommand):
    help = "Exit non-zero with one clear message if DynamoDB cannot be reached."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=10.0)

    def handle(self, *args, **options):
        try:
            check_reachable(options["timeout"])
        except DynamoUnavailable as error:
            raise CommandError(str(error)) from None
        self.stdout.write("DynamoDB reachable")
