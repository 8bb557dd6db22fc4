"""The typed results that leave the parsing stage.

Everything after parsing (planning the NetBox writes, disposition, reports) relies on these models
only, never on circuit-maintenance-parser's own classes, so our own parsers and the library's are
interchangeable.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

NoticeKind = Literal["maintenance", "outage"]

MAINTENANCE_STATUSES = ("TENTATIVE", "CONFIRMED", "CANCELLED", "IN-PROCESS", "COMPLETED", "RE-SCHEDULED")
OUTAGE_STATUSES = ("REPORTED", "INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED")

# An exact (stamp, sequence) tie between two maintenance notices is broken by how far along the
# lifecycle each one is, so the same emails in any order end in the same state.
LIFECYCLE_RANK = {
    "TENTATIVE": 0,
    "CONFIRMED": 1,
    "RE-SCHEDULED": 2,
    "IN-PROCESS": 3,
    "COMPLETED": 4,
    "CANCELLED": 5,
    "REPORTED": 0,
    "INVESTIGATING": 1,
    "IDENTIFIED": 2,
    "MONITORING": 3,
    "RESOLVED": 4,
}

# Statuses on which the plugin refuses impact writes.
CLOSED_STATUSES = frozenset({"COMPLETED", "CANCELLED", "RESOLVED"})


class CircuitImpact(BaseModel):
    model_config = ConfigDict(frozen=True)

    circuit_id: str = Field(min_length=1)
    impact: Literal["NO-IMPACT", "REDUCED-REDUNDANCY", "DEGRADED", "OUTAGE"] = "OUTAGE"


class Notice(BaseModel):
    """One maintenance or outage as one email states it.

    A field left as None means "this email does not say", which matters for ordering: a newer notice
    that does not state a field does not erase the value an older one stated.
    """

    kind: NoticeKind
    provider: str = Field(min_length=1, description="parser's provider name, e.g. 'zayo'")
    event_id: str = Field(min_length=1, description="the provider's maintenance id or ticket number")
    status: str | None = None  # None: NO-CHANGE / not stated
    start: datetime | None = None
    end: datetime | None = None
    estimated_time_to_repair: datetime | None = None
    summary: str | None = None
    circuits: list[CircuitImpact] = Field(default_factory=list)
    stamp: datetime = Field(description="when the provider issued this notice (UTC)")
    sequence: int = 1
    original_timezone: str | None = None
    account: str | None = None
    parser: str = Field(default="", description="which parser produced it, for logs and reports")
    # How a rule decided something the email left ambiguous ("start: '05/03/2026 14:00' read as
    # 2026-03-05: zone CET writes day first"); also logged, never decided silently.
    warnings: list[str] = Field(default_factory=list)

    @field_validator("start", "end", "estimated_time_to_repair", "stamp")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        # Naive datetimes would be read as UTC by NetBox anyway; make that explicit and comparable.
        if value is not None and value.tzinfo is None:
            from datetime import UTC

            return value.replace(tzinfo=UTC)
        return value

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str | None, info) -> str | None:
        if value is None or value == "NO-CHANGE":
            return None
        allowed = MAINTENANCE_STATUSES if info.data.get("kind") == "maintenance" else OUTAGE_STATUSES
        if value not in allowed:
            raise ValueError(f"status {value!r} is not one of {', '.join(allowed)}")
        return value

    def order_key(self) -> tuple:
        """Newest-last ordering of the notices of one event: (stamp, sequence, lifecycle rank), then —
        for two notices still tied, e.g. one Message-ID reused with another window — the later window,
        so that any arrival order gives one result."""

        def seconds(value: datetime | None) -> float:
            return value.timestamp() if value else float("-inf")

        return (
            self.stamp,
            self.sequence,
            LIFECYCLE_RANK.get(self.status or "", -1),
            seconds(self.start),
            seconds(self.end),
            seconds(self.estimated_time_to_repair),
        )


class ParseStatus(StrEnum):
    """How the parsing stage left an email: PARSED (notices for NetBox), IGNORED (not a notice, or
    a sender to ignore) or FAILED (a notice that could not be read). What that makes of the email is the
    pipeline's to say (ingestor.pipeline.parse_outcome): parsers know nothing of NetBox's outcomes."""

    PARSED = "parsed"
    IGNORED = "ignored"
    FAILED = "failed"


class EmailMeta(BaseModel):
    """What the NetBox stage needs to know about the email itself."""

    message_id: str = Field(description="Message-ID header, or 'sha256:<hex>' of the bytes when absent")
    subject: str = ""
    sender: str = ""  # bare address
    received: datetime  # Date header (UTC), or now when absent/unparseable; orders the notices
    # When it reached us (IMAP INTERNALDATE, else the newest Received header; never later than the parse):
    # the EventNotification's email_received, a time that happened. None when nothing says.
    arrived: datetime | None = None
    # The Date header's own offset east of UTC in minutes (+04:00 -> 240); None when it has none ("-0000",
    # absent, unreadable). A time an email writes with no zone is read in it (parsers.times).
    date_offset_minutes: int | None = None
    body: str = ""  # readable text of the email, for EventNotification.email_body
    # Digest of the email's body (headers excluded, line endings normalised). With the Message-ID it
    # identifies an email: the same email delivered twice (other Received headers) is one email, while
    # two different notices that reuse one Message-ID (providers do) are two.
    body_digest: str = ""

    @property
    def identity(self) -> tuple[str, str]:
        return (self.message_id, self.body_digest)


class ParseResult(BaseModel):
    """A message after parsing: notices, or ignored/failed with a reason."""

    email: EmailMeta
    notices: list[Notice] = Field(default_factory=list)
    status: ParseStatus
    reason: str = ""
    provider: str | None = None
