"""What to do with an email once it has been handled: parse the config's disposition specs into actions.

A spec is actions joined by "+": "move:Folder", "keyword:$Flag", "seen", or just "none". A move comes
last, because after it the message no longer exists in the folder the other actions address. Folder names
therefore cannot contain "+". Pure: no I/O; the IMAP source applies the actions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:  # config imports the parsers; only the type is needed here
    from ingestor.config import MailboxConfig

Outcome = Literal["ingested", "duplicate", "ignored", "failed"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)

# which MailboxConfig field holds the spec for each outcome
_SPEC_FIELD: dict[str, str] = {
    "ingested": "on_success",
    "duplicate": "on_duplicate",
    "ignored": "on_ignored",
    "failed": "on_failed",
}

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


def parse_disposition(spec: str) -> list[Action]:
    """Turn a spec like "keyword:$Ingested+seen+move:Processed" into actions, in order."""
    parts = [part.strip() for part in spec.split("+")]
    if parts == ["none"]:
        return []
    actions: list[Action] = []
    for part in parts:
        kind, _, argument = part.partition(":")
        argument = argument.strip()
        if part == "none":
            raise DispositionError(f"{spec!r}: 'none' cannot be combined with other actions")
        if part == "seen":
            actions.append(MarkSeen())
        elif kind == "keyword" and _KEYWORD.match(argument):
            actions.append(AddKeyword(argument))
        elif kind == "keyword":
            raise DispositionError(f"{spec!r}: {argument!r} is not a valid IMAP keyword")
        elif kind == "move" and argument:
            actions.append(Move(argument))
        else:
            raise DispositionError(
                f"{spec!r}: unknown action {part!r} (expected move:Folder, keyword:Name, seen or none)"
            )
    if any(isinstance(action, Move) for action in actions[:-1]):
        raise DispositionError(f"{spec!r}: a move must be the last action")
    return actions


def spec_for(outcome: str, mailbox: MailboxConfig) -> str:
    if outcome not in _SPEC_FIELD:
        raise ValueError(f"unknown outcome {outcome!r} (expected one of {', '.join(OUTCOMES)})")
    spec = getattr(mailbox, _SPEC_FIELD[outcome])
    if spec is None:  # on_duplicate defaults to on_success
        spec = mailbox.on_success
    return spec


def actions_for(outcome: str, mailbox: MailboxConfig) -> list[Action]:
    """The actions to apply to an email of this mailbox that ended with this outcome."""
    spec = spec_for(outcome, mailbox)
    try:
        return parse_disposition(spec)
    except DispositionError as exc:
        raise DispositionError(f"mailbox {mailbox.name}: {_SPEC_FIELD[outcome]}: {exc}") from None


def check_dispositions(mailbox: MailboxConfig) -> None:
    """Validate all of a mailbox's specs at start-up, so a typo fails then and not on the first email.

    Also rejects moving into the folder being read: the moved copy would get a new UID and be fetched
    again on every poll.
    """
    for outcome in OUTCOMES:
        for action in actions_for(outcome, mailbox):
            if isinstance(action, Move) and action.folder == mailbox.folder:
                raise DispositionError(
                    f"mailbox {mailbox.name}: {_SPEC_FIELD[outcome]}: cannot move into the folder being "
                    f"read ({mailbox.folder!r})"
                )


def done_keywords(mailbox: MailboxConfig) -> list[str]:
    """Keywords that mark an email as handled and left in place (a disposition without a move).

    The IMAP source skips emails carrying one, so losing the state file does not re-read them all.
    """
    keywords: list[str] = []
    for outcome in OUTCOMES:
        actions = actions_for(outcome, mailbox)
        if any(isinstance(action, Move) for action in actions):
            continue
        for action in actions:
            if isinstance(action, AddKeyword) and action.name not in keywords:
                keywords.append(action.name)
    return keywords
