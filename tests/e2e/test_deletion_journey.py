"""A user deletes their data from the browser: the receipt's counts match what was stored, a
check across every table and both buckets finds nothing of theirs, and they cannot log in."""
import json

import pytest

from tests.conftest import STRONG_PASSWORD
from tests.e2e.test_accounts_journey import log_in, sign_up

pytestmark = pytest.mark.browser

SEED = """
from accounts.selectors import user_record_get_by_email
from tests.accounts.user_data import seed_user_data
user = user_record_get_by_email(email="{email}")
print(seed_user_data(user.user_id, analyses=3)); print(user.user_id)
"""

TRACES = """
import json
from tests.accounts.user_data import user_traces
print(json.dumps(user_traces("{user_id}", "{email}")))
"""


def test_user_deletes_their_data_from_the_browser(journey, live_stack):
    page, email = journey.page, "leaving@example.com"
    sign_up(page, email)
    page.wait_for_load_state()
    seeded = live_stack.manage("shell", "-c", SEED.format(email=email)).stdout.strip().splitlines()
    user_id = seeded[-1]
    assert json.loads(live_stack.manage("shell", "-c", TRACES.format(user_id=user_id, email=email)).stdout.strip().splitlines()[-1])

    page.goto("/accounts/profile/")
    page.click("text=Delete my data")
    assert "your 3 analyses" in page.content()
    journey.shot("confirmation")
    page.fill("input[name=confirm]", "not my email")
    page.click("button.danger")
    assert "Nothing was deleted" in page.content()
    page.fill("input[name=confirm]", email)
    page.click("button.danger")
    page.wait_for_selector("text=Your data has been deleted", timeout=60_000)  # the page refreshes itself
    journey.shot("receipt")
    counts = {kind: page.inner_text(f"td.count-{kind}") for kind in ("inference_records", "raw_objects", "processed_objects", "account")}
    assert counts == {"inference_records": "3", "raw_objects": "3", "processed_objects": "15", "account": "1"}

    remaining = live_stack.manage("shell", "-c", TRACES.format(user_id=user_id, email=email)).stdout.strip().splitlines()[-1]
    assert json.loads(remaining) == []
    log_in(page, email)
    page.wait_for_load_state()
    assert "do not match an active account" in page.content()
    journey.shot("cannot log in again")
