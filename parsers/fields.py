"""Labelled values of a notice ("Ticket Number: TTN-1", a two-cell HTML table row), found without
provider-specific code.

One reading of an email, shared by the generic outage parser and the declarative parsers:

- text lines "Label: value", or "Label ....... value" with dot leaders and no colon; a value may go on
  over the following lines (a list of circuits under
  "Impacted Circuits:") until a blank line or the next "Label:" line;
- HTML tables: every row of two cells is a label and a value, and a table whose first row is all
  ``<th>`` gives each column as a label whose values are the cells below it.

Labels are compared after normalisation (case, punctuation, plurals: "Affected service(s)" and
"AFFECTED SERVICES" are the same label); a zone in a label ("Start (UTC)", "Time of occurrence GMT") is
read as the zone of its value.
"""

from __future__ import annotations

import email.message
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Tag

from parsers.email import decode_bytes, message_text
from parsers.times import ABBREVIATIONS, FoundZone, find_timezone

# A label starts with a letter, stays short and ends at the first colon, or at dot leaders with or
# without a colon ("Ticket ........ X", "Start time....: X"); bullets and quoting before it are skipped.
# The value is the rest of the line.
_LABEL_LINE = re.compile(
    r"^[\s>*\u2022-]*(?P<label>[^\W\d_][^:\uff1a\n]{0,59}?)"
    r"(?:[\s*]*[:\uff1a]|\s*(?:\.{3,}|\u2026+)[.\u2026\s]*[:\uff1a]?)\s*(?P<value>.*)$"
)
_MAX_LABEL_WORDS = 6
# Fixed-width notices: a label, a tab or a wide gap, the value ("Ticket Number      4711"); read after
# the lines with a colon or dot leaders, so it only answers for labels those do not have.
_GAP_LINE = re.compile(
    r"^[\s>*\u2022-]*(?P<label>[^\W\d_](?:[^\t:\s]| (?! ))*?)(?:\t+|\s{2,})(?P<value>\S.*)$"
)
_REPLY_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original Message|Forwarded message)\s*-{2,}|On\s.{5,200}\swrote:\s*$|"
    r"(?:From|Von|De)\s*:\s.+@|_{10,}\s*$)",
    re.IGNORECASE,
)
_DESCRIPTION = re.compile(r"(?<!\s)\s*\([^()]*\)")  # (?<!\s): linear on long blank runs
_PARENTHESES = re.compile(r"[(\[]([^()\[\]]+)[)\]]")
_PARENTHESES_WITH = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")
_TRAILING_ZONE = re.compile(r"(?<=\s)(" + "|".join(ABBREVIATIONS) + r")\s*$")
_SEPARATOR_CELL = frozenset({"", ":", "\uff1a", "-", "=", "|"})
_BULLET = re.compile(r"^\s*(?:[-*\u2022\u00b7]|\d+[.)])\s+")
_ITEM_SEPARATORS = re.compile(r"[,;|\t]|\s{2,}")


def normalize_label(label: str) -> str:
    """The form labels are compared in: "Affected service(s):" -> "affected service"."""
    words = re.findall(r"[^\W_]+", label.casefold().replace("(s)", "s"))
    return " ".join(w[:-1] if len(w) > 2 and w.endswith("s") else w for w in words)


@dataclass(frozen=True)
class LabelledValue:
    label: str  # as written, without the colon
    value: str  # on the label's line / in the value cell (first line)
    following: tuple[str, ...] = ()  # the value's further lines (a list of circuits)
    where: str = "text"  # "text" line or "table" row, for explain output
    quoted: bool = False  # below a reply marker or ">"-quoted: an earlier notice of the thread

    @property
    def lines(self) -> list[str]:
        """The value's non-empty lines."""
        return [line.strip() for line in (self.value, *self.following) if line.strip()]

    @property
    def full_text(self) -> str:
        return " ".join(self.lines)

    @property
    def zone_hint(self) -> FoundZone | None:
        """The zone a label names for its value: "Start Time (UTC)", "Time (GMT) of occurrence",
        "End (times in CET)", "Start Time GMT"."""
        for part in (*_PARENTHESES.findall(self.label), *_TRAILING_ZONE.findall(self.label)):
            found = find_timezone(part)
            if found is not None:
                return found
        return None

    def keys(self) -> set[str]:
        """The normalised label, also without its parentheses and a trailing zone ("Start Time (UTC)",
        "Start Time GMT" -> "start time")."""
        stripped = _TRAILING_ZONE.sub("", _PARENTHESES_WITH.sub(" ", self.label))
        return {normalize_label(self.label), normalize_label(stripped)} - {""}


