"""The decoder of the engagement counts a heartbeat may carry (optional ``engagement``)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from central.common.decode import Invalid, is_int
from central.insights.counters import COUNTERS

MAX_ROWS = 500
MAX_COUNT = 2**31 - 1
HOUR = re.compile(r"\A(\d{4})-(\d{2})-(\d{2})T(\d{2}):00:00Z\Z", re.ASCII)
FIELDS = {"hour", "project_id", "counter", "count"}


def engagement_rows(rows: Any) -> list[dict[str, Any]]:
    """Decoded rows, each with ``hour`` as an aware UTC datetime; :class:`Invalid` naming the
    field for anything the contract does not allow."""
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        raise Invalid(f"engagement: expected a list of at most {MAX_ROWS} rows")
    decoded, seen = [], set()
    for n, row in enumerate(rows):
        where = f"engagement[{n}]"
        if not isinstance(row, dict) or set(row) != FIELDS:
            raise Invalid(f"{where}: expected an object with exactly hour, project_id, counter "
                          f"and count")
        hour = _hour(row["hour"], f"{where}.hour")
        project_id = row["project_id"]
        if not isinstance(project_id, str) or not 1 <= len(project_id) <= 128:
            raise Invalid(f"{where}.project_id: expected text of 1 to 128 characters")
        if not isinstance(row["counter"], str) or row["counter"] not in COUNTERS:
            raise Invalid(f"{where}.counter: expected one of {', '.join(COUNTERS)}")
        if not is_int(row["count"]) or not 0 <= row["count"] <= MAX_COUNT:
            raise Invalid(f"{where}.count: expected a whole number from 0 to {MAX_COUNT}")
        key = (hour, project_id, row["counter"])
        if key in seen:
            raise Invalid(f"{where}: the same hour, project_id and counter twice")
        seen.add(key)
        decoded.append({"hour": hour, "project_id": project_id, "counter": row["counter"],
                        "count": row["count"]})
    return decoded


def _hour(value: Any, name: str) -> dt.datetime:
    match = HOUR.match(value) if isinstance(value, str) else None
    if match is None:
        raise Invalid(f"{name}: expected the start of a UTC hour, e.g. 2026-03-14T15:00:00Z")
    try:
        return dt.datetime(*map(int, match.groups()), tzinfo=dt.UTC)
    except ValueError:
        raise Invalid(f"{name}: not a real date and hour") from None
