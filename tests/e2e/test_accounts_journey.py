"""A new visitor signs up, sees their profile, logs out and back in: in a real browser."""
import pytest

from tests.conftest import STRONG_PASSWORD

pytestmark = pytest.mark.browser


def sign_up(page, email: str) -> None:
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", STRONG_PASSWORD)
    page.fill("input[name=password2]", STRONG_PASSWORD)
    page.click("form button[type=submit]")


def log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", STRONG_PASSWORD)
    page.click("form button[type=submit]")


def test_sign_up_log_out_and_back_in(journey):
    page = journey.page
    page.goto("/")
    journey.shot("home")
    sign_up(page, "Visitor@Example.com")
    page.wait_for_load_state()
    journey.shot("signed up")
    page.goto("/accounts/profile/")
    assert "visitor@example.com" in page.content().lower()
    journey.shot("profile")

    # An API token: shown once, kept on reload (the form is never sent again), revoked alone.
    page.fill("#id_token_name", "laptop")
    page.click("#create-token button[type=submit]")
    page.wait_for_load_state()
    token = page.inner_text("#api-token").strip()
    api = {"Authorization": f"Token {token}"}
    assert page.request.get("/api/detections/", headers=api).status == 200
    page.reload()
    page.wait_for_load_state()
    assert page.query_selector("#api-token") is None and page.inner_text("#token-list").count("laptop") == 1
    assert page.request.get("/api/detections/", headers=api).status == 200  # the reload replaced nothing
    journey.shot("token listed")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(".token-row button.danger")
    page.wait_for_load_state()
    assert "Token revoked" in page.content() and page.query_selector(".token-row") is None
    assert page.request.get("/api/detections/", headers=api).status == 401

    page.click("form[action$='/accounts/logout/'] button")
    page.wait_for_load_state()
    page.goto("/accounts/profile/")
    assert "/accounts/login/" in page.url
    log_in(page, "visitor@example.com")
    page.wait_for_load_state()
    page.goto("/accounts/profile/")
    assert "/accounts/profile/" in page.url
    journey.shot("logged back in")
