"""When an email that keeps failing is a poison email: a pure rule, applied by the daemon.

An email whose own writes keep failing transiently while NetBox answers (``EmailReport.counted``, see
pipeline.py) would be tried for ever; after ``max_attempts`` such failures it is set aside (``on_failed``)
with its last error. The count lives in the mailbox's state (state.py); what the daemon does with the
answer (log, metric, disposition, saving the count) is the daemon's.
"""

from __future__ import annotations

import dataclasses

from ingestor.outcome import Outcome
from ingestor.pipeline import EmailReport


def count_attempt(report: EmailReport, attempts: int, max_attempts: int) -> tuple[EmailReport, int]:
    """``report`` as the daemon is to act on it, and the email's counted failures after it, given the
    ``attempts`` counted before. Only a DEFERRED that counts adds one; reaching ``max_attempts`` makes
    it FAILED, as a poison email (a new report: ``report`` is left as it is)."""
    if report.outcome is not Outcome.DEFERRED or not report.counted:
        return report, attempts
    attempts += 1
    if attempts < max_attempts:
        return report, attempts
    reason = (
        f"poison email: failed {attempts} times while NetBox answered other requests; "
        f"last error: {report.reason}"
    )
    return dataclasses.replace(report, outcome=Outcome.FAILED, reason=reason), attempts
