"""Provider wording of a status ("Open - under investigation") mapped to the plugin's statuses.

A status map is an ordered ``{key: STATUS}`` table. A key matches the wording when it occurs in it,
ignoring case ("cause identified" matches "Cause Identified - repair under way"), or, read as a regular
expression, ``re.search`` finds it ignoring case (``"^open\\b"``). The first matching key wins, so the
tables a config gives (a definition's ``status_map``, then ``parsing.outage_status_map``) are tried before
the defaults below, and within the defaults the specific keys come before the general ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, NamedTuple

from pydantic import AfterValidator

from parsers.models import MAINTENANCE_STATUSES, OUTAGE_STATUSES
from parsers.vocabulary import NEGATED_WORDING, OUTAGE_STATUS_WORDING

# The outage wording is data (parsers.vocabulary.OUTAGE_STATUS_WORDING), most specific first.
DEFAULT_OUTAGE_STATUS_MAP: dict[str, str] = OUTAGE_STATUS_WORDING
_NEGATED = re.compile(NEGATED_WORDING, re.IGNORECASE)

DEFAULT_MAINTENANCE_STATUS_MAP: dict[str, str] = {
    r"cancel": "CANCELLED",
    r"re-?schedul|postponed|moved|new date": "RE-SCHEDULED",
    r"complete|finished|\bended\b|\bclosed\b|end of window|successful": "COMPLETED",
    r"in[- ]process|in progress|started|\bstart\b|ongoing|under way|underway": "IN-PROCESS",
    r"tentative|proposed|provisional": "TENTATIVE",
    r"confirm|scheduled|planned|\bnew\b|reminder|notification": "CONFIRMED",
}

DEFAULT_STATUS_MAPS: dict[str, dict[str, str]] = {
    "outage": DEFAULT_OUTAGE_STATUS_MAP,
    "maintenance": DEFAULT_MAINTENANCE_STATUS_MAP,
}

ALLOWED_STATUSES: dict[str, tuple[str, ...]] = {
    "outage": OUTAGE_STATUSES,
    "maintenance": (*MAINTENANCE_STATUSES, "NO-CHANGE"),
}


def _key_matches(key: str, wording: str) -> bool:
    if key.casefold() in wording.casefold():
        return True
    try:
        return re.search(key, wording, re.IGNORECASE) is not None
    except re.error:  # a plain phrase with a stray "(" is only matched as text
        return False


def map_status(wording: str | None, *tables: Mapping[str, str]) -> str | None:
    """The plugin status for a provider's wording: the first key of the first table that matches.

    None when the wording is empty or no key matches (the notice then states no status). Negated
    wording ("not yet restored", "pending restoration") is taken out first.
    """
    found = match_status(wording, *tables)
    return found[0] if found else None


class StatusMatch(NamedTuple):
    status: str
    key: str  # the table key that matched (parsers.vocabulary.STATUS_LANGUAGE knows its language)
    text: str  # the words of the wording it matched


def match_status(wording: str | None, *tables: Mapping[str, str]) -> StatusMatch | None:
    """map_status's status, the key that matched and the words it matched (for explain)."""
    if not wording or not wording.strip():
        return None
    wording = _NEGATED.sub(" ", wording)  # "not yet restored" says nothing about restoration
    for table in tables:
        for key, status in table.items():
            if _key_matches(key, wording):
                return StatusMatch(status, key, _matched_text(key, wording))
    return None


def _matched_text(key: str, wording: str) -> str:
    start = wording.casefold().find(key.casefold())
    if start >= 0:
        return wording[start : start + len(key)]
    try:
        match = re.search(key, wording, re.IGNORECASE)
    except re.error:
        return key
    return match[0] if match else key


def check_status_map(table: Mapping[str, str], kind: str | Iterable[str]) -> dict[str, str]:
    """Upper-case the statuses and check them against the kind's plugin statuses (for config validation)."""
    kinds = [kind] if isinstance(kind, str) else list(kind)
    allowed = sorted({status for k in kinds for status in ALLOWED_STATUSES[k]})
    checked: dict[str, str] = {}
    for key, status in table.items():
        if not key.strip():
            raise ValueError("a status_map key must not be empty")
        normalized = status.strip().upper()
        if normalized not in allowed:
            raise ValueError(f"status {status!r} (for {key!r}) is not one of {', '.join(allowed)}")
        checked[key] = normalized
    return checked


def _check_outage_map(table: dict[str, str]) -> dict[str, str]:
    return check_status_map(table, "outage")


# For ParserOptions.outage_status_map (and the config's parsing.outage_status_map): wording -> status.
OutageStatusMap = Annotated[dict[str, str], AfterValidator(_check_outage_map)]
