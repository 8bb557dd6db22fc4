"""Hostile input: what the hot spots now give, metadata that never raises, the bounds on what reaches NetBox,
the library's log records, and a sized-down run of scripts/fuzz.py (the full run is `make fuzz`)."""

from __future__ import annotations

import importlib.util
import io
import logging
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import parsers.maintenance as maintenance
from ingestor.netbox.plan import notification_fields
from parsers import Verdict, bounded_result, parse_email
from parsers.email import arrival_time, cut_text, email_meta, html_to_text, read_message, sender_address
from parsers.errors import ParseFailure
from parsers.models import EmailMeta, Notice
from parsers.options import ParserOptions

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus"
HEAD = "From: NOC <noc@zayo.com>\nSubject: Maintenance\nDate: Mon, 2 Mar 2026 10:00:00 +0000\n"


def meta_of(raw: bytes) -> EmailMeta:
    return email_meta(read_message(raw), raw)


# --- hot spots: the same answers, in one pass ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x" * 200_000, "unknown@invalid"),  # no "@": nothing to find, at once
        ("a@b@c", "a@b"),
        ("<>, (comment) bob@example.org;", "bob@example.org"),
        ("@" * 1000 + " z@y.example", "z@y.example"),
    ],
)
def test_sender_from_malformed_from_headers(value, expected):
    assert sender_address(read_message(f"From: {value}\n\nbody".encode())) == expected


def test_html_to_text_keeps_pre_whitespace_and_cells_in_nested_markup():
    html = "<div>" * 500 + "<pre>a\n  b</pre><p>c\nd</p><table><tr><td>x</td><td>y</td></tr></table>"
    assert html_to_text(html + "</div>" * 500) == "a\nb\n\nc d\n\nx\ty"


def test_html_comments_are_dropped_and_an_unterminated_one_hides_the_rest():
    assert html_to_text("<p>seen<!-- hidden --> too</p>" * 2 + "<!--" * 1000) == "seen too\n\nseen too"
    assert html_to_text("<p>one</p><!-- <p>never closed</p>") == "one"


def test_a_subject_of_100k_encoded_words_is_read_up_to_the_header_cap():
    meta = meta_of(("Subject: " + "=?utf-8?q?ab?= " * 100_000 + "\n\nbody").encode())
    assert meta.subject.startswith("abab") and len(meta.subject) < 16 * 1024


# --- metadata never raises and keeps what it could read -------------------------------------------------


@pytest.mark.parametrize("charset", ["base64", "hex", "undefined", "rot13", "zlib", "x-no-such"])
def test_exotic_charsets_keep_subject_sender_and_body(charset):
    raw = (
        f"From: =?{charset}?B?Tk9D?= <noc@zayo.com>\nSubject: =?{charset}?Q?abc?= Maintenance\n"
        f"Content-Type: text/plain; charset={charset}\n\nbody text"
    ).encode()
    meta = meta_of(raw)
    assert (meta.sender, meta.body) == ("noc@zayo.com", "body text")
    assert meta.subject.endswith("Maintenance")


@pytest.mark.parametrize(
    "date", ["Fri, 31 Dec 9999 23:59:59 -1200", "Mon, 1 Jan 99999999999999999999 00:00:00 +0000"]
)
def test_an_overflowing_date_falls_back_to_now_and_keeps_the_rest(date):
    before = datetime.now(UTC)
    meta = meta_of(f"From: a@b.example\nSubject: kept\nDate: {date}\n\nbody".encode())
    assert meta.received >= before and (meta.subject, meta.sender) == ("kept", "a@b.example")


def test_a_thousand_levels_of_nesting_keep_the_headers():
    inner = b"Content-Type: text/plain\n\nbottom\n"
    for level in range(1000, 0, -1):
        boundary = b"b%d" % level
        inner = b"Content-Type: multipart/mixed; boundary=" + boundary + b"\n\n--" + boundary + b"\n"
        inner += b"\n--" + boundary + b"--\n"
    result = parse_email(HEAD.encode() + b"Message-ID: <deep@x>\n" + inner)
    assert (result.email.sender, result.email.subject, result.email.message_id) == (
        "noc@zayo.com",
        "Maintenance",
        "<deep@x>",
    )
    assert result.status in ("ignored", "failed") and result.reason


