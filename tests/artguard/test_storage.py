"""The storage seam's bulk helpers, on local folders and on S3 (moto)."""
import boto3
from botocore.stub import Stubber
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

from artguard.storage import S3_DELETE_BATCH, delete_objects, delete_prefix, list_prefix, overwrites, processed_storage, raw_storage, store_at


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


def _read(storage, path: str) -> bytes:
    with storage.open(path, "rb") as handle:
        return handle.read()


@pytest.mark.parametrize("make", ["local", "s3", "local without overwrite"])
def test_store_at_replaces_in_place_and_checks_existence_only_where_it_must(make, tmp_path, s3_bucket, monkeypatch):
    storage = {
        "local": lambda: FileSystemStorage(location=tmp_path, allow_overwrite=True),
        "s3": lambda: S3Storage(bucket_name="bulk-test", region_name="ca-central-1", file_overwrite=True),
        "local without overwrite": lambda: FileSystemStorage(location=tmp_path),
    }[make]()
    checks = []
    exists = type(storage).exists
    monkeypatch.setattr(type(storage), "exists", lambda self, name: checks.append(name) or exists(self, name))

    assert store_at(storage, "inference/u1/r1/display.jpg", b"first") == "inference/u1/r1/display.jpg"
    assert store_at(storage, "inference/u1/r1/display.jpg", b"second") == "inference/u1/r1/display.jpg"

    assert _read(storage, "inference/u1/r1/display.jpg") == b"second"
    assert list_prefix(storage, "inference/u1/r1") == ["inference/u1/r1/display.jpg"]
    if overwrites(storage):
        assert checks == []  # one write each: on S3 no HEAD before the PUT
    else:
        assert "inference/u1/r1/display.jpg" in checks


def test_the_configured_buckets_overwrite(settings):
    assert overwrites(raw_storage()) and overwrites(processed_storage())


def test_s3_sessions_of_different_threads_share_parsed_models_and_still_work(s3_bucket):
    """artguard.s3_storage: one boto3 session per thread (as django-storages keeps them), one
    botocore Loader behind all of them, so a thread's first request does not parse S3's model again."""
    import threading

    from artguard.s3_storage import S3Storage as SharedModelsS3Storage

    storage = SharedModelsS3Storage(bucket_name="bulk-test", region_name="ca-central-1", file_overwrite=True)
    connections, errors = [], []

    def work(n: int) -> None:
        try:
            store_at(storage, f"threads/{n}.txt", f"from thread {n}".encode())
            connections.append(storage.connection)
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({id(connection) for connection in connections}) == 3  # a session per thread
    loaders = {id(connection.meta.client._loader) for connection in connections}
    assert len(loaders) == 1  # one parsed copy of the service models
    paths = connections[0].meta.client._loader.search_paths
    assert len(paths) == len(set(paths))  # boto3's folder is not appended once per session
    assert sorted(_read(storage, f"threads/{n}.txt") for n in range(3)) == [b"from thread 0", b"from thread 1", b"from thread 2"]
