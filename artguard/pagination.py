"""Opaque cursors over DynamoDB's LastEvaluatedKey, for pages of index queries."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Iterator


class BadCursor(ValueError):
    pass


def cursor_encode(last_evaluated_key: dict | None) -> str | None:
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str | None, *, allowed_keys: set[str]) -> dict | None:
    """The key a cursor names, or BadCursor if it was not made by cursor_encode for this query."""
    if not cursor:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        raise BadCursor("The page cursor is not valid.") from None
    if not isinstance(decoded, dict) or set(decoded) - allowed_keys or not decoded:
        raise BadCursor("The page cursor is not valid.")
    for value in decoded.values():
        if not (isinstance(value, dict) and len(value) == 1 and set(value) <= {"S", "N"}):
            raise BadCursor("The page cursor is not valid.")
    return decoded


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def page_from_query(result_iterator: Iterator, *, limit: int) -> Page:
    """Collect one page from a PynamoDB query made with `limit=`; its cursor resumes after it."""
    items = list(result_iterator)[:limit]
    return Page(items=items, next_cursor=cursor_encode(result_iterator.last_evaluated_key))
