"""Declarative parsers: a made-up provider ("Acme Fiber") described in TOML, read without Python."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from email.message import EmailMessage, Message

import pytest
from pydantic import ValidationError

from parsers.declarative import ParserDefinition, explain, parse_declarative
from parsers.email import email_meta, read_message
from parsers.errors import ParseFailure
from parsers.models import EmailMeta
from parsers.options import ParserOptions

# Acme Fiber writes dotted labels, day-first dates in Berlin time and its own status words.
ACME_TOML = r"""
[[parsers]]
name = "acme-maintenance"
kind = "maintenance"
provider = "acme-fiber"
senders = ["acmefiber.example"]
subject = '^\[ACME-MW\]'
date_formats = ["%d.%m.%Y %H:%M"]
timezone = "Europe/Berlin"
default_status = "CONFIRMED"
impact = "REDUCED-REDUNDANCY"
circuit_pattern = 'ACME-LNK-\d+'

[parsers.labels]
event_id = ["Works Ref"]
status = ["Works State"]
start = ["Window Opens"]
end = ["Window Closes"]
summary = ["Purpose"]

[parsers.status_map]
"Booked" = "CONFIRMED"
"Shifted" = "RE-SCHEDULED"
"Called off" = "CANCELLED"

[[parsers]]
name = "acme-incident"
kind = "outage"
provider = "acme-fiber"
senders = ["alarms@acmefiber.example"]
subject = 'INCIDENT #INC\d+'
timezone = "+01:00"

[parsers.patterns]
event_id = 'INCIDENT #(?P<value>INC\d+)'
estimated_time_to_repair = '(?i)expected fix by\s+(.+?)\s*$'

[parsers.labels]
status = ["Progress"]
start = ["Fault Raised"]
circuits = ["Links Down"]

[parsers.status_map]
"splicing" = "IDENTIFIED"
"fault located" = "IDENTIFIED"
"all clear" = "RESOLVED"
"""


def acme_options() -> ParserOptions:
    return ParserOptions.model_validate(tomllib.loads(ACME_TOML))


def make_email(
    subject: str, text: str | None = None, *, html: str | None = None, sender: str
) -> tuple[Message, EmailMeta]:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "noc@example.net"
    message["Subject"] = subject
    message["Date"] = "Wed, 04 Mar 2026 09:30:00 +0000"
    message["Message-ID"] = "<acme@example.net>"
    if text is not None:
        message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html") if text is not None else message.set_content(
            html, "html"
        )
    raw = bytes(message)
    msg = read_message(raw)
    return msg, email_meta(msg, raw)


MAINTENANCE_TEXT = """\
Dear customer,

Works Ref ......: ACM-2026-0042
Works State ....: Booked
Window Opens ...: 14.03.2026 22:00
Window Closes ..: 15.03.2026 04:00
Purpose ........: Replacement of amplifier shelf at Kassel

Links in scope: ACME-LNK-1001 (Hamburg - Kassel) and ACME-LNK-1002 (Kassel - Munich).

Acme Fiber Operations
"""

INCIDENT_HTML = """\
<html><body>
<p><b>ACME FIBER INCIDENT #INC77881</b></p>
<table>
  <tr><td>Fault Raised</td><td>2026-03-14 06:10</td></tr>
  <tr><td>Progress</td><td>Splicing team on site</td></tr>
  <tr><td>Links Down</td><td>ACME-LNK-1001<br>ACME-LNK-2002</td></tr>
