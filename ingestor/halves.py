"""Splitting what failed together in halves, down to the parts at fault.

NetBox writes a bulk request in one transaction, and the pipeline writes a batch of emails as one: when
the whole fails, it may be one member's fault (a refused event, a poison email). Both the pipeline (by
email) and the NetBox writer (by event) try each half again, and each half of a half that fails, until
what fails does so alone. Only the loop is shared: what a part is, how it is tried, which failures are
worth splitting and what becomes of a member that fails alone stay each caller's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
F = TypeVar("F")


def isolate(
    members: Sequence[T],
    failure: F,
    attempt: Callable[[Sequence[T]], F | None],
    alone: Callable[[T, F], None],
) -> None:
    """``members`` failed together with ``failure``: ``attempt`` each half (None: done, else the failure
    to split it by), and so on down; ``alone(member, failure)`` for each member that fails by itself.
    Members that succeed together are never split; an exception from ``attempt`` ends the whole."""
    if len(members) == 1:
        alone(members[0], failure)
        return
    half = len(members) // 2
    for part in (members[:half], members[half:]):
        again = attempt(part)
        if again is not None:
            isolate(part, again, attempt, alone)
