"""What to do with an email once it has been handled: the disposition spec grammar and its actions.

A spec is actions joined by "+": "move:Folder", "keyword:$Flag", "seen", or just "none". A move comes
last, because after it the message no longer exists in the folder the other actions address. Folder names
therefore cannot contain "+".

Pure: no I/O and no configuration. The mailbox config models (ingestor.config) parse their ``on_*`` specs
with ``parse_disposition`` once, when the file is loaded, so a typo fails at start-up and every email
afterwards only looks its actions up; the IMAP and Graph sources apply them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# an IMAP flag keyword is an atom: no spaces, no list/quote/wildcard specials, and no "\" (system flags
# are not keywords; "\Seen" is spelled "seen")
_KEYWORD = re.compile(r'^[^\s(){%*"\\\]]+$')


class DispositionError(ValueError):
    """A disposition spec cannot be used; the message says which part and why."""


@dataclass(frozen=True)
class Move:
    folder: str


@dataclass(frozen=True)
class AddKeyword:
    name: str


@dataclass(frozen=True)
class MarkSeen:
    pass


Action = Move | AddKeyword | MarkSeen
# One parsed spec: its actions in order, a move (if any) last; () is "none". A tuple, so a parsed config
# cannot be changed by whoever applies it.
Disposition = tuple[Action, ...]


def parse_disposition(spec: str) -> Disposition:
    """Turn a spec like "keyword:$Ingested+seen+move:Processed" into actions, in order."""
    parts = [part.strip() for part in spec.split("+")]
    if parts == ["none"]:
        return ()
    actions = tuple(_parse_action(spec, part) for part in parts)
    if any(isinstance(action, Move) for action in actions[:-1]):
        raise DispositionError(f"{spec!r}: a move must be the last action")
    return actions


def _parse_action(spec: str, part: str) -> Action:
    kind, _, argument = part.partition(":")
    argument = argument.strip()
    if part == "none":
        raise DispositionError(f"{spec!r}: 'none' cannot be combined with other actions")
    if part == "seen":
        return MarkSeen()
    if kind == "keyword" and _KEYWORD.match(argument):
        return AddKeyword(argument)
    if kind == "keyword":
        raise DispositionError(f"{spec!r}: {argument!r} is not a valid IMAP keyword")
    if kind == "move" and argument:
        return Move(argument)
    raise DispositionError(
        f"{spec!r}: unknown action {part!r} (expected move:Folder, keyword:Name, seen or none)"
    )


def format_disposition(actions: Disposition) -> str:
    """The spec that parses back into ``actions`` (config dumps and logs show what the user wrote)."""
    return "+".join(format_action(action) for action in actions) or "none"


def format_action(action: Action) -> str:
    """One action as a spec writes it: the logs of both sources show the actions as configured."""
    if isinstance(action, Move):
        return f"move:{action.folder}"
    if isinstance(action, AddKeyword):
        return f"keyword:{action.name}"
    return "seen"


def done_keywords(dispositions: Iterable[Disposition]) -> list[str]:
    """Keywords that mark an email as handled and left in place (a disposition without a move).

    The sources skip emails carrying one (IMAP keywords, Graph categories), so losing the state file
    does not re-read them all.
    """
    keywords: list[str] = []
    for actions in dispositions:
        if any(isinstance(action, Move) for action in actions):
            continue
        for action in actions:
            if isinstance(action, AddKeyword) and action.name not in keywords:
                keywords.append(action.name)
    return keywords


def retry_keywords(failed: Disposition, dispositions: Iterable[Disposition]) -> list[str]:
    """Keywords an email moved back from the failed folder for another try must lose: those that mark
    it handled (``done_keywords``: the sources would skip it) and those the failed disposition added
    (a retried email that is then ingested must not read as failed)."""
    keywords = done_keywords(dispositions)
    for action in failed:
        if isinstance(action, AddKeyword) and action.name not in keywords:
            keywords.append(action.name)
    return keywords


def moved_to(actions: Iterable[Action]) -> str | None:
    """The folder a disposition moves the email into; None when it leaves it in place."""
    moves = [action.folder for action in actions if isinstance(action, Move)]
    return moves[-1] if moves else None
