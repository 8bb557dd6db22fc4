"""The one redaction helper: every log line, error message and command output goes through ``redact``.

Secrets reach text by paths nobody planned: requests' ``InvalidHeader`` quotes a whole ``Authorization``
header, a misbehaving token endpoint echoes the form it was sent (``client_secret=...`` URL-encoded), an
IMAP error quotes the LOGIN command (the password IMAP-quoted), a URL carries ``user:password@``, a Basic
or XOAUTH2 string is base64. So the known secrets (each SecretStr of the config, each access token once
fetched) are registered here and cut out of any text in all of those forms, and the shapes that carry a
credential whatever its value (``Authorization:`` values, URL userinfo) are cut out too.

``RedactingStream`` wraps ``sys.stdout``/``sys.stderr`` (installed by the CLI), so nothing written to
them — print, logging, a traceback Python prints on its way out — can carry a registered secret.
"""

from __future__ import annotations

import base64
import io
import json
import re
import threading
from collections.abc import Iterable
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
MIN_SECRET_LENGTH = 4  # shorter values would cut ordinary words out of every line
_lock = threading.Lock()
_forms: list[str] = []  # every registered secret in every form, longest first
_pattern: re.Pattern[str] | None = None

# A credential whatever its value: an Authorization header's value, URL userinfo, a form field or query
# parameter that names a secret, an IMAP LOGIN command's arguments.
_SECRET_KEYS = r"(?:access_token|refresh_token|client_secret|password|id_token|assertion)"
_SHAPES = re.compile(
    r"(?P<header>(?i:authorization)['\"]?\s*[:=]\s*['\"]?)(?:(?i:basic|bearer|token)\s+)?[^\s'\",}]+"
    rf"|(?P<form>\b{_SECRET_KEYS}=)[^\s&'\",}}]+"
    rf"|(?P<json>\"{_SECRET_KEYS}\"\s*:\s*\")[^\"]+"
    r"|(?P<userinfo>\b[a-z][a-z0-9+.-]*://)[^/\s@:]*:[^/\s@]*@"
    r'|(?P<login>\bLOGIN\s+\S+\s+)(?:"(?:[^"\\]|\\.)*"|\S+)'
)


def _base64_forms(secret: bytes) -> set[str]:
    """The secret's bytes as they show inside any base64 text, at each of the three alignments (the
    characters that straddle its edges depend on its neighbours, so they are left out)."""
    forms = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode()
        start = (offset * 8 + 5) // 6 + (1 if offset else 0)
        end = len(encoded) - encoded.count("=") - 1
        if end - start >= MIN_SECRET_LENGTH:
            forms.add(encoded[start:end])
    return forms


def _imap_quoted(secret: str) -> str:
    return '"' + secret.replace("\\", "\\\\").replace('"', '\\"') + '"'


def forms_of(secret: str) -> set[str]:
    """Every form in which ``secret`` is written into text: raw, repr/JSON-escaped, IMAP-quoted,
    URL-encoded (both flavours) and base64 (any alignment)."""
    written = {secret, _imap_quoted(secret)}
    # as a repr or JSON string shows them (backslashes and quotes escaped once more)
    escaped = {form.encode("unicode_escape").decode() for form in written}
    escaped |= {json.dumps(form)[1:-1] for form in written}
    encoded = {quote(secret, safe=""), quote_plus(secret)}
    forms = written | escaped | encoded
    for form in {secret} | encoded:  # HTTP Basic encodes the URL-encoded secret (RFC 6749 §2.3.1)
        forms |= _base64_forms(form.encode())
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def register(secrets: Iterable[str | None]) -> None:
    """Remember secrets (config values, fetched tokens) so that no later output carries them."""
    global _pattern
    new = set()
    for secret in secrets:
        # a multi-line secret (a key file's JSON and PEM) shows up line by line, escaped or not
        for part in {secret, *(secret or "").splitlines(), *(secret or "").split("\\n")}:
            if part and len(part) >= MIN_SECRET_LENGTH:
                new |= forms_of(part)
    with _lock:
        merged = sorted(set(_forms) | new, key=len, reverse=True)
        if merged == _forms:
            return
        _forms[:] = merged
        _pattern = re.compile("|".join(re.escape(form) for form in merged))


def forget_all() -> None:
    """Tests: start with no registered secret."""
    global _pattern
    with _lock:
        _forms.clear()
        _pattern = None


def _shape(match: re.Match[str]) -> str:
    kept = next(group for group in match.groups() if group is not None)
    return kept + MASK + ("@" if match.group("userinfo") else "")


def redact(text: str) -> str:
    """``text`` without any registered secret (in any of its forms) or credential-shaped value."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _SHAPES.sub(_shape, text)


def redact_value(value: Any) -> Any:
    """Strings in a structure (a log event's values) redacted; other values as they are."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        items = [redact_value(item) for item in value]
        if hasattr(value, "_fields"):  # a NamedTuple (an EventKey) takes its fields one by one
            return type(value)(*items)
        return type(value)(items)
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """Control characters (from Message-IDs, subjects, file names) as visible escapes: raw, they could
    move a terminal's cursor, rewrite earlier lines or set its title."""
    return _CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode(), text)


class RedactingStream(io.TextIOBase):
    """A text stream that redacts what is written and never fails on an unencodable character (a
    non-UTF-8 file name decoded with surrogateescape, on an ASCII stdout): it is written escaped."""

    def __init__(self, stream: TextIO, *, controls: bool = False):
        super().__init__()
        self._stream = stream
        self._controls = controls and _isatty(stream)
        encoding = getattr(stream, "encoding", None) or "utf-8"
        self._encoding = encoding

    def write(self, text: str) -> int:
        clean = redact(text)
        if self._controls:
            clean = escape_controls(clean)
        clean = clean.encode(self._encoding, "backslashreplace").decode(self._encoding, "replace")
        self._stream.write(clean)
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return _isatty(self._stream)

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding

    def writable(self) -> bool:
        return True


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def install() -> None:
    """Wrap sys.stdout and sys.stderr (once): every later write of this process is redacted."""
    import sys

    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout, controls=True)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)
