"""Where the quoted history of a reply or forward starts, in text lines and in HTML.

A carrier's update is often a reply to its first notice: the news on top, the earlier message below
("-----Original Message-----", a "From: ... Sent: ..." block, "On ... wrote:" with ">" lines, a "Previous
updates" log), in the languages of parsers.vocabulary. Only the news is this email's: a status, time or
circuit that appears only below the marker belongs to an earlier notice, so the readers take the email's
fields from above it (parsers.fields marks every value it reads as quoted or not). The email's whole body
still goes into the EventNotification: nothing here changes what is stored, only what is read.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from parsers.labels import alternation
from parsers.vocabulary import (
    FORWARD_MARKERS,
    FORWARD_PREFIXES,
    ORIGINAL_MESSAGE_MARKERS,
    PREVIOUS_UPDATES_MARKERS,
    QUOTE_CONTAINER_CLASSES,
    QUOTE_CONTAINER_IDS,
    QUOTED_FROM,
    QUOTED_SENT,
    WROTE_OPENERS,
    WROTE_WORDS,
)

if TYPE_CHECKING:  # bs4 is imported where tables are read: parsers.email (and the daemon) need none of it
    from bs4 import BeautifulSoup

_I = re.IGNORECASE
_ORIGINAL = re.compile(rf"^\s*-{{2,}}\s*(?:{alternation(ORIGINAL_MESSAGE_MARKERS)})\s*-{{2,}}\s*$", _I)
_FORWARD = re.compile(rf"^\s*-{{2,}}\s*(?:{alternation(FORWARD_MARKERS)})\s*-{{2,}}\s*$", _I)
# The writer's name may follow the verb ("Am 3. März 2026 schrieb NOC <noc@x>:", "Op ... schreef NOC:").
_WROTE = re.compile(
    rf"^\s*(?:{alternation(WROTE_OPENERS)})\s.{{5,200}}\s(?:{alternation(WROTE_WORDS)})\b.{{0,120}}:\s*$", _I
)
# The line parsers.email.message_text writes where an HTML quote container (<blockquote>, Outlook's
# div#divRplyFwdMsg...) starts, so that text reading knows the quoted history too.
HTML_QUOTE_LINE = "----- quoted history -----"
_PREVIOUS = re.compile(rf"^[\s\-=*#_\[]*(?:{alternation(PREVIOUS_UPDATES_MARKERS)})[\s\-=*#_:\]]*$", _I)
_RULE = re.compile(r"^\s*_{10,}\s*$")
# A quoted header's "From:" names someone ("From: Carrier NOC <noc@...>"); "From: 10:00 UTC" is a window.
_FROM = re.compile(rf"^\s*\**(?:{alternation(QUOTED_FROM)})\s*\**\s*:\s*\**\s*[^\d\s]", _I)
_SENT = re.compile(rf"^\s*\**(?:{alternation(QUOTED_SENT)})\s*\**\s*:\s*\**\s*\S", re.IGNORECASE)
_FORWARD_SUBJECT = re.compile(rf"^\s*(?:{alternation(FORWARD_PREFIXES)})\s*:", re.IGNORECASE)
# A "From:" block is a quoted message's header when a "Sent:"/"Date:" line follows within this many lines.
_HEADER_LINES = 3


class HistoryScanner:
    """Fed an email's lines in order, says from which line on they are quoted history. One pass, a few
    lines of memory: the same scanner serves text parts and the text of HTML as it streams by."""

    def __init__(self) -> None:
        self.started = False
        self.forward = False  # the first marker was a forward's ("---------- Forwarded message ----------")
        self._recent: deque[str] = deque(maxlen=_HEADER_LINES)

    def feed(self, line: str) -> bool:
        """Whether ``line`` (and every line after it) is quoted history."""
        if not self.started and self._starts_history(line):
            self.started = True
            self.forward = bool(_FORWARD.match(line))
        self._recent.append(line)
        return self.started

    def _starts_history(self, line: str) -> bool:
        if line.strip() == HTML_QUOTE_LINE or _ORIGINAL.match(line) or _WROTE.match(line):
            return True
        if _PREVIOUS.match(line) or _RULE.match(line):
            return True
        if _FROM.match(line) and "@" in line:
            return True
        return bool(_SENT.match(line)) and any(_FROM.match(earlier) for earlier in self._recent)


def quoted_lines(lines: Sequence[str]) -> list[bool]:
    """Per line, whether it belongs to an earlier message a reply or forward carries: ">"-quoted, or at or
    below a history marker."""
    scanner = HistoryScanner()
    return [scanner.feed(line) or line.lstrip().startswith(">") for line in lines]


def is_forward(subject: str, lines: Sequence[str]) -> bool:
    """A forward ("FW:", "WG:", "TR:"... or a "Forwarded message" marker): the message below the marker is
    the notice itself, not an earlier one."""
    if _FORWARD_SUBJECT.match(subject):
        return True
    scanner = HistoryScanner()
    for line in lines:
        if scanner.feed(line):
            return scanner.forward
    return False


_BLOCKS = frozenset(("p", "div", "br", "hr", "tr", "table", "li", "blockquote", "h1", "h2", "h3", "pre"))


def is_quote_container(name: str, attributes: dict) -> bool:
    """Whether an HTML element holds a quoted message: <blockquote>, or a mail program's quote wrapper."""
    if name == "blockquote":
        return True
    classes = attributes.get("class") or ()
    classes = classes.split() if isinstance(classes, str) else classes
    return attributes.get("id") in QUOTE_CONTAINER_IDS or any(c in QUOTE_CONTAINER_CLASSES for c in classes)


def quoted_tables(soup: BeautifulSoup) -> set[int]:
    """The ids (``id()``) of the tables of an HTML document that sit in its quoted history: inside a
    quote container (Outlook's div#divRplyFwdMsg, Gmail's .gmail_quote, <blockquote>) or after a history
    marker in the document's text. One walk of the document, in order."""
    from bs4 import NavigableString, Tag

    scanner, line, quoted = HistoryScanner(), [], set()
    for node in soup.descendants:
        if isinstance(node, NavigableString):
            line.append(str(node))
            continue
        if not isinstance(node, Tag):
            continue
        if node.name in _BLOCKS:
            for text in "".join(line).splitlines():
                scanner.feed(text)
            line.clear()
        if is_quote_container(node.name, node.attrs):
            scanner.started = True
        if node.name == "table" and scanner.started:
            quoted.add(id(node))
    return quoted
