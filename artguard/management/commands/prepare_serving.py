from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Everything before serving, in one process (the run command calls it): wait for DynamoDB, "
        "storage and the broker (one message naming the variable if one is down), apply "
        "migrations, provision tables and buckets, collect static files."
    )

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the services")

    def handle(self, *args, **options):
        call_command("check_services", timeout=options["timeout"], stdout=self.stdout)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("provision_storage")
        call_command("collectstatic", interactive=False, verbosity=0)
