"""Reading raw email bytes (parsers.email) and parse_email's promise never to raise."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta

import pytest

import parsers.parse
from parsers import Verdict, parse_email
from parsers.email import (
    UNKNOWN_SENDER,
    body_text,
    decode_bytes,
    email_meta,
    html_to_text,
    message_text,
    read_message,
)
from parsers.errors import ParseFailure
from parsers.models import Notice, ParseResult
from parsers.options import ParserOptions


def meta_of(raw: bytes):
    return email_meta(read_message(raw), raw)


def simple(headers: str, body: bytes = b"Hello.\n") -> bytes:
    return headers.strip().replace("\n", "\r\n").encode("ascii") + b"\r\n\r\n" + body


MULTIPART = b"""From: NOC <noc@example.net>
Subject: Test
Date: Mon, 02 Aug 2021 08:05:06 +0000
Message-ID: <multi@example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset="utf-8"

%(plain)s
--inner
Content-Type: text/html; charset="utf-8"

<html><body><p>First line<br>Second line</p><table><tr><td>Circuit</td><td>Impact</td></tr>
<tr><td>ABC-1</td><td>Outage</td></tr></table></body></html>
--inner--
--outer
Content-Type: text/plain; name="notes.txt"
Content-Disposition: attachment; filename="notes.txt"

