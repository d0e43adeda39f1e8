import threading

import pytest
from django.core.exceptions import ValidationError

from accounts import selectors, services
from accounts.tables import UserRecord
from tests.conftest import STRONG_PASSWORD


def test_user_create_stores_hashed_password_and_lowercase_email(db):
    user = services.user_create(email="Alice@Example.COM", password=STRONG_PASSWORD)
    record = UserRecord.get(user.user_id)
    assert record.email == "alice@example.com"
    assert record.password != STRONG_PASSWORD and record.password.startswith(("pbkdf2_", "md5$"))
    assert selectors.user_record_get_by_email(email="ALICE@example.com").user_id == user.user_id


def test_same_email_in_any_case_is_refused(db):
    services.user_create(email="bob@example.com", password=STRONG_PASSWORD)
    with pytest.raises(services.EmailTaken):
        services.user_create(email="BOB@Example.com", password=STRONG_PASSWORD)


def test_weak_password_and_bad_email_create_nothing(db):
    with pytest.raises(ValidationError):
        services.user_create(email="carol@example.com", password="123")
    with pytest.raises(ValidationError):
        services.user_create(email="not-an-email", password=STRONG_PASSWORD)
    assert selectors.user_record_get_by_email(email="carol@example.com") is None


def test_authenticate(db, user):
    assert services.user_authenticate(email="ALICE@example.com", password=STRONG_PASSWORD).user_id == user.user_id
    assert services.user_authenticate(email="alice@example.com", password="wrong-password-1") is None
    assert services.user_authenticate(email="nobody@example.com", password=STRONG_PASSWORD) is None


def test_disabled_user_cannot_authenticate(db, user):
    services.user_disable(user_id=user.user_id)
    assert services.user_authenticate(email=user.email, password=STRONG_PASSWORD) is None


def test_api_token_round_trip_and_revocation(db, user):
    first = services.api_token_create(user_id=user.user_id)
    assert services.api_token_user(token=first).user_id == user.user_id
    second = services.api_token_create(user_id=user.user_id, name="script")
    assert services.api_token_user(token=first).user_id == user.user_id  # both work until revoked
    first_id = first.split("_", 2)[2].split(".")[0]
    assert services.api_token_revoke(user_id=user.user_id, token_id=first_id)
    assert not services.api_token_revoke(user_id=user.user_id, token_id=first_id)
    assert not services.api_token_revoke(user_id=user.user_id, token_id="../x")
    assert services.api_token_user(token=first) is None
    assert services.api_token_user(token=second).user_id == user.user_id
    tampered = second[:-1] + ("A" if second[-1] != "A" else "B")
    assert services.api_token_user(token=tampered) is None
    assert services.api_token_user(token="ag_" + user.user_id + "_forged") is None
    assert services.api_token_user(token="garbage") is None


def test_an_account_holds_at_most_ten_tokens_and_a_legacy_token_still_works_until_revoked(db, user):
    import hashlib

    from accounts.selectors import LEGACY_TOKEN_ID, api_tokens_list
    from accounts.tables import UserRecord

    UserRecord(user_id=user.user_id).update(actions=[UserRecord.api_token_hash.set(hashlib.sha256(b"old-secret").hexdigest())])
    legacy = f"ag_{user.user_id}_old-secret"
    assert services.api_token_user(token=legacy).user_id == user.user_id
    for n in range(services.MAX_API_TOKENS):
        services.api_token_create(user_id=user.user_id, name=f"t{n}")
    with pytest.raises(services.TooManyTokens):
        services.api_token_create(user_id=user.user_id)
    rows = api_tokens_list(user_id=user.user_id)
    assert rows[0]["token_id"] == LEGACY_TOKEN_ID and len(rows) == services.MAX_API_TOKENS + 1
    assert all("hash" not in row for row in rows)
    assert services.api_token_revoke(user_id=user.user_id, token_id=LEGACY_TOKEN_ID)
    assert services.api_token_user(token=legacy) is None


def test_user_delete_frees_the_email(db, user):
    assert services.user_delete(user_id=user.user_id) is True
    assert services.user_delete(user_id=user.user_id) is False
    services.user_create(email=user.email, password=STRONG_PASSWORD)


@pytest.mark.integration
def test_racing_signups_for_one_email_create_one_account(db):
    results = []

    def sign_up(email):
        try:
            results.append(services.user_create(email=email, password=STRONG_PASSWORD))
        except services.EmailTaken:
            results.append(None)

    threads = [threading.Thread(target=sign_up, args=(email,)) for email in ["race@example.com", "RACE@example.com", "Race@Example.com", "race@EXAMPLE.com"]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(1 for result in results if result) == 1
    assert len(list(UserRecord.email_index.query("race@example.com"))) == 1
