"""One fault classifier for every NetBox interaction: is this failure worth trying again?

Every request the daemon makes to NetBox — reads, paginated listings, writes, the status probe — ends
in one of three ways when it fails:

- ``Fault.TRANSIENT``: the network or NetBox had a bad moment (connection refused/reset/dropped,
  timeout, a truncated or non-JSON answer from a proxy, HTTP 408/429/500/502/503/504). The request is
  retried with backoff; if it still fails, the email is left where it is and tried again later. HTTP 500
  counts as transient because NetBox answers 500 for database hiccups and for integrity races (two
  instances creating the same Impact at once) that a re-read resolves.
- ``Fault.REJECTED``: NetBox answered and refused (any other 4xx): the email's effect cannot be stored
  as it is, and the email fails with NetBox's own message.
  So is an answer larger than ``[netbox] max_response_mb``: asking again would get the same answer.
- ``None``: not a NetBox fault at all (a bug of ours): the caller decides.

Pure: no I/O, so it is unit-tested by feeding it exceptions.
"""

from __future__ import annotations

import json
from enum import StrEnum

import pynetbox
import requests

from ingestor.http import ResponseTooLarge
from ingestor.retry_after import parse_retry_after

TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MESSAGE_MAX = 500


class Fault(StrEnum):
    TRANSIENT = "transient"
    REJECTED = "rejected"


class NetBoxUnavailable(Exception):
    """NetBox could not be reached or kept failing transiently: try the email again later."""


class NetBoxDown(NetBoxUnavailable):
    """NetBox failed transiently and then did not answer its status probe either: not one request's or
    one email's trouble. Raised once, by whoever probed (the writer, the sink), and never probed again
    above it: the pipeline reports the batch's waiting emails with ``netbox_down``, and the daemon stops
    the poll and backs off."""


class NetBoxRejected(Exception):
    """NetBox refused a request (4xx): the email's effect cannot be stored as it is."""


# Exceptions raised below pynetbox when the connection breaks mid-answer, or a proxy sends a body that is
# not NetBox's JSON. requests wraps most of these, but pagination and lazy record access can let the bare
# ones through.
_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    pynetbox.ContentError,
    json.JSONDecodeError,
    ConnectionError,  # the builtin: reset, refused, aborted
    TimeoutError,
)


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a pynetbox.RequestError (None for anything else)."""
    return getattr(getattr(exc, "req", None), "status_code", None)


def classify(exc: BaseException) -> Fault | None:
    if isinstance(exc, pynetbox.RequestError):
        status = status_of(exc)
        if status is None or status in TRANSIENT_STATUSES:
            return Fault.TRANSIENT
        return Fault.REJECTED if 400 <= status < 500 else Fault.TRANSIENT
    if isinstance(exc, _TRANSIENT_TYPES):
        return Fault.TRANSIENT
    if isinstance(exc, ResponseTooLarge):  # asking again gets the same answer ([netbox] max_response_mb)
        return Fault.REJECTED
    return None


def retry_after(exc: BaseException) -> float | None:
    """Seconds a 429/503 answer asks us to wait (its Retry-After, seconds or an HTTP date), if it says."""
    headers = getattr(getattr(exc, "req", None), "headers", None) or {}
    return parse_retry_after(headers.get("Retry-After"))


def describe(exc: BaseException) -> str:
    """One line naming the fault, with NetBox's own message for a refused request."""
    if isinstance(exc, pynetbox.RequestError):
        return f"HTTP {status_of(exc)}: {exc.error}"[:MESSAGE_MAX]
    return f"{type(exc).__name__}: {exc}"[:MESSAGE_MAX]


def unavailable(exc: BaseException) -> str | None:
    """What a transient failure says (a NetBoxUnavailable's own message, else ``describe``), wherever it
    was raised; None when ``exc`` is not transient."""
    if isinstance(exc, NetBoxUnavailable):
        return str(exc)
    return describe(exc) if classify(exc) is Fault.TRANSIENT else None


def as_netbox_error(exc: BaseException) -> NetBoxUnavailable | NetBoxRejected | None:
    """The exception to raise in place of ``exc`` (None: not a NetBox fault)."""
    fault = classify(exc)
    if fault is Fault.TRANSIENT:
        return NetBoxUnavailable(describe(exc))
    if fault is Fault.REJECTED:
        return NetBoxRejected(describe(exc))
    return None
