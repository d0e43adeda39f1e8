from django.core.management.base import BaseCommand, CommandError

from artguard.dynamo import DynamoUnavailable, check_reachable
from artguard.provisioning import storage_provision


class Command(BaseCommand):
    help = "Create missing DynamoDB tables (indexes, TTL) and, on S3, the image buckets. Safe to re-run."

    def handle(self, *args, **options):
        try:
            check_reachable()
        except DynamoUnavailable as error:
            raise CommandError(str(error)) from None
        report = storage_provision()
        created = report["tables_created"] + report["buckets_created"]
        self.stdout.write(self.style.SUCCESS(f"Storage ready; created: {', '.join(created) or 'nothing (all present)'}"))
