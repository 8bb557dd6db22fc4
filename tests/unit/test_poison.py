"""poison.count_attempt: when an email that keeps failing on its own is set aside (pure)."""

from __future__ import annotations

import pytest

from ingestor.outcome import Outcome
from ingestor.pipeline import EmailReport
from ingestor.poison import count_attempt


def report(outcome: Outcome = Outcome.DEFERRED, counted: bool = True) -> EmailReport:
    return EmailReport(
        "imap://noc/INBOX;UID=7", "<a@b>", outcome, "NetBox unavailable: HTTP 500", counted=counted
    )


def test_a_counted_failure_below_max_attempts_waits_and_counts_one_more():
    waiting = report()
    assert count_attempt(waiting, 1, 3) == (waiting, 2)


def test_the_failure_that_reaches_max_attempts_makes_a_poison_email_with_its_last_error():
    waiting = report()
    poisoned, attempts = count_attempt(waiting, 2, 3)
    assert attempts == 3 and poisoned.outcome is Outcome.FAILED
    assert poisoned.reason == (
        "poison email: failed 3 times while NetBox answered other requests; "
        "last error: NetBox unavailable: HTTP 500"
    )
    assert (poisoned.source, poisoned.message_id) == (waiting.source, waiting.message_id)
    assert waiting.outcome is Outcome.DEFERRED  # a new report: the one given is left as it is


def test_max_attempts_one_sets_aside_at_the_first_counted_failure():
    assert count_attempt(report(), 0, 1)[0].outcome is Outcome.FAILED


@pytest.mark.parametrize(
    "given", [report(counted=False), report(Outcome.INGESTED, counted=False), report(Outcome.FAILED)]
)
def test_only_a_counted_deferred_is_counted(given):
    """A batch that waited for NetBox as a whole is no email's fault; a final outcome is not a failure
    to count (the daemon forgets the email's count when it disposes of it)."""
    assert count_attempt(given, 2, 3) == (given, 2)
