"""Reading raw email bytes into a message, its metadata and its readable text.

Mailboxes hold whatever senders produce: wrong or missing charsets, 8-bit headers, broken MIME,
missing Date or Message-ID. Nothing here raises on such input; every reader falls back to something
sensible, because a notice must be quarantined with a reason rather than lost to an exception.
"""

from __future__ import annotations

import codecs
import email
import email.header
import email.parser
import email.utils
import hashlib
import re
from datetime import UTC, datetime, timedelta
from email.message import Message
from html.parser import HTMLParser

from parsers.models import EmailMeta
from parsers.quotes import HTML_QUOTE_LINE, is_quote_container

UNKNOWN_SENDER = "unknown@invalid"
# Some senders put this (or nothing) in the text/plain alternative of an HTML mail.
HTML_ONLY_MARKERS = ("this message is html only",)

_WHITESPACE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
# Address-like tokens are found by splitting on these (one linear pass) rather than by a regex search,
# which rescans the rest of the header from every position: quadratic on a long From without "@".
_ADDRESS_SEPARATORS = re.compile(r"[\s<>\"',;:()\[\]]+")
# Longer header values are cut before decoding: decode_header() is quadratic in the number of encoded
# words (a subject of 100k of them took minutes), and no real subject, sender or Message-ID is this long.
HEADER_MAX_CHARS = 16 * 1024
HEADER_BLOCK_BYTES = 256 * 1024  # what is read of an email for its headers alone (header_block)


def read_message(raw: bytes) -> Message:
    """Parse raw bytes into a Message; never raises (broken input gives a message with what was readable)."""
    data = _as_bytes(raw)
    try:
        # compat32 (the default) is the most forgiving policy: defects are recorded, not raised, and it is
        # the Message type circuit-maintenance-parser walks.
        return email.message_from_bytes(data)
    except MemoryError:
        raise
    except Exception:  # RecursionError on ~1,000 nested parts: keep the headers, the body stays text
        try:
            return email.parser.BytesParser().parsebytes(data, headersonly=True)
        except Exception:  # a blob that breaks even the header parser becomes a text body
            message = Message()
            message.set_payload(data.decode("latin-1"))
            return message


def email_meta(msg: Message, raw: bytes) -> EmailMeta:
    """The email's identity and readable body as the later stages need them.

    Each field is read on its own and falls back on its own, so an exotic charset in the subject or a
    body that defeats the reader still leaves the sender, the date and the Message-ID.
    """
    return EmailMeta(
        **_identity(msg, raw),
        body=_safely(lambda: body_text(msg), str),
        body_digest=_safely(lambda: body_digest(raw), str),
    )


def header_block(raw: bytes, max_bytes: int = HEADER_BLOCK_BYTES) -> Message:
    """The header block alone (at most ``max_bytes`` read), parsed at little cost in the daemon's own
    memory; an empty message when it cannot be read."""
    head = _as_bytes(raw)[:max_bytes]
    return _safely(lambda: email.parser.BytesParser().parsebytes(head, headersonly=True), Message)


def header_meta(raw: bytes, max_bytes: int = HEADER_BLOCK_BYTES) -> EmailMeta:
    """The email's identity from its header block alone: for an email that failed without a parse
    result (its worker was killed). No body digest: a failed email never reaches NetBox, where the
    digest serves."""
    return EmailMeta(**_identity(header_block(raw, max_bytes), _as_bytes(raw)))


def _identity(msg: Message, raw: bytes) -> dict:
    return {
        "message_id": _safely(lambda: message_id(msg, raw), lambda: _hash_id(raw)),
        "subject": _safely(lambda: header_text(msg, "Subject"), str),
        "sender": _safely(lambda: sender_address(msg), lambda: UNKNOWN_SENDER),
        "received": _safely(lambda: received_at(msg), _now),
        "date_offset_minutes": _safely(lambda: date_offset_minutes(msg), lambda: None),
    }


def _safely(read, fallback):
    """read(), or fallback() when it raises: metadata reading must never fail the email by itself."""
    try:
        return read()
    except MemoryError:  # the worker's memory limit: not this field's problem, the parse must stop
        raise
    except Exception:
        return fallback()


def _now() -> datetime:
    return datetime.now(UTC)


def _hash_id(raw: bytes) -> str:
    return f"sha256:{hashlib.sha256(_as_bytes(raw)).hexdigest()}"


