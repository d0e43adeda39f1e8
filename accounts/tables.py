"""Users table (seed 000, table 1)."""
from pynamodb.attributes import BooleanAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from artguard.dynamo import table_meta

EMAIL_GUARD_PREFIX = "email#"
ERASURE_PREFIX = "erasure#"
RECEIPT_PREFIX = "receipt#"


class EmailIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "EmailIndex"
        projection = AllProjection()

    email = UnicodeAttribute(hash_key=True)


class ErasureIndex(GlobalSecondaryIndex):
    """Addition to seed 000 (docs/deletion.md): a sparse index over erasure items only.
    `erasure_state` is "open" until the erasure completes, then "done", so the resume job
    reads only the open ones and the staff list pages through the done ones, newest first."""

    class Meta:
        index_name = "ErasureIndex"
        projection = AllProjection()

    erasure_state = UnicodeAttribute(hash_key=True)
    erasure_requested_at = NumberAttribute(range_key=True)


class ErasureFields(MapAttribute):
    """One right-to-deletion request and its receipt: no personal data, only the opaque user id,
    a keyed HMAC of the email (accounts.erasure.email_digest: a leaked table cannot confirm a
    guessed address without the server's secret), counts and times (epoch ms). It outlives the
    account it erases."""

    request_id = UnicodeAttribute()
    receipt_token = UnicodeAttribute()
    email_sha256 = UnicodeAttribute(null=True)  # requests made before the HMAC: never written again
    email_hmac = UnicodeAttribute(null=True)
    requested_by = UnicodeAttribute()
    staff_user_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    step = UnicodeAttribute(null=True)
    inference_records = NumberAttribute(default=0)
    shared_items = NumberAttribute(default=0)  # share links and verification items (docs/verification.md)
    raw_objects = NumberAttribute(default=0)
    processed_objects = NumberAttribute(default=0)
    account = NumberAttribute(default=0)
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    started_at = NumberAttribute(null=True)
    completed_at = NumberAttribute(null=True)
    # A worker holds the request until lease_until, renewed as it makes progress.
    lease_until = NumberAttribute(null=True)
    next_attempt_at = NumberAttribute(null=True)


class UserRecord(Model):
    """One account. Seed attributes: user_id, email, username, password.

    Additions (docs/data-model.md): is_staff, is_active, created_at, api_token_hash (legacy),
    api_tokens, deletion_status. Emails are stored lower-cased. A second kind of item, the email guard
    (`user_id = "email#<email>"`, `guard_owner` set, no `email`), makes an address unique
    even when two sign-ups race: both items are written in one conditional transaction.
    A third kind, the erasure item (`user_id = "erasure#<user_id>"`), records a right-to-deletion
    request; it must survive the account, and workers on any host share it. A fourth, the receipt
    pointer (`user_id = "receipt#<receipt token>"`, `receipt_of` set), finds that request from
    the receipt link alone, so the link need not name the user.
    """

    Meta = table_meta("users")

    user_id = UnicodeAttribute(hash_key=True)
    email = UnicodeAttribute(null=True)
    username = UnicodeAttribute(null=True)
    password = UnicodeAttribute(null=True)
    is_staff = BooleanAttribute(default=False)
    is_active = BooleanAttribute(default=True)
    created_at = NumberAttribute(null=True)
    api_token_hash = UnicodeAttribute(null=True)  # the single token of accounts made before api_tokens
    # {token_id: {"hash", "name", "created_at", "last_used_at"}}: several named API tokens, each
    # revocable alone (accounts.services.api_token_create / api_token_revoke).
    api_tokens = MapAttribute(null=True)
    deletion_status = UnicodeAttribute(null=True)
    guard_owner = UnicodeAttribute(null=True)
    # Erasure items (`user_id = "erasure#<user_id>"`, docs/deletion.md) carry only these three.
    erasure = ErasureFields(null=True)
    erasure_state = UnicodeAttribute(null=True)
    erasure_requested_at = NumberAttribute(null=True)
    receipt_of = UnicodeAttribute(null=True)  # receipt pointers: the erased user's id

    email_index = EmailIndex()
    erasure_index = ErasureIndex()
