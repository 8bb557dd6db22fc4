"""The one Retry-After reading (ingestor.retry_after), used by NetBox's retries and Graph's throttling."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from ingestor.retry_after import parse_retry_after

NOW = datetime(2026, 10, 21, 7, 28, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("value", "seconds"), [("7", 7.0), ("0", 0.0), ("2.5", 2.5), ("-3", 0.0), (" 12 ", 12.0)]
)
def test_delta_seconds(value, seconds):
    assert parse_retry_after(value, now=NOW) == seconds


def test_an_http_date_counts_from_now_and_a_past_one_is_no_wait():
    assert parse_retry_after("Wed, 21 Oct 2026 07:29:30 GMT", now=NOW) == 90.0
    assert parse_retry_after("Wed, 21 Oct 2026 07:00:00 GMT", now=NOW) == 0.0
    assert (
        parse_retry_after(format_datetime(datetime.fromtimestamp(NOW + 60, UTC), usegmt=True), now=NOW)
        == 60.0
    )


@pytest.mark.parametrize("value", [None, "", "soon", "Wed, 99 Foo 2026"])
def test_nothing_usable_is_none_so_the_caller_backs_off_on_its_own(value):
    assert parse_retry_after(value, now=NOW) is None