</table>
<p>Expected fix by 14/03/2026 11:00 CET</p>
</body></html>
"""


def test_maintenance_definition_parses_acme_works_notice() -> None:
    msg, meta = make_email(
        "[ACME-MW] Planned works ACM-2026-0042", MAINTENANCE_TEXT, sender="Acme <works@acmefiber.example>"
    )
    [notice] = parse_declarative(msg, meta, acme_options())
    assert notice.kind == "maintenance"
    assert notice.provider == "acme-fiber"
    assert notice.parser == "declarative:acme-maintenance"
    assert notice.event_id == "ACM-2026-0042"
    assert notice.status == "CONFIRMED"
    # Berlin is on CET (+01:00) in March before the switch to summer time
    assert notice.start == datetime(2026, 3, 14, 21, 0, tzinfo=UTC)
    assert notice.end == datetime(2026, 3, 15, 3, 0, tzinfo=UTC)
    assert notice.summary == "Replacement of amplifier shelf at Kassel"
    assert [(c.circuit_id, c.impact) for c in notice.circuits] == [
        ("ACME-LNK-1001", "REDUCED-REDUNDANCY"),
        ("ACME-LNK-1002", "REDUCED-REDUNDANCY"),
    ]
    assert notice.stamp == datetime(2026, 3, 4, 9, 30, tzinfo=UTC)
    assert notice.original_timezone == "Europe/Berlin"


def test_maintenance_status_wording_and_default_status() -> None:
    options = acme_options()
    text = MAINTENANCE_TEXT.replace("Booked", "Called off")
    msg, meta = make_email("[ACME-MW] Planned works ACM-2026-0042", text, sender="works@acmefiber.example")
    assert parse_declarative(msg, meta, options)[0].status == "CANCELLED"
    # the default maintenance wording still applies behind the definition's own map
    text = MAINTENANCE_TEXT.replace("Booked", "Completed")
    msg, meta = make_email("[ACME-MW] Planned works ACM-2026-0042", text, sender="works@acmefiber.example")
    assert parse_declarative(msg, meta, options)[0].status == "COMPLETED"
    text = MAINTENANCE_TEXT.replace("Works State ....: Booked\n", "")
    msg, meta = make_email("[ACME-MW] Planned works ACM-2026-0042", text, sender="works@acmefiber.example")
    assert parse_declarative(msg, meta, options)[0].status == "CONFIRMED"  # default_status


def test_outage_definition_parses_acme_incident_html() -> None:
    msg, meta = make_email(
        "ACME FIBER INCIDENT #INC77881 [UPDATE 2]", html=INCIDENT_HTML, sender="alarms@AcmeFiber.example"
    )
    [notice] = parse_declarative(msg, meta, acme_options())
    assert notice.kind == "outage"
    assert notice.parser == "declarative:acme-incident"
    assert notice.event_id == "INC77881"
    assert notice.status == "IDENTIFIED"
    assert notice.start == datetime(2026, 3, 14, 5, 10, tzinfo=UTC)  # timezone = "+01:00"
    assert notice.estimated_time_to_repair == datetime(2026, 3, 14, 10, 0, tzinfo=UTC)  # the email's CET
    assert [(c.circuit_id, c.impact) for c in notice.circuits] == [
        ("ACME-LNK-1001", "OUTAGE"),
        ("ACME-LNK-2002", "OUTAGE"),
    ]
    assert notice.summary == "ACME FIBER INCIDENT #INC77881 [UPDATE 2]"


def test_no_matching_definition_returns_none() -> None:
    options = acme_options()
    msg, meta = make_email("[ACME-MW] Planned works", MAINTENANCE_TEXT, sender="noc@other.example")
    assert parse_declarative(msg, meta, options) is None
    # sender matches but the subject does not: both must match
    msg, meta = make_email("Newsletter", MAINTENANCE_TEXT, sender="works@acmefiber.example")
    assert parse_declarative(msg, meta, options) is None
    assert parse_declarative(msg, meta, ParserOptions()) is None


def test_matched_definition_without_event_id_fails_naming_the_parser() -> None:
    text = MAINTENANCE_TEXT.replace("Works Ref ......: ACM-2026-0042\n", "")
    msg, meta = make_email("[ACME-MW] Planned works", text, sender="works@acmefiber.example")
    with pytest.raises(
        ParseFailure, match=r"^acme-maintenance: no event_id \(no label found \(tried 'Works Ref'\)\)"
    ):
        parse_declarative(msg, meta, acme_options())


def test_matched_definition_with_unreadable_date_or_unknown_status_fails() -> None:
    text = MAINTENANCE_TEXT.replace("14.03.2026 22:00", "2026-03-14 22:00").replace("Booked", "Pencilled in")
    msg, meta = make_email("[ACME-MW] Planned works", text, sender="works@acmefiber.example")
    with pytest.raises(ParseFailure) as info:
        parse_declarative(msg, meta, acme_options())
    assert "start: '2026-03-14 22:00' matches none of the date formats" in str(info.value)
    assert "status 'Pencilled in' is not in status_map" in str(info.value)


def test_fields_without_labels_or_patterns_use_the_generic_labels() -> None:
    definition = ParserDefinition(name="minimal", kind="outage", provider="tiny", senders=["tiny.example"])
    text = "Ticket Number: T-9\nStatus: Resolved\nStart: 2026-03-01 10:00 UTC\nEnd: 2026-03-01 11:00 UTC\n"
    msg, meta = make_email("Outage", text, sender="noc@tiny.example")
    [notice] = parse_declarative(msg, meta, ParserOptions(parsers=[definition]))
    assert (notice.event_id, notice.status, notice.provider) == ("T-9", "RESOLVED", "tiny")
    assert notice.end == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)


def test_fields_left_to_the_generic_labels_are_lenient() -> None:
    """Only what the definition names is strict; an unreadable generic field is just not stated."""
    definition = ParserDefinition(
        name="minimal", kind="outage", provider="tiny", senders=["tiny.example"], default_status="REPORTED"
    )
    text = "Ticket Number: T-9\nStatus: Engineer on site\nEnd: after 4 hours\n"
    msg, meta = make_email("Outage", text, sender="noc@tiny.example")
    [notice] = parse_declarative(msg, meta, ParserOptions(parsers=[definition]))
    assert (notice.status, notice.end) == ("REPORTED", None)


def test_explain_shows_each_field_and_the_labels_in_the_email() -> None:
    options = acme_options()
    definition = options.parsers[0]
    text = MAINTENANCE_TEXT.replace("14.03.2026 22:00", "soon-ish 2026")
    msg, meta = make_email("[ACME-MW] Planned works", text, sender="works@acmefiber.example")
    report = explain(definition, msg, meta)
    assert report["match"] == {"sender": True, "subject": True, "matches": True}
    assert "Works Ref" in report["labels_in_email"] and "Purpose" in report["labels_in_email"]
    assert report["fields"]["event_id"]["value"] == "ACM-2026-0042"
    assert report["fields"]["event_id"]["source"] == "label 'Works Ref' (text)"
    assert report["fields"]["end"]["value"] == "2026-03-15T03:00:00+00:00"
    assert "matches none of the date formats" in report["fields"]["start"]["error"]
    assert report["fields"]["circuits"]["value"] == ["ACME-LNK-1001", "ACME-LNK-1002"]
    assert report["notice"] is None
    assert report["error"].startswith("acme-maintenance: start:")
    # a working email gives the notice, JSON-ready
    msg, meta = make_email("[ACME-MW] Planned works", MAINTENANCE_TEXT, sender="x@acmefiber.example")
    report = explain(definition, msg, meta)
    assert report["error"] is None and report["notice"]["event_id"] == "ACM-2026-0042"
    # and an email the definition would not take says so
    msg, meta = make_email("Hello", MAINTENANCE_TEXT, sender="x@elsewhere.example")
    assert explain(definition, msg, meta)["match"] == {"sender": False, "subject": False, "matches": False}


# --- invalid definitions are reported at start-up, naming the key ---------------------------------------


def base_definition(**changes: object) -> dict:
    definition = {
        "name": "acme",
        "kind": "outage",
        "provider": "acme-fiber",
        "senders": ["acmefiber.example"],
        "labels": {"event_id": ["Incident"]},
    }
    definition.update(changes)
    return definition


@pytest.mark.parametrize(
    ("changes", "loc", "message"),
    [
        (
            {"patterns": {"start": "Start: ([0-9"}},
            ("parsers", 0, "patterns", "start"),
            "not a valid regular expression",
        ),
        (
            {"patterns": {"start": r"Start: \S+"}},
            ("parsers", 0, "patterns", "start"),
            "exactly one capture group",
        ),
        ({"subject": "(unclosed"}, ("parsers", 0, "subject"), "not a valid regular expression"),
        ({"circuit_pattern": "[a-"}, ("parsers", 0, "circuit_pattern"), "not a valid regular expression"),
        (
            {"status_map": {"fixed": "DONE"}},
            ("parsers", 0, "status_map"),
            "'DONE' (for 'fixed') is not one of",
        ),
        ({"status_map": {"fixed": "COMPLETED"}}, ("parsers", 0, "status_map"), "'COMPLETED' (for 'fixed')"),
        ({"default_status": "CONFIRMED"}, ("parsers", 0, "default_status"), "'CONFIRMED' is not one of"),
        ({"timezone": "Mars/Olympus"}, ("parsers", 0, "timezone"), "unknown time zone 'Mars/Olympus'"),
        ({"sendres": ["x.example"]}, ("parsers", 0, "sendres"), "Extra inputs are not permitted"),
        ({"labels": {"ticket": ["Ticket"]}}, ("parsers", 0, "labels", "ticket", "[key]"), "Input should be"),
        ({"impact": "TOTAL"}, ("parsers", 0, "impact"), "Input should be"),
        ({"kind": "incident"}, ("parsers", 0, "kind"), "Input should be 'maintenance' or 'outage'"),
        ({"date_formats": ["DD.MM.YYYY"]}, ("parsers", 0, "date_formats"), "is not a strptime format"),
        ({"senders": [], "subject": None}, ("parsers", 0), "would match every email"),
    ],
)
def test_invalid_definition_names_the_key(changes: dict, loc: tuple, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        ParserOptions.model_validate({"parsers": [base_definition(**changes)]})
    errors = info.value.errors()
    assert [error["loc"] for error in errors] == [loc], errors
    assert message in errors[0]["msg"]


def test_maintenance_definition_cannot_extract_an_etr() -> None:
    with pytest.raises(ValidationError, match="only outages have an estimated time to repair"):
        ParserDefinition.model_validate(
            base_definition(
                kind="maintenance", labels={"event_id": ["Ref"], "estimated_time_to_repair": ["ETR"]}
            )
        )


def test_valid_definition_compiles_its_regexes() -> None:
    definition = ParserDefinition.model_validate(
        base_definition(
            subject="acme", patterns={"start": r"Start: (?P<value>.+)"}, status_map={"ok": "resolved"}
        )
    )
    assert definition.subject is not None and definition.subject.search("ACME incident")  # ignores case
    assert definition.patterns["start"].groupindex == {"value": 1}
    assert definition.status_map == {"ok": "RESOLVED"}
