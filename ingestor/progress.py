"""A progress bar for long runs (a replay of thousands of emails, the benchmark) — on a terminal only.

The bar (tqdm) goes to stderr, and only when stderr is a terminal: where a machine reads the output
(journald, CI logs, a pipe, `replay --format json`), the iterable is handed back untouched and nothing is
written, so no log or JSON line is ever interleaved with carriage-return redraws.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TextIO, TypeVar

T = TypeVar("T")


def progress(
    items: Iterable[T],
    *,
    total: int | None = None,
    desc: str = "",
    unit: str = "email",
    stream: TextIO | None = None,
) -> Iterable[T]:
    """``items``, drawing a bar on ``stream`` (default: stderr) as they are consumed if it is a terminal.

    ``total`` defaults to ``len(items)`` when it has one; without it the bar shows a count and a rate.
    """
    stream = sys.stderr if stream is None else stream
    if not is_terminal(stream):
        return items
    from tqdm import tqdm  # imported only where a bar is drawn

    return tqdm(items, total=total, desc=desc, unit=unit, file=stream, dynamic_ncols=True, mininterval=0.5)


def is_terminal(stream: TextIO) -> bool:
    """A stream that is closed, replaced by an object without ``isatty`` or not a TTY gets no bar."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
