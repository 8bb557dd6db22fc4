"""Declarative parsers: provider formats an admin describes in the config, run before the library's.

``parse_declarative`` returns None when no definition matches the email's sender/subject (the other
parsers get it), one Notice when the first matching definition reads it, and raises ParseFailure when
a definition matched but its notice cannot be built (no event id, a date that fits none of the
formats, a status wording no map knows): the email came from that provider, so it is quarantined with
that reason rather than handed to parsers that do not know the format.

``explain`` shows what a definition finds in an email, field by field, for ``parse --explain``.
"""

from __future__ import annotations

import email.message
import logging
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from parsers.definitions import ParserDefinition
from parsers.errors import ParseFailure
from parsers.extract import FieldResult, date_warnings, email_context, extract, restoration_is_end
from parsers.fields import NoticeText, read_notice_text
from parsers.models import CircuitImpact, EmailMeta, Notice
from parsers.statuses import DEFAULT_STATUS_MAPS, map_status

if TYPE_CHECKING:
    from parsers.options import ParserOptions

__all__ = ["ParserDefinition", "explain", "log_warnings", "matching_definition", "parse_declarative"]
logger = logging.getLogger(__name__)


def log_warnings(notice: Notice, meta: EmailMeta) -> None:
    """Every rule that decided an ambiguous value goes to the log too, naming the email."""
    for warning in notice.warnings:
        logger.warning("%s %s (%s): %s", notice.parser, notice.event_id, meta.message_id, warning)


def matching_definition(definitions: list[ParserDefinition], meta: EmailMeta) -> ParserDefinition | None:
    """The first definition, in config order, whose senders and subject match the email."""
    return next((d for d in definitions if d.matches(meta.sender, meta.subject)), None)


def _status(
    definition: ParserDefinition, found: FieldResult, options: ParserOptions | None
) -> tuple[str | None, str | None]:
    """(status, problem): the mapped wording, else default_status when the email states none."""
    if not found.value:
        return definition.default_status, None
    tables = [definition.status_map]
    if definition.kind == "outage" and options is not None:
        tables.append(options.outage_status_map)
    tables.append(DEFAULT_STATUS_MAPS[definition.kind])
    status = map_status(found.value, *tables)
    if status is None:
        return None, f"status {found.value!r} is not in status_map"
    return status, None


def _notice(
    definition: ParserDefinition,
    fields: dict[str, FieldResult],
    text: NoticeText,
    meta: EmailMeta,
    options: ParserOptions | None,
) -> Notice:
    """Build the notice, or raise ParseFailure listing every field that stops it.

    Only the fields the definition names (and event_id) are strict: one it leaves to the generic labels
    is dropped when unreadable, as the generic outage parser does.
    """
    strict = {"event_id", *definition.labels, *definition.patterns}
    problems = [f"{name}: {r.error}" for name, r in fields.items() if r.error and name in strict]
    if not fields["event_id"].value and not fields["event_id"].error:
        problems.insert(0, f"no event_id ({fields['event_id'].source})")
    status, status_problem = _status(definition, fields["status"], options)
    if status_problem and "status" in strict:
        problems.append(status_problem)
    elif status_problem:
        status = definition.default_status
    if problems:
        raise ParseFailure(f"{definition.name}: {'; '.join(problems)}")
    if definition.kind == "outage":
        restoration_is_end(fields, status)
    dates = [fields[name] for name in ("start", "end", "estimated_time_to_repair")]
    try:
        return Notice(
            kind=definition.kind,
            provider=definition.provider,
            event_id=fields["event_id"].value,
            status=status,
            start=fields["start"].value,
            end=fields["end"].value,
            estimated_time_to_repair=(
                fields["estimated_time_to_repair"].value if definition.kind == "outage" else None
            ),
            summary=fields["summary"].value or text.subject or None,
            circuits=[
                CircuitImpact(circuit_id=c, impact=definition.impact) for c in fields["circuits"].value
            ],
            stamp=meta.received,
            original_timezone=next((d.zone for d in dates if d.zone), definition.timezone),
            parser=f"declarative:{definition.name}",
            warnings=date_warnings(fields),
        )
    except ValidationError as exc:  # not expected: the definition's validators keep values in range
        raise ParseFailure(f"{definition.name}: {exc.errors()[0]['msg']}") from None


def _fields(
    definition: ParserDefinition, text: NoticeText, meta: EmailMeta, options: ParserOptions | None
) -> dict[str, FieldResult]:
    configured = definition.date_order or (options.date_orders.get(definition.provider) if options else None)
    context = email_context(text, meta, configured, definition.name)
    fields = extract(text, definition.extraction_spec(), context)
    if definition.kind == "maintenance":  # a generic "ETR" label means nothing for a maintenance
        fields["estimated_time_to_repair"] = FieldResult(
            "estimated_time_to_repair", source="not for maintenance"
        )
    return fields


def parse_declarative(
    msg: email.message.Message, meta: EmailMeta, options: ParserOptions
) -> list[Notice] | None:
    """The notice of the first matching definition; None when none matches. Raises ParseFailure."""
    definition = matching_definition(options.parsers, meta)
    if definition is None:
        return None
    text = read_notice_text(msg, meta.subject)
    notice = _notice(definition, _fields(definition, text, meta, options), text, meta, options)
    log_warnings(notice, meta)
    return [notice]


def explain(
    definition: ParserDefinition,
    msg: email.message.Message,
    meta: EmailMeta,
    options: ParserOptions | None = None,
) -> dict[str, Any]:
    """What ``definition`` makes of an email, JSON-ready: whether it matches, the labels the email has,
    each field's value with where it came from (or why not), and the notice or the failure."""
    text = read_notice_text(msg, meta.subject)
    fields = _fields(definition, text, meta, options)
    sender, subject = definition.sender_matches(meta.sender), definition.subject_matches(meta.subject)
    report: dict[str, Any] = {
        "parser": definition.name,
        "kind": definition.kind,
        "provider": definition.provider,
        "match": {
            "sender": sender,
            "subject": subject,
            "matches": definition.matches(meta.sender, meta.subject),
        },
        "labels_in_email": text.label_names(),
        "fields": {name: result.describe() for name, result in fields.items()},
        "notice": None,
        "error": None,
    }
    try:
        notice = _notice(definition, fields, text, meta, options)
    except ParseFailure as exc:
        report["error"] = str(exc)
    else:
        report["notice"] = notice.model_dump(mode="json")
    return report
