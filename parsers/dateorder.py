"""Which of two numbers in a numeric date is the day: "05.03.2026", "05/03/2026", "3/25/2026".

The rule, in order (the first that applies decides, and says so):

1. a dotted date is day first (05.03.2026 is 5 March) — nobody writes month.day.year;
2. a part over 12 can only be the day (25/03/2026, 03/25/2026);
3. both parts equal: nothing to decide;
4. the provider's ``date_order`` in the config ("DMY" or "MDY"), or a declarative definition's;
5. the format the email states ("... GMT (dd/mm/yyyy)");
6. the email's own date: a notice speaks of days around the day it is sent, so when exactly one
   reading lies within 14 days of the email's Date that one is meant (the two readings of an
   ambiguous date are at least four weeks apart);
7. the zone named with the value or in its label: US zones month first, the other named zones of
   parsers.vocabulary.ZONE_DATE_ORDER day first;
8. the other slashed dates of the same email, when one of them has a part over 12;
9. the zones named elsewhere in the email, when they all point the same way;
10. the sender's country domain (.de, .co.uk day first; .us month first);
11. a date written in UTC/GMT is day first: most carriers that write slashed dates in UTC/GMT are
    European or Asian (Colt, PCCW), US carriers mostly name their own zone (EST, CDT...); not all
    (Sparkle writes month first in UTC), which is why rule 6 comes first;
12. else month first (the US convention, which dateutil also assumes), as a last resort.

Rules 4-12 decide an ambiguous date: the reading carries a warning naming the rule, which the parsers
put in the notice and the log — an ambiguous date is never read silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from parsers.vocabulary import COUNTRY_DATE_ORDER, DAY_FIRST, MONTH_FIRST, ZONE_DATE_ORDER

# day/month or month/day, then the year; not inside a longer run of digits, dots or slashes (IPs, ids).
NUMERIC_DATE = re.compile(
    r"(?<![\w./-])(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?![\w/-]|\.\d)"
)
NEAR_DAYS = 14
_WORDS = {DAY_FIRST: "day first", MONTH_FIRST: "month first"}
_FORMAT = re.compile(r"\b(dd|mm)[/.-](?:mm|dd)[/.-]y{2,4}\b", re.IGNORECASE)
_UNIVERSAL = frozenset({"UTC", "GMT", "UT", "Z"})
_ZONE_WORD = re.compile(r"\b(" + "|".join(sorted(ZONE_DATE_ORDER, key=len, reverse=True)) + r")\b")


@dataclass(frozen=True)
class Evidence:
    """What decides an ambiguous date: an order and the reason, as it goes into the warning."""

    order: str
    reason: str


@dataclass(frozen=True)
class DateContext:
    """The email-wide evidence for ambiguous dates (rules 4, 6, 7 and 8); empty when nothing is known."""

    configured: Evidence | None = None
    stated_format: Evidence | None = None
    other_dates: Evidence | None = None
    zones: Evidence | None = None
    country: Evidence | None = None
    sent: datetime | None = None  # the email's date, for a time written without a date
    zone: tzinfo | None = None  # the zone the email states for all its times ("All times are CET")
    zone_name: str | None = None
    sent_zone: tzinfo | None = None  # the offset of the email's Date header, for a time stating no zone
    country_code: str | None = None  # the sender's country domain ("ie"), for "IST" and its kind

    @classmethod
    def of_email(
        cls,
        text: str,
        sender: str,
        date_order: str | None = None,
        who: str = "",
        sent: datetime | None = None,
        zone: tuple[tzinfo, str] | None = None,
        sent_zone: tzinfo | None = None,
    ) -> DateContext:
        return cls(
            sent=sent,
            sent_zone=sent_zone,
            country_code=country_code(sender),
            zone=zone[0] if zone else None,
            zone_name=zone[1] if zone else None,
            configured=Evidence(date_order, f"the date_order configured for {who or 'this provider'}")
            if date_order
            else None,
            stated_format=_stated_format(text),
            other_dates=_other_dates(text),
            zones=_zones_named(text),
            country=_country(sender),
        )


@dataclass(frozen=True)
class Decision:
    order: str
    rule: str
    ambiguous: bool  # True when a rule had to choose between two possible dates


def _other_dates(text: str) -> Evidence | None:
    for match in NUMERIC_DATE.finditer(text):
        if match["sep"] == ".":
            continue
        a, b = int(match["a"]), int(match["b"])
        if a > 12 >= b:
            return Evidence(DAY_FIRST, f"another date in this email, {match[0]}, is day first")
        if b > 12 >= a:
            return Evidence(MONTH_FIRST, f"another date in this email, {match[0]}, is month first")
    return None


def _stated_format(text: str) -> Evidence | None:
    match = _FORMAT.search(text)
    if match is None:
        return None
    order = DAY_FIRST if match[1].lower() == "dd" else MONTH_FIRST
    return Evidence(order, f"the email states the format {match[0]}")


def _zones_named(text: str) -> Evidence | None:
    named = {m[1] for m in _ZONE_WORD.finditer(text)}
    orders = {ZONE_DATE_ORDER[name] for name in named}
    if len(orders) != 1:
        return None
    order = orders.pop()
    return Evidence(order, f"the zones this email names ({', '.join(sorted(named))}) write {_WORDS[order]}")


def country_code(sender: str) -> str | None:
    """The sender's top-level domain ("ie" for noc@emeraldtransit.ie); None without a sender domain."""
    domain = sender.rpartition("@")[2].rstrip(".")
    return domain.rpartition(".")[2].lower() if "." in domain else None


