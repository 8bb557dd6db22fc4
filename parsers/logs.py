"""Log records of the parsing stage reduced to one short line, and carried out of a parse worker.

circuit-maintenance-parser logs the whole email (and a traceback) at ERROR when it cannot read one, and
the whole content of a part when a filter does not match: megabytes per email in journald. Its records
go through a relay that keeps one line of at most LINE_MAX characters, no traceback, no email.
"""

from __future__ import annotations

import logging

LIBRARY_LOGGER = "circuit_maintenance_parser"
LINE_MAX = 300
ARGUMENT_MAX = 80  # characters of each %-argument: a city name fits, an email does not


def one_line(record: logging.LogRecord) -> str:
    """The record's message on one line, its arguments and the whole cut short, the exception named."""
    try:
        args = record.args if isinstance(record.args, tuple) else ()
        text = str(record.msg) % tuple(_short(arg, ARGUMENT_MAX) for arg in args) if args else str(record.msg)
    except Exception:  # a format that does not fit its arguments: the format alone says enough
        text = str(record.msg)
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        text += f" ({type(error).__name__}: {_short(error, ARGUMENT_MAX)})"
    return _short(text, LINE_MAX)


def _short(value: object, limit: int) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _OneLineRelay(logging.Handler):
    """Shortens a library record in place, then hands it to the root logger's handlers as usual."""

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = one_line(record), None
        record.exc_info = record.exc_text = record.stack_info = None
        logging.getLogger().handle(record)


def install_library_relay() -> None:
    """Route the library's records through the one-line relay (idempotent)."""
    library = logging.getLogger(LIBRARY_LOGGER)
    if not any(isinstance(handler, _OneLineRelay) for handler in library.handlers):
        library.addHandler(_OneLineRelay())
        library.propagate = False


class RecordCollector(logging.Handler):
    """Keeps (logger name, level, one line) of the records of one parse, to be logged again elsewhere."""

    def __init__(self, limit: int = 50):
        super().__init__(logging.WARNING)
        self.limit = limit
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) < self.limit:
            self.records.append((record.name, record.levelno, one_line(record)))

    def take(self) -> list[tuple[str, int, str]]:
        records, self.records = self.records, []
        return records
