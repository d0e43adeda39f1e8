"""What /verify/ and /api/verify take from a request: a per-client rate limit in Django's cache,
and uploads read within size limits into memory only (never a temporary file), the photograph
only hashed. Shared by the page and the API."""
from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadhandler import FileUploadHandler

WINDOW_SECONDS = 600
PDF_FIELD, PHOTO_FIELD = "pdf", "photo"


def client_address(request) -> str:
    # gunicorn sits behind a load balancer that sets REMOTE_ADDR from the connection; a header a
    # client can write (X-Forwarded-For) would let it pick its own bucket.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def verify_retry_after(request) -> int | None:
    """Count one check for the client; the seconds to wait when it is over the limit, else None."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"verify-checks:{client_address(request)}:{window}"
    if cache.add(key, 1, WINDOW_SECONDS + 5):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW_SECONDS + 5)
            count = 1
    if count <= settings.VERIFY_PER_WINDOW:
        return None
    return max(1, int((window + 1) * WINDOW_SECONDS - now) + 1)


def limits() -> dict[str, int]:
    return {PDF_FIELD: settings.VERIFY_PDF_MAX_BYTES, PHOTO_FIELD: settings.UPLOAD_MAX_BYTES}


def body_too_large(request) -> bool:
    """Refuse before reading: more than both files at their limits plus a little for the form."""
    from detection.services.submission import body_too_large as announced_too_large

    return announced_too_large(content_length=request.META.get("CONTENT_LENGTH"), limit_bytes=sum(limits().values()))


def limits_text() -> str:
    mb = {name: value // (1024 * 1024) for name, value in limits().items()}
    return f"A report PDF can be up to {mb[PDF_FIELD]} MB and a photograph up to {mb[PHOTO_FIELD]} MB."


def too_large_message() -> str:
    return f"Too large: {limits_text()} Nothing was kept."


@dataclass
class Received:
    """An uploaded file as /verify/ keeps it: the PDF's bytes, or only the photograph's hash."""

    field_name: str
    size: int
    sha256: str
    data: bytes | None


class VerifyUploadHandler(FileUploadHandler):
    """Keeps the PDF in memory and only hashes the photograph; past a field's limit it drops the
    rest and remembers the field in `too_large`."""

    def __init__(self, request=None):
        super().__init__(request)
        self.too_large: set[str] = set()

    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        self._size, self._digest = 0, hashlib.sha256()
        self._buffer = io.BytesIO() if field_name == PDF_FIELD else None
        self._limit = limits().get(field_name, 0)

    def receive_data_chunk(self, raw_data, start):
        self._size += len(raw_data)
        if self._size > self._limit:
            self.too_large.add(self.field_name)
            self._buffer = None
            return None
        self._digest.update(raw_data)
        if self._buffer is not None:
            self._buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        if self.field_name in self.too_large or self.field_name not in (PDF_FIELD, PHOTO_FIELD):
            return None
        return Received(self.field_name, self._size, self._digest.hexdigest(),
                        self._buffer.getvalue() if self._buffer is not None else None)


def install_upload_handler(request) -> VerifyUploadHandler:
    handler = VerifyUploadHandler(request)
    request.upload_handlers = [handler]
    return handler
