"""Settings the parsing stage takes from the config file (a slice of the one config model)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from parsers.definitions import DateOrder, ParserDefinition
from parsers.senders import IgnoreRule
from parsers.statuses import OutageStatusMap


class ParserOptions(BaseModel):
    # sender address or domain (lower case) -> circuit-maintenance-parser provider name, for senders the
    # library does not know (forwarders, a provider's other address).
    sender_providers: dict[str, str] = Field(default_factory=dict)
    # wall-clock limit on the whole parse of one email (in a worker process, see parsers.worker), so one
    # slow email (a time-zone lookup that retries, a pathological MIME tree) cannot block the rest
    timeout_seconds: float = 30.0
    # address-space limit of a parse worker (RLIMIT_AS); a worker's baseline is ~0.26 GiB of it
    memory_limit_mb: int = 1024
    # parse worker processes (emails parsed at once); each is reused across emails
    workers: int = 1
    # bounds on what reaches NetBox: the readable body (UTF-8 bytes, cut with a visible note), the
    # notices one email may carry (above it the email fails), how far past its arrival a stamp may lie
    max_body_bytes: int = 64 * 1024
    max_notices: int = 50
    stamp_skew_seconds: float = 3600.0
    # an attachment (xlsx is a zip) may inflate to at most this many bytes before a library reads it
    max_inflated_bytes: int = 50 * 1024 * 1024
    # declarative parsers from the config's [[parsers]] tables, tried in order before the library's
    parsers: list[ParserDefinition] = Field(default_factory=list)
    # provider wording -> outage status, tried before parsers.statuses.DEFAULT_OUTAGE_STATUS_MAP
    outage_status_map: OutageStatusMap = Field(default_factory=dict)
    # provider name -> "DMY" or "MDY": how that provider writes ambiguous slashed dates (parsers.dateorder)
    date_orders: dict[str, DateOrder] = Field(default_factory=dict)
    # provider name or NetBox slug (lower case) -> what of that provider's email parsing to nothing may be
    # ignored ([providers.<name>] ignore_senders / ignore_subjects); anything else of it fails (senders.py)
    ignore_rules: dict[str, IgnoreRule] = Field(default_factory=dict)
