"""How the suite shares two cores (pytest-xdist, `--dist loadgroup`; bin/artguard test).

Tests that share one expensive stack form a group that runs on one worker, so the stack starts
once: each production-profile broker is its own group (they run side by side), and the
session's live stack is another. Groups go first, longest first, so the many short unit tests
fill the other worker's time instead of waiting behind a 10-minute group at the end.
Everything under tests/e2e is marked `e2e`, the tier `bin/artguard test --quick` leaves out."""
from __future__ import annotations

from pathlib import Path

import pytest

E2E = Path(__file__).parent / "e2e"
PRODUCTION_MODULE = "test_production_profile.py"
# Longest first (docs/quality.md, "Where the suite's time goes"); everything else after, in collection order.
GROUP_ORDER = ("production-sqs", "production-redis", "live-stack")
UNGROUPED_E2E, UNIT = len(GROUP_ORDER), len(GROUP_ORDER) + 1


def group_of(item: pytest.Item) -> str | None:
    path = Path(str(item.path))
    if path.name == PRODUCTION_MODULE:
        broker = getattr(getattr(item, "callspec", None), "params", {}).get("live_stack")
        return f"production-{broker}" if broker else "production"
    if "live_stack" in getattr(item, "fixturenames", ()):
        return "live-stack"
    return None


def rank(item: pytest.Item) -> int:
    group = group_of(item)
    if group in GROUP_ORDER:
        return GROUP_ORDER.index(group)
    return UNGROUPED_E2E if E2E in Path(str(item.path)).parents else UNIT


def mark(items: list[pytest.Item]) -> None:
    """Mark e2e tests and each test's group."""
    for item in items:
        if E2E in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)
        group = group_of(item)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))


def order(items: list[pytest.Item]) -> None:
    """Groups first, longest first; stable within each rank, so fixtures keep their order."""
    items.sort(key=rank)
