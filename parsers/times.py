"""Dates and time zones as providers write them in notices, read into aware UTC datetimes.

Shared by the generic outage parser and the declarative parsers. A value either states its zone
("2026-03-02 14:05 UTC", "07/20/2026 09:02 AM EDT", "... +0200", "UTC+2", "(GMT)", "Europe/Berlin",
"2:20 PM Central", "14:15 Uhr MEZ") or takes the caller's default (its label's zone, the definition's, the
one the email states for all its times). With neither, it is read in the offset of the email's own Date
header — the sender's clock — and the reading says so in a warning; never silently in UTC. Named regions
("Central", "Eastern Time") follow their daylight saving rules for the date; an abbreviation several
countries use ("IST") is read by the sender's country domain (parsers.vocabulary.ZONE_BY_COUNTRY).
Month and weekday names and the words around a time in German, French, Spanish, Italian, Dutch and
Portuguese are read through parsers.vocabulary's tables ("4. November 2026, 14:15 Uhr", "4 de noviembre").
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

from parsers.dateorder import NUMERIC_DATE, DateContext, Decision, decide, to_iso
from parsers.labels import alternation
from parsers.vocabulary import (
    DATE_FILLERS,
    DATE_FILLERS_BEFORE_DIGIT,
    MONTH_NAMES,
    WEEKDAY_NAMES,
    ZONE_BY_COUNTRY,
    ZONE_NAMES,
    ZONE_OFFSETS,
    ZONE_REGIONS,
)


def _fixed(hours: float, name: str) -> timezone:
    return timezone(timedelta(hours=hours), name)


# The zone table is data (parsers.vocabulary): each abbreviation one fixed offset, the bare US zone
# letters (ET, CT...) their region's rules.
ABBREVIATIONS: dict[str, tzinfo] = {
    **{name: UTC if hours == 0 and name in ("UTC", "UT", "GMT", "Z") else _fixed(hours, name)
       for name, hours in ZONE_OFFSETS.items()},
    **{name: ZoneInfo(region) for name, region in ZONE_REGIONS.items()},
}  # fmt: skip

# "UTC+2", "GMT -05:00", "UTC+05:30" (prefix, hours with optional minutes) or a bare "+0200"/"-05:00"
# after a space (4 digits, so the "-03" of "2026-03-02" is never taken for an offset).
_PREFIXED_OFFSET = re.compile(r"\b(?:UTC|GMT)\s*(?P<sign>[+-])\s*(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?\b")
_BARE_OFFSET = re.compile(r"(?<=\s)(?P<sign>[+-])(?P<h>\d{2}):?(?P<m>\d{2})\b")
_ABBREVIATION = re.compile(
    r"\b(" + "|".join(sorted((a for a in ABBREVIATIONS if a != "Z"), key=len, reverse=True)) + r")\b"
)
_ZONE_NAME = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, ZONE_NAMES), key=len, reverse=True)) + r")(?:\s+time)?\b",
    re.IGNORECASE,
)
_ZONE_NAME_KEYS = {name.casefold(): abbreviation for name, abbreviation in ZONE_NAMES.items()}
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
    match = _ZONE_NAME.search(value)
    if match:
        abbreviation = _ZONE_NAME_KEYS[match[1].casefold()]
        return FoundZone(ABBREVIATIONS[abbreviation], abbreviation, _without(value, match))
    match = _ZULU.search(value)
    if match:
        return FoundZone(UTC, "Z", _without(value, match))
    for match in _IANA.finditer(value):
        try:
            return FoundZone(ZoneInfo(match[0]), match[0], _without(value, match))
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return None


_TIMES_STATED = re.compile(
    r"\b(?:all\s+)?(?:dates\s+(?:and|&)\s+)?times?\s+(?:(?:are|is|shown|given|quoted|listed|stated|displayed)\s+)*"
    r"(?:in|as)\s+(?P<zone>[^.\n;,)]{1,40})|\ball\s+(?:dates\s+(?:and|&)\s+)?times\s*[:(]?\s*(?P<other>[^.\n;,)]{1,40})",
    re.IGNORECASE,
)


def stated_zone(text: str) -> FoundZone | None:
    """The zone an email states for all its times: "All times are CET", "Times shown in UTC"."""
    for match in _TIMES_STATED.finditer(text):
        found = find_timezone(match["zone"] or match["other"] or "")
        if found is not None:
            return found
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


_PLACEHOLDER = re.compile(
    r"\s*(?:tbd|tba|tbc|n/?a|unknown|pending|not (?:yet )?(?:available|known|determined|estimated)|"
    r"to be (?:determined|advised|confirmed)|under investigation)\b",
    re.IGNORECASE,
)


def is_stated(value: str | None) -> bool:
    """False for "Not available at this time", "TBD", "N/A", "-": a date without a single digit, or a
    placeholder followed by something else ("TBD - next update at 16:00 UTC")."""
    if not value:
        return False
    return any(ch.isdigit() for ch in value) and not _PLACEHOLDER.match(value)


def _parse_naive_or_aware(
    text: str, original: str, formats: Sequence[str], time_only: bool = False
) -> datetime:
    """The date and time of ``text``; with ``time_only``, a bare clock time ("18:00") comes back on
    the year-1 placeholder date for the caller to place."""
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
            if parsed.year != _NO_DATE.year or (time_only and _CLOCK_TIME.search(text)):  # placed later
                return parsed
    raise ValueError(f"{original!r} is not a date and time this parser can read")


class DateReading(NamedTuple):
    """A date as read: the UTC value, the zone as written, the rule that read a numeric date, and a
    warning when that rule had to choose between two possible dates (parsers.dateorder)."""

    value: datetime
    zone: str | None
    rule: str | None = None
    warning: str | None = None
    zone_rule: str | None = None  # how the zone was chosen (stated, the label's, the email's Date offset...)
    language: str | None = None  # the language of the month or weekday names read, when not English


_MERIDIEM = re.compile(r"\b([ap])\.\s?m\.?(?=\W|$)", re.IGNORECASE)
# "1415Z", "1415 hrs", "14:15hrs", "14h15": clock notations dateutil does not read.
_CLOCK = re.compile(r"\b([01]\d|2[0-3]):?h?([0-5]\d)\s*(Z|hrs?\b|h\b)(?!\w)", re.IGNORECASE)


_CLOCK_TIME = re.compile(r"\d{1,2}:\d{2}|\d\s*[AP]M\b", re.IGNORECASE)
_PARENTHESIS = re.compile(r"(?<!\s)\s*[(\[]([^()\[\]]*)[)\]]")  # (?<!\s): linear on long blank runs


def _tidy(value: str) -> str:
    text = _MERIDIEM.sub(lambda m: f"{m[1].upper()}M", " ".join(value.split()).rstrip("."))
    return _first_reading(_CLOCK.sub(lambda m: f"{m[1]}:{m[2]}{'Z' if m[3] in 'Zz' else ''}", text))


def _first_reading(text: str) -> str:
    """The first of two renderings of one time: "14:05 EST (19:05 UTC)", "14:05 CET / 13:05 UTC"."""
    if not _CLOCK_TIME.search(text):
        return text

    def drop(match: re.Match[str]) -> str:
        found = find_timezone(match[1])  # "(UTC+01:00)" is a zone, not a second time
        return "" if _CLOCK_TIME.search(found.rest if found else match[1]) else match[0]

    text = _PARENTHESIS.sub(drop, text)
    head, separator, tail = text.partition(" / ")
    return head if separator and _CLOCK_TIME.search(head) and _CLOCK_TIME.search(tail) else text


def _on_the_email_date(parsed: datetime, zone: tzinfo, sent: datetime, forward: bool) -> datetime:
    """A time without a date ("ETR: 18:00 UTC") on the day the email was sent, in the value's zone: the
    next such time after it for an estimate (``forward``), the last one before it for a start or end."""
    local = sent.astimezone(zone)
    candidate = datetime.combine(local.date(), parsed.time(), zone)
    if forward and candidate < sent - timedelta(hours=1):
        candidate += timedelta(days=1)
    elif not forward and candidate > sent + timedelta(hours=1):
        candidate -= timedelta(days=1)
    return candidate


def _in_the_emails_year(parsed: datetime, zone: tzinfo, sent: datetime) -> datetime:
    """A date without a year ("Mar 5 14:05 UTC") in the year that puts it nearest the email's date."""
    candidates = [parsed.replace(year=sent.year + delta, tzinfo=zone) for delta in (-1, 0, 1)]
    return min(candidates, key=lambda candidate: abs(candidate - sent))


