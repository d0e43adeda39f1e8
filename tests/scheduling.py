"""How the suite shares two cores (pytest-xdist; bin/artguard test runs `-n 2 --dist loadscope`).

Tests that share one expensive stack form a scope that runs on one worker, so the stack starts
once: each production-profile broker is its own scope (the two run side by side), and the
modules on the session's live stack are another. Every other test is a scope of its own.
Scopes go first, longest first, so the many short unit tests fill the other worker's time
instead of waiting behind a 10-minute scope at the end. Everything under tests/e2e is marked
`e2e`, the tier `bin/artguard test --quick` leaves out.

The scope is read from the test id alone: xdist's scheduler runs in the controller, which
never collects, and pytest 9's ids cannot carry xdist_group's "@group" suffix (xdist 3.8
renames `item._nodeid`, which pytest 9 no longer reads)."""
from __future__ import annotations

from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

E2E = Path(__file__).parent / "e2e"
PRODUCTION_MODULE = "test_production_profile.py"
# The modules whose tests use the session's `live_stack` (tests/e2e/conftest.py); `check` below
# refuses a run in which another module uses it, so this list cannot silently go stale.
LIVE_STACK_MODULES = frozenset({
    "test_accounts_journey.py", "test_api_docs.py", "test_api_fuzz.py", "test_deletion_journey.py", "test_load.py",
    "test_product_journeys.py", "test_worker_priority.py",
})
# Longest first (docs/quality.md, "Where the suite's time goes"); everything else after, in collection order.
SCOPE_ORDER = ("production-sqs", "production-redis", "live-stack")


def scope_of(nodeid: str) -> str:
    module = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    if module == PRODUCTION_MODULE and "[" in nodeid:
        return "production-" + nodeid.rsplit("[", 1)[1].split("-", 1)[0].rstrip("]")
    if module in LIVE_STACK_MODULES:
        return "live-stack"
    return nodeid


class StackScopeScheduling(LoadScopeScheduling):
    """xdist's load-by-scope scheduling, with `scope_of` as the scope."""

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid)


class StackScopes:
    """The plugin that hands xdist this scheduling for `--dist loadscope`."""

    def pytest_xdist_make_scheduler(self, config, log):
        return StackScopeScheduling(config, log) if config.getvalue("dist") == "loadscope" else None


def is_e2e(item: pytest.Item) -> bool:
    return E2E in Path(str(item.path)).parents


def rank(item: pytest.Item) -> int:
    scope = scope_of(item.nodeid)
    if scope in SCOPE_ORDER:
        return SCOPE_ORDER.index(scope)
    return len(SCOPE_ORDER) + (0 if is_e2e(item) else 1)


def check(items: list[pytest.Item]) -> None:
    strays = sorted({Path(str(item.path)).name for item in items
                     if "live_stack" in getattr(item, "fixturenames", ()) and scope_of(item.nodeid) == item.nodeid})
    if strays:
        raise pytest.UsageError(f"{', '.join(strays)} use the session's live_stack: add them to LIVE_STACK_MODULES in tests/scheduling.py")


def order(items: list[pytest.Item]) -> None:
    """Scopes first, longest first; stable within each rank, so fixtures keep their order."""
    check(items)
    items.sort(key=rank)
