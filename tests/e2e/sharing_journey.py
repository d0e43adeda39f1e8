"""Issue 27's journey, run on a completed analysis of a product journey (no extra scoring): the
owner downloads the report and shares the result; a second, anonymous browser opens the link
and verifies the PDF and the photograph; the owner revokes the link, the stranger's page then
says so; the owner erases their data and the receipt counts the link and the code."""
from __future__ import annotations

import re
from pathlib import Path


def _watch(page, errors: list[str]) -> None:
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None)


def share_verify_revoke_and_erase(journey, chromium, live_stack, *, result_url: str, photo: Path, email: str) -> None:
    from tests.e2e.test_product_journeys import image_loaded

    page = journey.page
    page.goto(result_url)
    with page.expect_download() as download_info:
        page.click("#report-link")
    report = journey.folder / "shared-report.pdf"
    report.write_bytes(download_info.value.path().read_bytes())

    page.select_option("#share-expiry", "7")
    page.click("#share-create")
    page.wait_for_selector("#share-links")
    link = re.search(r"https?://\S+/shared/[A-Za-z0-9_-]+/", page.inner_text("main")).group(0)
    journey.shot("share link made")

    errors: list[str] = []
    stranger = chromium.new_context(base_url=live_stack.base_url, viewport={"width": 1280, "height": 900})
    try:
        other = stranger.new_page()
        _watch(other, errors)
        other.goto(link)
        assert "Log in" in other.inner_text("header")  # anonymous: no session of the owner's
        html = other.content()
        assert email not in html and other.inner_text("#shared-verdict").strip()
        assert re.fullmatch(r"[0-9a-f]{64}", other.inner_text("#shared-sha256").strip())
        assert image_loaded(other.locator("#shared-thumb")) and image_loaded(other.locator("#shared-heatmap"))
        assert other.locator("#shared-qr svg").count() == 1
        assert other.evaluate("document.documentElement.scrollWidth") <= 1280, "the share page is wider than the window"
        other.screenshot(path=str(journey.folder / "stranger-shared-page.png"), full_page=True)

        other.goto(other.get_attribute("#shared-qr a", "href"))  # the QR code's address: the code's answer at once
        other.screenshot(path=str(journey.folder / "stranger-code-checked.png"), full_page=True)
        other.wait_for_selector("#verify-answer")
        assert other.get_attribute("#verify-answer", "data-outcome") == "genuine"
        other.set_input_files("#verify-pdf", str(report))
        other.set_input_files("#verify-photo", str(photo))
        other.click("#verify-submit")
        other.wait_for_load_state()
        other.screenshot(path=str(journey.folder / "stranger-verified.png"), full_page=True)
        other.wait_for_selector("#verify-answer")
        assert other.get_attribute("#verify-answer", "data-outcome") == "genuine", other.inner_text("#verify-answer")
        message = other.inner_text("#verify-message")
        assert "The PDF is unchanged" in message and "the one that was analysed" in message

        page.click(".share-revoke")
        page.wait_for_selector("text=The link was revoked")
        journey.shot("link revoked")
        other.goto(link)
        assert other.inner_text("#share-invalid-word") == "revoked"
    finally:
        stranger.close()
    assert not errors, f"JavaScript errors or Content-Security-Policy violations for the stranger: {errors}"

    page.goto("/accounts/profile/")
    page.click("text=Delete my data")
    page.fill("input[name=confirm]", email)
    page.click("button.danger")
    page.wait_for_selector("text=Your data has been deleted", timeout=60_000)
    assert page.inner_text("td.count-shared_items") == "2"  # the link and the report's verification item
    journey.shot("erased with shared items counted")
