"""The Content-Security-Policy: on every response, strict enough to forbid inline script, and
compatible with what ArtGuard's pages load (the browser journeys check that nothing is refused)."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rest_framework.renderers import BrowsableAPIRenderer
from storages.backends.s3 import S3Storage

from artguard.content_policy import image_origins

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/docs/", "/api/schema/", "/no-such-page/"])
def test_every_response_carries_the_policy(client, path):
    response = client.get(path)
    policy = _directives(response)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]


def test_api_docs_load_swagger_ui_from_artguard_not_a_cdn(client):
    page = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui-bundle.js" in asset for asset in assets)
    assert all(asset.startswith("/") for asset in assets), assets  # same origin: nothing from the internet
    assert "<style" not in page and not re.search(r"<script>(?!\s*</script>)", page)
    script = next(asset for asset in assets if "script=" in asset)
    response = client.get(script)  # the split view's start-up script, as a file
    assert response.status_code == 200 and "SwaggerUIBundle" in response.content.decode()


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_templates_have_no_inline_script_style_or_handlers(template):
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>: put it in static/artguard.js"
    assert not re.search(r"\sstyle=", text), "style attribute: use a class in static/artguard.css"
    assert not re.search(r"\son[a-z]+=", text), "event-handler attribute: bind it in static/artguard.js"
    assert "<style" not in text


@pytest.mark.parametrize(
    ("endpoint", "region"),
    [(None, "ca-central-1"), (None, "us-east-1"), ("http://127.0.0.1:4566", "ca-central-1"), ("http://s3.internal:9000", "ca-central-1")],
)
def test_presigned_image_urls_land_on_an_allowed_origin(endpoint, region):
    """On S3 the image views redirect to presigned URLs: their origin must be in img-src."""
    bucket = "artguard-images-processed-prod"
    storage = S3Storage(bucket_name=bucket, region_name=region, endpoint_url=endpoint, querystring_auth=True, default_acl=None)
    url = urlsplit(storage.url("inference/u1/i1/heatmap.png"))
    allowed = image_origins(storage_backend="s3", endpoint_url=endpoint, buckets=("raw", bucket), region=region)
    assert f"{url.scheme}://{url.netloc}" in allowed


def test_local_storage_needs_no_other_image_origin():
    assert image_origins(storage_backend="local", endpoint_url=None, buckets=("a", "b"), region="ca-central-1") == []


def test_the_browsable_api_needs_no_inline_style_or_script(user_client):
    """Issue 29: DRF's browsable API wrote its code highlighting as an inline <style>, which the
    policy refused (a console error on every API page). templates/rest_framework/api.html serves it
    from static/api_code_style.css instead."""
    from django.conf import settings
    from rest_framework.compat import pygments_css

    response = user_client.get("/api/detections/", HTTP_ACCEPT="text/html")
    page = response.content.decode()
    assert response.status_code == 200 and "Django REST framework" in page
    assert "<style" not in page and not re.search(r"\sstyle=", page)
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page)  # a JSON data block runs nothing
    assert "/static/api_code_style.css" in page
    code_style = pygments_css(BrowsableAPIRenderer.code_style)
    assert not code_style or code_style in (settings.BASE_DIR / "static" / "api_code_style.css").read_text()