@dataclass
class NoticeText:
    """An email as label-reading sees it: the searchable text and the labelled values in it."""

    subject: str
    text: str  # the subject, then every text part (HTML as text): what patterns search
    values: list[LabelledValue] = field(default_factory=list)
    _by_key: tuple[dict[str, LabelledValue], dict[str, LabelledValue]] | None = field(
        default=None, repr=False, compare=False
    )
    _indexed: int = field(default=0, repr=False, compare=False)

    def find(self, labels: Sequence[str]) -> LabelledValue | None:
        """The first value under any of ``labels``, in the order of ``labels``, then of the email. The
        notice itself goes before the earlier notices a reply quotes: a label found above the quote
        beats a better label found in it (a new "Update: restored" over a quoted "Status: Open")."""
        keys = [normalize_label(label) for label in labels]
        for index in self._index():
            found = next((index[key] for key in keys if key in index), None)
            if found is not None:
                return found
        return None

    def all_like(self, found: LabelledValue) -> list[LabelledValue]:
        """Every value under the same label as ``found``, read the same way at its quote level: one
        circuit per row or line ("Circuit ID: A", "Circuit ID: B")."""
        key, kind = normalize_label(found.label), (found.quoted, found.where)
        return [v for v in self.values if (v.quoted, v.where) == kind and normalize_label(v.label) == key]

    def _index(self) -> tuple[dict[str, LabelledValue], dict[str, LabelledValue]]:
        """Normalised label -> its first value, for the notice and for what it quotes; built once."""
        if self._by_key is None or self._indexed != len(self.values):
            self._by_key = ({}, {})
            for value in self.values:
                for key in value.keys():
                    self._by_key[value.quoted].setdefault(key, value)
            self._indexed = len(self.values)
        return self._by_key

    def label_names(self) -> list[str]:
        """Every label seen once, in email order (to help an admin write a definition)."""
        seen: dict[str, str] = {}
        for value in self.values:
            seen.setdefault(normalize_label(value.label), value.label)
        return list(seen.values())


def clean_label(label: str) -> str:
    """A label as written, without emphasis, colon and leader dots ("Works Ref ......" -> "Works Ref")."""
    return label.strip().lstrip("*").rstrip(" *.:_\u2026\uff1a").strip()


def _label_match(line: str) -> re.Match[str] | None:
    match = _LABEL_LINE.match(line)
    return match if match and len(match["label"].split()) <= _MAX_LABEL_WORDS else None


def quoted_lines(lines: Sequence[str]) -> list[bool]:
    """Per line, whether it belongs to an earlier message a reply or forward carries: ">"-quoted, or
    below a reply marker ("-----Original Message-----", "On ... wrote:", an Outlook "From:" header)."""
    below, flags = False, []
    for line in lines:
        below = below or bool(_REPLY_MARKER.match(line))
        flags.append(below or line.lstrip().startswith(">"))
    return flags


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def labelled_lines(text: str) -> Iterator[LabelledValue]:
    """Every "Label: value" (or "Label ..... value") line of a text, with the lines that continue its
    value. Each line is matched once and read forward only up to the next label, so a long email is
    read in linear time."""
    lines = text.splitlines()
    matches = [_label_match(line) for line in lines]
    quoted = quoted_lines(lines)
    for index, match in enumerate(matches):
        if match is None:
            continue
        value = match["value"].strip()
        nxt = index + 1
        if not value and nxt < len(lines) and not lines[nxt].strip():
            nxt += 1  # "Affected services:", a blank line, then the list
        following: list[str] = []
        while nxt < len(lines) and lines[nxt].strip() and matches[nxt] is None:
            # An empty value takes the lines below it; a stated one only lines indented under it.
            if value and _indent(lines[nxt]) <= _indent(lines[index]):
                break
            following.append(lines[nxt].strip())
            nxt += 1
        label = clean_label(match["label"])
        yield LabelledValue(label, value.strip(" *"), tuple(following), "text", quoted[index])