def _states_month_and_day(text: str) -> bool:
    """Whether a value read on the year-1 placeholder states its month and day: read with two different
    placeholders, a stated month and day come out the same."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            one = dateutil_parser.parse(text, default=_NO_DATE, fuzzy=True, ignoretz=True)
            two = dateutil_parser.parse(text, default=datetime(4, 2, 2), fuzzy=True, ignoretz=True)
        except (ValueError, OverflowError):
            return False
    return (one.month, one.day) == (two.month, two.day)


_DURATION = re.compile(
    r"^(?:approx\.?|approximately|about|around|within|in|up to|~)?\s*(?:\d+(?:\.\d+)?\s*(?:-|to)\s*)?"
    r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>hours?|hrs?|h|minutes?|mins?)\b",
    re.IGNORECASE,
)


def _duration_from_the_email(value: str, sent: datetime) -> DateReading | None:
    """An estimate written as a duration ("ETR: 4 hours", "2-4 hrs"): the email's date plus the longest
    duration it names."""
    match = _DURATION.match(value.strip())
    if match is None:
        return None
    hours = float(match["n"]) / (60 if match["unit"].lower().startswith("m") else 1)
    rule = "a duration: counted from the email's date"
    return DateReading(
        (sent + timedelta(hours=hours)).astimezone(UTC), None, rule, f"{value.strip()!r}: {rule}"
    )


_ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_WORDS: dict[str, tuple[str, str]] = {
    name: (_ENGLISH_MONTHS[number], language)
    for language, months in MONTH_NAMES.items()
    for number, names in enumerate(months)
    for name in names
}
_WEEKDAY_WORDS: dict[str, str] = {name: language for language, days in WEEKDAY_NAMES.items() for name in days}


_MONTH_WORD = re.compile(rf"(?<!\w)({alternation(_MONTH_WORDS)})\.?(?!\w)", re.IGNORECASE)
_WEEKDAY_WORD = re.compile(rf"(?<!\w)({alternation(_WEEKDAY_WORDS)})\.?,?(?!\w)", re.IGNORECASE)
_FILLER = re.compile(
    rf"(?<!\w)(?:{alternation(DATE_FILLERS)})(?!\w)|(?<!\w)(?:{alternation(DATE_FILLERS_BEFORE_DIGIT)})\s+(?=\d)",
    re.IGNORECASE,
)
_DOTTED_CLOCK = re.compile(r"\b([01]?\d|2[0-3])\.([0-5]\d)\s*(?=uhr\b|uur\b|h\b)", re.IGNORECASE)
_DAY_DOT = re.compile(r"\b(\d{1,2})\.(?=\s+[^\W\d_])")


def in_english(value: str) -> tuple[str, str | None]:
    """A date value with its other-language words made readable for dateutil: month names as the English
    abbreviation, weekday names and filler words ("um", "Uhr", "à", "de", "ore", "uur", "às", "hs") dropped,
    "14.15 Uhr" as 14:15 and "4. November" as "4 November". Returns the text and the language whose month
    or weekday names it used (None: none)."""
    languages: list[str] = []

    def month(match: re.Match[str]) -> str:
        english, language = _MONTH_WORDS[match[1].casefold()]
        languages.append(language)
        return f" {english} "

    def weekday(match: re.Match[str]) -> str:
        languages.append(_WEEKDAY_WORDS[match[1].casefold()])
        return " "

    text = _DAY_DOT.sub(r"\1", _DOTTED_CLOCK.sub(r"\1:\2 ", value))
    text = _FILLER.sub(" ", _MONTH_WORD.sub(month, _WEEKDAY_WORD.sub(weekday, text)))
    return " ".join(text.split()).strip(" ,"), (languages[0] if languages else None)


class ZoneChoice(NamedTuple):
    """The zone a value is read in, its name as written, the rule that chose it and, when the rule had to
    guess, the warning that goes into the notice and the log."""

    zone: tzinfo
    name: str | None
    rule: str
    warning: str | None = None


def _offset_text(zone: tzinfo) -> str:
    offset = datetime(2000, 1, 1, tzinfo=zone).utcoffset() or timedelta()
    minutes = int(offset.total_seconds() // 60)
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _by_country(zone: tzinfo, name: str | None, rule: str, country: str | None) -> ZoneChoice:
    """``zone`` as named, unless the name means different zones in different countries ("IST"): then the
    sender's country domain decides, or the table's first country with a warning."""
    countries = ZONE_BY_COUNTRY.get((name or "").upper())
    if not countries or not name:  # a table row has a name
        region = f" ({zone.key}, daylight saving for the date)" if isinstance(zone, ZoneInfo) else ""
        return ZoneChoice(zone, name, f"{rule}: {name}{region}")
    if country in countries:
        hours, long_name = countries[country]
        chosen = f"{rule}: {name} from a .{country} sender is {long_name}"
        return ZoneChoice(_fixed(hours, name), name, chosen)
    first, (hours, long_name) = next(iter(countries.items()))
    offset = _offset_text(_fixed(hours, name))
    guess = f"{name} read as {long_name} ({offset}): the sender's domain names no country that says otherwise"
    return ZoneChoice(_fixed(hours, name), name, f"{rule}: {guess} (.{first})", guess)


_UNKNOWN_ZONE = re.compile(r"\b([A-Z]{2,5})\)?\s*$")


def choose_zone(
    found: FoundZone | None,
    default_tz: tzinfo | None,
    zone_hint: str | None,
    context: DateContext,
    source: str = "the zone the label or the email states",
) -> ZoneChoice:
    """The zone of a value: its own, else the caller's default (``source`` says whose), else the offset of
    the email's own Date header, else UTC — the last two with a warning, since the email did not say."""
    if found is not None:
        return _by_country(found.zone, found.name, "stated with the value", context.country_code)
    if default_tz is not None:
        return _by_country(default_tz, zone_hint, source, context.country_code)
    if context.sent_zone is not None:
        rule = f"no zone stated: read in the email's own Date offset {_offset_text(context.sent_zone)}"
        return ZoneChoice(context.sent_zone, None, rule, rule)
    rule = "no zone stated, and the email's Date states no offset: read as UTC"
    return ZoneChoice(UTC, None, rule, rule)


