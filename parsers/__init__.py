"""Parsing: raw email bytes in, one typed ParseResult (models.py) out. Pure: no NetBox, no IMAP.

The stages are in parse.py (``parse_email``); they run in the parse worker processes (worker.py), whose
forkserver imports them once (preload.py). The names below are loaded on first use, not when the package
is imported: the daemon's own process imports ``parsers.models``, ``parsers.options`` and the worker
pool, and must not carry circuit-maintenance-parser, pandas and numpy (about 60 MiB) that only the
workers use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from parsers.parse import ParseResult, ParserOptions, ParseStatus, Verdict, bounded_result, parse_email

__all__ = ["ParseResult", "ParseStatus", "ParserOptions", "Verdict", "bounded_result", "parse_email"]


def __getattr__(name: str):
    if name in __all__:
        from parsers import parse

        return getattr(parse, name)
    raise AttributeError(f"module 'parsers' has no attribute {name!r}")
