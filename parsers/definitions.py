"""Declarative parser definitions: the ``[[parsers]]`` tables an admin writes in the config file.

Validated at start-up like the rest of the config; every check names its key, so a mistake reads as
``parsers.0.patterns.start: Value error, not a valid regular expression: ...``.
"""

from __future__ import annotations

import re
from datetime import tzinfo
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from parsers.extract import ExtractionSpec, FieldName
from parsers.senders import clean_senders, sender_in
from parsers.statuses import ALLOWED_STATUSES, check_status_map
from parsers.times import resolve_timezone

ImpactLevel = Literal["NO-IMPACT", "REDUCED-REDUNDANCY", "DEGRADED", "OUTAGE"]  # as parsers.models
# Day/month/year or month/day/year, for a provider's ambiguous slashed dates (parsers.dateorder).
DateOrder = Literal["DMY", "MDY"]


def _compile(value: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(value, flags)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None


def _field_pattern(value: object) -> object:
    if not isinstance(value, str):
        return value
    pattern = _compile(value, re.MULTILINE)
    if "value" not in pattern.groupindex and pattern.groups != 1:
        raise ValueError(
            f"{value!r} needs exactly one capture group, or a group named 'value' (?P<value>...), "
            f"to say which part is the value (it has {pattern.groups})"
        )
    return pattern


# Validated per item, so an error's loc names the field: parsers.0.patterns.start
FieldPattern = Annotated[re.Pattern[str], BeforeValidator(_field_pattern)]


def _kinds(info: ValidationInfo) -> list[str]:
    # kind is validated before the fields below; when it was wrong, check against both kinds' statuses
    kind = info.data.get("kind")
    return [kind] if kind else ["maintenance", "outage"]


class ParserDefinition(BaseModel):
    """One provider format, read without Python.

    Matching: ``senders`` (addresses, or domains that also cover their subdomains, any case) and/or
    ``subject`` (a regex searched in the subject, ignoring case); with both, both must match.
    Fields (event_id, status, start, end, estimated_time_to_repair, summary, circuits) come from
    ``patterns`` (a regex searched in the text "Subject: <subject>" + body, ^/$ match at line ends,
    value = the group named ``value`` or the only group) or ``labels`` (label names, read like the
    generic outage parser does); a field with neither uses the generic outage labels.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    kind: Literal["maintenance", "outage"]
    provider: str = Field(min_length=1, description="provider name for the notices (NetBox provider slug)")
    senders: list[str] = Field(default_factory=list)
    subject: re.Pattern[str] | None = None
    labels: dict[FieldName, list[str]] = Field(default_factory=dict)
    patterns: dict[FieldName, FieldPattern] = Field(default_factory=dict)
    date_formats: list[str] = Field(default_factory=list)
    timezone: str | None = None
    # how the provider writes ambiguous slashed dates (03/05/2026); else parsers.dateorder's evidence
    date_order: DateOrder | None = None
    status_map: dict[str, str] = Field(default_factory=dict)
    default_status: str | None = None
    impact: ImpactLevel = "OUTAGE"
    circuit_pattern: re.Pattern[str] | None = None

    @field_validator("senders")
    @classmethod
    def _senders(cls, value: list[str]) -> list[str]:
        return clean_senders(value)

    @field_validator("subject", "circuit_pattern", mode="before")
    @classmethod
    def _regex(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            return _compile(value, re.IGNORECASE if info.field_name == "subject" else re.MULTILINE)
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for key, labels in value.items():
            if not labels or not all(label.strip() for label in labels):
                raise ValueError(f"labels for {key} must be a non-empty list of label names")
        return value

    @field_validator("date_formats")
    @classmethod
    def _date_formats(cls, value: list[str]) -> list[str]:
        for fmt in value:
            if "%" not in fmt:
                raise ValueError(f"{fmt!r} is not a strptime format (e.g. '%d.%m.%Y %H:%M')")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is not None:
            resolve_timezone(value)
        return value

    @field_validator("status_map")
    @classmethod
    def _status_map(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        return check_status_map(value, _kinds(info))

    @field_validator("default_status")
    @classmethod
    def _default_status(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        allowed = sorted({status for kind in _kinds(info) for status in ALLOWED_STATUSES[kind]})
        if value.strip().upper() not in allowed:
            raise ValueError(f"status {value!r} is not one of {', '.join(allowed)}")
        return value.strip().upper()

    @model_validator(mode="after")
    def _consistent(self) -> ParserDefinition:
        if not self.senders and self.subject is None:
            raise ValueError("give senders and/or subject, or the definition would match every email")
        if self.kind == "maintenance":
            stray = [
                f"{key}.estimated_time_to_repair"
                for key in ("labels", "patterns")
                if "estimated_time_to_repair" in getattr(self, key)
            ]
            if stray:
                raise ValueError(f"{', '.join(stray)}: only outages have an estimated time to repair")
        return self

    @property
    def tz(self) -> tzinfo | None:
        return resolve_timezone(self.timezone) if self.timezone else None

    def extraction_spec(self) -> ExtractionSpec:
        return ExtractionSpec(  # keyed by name: extract.py looks fields up by any str
            labels={name: labels for name, labels in self.labels.items()},
            patterns={name: pattern for name, pattern in self.patterns.items()},
            date_formats=self.date_formats,
            default_tz=self.tz,
            circuit_pattern=self.circuit_pattern,
        )

    def matches(self, sender: str, subject: str) -> bool:
        return self.sender_matches(sender) is not False and self.subject_matches(subject) is not False

    def sender_matches(self, sender: str) -> bool | None:
        """None when the definition does not look at the sender."""
        if not self.senders:
            return None
        return sender_in(sender, self.senders)

    def subject_matches(self, subject: str) -> bool | None:
        """None when the definition does not look at the subject."""
        if self.subject is None:
            return None
        return self.subject.search(subject) is not None