def _numeric_date(text: str, zone_name: str | None, context: DateContext) -> tuple[str, Decision | None]:
    """The text with its numeric date as yyyy-mm-dd, and the decision that read it (None: no such date)."""
    match = NUMERIC_DATE.search(text)
    if match is None:
        return text, None
    decision = decide(match, zone_name, context)
    return text[: match.start()] + to_iso(match, decision.order) + text[match.end() :], decision


def read_datetime(
    value: str | None,
    *,
    formats: Sequence[str] = (),
    default_tz: tzinfo | None = None,
    zone_hint: str | None = None,
    context: DateContext | None = None,
    forward: bool = False,
    zone_source: str = "the zone the label or the email states",
) -> DateReading | None:
    """Read a date as written in a notice; None when it states none. ``zone_hint`` is the name of the
    zone the label gives (it counts as evidence for the date order), ``context`` the email's evidence.
    A time without a date is placed on the email's date (``context.sent``): after it when ``forward``
    (an estimate), before it otherwise. Raises ValueError when the value has digits but is no date."""
    if value is None or not is_stated(value):
        return None
    context = context or DateContext()
    if forward and context.sent is not None:
        duration = _duration_from_the_email(value, context.sent)
        if duration is not None:
            return duration
    original, language = in_english(_tidy(value))
    found = find_timezone(original)
    text = found.rest if found else original
    decision = None
    if not formats:
        text, decision = _numeric_date(text, found.name if found else zone_hint, context)
    parsed = _parse_naive_or_aware(text, original, formats, time_only=context.sent is not None)
    if parsed.tzinfo is not None:
        choice = ZoneChoice(parsed.tzinfo, None, "an offset in the value")
    else:
        choice = choose_zone(found, default_tz, zone_hint, context, zone_source)
        choice = _named_unknown(choice, text)
    rule, ambiguous = (decision.rule, decision.ambiguous) if decision else (None, False)
    if parsed.year == _NO_DATE.year and context.sent is not None:
        parsed, rule = _placed(parsed.replace(tzinfo=None), text, choice.zone, context.sent, forward)
        ambiguous = True
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=choice.zone)
    notes = [f"{value.strip()!r} read as {parsed.date().isoformat()}: {rule}"] if ambiguous else []
    notes += [f"{value.strip()!r}: {choice.warning}"] if choice.warning else []
    return DateReading(
        parsed.astimezone(UTC), found.name if found else None, rule, "; ".join(notes) or None,
        choice.rule, language,
    )  # fmt: skip


