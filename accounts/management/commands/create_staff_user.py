import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import selectors, services


class Command(BaseCommand):
    help = "Create a staff account (or make an existing account staff). Password from --password, ARTGUARD_STAFF_PASSWORD, or a prompt."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", default=None)
        parser.add_argument("--username", default="")

    def handle(self, *args, email, password, username, **options):
        existing = selectors.user_record_get_by_email(email=email)
        if existing:
            services.user_set_staff(user_id=existing.user_id, is_staff=True)
            self.stdout.write(self.style.SUCCESS(f"{existing.email} is now staff"))
            return
        password = password or os.environ.get("ARTGUARD_STAFF_PASSWORD") or getpass.getpass("Password: ")
        try:
            user = services.user_create(email=email, password=password, username=username, is_staff=True)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        except services.EmailTaken:
            raise CommandError(f"An account with {email} already exists") from None
        self.stdout.write(self.style.SUCCESS(f"Staff account created: {user.email}"))
