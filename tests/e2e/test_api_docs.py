"""/api/docs/ in a real browser with no internet: Swagger UI comes from ArtGuard itself
(drf-spectacular-sidecar) under the Content-Security-Policy, and renders every operation."""
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


def test_api_docs_render_the_operations_from_artguard_alone(journey, live_stack):
    page = journey.page
    origins: set[str] = set()
    page.on("request", lambda request: origins.add("{0.scheme}://{0.netloc}".format(urlsplit(request.url))))
    page.goto("/api/docs/")
    page.wait_for_selector(".opblock", timeout=30_000)
    journey.shot("api docs")
    paths = {text.strip().replace("\u200b", "") for text in page.locator(".opblock-summary-path").all_inner_texts()}
    assert {"/api/detections/", "/api/detections/{inference_id}/", "/api/users/{user_id}/data", "/api/erasures/{token}"} <= paths
    assert page.locator(".opblock-summary-method").first.inner_text() in {"GET", "POST", "DELETE"}
    assert origins == {live_stack.base_url}  # nothing fetched from anywhere else
    # (the journey fixture fails the test on any JavaScript error or CSP violation)
