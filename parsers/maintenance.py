"""Maintenance notices through circuit-maintenance-parser: try the candidate providers, convert the result.

Outcomes of an attempt:
- parsed: the first provider that yields maintenances wins; every maintenance becomes a Notice.
- filtered: the sender's providers returned [] on purpose (their include/exclude filters, e.g. Arelion
  drops "Disturbance Information"): not an error, the email may still be an outage notice.
- failed: the sender's own provider(s) raised; the reason names them and what they missed.
- unrecognised: the sender matched no provider and no provider recognised the content.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from typing import Literal

# The library adds an OpenAI-based processor when this variable is set, which would send email content to a
# third party. Nothing in this daemon is configured for that, so make sure the library never sees the key,
# before it is imported and again before each use (the variable could be set later in the process).
OPENAI_KEY_VARIABLE = "PARSER_OPENAI_API_KEY"
os.environ.pop(OPENAI_KEY_VARIABLE, None)

from circuit_maintenance_parser import NotificationData, ProviderError, init_provider  # noqa: E402
from circuit_maintenance_parser.constants import EMAIL_HEADER_DATE, EMAIL_HEADER_SUBJECT  # noqa: E402
from circuit_maintenance_parser.data import DataPart  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from parsers.detect import GENERIC_PROVIDER, sender_matches  # noqa: E402
from parsers.models import CircuitImpact, EmailMeta, Notice  # noqa: E402
from parsers.options import ParserOptions  # noqa: E402

logger = logging.getLogger(__name__)

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


@dataclass
class _Progress:
    """What the worker thread is doing, for the reason of a timeout."""

    current: str | None = None
    tried: list[str] = field(default_factory=list)


def parse_maintenances(
    msg: Message, meta: EmailMeta, provider_names: list[str], options: ParserOptions
) -> MaintenanceAttempt:
    """Run circuit-maintenance-parser's providers on the email, within options.timeout_seconds.

    Some parsers look a city's time zone up online and retry for ~10 s when there is no network; the library
    cannot be interrupted, so it runs in a daemon worker thread and a timeout abandons it (it finishes on
    its own in the background, its result discarded) instead of blocking the emails after this one.
    """
    os.environ.pop(OPENAI_KEY_VARIABLE, None)
    _load_city_database()  # once per process, outside the email's time budget
    progress = _Progress()
    outcome: dict[str, MaintenanceAttempt | BaseException] = {}

    def work() -> None:
        try:
            outcome["attempt"] = _attempt(msg, meta, provider_names, options, progress)
        except BaseException as exc:  # reported by the caller; a worker must not die silently
            outcome["error"] = exc

    worker = threading.Thread(target=work, name=f"cmp:{meta.message_id[:40]}", daemon=True)
    worker.start()
    worker.join(options.timeout_seconds)
    if worker.is_alive():
        where = f" (while trying provider {progress.current})" if progress.current else ""
        return MaintenanceAttempt(
            "failed",
            provider=progress.current,
            reason=f"{PARSER_PREFIX} timed out after {options.timeout_seconds:g} s{where}",
            tried=list(progress.tried),
        )
    if "error" in outcome:
        exc = outcome["error"]
        return MaintenanceAttempt("failed", reason=f"{type(exc).__name__}: {exc}", tried=list(progress.tried))
    return outcome["attempt"]  # type: ignore[return-value]


def _attempt(
    msg: Message, meta: EmailMeta, provider_names: list[str], options: ParserOptions, progress: _Progress
) -> MaintenanceAttempt:
    data = notification_data(msg, meta)
    has_calendar = any(part.type == "text/calendar" for part in data.data_parts)
    errors: dict[str, str] = {}
    filtered: list[str] = []
    for name in provider_names:
        progress.current = name
        progress.tried.append(name)
        provider = init_provider(name)
        if provider is None:
            errors[name] = "not a circuit-maintenance-parser provider"
            continue
        try:
            maintenances = provider.get_maintenances(data)
        except ProviderError as exc:
            errors[name] = describe_provider_error(exc)
            continue
        except Exception as exc:  # a parser bug on odd input is this provider's failure, not the email's end
            errors[name] = _short(f"{type(exc).__name__}: {exc}")
            continue
        if not maintenances:
            filtered.append(name)
            continue
        try:
            timezones = calendar_timezones(data) if has_calendar else {}
            notices = [to_notice(maintenance, name, timezones) for maintenance in maintenances]
        except (ValidationError, ValueError, TypeError) as exc:
            errors[name] = _short(f"result not usable: {exc}")
            continue
        return MaintenanceAttempt("parsed", notices, provider=name, tried=list(progress.tried))
    progress.current = None
    return _no_result(meta, provider_names, options, errors, filtered, has_calendar, progress.tried)


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
    """The library's view of the email.

    Its own reader fails (returns None) on a missing Subject or Date or an undecodable subject; then the
    parts are walked the same way and our decoded subject and date used. Empty parts are dropped: the
    library's filters cannot guess the charset of nothing and crash on them (an empty Subject, say).
    """
    data = NotificationData.init_from_emailmessage(msg)
    if data is None:
        found: set[DataPart] = set()
        try:
            NotificationData.walk_email(msg, found)
        except Exception:  # unreadable structure: the headers alone may still tell a provider something
            logger.debug("could not walk the MIME parts of %s", meta.message_id, exc_info=True)
        data = NotificationData(data_parts=list(found))
    parts = [part for part in data.data_parts if isinstance(part.content, bytes) and part.content]
    types = {part.type for part in parts}
    if EMAIL_HEADER_SUBJECT not in types and meta.subject:
        parts.append(DataPart(EMAIL_HEADER_SUBJECT, meta.subject.encode()))
    if EMAIL_HEADER_DATE not in types:
        parts.append(DataPart(EMAIL_HEADER_DATE, _rfc2822(meta.received).encode()))
    data.data_parts = sorted(parts, key=lambda part: part.type)  # the order the library's reader gives
    return data


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
    if isinstance(moment, datetime) and moment.tzinfo is not None and moment.utcoffset().total_seconds() == 0:
        return "UTC"
    return None


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


_city_database_lock = threading.Lock()
_city_database_loaded = False


def _load_city_database() -> None:
    """Load the library's city→coordinates CSV once, under a lock.

    The library fills that class-level cache row by row on first use and treats a non-empty cache as
    loaded, so two threads (two mailboxes, or a worker abandoned by a timeout) could otherwise read a
    half-loaded table and fall back to the online lookup. Loading takes ~1.4 s, once per process.
    """
    global _city_database_loaded
    if _city_database_loaded:
        return
    with _city_database_lock:
        if _city_database_loaded:
            return
        try:
            from circuit_maintenance_parser.utils import Geolocator

            Geolocator.db_location  # noqa: B018 - the property loads the CSV
        except Exception:  # an internal of the library; without it the parsers load it themselves
            logger.debug("could not preload the city database", exc_info=True)
        _city_database_loaded = True


def _from_epoch(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _value(value):
    return getattr(value, "value", value)


def _rfc2822(moment: datetime) -> str:
    from email.utils import format_datetime

    return format_datetime(moment.astimezone(UTC))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_MAX else text[: DETAIL_MAX - 1] + "…"
