"""The one reading of an HTTP Retry-After header, for NetBox's retries and Graph's throttling alike.

A top-level module that imports neither ingestor.netbox nor ingestor.sources, so both may use it without
importing each other.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait, from a Retry-After value: delta-seconds ("7") or an HTTP date ("Wed, 21 Oct 2026
    07:28:00 GMT", counted from ``now``, Unix time, default the clock); never negative. None when there
    is no value or it is neither form: the caller falls back to its own backoff."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (time.time() if now is None else now))
