"""Generic outage parsing: any provider's outage notice with labelled fields, no provider code.

circuit-maintenance-parser reads planned maintenance only (and Arelion's parser drops "Disturbance
Information" on purpose), so outages are read here: the notice's labels ("Ticket Number", "Incident
Start", "Current Status", "Estimated Time to Restore", "Impacted Circuits"...) in text lines or HTML
table rows, through the same engine the declarative parsers use (parsers.extract).

A notice states only what it states: a field it leaves out (or writes as "Not available at this time")
stays None, so a later notice does not erase what an earlier one said. Notices of one incident are
ordered by the email's Date (Notice.stamp); they carry no sequence.
"""

from __future__ import annotations

import email.message
import re
from collections.abc import Mapping
from typing import Any

from parsers.dateorder import DateContext
from parsers.declarative import log_warnings
from parsers.detect import registrable_domain, sender_matches
from parsers.errors import ParseFailure
from parsers.extract import (
    GENERIC_SPEC,
    FieldResult,
    date_warnings,
    email_context,
    extract,
    restoration_is_end,
)
from parsers.fields import NoticeText, read_notice_text
from parsers.models import CircuitImpact, EmailMeta, Notice
from parsers.options import ParserOptions
from parsers.statuses import DEFAULT_OUTAGE_STATUS_MAP, match_status
from parsers.vocabulary import (
    BODY_MAINTENANCE_CUES,
    MAINTENANCE_CUES,
    OUTAGE_CUES,
    STATUS_LANGUAGE,
    SUBJECT_TICKET_WORDS,
)

PARSER_NAME = "outage:generic"

_OUTAGE_CUES = re.compile(OUTAGE_CUES, re.IGNORECASE)
_MAINTENANCE_CUES = re.compile(MAINTENANCE_CUES, re.IGNORECASE)
_BODY_MAINTENANCE_CUES = re.compile(BODY_MAINTENANCE_CUES, re.IGNORECASE)
# "Case 00412345", "Ticket #TTN-1", "TT: 123", "Docket 2611030045", "Störung NLN-1": the ticket id of a
# subject, when no label gives it (the words are parsers.vocabulary.SUBJECT_TICKET_WORDS).
_SUBJECT_TICKET = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, SUBJECT_TICKET_WORDS), key=len, reverse=True)) + r")\s*"
    r"(?:number|no\.?|nr\.?|id)?\s*[:#]?\s*(?P<value>[A-Z0-9][\w/-]*\d[\w/-]*)",
    re.IGNORECASE,
)


def is_outage_notice(subject: str, body: str) -> bool:
    """An outage cue in the subject (and no maintenance cue), or in a body that speaks of no maintenance."""
    if _MAINTENANCE_CUES.search(subject):
        return False
    if _OUTAGE_CUES.search(subject):
        return True
    return bool(_OUTAGE_CUES.search(body)) and not _BODY_MAINTENANCE_CUES.search(body)


def provider_for_sender(sender: str, options: ParserOptions) -> str:
    """The provider name for an email's sender, as the maintenance path names it: a circuit-maintenance-
    parser provider the sender belongs to (config's ``sender_providers`` first, then the library's
    addresses and domains: zayo.com -> "zayo", arelion.com -> "arelion"), else a ``sender_providers``
    entry naming another provider (address, then domain and parents), else the first label of the
    sender's registrable domain (noc.acme-fiber.net -> "acme-fiber")."""
    address = sender.strip().lower()
    matches = sender_matches(address, options)
    if matches:
        return matches[0]
    domain = address.rpartition("@")[2].strip(".")
    if "." not in domain:  # no sender, or parsers.email's "unknown@invalid"
        return "unknown"
    configured = {key.lower(): name for key, name in options.sender_providers.items()}
    labels = domain.split(".")
    for candidate in (address, *(".".join(labels[i:]) for i in range(len(labels)))):
        if candidate in configured:
            return configured[candidate]
    return registrable_domain(domain).split(".")[0]


def _status(fields: dict[str, FieldResult], subject: str, options: ParserOptions) -> str | None:
    """The body's status wording, else (none, or wording no table knows) the subject's ("... - Closed").
    The field notes which wording matched and its language (parsers.vocabulary.STATUS_LANGUAGE)."""
    tables = (options.outage_status_map, DEFAULT_OUTAGE_STATUS_MAP)
    found = match_status(fields["status"].value, *tables)
    if found is None:
        found = match_status(_SUBJECT_TICKET.sub(" ", subject), *tables)
        if found is not None:
            fields["status"].source = f"{fields['status'].source}; the subject's wording {subject!r}"
    if found is None:
        return None
    fields["status"].rule = f"{found.text!r} is {found.status}"
    fields["status"].language = STATUS_LANGUAGE.get(found.key, "the config's outage_status_map")
    return found.status


