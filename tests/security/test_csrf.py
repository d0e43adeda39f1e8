"""CSRF: every POST form on every page carries the token, and a POST without one is refused
(403) on every state-changing endpoint, for the session-authenticated browser."""
from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from tests.conftest import STRONG_PASSWORD
from tests.security.world import build_world

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


def _post_forms(html: str) -> list[str]:
    return [body for attrs, body in FORM.findall(html) if re.search(r"method\s*=\s*[\"']?post", attrs, re.I)]


def _csrf_client(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user, backend="accounts.backends.DynamoUserBackend")
    return client


def test_every_post_form_carries_the_csrf_token(make_user, tmp_path):
    world = build_world(make_user, tmp_path)
    inference_id, run_id = world.params["inference_id"], world.params["run_id"]
    pages = [
        (world.anonymous, reverse("accounts:signup")),
        (world.anonymous, reverse("accounts:login")),
        (world.a_client, reverse("accounts:profile")),
        (world.a_client, reverse("accounts:delete_data")),
        (world.a_client, reverse("detection:upload")),
        (world.a_client, reverse("detection:history")),
        (world.a_client, reverse("detection:result", args=[inference_id])),
        (world.staff_client, reverse("datasets:index")),
        (world.staff_client, reverse("datasets:images")),
        (world.staff_client, reverse("training:runs")),
        (world.staff_client, reverse("training:run", args=[run_id])),
        (world.staff_client, reverse("accounts:erasures")),
        (world.anonymous, reverse("verify")),
    ]
    checked = 0
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        forms = _post_forms(response.content.decode())
        assert forms, f"{url} has no POST form"
        for body in forms:
            assert 'name="csrfmiddlewaretoken"' in body, f"a POST form on {url} has no CSRF token"
            checked += 1
    assert checked >= len(pages)


def test_posts_without_a_token_are_refused(make_user, tmp_path):
    world = build_world(make_user, tmp_path)
    inference_id, run_id = world.params["inference_id"], world.params["run_id"]
    anonymous = _csrf_client()
    user = _csrf_client(world.a)
    staff = _csrf_client(world.staff)
    attempts = [
        (anonymous, "post", reverse("accounts:signup"), {"email": "new@example.com", "password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD}),
        (anonymous, "post", reverse("accounts:login"), {"email": "a@example.com", "password": STRONG_PASSWORD}),
        (user, "post", reverse("accounts:logout"), {}),
        (user, "post", reverse("detection:upload"), {}),
        (user, "post", reverse("detection:delete", args=[inference_id]), {}),
        (user, "post", reverse("detection:share_create", args=[inference_id]), {}),
        (user, "post", reverse("detection:share_revoke", args=[inference_id, world.params["share_id"]]), {}),
        (anonymous, "post", reverse("verify"), {"code": "0" * 20}),
        (user, "post", reverse("accounts:delete_data"), {"email": "a@example.com", "confirm": "on"}),
        (user, "post", reverse("api-detections"), {}),
        (user, "delete", reverse("api-user-data-delete", args=[world.a.user_id]), None),
        (staff, "post", reverse("training:run_promote", args=[run_id]), {}),
        (staff, "post", reverse("datasets:version_create"), {"name": "v2", "datasets": ["secworld"]}),
        (staff, "post", reverse("training:run_start"), {"dataset_version": world.params["name"]}),
        (staff, "post", reverse("training:artist_update", args=["sec-hand"]), {"name": "Renamed", "aliases": ""}),
        (staff, "post", reverse("training:artist_withdraw", args=["sec-hand"]), {}),
    ]
    for client, method, url, data in attempts:
        response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
        assert response.status_code == 403, f"{method.upper()} {url} without a CSRF token answered {response.status_code}"
    # nothing happened
    from detection.selectors import inference_get

    assert inference_get(inference_id=inference_id) is not None
    from datasets.selectors import artist_get

    assert artist_get(slug="sec-hand").name == "Sec Hand"
    assert world.a_client.get(reverse("accounts:profile")).status_code == 200  # A still signed in and not erased
