"""Generic outage parsing: the outage corpus, time zones, status wording, and what is not an outage."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from pathlib import Path

import pytest
from pydantic import ValidationError

from parsers.email import email_meta, read_message
from parsers.errors import ParseFailure
from parsers.models import EmailMeta, Notice
from parsers.options import ParserOptions
from parsers.outage import parse_outage, provider_for_sender
from parsers.statuses import DEFAULT_OUTAGE_STATUS_MAP, map_status
from parsers.times import find_timezone, parse_datetime, resolve_timezone

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
OUTAGES = CORPUS / "outages"
MAINTENANCE = CORPUS / "maintenance"
NO_CORPUS = f"the shared corpus is not at {CORPUS} (it lives beside the project, not in it)"


def read_eml(path: Path) -> tuple[Message, EmailMeta]:
    raw = path.read_bytes()
    msg = read_message(raw)
    return msg, email_meta(msg, raw)


def make_email(
    subject: str,
    text: str | None = None,
    *,
    html: str | None = None,
    sender: str = "NOC <noc@example-carrier.net>",
    date: str = "Tue, 03 Mar 2026 10:00:00 +0000",
) -> tuple[Message, EmailMeta]:
    """An email as the pipeline reads it: built, serialised, read back."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "noc@example.net"
    message["Subject"] = subject
    message["Date"] = date
    message["Message-ID"] = "<test@example.net>"
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    raw = bytes(message)
    msg = read_message(raw)
    return msg, email_meta(msg, raw)