def arrival_time(msg: Message, arrived: datetime | None = None) -> datetime:
    """When the email reached us: the source's own time (IMAP INTERNALDATE) if given, else the date of the
    newest (topmost) Received: header, else now; never later than now.

    Unlike the Date header this is not the sender's to choose, so it bounds the stamps a sender can forge.
    """
    return known_arrival(msg, arrived) or _now()


def known_arrival(msg: Message, arrived: datetime | None = None) -> datetime | None:
    """arrival_time, None when neither the source nor a Received header says."""
    when = arrived if arrived is not None else _safely(lambda: _newest_received(msg), lambda: None)
    if when is None:
        return None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return min(when, _now())


def latest_credible(arrival: datetime, skew_seconds: float) -> datetime:
    """The latest stamp an email arriving at ``arrival`` may carry (its clock may be a little ahead)."""
    try:
        return arrival + timedelta(seconds=skew_seconds)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


def _newest_received(msg: Message) -> datetime | None:
    for name, value in msg.raw_items():
        if name.lower() != "received" or ";" not in str(value):
            continue
        moment = _parse_date(str(value)[:HEADER_MAX_CHARS].rsplit(";", 1)[1])
        if moment is not None:
            return moment
    return None


def body_digest(raw: bytes) -> str:
    """sha256 (first 16 hex digits) of what follows the header block, line endings and trailing
    whitespace normalised, so transport re-encoding of line ends does not make a new email."""
    data = _as_bytes(raw).replace(b"\r\n", b"\n")
    end_of_headers = data.find(b"\n\n")
    body = data[end_of_headers + 2 :] if end_of_headers >= 0 else b""
    normalised = b"\n".join(line.rstrip() for line in body.strip().split(b"\n"))
    return hashlib.sha256(normalised).hexdigest()[:16]


def message_id(msg: Message, raw: bytes) -> str:
    """The Message-ID header without whitespace (angle brackets kept), else a hash of the bytes."""
    value = "".join(header_text(msg, "Message-ID").split())
    return value or _hash_id(raw)


def header_text(msg: Message, name: str) -> str:
    """A header decoded from RFC 2047 and raw 8-bit bytes, unfolded, whitespace collapsed; "" if absent."""
    raw_value = _raw_header(msg, name)
    if raw_value is None:
        return ""
    raw_value = raw_value[:HEADER_MAX_CHARS]
    # 8-bit bytes in a header arrive as surrogate escapes: give them back their bytes and guess the charset.
    text = decode_bytes(raw_value.encode("ascii", "surrogateescape"), None)
    # Unfold before decoding: decode_header() works line by line and would drop the folding whitespace.
    text = _FOLD.sub("", text)
    try:
        chunks = email.header.decode_header(text)
    except Exception:  # malformed encoded words: keep the text as it is
        chunks = [(text, None)]
    decoded = "".join(
        chunk if isinstance(chunk, str) else decode_bytes(chunk, charset) for chunk, charset in chunks
    )
    return _WHITESPACE.sub(" ", decoded).strip()


def sender_address(msg: Message) -> str:
    """Bare lower-case address from From, else Sender or Return-Path, else 'unknown@invalid'."""
    for name in ("From", "Sender", "Return-Path"):
        address = _first_address(header_text(msg, name))
        if address:
            return address
    return UNKNOWN_SENDER


def received_at(msg: Message) -> datetime:
    """The Date header as an aware UTC datetime; now (UTC) when absent or unreadable."""
    return _parse_date(header_text(msg, "Date")) or _now()


def date_offset_minutes(msg: Message) -> int | None:
    """The Date header's offset east of UTC in minutes, as the sender's clock wrote it; None when the header
    is absent or unreadable, or says "-0000" (RFC 5322: the local zone is unknown)."""
    value = header_text(msg, "Date")
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip()) if value.strip() else None
    except (TypeError, ValueError, IndexError, OverflowError, AttributeError):
        return None
    offset = parsed.utcoffset() if parsed is not None and parsed.tzinfo is not None else None
    return None if offset is None else int(offset.total_seconds() // 60)


def _parse_date(value: str) -> datetime | None:
    """An RFC 5322 date as aware UTC, or None when unreadable or out of range (year 9999 +1200...)."""
    if not value or not value.strip():
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
        # "-0000" (zone unknown) gives a naive datetime; RFC 5322 says the time is UTC then.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError, AttributeError):
        return None


def body_text(msg: Message) -> str:
    """Readable text of the email: its text/plain parts, else its HTML as text, else any text part.

    Attachments are skipped, except as the last resort.
    """
    plain = [text for text in _part_texts(msg, "text/plain", attachments=False) if text.strip()]
    plain_text = "\n\n".join(plain).strip()
    if plain_text and not _is_html_only_placeholder(plain_text):
        return plain_text
    html = [html_to_text(text) for text in _part_texts(msg, "text/html", attachments=False)]
    html_text = "\n\n".join(text for text in html if text).strip()
    if html_text or plain_text:
        return html_text or plain_text
    # A bare calendar invite (or other text part) is still better than an empty body.
    others = (_part_text(part) for part in _walk(msg) if part.get_content_maintype() == "text")
    return "\n\n".join(text.strip() for text in others if text.strip())


def message_text(msg: Message) -> str:
    """All text of the message for content matching: subject, text/plain parts, HTML parts as text.

    Unlike the body this includes text attachments too: some providers attach the notice itself.
    """
    texts = [header_text(msg, "Subject")]
    for part in _walk(msg):
        content_type = part.get_content_type()
        if content_type == "text/plain":
            texts.append(_part_text(part))
        elif content_type == "text/html":
            texts.append(html_to_text(_part_text(part), mark_quotes=True))
    return "\n\n".join(text.strip() for text in texts if text and text.strip())


_BLOCK_TAGS = frozenset((
    "p", "div", "table", "tr", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "dl", "dt", "dd",
))  # fmt: skip
_CELL_TAGS = frozenset(("td", "th"))


def html_to_text(html: str, mark_quotes: bool = False) -> str:
    """HTML as plain text with its line structure: one line per block or row, cells separated by tabs.

    One streaming pass of the standard library's HTMLParser, in time and memory linear in the input: a
    BeautifulSoup tree edited in place (newlines inserted around blocks) is quadratic in the nesting depth,
    and an HTML bomb of 100,000 nested <div>s took minutes.
    """
    collector = _TextCollector(mark_quotes)
    try:
        collector.feed(_without_comments(html))
        collector.close()
    except Exception:  # HTMLParser copes with nearly anything; if not, strip tags crudely (still linear)
        return _tidy_lines(_TAG.sub(" ", html))
    return _tidy_lines("".join(collector.parts))


_TAG = re.compile(r"<[^<>]*>")


def _without_comments(html: str) -> str:
    """HTML minus its comments, an unterminated one hiding the rest (as in a browser). HTMLParser would look
    for the end of every unterminated "<!--" through the rest of the text: quadratic on a comment bomb."""
    kept: list[str] = []
    position = 0
    while (start := html.find("<!--", position)) >= 0:
        kept.append(html[position:start])
        end = html.find("-->", start + 4)
        if end < 0:
            return "".join(kept)
        position = end + 3
    kept.append(html[position:])
    return "".join(kept)


_SKIPPED_TAGS = frozenset(("script", "style", "title"))


class _TextCollector(HTMLParser):
    """Text of an HTML document: newlines around blocks and at <br>, a tab around each table cell, source
    whitespace collapsed (markup decides where lines end) except under <pre>, scripts and styles dropped.
    A tab or newline too many is harmless: _tidy_lines drops empty cells and blank-line runs."""

    def __init__(self, mark_quotes: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._mark_quotes = mark_quotes  # a line where a quoted message starts (parsers.quotes)
        self._skipping = 0
        self._preformatted = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag == "pre":
            self._preformatted += 1
        if self._mark_quotes and is_quote_container(tag, dict(attrs)):
            self.parts.append(f"\n{HTML_QUOTE_LINE}\n")
        self._separate(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag == "pre":
            self._preformatted = max(0, self._preformatted - 1)
        if tag != "br":  # </br> is read as <br> by browsers, but one break is enough
            self._separate(tag)

    def handle_startendtag(self, tag: str, attrs) -> None:
        self._separate(tag)

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data if self._preformatted else _WHITESPACE.sub(" ", data))

    def _separate(self, tag: str) -> None:
        if tag == "br" or tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in _CELL_TAGS:
            self.parts.append("\t")


def decode_bytes(data: bytes | None, charset: str | None) -> str:
    """Bytes to text: the declared charset if real, else UTF-8, else Windows-1252/Latin-1; never raises."""
    if not data:
        return ""
    declared = _known_charset(charset)
    if declared and declared != "ascii":
        try:
            return data.decode(declared)
        except (UnicodeError, LookupError):
            pass
        try:
            # Trust the declaration for the rest: a few bad bytes should not garble all the good ones.
            return data.decode(declared, errors="replace")
        except (UnicodeError, LookupError):  # a codec that refuses everything ("undefined")
            pass
    # Undeclared (or "us-ascii" with 8-bit bytes in it, which is common): UTF-8 if it is valid UTF-8.
    for candidate in ("utf-8", "cp1252"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _known_charset(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        codec = codecs.lookup(charset.strip().strip("\"'"))
    except (LookupError, ValueError, TypeError):
        return None
    # "base64", "hex", "rot13" are codecs too, but bytes-to-bytes ones: not a charset.
    return codec.name if getattr(codec, "_is_text_encoding", True) else None


def _as_bytes(raw: bytes | bytearray | memoryview | str | None) -> bytes:
    if raw is None:
        return b""
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return bytes(raw)


def _raw_header(msg: Message, name: str) -> str | None:
    # raw_items() gives the header as parsed (8-bit bytes as surrogate escapes); msg[name] would give a
    # Header object for those instead of a string.
    wanted = name.lower()
    try:
        for key, value in msg.raw_items():
            if key.lower() == wanted:
                return str(value)
    except Exception:
        return None
    return None


def _first_address(value: str) -> str:
    if not value:
        return ""
    try:
        addresses = [address for _, address in email.utils.getaddresses([value]) if _is_address(address)]
    except Exception:
        addresses = []
    if not addresses:  # getaddresses gives up on some malformed headers; any address-like token will do
        addresses = [_address_token(value)]
    return addresses[0].strip().strip("<>").lower()


def _is_address(address: str) -> bool:
    local, _, domain = address.rpartition("@")
    return bool(local.strip("<>") and domain.strip("<>"))


def _address_token(value: str) -> str:
    """The first ``local@domain`` token of a header, in one linear pass ("" if there is none)."""
    if "@" not in value:
        return ""
    for token in _ADDRESS_SEPARATORS.split(value):
        local, _, rest = token.partition("@")
        domain = rest.split("@", 1)[0]
        if local and domain:
            return f"{local}@{domain}"
    return ""


def _walk(msg: Message):
    try:
        yield from msg.walk()
    except Exception:  # a part whose structure the parser could not follow: what was walked stays
        return


def _is_attachment(part: Message) -> bool:
    try:
        return (part.get_content_disposition() or "") == "attachment"
    except Exception:
        return False


def _part_texts(msg: Message, content_type: str, attachments: bool):
    for part in _walk(msg):
        if part.get_content_type() == content_type and (attachments or not _is_attachment(part)):
            yield _part_text(part)


def _part_text(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):  # not decodable (e.g. a broken multipart): take what is there as text
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    return decode_bytes(payload, charset)


def _tidy_line(line: str) -> str:
    cells = (_WHITESPACE.sub(" ", cell).strip() for cell in line.split("\t"))
    return "\t".join(cell for cell in cells if cell)


def _is_html_only_placeholder(text: str) -> bool:
    normalised = _WHITESPACE.sub(" ", text).strip().lower().rstrip(".")
    return any(normalised == marker for marker in HTML_ONLY_MARKERS)


def _tidy_lines(text: str) -> str:
    # Table cells end in a tab so columns stay apart; other whitespace runs become one space.
    lines = [_tidy_line(line) for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


TRUNCATED_NOTE = "\n\n[truncated: {shown} of {total} bytes shown]"


def cut_text(text: str, max_bytes: int) -> str:
    """``text`` within ``max_bytes`` of UTF-8, cut on a character boundary with a visible note saying so."""
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= max_bytes:
        return text
    budget = max(0, max_bytes - len(TRUNCATED_NOTE.format(shown=max_bytes, total=len(encoded))))
    kept = encoded[:budget].decode("utf-8", "ignore")  # "ignore" drops a character cut in half
    shown = len(kept.encode("utf-8", "surrogatepass"))
    return kept + TRUNCATED_NOTE.format(shown=shown, total=len(encoded))
