"""The S3 storage ArtGuard configures: django-storages' S3Storage, with the parsed AWS service
models shared by every thread.

django-storages gives each thread its own boto3 session (sessions are not thread-safe), and each
new session parsed botocore's S3 model from JSON again: about 225 ms of CPU for every gunicorn
thread's and worker thread's first request. Sessions made here still belong to one thread each,
but share one botocore Loader, whose parsed models are cached: about 27 ms
(bench/bench_cpu_paths.py).
"""
from __future__ import annotations

import threading

import boto3
import botocore.loaders
import botocore.session
from storages.backends.s3 import S3Storage as LibraryS3Storage

_lock = threading.Lock()
_loader: botocore.loaders.Loader | None = None


def _shared_loader() -> botocore.loaders.Loader:
    global _loader
    with _lock:
        if _loader is None:
            _loader = botocore.session.get_session().get_component("data_loader")
        return _loader


def session_with_shared_models(**credentials) -> boto3.Session:
    """A new boto3 session (for one thread) whose service models come from the shared Loader."""
    core = botocore.session.get_session()
    loader = _shared_loader()
    core.register_component("data_loader", loader)
    session = boto3.Session(botocore_session=core, **credentials)
    with _lock:  # boto3 appends its own data folder to the loader's search path on every session
        loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return session


class S3Storage(LibraryS3Storage):
    def _create_session(self):
        if self.session_profile:
            return session_with_shared_models(profile_name=self.session_profile)
        return session_with_shared_models(aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
                                          aws_session_token=self.security_token)
