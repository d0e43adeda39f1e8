from django.urls import reverse

from accounts import selectors
from tests.conftest import STRONG_PASSWORD


def _signup(client, email, password=STRONG_PASSWORD, password2=None):
    return client.post(reverse("accounts:signup"), {"email": email, "password1": password, "password2": password2 or password})


def test_signup_logs_in_and_creates_account(client, db):
    response = _signup(client, "new@example.com")
    assert response.status_code == 302
    assert selectors.user_record_get_by_email(email="new@example.com") is not None
    profile = client.get(reverse("accounts:profile"))
    assert profile.status_code == 200 and b"new@example.com" in profile.content


def test_signup_errors_are_clear_and_create_nothing(client, db, user):
    taken = _signup(client, "ALICE@example.com")
    assert taken.status_code == 400 and b"already exists" in taken.content
    weak = _signup(client, "weak@example.com", password="password")
    assert weak.status_code == 400 and b"too common" in weak.content
    assert selectors.user_record_get_by_email(email="weak@example.com") is None
    malformed = _signup(client, "not-an-email")
    assert malformed.status_code == 400 and b"valid email" in malformed.content
    mismatch = _signup(client, "mm@example.com", password2="another-password-123")
    assert mismatch.status_code == 400 and b"differ" in mismatch.content


def test_login_logout_login(client, db, user):
    response = client.post(reverse("accounts:login"), {"email": "Alice@Example.com", "password": STRONG_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_failed_login_does_not_reveal_whether_email_exists(client, db, user):
    wrong_password = client.post(reverse("accounts:login"), {"email": user.email, "password": "nope-nope-nope"})
    unknown_email = client.post(reverse("accounts:login"), {"email": "ghost@example.com", "password": "nope-nope-nope"})
    assert wrong_password.status_code == unknown_email.status_code == 400
    assert b"do not match an active account" in wrong_password.content
    assert b"do not match an active account" in unknown_email.content


def test_login_attempts_are_rate_limited(client, db, user, settings):
    settings.LOGIN_ATTEMPTS_PER_HOUR = 3
    for _ in range(3):
        client.post(reverse("accounts:login"), {"email": user.email, "password": "bad-password-x"})
    blocked = client.post(reverse("accounts:login"), {"email": user.email, "password": STRONG_PASSWORD})
    assert blocked.status_code == 429


def test_login_next_must_be_local(client, db, user):
    response = client.post(reverse("accounts:login") + "?next=https://evil.example/", {"email": user.email, "password": STRONG_PASSWORD, "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_password_change_ends_sessions(client, db, user):
    from accounts.services import user_set_password

    client.force_login(user, backend="accounts.backends.DynamoUserBackend")
    assert client.get(reverse("accounts:profile")).status_code == 200
    user_set_password(user_id=user.user_id, password="a-brand-new-password-42")
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_api_token_from_profile_authenticates_api(user_client, db):
    created = user_client.post(reverse("accounts:profile"), {"action": "create_token", "name": "inventory script"})
    assert created.status_code == 302 and created["Location"] == reverse("accounts:profile")  # a reload sends nothing again
    page = user_client.get(reverse("accounts:profile"))
    token = page.context["token"]
    assert token and token in page.content.decode() and "inventory script" in page.content.decode()
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/detections/").status_code == 200
    api.credentials(HTTP_AUTHORIZATION="Token ag_x_y")
    assert api.get("/api/detections/").status_code == 401


def test_reloading_the_profile_never_replaces_a_token_and_each_is_revoked_alone(user_client, db, user):
    """A reload used to send the form again and replace the copied token in silence (issue 29)."""
    from rest_framework.test import APIClient

    def works(token: str) -> bool:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return api.get("/api/detections/").status_code == 200

    user_client.post(reverse("accounts:profile"), {"action": "create_token", "name": "laptop"})
    first = user_client.get(reverse("accounts:profile")).context["token"]
    reloaded = user_client.get(reverse("accounts:profile"))
    assert reloaded.context["token"] is None  # shown once
    assert [row["name"] for row in reloaded.context["tokens"]] == ["laptop"] and works(first)
    html = reloaded.content.decode()
    assert first not in html and 'class="token-row"' in html and "never" in html  # not used yet when listed

    user_client.post(reverse("accounts:profile"), {"action": "create_token", "name": "script"})
    second = user_client.get(reverse("accounts:profile")).context["token"]
    assert works(first) and works(second)  # a new token does not revoke the others
    listed = user_client.get(reverse("accounts:profile")).context["tokens"]
    assert [row["name"] for row in listed] == ["laptop", "script"]
    assert listed[0]["last_used"] is not None  # used above

    revoked = user_client.post(reverse("accounts:profile"), {"action": "revoke_token", "token_id": listed[0]["token_id"]}, follow=True)
    assert "Token revoked" in revoked.content.decode()
    assert not works(first) and works(second)
    again = user_client.post(reverse("accounts:profile"), {"action": "revoke_token", "token_id": listed[0]["token_id"]}, follow=True)
    assert "No such token" in again.content.decode()


def test_csrf_is_enforced_on_forms(db, user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("accounts:login"), {"email": user.email, "password": STRONG_PASSWORD}).status_code == 403
