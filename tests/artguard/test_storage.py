"""The storage seam's bulk helpers, on local folders and on S3 (moto)."""
import boto3
from botocore.stub import Stubber
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

from artguard.storage import S3_DELETE_BATCH, delete_objects, delete_prefix, list_prefix


def test_delete_prefix_on_local_storage_keeps_other_prefixes(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    for name in ("a/1.png", "a/b/2.png", "a/b/c/3.png", "other/4.png"):
        storage.save(name, ContentFile(b"x"))
    assert delete_prefix(storage, "a/") == 3
    assert list_prefix(storage, "a") == []
    assert list_prefix(storage, "other") == ["other/4.png"]


@pytest.fixture
def s3_bucket():
    s3 = boto3.client("s3", region_name="ca-central-1")  # inside moto: the suite's autouse fixture
    s3.create_bucket(Bucket="bulk-test", CreateBucketConfiguration={"LocationConstraint": "ca-central-1"})
    return s3


def test_delete_objects_on_s3_sends_one_request_per_thousand_keys(s3_bucket, monkeypatch):
    storage = S3Storage(bucket_name="bulk-test", region_name="ca-central-1", location="media")
    keys = [f"inference/u1/{n:04d}.png" for n in range(S3_DELETE_BATCH + 1)]
    for key in keys:
        s3_bucket.put_object(Bucket="bulk-test", Key=f"media/{key}", Body=b"x")
    s3_bucket.put_object(Bucket="bulk-test", Key="media/inference/u2/keep.png", Body=b"x")
    calls = []
    original = type(storage.bucket).delete_objects
    monkeypatch.setattr(type(storage.bucket), "delete_objects", lambda self, **kw: calls.append(len(kw["Delete"]["Objects"])) or original(self, **kw))

    assert delete_prefix(storage, "inference/u1") == len(keys)

    assert calls == [S3_DELETE_BATCH, 1]
    remaining = [o["Key"] for o in s3_bucket.list_objects_v2(Bucket="bulk-test")["Contents"]]
    assert remaining == ["media/inference/u2/keep.png"]


def test_delete_objects_reports_keys_s3_refused(s3_bucket):
    storage = S3Storage(bucket_name="bulk-test", region_name="ca-central-1")
    with Stubber(storage.connection.meta.client) as stub:
        stub.add_response(
            "delete_objects",
            {"Deleted": [{"Key": "y.png"}], "Errors": [{"Key": "x.png", "Code": "AccessDenied", "Message": "Access Denied"}]},
        )
        steps = delete_objects(storage, ["x.png", "y.png"])
        assert next(steps) == 1  # y.png went: counted before the error is raised
        with pytest.raises(OSError, match="refused to delete 1 objects.*x.png.*Access Denied"):
            next(steps)