def utc(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


# --- the outage corpus ---------------------------------------------------------------------------------


def _manifest() -> list[dict]:
    path = OUTAGES / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else []


CASES = _manifest()
CASE_PARAMS = [pytest.param(case, id=Path(case["file"]).stem) for case in CASES] or [
    pytest.param(None, marks=pytest.mark.skip(reason=NO_CORPUS))
]


def parse_case(case: dict) -> Notice:
    msg, meta = read_eml(OUTAGES / case["file"])
    notices = parse_outage(msg, meta, ParserOptions())
    assert len(notices) == 1, f"{case['file']}: expected one outage notice, got {notices}"
    return notices[0]


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_corpus_email_parses_to_one_outage_notice(case: dict) -> None:
    notice = parse_case(case)
    assert notice.kind == "outage"
    assert notice.parser == "outage:generic"
    assert notice.provider == case["provider"]
    assert notice.event_id == case["event_id"]
    assert notice.status == case["status"]
    assert notice.start == utc(case["start"])
    assert [c.circuit_id for c in notice.circuits] == case["circuits"]
    assert all(c.impact == "OUTAGE" for c in notice.circuits)
    # The manifest is the state after this email and all earlier ones: a value this email states must
    # equal it, and one it does not state stays None (the NetBox stage keeps the earlier value).
    for field, key in (("estimated_time_to_repair", "etr"), ("end", "end")):
        stated = getattr(notice, field)
        assert stated is None or stated == utc(case[key]), f"{field}: {stated} != {case[key]}"
    msg, meta = read_eml(OUTAGES / case["file"])
    assert notice.stamp == meta.received


def test_fields_an_email_does_not_state_stay_none() -> None:
    if not CASES:
        pytest.skip(NO_CORPUS)
    by_file = {Path(case["file"]).stem: parse_case(case) for case in CASES}
    # "Estimated Time to Restore: Not available at this time"
    assert by_file["zayo-outage-1-investigating"].estimated_time_to_repair is None
    # the resolved notice and Cogent's restoration notice do not restate the ETR
    assert by_file["zayo-outage-3-resolved"].estimated_time_to_repair is None
    assert by_file["cogent-outage-2"].estimated_time_to_repair is None
    assert by_file["zayo-outage-1-investigating"].end is None
    # Cogent: "Service Restored" is the end, while the status stays "Monitoring"
    assert by_file["cogent-outage-2"].end == datetime(2026, 7, 20, 16, 31, tzinfo=UTC)
    assert by_file["cogent-outage-2"].status == "MONITORING"


def test_folding_the_notices_of_each_incident_gives_the_manifest_state() -> None:
    """Newest notice that states a field wins, as the NetBox stage merges them."""
    if not CASES:
        pytest.skip(NO_CORPUS)
    state: dict[str, dict] = {}
    fields = {"status": "status", "start": "start", "estimated_time_to_repair": "etr", "end": "end"}
    for case in CASES:  # the manifest lists each incident in lifecycle order
        notice = parse_case(case)
        current = state.setdefault(notice.event_id, {})
        for field in fields:
            if getattr(notice, field) is not None:
                current[field] = getattr(notice, field)
        if notice.circuits:
            current["circuits"] = [c.circuit_id for c in notice.circuits]
        expected = {field: case[key] for field, key in fields.items()}
        expected = {f: utc(v) if f != "status" else v for f, v in expected.items()}
        assert {f: current.get(f) for f in fields} == expected, case["file"]
        assert current["circuits"] == case["circuits"]


def test_summary_is_the_description_else_the_subject() -> None:
    if not CASES:
        pytest.skip(NO_CORPUS)
    by_file = {Path(case["file"]).stem: (case, parse_case(case)) for case in CASES}
    case, notice = by_file["zayo-outage-2-identified"]
    assert notice.summary.startswith("Fiber cut caused by third-party construction")
    case, notice = by_file["arelion-disturbance-1-open"]
    assert notice.summary == "Hardware failure on a line card in Frankfurt."
    case, notice = by_file["cogent-outage-1"]
    assert notice.summary == case["subject"]


# --- generic labels, without provider code ----------------------------------------------------------------


def test_html_table_notice_parses_without_provider_code() -> None:
    html = """<html><body><p>Dear customer,</p>
    <table>
      <tr><th>Incident ID:</th><td>INC-20260303-17</td></tr>
      <tr><td>Current Status</td><td>Cause Identified</td></tr>
      <tr><td>Start Time (UTC)</td><td>2026-03-03 08:15</td></tr>
      <tr><td>ETR</td><td>03/03/2026 14:00 CET</td></tr>
      <tr><td>Impacted Circuits</td><td>WAVE-100<br>WAVE-200</td></tr>
      <tr><td>Root Cause</td><td>Power failure at PoP Lyon</td></tr>
    </table></body></html>"""
    msg, meta = make_email("Service Disruption - INC-20260303-17", html=html)
    [notice] = parse_outage(msg, meta, ParserOptions())
    assert notice.event_id == "INC-20260303-17"
    assert notice.status == "IDENTIFIED"
    assert notice.start == datetime(2026, 3, 3, 8, 15, tzinfo=UTC)
    assert notice.estimated_time_to_repair == datetime(2026, 3, 3, 13, 0, tzinfo=UTC)
    assert [c.circuit_id for c in notice.circuits] == ["WAVE-100", "WAVE-200"]
    assert notice.summary == "Power failure at PoP Lyon"
    assert notice.provider == "example-carrier"


def test_text_notice_with_circuits_on_the_label_line_and_an_offset() -> None:
    text = (
        "An incident affects your services.\n\n"
        "Case Number: 778899\n"
        "Status: Monitoring\n"
        "Outage Start: 2026-03-03 09:00 +0200\n"
        "Restored: 2026-03-03 10:30 +0200\n"
        "Circuit ID(s): FRA-1, FRA-2; FRA-3\n"
    )
    msg, meta = make_email("Network incident 778899", text)
    [notice] = parse_outage(msg, meta, ParserOptions())
    assert notice.event_id == "778899"
    assert notice.status == "MONITORING"
    assert notice.start == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
    assert notice.end == datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
    assert notice.original_timezone == "+0200"
    assert [c.circuit_id for c in notice.circuits] == ["FRA-1", "FRA-2", "FRA-3"]


def test_status_from_the_subject_when_the_body_has_none() -> None:
    msg, meta = make_email("Outage Notification - Ticket 4711 - Closed", "Ticket: 4711\nCircuits: X-1\n")
    [notice] = parse_outage(msg, meta, ParserOptions())
    assert notice.status == "RESOLVED"


def test_unknown_status_wording_states_no_status() -> None:
    msg, meta = make_email("Outage 4711", "Ticket: 4711\nStatus: Engineer on site\n")
    [notice] = parse_outage(msg, meta, ParserOptions())
    assert notice.status is None


def test_outage_subject_without_a_ticket_id_fails_with_a_reason() -> None:
    msg, meta = make_email("Outage notification", "We have an outage. Status: Investigating\n")
    with pytest.raises(ParseFailure, match="outage:generic: outage notice without a ticket id"):
        parse_outage(msg, meta, ParserOptions())


# --- time zones ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-02 14:05 UTC", "2026-03-02T14:05:00+00:00"),
        ("2026-03-02 14:05 GMT", "2026-03-02T14:05:00+00:00"),
        ("07/20/2026 09:02 AM EDT", "2026-07-20T13:02:00+00:00"),
        ("01/20/2026 09:02 AM EST", "2026-01-20T14:02:00+00:00"),
        ("2026-07-20 09:02 CDT", "2026-07-20T14:02:00+00:00"),
        ("2026-01-20 09:02 CST", "2026-01-20T15:02:00+00:00"),
        ("2026-07-20 09:02 MDT", "2026-07-20T15:02:00+00:00"),
        ("2026-01-20 09:02 MST", "2026-01-20T16:02:00+00:00"),
        ("2026-07-20 09:02 PDT", "2026-07-20T16:02:00+00:00"),
        ("2026-01-20 09:02 PST", "2026-01-20T17:02:00+00:00"),
        ("2026-01-20 09:02 CET", "2026-01-20T08:02:00+00:00"),
        ("2026-07-20 09:02 CEST", "2026-07-20T07:02:00+00:00"),
        ("2026-07-20 09:02 BST", "2026-07-20T08:02:00+00:00"),
        ("2026-07-20 09:02 +0200", "2026-07-20T07:02:00+00:00"),
        ("2026-07-20 09:02 -05:00", "2026-07-20T14:02:00+00:00"),
        ("2026-07-20T09:02:00-05:00", "2026-07-20T14:02:00+00:00"),
        ("2026-07-20 09:02 (UTC+2)", "2026-07-20T07:02:00+00:00"),
        ("20 Jul 2026 09:02 GMT+05:30", "2026-07-20T03:32:00+00:00"),
        ("2026-07-20T09:02Z", "2026-07-20T09:02:00+00:00"),
        ("Monday, July 20, 2026 9:02 AM ET", "2026-07-20T13:02:00+00:00"),
        ("2026-07-20 09:02 Europe/Berlin", "2026-07-20T07:02:00+00:00"),
        ("2026-07-20 09:02", "2026-07-20T09:02:00+00:00"),  # no zone stated: UTC
    ],
)
def test_dates_are_read_in_the_zone_they_state(value: str, expected: str) -> None:
    assert parse_datetime(value) == datetime.fromisoformat(expected)


