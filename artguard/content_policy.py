"""The Content-Security-Policy ArtGuard sends on every response (django-csp reads it from
settings.CONTENT_SECURITY_POLICY). Only ArtGuard's own scripts, styles and fonts; no inline
script or style attribute; no framing; forms post only to ArtGuard."""
from __future__ import annotations

from urllib.parse import urlsplit

from csp.constants import NONE, SELF


def image_origins(*, storage_backend: str, endpoint_url: str | None, buckets: tuple[str, ...], region: str) -> list[str]:
    """Where <img> may load from besides ArtGuard. On S3, image views redirect to presigned URLs,
    and a browser checks the origin a redirect lands on against img-src."""
    if storage_backend != "s3":
        return []
    if endpoint_url:  # an S3-compatible stand-in: path-style URLs on its own origin
        parts = urlsplit(endpoint_url)
        return [f"{parts.scheme}://{parts.netloc}"]
    # boto3 presigns on the global host; a redirect for the region may follow.
    return [f"https://{bucket}.{host}" for bucket in buckets for host in ("s3.amazonaws.com", f"s3.{region}.amazonaws.com")]


def policy(*, extra_image_origins: list[str]) -> dict:
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF],
            "style-src": [SELF],
            "img-src": [SELF, "data:", *extra_image_origins],  # data: for Swagger UI's icons
            "font-src": [SELF],
            "connect-src": [SELF],
            "object-src": [NONE],
            "base-uri": [SELF],
            "form-action": [SELF],
            "frame-ancestors": [NONE],
        }
    }