def date_context(
    text: NoticeText, meta: EmailMeta, provider: str, date_orders: Mapping[str, str]
) -> DateContext:
    """The email's evidence for ambiguous dates, with the provider's configured date_order."""
    return email_context(text, meta, date_orders.get(provider), provider)


def notice_from_fields(
    fields: dict[str, FieldResult], text: NoticeText, meta: EmailMeta, provider: str, status: str | None
) -> Notice:
    """An outage Notice from extracted fields (event_id must be set)."""
    dates = (fields["start"], fields["end"], fields["estimated_time_to_repair"])
    return Notice(
        kind="outage",
        provider=provider,
        event_id=fields["event_id"].value,
        status=status,
        start=fields["start"].value,
        end=fields["end"].value,
        estimated_time_to_repair=fields["estimated_time_to_repair"].value,
        summary=fields["summary"].value or text.subject or None,
        circuits=[CircuitImpact(circuit_id=circuit, impact="OUTAGE") for circuit in fields["circuits"].value],
        stamp=meta.received,
        original_timezone=next((date.zone for date in dates if date.zone), None),
        parser=PARSER_NAME,
        warnings=date_warnings(fields),
    )


def read_outage(
    msg: email.message.Message, meta: EmailMeta, options: ParserOptions
) -> tuple[NoticeText, dict[str, FieldResult], str, str | None] | None:
    """The outage fields of an email (text, fields, provider, status); None when it is no outage notice.
    Raises ParseFailure for an outage subject without a ticket id."""
    text = read_notice_text(msg, meta.subject)
    if not is_outage_notice(meta.subject, text.text):
        return None
    provider = provider_for_sender(meta.sender, options)
    fields = extract(text, GENERIC_SPEC, date_context(text, meta, provider, options.date_orders))
    if not fields["event_id"].value:
        match = _SUBJECT_TICKET.search(meta.subject)
        if match:
            fields["event_id"] = FieldResult("event_id", match["value"], match[0], "subject")
    if not fields["event_id"].value:
        if _OUTAGE_CUES.search(meta.subject):
            reason = fields["event_id"].error or "no ticket label, and no ticket number in the subject"
            raise ParseFailure(f"{PARSER_NAME}: outage notice without a ticket id ({reason})")
        return None
    status = _status(fields, meta.subject, options)
    restoration_is_end(fields, status)
    return text, fields, provider, status


def parse_outage(msg: email.message.Message, meta: EmailMeta, options: ParserOptions) -> list[Notice]:
    """The outage this email announces, as one Notice; [] when it is not an outage notice.

    Raises ParseFailure when the subject says outage but no ticket id can be found, so the email is
    quarantined with that reason instead of being ignored. Dates the email writes unreadably are left
    out (None) rather than failing the whole notice; ambiguous dates read by a rule are warned about.
    """
    if _MAINTENANCE_CUES.search(meta.subject):  # cheap early way out for most of a mailbox
        return []
    read = read_outage(msg, meta, options)
    if read is None:
        return []
    text, fields, provider, status = read
    notice = notice_from_fields(fields, text, meta, provider, status)
    log_warnings(notice, meta)
    return [notice]


def explain(msg: email.message.Message, meta: EmailMeta, options: ParserOptions) -> dict[str, Any]:
    """What the generic outage reader makes of an email, JSON-ready: each field with the label it came
    from and the date rule that read it, the notice, or why there is none."""
    report: dict[str, Any] = {"parser": PARSER_NAME, "kind": "outage", "notice": None, "error": None}
    if _MAINTENANCE_CUES.search(meta.subject):
        report["error"] = "the subject speaks of a maintenance"
        return report
    try:
        read = read_outage(msg, meta, options)
    except ParseFailure as exc:
        report["error"] = str(exc)
        return report
    if read is None:
        report["error"] = "not an outage notice (no outage wording, or no ticket id)"
        return report
    text, fields, provider, status = read
    report["provider"] = provider
    report["labels_in_email"] = text.label_names()
    report["labels_in_quoted_history"] = text.label_names(quoted=True)  # an earlier notice's: not read
    report["fields"] = {name: result.describe() for name, result in fields.items()}
    report["notice"] = notice_from_fields(fields, text, meta, provider, status).model_dump(mode="json")
    return report