def test_a_date_without_zone_takes_the_default_zone() -> None:
    berlin = resolve_timezone("Europe/Berlin")
    assert parse_datetime("2026-01-20 09:02", default_tz=berlin) == datetime(2026, 1, 20, 8, 2, tzinfo=UTC)
    # a zone the value states beats the default
    assert parse_datetime("2026-01-20 09:02 UTC", default_tz=berlin) == datetime(
        2026, 1, 20, 9, 2, tzinfo=UTC
    )


@pytest.mark.parametrize("value", ["Not available at this time", "TBD", "N/A", "-", "", None])
def test_placeholders_are_not_stated(value: str | None) -> None:
    assert parse_datetime(value) is None


def test_a_value_with_digits_that_is_no_date_raises() -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_datetime("within 4 hours")


def test_edt_in_an_email_becomes_utc() -> None:
    text = "Trouble Ticket: T-1\nOutage Start: 07/20/2026 11:45 PM EDT\nStatus: Reported\n"
    msg, meta = make_email("Network Outage Notification - T-1", text)
    [notice] = parse_outage(msg, meta, ParserOptions())
    assert notice.start == datetime(2026, 7, 21, 3, 45, tzinfo=UTC)
    assert notice.original_timezone == "EDT"


def test_a_zone_in_the_label_applies_to_its_value() -> None:
    text = "Ticket: 55\nStart Time (CET): 2026-01-20 09:02\nEnd (times in EST): 2026-01-20 10:00\n"
    msg, meta = make_email("Outage 55", text)
    [notice] = parse_outage(msg, meta, ParserOptions())
    assert notice.start == datetime(2026, 1, 20, 8, 2, tzinfo=UTC)
    assert notice.end == datetime(2026, 1, 20, 15, 0, tzinfo=UTC)
    assert notice.original_timezone == "CET"


def test_find_timezone_leaves_dates_alone() -> None:
    # the "-03" of the date is not an offset
    assert find_timezone("2026-03-02 14:05") is None


