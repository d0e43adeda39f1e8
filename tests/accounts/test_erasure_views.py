"""The deletion page, the receipt page and the staff list."""
from django.urls import reverse

from accounts import erasure_store
from accounts.selectors import user_record_get
from accounts.tables import UserRecord
from tests.accounts.user_data import seed_user_data, user_traces
from tests.conftest import STRONG_PASSWORD


def test_profile_links_to_the_deletion_page(user_client):
    page = user_client.get(reverse("accounts:profile"))
    assert reverse("accounts:delete_data").encode() in page.content


def test_deletion_page_needs_login(client, db):
    response = client.get(reverse("accounts:delete_data"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_wrong_confirmation_deletes_nothing(user_client, user):
    seed_user_data(user.user_id, analyses=2)
    page = user_client.get(reverse("accounts:delete_data"))
    assert page.status_code == 200 and b"your 2 analyses" in page.content
    assert user_client.post(reverse("accounts:delete_data"), {"confirm": ""}).status_code == 400
    for typed in ("delete", "bob@example.com"):
        response = user_client.post(reverse("accounts:delete_data"), {"confirm": typed})
        assert response.status_code == 400 and b"Nothing was deleted" in response.content
    assert erasure_store.erasure_get(user_id=user.user_id) is None
    assert user_record_get(user_id=user.user_id).is_active


def test_user_deletes_from_the_browser_and_sees_the_receipt(user_client, user):
    expected = seed_user_data(user.user_id, analyses=3)
    response = user_client.post(reverse("accounts:delete_data"), {"confirm": "Alice@Example.com"})

    request = erasure_store.erasure_get(user_id=user.user_id)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:erasure_receipt", args=[request.receipt_token])
    receipt = user_client.get(response["Location"])
    assert receipt.status_code == 200 and receipt["Cache-Control"] == "no-store"
    html = receipt.content.decode()
    assert "Your data has been deleted" in html
    for kind, count in expected.items():
        assert f'class="count-{kind}">{count}<' in html
    assert user_traces(user.user_id, user.email) == []
    # Logged out, and the account cannot come back.
    assert user_client.get(reverse("accounts:profile")).status_code == 302
    assert user_client.post(reverse("accounts:login"), {"email": user.email, "password": STRONG_PASSWORD}).status_code == 400


def test_typing_delete_also_confirms(user_client, user):
    response = user_client.post(reverse("accounts:delete_data"), {"confirm": "DELETE"})
    assert response.status_code == 302 and erasure_store.erasure_get(user_id=user.user_id).status == "completed"


def test_unknown_receipt_token_is_404(client, db):
    assert client.get(reverse("accounts:erasure_receipt", args=["not-a-token"])).status_code == 404
    assert client.get(reverse("api-erasure-status", args=["not-a-token"])).status_code == 404
    request = erasure_store.erasure_create(user_id="u1", requested_by="self")
    forged = request.receipt_token[:-4] + ("aaaa" if not request.receipt_token.endswith("aaaa") else "bbbb")
    assert client.get(reverse("accounts:erasure_receipt", args=[forged])).status_code == 404
    assert client.get(reverse("accounts:erasure_receipt", args=["u1.x"])).status_code == 404
    assert client.get(reverse("accounts:erasure_receipt", args=[request.receipt_token])).status_code == 200
    assert client.get(reverse("accounts:erasure_receipt", args=["receipt#" + request.receipt_token])).status_code == 404


def test_the_receipt_link_names_nobody(user_client, user):
    """The page says the link "contains nothing about you but these counts": so it must not carry the user id."""
    response = user_client.post(reverse("accounts:delete_data"), {"confirm": "DELETE"})
    link = response["Location"]
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert user.user_id not in link and user.email.split("@")[0] not in link
    assert len(token) >= 43  # at least 256 random bits, URL-safe
    html = user_client.get(link).content.decode()
    assert "contains nothing about you but these counts" in html
    # The pointer the link is found by is no account.
    assert user_record_get(user_id="receipt#" + token) is None


def test_a_receipt_link_made_before_the_random_ids_still_opens(client, db):
    """Links of the old form "<user id>.<random>" were handed out; they keep working."""
    erasure_store.erasure_create(user_id="u7", requested_by="self")
    old_token = "u7.Kx3vQ0r8bH2mN5pL7sT9wY1zA4cE6gJ8kM0oR2uW4yB"
    UserRecord.get("erasure#u7").update(actions=[UserRecord.erasure.receipt_token.set(old_token)])
    assert client.get(reverse("accounts:erasure_receipt", args=[old_token])).status_code == 200
    assert client.get(reverse("accounts:erasure_receipt", args=["u7.wrong"])).status_code == 404


def test_receipt_shows_progress_of_an_interrupted_erasure(client, db):
    erasure_store.erasure_create(user_id="u1", requested_by="self")
    erasure_store.erasure_claim(user_id="u1", lease_ms=60_000)
    erasure_store.erasure_progress(user_id="u1", added={"raw_objects": 4}, lease_ms=60_000)
    erasure_store.erasure_failed(user_id="u1", error_text="OSError: storage unavailable", retry_in_ms=60_000)
    request = erasure_store.erasure_get(user_id="u1")
    html = client.get(reverse("accounts:erasure_receipt", args=[request.receipt_token])).content.decode()
    assert "Deleting your data" in html and "resumes automatically" in html and 'http-equiv="refresh"' in html
    assert 'class="count-raw_objects">4<' in html


def test_staff_list_of_erasure_requests(client, staff_client, user, make_user):
    seed_user_data(user.user_id, analyses=1)
    staff_client.delete(reverse("api-user-data-delete", args=[user.user_id]))
    page = staff_client.get(reverse("accounts:erasures"))
    assert page.status_code == 200
    assert user.user_id.encode() in page.content and b"Completed" in page.content
    member = make_user("member@example.com")
    client.force_login(member, backend="accounts.backends.DynamoUserBackend")
    assert client.get(reverse("accounts:erasures")).status_code == 302


def test_staff_see_unfinished_requests_first_and_resume_them_now(staff_client, make_user):
    stuck = make_user("stuck@example.com")
    seed_user_data(stuck.user_id, analyses=1)
    erasure_store.erasure_create(user_id=stuck.user_id, requested_by="staff")  # its job never ran
    page = staff_client.get(reverse("accounts:erasures")).content.decode()
    unfinished, completed = page.split("<h2>Completed</h2>")
    assert stuck.user_id in unfinished and "Waiting to start" in unfinished and "Resume now" in unfinished
    assert "No completed erasures yet." in completed
    # "Resume now" runs the unfinished request (synchronously in tests).
    response = staff_client.post(reverse("accounts:erasures"))
    assert response.status_code == 302
    request = erasure_store.erasure_get(user_id=stuck.user_id)
    assert request.status == "completed" and request.counts["inference_records"] == 1
    assert stuck.user_id in staff_client.get(reverse("accounts:erasures")).content.decode().split("<h2>Completed</h2>")[1]


def test_staff_list_pages_through_completed_requests(staff_client, monkeypatch):
    monkeypatch.setattr(erasure_store, "erasures_done_page", _paged(erasure_store.erasures_done_page, page_size=2))
    for n in range(3):
        erasure_store.erasure_create(user_id=f"gone-{n}", requested_by="staff")
        erasure_store.erasure_complete(user_id=f"gone-{n}")
    from accounts import views
    monkeypatch.setattr(views, "erasures_done_page", erasure_store.erasures_done_page)
    first = staff_client.get(reverse("accounts:erasures")).content.decode()
    assert "gone-2" in first and "gone-1" in first and "gone-0" not in first and "Older" in first
    cursor = first.split('?cursor=')[1].split('"')[0]
    second = staff_client.get(reverse("accounts:erasures") + f"?cursor={cursor}").content.decode()
    assert "gone-0" in second and "gone-2" not in second
    assert staff_client.get(reverse("accounts:erasures") + "?cursor=garbage").status_code == 404


def _paged(function, *, page_size):
    return lambda **kwargs: function(**{**kwargs, "page_size": page_size})