def test_an_epoch_overflow_in_a_library_stamp_is_that_providers_failure_only(monkeypatch):
    from tests.unit.test_parsers_corpus import fake_providers, library_maintenance, meta_and_msg

    fake_providers(
        monkeypatch,
        seaborn=lambda data: [library_maintenance("A", stamp=10**15)],
        turkcell=lambda data: [library_maintenance("B")],
    )
    msg, meta = meta_and_msg(b"From: inoc@superonline.net\nSubject: n\n\nbody\n")
    attempt = maintenance.parse_maintenances(msg, meta, ["seaborn", "turkcell"], ParserOptions())
    assert (attempt.status, attempt.provider) == ("parsed", "turkcell")


def test_an_epoch_overflow_is_named_in_the_reason(monkeypatch):
    from tests.unit.test_parsers_corpus import ZAYO_MAIL, fake_providers, library_maintenance, meta_and_msg

    fake_providers(monkeypatch, zayo=lambda data: [library_maintenance("A", stamp=10**15)])
    msg, meta = meta_and_msg(ZAYO_MAIL)
    attempt = maintenance.parse_maintenances(msg, meta, ["zayo"], ParserOptions())
    assert attempt.status == "failed"
    assert attempt.reason.endswith(f"result not usable: timestamp {10**15} is out of range")


# --- zip bombs ------------------------------------------------------------------------------------------


def zipped(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * size)
    return buffer.getvalue()


def att_email(attachment: bytes) -> bytes:
    import base64

    return (
        b"From: g31654@att.com\nSubject: AT&T Maintenance\nContent-Type: multipart/mixed; boundary=x\n\n"
        b"--x\nContent-Type: text/plain\n\nsee attached\n--x\nContent-Type: "
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\n"
        b"Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(attachment) + b"--x--\n"
    )


def test_an_attachment_inflating_past_the_cap_fails_the_email_naming_the_limit():
    result = parse_email(att_email(zipped(3 * 1024 * 1024)), ParserOptions(max_inflated_bytes=1024 * 1024))
    assert result.status == "failed"
    assert result.reason.startswith("attachment (application/vnd.openxmlformats")
    assert "[parsing] max_attachment_mb" in result.reason


def test_a_zip_lying_about_its_size_is_measured_by_what_it_inflates_to():
    data = zipped(3 * 1024 * 1024)
    lying = data.replace((3 * 1024 * 1024).to_bytes(4, "little"), (10).to_bytes(4, "little"))
    assert lying != data
    part = maintenance.DataPart("application/octet-stream", lying)
    data_with = maintenance.NotificationData(data_parts=[part])
    assert maintenance._inflated_size(lying, 1024 * 1024) <= 10  # zipfile stops at the declared size
    maintenance.check_archives(data_with, 1024 * 1024)  # ...so the library cannot inflate more either


def test_a_small_zip_passes_and_the_real_att_spreadsheet_still_parses():
    maintenance.check_archives(
        maintenance.NotificationData(data_parts=[maintenance.DataPart("x", zipped(1000))]), 1024 * 1024
    )
    att = CORPUS / "maintenance" / "emails" / "att" / "att1.eml"
    if att.exists():
        assert parse_email(att.read_bytes()).status == "parsed"


def test_too_many_calendar_events_fail_before_the_library_reads_them():
    event = b"BEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\n"
    calendar = b"BEGIN:VCALENDAR\r\n" + event * 51 + b"END:VCALENDAR\r\n"
    data = maintenance.NotificationData(data_parts=[maintenance.DataPart("text/calendar", calendar)])
    with pytest.raises(ParseFailure, match=r"51 calendar events in one email, more than the limit of 50"):
        maintenance.check_calendars(data, 50)


# --- bounds on what reaches NetBox ----------------------------------------------------------------------


