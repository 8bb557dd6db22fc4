"""The outage reader on notices of providers it has never seen: labels (colon, dot leaders, wide gaps,
table cells), dates (the date-order rule and its warnings, clocks, zones), status wording, and the
same rules in declarative parsers, `parse --explain` and the config."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest

from ingestor.cli import main
from ingestor.config import ConfigError, load_config
from parsers.dateorder import DateContext
from parsers.declarative import ParserDefinition, parse_declarative
from parsers.fields import labelled_lines, split_ids
from parsers.options import ParserOptions
from parsers.outage import explain, parse_outage
from parsers.statuses import DEFAULT_OUTAGE_STATUS_MAP, map_status
from parsers.times import read_datetime
from tests.unit.test_outage_parser import make_email


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def outage(text: str, subject: str = "Incident 4711", options: ParserOptions | None = None, **kwargs):
    msg, meta = make_email(subject, text, **kwargs)
    [notice] = parse_outage(msg, meta, options or ParserOptions())
    return notice


# --- the date-order rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "context", "expected", "rule", "warned"),
    [
        ("05.03.2026 14:00", DateContext(), at(2026, 3, 5, 14), "a dotted date is day first", False),
        ("25/03/2026 14:00", DateContext(), at(2026, 3, 25, 14), "25 can only be the day", False),
        ("03/25/2026 14:00", DateContext(), at(2026, 3, 25, 14), "25 can only be the day", False),
        ("03/03/2026 14:00", DateContext(), at(2026, 3, 3, 14), "day and month are the same", False),
        ("05/03/2026 14:00 CET", DateContext(), at(2026, 3, 5, 13), "zone CET writes day first", True),
        ("05/03/2026 02:00 PM EST", DateContext(), at(2026, 5, 3, 19), "zone EST writes month first", True),
        ("05/03/2026 14:00 UTC", DateContext(), at(2026, 3, 5, 14), "written in UTC", True),
        ("05/03/2026 14:00", DateContext(), at(2026, 5, 3, 14), "no evidence", True),
    ],
)
def test_numeric_dates_are_read_by_the_rule_and_ambiguous_ones_warned(value, context, expected, rule, warned):
    reading = read_datetime(value, context=context)
    assert reading.value == expected
    assert rule in reading.rule
    assert (" read as 2026-" in (reading.warning or "")) == warned  # the date-order part of the warning


@pytest.mark.parametrize(
    ("text", "sender", "configured", "expected", "rule"),
    [
        ("", "noc@x.example", "DMY", at(2026, 3, 5, 14), "date_order configured"),
        ("All dates are dd/mm/yyyy", "noc@x.example", None, at(2026, 3, 5, 14), "states the format"),
        ("Reported 17/03/2026", "noc@x.example", None, at(2026, 3, 5, 14), "another date in this email"),
        ("Reported 03/17/2026", "noc@x.example", None, at(2026, 5, 3, 14), "another date in this email"),
        ("Times in CEST.", "noc@x.example", None, at(2026, 3, 5, 14), "the zones this email names"),
        ("", "noc@carrier.de", None, at(2026, 3, 5, 14), "country domain .de"),
        ("", "noc@carrier.us", None, at(2026, 5, 3, 14), "country domain .us"),
    ],
)
def test_email_wide_evidence_decides_an_ambiguous_date(text, sender, configured, expected, rule):
    reading = read_datetime("05/03/2026 14:00", context=DateContext.of_email(text, sender, configured))
    assert reading.value == expected
    assert rule in reading.warning


def test_the_reading_near_the_emails_date_is_meant() -> None:
    sent = at(2026, 5, 3, 9)
    reading = read_datetime("05/03/2026 08:00 UTC", context=DateContext(sent=sent))
    assert reading.value == at(2026, 5, 3, 8)  # not 5 March: the email was sent on 3 May
    assert "within 14 days of the email's date" in reading.warning
    # a date far from the email (an RFO weeks later) is left to the other rules
    late = read_datetime("05/03/2026 08:00 CET", context=DateContext(sent=at(2026, 8, 1)))
    assert late.rule == "zone CET writes day first"


def test_a_zone_in_the_label_is_evidence_too() -> None:
    reading = read_datetime("05/03/2026 14:00", zone_hint="IST")  # the zone itself is the caller's default_tz
    assert (reading.value, reading.rule) == (at(2026, 3, 5, 14), "zone IST writes day first")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue Mar 3 2026 08:15 EST", at(2026, 3, 3, 13, 15)),
        ("3-Mar-2026 08:15 UTC", at(2026, 3, 3, 8, 15)),
        ("2026-03-03T08:15:00+05:30", at(2026, 3, 3, 2, 45)),
        ("03/03/2026 8:15 p.m. EST", at(2026, 3, 4, 1, 15)),
        ("5 Mar 2026, 2:15pm SGT", at(2026, 3, 5, 6, 15)),
        ("05/03/2026 10:05 PM HKT", at(2026, 3, 5, 14, 5)),
        ("6 March 2026 01:05 AEDT", at(2026, 3, 5, 14, 5)),
        ("05/03/2026 19:35 IST", at(2026, 3, 5, 14, 5)),
        ("2026-03-05 23:05 JST", at(2026, 3, 5, 14, 5)),
        ("05.03.2026 1415Z", at(2026, 3, 5, 14, 15)),
        ("05.03.2026 14h15 CET", at(2026, 3, 5, 13, 15)),
        ("03/05/2026 2:05 PM Eastern Time", at(2026, 3, 5, 19, 5)),
        ("05/03/2026 14:05 Central European Time", at(2026, 3, 5, 13, 5)),
        ("03/05/2026 14:05 EST (19:05 UTC)", at(2026, 3, 5, 19, 5)),
        ("05.03.2026 14:05 CET / 13:05 UTC", at(2026, 3, 5, 13, 5)),
    ],
)
def test_clocks_zones_and_month_names(value: str, expected: datetime) -> None:
    assert read_datetime(value).value == expected


def test_a_time_without_a_date_is_placed_on_the_emails_date_and_warned() -> None:
    context = DateContext(sent=at(2026, 3, 5, 22, 30))
    estimate = read_datetime("02:00 UTC", context=context, forward=True)
    assert estimate.value == at(2026, 3, 6, 2)  # an estimate lies ahead
    assert "no date" in estimate.warning
    assert read_datetime("21:50 UTC", context=context).value == at(2026, 3, 5, 21, 50)
    assert read_datetime("Mar 4 23:10 UTC", context=context).value == at(2026, 3, 4, 23, 10)  # no year
    assert read_datetime("Dec 31 23:10 UTC", context=DateContext(sent=at(2027, 1, 1))).value.year == 2026


@pytest.mark.parametrize("value", ["TBD - next update at 16:00 UTC", "Unknown (update by 16:00)", "N/A 1"])
def test_a_placeholder_with_a_time_after_it_states_no_date(value: str) -> None:
    assert read_datetime(value, context=DateContext(sent=at(2026, 3, 5, 12)), forward=True) is None


def test_an_estimate_written_as_a_duration_counts_from_the_emails_date() -> None:
    context = DateContext(sent=at(2026, 3, 5, 22, 30))
    reading = read_datetime("within 2-4 hours", context=context, forward=True)
    assert reading.value == at(2026, 3, 6, 2, 30)
    assert "a duration" in reading.warning
    with pytest.raises(ValueError, match="not a date"):  # a start is no duration
        read_datetime("within 4 hours", context=context)


# --- labels ---


def test_dot_leaders_with_and_without_colon() -> None:
    text = "Ticket ......... GTT-1\nStart time.....: 05-Mar-2026 14:05 UTC\nETR \u2026 18:00 UTC\n"
    assert [(v.label, v.value) for v in labelled_lines(text)] == [
        ("Ticket", "GTT-1"),
        ("Start time", "05-Mar-2026 14:05 UTC"),
        ("ETR", "18:00 UTC"),
    ]


def test_label_scanning_reads_every_label_of_a_long_email() -> None:
    lines = "\n".join(f"Label {i}: value {i}\n  more {i}" for i in range(5000))
    values = list(labelled_lines(lines))
    assert len(values) == 5000
    assert values[-1].following == ("more 4999",)


def test_a_notice_with_unseen_wording_is_read_whole() -> None:
    text = (
        "Dear Customer,\n\n"
        "Trouble Ticket ....... TT-88\n"
        "State ................ Open - Fault isolated\n"
        "Time (GMT) of occurrence ..... 05/03/2026 14:05\n"
        "Estimated time to restore (GMT) ..... 05/03/2026 20:00\n"
        "Impacted services .... SVC-1 (London - Paris), SVC-2\n"
    )
    notice = outage(text, subject="Network incident TT-88")
    assert (notice.event_id, notice.status) == ("TT-88", "IDENTIFIED")
    assert notice.start == at(2026, 3, 5, 14, 5)
    assert notice.estimated_time_to_repair == at(2026, 3, 5, 20)
    assert [c.circuit_id for c in notice.circuits] == ["SVC-1", "SVC-2"]
    assert notice.warnings and all("day first" in w for w in notice.warnings)


def test_html_cells_with_a_separator_cell_and_a_zone_in_the_label() -> None:
    html = (
        "<table><tr><td>Fault Reference</td><td>:</td><td>EUN-1</td></tr>"
        "<tr><td>Fault Start (CET)</td><td>:</td><td>06/03/2026 09:10</td></tr>"
        "<tr><td>Impacted Services</td><td>:</td><td>W-1<br>W-2</td></tr></table>"
    )
    msg, meta = make_email("euNetworks Fault EUN-1", html=html)
    [notice] = parse_outage(msg, meta, ParserOptions())
    assert notice.start == at(2026, 3, 6, 8, 10)
    assert [c.circuit_id for c in notice.circuits] == ["W-1", "W-2"]


def test_fixed_width_labels_and_a_date_split_over_two_labels() -> None:
    text = "Ticket Number      4711\nOutage Start Date  03/05/2026\nOutage Start Time  08:05 AM CST\n"
    notice = outage(text, subject="Outage 4711")
    assert notice.event_id == "4711"
    assert notice.start == at(2026, 3, 5, 14, 5)


def test_a_reply_is_read_before_the_notice_it_quotes() -> None:
    text = (
        "Update: service restored at 15:10 UTC, closing the ticket.\n\n"
        "-----Original Message-----\nFrom: NOC <noc@carrier.example>\n\n"
        "Ticket: 4711\nStatus: Investigating\nStart: 2026-03-03 08:00 UTC\n"
    )
    notice = outage(text, subject="RE: Incident 4711")
    assert (notice.event_id, notice.status) == ("4711", "RESOLVED")  # the ticket may come from the quote
    assert notice.start is None  # a time only the quoted earlier notice states is not this email's


def test_a_circuit_table_with_a_bold_header_row() -> None:
    html = (
        "<p>Ticket: 9</p><table><tr><td><b>Circuit ID</b></td><td><b>A-End</b></td><td><b>B-End</b></td></tr>"
        "<tr><td>C-1</td><td>NYC</td><td>BOS</td></tr><tr><td>C-2</td><td>NYC</td><td>PHL</td></tr></table>"
    )
    msg, meta = make_email("Outage 9", html=html)
    [notice] = parse_outage(msg, meta, ParserOptions())
    assert [c.circuit_id for c in notice.circuits] == ["C-1", "C-2"]


def test_one_circuit_per_line_under_a_repeated_label() -> None:
    text = "Ticket: 5\nCircuit ID: C-1\nCircuit ID: C-2\n\n> Circuit ID: OLD-1\n"
    assert [c.circuit_id for c in outage(text, subject="Outage 5").circuits] == ["C-1", "C-2"]


def test_the_zone_an_email_states_for_all_its_times() -> None:
    text = "Ticket: 6\nStart: 05/07/2026 14:05\nETR: 05/07/2026 18:00\n\nAll times are CET.\n"
    notice = outage(text, subject="Outage 6")
    assert notice.start == at(2026, 7, 5, 13, 5)  # day first (CET), in CET
    assert notice.original_timezone == "CET"


def test_circuit_ids_without_their_description() -> None:
    assert split_ids(["OGYX/1//ZYO (Chicago - Dallas)", "LE-123456 - London to Paris"]) == [
        "OGYX/1//ZYO",
        "LE-123456",
    ]


# --- status wording ---


@pytest.mark.parametrize(
    ("wording", "status"),
    [
        ("Open - Fault isolated", "IDENTIFIED"),
        ("Open - fault not yet located", "INVESTIGATING"),
        ("Fiber cut located - splicing crew dispatched", "IDENTIFIED"),
        ("The fault has been cleared and service is back to normal.", "RESOLVED"),
        ("Service back to normal", "RESOLVED"),
        ("Closed", "RESOLVED"),
        ("Recovered", "RESOLVED"),
        ("Partially restored", "MONITORING"),
        ("Temporary fix in place", "MONITORING"),
        ("Under analysis", "INVESTIGATING"),
        ("Logged", "REPORTED"),
        ("Resolved - pending RFO", "RESOLVED"),
    ],
)
def test_the_most_specific_wording_wins(wording: str, status: str) -> None:
    assert map_status(wording, DEFAULT_OUTAGE_STATUS_MAP) == status


def test_the_subject_counts_when_the_body_states_no_known_status() -> None:
    notice = outage("Ticket: 9\nStatus: Engineer on site\n", subject="Incident 9 - Resolved")
    assert notice.status == "RESOLVED"


def test_a_restoration_time_on_a_resolved_notice_is_the_end() -> None:
    text = "Case ID: 7\nStatus: Resolved\nEstimated time to restore: 2026-03-05 14:20 UTC\n"
    resolved = outage(text, subject="Incident 7")
    assert (resolved.end, resolved.estimated_time_to_repair) == (at(2026, 3, 5, 14, 20), None)
    still_open = outage(text.replace("Resolved", "Investigating"), subject="Incident 7")
    assert (still_open.end, still_open.estimated_time_to_repair) == (None, at(2026, 3, 5, 14, 20))


# --- warnings, explain, config, declarative -----------------------------------------------------------------


def test_a_rule_that_decided_is_in_the_notice_and_the_log(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="parsers"):
        notice = outage("Ticket: 1\nStart: 05/07/2026 14:00 CET\n", subject="Incident 1")
    assert notice.warnings == ["start: '05/07/2026 14:00 CET' read as 2026-07-05: zone CET writes day first"]
    assert "zone CET writes day first" in caplog.text and "<test@example.net>" in caplog.text


def test_explain_shows_the_label_and_the_date_rule_of_each_field() -> None:
    msg, meta = make_email("Incident 1", "Ticket: 1\nTime of occurrence: 05.03.2026 14:00 CET\n")
    report = explain(msg, meta, ParserOptions())
    assert report["fields"]["start"]["source"] == "label 'Time of occurrence' (text)"
    assert report["fields"]["start"]["date_rule"] == "a dotted date is day first"
    assert report["notice"]["start"] == "2026-03-05T13:00:00Z"
    msg, meta = make_email("Weekly newsletter", "Nothing to see.")
    assert report["parser"] == "outage:generic" and explain(msg, meta, ParserOptions())["notice"] is None


def test_parse_explain_includes_the_outage_reader(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("NOTICES_INGESTOR_CONFIG", str(tmp_path / "absent.toml"))
    msg, meta = make_email("Incident 1", "Ticket: 1\nStart: 05.03.2026 14:00 CET\n")
    path = tmp_path / "n.eml"
    path.write_bytes(msg.as_bytes())
    assert main(["parse", "--explain", str(path)]) == 0
    [report] = json.loads(capsys.readouterr().out)["explain"]
    assert report["fields"]["start"]["date_rule"] == "a dotted date is day first"


def test_a_providers_date_order_in_the_config(tmp_path) -> None:
    base = '[netbox]\nurl = "https://netbox.example.com/"\ntoken = "t"\n'
    path = tmp_path / "config.toml"
    path.write_text(base + '[providers.carrier]\ndate_order = "DMY"\n')
    options = load_config(path).parser_options()
    assert options.date_orders == {"carrier": "DMY"}
    notice = outage("Ticket: 1\nStart: 05/03/2026 14:00\n", options=options, sender="noc@carrier.example")
    assert notice.start == at(2026, 3, 5, 14)
    assert "date_order configured for carrier" in notice.warnings[0]
    path.write_text(base + '[providers.carrier]\ndate_order = "YDM"\n')
    with pytest.raises(ConfigError, match="providers.carrier.date_order"):
        load_config(path)


def test_declarative_parsers_share_the_label_and_date_rules() -> None:
    definition = ParserDefinition(
        name="tiny", kind="outage", provider="tiny", senders=["tiny.example"], date_order="DMY",
        labels={"event_id": ["Works Ref"], "start": ["Fault Raised"]},
    )  # fmt: skip
    text = "Works Ref ........ W-1\nFault Raised ..... 05/03/2026 14:00\nStatus: Cleared\n"
    msg, meta = make_email("Fault W-1", text, sender="noc@tiny.example")
    [notice] = parse_declarative(msg, meta, ParserOptions(parsers=[definition]))
    assert (notice.event_id, notice.start, notice.status) == ("W-1", at(2026, 3, 5, 14), "RESOLVED")
    assert "date_order configured for tiny" in notice.warnings[0]
