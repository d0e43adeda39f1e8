"""Django's view of an account. Accounts live only in the DynamoDB Users table: this model is
unmanaged (no SQL table), built from a UserRecord on each request, and never saved through
the ORM. It exists so sessions, the admin and DRF have the user object they expect."""
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac


class User(models.Model):
    user_id = models.CharField(primary_key=True, max_length=64)
    email = models.EmailField(unique=True)
    username = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    is_authenticated = True
    is_anonymous = False

    class Meta:
        managed = False

    def __init__(self, *args, password_hash: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._password_hash = password_hash

    def __str__(self) -> str:
        return self.email

    # Staff are ArtGuard's operators: every staff member may use every admin page.
    @property
    def is_superuser(self) -> bool:
        return self.is_staff

    def has_perm(self, perm, obj=None) -> bool:
        return self.is_active and self.is_staff

    def has_perms(self, perm_list, obj=None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label) -> bool:
        return self.is_active and self.is_staff

    def get_username(self) -> str:
        return self.email

    def get_short_name(self) -> str:
        return self.username or self.email

    def get_full_name(self) -> str:
        return self.username or self.email

    def has_usable_password(self) -> bool:
        # Hides the admin's own password-change link: passwords change through accounts pages.
        return False

    def get_session_auth_hash(self) -> str:
        # Changing the password (or erasing the account) ends every session of the account.
        return self._session_hash(settings.SECRET_KEY)

    def get_session_auth_fallback_hash(self):
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(fallback_secret)

    def _session_hash(self, secret: str) -> str:
        return salted_hmac("accounts.User.session", self._password_hash, secret=secret, algorithm="sha256").hexdigest()

    def save(self, *args, **kwargs):
        raise TypeError("Accounts are stored in DynamoDB: use accounts.services, not save().")

    def delete(self, *args, **kwargs):
        raise TypeError("Accounts are stored in DynamoDB: use accounts.services, not delete().")


def _receipt_token() -> str:
    return secrets.token_urlsafe(32)


class ErasureRequest(models.Model):
    """One right-to-deletion request and its receipt (accounts/erasure.py runs it).

    Kept in the Django database beside django-q2's task tables: it is operational and audit
    state that must outlive the account it erases, so it holds no personal data - the opaque
    user_id, a SHA-256 of the email (to answer "was this address erased?"), counts and times.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "Erasing"
        RETRYING = "retrying", "Interrupted, will resume"
        COMPLETED = "completed", "Completed"

    class RequestedBy(models.TextChoices):
        SELF = "self", "The account holder"
        STAFF = "staff", "Staff"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.CharField(max_length=64, db_index=True)
    email_sha256 = models.CharField(max_length=64, blank=True)
    requested_by = models.CharField(max_length=8, choices=RequestedBy.choices)
    staff_user_id = models.CharField(max_length=64, blank=True)
    # The capability behind the receipt page: the account is gone, so the page cannot ask who you are.
    receipt_token = models.CharField(max_length=64, unique=True, default=_receipt_token, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    step = models.CharField(max_length=32, blank=True)
    inference_records = models.PositiveIntegerField(default=0)
    raw_objects = models.PositiveIntegerField(default=0)
    processed_objects = models.PositiveIntegerField(default=0)
    account = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A worker holds the request until lease_until, renewed as it makes progress.
    lease_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    COUNT_FIELDS = ("inference_records", "raw_objects", "processed_objects", "account")

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user_id"],
                condition=~models.Q(status="completed"),
                name="one_open_erasure_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"Erasure {self.id} of user {self.user_id} ({self.status})"

    @property
    def is_complete(self) -> bool:
        return self.status == self.Status.COMPLETED

    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.COUNT_FIELDS}
