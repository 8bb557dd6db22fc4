"""Finding a notice's fields in an email: by label, by regex, with the generic labels as the fallback.

The generic outage parser is this engine with no patterns; a declarative parser is this engine with
the labels, patterns, date formats and zone its definition gives. Each field comes back as a
FieldResult that says what was found where (or why nothing was), which `explain` shows to the admin.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Literal

from parsers.fields import LabelledValue, NoticeText, split_ids
from parsers.times import FoundZone, parse_datetime_zone

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
DATE_FIELDS = frozenset({"start", "end", "estimated_time_to_repair"})

# The labels the generic parser knows, most specific first. They are compared normalised (case,
# punctuation and plurals do not matter: "Circuit ID(s)" covers "circuit ids" and "CIRCUIT ID").
GENERIC_LABELS: dict[str, tuple[str, ...]] = {
    "event_id": (
        "Trouble Ticket", "Trouble Ticket Number", "Trouble Ticket ID", "Ticket Number", "Ticket No",
        "Ticket ID", "Ticket Reference", "Ticket", "TT", "TT Number", "Case ID", "Case Number", "Case No",
        "Case", "Incident ID", "Incident Number", "Incident No", "Incident Reference", "Incident Ticket",
        "Outage ID", "Event ID", "Reference Number", "Reference", "Ref",
    ),
    "status": (
        "Current Status", "Incident Status", "Ticket Status", "Case Status", "Outage Status", "Status",
    ),
    "start": (
        "Incident Start", "Incident Start Time", "Outage Start", "Outage Start Time", "Disturbance Start",
        "Event Start", "Event Start Time", "Fault Start", "Start of Outage", "Start of Incident",
        "Start Time", "Start Date", "Start Date Time", "Start",
    ),
    "end": (
        "Incident End", "Incident End Time", "Outage End", "Outage End Time", "Disturbance End",
        "Event End", "Event End Time", "Fault End", "End of Outage", "End of Incident", "End Time",
        "End Date", "End Date Time", "End", "Service Restored", "Service Restored At", "Restored",
        "Restored At", "Restoration Time", "Time Restored", "Resolved At", "Resolution Time",
        "Cleared At", "Clear Time",
    ),
    "estimated_time_to_repair": (
        "Estimated Time to Restore", "Estimated Time to Repair", "Estimated Time to Restoration",
        "Estimated Time of Restoration", "Estimated Time of Repair", "Estimated Restoration",
        "Estimated Restoration Time", "Estimated Repair Time", "Estimated Resolution", "ETR", "ETTR",
    ),
    "summary": (
        "Description", "Summary", "Incident Description", "Outage Description", "Cause", "Root Cause",
        "Reason for Outage", "Reason", "Details",
    ),
    "circuits": (
        "Circuit/Service IDs", "Circuit IDs", "Circuits", "Circuit", "Service IDs", "Affected Services",
        "Affected Circuits", "Affected Circuit IDs", "Affected Service IDs",
        "Impacted Circuits", "Impacted Services", "Impacted Circuit IDs", "Affected Order IDs",
        "Order IDs", "Affected Customer Circuits", "Customer Circuits",
    ),
}  # fmt: skip

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

    def describe(self) -> dict[str, Any]:
        value = self.value.isoformat() if isinstance(self.value, datetime) else self.value
        return {
            "value": value,
            "raw": self.raw,
            "source": self.source,
            "zone": self.zone,
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
    labels = spec.labels.get(name)
    if not labels:
        return text.find(GENERIC_LABELS[name]), f"the generic {name} labels"
    return text.find(labels), ", ".join(repr(label) for label in labels)


def _circuits(text: NoticeText, spec: ExtractionSpec) -> FieldResult:
    result = FieldResult("circuits")
    found: list[str] = []
    pattern = spec.patterns.get("circuits")
    value, tried = (None, "") if pattern is not None else _labelled(text, spec, "circuits")
    if pattern is not None:
        found = [match_value(m) for m in pattern.finditer(text.text)]
        result.source = f"pattern {pattern.pattern!r}"
    elif value is not None:
        result.source = f"label {value.label!r} ({value.where})"
        found = value.lines
        if spec.circuit_pattern is not None:  # the pattern picks the ids out of the labelled text
            found = [match_value(m) for m in spec.circuit_pattern.finditer("\n".join(found))]
    elif spec.circuit_pattern is not None:
        found = [match_value(m) for m in spec.circuit_pattern.finditer(text.text)]
        result.source = f"circuit_pattern {spec.circuit_pattern.pattern!r}"
    else:
        result.source = f"no label found (tried {tried})"
    result.raw = "\n".join(found) or None
    result.value = [circuit for circuit in split_ids(found) if is_stated_text(circuit)]
    return result


def extract_field(text: NoticeText, spec: ExtractionSpec, name: str) -> FieldResult:
    """Find one field (see FIELDS); dates come back as aware UTC datetimes."""
    if name == "circuits":
        return _circuits(text, spec)
    result = FieldResult(name)
    zone_hint: FoundZone | None = None
    pattern = spec.patterns.get(name)
    if pattern is not None:
        match = pattern.search(text.text)
        result.source = f"pattern {pattern.pattern!r}"
        if match is None:
            result.source += " (no match)"
            return result
        result.raw = " ".join(match_value(match).split())
    else:
        value, tried = _labelled(text, spec, name)
        if value is None:
            result.source = f"no label found (tried {tried})"
            return result
        result.source = f"label {value.label!r} ({value.where})"
        result.raw = value.value if name != "summary" else value.full_text
        zone_hint = value.zone_hint
    if not result.raw:
        return result
    if name in DATE_FIELDS:
        default_tz = zone_hint.zone if zone_hint else spec.default_tz
        try:
            parsed = parse_datetime_zone(result.raw, formats=spec.date_formats, default_tz=default_tz)
        except ValueError as exc:
            result.error = str(exc)
            return result
        if parsed is not None:
            result.value, result.zone = parsed[0], parsed[1] or (zone_hint.name if zone_hint else None)
    elif name == "event_id":
        if is_stated_text(result.raw):
            result.value = _event_id(result.raw) if pattern is None else result.raw.strip(_ID_PUNCTUATION)
        if not result.value:
            result.error = f"no id in {result.raw!r}"
    elif name == "summary" or is_stated_text(result.raw):
        result.value = result.raw
    return result


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


def extract(text: NoticeText, spec: ExtractionSpec) -> dict[str, FieldResult]:
    """Every field of FIELDS, keyed by name."""
    return {name: extract_field(text, spec, name) for name in FIELDS}