def gap_lines(text: str) -> Iterator[LabelledValue]:
    """Every "Label<tab or wide gap>value" line of a text (no colon, no dot leaders)."""
    lines = text.splitlines()
    for line, quoted in zip(lines, quoted_lines(lines), strict=True):
        match = _GAP_LINE.match(line)
        if match and len(match["label"].split()) <= _MAX_LABEL_WORDS:
            label = clean_label(match["label"])
            yield LabelledValue(label, match["value"].strip(), (), "text, no colon", quoted)


def _cell_lines(cell: Tag) -> list[str]:
    return [" ".join(line.split()) for line in cell.get_text("\n").splitlines() if line.strip()]


def _is_header(cells: list[Tag]) -> bool:
    """A header row: all <th>, or (three cells or more) all bold text — "Circuit ID | A-End | B-End"."""
    if len(cells) >= 2 and all(cell.name == "th" for cell in cells):
        return True
    return len(cells) >= 3 and all(_all_bold(cell) for cell in cells)


def _all_bold(cell: Tag) -> bool:
    bold = cell.find(["b", "strong"])
    return bold is not None and bold.get_text(strip=True) == cell.get_text(strip=True) != ""


def table_values(soup: BeautifulSoup) -> Iterator[LabelledValue]:
    """Two-cell rows as label/value, and columns of tables whose first row is a header."""
    for table in soup.find_all("table"):
        rows = [row.find_all(["td", "th"], recursive=False) for row in table.find_all("tr")]
        rows = [cells for cells in rows if cells]
        if len(rows) >= 2 and _is_header(rows[0]):
            for column, header in enumerate(rows[0]):
                cells = [" ".join(_cell_lines(r[column])) for r in rows[1:] if len(r) == len(rows[0])]
                cells = [c for c in cells if c]
                if header.get_text(strip=True) and cells:
                    yield LabelledValue(header.get_text(" ", strip=True), cells[0], tuple(cells[1:]), "table")
            continue
        for cells in rows:
            # a separator cell between label and value ("Ticket | : | 123") is no value
            cells = [c for c in cells if c.get_text(strip=True) not in _SEPARATOR_CELL]
            if len(cells) != 2:
                continue
            label = clean_label(" ".join(cells[0].get_text(" ").split()))
            if not label or len(label) > 60:
                continue
            lines = _cell_lines(cells[1])
            yield LabelledValue(label, lines[0] if lines else "", tuple(lines[1:]), "table")


def html_tables(msg: email.message.Message) -> Iterator[LabelledValue]:
    """The labelled values of the tables of every HTML part that is not an attachment."""
    for part in msg.walk():
        if part.get_content_type() != "text/html" or part.get_content_disposition() == "attachment":
            continue
        payload = part.get_payload(decode=True)
        html = decode_bytes(payload, part.get_content_charset()) if isinstance(payload, bytes) else ""
        if html:
            yield from table_values(BeautifulSoup(html, "html.parser"))


def read_notice_text(msg: email.message.Message, subject: str) -> NoticeText:
    """Read an email once into its searchable text and labelled values (tables first, then text lines).

    The text is parsers.email.message_text: the subject, then every text part, HTML as text. A table
    row says exactly which cell is the value (a cell of several lines is one value), while the same
    row flattened to text ("Impacted Services : A" then "B" on its own line) does not: tables win.
    """
    text = message_text(msg)
    values = [*html_tables(msg), *labelled_lines(text), *gap_lines(text)]
    return NoticeText(subject=" ".join(subject.split()), text=text, values=values)


def _without_description(item: str) -> str:
    short = _DESCRIPTION.sub("", item).strip()
    item = short if short != item and any(c.isdigit() for c in short) else item
    head, separator, _ = item.partition(" - ")
    return head if separator and len(head.split()) == 1 and any(c.isdigit() for c in head) else item


def split_ids(lines: Iterable[str]) -> list[str]:
    """Circuit ids from the lines of a value: one per line or separated by , ; | tabs or wide gaps.

    An item with single spaces is split on them only when every word has a digit ("1-300 1-301" is two
    ids, "10G Wave 1234" is one). A description after the id is left out: "OGYX/1//ZYO (Chicago - Dallas)"
    and "LE-123456 - London to Paris" are the ids before it.
    """
    ids: list[str] = []
    for line in lines:
        for item in _ITEM_SEPARATORS.split(_BULLET.sub("", line)):
            item = _without_description(item.strip().strip("."))
            words = item.split()
            for circuit in (
                words if len(words) > 1 and all(any(c.isdigit() for c in w) for w in words) else [item]
            ):
                if circuit and circuit not in ids:
                    ids.append(circuit)
    return ids
