"""Settings the parsing stage takes from the config file (a slice of the one config model)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from parsers.definitions import DateOrder, ParserDefinition
from parsers.statuses import OutageStatusMap


class ParserOptions(BaseModel):
    # sender address or domain (lower case) -> circuit-maintenance-parser provider name, for senders the
    # library does not know (forwarders, a provider's other address).
    sender_providers: dict[str, str] = Field(default_factory=dict)
    # parse timeout per email, so one slow email (a time-zone lookup that retries) cannot block the rest
    timeout_seconds: float = 30.0
    # declarative parsers from the config's [[parsers]] tables, tried in order before the library's
    parsers: list[ParserDefinition] = Field(default_factory=list)
    # provider wording -> outage status, tried before parsers.statuses.DEFAULT_OUTAGE_STATUS_MAP
    outage_status_map: OutageStatusMap = Field(default_factory=dict)
    # provider name -> "DMY" or "MDY": how that provider writes ambiguous slashed dates (parsers.dateorder)
    date_orders: dict[str, DateOrder] = Field(default_factory=dict)
