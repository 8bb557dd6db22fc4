"""Finding a notice's fields in an email: by label, by regex, with the generic labels as the fallback.

The generic outage parser is this engine with no patterns; a declarative parser is this engine with
the labels, patterns, date formats and zone its definition gives. Each field comes back as a
FieldResult that says what was found where (or why nothing was), which `explain` shows to the admin.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Literal

from parsers.dateorder import DateContext
from parsers.fields import CIRCUITS_ROLE, LabelledValue, NoticeText, normalize_label, split_ids
from parsers.models import EmailMeta
from parsers.times import FoundZone, read_datetime, stated_zone
from parsers.vocabulary import LABELS, RESTORATION_LABEL_FIELDS

FieldName = Literal["event_id", "status", "start", "end", "estimated_time_to_repair", "summary", "circuits"]
FIELDS: tuple[FieldName, ...] = (
    "event_id",
    "status",
    "start",
    "end",
    "estimated_time_to_repair",
    "summary",
    "circuits",
)
DATE_FIELDS_ORDER = ("start", "estimated_time_to_repair", "end")
DATE_FIELDS = frozenset(DATE_FIELDS_ORDER)

# The labels the generic parser knows: the data table of parsers.vocabulary, most specific first.
GENERIC_LABELS: dict[str, tuple[str, ...]] = LABELS

_ID_PUNCTUATION = " \t,;:.()[]<>\"'"


@dataclass
class FieldResult:
    """One field as found in an email: the value, the text it came from and where, or why not."""

    field: str
    value: Any = None  # str (event_id, status wording, summary), datetime, or list[str] (circuits)
    raw: str | None = None  # the text as found
    source: str | None = None  # "label 'Ticket Number' (text)", "pattern", ...
    zone: str | None = None  # the zone a date stated, as written
    error: str | None = None  # the value was there but could not be read
    rule: str | None = None  # the date rule that read a numeric date (parsers.dateorder)
    warning: str | None = None  # set when a rule chose between two possible dates, or guessed the zone
    zone_rule: str | None = None  # how a date's zone was chosen (parsers.times.choose_zone)
    language: str | None = None  # the language of the label, wording or month names it was read in
    column: str | None = None  # the table column it came from, and that column's role

    def describe(self) -> dict[str, Any]:
        value = self.value.isoformat() if isinstance(self.value, datetime) else self.value
        return {
            "value": value,
            "raw": self.raw,
            "source": self.source,
            "zone": self.zone,
            "date_rule": self.rule if self.field in DATE_FIELDS else None,
            "status_rule": self.rule if self.field == "status" else None,
            "zone_rule": self.zone_rule,
            "language": self.language,
            "column": self.column,
            "warning": self.warning,
            "error": self.error,
        }


@dataclass(frozen=True)
class ExtractionSpec:
    """How to find each field; fields with neither a pattern nor labels use GENERIC_LABELS."""

    labels: Mapping[str, Sequence[str]]
    patterns: Mapping[str, re.Pattern[str]]
    date_formats: Sequence[str] = ()
    default_tz: tzinfo | None = None
    circuit_pattern: re.Pattern[str] | None = None


GENERIC_SPEC = ExtractionSpec(labels={}, patterns={})


def match_value(match: re.Match[str]) -> str:
    """The group named "value", else the first group, else the whole match."""
    if "value" in match.re.groupindex:
        return match["value"] or ""
    return (match[1] if match.re.groups else match[0]) or ""


def _event_id(text: str) -> str | None:
    """The id in a value: the value itself, or its first word with a digit ("TTN-1 (Zayo)" -> "TTN-1")."""
    words = [w.strip(_ID_PUNCTUATION) for w in text.split()]
    words = [w for w in words if w]
    if len(words) == 1:
        return words[0]
    return next((w for w in words if any(c.isdigit() for c in w)), None)


def _labelled(text: NoticeText, spec: ExtractionSpec, name: str) -> tuple[LabelledValue | None, str]:
    """The field's value under its labels, in the news; the ticket id also in what a reply quotes (the
    thread's ticket), every other field only in the news (a quoted status or time is an earlier one's)."""
    labels = spec.labels.get(name)
    quoted = name == "event_id"
    if not labels:
        return text.find(GENERIC_LABELS[name], quoted), f"the generic {name} labels"
    return text.find(labels, quoted), ", ".join(repr(label) for label in labels)


def _circuits(text: NoticeText, spec: ExtractionSpec) -> FieldResult:
    result = FieldResult("circuits")
    found: list[str] = []
    pattern = spec.patterns.get("circuits")
    value, tried = (None, "") if pattern is not None else _circuit_value(text, spec)
    if pattern is not None:
        found = [match_value(m) for m in pattern.finditer(text.news)]
        result.source = f"pattern {pattern.pattern!r}"
    elif value is not None:
        result.source = value.where if value.role else f"label {value.label!r} ({value.where})"
        result.column, result.language = (value.where if value.role else None), value.language
        found = [line for same in text.all_like(value) for line in same.lines]
        if spec.circuit_pattern is not None:  # the pattern picks the ids out of the labelled text
            found = [match_value(m) for m in spec.circuit_pattern.finditer("\n".join(found))]
    elif spec.circuit_pattern is not None:
        found = [match_value(m) for m in spec.circuit_pattern.finditer(text.news)]
        result.source = f"circuit_pattern {spec.circuit_pattern.pattern!r}"
    else:
        result.source = f"no label found (tried {tried})"
    result.raw = "\n".join(found) or None
    result.value = [circuit for circuit in split_ids(found) if is_stated_text(circuit)]
    return result


def _circuit_value(text: NoticeText, spec: ExtractionSpec) -> tuple[LabelledValue | None, str]:
    """The circuits: a table's circuit column (read by its role) before any label, unless a definition
    names its own circuit labels."""
    column = None if spec.labels.get("circuits") else text.find_role(CIRCUITS_ROLE)
    return (column, "") if column is not None else _labelled(text, spec, "circuits")


def email_context(
    text: NoticeText, meta: EmailMeta, date_order: str | None = None, who: str = ""
) -> DateContext:
    """The email's evidence for its dates: the configured date order, the email's own date and Date offset,
    and the zone it states for all its times ("All times are CET")."""
    found = stated_zone(text.text)
    zone = (found.zone, found.name) if found else None
    minutes = meta.date_offset_minutes
    sent_zone = timezone(timedelta(minutes=minutes)) if minutes is not None else None
    return DateContext.of_email(text.text, meta.sender, date_order, who, meta.received, zone, sent_zone)


def _read_date(
    result: FieldResult, spec: ExtractionSpec, hint: FoundZone | None, context: DateContext
) -> None:
    # the zone of a value: its own, else its label's, else the definition's, else the email's statement
    default_tz: tzinfo | None
    if hint is not None:
        default_tz, hint_name, source = hint.zone, hint.name, f"the label's zone ({result.source})"
    elif spec.default_tz is not None:
        default_tz, hint_name, source = spec.default_tz, None, "the definition's timezone"
    else:
        default_tz, hint_name = context.zone, context.zone_name
        source = f"the email states all its times in {context.zone_name}"
    try:
        reading = read_datetime(
            result.raw,
            formats=spec.date_formats,
            default_tz=default_tz,
            zone_hint=hint_name,
            context=context,
            forward=result.field == "estimated_time_to_repair",
            zone_source=source,
        )
    except ValueError as exc:
        result.error = str(exc)
        return
    if reading is not None:
        result.value, result.zone = reading.value, reading.zone or hint_name
        result.rule, result.warning = reading.rule, reading.warning
        result.zone_rule, result.language = reading.zone_rule, reading.language or result.language


_HAS_DATE = re.compile(
    r"\d{4}|\d{1,2}[./-]\d{1,2}[./-]\d{2}|(?<![A-Za-z])[A-Za-z]{3,}\.? \d{1,2}\b|\b\d{1,2}[ -][A-Za-z]{3,}"
)
_HAS_CLOCK = re.compile(r"\d{1,2}[:h]\d{2}|\d\s*[ap]\.?m\b|\d{4}\s*(hrs|z)\b", re.IGNORECASE)


def _date_and_time(text: NoticeText, found: LabelledValue, source: str) -> tuple[str, str]:
    """A date and its time under two labels ("Start Date: 05/03/2026", "Start Time: 14:05 UTC") joined."""
    words = normalize_label(found.label).split()
    pairs = (
        ("time", "date", not _HAS_DATE.search(found.value)),
        ("date", "time", not _HAS_CLOCK.search(found.value)),
    )
    for have, want, missing in pairs:
        if missing and have in words:
            sibling = text.find([" ".join(want if w == have else w for w in words)])
            if sibling is not None and sibling is not found and sibling.value:
                joined = (
                    f"{sibling.value} {found.value}" if want == "date" else f"{found.value} {sibling.value}"
                )
                return joined, f"{source} with label {sibling.label!r}"
    return found.value, source


def extract_field(
    text: NoticeText, spec: ExtractionSpec, name: str, context: DateContext | None = None
) -> FieldResult:
    """Find one field (see FIELDS); dates come back as aware UTC datetimes."""
    if name == "circuits":
        return _circuits(text, spec)
    result = FieldResult(name)
    zone_hint = _find_raw(text, spec, result)
    if result.raw:
        _interpret(result, spec, zone_hint, context, by_pattern=spec.patterns.get(name) is not None)
    return result


def _find_raw(text: NoticeText, spec: ExtractionSpec, result: FieldResult) -> FoundZone | None:
    """Fill in ``result.raw`` and ``result.source`` from the field's pattern, else its labels; returns the
    zone a label's text hinted at."""
    name = result.field
    pattern = spec.patterns.get(name)
    if pattern is not None:
        match = pattern.search(text.news if name != "event_id" else text.text)
        result.source = f"pattern {pattern.pattern!r}"
        if match is None:
            result.source += " (no match)"
        else:
            result.raw = " ".join(match_value(match).split())
        return None
    value, tried = _labelled(text, spec, name)
    if value is None:
        result.source = f"no label found (tried {tried})"
        return None
    result.source = f"label {value.label!r} ({value.where})"
    result.language = value.language
    result.raw = value.value if name != "summary" else value.full_text
    if name in DATE_FIELDS:
        result.raw, result.source = _date_and_time(text, value, result.source)
    return value.zone_hint


