"""The S3 storage ArtGuard configures: django-storages' S3Storage, with the parsed AWS service
models shared by every thread.

django-storages gives each thread its own boto3 session (sessions are not thread-safe), and each
new session parsed botocore's S3 model from JSON again, on every gunicorn thread's and worker
thread's first request. Sessions made here still belong to one thread each, but share one
botocore Loader (artguard.aws_models), whose parsed models are cached
(bench/results/cpu_paths.json, "a thread's first S3 connection").
"""
from __future__ import annotations

import threading

import boto3
from storages.backends.s3 import S3Storage as LibraryS3Storage

from artguard.aws_models import botocore_session, shared_loader

_lock = threading.Lock()


def session_with_shared_models(**credentials) -> boto3.Session:
    """A new boto3 session (for one thread) whose service models come from the shared Loader."""
    session = boto3.Session(botocore_session=botocore_session(), **credentials)
    loader = shared_loader()
    with _lock:  # boto3 appends its own data folder to the loader's search path on every session
        loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return session


class S3Storage(LibraryS3Storage):
    def _create_session(self):
        if self.session_profile:
            return session_with_shared_models(profile_name=self.session_profile)
        return session_with_shared_models(aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
                                          aws_session_token=self.security_token)