def test_a_body_is_cut_on_a_character_boundary_with_a_visible_note():
    text = "ü" * 40_000  # 80,000 bytes of UTF-8
    cut = cut_text(text, 64 * 1024)
    assert len(cut.encode()) <= 64 * 1024
    assert cut.endswith(f"[truncated: {len(cut.split(chr(10))[0].encode())} of 80000 bytes shown]")
    assert cut_text("short", 64 * 1024) == "short"


def test_parse_email_cuts_the_body_at_max_body_bytes():
    raw = HEAD.encode() + b"\n" + b"long line of text\n" * 10_000
    result = parse_email(raw, ParserOptions(max_body_bytes=4096))
    assert len(result.email.body.encode()) <= 4096 and "[truncated:" in result.email.body


def notice(stamp: datetime, event_id: str = "E-1") -> Notice:
    return Notice(kind="outage", provider="p", event_id=event_id, stamp=stamp)


def test_more_notices_than_allowed_fail_the_email():
    meta = EmailMeta(message_id="<m>", received=datetime(2026, 1, 1, tzinfo=UTC))
    notices = [notice(meta.received, f"E-{index}") for index in range(51)]
    verdict = Verdict("parsed", notices, provider="p")
    result = bounded_result(meta, verdict, ParserOptions(), datetime.now(UTC))
    assert (result.status, result.notices) == ("failed", [])
    assert result.reason == "51 notices in one email, more than the limit of 50 ([parsing] max_notices)"


def test_a_stamp_and_date_in_the_future_are_held_to_arrival_plus_skew():
    arrival = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    latest = arrival + timedelta(hours=1)
    meta = EmailMeta(message_id="<m>", received=datetime(2099, 1, 1, tzinfo=UTC))
    honest = notice(arrival - timedelta(days=1))
    result = bounded_result(
        meta, Verdict("parsed", [notice(datetime(2099, 1, 1, tzinfo=UTC)), honest]), ParserOptions(), latest
    )
    assert [n.stamp for n in result.notices] == [latest, honest.stamp]
    assert result.email.received == latest


def test_arrival_is_the_sources_time_else_the_newest_received_header_else_now():
    msg = read_message(
        b"Received: from a by b; Mon, 2 Mar 2026 10:05:00 +0000\n"
        b"Received: from c by a; Mon, 2 Mar 2026 10:01:00 +0000\nDate: Sat, 1 Jan 2099 00:00:00 +0000\n\nx"
    )
    internal = datetime(2026, 3, 2, 10, 6, tzinfo=UTC)
    assert arrival_time(msg, internal) == internal
    assert arrival_time(msg) == datetime(2026, 3, 2, 10, 5, tzinfo=UTC)
    before = datetime.now(UTC)
    assert arrival_time(read_message(b"Subject: x\n\nbody")) >= before


def test_a_future_dated_email_is_shown_received_when_it_arrived():
    """The notification's received time is one that happened: the arrival (IMAP INTERNALDATE, else the
    newest Received header), while the clamp to arrival + stamp_skew_seconds is for ordering only."""
    raw = (REPO / "scripts" / "demo" / "emails" / "03-northwind-outage-investigating.eml").read_bytes()
    arrived = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    future = (arrived + timedelta(minutes=45)).strftime("%a, %d %b %Y %H:%M:%S +0000").encode()
    dated = raw.replace(b"Date: Tue, 08 Dec 2026 06:20:00 +0000", b"Date: " + future)
    assert dated != raw
    result = parse_email(dated, arrived=arrived)
    assert result.email.arrived == arrived
    assert notification_fields(result.email)["email_received"] == arrived
    assert result.email.received == arrived + timedelta(minutes=45)  # the Date, within the skew: orders
    without = parse_email(
        raw.replace(b"Date: Tue, 08 Dec 2026 06:20:00 +0000", b"Date: Sat, 01 Jan 2099 00:00:00 +0000")
    )
    assert without.email.arrived is not None and without.email.arrived <= datetime.now(UTC)