attached notes
--outer--
"""


# --- headers -------------------------------------------------------------------------------------------


def test_message_id_is_stripped_of_whitespace_and_keeps_brackets():
    raw = simple("From: a@example.com\nMessage-ID:\n <abc.123@example.com> ")
    assert meta_of(raw).message_id == "<abc.123@example.com>"


def test_missing_message_id_becomes_hash_of_the_bytes():
    raw = simple("From: a@example.com\nSubject: no id")
    assert meta_of(raw).message_id == "sha256:" + hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("=?utf-8?q?Caf=C3=A9?= au =?iso-8859-1?q?lait?=", "Café au lait"),
        ("=?UTF-8?B?V2FydHVuZ3NhcmJlaXRlbiBpbiBLw7ZsbiDigJMgVXBkYXRl?=", "Wartungsarbeiten in Köln – Update"),
        ("Planned work =?utf-8?b?4oCT?=\n Cancelled", "Planned work – Cancelled"),  # folded
        ("Many    spaces\n\tand a fold", "Many spaces and a fold"),
        ("x =?bogus-charset?q?abc?= y", "x abc y"),
        ("=?utf-8?b?!!!not-base64?=", "=?utf-8?b?!!!not-base64?="),  # undecodable: kept as written
    ],
)
def test_subject_is_decoded_unfolded_and_collapsed(header, expected):
    raw = simple(f"From: a@example.com\nSubject: {header}")
    assert meta_of(raw).subject == expected


def test_raw_8bit_subjects_are_decoded():
    utf8 = b"From: a@example.com\r\nSubject: Caf\xc3\xa9 \xe2\x82\xac\r\n\r\nbody"
    latin1 = b"From: a@example.com\r\nSubject: Caf\xe9 cr\xe8me\r\n\r\nbody"
    assert meta_of(utf8).subject == "Café €"
    assert meta_of(latin1).subject == "Café crème"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ("From: Change Management <fiberChangemgmt@CrownCastle.com>", "fiberchangemgmt@crowncastle.com"),
        ('From: "Cogent-NoReply@cogentco.com" <Cogent-NoReply@cogentco.com>', "cogent-noreply@cogentco.com"),
        ("From: mr@zayo.com", "mr@zayo.com"),
        ("From: =?utf-8?q?J=C3=B6rg?= <joerg@example.de>", "joerg@example.de"),
        ("From: undisclosed\nSender: list-bounces@example.org", "list-bounces@example.org"),
        ("Return-Path: <bounce@example.org>", "bounce@example.org"),
        ("Subject: nobody", UNKNOWN_SENDER),
    ],
)
def test_sender_is_the_bare_lower_case_address(headers, expected):
    assert meta_of(simple(headers)).sender == expected


def test_date_becomes_aware_utc():
    received = meta_of(simple("From: a@b.example\nDate: Tue, 10 Aug 2021 06:00:00 +0200")).received
    assert received == datetime(2021, 8, 10, 4, 0, tzinfo=UTC)
    assert received.utcoffset() == timedelta(0)


def test_date_with_unknown_zone_is_utc():
    received = meta_of(simple("From: a@b.example\nDate: Tue, 10 Aug 2021 06:00:00 -0000")).received
    assert received == datetime(2021, 8, 10, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize("headers", ["From: a@b.example", "From: a@b.example\nDate: sometime next week"])
def test_missing_or_unreadable_date_falls_back_to_now(headers):
    before = datetime.now(UTC)
    received = meta_of(simple(headers)).received
    assert before - timedelta(seconds=1) <= received <= datetime.now(UTC) + timedelta(seconds=1)
    assert received.tzinfo is not None


# --- bodies --------------------------------------------------------------------------------------------


def test_body_prefers_text_plain_and_skips_attachments():
    msg = read_message(MULTIPART % {b"plain": b"Plain text version."})
    assert body_text(msg) == "Plain text version."


@pytest.mark.parametrize("plain", [b"This message is HTML only.", b"", b"  \n  "])
def test_body_uses_html_when_plain_is_a_placeholder_or_empty(plain):
    body = body_text(read_message(MULTIPART % {b"plain": plain}))
    assert body.splitlines()[:2] == ["First line", "Second line"]
    assert "Circuit\tImpact" in body and "ABC-1\tOutage" in body
    assert "attached notes" not in body


def test_body_of_a_bare_calendar_invite_is_its_text():
    raw = simple(
        "From: a@b.example\nContent-Type: text/calendar; charset=utf-8",
        b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
    )
    assert meta_of(raw).body.startswith("BEGIN:VCALENDAR")


def test_message_text_has_subject_plain_html_and_text_attachments():
    text = message_text(read_message(MULTIPART % {b"plain": b"Plain text version."}))
    for expected in ("Test", "Plain text version.", "Second line", "ABC-1\tOutage", "attached notes"):
        assert expected in text


def test_html_to_text_keeps_lines_and_drops_scripts():
    html = (
        "<html><head><style>p {color: red}</style><title>t</title><script>var x = 1;</script>"
        "<body><div>Start:\n   2021-08-10</div><p>End: <b>2021-08-11</b></p>Line<br/>break"
        "<!-- a comment --><pre>keep   this</pre></body></html>"
    )
    assert html_to_text(html).splitlines() == [
        "Start: 2021-08-10",
        "",
        "End: 2021-08-11",
        "Line",
        "break",
        "keep this",
    ]


def test_html_with_an_unclosed_head_still_gives_its_text():
    # html.parser wraps everything after an unclosed <head> into it (as in a real Cogent notice)
    assert "Work order: 123" in html_to_text("<html><head><meta charset=utf-8><div>Work order: 123</div>")


# --- charsets ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "charset", "expected"),
    [
        ("Köln".encode("latin-1"), "iso-8859-1", "Köln"),
        ("“quoted” – dash".encode("cp1252"), None, "“quoted” – dash"),  # undeclared Windows text
        ("Köln".encode("latin-1"), "us-ascii", "Köln"),  # 8-bit bytes under a 7-bit label
        ("Köln".encode(), None, "Köln"),
        ("Köln".encode(), "x-unknown-charset", "Köln"),
        (b"bad \xff\xfe byte", "utf-8", "bad \ufffd\ufffd byte"),
        (b"\x81\x8d\x8f", None, "\x81\x8d\x8f"),  # not cp1252: latin-1 takes anything
        (b"", "utf-8", ""),
        (None, None, ""),
    ],
)
def test_decode_bytes_never_raises(data, charset, expected):
    assert decode_bytes(data, charset) == expected


def test_latin1_and_cp1252_bodies_are_decoded():
    latin1 = simple(
        "From: a@b.example\nContent-Type: text/plain; charset=iso-8859-1", "Grüße".encode("latin-1")
    )
    cp1252 = simple("From: a@b.example\nContent-Type: text/plain", "“Wartung”".encode("cp1252"))
    assert meta_of(latin1).body == "Grüße"
    assert meta_of(cp1252).body == "“Wartung”"


def test_broken_base64_and_broken_bytes_do_not_raise():
    raw = simple(
        "From: a@b.example\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64",
        b"SGVsbG8g\xff\xfe!!!===",
    )
    meta = meta_of(raw)
    assert isinstance(meta.body, str)


# --- parse_email never raises ----------------------------------------------------------------------------

ODD_INPUTS = {
    "empty": b"",
    "blob": bytes(range(256)) * 4,
    "no headers": b"just some text without any header\n",
    "latin-1 headers and body": b"From: J\xf6rg <j@example.de>\nSubject: Gr\xfc\xdfe\n\nK\xf6ln\n",
    "cp1252 quotes": b"From: a@b.example\nSubject: \x93x\x94\n\n\x93quoted\x94\n",
    "broken utf-8": b"From: a@b.example\nSubject: \xc3(\nContent-Type: text/plain; charset=utf-8\n\n\xe2(\n",
    "broken multipart": b"From: a@b.example\nContent-Type: multipart/mixed; boundary=zzz\n\n--zzz\nno end",
    "bad charset": b'From: a@b.example\nContent-Type: text/plain; charset="bogus"\n\nhi\n',
    "ical garbage": b"From: a@b.example\nContent-Type: text/calendar\n\nBEGIN:VCALENDAR\nBEGIN:VEVENT\n",
}


@pytest.mark.parametrize("raw", ODD_INPUTS.values(), ids=ODD_INPUTS.keys())
def test_parse_email_returns_a_result_for_odd_input(raw):
    result = parse_email(raw, ParserOptions(timeout_seconds=15))
    assert isinstance(result, ParseResult)
    assert result.status in ("parsed", "ignored", "failed")
    assert result.email.message_id


def test_parse_email_tolerates_a_str_instead_of_bytes():
    result = parse_email("From: a@b.example\n\nhello")  # type: ignore[arg-type]
    assert isinstance(result, ParseResult)


def test_an_unrelated_email_is_ignored_as_unrecognised(monkeypatch):
    monkeypatch.setattr(parsers.parse, "STAGES", (parsers.parse.maintenance_stage,))
    raw = simple("From: Friend <friend@example.org>\nSubject: Lunch on Friday?", b"Pizza at noon?\n")
    result = parse_email(raw)
    assert result.status == "ignored"
    assert result.reason == "no parser recognised this email (sender friend@example.org)"


# --- the stage chain -----------------------------------------------------------------------------------

RAW = simple("From: noc@provider.example\nSubject: x\nMessage-ID: <chain@example>")


def notice(provider: str = "acme") -> Notice:
    return Notice(kind="outage", provider=provider, event_id="T-1", stamp=datetime(2026, 1, 1, tzinfo=UTC))


def stage_returning(verdict):
    def stage(msg, meta, options):
        return verdict

    return stage


def test_first_final_verdict_wins(monkeypatch):
    monkeypatch.setattr(
        parsers.parse,
        "STAGES",
        (
            stage_returning(None),
            stage_returning(Verdict("parsed", [notice("first")], provider="first")),
            stage_returning(Verdict("parsed", [notice("second")], provider="second")),
        ),
    )
    result = parse_email(RAW)
    assert (result.status, result.provider) == ("parsed", "first")
    assert result.email.message_id == "<chain@example>"


def test_a_non_final_verdict_stands_only_if_no_later_stage_parses(monkeypatch):
    reason = "excluded by provider filters: arelion"
    filtered = Verdict("ignored", reason=reason, provider="arelion", final=False)
    monkeypatch.setattr(parsers.parse, "STAGES", (stage_returning(filtered), stage_returning(None)))
    assert parse_email(RAW).reason == reason

    later = Verdict("parsed", [notice("arelion")], provider="arelion")
    monkeypatch.setattr(parsers.parse, "STAGES", (stage_returning(filtered), stage_returning(later)))
    assert parse_email(RAW).status == "parsed"


def test_parse_failure_and_unexpected_errors_become_failed(monkeypatch):
    def refuses(msg, meta, options):
        raise ParseFailure("acme-fiber: no event_id (label 'Ticket Ref' not found)")

    def crashes(msg, meta, options):
        raise KeyError("start")

    monkeypatch.setattr(parsers.parse, "STAGES", (refuses,))
    assert parse_email(RAW).reason == "acme-fiber: no event_id (label 'Ticket Ref' not found)"
    monkeypatch.setattr(parsers.parse, "STAGES", (crashes,))
    result = parse_email(RAW)
    assert (result.status, result.reason) == ("failed", "KeyError: 'start'")


def test_parse_email_does_not_leak_an_openai_key(monkeypatch):
    monkeypatch.setattr(parsers.parse, "STAGES", (parsers.parse.maintenance_stage,))
    monkeypatch.setenv("PARSER_OPENAI_API_KEY", "sk-test")
    parse_email(simple("From: mr@zayo.com\nSubject: hello", b"not a notice"))
    assert "PARSER_OPENAI_API_KEY" not in os.environ
