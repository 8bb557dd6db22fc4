"""Dates and time zones as providers write them in notices, read into aware UTC datetimes.

Shared by the generic outage parser and the declarative parsers. A value either states its zone
("2026-03-02 14:05 UTC", "07/20/2026 09:02 AM EDT", "... +0200", "UTC+2", "(GMT)", "Europe/Berlin") or
takes the caller's default; with neither it is read as UTC, which is what NetBox assumes anyway.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser


def _fixed(hours: float, name: str) -> timezone:
    return timezone(timedelta(hours=hours), name)


# Abbreviations stand for one fixed offset each (EDT is always -04:00), which is what the email meant.
# The bare US zone letters (ET, CT...) say nothing about daylight saving, so they follow the region's rules.
# IST is left out on purpose: India, Ireland and Israel all use it; give `timezone` in a definition instead.
ABBREVIATIONS: dict[str, tzinfo] = {
    "UTC": UTC,
    "UT": UTC,
    "GMT": UTC,
    "Z": UTC,
    "EST": _fixed(-5, "EST"),
    "EDT": _fixed(-4, "EDT"),
    "CST": _fixed(-6, "CST"),
    "CDT": _fixed(-5, "CDT"),
    "MST": _fixed(-7, "MST"),
    "MDT": _fixed(-6, "MDT"),
    "PST": _fixed(-8, "PST"),
    "PDT": _fixed(-7, "PDT"),
    "AKST": _fixed(-9, "AKST"),
    "AKDT": _fixed(-8, "AKDT"),
    "HST": _fixed(-10, "HST"),
    "ET": ZoneInfo("America/New_York"),
    "CT": ZoneInfo("America/Chicago"),
    "MT": ZoneInfo("America/Denver"),
    "PT": ZoneInfo("America/Los_Angeles"),
    "WET": _fixed(0, "WET"),
    "WEST": _fixed(1, "WEST"),
    "BST": _fixed(1, "BST"),
    "CET": _fixed(1, "CET"),
    "CEST": _fixed(2, "CEST"),
    "MET": _fixed(1, "MET"),
    "MEST": _fixed(2, "MEST"),
    "EET": _fixed(2, "EET"),
    "EEST": _fixed(3, "EEST"),
    "MSK": _fixed(3, "MSK"),
    "SGT": _fixed(8, "SGT"),
    "HKT": _fixed(8, "HKT"),
    "AWST": _fixed(8, "AWST"),
    "JST": _fixed(9, "JST"),
    "KST": _fixed(9, "KST"),
    "ACST": _fixed(9.5, "ACST"),
    "AEST": _fixed(10, "AEST"),
    "AEDT": _fixed(11, "AEDT"),
    "NZST": _fixed(12, "NZST"),
    "NZDT": _fixed(13, "NZDT"),
}

# "UTC+2", "GMT -05:00", "UTC+05:30" (prefix, hours with optional minutes) or a bare "+0200"/"-05:00"
# after a space (4 digits, so the "-03" of "2026-03-02" is never taken for an offset).
_PREFIXED_OFFSET = re.compile(r"\b(?:UTC|GMT)\s*(?P<sign>[+-])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?\b")
_BARE_OFFSET = re.compile(r"(?<=\s)(?P<sign>[+-])(?P<h>\d{2}):?(?P<m>\d{2})\b")
_ABBREVIATION = re.compile(
    r"\b(" + "|".join(sorted((a for a in ABBREVIATIONS if a != "Z"), key=len, reverse=True)) + r")\b"
)
_ZULU = re.compile(r"(?<=\d)Z\b")
_IANA = re.compile(r"\b[A-Z][A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?\b")

# Filled in for what the email leaves out, so a value without a year can be told from one with a year.
_NO_DATE = datetime(1, 1, 1)


class FoundZone(NamedTuple):
    zone: tzinfo
    name: str  # as written in the email ("EDT", "+0200", "Europe/Berlin")
    rest: str  # the value without the zone, ready for a date parser


def _offset(match: re.Match[str]) -> timezone:
    minutes = int(match["h"]) * 60 + int(match["m"] or 0)
    if minutes > 18 * 60:
        raise ValueError(f"offset {match[0]!r} is out of range")
    return timezone(timedelta(minutes=-minutes if match["sign"] == "-" else minutes))


def _without(value: str, match: re.Match[str]) -> str:
    rest = value[: match.start()] + " " + value[match.end() :]
    return re.sub(r"\(\s*\)|\[\s*\]", " ", rest).strip(" ,;")


def find_timezone(value: str) -> FoundZone | None:
    """The time zone a date value states, with the value minus that zone; None when it states none."""
    for pattern in (_PREFIXED_OFFSET, _BARE_OFFSET):
        match = pattern.search(value)
        if match:
            return FoundZone(_offset(match), match[0].strip(), _without(value, match))
    match = _ABBREVIATION.search(value)
    if match:
        return FoundZone(ABBREVIATIONS[match[1]], match[1], _without(value, match))
    match = _ZULU.search(value)
    if match:
        return FoundZone(UTC, "Z", _without(value, match))
    for match in _IANA.finditer(value):
        try:
            return FoundZone(ZoneInfo(match[0]), match[0], _without(value, match))
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return None


def resolve_timezone(name: str) -> tzinfo:
    """A zone an admin names in the config: an IANA name, an abbreviation (CET) or an offset (+01:00)."""
    text = name.strip()
    if text.upper() in ABBREVIATIONS:
        return ABBREVIATIONS[text.upper()]
    match = _PREFIXED_OFFSET.fullmatch(text.upper()) or re.fullmatch(
        r"(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?", text
    )
    if match:
        return _offset(match)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name like 'Europe/Berlin', "
            "an abbreviation like 'CET' or an offset like '+01:00'"
        ) from None


def is_stated(value: str | None) -> bool:
    """False for "Not available at this time", "TBD", "N/A", "-": a date without a single digit."""
    return bool(value) and any(ch.isdigit() for ch in value)


def _parse_naive_or_aware(text: str, original: str, formats: Sequence[str]) -> datetime:
    if formats:
        for fmt in formats:
            for candidate in (original, text):  # the format may itself read the zone (%z, %Z)
                try:
                    return datetime.strptime(candidate, fmt)
                except ValueError:
                    continue
        raise ValueError(f"{original!r} matches none of the date formats {list(formats)}")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    with warnings.catch_warnings():
        # dateutil warns about zone names it does not know; those are treated as "no zone stated"
        warnings.simplefilter("ignore")
        for fuzzy in (False, True):
            try:
                parsed = dateutil_parser.parse(text, default=_NO_DATE, fuzzy=fuzzy, ignoretz=True)
            except (ValueError, OverflowError):
                continue
            if parsed.year != _NO_DATE.year:
                return parsed
    raise ValueError(f"{original!r} is not a date and time this parser can read")


def parse_datetime_zone(
    value: str | None, *, formats: Sequence[str] = (), default_tz: tzinfo | None = None
) -> tuple[datetime, str | None] | None:
    """Like parse_datetime, also returning the zone as the email wrote it (None when it states none)."""
    if value is None or not is_stated(value):
        return None
    original = " ".join(value.split()).rstrip(".")
    found = find_timezone(original)
    text = found.rest if found else original
    parsed = _parse_naive_or_aware(text, original, formats)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=found.zone if found else default_tz or UTC)
    return parsed.astimezone(UTC), (found.name if found else None)


def parse_datetime(
    value: str | None, *, formats: Sequence[str] = (), default_tz: tzinfo | None = None
) -> datetime | None:
    """Read a date and time as written in a notice into an aware UTC datetime.

    None when the value does not state one ("Not available at this time": no digit in it). The zone is
    the one the value states, else ``default_tz``, else UTC. With ``formats`` (strptime formats) only
    those are tried; without, ISO 8601 and then dateutil's reading (month before day: 07/20/2026).
    Raises ValueError when the value has digits but is no date.
    """
    result = parse_datetime_zone(value, formats=formats, default_tz=default_tz)
    return result[0] if result else None