def test_a_forged_future_date_cannot_pin_an_outage():
    raw = (REPO / "scripts" / "demo" / "emails" / "03-northwind-outage-investigating.eml").read_bytes()
    forged = raw.replace(b"Date: Tue, 08 Dec 2026 06:20:00 +0000", b"Date: Sat, 01 Jan 2099 00:00:00 +0000")
    assert forged != raw
    arrived = datetime.now(UTC) - timedelta(days=1)
    result = parse_email(forged, arrived=arrived)
    assert result.status == "parsed"
    assert {n.stamp for n in result.notices} == {arrived + timedelta(hours=1)}


# --- library log records --------------------------------------------------------------------------------


def test_a_library_record_with_the_whole_email_becomes_one_short_line(caplog):
    whole_email = "Subject: x\n" + "body line\n" * 100_000
    logger = logging.getLogger("circuit_maintenance_parser.data")
    with caplog.at_level(logging.ERROR):
        try:
            raise KeyError("Subject")
        except KeyError:
            logger.exception("Error found initializing data from email message: %s", whole_email)
    records = [r for r in caplog.records if r.name == "circuit_maintenance_parser.data"]
    assert records
    for record in records:
        message = record.getMessage()
        assert "\n" not in message and len(message) <= 300
        assert message.startswith("Error found initializing data from email message: Subject: x body line")
        assert message.endswith("(KeyError: 'Subject')") and record.exc_info is None


# --- a sized-down fuzz run (the full one: make fuzz) ----------------------------------------------------


def load_fuzz():
    spec = importlib.util.spec_from_file_location("fuzz", REPO / "scripts" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz"] = module
    spec.loader.exec_module(module)
    return module


def small_hostile_set(fuzz) -> list[tuple[str, bytes]]:
    """One or two of each class of scripts/fuzz.py's hostile set, at sizes a unit test can afford."""
    mib = 1024 * 1024
    hex_subject = fuzz.BASE.replace("Maintenance", "=?hex?Q?a?=")
    return [
        ("nested-60", fuzz.nested_mime(60)),
        ("nested-1500", fuzz.nested_mime(1500)),
        ("rfc822-500", fuzz.nested_mime(500, "message/rfc822")),
        ("from-without-at", fuzz.email(fuzz.BASE.replace("NOC <noc@zayo.com>", "x" * 300_000), b"hi")),
        ("subject-words", fuzz.email(fuzz.BASE.replace("Maintenance", "=?utf-8?q?a?= " * 20_000), b"x")),
        ("charset-hex", fuzz.email(hex_subject, b"x", "text/plain; charset=hex")),
        ("date-overflow", fuzz.email(fuzz.BASE.replace("Mon, 2 Mar 2026", "Fri, 31 Dec 9999"), b"x")),
        ("html-nested", fuzz.email(fuzz.BASE, b"<div>" * 20_000 + b"</div>" * 20_000, "text/html")),
        ("html-comments", fuzz.email(fuzz.BASE, b"<!--" * 50_000, "text/html")),
        ("ical-future-stamp", fuzz.ical(DTSTAMP="29991231T000000Z")),
        ("ical-many-events", fuzz.ical(500)),
        ("xlsx-bomb", fuzz.att_with_attachment(fuzz.zip_bomb(80 * mib))),
        ("binary", bytes(range(256)) * 400),
        ("empty", b""),
        ("big-body", fuzz.email(fuzz.BASE, b"line of text\n" * (mib // 2))),
    ]


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"provider email corpus not found at {CORPUS}")
def test_a_sized_down_fuzz_run_keeps_every_promise():
    fuzz = load_fuzz()
    options = ParserOptions(timeout_seconds=3)
    corpus = [item for index, item in enumerate(fuzz.inputs(1, big=0, seed=3)) if index % 5 == 0]
    items = small_hostile_set(fuzz) + corpus[-40:]
    figures = fuzz.run(items, options, kill_every=20)
    report = fuzz.report(figures, options, rss_bound_mb=400)
    assert figures.inputs == len(items) == sum(figures.statuses.values()), report
    assert not figures.crashes and not figures.hangs and not figures.out_of_bounds, report
    assert figures.kills == figures.kill_attempts == figures.recovered_after_kill >= 2, report
    assert figures.statuses["parsed"] > 0 and figures.statuses["failed"] > 0, report
