"""Users table (seed 000, table 1)."""
from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from artguard.dynamo import table_meta

EMAIL_GUARD_PREFIX = "email#"


class EmailIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "EmailIndex"
        projection = AllProjection()

    email = UnicodeAttribute(hash_key=True)


class UserRecord(Model):
    """One account. Seed attributes: user_id, email, username, password.

    Additions (docs/data-model.md): is_staff, is_active, created_at, api_token_hash,
    deletion_status. Emails are stored lower-cased. A second kind of item, the email guard
    (`user_id = "email#<email>"`, `guard_owner` set, no `email`), makes an address unique
    even when two sign-ups race: both items are written in one conditional transaction.
    """

    Meta = table_meta("users")

    user_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(null=True)
    username = UnicodeAttribute(null=True)
    password = UnicodeAttribute(null=True)
    is_staff = BooleanAttribute(default=False)
    is_active = BooleanAttribute(default=True)
    created_at = NumberAttribute(null=True)
    api_token_hash = UnicodeAttribute(null=True)
    deletion_status = UnicodeAttribute(null=True)
    guard_owner = UnicodeAttribute(null=True)

    email_index = EmailIndex()
