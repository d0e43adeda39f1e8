"""The authorization table: EVERY URL pattern is classified, then checked as anonymous, as
another user (B on A's objects), as a non-staff user on staff pages and as staff.
A new route fails `test_every_route_is_classified` until it is added to ROUTES."""
from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.security.world import build_world

PUBLIC = "public"  # anyone: 200
TOKEN = "token"  # anyone holding the unguessable token: 200
USER = "user"  # signed-in users, their own data only
OWNED = "owned"  # signed-in users, one object of theirs: another user's id answers 404
STAFF = "staff"  # staff only

# name -> (class, HTTP method that exercises it, is it an API route)
ROUTES = {
    "home": (PUBLIC, "get", False),
    "favicon": (PUBLIC, "get", False),
    "accounts:signup": (PUBLIC, "get", False),
    "accounts:login": (PUBLIC, "get", False),
    "accounts:logout": (USER, "post", False),
    "accounts:profile": (USER, "get", False),
    "accounts:delete_data": (USER, "get", False),
    "accounts:erasure_receipt": (TOKEN, "get", False),
    "accounts:erasures": (STAFF, "get", False),
    "detection:upload": (USER, "get", False),
    "detection:history": (USER, "get", False),
    "detection:result": (OWNED, "get", False),
    "detection:image": (OWNED, "get", False),
    "detection:report": (OWNED, "get", False),
    "detection:region_thumbnail": (OWNED, "get", False),
    "detection:reference_thumbnail": (OWNED, "get", False),
    "detection:delete": (OWNED, "post", False),
    "detection:share_create": (OWNED, "post", False),
    "detection:share_revoke": (OWNED, "post", False),
    "detection:verification_revoke": (OWNED, "post", False),
    "shared": (TOKEN, "get", False),
    "shared_image": (TOKEN, "get", False),
    "verify": (PUBLIC, "get", False),
    "verify_keys": (PUBLIC, "get", False),
    "datasets:index": (STAFF, "get", False),
    "datasets:version_create": (STAFF, "post", False),
    "datasets:version": (STAFF, "get", False),
    "datasets:images": (STAFF, "get", False),
    "datasets:image": (STAFF, "get", False),
    "datasets:image_overlay": (STAFF, "get", False),
    "training:runs": (STAFF, "get", False),
    "training:run_start": (STAFF, "post", False),
    "training:compare": (STAFF, "get", False),
    "training:run": (STAFF, "get", False),
    "training:run_plot": (STAFF, "get", False),
    "training:run_promote": (STAFF, "post", False),
    "training:run_reference_thumbnails": (STAFF, "post", False),
    "training:artists": (STAFF, "get", False),
    "training:artist": (STAFF, "get", False),
    "training:artist_update": (STAFF, "post", False),
    "training:artist_withdraw": (STAFF, "post", False),
    "training:knowledge_upload": (STAFF, "post", False),
    "training:knowledge_withdraw": (STAFF, "post", False),
    "models:cards": (USER, "get", False),
    "models:card": (USER, "get", False),
    "models:card_version": (USER, "get", False),
    "api-artists": (USER, "get", True),
    "api-models": (USER, "get", True),
    "api-model": (USER, "get", True),
    "api-schema": (PUBLIC, "get", True),
    "api-docs": (PUBLIC, "get", False),
    "api-detections": (USER, "get", True),
    "api-detection": (OWNED, "get", True),
    "api-detection-shares": (OWNED, "get", True),
    "api-detection-share": (OWNED, "delete", True),
    "api-detection-verification": (OWNED, "delete", True),
    "api-verify": (PUBLIC, "get", True),
    "api-user-data-delete": (OWNED, "delete", True),
    "api-erasure-status": (TOKEN, "get", True),
}
# Staff pages whose GET is not the point (POST-only) or whose test object has no content.
STAFF_NOT_200 = {"datasets:version_create": {405}, "training:run_start": {405}, "training:run_promote": {405},
                 "training:artist_update": {405}, "training:run_reference_thumbnails": {405}, "training:artist_withdraw": {405},
                 "training:knowledge_upload": {405}, "training:knowledge_withdraw": {405},
                 "training:run_plot": {404}}  # the failed test run has no plots
