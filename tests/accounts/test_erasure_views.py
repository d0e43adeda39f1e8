"""The deletion page, the receipt page, the staff list and the admin."""
from django.urls import reverse

from accounts.models import ErasureRequest
from accounts.selectors import user_record_get
from tests.accounts.test_erasure import seed_user_data, user_traces
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
    assert not ErasureRequest.objects.exists()
    assert user_record_get(user_id=user.user_id).is_active


def test_user_deletes_from_the_browser_and_sees_the_receipt(user_client, user):
    expected = seed_user_data(user.user_id, analyses=3)
    response = user_client.post(reverse("accounts:delete_data"), {"confirm": "Alice@Example.com"})

    request = ErasureRequest.objects.get()
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
    assert response.status_code == 302 and ErasureRequest.objects.get().status == "completed"


def test_unknown_receipt_token_is_404(client, db):
    assert client.get(reverse("accounts:erasure_receipt", args=["not-a-token"])).status_code == 404
    assert client.get(reverse("api-erasure-status", args=["not-a-token"])).status_code == 404


def test_receipt_shows_progress_of_an_interrupted_erasure(client, db):
    request = ErasureRequest.objects.create(user_id="u1", requested_by="self", status="retrying", raw_objects=4, last_error="OSError: storage unavailable")
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


def test_admin_lists_erasures_read_only(staff_client, db):
    request = ErasureRequest.objects.create(user_id="u1", requested_by="self")
    listing = staff_client.get(reverse("admin:accounts_erasurerequest_changelist"))
    assert listing.status_code == 200 and b"u1" in listing.content
    assert staff_client.get(reverse("admin:accounts_erasurerequest_changelist") + "?q=not-a-uuid").status_code == 200
    assert staff_client.get(reverse("admin:accounts_erasurerequest_change", args=[request.pk])).status_code == 200
    assert staff_client.get(reverse("admin:accounts_erasurerequest_add")).status_code == 403
    assert staff_client.post(reverse("admin:accounts_erasurerequest_delete", args=[request.pk]), {"post": "yes"}).status_code == 403
    # "Resume now" runs the unfinished request (synchronously in tests).
    staff_client.post(reverse("admin:accounts_erasurerequest_changelist"), {"action": "resume_now", "_selected_action": [request.pk]})
    request.refresh_from_db()
    assert request.status == "completed" and request.account == 0
