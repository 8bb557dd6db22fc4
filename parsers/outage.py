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

from parsers.detect import registrable_domain, sender_matches
from parsers.errors import ParseFailure
from parsers.extract import GENERIC_SPEC, FieldResult, extract
from parsers.fields import NoticeText, read_notice_text
from parsers.models import CircuitImpact, EmailMeta, Notice
from parsers.options import ParserOptions
from parsers.statuses import DEFAULT_OUTAGE_STATUS_MAP, map_status

PARSER_NAME = "outage:generic"

_OUTAGE_CUES = re.compile(
    r"\boutage|disturbance|\bincident|trouble ticket|service[- ]affecting|\bfault\b|"
    r"service (interruption|degradation|disruption)|unplanned|network event",
    re.IGNORECASE,
)
# A planned maintenance also speaks of "outage" ("Planned Outage Work", "expected outage: 4 hours").
_MAINTENANCE_CUES = re.compile(
    r"maint|\bplanned|\bscheduled|\bchange (request|notification)|work notification|emergency work|"
    r"re-?schedul|upgrade",
    re.IGNORECASE,
)
# "Case 00412345", "Ticket #TTN-1", "TT: 123": the ticket id of a subject, when no label gives it.
_SUBJECT_TICKET = re.compile(
    r"\b(?:trouble ticket|ticket|case|incident|TT|ref(?:erence)?)\s*(?:number|no\.?|id)?\s*[:#]?\s*"
    r"(?P<value>[A-Z0-9][\w/-]*\d[\w/-]*)",
    re.IGNORECASE,
)


def is_outage_notice(subject: str, body: str) -> bool:
    """An outage cue in the subject (and no maintenance cue), or in a body that speaks of no maintenance."""
    if _MAINTENANCE_CUES.search(subject):
        return False
    if _OUTAGE_CUES.search(subject):
        return True
    return bool(_OUTAGE_CUES.search(body)) and not _MAINTENANCE_CUES.search(body)


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
    tables = (options.outage_status_map, DEFAULT_OUTAGE_STATUS_MAP)
    if fields["status"].raw is not None:
        return map_status(fields["status"].value, *tables)
    # No status field: the subject often ends in one ("... - Resolved", "... - Closed").
    subject_words = _SUBJECT_TICKET.sub(" ", subject)
    return map_status(subject_words, *tables)


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
    )


def parse_outage(msg: email.message.Message, meta: EmailMeta, options: ParserOptions) -> list[Notice]:
    """The outage this email announces, as one Notice; [] when it is not an outage notice.

    Raises ParseFailure when the subject says outage but no ticket id can be found, so the email is
    quarantined with that reason instead of being ignored. Dates the email writes unreadably are left
    out (None) rather than failing the whole notice.
    """
    if _MAINTENANCE_CUES.search(meta.subject):  # cheap early way out for most of a mailbox
        return []
    text = read_notice_text(msg, meta.subject)
    if not is_outage_notice(meta.subject, text.text):
        return []
    fields = extract(text, GENERIC_SPEC)
    if not fields["event_id"].value:
        match = _SUBJECT_TICKET.search(meta.subject)
        if match:
            fields["event_id"] = FieldResult("event_id", match["value"], match[0], "subject")
    if not fields["event_id"].value:
        if _OUTAGE_CUES.search(meta.subject):
            reason = fields["event_id"].error or "no ticket label, and no ticket number in the subject"
            raise ParseFailure(f"{PARSER_NAME}: outage notice without a ticket id ({reason})")
        return []
    status = _status(fields, meta.subject, options)
    return [notice_from_fields(fields, text, meta, provider_for_sender(meta.sender, options), status)]