QUERY = {"training:compare": "?a={run_id}&b={run_id}", "api-verify": "?code=0000000000"}
PARAM_OVERRIDES = {"training:run_plot": {"kind": "roc"}, "detection:region_thumbnail": {"label": "S1"},
                   "detection:reference_thumbnail": {"label": "S1", "side": "forged", "number": 1}}


def _walk(resolver, prefix="", namespace=None):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = ":".join(filter(None, [namespace, entry.namespace])) or None
            yield from _walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield prefix + str(entry.pattern), name, entry


def _routes():
    for route, name, entry in _walk(get_resolver()):
        if route.startswith("admin/") or route.startswith("static/") or route.startswith("^static"):
            continue
        yield route, name, entry


def test_every_route_is_classified():
    unknown = [(route, name) for route, name, _ in _routes() if name not in ROUTES]
    assert unknown == [], f"unclassified routes (add them to ROUTES): {unknown}"
    gone = set(ROUTES) - {name for _, name, _ in _routes()}
    assert gone == set(), f"ROUTES names routes that no longer exist: {gone}"


def _url(name, entry, params):
    params = {**params, **PARAM_OVERRIDES.get(name, {})}
    kwargs = {key: params[key] for key in entry.pattern.regex.groupindex}
    return reverse(name, kwargs=kwargs) + QUERY.get(name, "").format(**params)


def _call(client, method, url):
    return getattr(client, method)(url)


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and ("/accounts/login/" in response["Location"] or "/admin/login/" in response["Location"])


@pytest.fixture
def world(make_user, tmp_path):
    return build_world(make_user, tmp_path)


def test_the_authorization_table(world):
    problems = []
    for route, name, entry in _routes():
        kind, method, api = ROUTES[name]
        url = _url(name, entry, world.params)

        anonymous = _call(world.anonymous, method, url)
        if kind in (PUBLIC, TOKEN):
            if anonymous.status_code != 200:
                problems.append(f"anonymous {method.upper()} {url}: {anonymous.status_code}, expected 200")
        elif api:
            if anonymous.status_code not in (401, 403):
                problems.append(f"anonymous {method.upper()} {url}: {anonymous.status_code}, expected 401/403")
        elif not _is_login_redirect(anonymous):
            problems.append(f"anonymous {method.upper()} {url}: {anonymous.status_code}, expected a redirect to log in")

        if kind == OWNED:
            other = _call(world.b_client, method, url)
            if other.status_code != 404:
                problems.append(f"user B {method.upper()} A's {url}: {other.status_code}, expected 404")
        if kind == STAFF:
            non_staff = _call(world.b_client, method, url)
            if not (_is_login_redirect(non_staff) or non_staff.status_code in (403, 404)):
                problems.append(f"non-staff {method.upper()} {url}: {non_staff.status_code}, expected login redirect/403/404")
            staff = world.staff_client.get(url)
            if staff.status_code not in STAFF_NOT_200.get(name, {200}):
                problems.append(f"staff GET {url}: {staff.status_code}, expected {STAFF_NOT_200.get(name, {200})}")
    assert problems == []

    # The owner does reach what B could not (so the 404s above are about ownership, not absence).
    owner = world.a_client
    inference_id = world.params["inference_id"]
    assert owner.get(reverse("detection:result", args=[inference_id])).status_code == 200
    assert owner.get(reverse("detection:image", args=[inference_id, "display"])).status_code == 200
    assert owner.get(reverse("api-detection", args=[inference_id])).status_code == 200


def test_admin_is_staff_only(world):
    for client, allowed in ((world.anonymous, False), (world.b_client, False), (world.staff_client, True)):
        response = client.get("/admin/")
        if allowed:
            assert response.status_code == 200
        else:
            assert _is_login_redirect(response)
