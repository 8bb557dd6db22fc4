"""The parsing stage: raw email bytes in, a ParseResult out. Pure: no NetBox, no IMAP, no config files.
(Imported by the parse workers, not by the daemon's own process: see parsers/__init__.py.)

Stages run in order, each given (msg, meta, options), like a structlog processor chain:
1. declarative parsers defined in the config (they name a sender and subject explicitly, so they win),
2. circuit-maintenance-parser with the providers parsers.detect picks for the sender,
3. outage parsing (the library parses maintenances only).
A stage returns None to pass the email on, a final verdict to end the chain, or a non-final one: the
library may have filtered the email out or failed on it, and the outage stage still gets its turn before
that verdict stands.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message

from parsers.declarative import parse_declarative
from parsers.detect import candidates, known_providers
from parsers.email import cut_text, email_meta, known_arrival, latest_credible, read_message
from parsers.errors import ParseFailure
from parsers.maintenance import parse_maintenances
from parsers.models import EmailMeta, Notice, ParseResult, ParseStatus
from parsers.options import ParserOptions
from parsers.outage import parse_outage
from parsers.senders import unparsed_verdict

__all__ = ["ParseResult", "ParseStatus", "ParserOptions", "Verdict", "bounded_result", "parse_email"]

logger = logging.getLogger(__name__)


@dataclass
class Verdict:
    """What a stage made of the email. Non-final verdicts stand only if no later stage finds notices."""

    status: ParseStatus
    notices: list[Notice] = field(default_factory=list)
    reason: str = ""
    provider: str | None = None
    final: bool = True


Stage = Callable[[Message, EmailMeta, ParserOptions], Verdict | None]


def parse_email(
    raw: bytes, options: ParserOptions | None = None, arrived: datetime | None = None
) -> ParseResult:
    """Parse one email. Never raises: anything unexpected becomes status FAILED with "type: message".

    ``arrived`` is when the source received it (IMAP INTERNALDATE), if it knows: stamps are bounded by it.
    MemoryError is the one exception let through: under parsers.worker it means the worker's memory limit,
    which the worker reports (and a caught one would leave a process short of memory parsing on).
    """
    options = options or ParserOptions()
    try:
        msg = read_message(raw)
        now, arrival = datetime.now(UTC), known_arrival(msg, arrived)
        meta = email_meta(msg, raw)
        # shown as the notification's received time: when it came, else its Date, never in the future
        meta = meta.model_copy(update={"arrived": arrival or min(meta.received, now)})
        latest = latest_credible(arrival or now, options.stamp_skew_seconds)
    except MemoryError:
        raise
    except Exception as exc:  # the readers are written not to raise; this is the last guard
        reason = f"{type(exc).__name__}: {exc}"
        return ParseResult(email=_fallback_meta(raw), status=ParseStatus.FAILED, reason=reason)
    try:
        verdict = run_stages(STAGES, msg, meta, options)
    except MemoryError:
        raise
    except Exception as exc:
        logger.exception("parsing %s failed unexpectedly", meta.message_id)
        verdict = Verdict(ParseStatus.FAILED, reason=f"{type(exc).__name__}: {exc}")
    return bounded_result(meta, verdict, options, latest)


def bounded_result(
    meta: EmailMeta, verdict: Verdict, options: ParserOptions, latest: datetime
) -> ParseResult:
    """The result within the bounds of what may reach NetBox: a body cut at options.max_body_bytes, at most
    options.max_notices notices (more fails the email), no stamp or date later than ``latest``, so a
    forged future Date cannot outrank every genuine later notice of an event."""
    meta = meta.model_copy(
        update={"body": cut_text(meta.body, options.max_body_bytes), "received": min(meta.received, latest)}
    )
    if len(verdict.notices) > options.max_notices:
        verdict = Verdict(
            ParseStatus.FAILED,
            reason=f"{len(verdict.notices)} notices in one email, more than the limit of "
            f"{options.max_notices} ([parsing] max_notices)",
            provider=verdict.provider,
        )
    notices = [
        notice if notice.stamp <= latest else notice.model_copy(update={"stamp": latest})
        for notice in verdict.notices
    ]
    return ParseResult(
        email=meta, notices=notices, status=verdict.status, reason=verdict.reason, provider=verdict.provider
    )


def run_stages(stages: tuple[Stage, ...], msg: Message, meta: EmailMeta, options: ParserOptions) -> Verdict:
    verdict = _first_verdict(stages, msg, meta, options)
    return _from_known_sender(verdict, meta, options) if verdict.status is ParseStatus.IGNORED else verdict


def _first_verdict(
    stages: tuple[Stage, ...], msg: Message, meta: EmailMeta, options: ParserOptions
) -> Verdict:
    pending: Verdict | None = None
    for stage in stages:
        try:
            verdict = stage(msg, meta, options)
        except ParseFailure as exc:  # a parser recognised the email but could not read it: quarantine
            return Verdict(ParseStatus.FAILED, reason=str(exc) or type(exc).__name__)
        if verdict is None:
            continue
        if verdict.final:
            return verdict
        pending = pending or verdict
    unrecognised = f"no parser recognised this email (sender {meta.sender})"
    return pending or Verdict(ParseStatus.IGNORED, reason=unrecognised)


def _from_known_sender(verdict: Verdict, meta: EmailMeta, options: ParserOptions) -> Verdict:
    """An email that parsed to nothing from a sender known as a provider (the library's metadata, the
    config's senders, a definition's) fails unless the config ignores it (senders.unparsed_verdict): it
    must reach a human, not ``Ignored``. A sender only NetBox knows is decided by the daemon, likewise."""
    providers = [verdict.provider] if verdict.provider else known_providers(meta.sender, options)
    status, reason, provider = unparsed_verdict(meta, providers, verdict.reason, options.ignore_rules)
    return Verdict(status, reason=reason, provider=provider)


def declarative_stage(msg: Message, meta: EmailMeta, options: ParserOptions) -> Verdict | None:
    notices = parse_declarative(msg, meta, options)
    if notices is None:  # no definition for this sender/subject
        return None
    if not notices:
        reason = f"a parser definition matched (sender {meta.sender}) but found no notices"
        return Verdict(ParseStatus.IGNORED, reason=reason)
    return _parsed(notices)


def maintenance_stage(msg: Message, meta: EmailMeta, options: ParserOptions) -> Verdict | None:
    attempt = parse_maintenances(msg, meta, candidates(meta.sender, options), options)
    if attempt.status == "parsed":
        return Verdict(ParseStatus.PARSED, attempt.notices, provider=attempt.provider)
    if attempt.status == "filtered":
        return Verdict(ParseStatus.IGNORED, reason=attempt.reason, provider=attempt.provider, final=False)
    if attempt.status == "failed":
        return Verdict(ParseStatus.FAILED, reason=attempt.reason, provider=attempt.provider, final=False)
    return None  # unrecognised: let the outage stage look


def outage_stage(msg: Message, meta: EmailMeta, options: ParserOptions) -> Verdict | None:
    notices = parse_outage(msg, meta, options)
    return _parsed(notices) if notices else None


STAGES: tuple[Stage, ...] = (declarative_stage, maintenance_stage, outage_stage)


def _parsed(notices: list[Notice]) -> Verdict:
    return Verdict(ParseStatus.PARSED, list(notices), provider=notices[0].provider)


def _fallback_meta(raw: bytes) -> EmailMeta:
    import hashlib

    try:
        data = bytes(raw or b"")
    except Exception:  # not bytes at all (a str, an object): hash what it looks like
        data = repr(raw).encode("utf-8", "replace")
    return EmailMeta(message_id=f"sha256:{hashlib.sha256(data).hexdigest()}", received=datetime.now(UTC))
