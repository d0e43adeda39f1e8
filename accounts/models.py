"""Django's view of an account. Accounts live only in the DynamoDB Users table: this model is
unmanaged (no SQL table), built from a UserRecord on each request, and never saved through
the ORM. It exists so sessions, the admin and DRF have the user object they expect."""
import secrets

from django.conf import settings
from django.db import models
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
    # Referenced by migration 0002, which created the old SQL ErasureRequest table. Erasure
    # requests now live in DynamoDB (accounts/erasure_store.py); migration 0003 drops the table.
    return secrets.token_urlsafe(32)
