import io

import pytest
from django.urls import reverse
from PIL import Image

from datasets import selectors, services
from datasets.sources import entries_load
from datasets.tables import ImageRecord
from tests.datasets.factories import folder_dataset


@pytest.fixture
def uploaded(tmp_path):
    folder = folder_dataset(tmp_path / "data", authentic=3, forged={"imitation": 1})
    entries, _, _, _ = entries_load(dataset_path=folder, manifest_path=None)
    services.training_upload(dataset_name="set1", entries=entries, process=services.PROCESS_INLINE)
    return sorted(ImageRecord.label_split_index.query("authentic"), key=lambda r: r.image_id)


PAGES = [
    ("datasets:index", {}),
    ("datasets:images", {}),
]


@pytest.mark.parametrize("name, kwargs", PAGES)
def test_pages_are_staff_only(client, user_client, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    assert client.get(url).status_code == 302
    assert user_client.get(url).status_code == 302  # staff_member_required sends non-staff to log in


def test_image_pages_are_staff_only(user_client, uploaded):
    image_id = uploaded[0].image_id
    for name in ("datasets:image", "datasets:image_overlay"):
        response = user_client.get(reverse(name, args=[image_id]))
        assert response.status_code == 302 and b"PNG" not in response.content


def test_index_lists_datasets_and_versions(staff_client, uploaded):
    services.dataset_version_create(name="v1", dataset_names=["set1"])

    response = staff_client.get(reverse("datasets:index"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "set1" in body and "authentic/original: 3" in body and "forged/imitation: 1" in body
    assert reverse("datasets:version", args=["v1"]) in body


def test_create_version_from_the_page_and_refuse_a_repeat(staff_client, uploaded):
    response = staff_client.post(reverse("datasets:version_create"), {"name": "web-v1", "datasets": ["set1"]})
    assert response.status_code == 302
    assert selectors.dataset_version_get(name="web-v1")["image_count"] == 4
    page = staff_client.get(response.url)
    assert page.status_code == 200 and "web-v1" in page.content.decode()

    again = staff_client.post(reverse("datasets:version_create"), {"name": "web-v1", "datasets": ["set1"]})
    assert again.status_code == 400 and "already exists" in again.content.decode()


def test_create_version_with_unknown_dataset_is_a_form_error(staff_client, uploaded):
    response = staff_client.post(reverse("datasets:version_create"), {"name": "v9", "datasets": ["nosuch"]})
    assert response.status_code == 400
    assert selectors.dataset_versions_list() == []


def test_images_by_label_and_split_with_cursor_pages(staff_client, uploaded, monkeypatch):
    monkeypatch.setattr("datasets.views.PAGE_SIZE", 2)
    url = reverse("datasets:images")

    first = staff_client.get(url, {"label": "authentic", "split": "train"})
    assert first.status_code == 200 and len(first.context["images"]) == 2
    second = staff_client.get(first.context["next_url"])
    assert len(second.context["images"]) == 1
    seen = {r.image_id for r in first.context["images"]} | {r.image_id for r in second.context["images"]}
    assert seen == {r.image_id for r in uploaded}

    forged = staff_client.get(url, {"label": "forged", "split": "train"})
    assert [r.sublabel for r in forged.context["images"]] == ["imitation"]
    assert staff_client.get(url, {"label": "authentic", "split": "val"}).context["images"] == []
    assert staff_client.get(url, {"label": "authentic", "split": "train", "cursor": "garbage!"}).status_code == 400


def test_image_page_shows_patches_and_overlay(staff_client, uploaded):
    record = uploaded[0]
    response = staff_client.get(reverse("datasets:image", args=[record.image_id]))
    assert response.status_code == 200
    patches = response.context["patches"]
    assert patches and len(patches) == record.patch_count
    assert response.content.decode().count('class="patch-row"') == len(patches)

    overlay = staff_client.get(reverse("datasets:image_overlay", args=[record.image_id]))
    assert overlay["Content-Type"] == "image/png"
    picture = Image.open(io.BytesIO(overlay.content))
    assert picture.size == (int(record.image_width), int(record.image_height))
    # the box outline colour appears where the first patch's corner is
    assert picture.getpixel((int(patches[0].patch_x), int(patches[0].patch_y) + 20))[:3] in {(255, 196, 0), (0, 190, 255)}


def test_unknown_image_and_version_answer_404(staff_client, uploaded):
    assert staff_client.get(reverse("datasets:image", args=["0" * 32])).status_code == 404
    assert staff_client.get(reverse("datasets:image_overlay", args=["0" * 32])).status_code == 404
    assert staff_client.get(reverse("datasets:image", args=["dataset-version#x"])).status_code == 404
    assert staff_client.get(reverse("datasets:version", args=["nope"])).status_code == 404


def test_dataset_pages_show_dates_as_people_read_them(staff_client, uploaded):
    """Not raw milliseconds since the epoch (issue 17)."""
    import re
    from datetime import datetime, timezone

    services.dataset_version_create(name="dated", dataset_names=["set1"])
    created = datetime.fromtimestamp(selectors.dataset_version_get(name="dated")["created_at"] / 1000, tz=timezone.utc)
    for url in (reverse("datasets:index"), reverse("datasets:version", args=["dated"])):
        body = staff_client.get(url).content.decode()
        assert f"{created:%Y-%m-%d %H:%M} UTC" in body, url
        assert not re.search(r">\s*1[6-9]\d{11}\s*<", body), f"a raw millisecond timestamp on {url}"
        assert "ms since epoch" not in body
