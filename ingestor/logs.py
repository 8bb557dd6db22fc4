"""structlog set-up: JSON lines when not on a TTY (journald), readable console output on a TTY."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import MutableMapping
from typing import Any

import structlog

from ingestor.redact import escape_controls, redact, redact_value


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer = _redacted(structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _clean_values,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper())),
        # Look sys.stderr up on each call: it may be replaced (tests capture it, daemons redirect it).
        logger_factory=lambda *_: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
    # Libraries log through stdlib logging (circuit-maintenance-parser is chatty): their records go
    # through the same renderer, so journald gets one JSON format (issue 8); keep their warnings.
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                structlog.stdlib.add_log_level,
                structlog.stdlib.add_logger_name,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.format_exc_info,
            ],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, _clean_values, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    # It warns about every filter that does not match while we try candidate providers: that is noise.
    logging.getLogger("circuit_maintenance_parser").setLevel(logging.ERROR)
    threading.excepthook = _thread_died


def _clean_values(_logger: object, _name: str, event: MutableMapping[str, Any]) -> dict[str, Any]:
    """Before rendering: secrets out of every value (a traceback's text included), control characters of
    email-borne values (Message-IDs, subjects) escaped, so a console log cannot drive the terminal."""
    return {key: _escaped(redact_value(value)) for key, value in event.items()}


def _escaped(value):
    return escape_controls(value) if isinstance(value, str) else value


def _redacted(renderer):
    """The rendered line redacted once more: a secret split over two values, or in a repr, is whole here."""

    def render(logger, name, event):
        return redact(renderer(logger, name, event))

    return render


def _thread_died(args: threading.ExceptHookArgs) -> None:
    """A thread's unexpected exception as one log event (JSON under journald), not a bare traceback on
    stderr that the log format does not know; the daemon's threads also log their own top level."""
    if args.exc_type is SystemExit:
        return
    structlog.get_logger(__name__).error(
        "thread_crashed",
        thread=getattr(args.thread, "name", "?"),
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (tests capture it, daemons redirect it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass
