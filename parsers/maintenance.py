"""Maintenance notices through circuit-maintenance-parser: try the candidate providers, convert the result.

Outcomes of an attempt:
- parsed: the first provider that yields maintenances wins; every maintenance becomes a Notice.
- filtered: the sender's providers returned [] on purpose (their include/exclude filters, e.g. Arelion
  drops "Disturbance Information"): not an error, the email may still be an outage notice.
- failed: the sender's own provider(s) raised; the reason names them and what they missed.
- unrecognised: the sender matched no provider and no provider recognised the content.
"""

from __future__ import annotations

import email.header
import io
import logging
import os
import re
import threading
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from typing import Literal, overload

# The library adds an OpenAI-based processor when this variable is set, which would send email content to a
# third party. Nothing in this daemon is configured for that, so make sure the library never sees the key,
# before it is imported and again before each use (the variable could be set later in the process).
OPENAI_KEY_VARIABLE = "PARSER_OPENAI_API_KEY"
os.environ.pop(OPENAI_KEY_VARIABLE, None)

from circuit_maintenance_parser import NotificationData, ProviderError, init_provider  # noqa: E402
from circuit_maintenance_parser.constants import EMAIL_HEADER_DATE, EMAIL_HEADER_SUBJECT  # noqa: E402
from circuit_maintenance_parser.data import DataPart  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from parsers import charset  # noqa: E402
from parsers.detect import GENERIC_PROVIDER, sender_matches  # noqa: E402
from parsers.email import HEADER_MAX_CHARS  # noqa: E402
from parsers.errors import ParseFailure  # noqa: E402
from parsers.logs import install_library_relay  # noqa: E402
from parsers.models import CircuitImpact, EmailMeta, Notice  # noqa: E402
from parsers.options import ParserOptions  # noqa: E402

logger = logging.getLogger(__name__)
install_library_relay()
charset.install()  # chardet was 97% of an HTML notice's parse time (parsers/charset.py)

PARSER_PREFIX = "circuit-maintenance-parser"
DETAIL_MAX = 300  # characters per provider error in a reason: enough to act on, short enough for a log line

AttemptStatus = Literal["parsed", "filtered", "failed", "unrecognised"]


@dataclass
class MaintenanceAttempt:
    status: AttemptStatus
    notices: list[Notice] = field(default_factory=list)
    provider: str | None = None  # the provider that parsed it, or the one(s) the reason is about
    reason: str = ""
    tried: list[str] = field(default_factory=list)


def parse_maintenances(
    msg: Message, meta: EmailMeta, provider_names: list[str], options: ParserOptions
) -> MaintenanceAttempt:
    """Run circuit-maintenance-parser's providers on the email.

    The library cannot be interrupted (a time-zone lookup retries for ~10 s without network, a deep MIME
    tree takes exponential time): the time and memory limits are those of the worker process the whole
    parse runs in (parsers.worker), which is killed and replaced when they are exceeded.
    """
    os.environ.pop(OPENAI_KEY_VARIABLE, None)
    load_reference_data()  # once per process (the forkserver does it before forking a worker)
    tried: list[str] = []
    try:
        return _attempt(msg, meta, provider_names, options, tried)
    except (MemoryError, ParseFailure):
        raise
    except Exception as exc:
        return MaintenanceAttempt("failed", reason=f"{type(exc).__name__}: {exc}", tried=tried)


def _attempt(
    msg: Message, meta: EmailMeta, provider_names: list[str], options: ParserOptions, tried: list[str]
) -> MaintenanceAttempt:
    data = notification_data(msg, meta)
    check_archives(data, options.max_inflated_bytes)
    check_calendars(data, options.max_notices)
    has_calendar = any(part.type == "text/calendar" for part in data.data_parts)
    errors: dict[str, str] = {}
    filtered: list[str] = []
    for name in provider_names:
        tried.append(name)
        result = _try_provider(name, data, has_calendar)
        if isinstance(result, list):
            if result:
                return MaintenanceAttempt("parsed", result, provider=name, tried=list(tried))
            filtered.append(name)
        else:
            errors[name] = result
    return _no_result(meta, provider_names, options, errors, filtered, has_calendar, tried)


def _try_provider(name: str, data: NotificationData, has_calendar: bool) -> list[Notice] | str:
    """The provider's notices ([] when its filters drop the email), or why it failed."""
    provider = init_provider(name)
    if provider is None:
        return "not a circuit-maintenance-parser provider"
    try:
        maintenances = provider.get_maintenances(data)
    except MemoryError:
        raise
    except ProviderError as exc:
        return describe_provider_error(exc)
    except Exception as exc:  # a parser bug on odd input is this provider's failure, not the email's end
        return _short(f"{type(exc).__name__}: {exc}")
    try:
        timezones = calendar_timezones(data) if has_calendar and maintenances else {}
        return [to_notice(maintenance, name, timezones) for maintenance in maintenances]
    except (ValidationError, ValueError, TypeError, OverflowError) as exc:
        return _short(f"result not usable: {exc}")


def _no_result(
    meta: EmailMeta,
    provider_names: list[str],
    options: ParserOptions,
    errors: dict[str, str],
    filtered: list[str],
    has_calendar: bool,
    tried: list[str],
) -> MaintenanceAttempt:
    """Explain why no provider parsed the email, using only the providers that concern this sender.

    When every provider was tried for an unknown sender, most fail simply because the email is not theirs:
    that is noise. Only the sender's own providers count, or, for an unknown sender, GenericProvider when the
    email carries an iCalendar part (the BCOP format says nothing about who sends it).
    """
    own = [name for name in sender_matches(meta.sender, options) if name in provider_names]
    if not own and has_calendar and GENERIC_PROVIDER in provider_names:
        own = [GENERIC_PROVIDER]
    own_errors = {name: errors[name] for name in own if name in errors}
    if own_errors:
        names = ", ".join(own_errors)
        if len(own_errors) == 1:
            details = next(iter(own_errors.values()))
        else:
            details = "; ".join(f"{name}: {detail}" for name, detail in own_errors.items())
        return MaintenanceAttempt(
            "failed",
            provider=next(iter(own_errors)),
            reason=f"{PARSER_PREFIX} could not parse it as {names}: {details}",
            tried=list(tried),
        )
    own_filtered = [name for name in own if name in filtered]
    if own_filtered:
        return MaintenanceAttempt(
            "filtered",
            provider=own_filtered[0],
            reason=f"excluded by provider filters: {', '.join(own_filtered)}",
            tried=list(tried),
        )
    return MaintenanceAttempt("unrecognised", reason="no provider recognised this email", tried=list(tried))


def notification_data(msg: Message, meta: EmailMeta) -> NotificationData:
    """The library's view of the email, built here rather than by NotificationData.init_from_emailmessage:

    - its walk re-walks every nested multipart from each of its ancestors (exponential in the depth: a
      40-level tree never ends); msg.walk() visits each part once, attached messages included;
    - it logs the whole email at ERROR when the Subject or Date is missing, and then gives up.
    Parts are kept as the library keeps them (a set of (content type, decoded payload), images skipped)
    minus the empty ones, whose charset its filters cannot guess; the subject and the Date header follow.
    """
    found: set[DataPart] = set()
    for part in _walk(msg):
        content_type = part.get_content_type()
        if any(skipped in content_type for skipped in ("image", "multipart", "message/rfc822")):
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and payload:
            found.add(DataPart(content_type, payload))
    subject = _library_subject(msg) or meta.subject
    if subject:
        found.add(DataPart(EMAIL_HEADER_SUBJECT, subject.encode("utf-8", "replace")))
    date = msg.get("Date")
    if not isinstance(date, str) or not date.strip() or not date.isascii():
        date = _rfc2822(meta.received)
    found.add(DataPart(EMAIL_HEADER_DATE, date.encode()))
    return NotificationData(data_parts=sorted(found, key=lambda part: part.type))  # the library's order