def _named_unknown(choice: ZoneChoice, text: str) -> ZoneChoice:
    """A guessed zone's warning names the word the value ends in when it looks like a zone no table knows
    ("14:05 WIT"): the admin can add it to parsers.vocabulary."""
    match = _UNKNOWN_ZONE.search(text) if choice.warning else None
    if match is None or match[1] in ("AM", "PM"):
        return choice
    warning = f"{choice.warning} (the zone {match[1]!r} is not one this parser knows)"
    return choice._replace(warning=warning)


def _placed(naive: datetime, text: str, zone: tzinfo, sent: datetime, forward: bool) -> tuple[datetime, str]:
    """A value without a year, or without a date, placed by the email's own date."""
    if _states_month_and_day(text):
        return _in_the_emails_year(naive, zone, sent), "no year: the email's year"
    return _on_the_email_date(naive, zone, sent, forward), "no date: the email's date"


def parse_datetime_zone(
    value: str | None, *, formats: Sequence[str] = (), default_tz: tzinfo | None = None
) -> tuple[datetime, str | None] | None:
    """Like parse_datetime, also returning the zone as the email wrote it (None when it states none)."""
    reading = read_datetime(value, formats=formats, default_tz=default_tz)
    return (reading.value, reading.zone) if reading else None


def parse_datetime(
    value: str | None, *, formats: Sequence[str] = (), default_tz: tzinfo | None = None
) -> datetime | None:
    """Read a date and time as written in a notice into an aware UTC datetime.

    None when the value does not state one ("Not available at this time": no digit in it). The zone is
    the one the value states, else ``default_tz``, else UTC. With ``formats`` (strptime formats) only
    those are tried; without, a numeric date is read by parsers.dateorder's rule (dotted day first,
    a part over 12 is the day, else the evidence), the rest by ISO 8601 and then dateutil.
    Raises ValueError when the value has digits but is no date.
    """
    result = parse_datetime_zone(value, formats=formats, default_tz=default_tz)
    return result[0] if result else None
