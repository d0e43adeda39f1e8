"""Uploaded images are never served from the web root: no MEDIA_URL, storage folders outside
static, traversal through /static/ finds nothing, and only the owner's views return images."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.urls import reverse

from tests.security.world import build_world


def test_storage_is_outside_every_served_folder():
    assert settings.MEDIA_URL in ("", "/")  # Django's unset default (script prefix added)
    assert not getattr(settings, "MEDIA_ROOT", "")
    storage = Path(settings.LOCAL_STORAGE_DIR).resolve()
    for served in [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]:
        served = served.resolve()
        assert served not in storage.parents and storage != served, f"{storage} is inside served {served}"
        assert storage not in served.parents


def test_stored_objects_cannot_be_fetched_by_path(make_user, tmp_path, storage_dirs):
    world = build_world(make_user, tmp_path)
    a_id, inference_id = world.a.user_id, world.params["inference_id"]
    stored = f"inference/{a_id}/{inference_id}/display.jpg"
    assert (storage_dirs["processed"] / stored).is_file()
    data_dir = Path(settings.DATA_DIR)
    relative_storage = Path(settings.LOCAL_STORAGE_DIR).relative_to(settings.BASE_DIR)
    probes = [
        f"/media/{stored}",
        f"/media/processed/{stored}",
        f"/{stored}",
        f"/static/{stored}",
        f"/static/../{relative_storage}/{settings.PROCESSED_BUCKET}/{stored}",
        f"/static/%2e%2e/{relative_storage}/{settings.PROCESSED_BUCKET}/{stored}",
        f"/static/..%2f..%2f{relative_storage}/{settings.PROCESSED_BUCKET}/{stored}",
        f"/static/../var/{settings.ARTGUARD_ENV}/django.sqlite3",
        "/static/../manage.py",
        f"/static/{data_dir.name}/storage/",
        "/var/",
    ]
    for client in (world.anonymous, world.a_client, world.staff_client):
        for url in probes:
            response = client.get(url)
            assert response.status_code == 404, f"{url} answered {response.status_code}"


def test_image_views_answer_only_the_owner(make_user, tmp_path):
    world = build_world(make_user, tmp_path)
    inference_id = world.params["inference_id"]
    for kind in ("original", "image", "display", "thumb", "heatmap"):
        url = reverse("detection:image", args=[inference_id, kind])
        anonymous = world.anonymous.get(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
        assert world.b_client.get(url).status_code == 404
        assert world.staff_client.get(url).status_code == 404  # staff see no one's photos either
    owner = world.a_client.get(reverse("detection:image", args=[inference_id, "display"]))
    assert owner.status_code == 200 and owner["Content-Type"] == "image/jpeg"
    assert "private" in owner["Cache-Control"]
