"""A small world for the security tests: users A and B, a staff member, A's analysis with stored
images, a training image, a dataset version, a training run and an erasure receipt token."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.test import Client

from artguard.storage import processed_storage
from tests.conftest import STRONG_PASSWORD
from tests.datasets.factories import write_image
from tests.detection.factories import make_record
from tests.images import image_bytes


@dataclass
class World:
    a: object
    b: object
    staff: object
    anonymous: Client
    a_client: Client
    b_client: Client
    staff_client: Client
    params: dict  # URL parameter name -> a real value (A's where it is owned)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="accounts.backends.DynamoUserBackend")
    return client


def build_world(make_user, tmp_path: Path) -> World:
    from accounts import erasure
    from datasets.services import PROCESS_INLINE, dataset_version_create, training_upload
    from datasets.sources import UploadEntry
    from training.tables import RunRecord

    a, b = make_user("a@example.com"), make_user("b@example.com")
    staff = make_user("boss@example.com", is_staff=True)
    leaving = make_user("leaving@example.com", password=STRONG_PASSWORD)

    record = make_record(user_id=a.user_id)
    prefix = f"inference/{a.user_id}/{record.inference_id}"
    storage = processed_storage()
    record.update(actions=[
        type(record).display_path.set(storage.save(f"{prefix}/display.jpg", ContentFile(image_bytes(96, 64)))),
        type(record).thumbnail_path.set(storage.save(f"{prefix}/thumb.jpg", ContentFile(image_bytes(48, 32)))),
        type(record).image_sha256.set("0" * 64),
    ])
    from detection.sharing import share_create

    share, share_token = share_create(user_id=a.user_id, inference_id=record.inference_id)

    entries = [
        UploadEntry(path=write_image(tmp_path / "ds" / f"{label}{i}.jpg", width=256, height=256, seed=i + (10 if label == "forged" else 0)),
                    name=f"{label}{i}.jpg", label=label, sublabel="original" if label == "authentic" else "copy",
                    attributed_creator="Sec Hand")
        for label in ("authentic", "forged") for i in range(2)
    ]
    summary = training_upload(dataset_name="secworld", entries=entries, process=PROCESS_INLINE)
    assert summary.ok, summary
    from datasets.selectors import images_for_datasets

    image_id = images_for_datasets(dataset_names=["secworld"], status=None)[0].image_id
    version = dataset_version_create(name="secworld-v1", dataset_names=["secworld"])["name"]

    run = RunRecord(run_id="f" * 32, created_at=1, status="failed", dataset_version=version, k_folds=2,
                    stratify_on="sublabel", outer_split_seed=0, inner_split_seed=1, hyperparameter_grid={"configs": []},
                    backbone="efficientnet-lite0", progress="failed", error="test run", heartbeat_at=1, updated_at=1, finished_at=2)
    run.save()

    erasure_request, _ = erasure.erasure_request(user_id=leaving.user_id, requested_by=leaving)

    return World(
        a=a, b=b, staff=staff, anonymous=Client(), a_client=logged_in(a), b_client=logged_in(b), staff_client=logged_in(staff),
        params={
            "inference_id": record.inference_id,
            "kind": "display",
            "user_id": a.user_id,
            "token": erasure_request.receipt_token,
            "share_token": share_token,
            "share_id": share.id,
            "name": version,
            "image_id": image_id,
            "run_id": run.run_id,
            "slug": "sec-hand",  # registered from the version's attributions
            "artist": "sec-hand",
            "model_version": "model-never-served",
            "doc_id": "no-such-document",
        },
    )
