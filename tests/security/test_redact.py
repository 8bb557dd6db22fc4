"""The redaction helper (ingestor.redact) in each form a secret takes on its way into text, and the
shapes that carry a credential whatever its value."""

from __future__ import annotations

import base64
import io
import json
from urllib.parse import quote, quote_plus

import pytest

from ingestor import redact

SECRET = 'Zq9"x\\W7+/&= S3cret'


@pytest.fixture(autouse=True)
def registered():
    redact.forget_all()
    redact.register([SECRET])
    yield
    redact.forget_all()


@pytest.mark.parametrize(
    "text",
    [
        f"raw {SECRET} here",
        f"url {quote(SECRET, safe='')} and {quote_plus(SECRET)}",
        '"' + SECRET.replace("\\", "\\\\").replace('"', '\\"') + '"',  # IMAP-quoted
        json.dumps({"password": SECRET}),  # JSON-escaped
        repr(SECRET.encode()),  # a bytes repr
        base64.b64encode(b"user=noc\x01auth=Bearer " + SECRET.encode() + b"\x01\x01").decode(),
        base64.b64encode(b"ab:" + SECRET.encode()).decode(),
        base64.b64encode(b"client:" + quote(SECRET, safe="").encode()).decode(),  # HTTP Basic, RFC 6749
    ],
)
def test_every_form_of_a_registered_secret_is_cut(text: str) -> None:
    assert "S3cret" not in redact.redact(text)
    assert not any(form in redact.redact(text) for form in redact.forms_of(SECRET))


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Authorization: Bearer eyJhbGciOi.unknown", "Authorization: [redacted]"),
        ("{'authorization': 'Token 0123abcd'}", "{'authorization': '[redacted]'}"),
        ("https://noc:pw0rd@nb.example.net/api", "https://[redacted]@nb.example.net/api"),
        ("grant_type=refresh_token&refresh_token=abc123&client_id=x", "refresh_token=[redacted]&client_id=x"),
        ('{"access_token": "eyJ0eXAi"}', '{"access_token": "[redacted]"}'),
        ('a1 LOGIN noc "un known"', "a1 LOGIN noc [redacted]"),
    ],
)
def test_credential_shapes_are_cut_whatever_the_value(text: str, kept: str) -> None:
    assert kept in redact.redact(text)


def test_ordinary_text_is_left_alone() -> None:
    text = "no password: set password, password_file or password_env; login failed for noc"
    assert redact.redact(text) == text


def test_the_stream_redacts_and_never_fails_on_an_unencodable_name() -> None:
    target = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="strict")
    stream = redact.RedactingStream(target)
    stream.write(f"file notice-\udcff.eml token {SECRET}\n")
    stream.flush()
    written = target.buffer.getvalue().decode("ascii")
    assert "S3cret" not in written and "\\udcff" in written


def test_control_characters_are_escaped() -> None:
    assert redact.escape_controls("<a\x1b]0;x\x07@b>\n") == "<a\\x1b]0;x\\x07@b>\n"


def test_a_named_tuple_in_a_log_value_is_redacted_field_by_field(registered):
    """Log events carry typed keys (ingestor.netbox.rows.EventKey, a NamedTuple): rebuilding one from a
    single iterable raised a TypeError inside the logger."""
    from ingestor.netbox.rows import EventKey

    key = EventKey("maintenance", 7, f"MW {SECRET}")
    cleaned = redact.redact_value({"event_key": key, "pair": (1, SECRET)})
    assert cleaned["event_key"] == EventKey("maintenance", 7, "MW " + redact.redact(SECRET))
    assert SECRET not in str(cleaned) and cleaned["pair"][0] == 1