def _interpret(
    result: FieldResult,
    spec: ExtractionSpec,
    zone_hint: FoundZone | None,
    context: DateContext | None,
    by_pattern: bool,
) -> None:
    """``result.value`` from ``result.raw``: a date read in its zone, an id, or text actually stated."""
    name, raw = result.field, result.raw or ""
    if name in DATE_FIELDS:
        _read_date(result, spec, zone_hint, context or DateContext())
    elif name == "event_id":
        if is_stated_text(raw):
            result.value = raw.strip(_ID_PUNCTUATION) if by_pattern else _event_id(raw)
        if not result.value:
            result.error = f"no id in {result.raw!r}"
    elif name == "summary" or is_stated_text(raw):
        result.value = result.raw


def is_stated_text(value: str) -> bool:
    """False for placeholders like "N/A", "TBD", "-", "Not available at this time"."""
    folded = value.strip().casefold().strip(".")
    placeholders = ("n/a", "na", "tbd", "tba", "-", "--", "none", "unknown", "pending")
    return (
        bool(folded)
        and folded not in placeholders
        and "not available" not in folded
        and ("to be determined" not in folded)
    )


def extract(
    text: NoticeText, spec: ExtractionSpec, context: DateContext | None = None
) -> dict[str, FieldResult]:
    """Every field of FIELDS, keyed by name. ``context`` is the email's evidence for ambiguous dates."""
    return {name: extract_field(text, spec, name, context) for name in FIELDS}


def restoration_is_end(fields: dict[str, FieldResult], status: str | None) -> None:
    """On a RESOLVED notice that states no end, a time labelled like a restoration time ("Estimated time
    to restore") says when service came back: it becomes the end, and the notice states no estimate."""
    if status != "RESOLVED" or fields["end"].value is not None:
        return
    for name in RESTORATION_LABEL_FIELDS:
        found = fields[name]
        if found.value is None:
            continue
        fields["end"] = replace(found, field="end", source=f"{found.source}, on a resolved notice: the end")
        fields[name] = FieldResult(name, source=f"read as the end ({found.source})")
        return


def date_warnings(fields: dict[str, FieldResult]) -> list[str]:
    """The warnings of the date fields, each naming its field, for the notice and the log."""
    return [f"{name}: {fields[name].warning}" for name in DATE_FIELDS_ORDER if fields[name].warning]