@pytest.mark.parametrize("name", ["Europe/Berlin", "CET", "utc", "+01:00", "-0500", "UTC+2"])
def test_resolve_timezone_accepts_config_names(name: str) -> None:
    assert resolve_timezone(name) is not None


def test_resolve_timezone_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        resolve_timezone("Mars/Olympus")


# --- status wording --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wording", "status"),
    [
        ("Open - under investigation", "INVESTIGATING"),
        ("Investigating", "INVESTIGATING"),
        ("Cause Identified", "IDENTIFIED"),
        ("Closed - service restored", "RESOLVED"),
        ("Resolved", "RESOLVED"),
        ("Reported", "REPORTED"),
        ("Monitoring", "MONITORING"),
        ("Restored - monitoring", "MONITORING"),
        ("Service restored", "RESOLVED"),
        ("REPAIR IN PROGRESS", "IDENTIFIED"),
    ],
)
def test_default_status_map(wording: str, status: str) -> None:
    assert map_status(wording, DEFAULT_OUTAGE_STATUS_MAP) == status


def test_config_extends_and_overrides_the_status_map() -> None:
    options = ParserOptions(
        outage_status_map={"engineer on site": "identified", r"^reported$": "INVESTIGATING"}
    )
    assert options.outage_status_map == {"engineer on site": "IDENTIFIED", r"^reported$": "INVESTIGATING"}
    msg, meta = make_email("Outage 4711", "Ticket: 4711\nStatus: Engineer on Site\n")
    assert parse_outage(msg, meta, options)[0].status == "IDENTIFIED"
    msg, meta = make_email("Outage 4711", "Ticket: 4711\nStatus: Reported\n")
    assert parse_outage(msg, meta, options)[0].status == "INVESTIGATING"
    assert parse_outage(msg, meta, ParserOptions())[0].status == "REPORTED"


def test_config_status_map_rejects_unknown_statuses() -> None:
    with pytest.raises(ValidationError) as info:
        ParserOptions(outage_status_map={"engineer on site": "FIXED"})
    assert info.value.errors()[0]["loc"] == ("outage_status_map",)
    assert "'FIXED' (for 'engineer on site') is not one of" in str(info.value)


# --- provider names --------------------------------------------------------------------------------------


def test_provider_name_from_the_sender() -> None:
    options = ParserOptions(
        sender_providers={"noc@forwarder.example": "acme", "carrier.example": "bigcarrier"}
    )
    assert provider_for_sender("ncc@zayo.com", options) == "zayo"
    assert provider_for_sender("support@arelion.com", options) == "arelion"
    assert provider_for_sender("support@cogentco.com", options) == "cogent"
    assert provider_for_sender("noc@forwarder.example", options) == "acme"
    assert provider_for_sender("alerts@noc.carrier.example", options) == "bigcarrier"
    assert provider_for_sender("noc@mail.smallfiber.net", options) == "smallfiber"
    assert provider_for_sender("unknown@invalid", options) == "unknown"


# --- not outages -----------------------------------------------------------------------------------------


def test_a_maintenance_email_is_not_an_outage() -> None:
    path = MAINTENANCE / "emails" / "zayo" / "zayo1.eml"
    if not path.exists():
        pytest.skip(NO_CORPUS)
    msg, meta = read_eml(path)
    assert parse_outage(msg, meta, ParserOptions()) == []


def test_no_email_of_the_maintenance_corpus_is_an_outage() -> None:
    manifest = MAINTENANCE / "manifest.json"
    if not manifest.exists():
        pytest.skip(NO_CORPUS)
    taken = []
    for case in json.loads(manifest.read_text()):
        msg, meta = read_eml(MAINTENANCE / case["file"])
        if parse_outage(msg, meta, ParserOptions()):
            taken.append(case["file"])
    assert taken == []


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Planned Outage Work ISSUE=1", "Ticket: 1\nStart: 2026-03-03 01:00 UTC\n"),
        ("Weekly newsletter", "Our new data centre opens in May.\nTicket: 12\n"),
        ("Scheduled maintenance", "Expected outage duration: 4 hours\nTicket: 1\n"),
    ],
)
def test_emails_that_are_not_outage_notices(subject: str, text: str) -> None:
    msg, meta = make_email(subject, text)
    assert parse_outage(msg, meta, ParserOptions()) == []