def _walk(msg: Message):
    try:
        yield from msg.walk()
    except RecursionError:  # deeper than the interpreter allows: the parts walked so far stay
        return


def _library_subject(msg: Message) -> str:
    """The subject decoded as the library decodes it (its filters were written against that text)."""
    value = msg.get("Subject")
    if value is None:
        return ""
    try:
        text = value[:HEADER_MAX_CHARS] if isinstance(value, str) else value
        subject = str(email.header.make_header(email.header.decode_header(text)))
        subject.encode()  # undecodable bytes left as surrogates: use our own decoding instead
        return subject
    except Exception:  # an unknown or bytes-to-bytes charset: our own decoding (meta.subject) is used
        return ""


def check_archives(data: NotificationData, max_bytes: int) -> None:
    """Refuse a zip part (xlsx is one) that inflates beyond ``max_bytes``, before a library opens it.

    Both the sizes the archive declares and what its members actually inflate to are counted (the
    latter reading at most ``max_bytes``), so a zip bomb costs a bounded amount of time and memory.
    """
    for part in data.data_parts:
        if part.content[:4] != b"PK\x03\x04":
            continue
        size = _inflated_size(part.content, max_bytes)
        if size > max_bytes:
            raise ParseFailure(
                f"attachment ({part.type}) inflates to more than {max_bytes // (1024 * 1024)} MiB, the limit "
                "([parsing] max_attachment_mb)"
            )


def check_calendars(data: NotificationData, max_events: int) -> None:
    """Refuse more calendar events than notices allowed per email before the library parses them all (it
    takes minutes over 10,000 of them), with the reason the notice cap would give."""
    calendars = [part.content for part in data.data_parts if part.type == "text/calendar"]
    events = sum(content.count(b"BEGIN:VEVENT") for content in calendars)
    if events > max_events:
        raise ParseFailure(
            f"{events} calendar events in one email, more than the limit of {max_events} "
            "([parsing] max_notices)"
        )