def _country(sender: str) -> Evidence | None:
    tld = country_code(sender) or ""
    order = COUNTRY_DATE_ORDER.get(tld)
    return Evidence(order, f"the sender's country domain .{tld} writes {_WORDS[order]}") if order else None


def _near_the_email(match: re.Match[str], sent: datetime | None) -> Evidence | None:
    if sent is None:
        return None
    near = [
        order
        for order in (DAY_FIRST, MONTH_FIRST)
        if abs((date.fromisoformat(to_iso(match, order)) - sent.date()).days) <= NEAR_DAYS
    ]
    if len(near) != 1:
        return None
    return Evidence(near[0], f"only read {_WORDS[near[0]]} is it within {NEAR_DAYS} days of the email's date")


def zone_evidence(zone_name: str | None) -> Evidence | None:
    order = ZONE_DATE_ORDER.get((zone_name or "").upper())
    return Evidence(order, f"zone {zone_name} writes {_WORDS[order]}") if order else None


def decide(match: re.Match[str], zone_name: str | None, context: DateContext) -> Decision:
    """The order of one numeric date (see the module's rule list)."""
    a, b = int(match["a"]), int(match["b"])
    if match["sep"] == ".":
        return Decision(DAY_FIRST, "a dotted date is day first", False)
    if a > 12 or b > 12:
        order = DAY_FIRST if a > 12 else MONTH_FIRST
        return Decision(order, f"{max(a, b)} can only be the day", False)
    if a == b:
        return Decision(DAY_FIRST, "day and month are the same", False)
    for evidence in (
        context.configured,
        context.stated_format,
        _near_the_email(match, context.sent),
        zone_evidence(zone_name),
        context.other_dates,
        context.zones,
        context.country,
    ):
        if evidence is not None:
            return Decision(evidence.order, evidence.reason, True)
    if (zone_name or "").upper() in _UNIVERSAL:
        reason = f"written in {zone_name}: day first, as carriers outside the US write"
        return Decision(DAY_FIRST, reason, True)
    return Decision(MONTH_FIRST, "no evidence in the email: month first, the US convention", True)


def to_iso(match: re.Match[str], order: str) -> str:
    """The date of ``match`` as yyyy-mm-dd in the given order."""
    a, b, year = int(match["a"]), int(match["b"]), int(match["y"])
    day, month = (a, b) if order == DAY_FIRST else (b, a)
    if year < 100:
        year += 2000
    return f"{year:04d}-{month:02d}-{day:02d}"
