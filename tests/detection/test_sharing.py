"""Share links: made by the owner of a completed analysis, opened by anyone holding the token,
showing only the allowed facts; revoked, expired and unknown links answer alike but for one word;
deleting the analysis or erasing the user removes them."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

from detection import sharing
from detection.tables import InferenceRecord
from tests.detection.factories import make_record
from tests.detection.sharing_world import completed_with_files


@pytest.fixture
def anonymous():
    from django.test import Client

    return Client()


def _share(client, inference_id, **body):
    return client.post(reverse("api-detection-shares", args=[inference_id]), body, content_type="application/json")


@pytest.fixture
def shared(user_client, user):
    record, photo = completed_with_files(user_id=user.user_id)
    response = _share(user_client, record.inference_id, expires_in_days=7)
    assert response.status_code == 201, response.content
    return record, photo, response.json()


def test_the_public_page_shows_the_result_and_nothing_about_the_owner(anonymous, user, shared):
    record, _, link = shared
    token = link["url"].rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 22 and link["state"] == "active"  # 256 random bits
    page = anonymous.get(link["url"])
    assert page.status_code == 200
    html = page.content.decode()
    for shown in ("Likely authentic" if record.verdict == "LIKELY_AUTHENTIC" else "Inconclusive", "Forgery score", "Demo Hand A",
                  "model-share-1", record.image_sha256, "Verification code", "<svg"):
        assert shown in html, shown
    for hidden in (user.email, user.user_id, record.inference_id, record.title, "work.jpg"):
        assert hidden not in html, hidden
    assert page["X-Robots-Tag"] == "noindex, nofollow" and page["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex' in html
    assert anonymous.get(reverse("shared_image", args=[token, "thumb"])).status_code == 200
    assert anonymous.get(reverse("shared_image", args=[token, "heatmap"])).status_code == 200
    assert anonymous.get(reverse("shared_image", args=[token, "original"])).status_code == 404  # the owner did not tick it


def test_only_the_tokens_hash_is_stored_and_opening_is_one_get_item(anonymous, shared, dynamo_operations):
    _, _, link = shared
    token = link["url"].rstrip("/").rsplit("/", 1)[1]
    item = InferenceRecord.get(f"share#{link['id']}")
    assert link["id"] == sharing.token_hash(token) and token not in repr(item.attribute_values)
    dynamo_operations.clear()
    assert sharing.share_open(token=token).state == sharing.ACTIVE
    assert dynamo_operations[0] == "GetItem"
    dynamo_operations.clear()
    assert sharing.share_open(token="x" * 43).state == sharing.UNKNOWN
    assert dynamo_operations == ["GetItem"]


def test_the_original_is_offered_only_when_ticked(anonymous, user_client, user):
    record, photo = completed_with_files(user_id=user.user_id)
    link = _share(user_client, record.inference_id, include_original=True).json()
    token = link["url"].rstrip("/").rsplit("/", 1)[1]
    original = anonymous.get(reverse("shared_image", args=[token, "original"]))
    assert original.status_code == 200 and b"".join(original.streaming_content) == photo


def test_another_users_analysis_is_404_and_an_unfinished_one_is_409(user_client, user, other_client, other_user):
    record, _ = completed_with_files(user_id=user.user_id)
    assert _share(other_client, record.inference_id).status_code == 404
    pending = make_record(user_id=user.user_id, status="PENDING")
    response = _share(user_client, pending.inference_id)
    assert response.status_code == 409 and "completed" in response.json()["detail"]
    assert _share(user_client, record.inference_id, expires_in_days=400).status_code == 400
    assert sharing.shares_for_user(user_id=user.user_id) == []  # nothing was made by the refused calls


def test_listing_is_one_query_and_revoking_twice_is_a_clear_409(user_client, user, shared, dynamo_operations, other_client):
    record, _, link = shared
    second = _share(user_client, record.inference_id).json()
    dynamo_operations.clear()
    listed = user_client.get(reverse("api-detection-shares", args=[record.inference_id]))
    assert listed.status_code == 200 and [row["id"] for row in listed.json()] == [second["id"], link["id"]]
    assert dynamo_operations.count("Query") == 1 and "Scan" not in dynamo_operations
    assert other_client.get(reverse("api-detection-shares", args=[record.inference_id])).status_code == 404

    revoke_url = reverse("api-detection-share", args=[record.inference_id, link["id"]])
    assert other_client.delete(revoke_url).status_code == 404  # not theirs: nothing changes
    elsewhere, _ = completed_with_files(user_id=user.user_id, seed=3)
    assert user_client.delete(reverse("api-detection-share", args=[elsewhere.inference_id, link["id"]])).status_code == 404
    assert sharing.shares_for_user(user_id=user.user_id)[-1].state == sharing.ACTIVE  # a mismatched address revoked nothing
    first = user_client.delete(revoke_url)
    assert first.status_code == 200 and first.json()["state"] == "revoked"
    again = user_client.delete(revoke_url)
    assert again.status_code == 409 and "already revoked" in again.json()["detail"]
    assert user_client.get(second["url"]).status_code == 200  # the other link still opens


def _invalid_body(response) -> str:
    text = re.sub(r'id="share-invalid-word">\w+<', "", response.content.decode())
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", text)


def test_revoked_expired_and_unknown_links_answer_alike_but_for_one_word(anonymous, user_client, user, shared):
    record, _, link = shared
    expired = _share(user_client, record.inference_id).json()
    item = InferenceRecord.get(f"share#{expired['id']}")
    item.update(actions=[InferenceRecord.share["expires_at"].set(1000)])
    user_client.delete(reverse("api-detection-share", args=[record.inference_id, link["id"]]))

    revoked_page, expired_page = anonymous.get(link["url"]), anonymous.get(expired["url"])
    unknown_page = anonymous.get(reverse("shared", args=["A" * 43]))
    assert [p.status_code for p in (revoked_page, expired_page, unknown_page)] == [404, 404, 404]
    assert ">revoked<" in revoked_page.content.decode() and ">expired<" in expired_page.content.decode()
    assert ">unknown<" in unknown_page.content.decode()
    assert _invalid_body(revoked_page) == _invalid_body(expired_page) == _invalid_body(unknown_page)
    token = expired["url"].rstrip("/").rsplit("/", 1)[1]
    assert anonymous.get(reverse("shared_image", args=[token, "thumb"])).status_code == 404


def test_deleting_the_analysis_removes_its_links_and_verification_item(anonymous, user_client, user, shared):
    record, _, link = shared
    code = InferenceRecord.get(record.inference_id).verification_code
    assert code and InferenceRecord.user_inferences_index.count(f"verify#{user.user_id}") == 1
    assert user_client.delete(reverse("api-detection", args=[record.inference_id])).status_code == 204
    assert anonymous.get(link["url"]).status_code == 404
    assert InferenceRecord.user_inferences_index.count(f"share#{user.user_id}") == 0
    assert InferenceRecord.user_inferences_index.count(f"verify#{user.user_id}") == 0


def test_erasing_the_user_removes_and_counts_links_and_codes(user_client, user, shared):
    record, _, _ = shared
    _share(user_client, record.inference_id)
    response = user_client.delete(reverse("api-user-data-delete", args=[user.user_id]))
    counts = response.json()["receipt"]["counts"]
    assert counts["shared_items"] == 3 and counts["inference_records"] == 1  # two links and one verification item
    assert InferenceRecord.user_inferences_index.count(f"share#{user.user_id}") == 0


def test_the_result_page_makes_lists_and_revokes_links(user_client, user, anonymous):
    record, _ = completed_with_files(user_id=user.user_id)
    made = user_client.post(reverse("detection:share_create", args=[record.inference_id]), {"expires_in_days": "1"}, follow=True)
    html = made.content.decode()
    url = re.search(r"(http://testserver/shared/[A-Za-z0-9_-]+/)", html).group(1)
    assert 'id="share-links"' in html and anonymous.get(url).status_code == 200
    code = re.search(r'id="verification-code">([0-9A-Z-]+)<', html).group(1)
    assert code in anonymous.get(url).content.decode()  # the page shows the code the owner sees
    share_id = sharing.shares_for_user(user_id=user.user_id)[0].id
    revoke = reverse("detection:share_revoke", args=[record.inference_id, share_id])
    assert "The link was revoked" in user_client.post(revoke, follow=True).content.decode()
    assert "already revoked" in user_client.post(revoke, follow=True).content.decode()
    assert anonymous.get(url).status_code == 404


def test_the_schema_documents_share_revoke_list_and_verify_with_examples(user_client):
    paths = user_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    share, revoke, verify = (paths["/api/detections/{inference_id}/share"], paths["/api/detections/{inference_id}/share/{share_id}"],
                             paths["/api/verify"])
    assert share["post"]["operationId"] == "detections_share_create" and {"201", "404", "409"} <= set(share["post"]["responses"])
    assert share["get"]["operationId"] == "detections_share_list" and {"200", "404"} <= set(share["get"]["responses"])
    assert revoke["delete"]["operationId"] == "detections_share_revoke" and {"200", "404", "409"} <= set(revoke["delete"]["responses"])
    assert {"200", "400", "413", "429"} <= set(verify["post"]["responses"]) and "multipart/form-data" in verify["post"]["requestBody"]["content"]
    assert {"200", "400", "429"} <= set(verify["get"]["responses"])
    for operation in (share["post"], share["get"], revoke["delete"], verify["get"], verify["post"]):
        assert "examples" in str(operation), operation["operationId"]
