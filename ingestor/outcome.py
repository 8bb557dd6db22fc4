"""How one email ended: the one vocabulary of the pipeline's reports, the daemon, the CLI, the
dispositions and the metrics.

It lives in ingestor/, not in parsers/: parsing never decides INGESTED, DUPLICATE or DEFERRED (NetBox
does); parsers have their own ``ParseStatus``, and the pipeline maps it to an Outcome in one place
(``pipeline.parse_outcome``). Nothing here imports anything, so config, disposition, metrics, the sink
and the daemon all share it.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """DEFERRED: NetBox failed transiently; the email stays to be tried again, so it gets no disposition.
    The other four are final (FINAL_OUTCOMES): each has the mailbox disposition of that name."""

    INGESTED = "ingested"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    FAILED = "failed"
    DEFERRED = "deferred"


# The outcomes an email is done with: each has a disposition, and only these are counted as handled.
FINAL_OUTCOMES: tuple[Outcome, ...] = (Outcome.INGESTED, Outcome.DUPLICATE, Outcome.IGNORED, Outcome.FAILED)