def _inflated_size(content: bytes, max_bytes: int) -> int:
    """Uncompressed size of a zip, counted up to just over ``max_bytes``; 0 for a zip that cannot be read."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
        declared = sum(member.file_size for member in members)
        if declared > max_bytes:
            return declared
        total = 0
        for member in members:
            with archive.open(member) as stream:
                while chunk := stream.read(1024 * 1024):
                    total += len(chunk)
                    if total > max_bytes:
                        return total
        return total
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, ValueError, EOFError):
        return 0  # the library will fail on it with its own error, at no cost


def to_notice(maintenance, provider_name: str, timezones: dict[str, str] | None = None) -> Notice:
    """One library Maintenance as our Notice (NO-CHANGE becomes status None, epochs aware UTC datetimes)."""
    timezones = timezones or {}
    return Notice(
        kind="maintenance",
        provider=_notice_provider(maintenance, provider_name),
        event_id=maintenance.maintenance_id,
        status=_value(maintenance.status),
        start=_from_epoch(maintenance.start),
        end=_from_epoch(maintenance.end),
        stamp=_from_epoch(maintenance.stamp),
        sequence=maintenance.sequence,
        summary=maintenance.summary or None,
        circuits=[
            CircuitImpact(circuit_id=circuit.circuit_id, impact=_value(circuit.impact))
            for circuit in maintenance.circuits
        ],
        account=maintenance.account or None,
        original_timezone=timezones.get(maintenance.maintenance_id) or timezones.get(""),
        parser=f"{PARSER_PREFIX}:{provider_name}",
    )


def _notice_provider(maintenance, provider_name: str) -> str:
    """The library's provider name; for a plain BCOP invite (genericprovider, any sender) the provider the
    invite itself names, as a slug (X-MAINTNOTE-PROVIDER "Acme Transit" -> "acme-transit")."""
    if provider_name == "genericprovider" and maintenance.provider:
        slug = re.sub(r"[^a-z0-9]+", "-", maintenance.provider.lower()).strip("-")
        return slug or provider_name
    return provider_name


def describe_provider_error(exc: ProviderError) -> str:
    """The causes of a ProviderError in one short line: which fields were missing, what else went wrong."""
    missing: list[str] = []
    problems: list[str] = []
    for related in exc.related_exceptions:
        cause = _root_cause(related)
        if isinstance(cause, ValidationError):
            for error in cause.errors():
                location = ".".join(str(part) for part in error["loc"]) or "value"
                if error["type"] == "missing":
                    missing.append(location)
                else:
                    problems.append(f"{location}: {error['msg']}")
        else:
            problems.append(_describe(cause, related))
    parts = [f"missing {', '.join(dict.fromkeys(missing))}"] if missing else []
    parts.extend(dict.fromkeys(problems))
    return _short("; ".join(parts) or str(exc).splitlines()[0])


def calendar_timezones(data: NotificationData) -> dict[str, str]:
    """The zone each iCalendar event's DTSTART was written in, by maintenance id ("" for a lone event).

    HTML and text notices state no zone the library passes on, so only invites give an original zone.
    """
    try:
        import icalendar  # a dependency of circuit-maintenance-parser
    except ImportError:
        return {}
    zones: dict[str, str] = {}
    for part in data.data_parts:
        if part.type != "text/calendar":
            continue
        try:
            events = list(icalendar.Calendar.from_ical(part.content).walk("VEVENT"))
        except Exception:  # the library already judged this calendar; a zone is only a nicety
            continue
        for event in events:
            zone = _event_zone(event)
            if zone:
                zones[str(event.get("X-MAINTNOTE-MAINTENANCE-ID", ""))] = zone
                if len(events) == 1:
                    zones[""] = zone
    return zones


def _event_zone(event) -> str | None:
    start = event.get("DTSTART")
    if start is None:
        return None
    tzid = start.params.get("TZID")
    if tzid:
        return str(tzid)
    moment = getattr(start, "dt", None)
    offset = moment.utcoffset() if isinstance(moment, datetime) else None  # None: a naive time
    return "UTC" if offset is not None and offset.total_seconds() == 0 else None


def _root_cause(exc: BaseException) -> BaseException:
    # The library wraps the real cause (a ParserError, a ValidationError, a KeyError...) in ProcessorErrors.
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


def _describe(cause: BaseException, wrapper: BaseException) -> str:
    text = _first_line(cause) or _first_line(wrapper)
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


_reference_data_lock = threading.Lock()
_reference_data_loaded = False


def load_reference_data() -> None:
    """Load the library's reference data once, under a lock: its city→coordinates table and its
    timezone resolver (TimezoneFinder), which it otherwise loads inside the first email that names a city
    (~1.4 s and ~1-3 s here). The forkserver loads them before it forks any worker (parsers.preload).

    The library fills the city cache row by row on first use and treats a non-empty cache as loaded, so
    two threads (two mailboxes, or a worker abandoned by a timeout) could otherwise read a half-loaded
    table and fall back to the online lookup.
    """
    global _reference_data_loaded
    if _reference_data_loaded:
        return
    with _reference_data_lock:
        if _reference_data_loaded:
            return
        try:
            from circuit_maintenance_parser.utils import Geolocator

            Geolocator.db_location  # noqa: B018 - the property loads the CSV
            Geolocator.timezone  # noqa: B018 - and this one the timezone polygons
        except Exception:  # an internal of the library; without it the parsers load it themselves
            logger.debug("could not preload the library's reference data", exc_info=True)
        _reference_data_loaded = True


@overload
def _from_epoch(value: int) -> datetime: ...
@overload
def _from_epoch(value: int | None) -> datetime | None: ...
def _from_epoch(value: int | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):  # year 10000+, or beyond the platform's time_t
        raise ValueError(f"timestamp {value} is out of range") from None


def _value(value):
    return getattr(value, "value", value)


def _rfc2822(moment: datetime) -> str:
    from email.utils import format_datetime

    return format_datetime(moment.astimezone(UTC))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_MAX else text[: DETAIL_MAX - 1] + "…"
