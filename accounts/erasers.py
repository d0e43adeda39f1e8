"""The user-data erasers: how a right-to-deletion job reaches data that other apps hold.

accounts sits below every app that stores user data, so it cannot import them. Instead each such
app registers, from its `AppConfig.ready()`, one eraser per kind of data; each eraser is a
function of that app's own services. The erasure job (accounts/erasure.py) runs them in
registration order, then ends the sessions and deletes the account.

An eraser's `kind` is both the job step shown while it runs and the receipt count it adds to
(one of `erasure_store.COUNT_FIELDS`), so receipts keep one number per kind.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol


class Erase(Protocol):
    def __call__(self, *, user_id: str, counted: Callable[[int], None]) -> None:
        """Delete what of `user_id` is still there, calling `counted(n)` after each n deleted.

        Must be idempotent: a job that failed halfway runs it again, and anything deleted by the
        earlier attempt must be neither deleted nor counted twice."""


class Count(Protocol):
    def __call__(self, *, user_id: str) -> int:
        """How many items an erasure would delete (shown before the user confirms)."""


@dataclass(frozen=True)
class UserDataEraser:
    kind: str
    erase: Erase
    count: Count | None = None


# Receipt columns the job fills itself rather than through an eraser.
OWN_KINDS = ("account",)

_ERASERS: dict[str, UserDataEraser] = {}


def user_data_eraser_register(*, kind: str, erase: Erase, count: Count | None = None) -> None:
    """Register how to erase one kind of user data. Re-registering a kind replaces it."""
    from accounts.erasure_store import COUNT_FIELDS

    if kind not in COUNT_FIELDS or kind in OWN_KINDS:
        erasable = [name for name in COUNT_FIELDS if name not in OWN_KINDS]
        raise ValueError(f"no receipt count for user data kind {kind!r}; erasers fill one of {erasable}")
    _ERASERS[kind] = UserDataEraser(kind=kind, erase=erase, count=count)


def user_data_erasers() -> list[UserDataEraser]:
    return list(_ERASERS.values())


def user_data_count(*, user_id: str, kind: str) -> int:
    """What the eraser of `kind` would delete for `user_id`; 0 when that kind has no counter."""
    eraser = _ERASERS.get(kind)
    if eraser is None or eraser.count is None:
        return 0
    return eraser.count(user_id=user_id)
