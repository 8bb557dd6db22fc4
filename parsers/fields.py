"""Labelled values of a notice ("Ticket Number: TTN-1", a two-cell HTML table row), found without
provider-specific code.

One reading of an email, shared by the generic outage parser and the declarative parsers:

- text lines "Label: value"; a value may go on over the following lines (a list of circuits under
  "Impacted Circuits:") until a blank line or the next "Label:" line;
- HTML tables: every row of two cells is a label and a value, and a table whose first row is all
  ``<th>`` gives each column as a label whose values are the cells below it.

Labels are compared after normalisation (case, punctuation, plurals: "Affected service(s)" and
"AFFECTED SERVICES" are the same label); a trailing "(UTC)" in a label is read as the zone of its value.
"""

from __future__ import annotations

import email.message
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, Tag

from parsers.email import decode_bytes, message_text
from parsers.times import FoundZone, find_timezone

# A label starts with a letter, stays short and ends at the first colon; bullets and quoting before it
# are skipped. The value is the rest of the line.
_LABEL_LINE = re.compile(
    r"^[\s>*\u2022-]*(?P<label>[^\W\d_][^:\uff1a\n]{0,59}?)[\s*]*[:\uff1a]\s*(?P<value>.*)$"
)
_MAX_LABEL_WORDS = 6
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

    @property
    def lines(self) -> list[str]:
        """The value's non-empty lines."""
        return [line.strip() for line in (self.value, *self.following) if line.strip()]

    @property
    def full_text(self) -> str:
        return " ".join(self.lines)

    @property
    def zone_hint(self) -> FoundZone | None:
        """The zone a label names for its value: "Start Time (UTC)", "End (times in CET)"."""
        match = re.search(r"[(\[]([^()\[\]]+)[)\]]\s*$", self.label)
        return find_timezone(match[1]) if match else None

    def keys(self) -> set[str]:
        """The normalised label, also without a trailing parenthesis ("Start Time (UTC)" -> "start time")."""
        stripped = re.sub(r"\s*[(\[][^()\[\]]*[)\]]\s*$", "", self.label)
        return {normalize_label(self.label), normalize_label(stripped)} - {""}


@dataclass
class NoticeText:
    """An email as label-reading sees it: the searchable text and the labelled values in it."""

    subject: str
    text: str  # the subject, then every text part (HTML as text): what patterns search
    values: list[LabelledValue] = field(default_factory=list)

    def find(self, labels: Sequence[str]) -> LabelledValue | None:
        """The first value under any of ``labels``, in the order of ``labels``, then of the email."""
        for label in labels:
            wanted = normalize_label(label)
            for value in self.values:
                if wanted in value.keys():
                    return value
        return None

    def label_names(self) -> list[str]:
        """Every label seen once, in email order (to help an admin write a definition)."""
        seen: dict[str, str] = {}
        for value in self.values:
            seen.setdefault(normalize_label(value.label), value.label)
        return list(seen.values())


def clean_label(label: str) -> str:
    """A label as written, without emphasis, colon and leader dots ("Works Ref ......" -> "Works Ref")."""
    return label.strip().lstrip("*").rstrip(" *.:_\u2026\uff1a").strip()


def _is_label_line(line: str) -> bool:
    match = _LABEL_LINE.match(line)
    return bool(match) and len(match["label"].split()) <= _MAX_LABEL_WORDS


def labelled_lines(text: str) -> Iterator[LabelledValue]:
    """Every "Label: value" line of a text, with the lines that continue its value."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = _LABEL_LINE.match(line)
        if not match or len(match["label"].split()) > _MAX_LABEL_WORDS:
            continue
        value = match["value"].strip()
        indent = len(line) - len(line.lstrip())
        following: list[str] = []
        rest = lines[index + 1 :]
        if not value and rest and not rest[0].strip():
            rest = rest[1:]  # "Affected services:", a blank line, then the list
        for next_line in rest:
            if not next_line.strip() or _is_label_line(next_line):
                break
            # An empty value takes the lines below it; a stated one only lines indented under it.
            if value and len(next_line) - len(next_line.lstrip()) <= indent:
                break
            following.append(next_line.strip())
        yield LabelledValue(clean_label(match["label"]), value.strip(" *"), tuple(following), "text")


def _cell_lines(cell: Tag) -> list[str]:
    return [" ".join(line.split()) for line in cell.get_text("\n").splitlines() if line.strip()]


def table_values(soup: BeautifulSoup) -> Iterator[LabelledValue]:
    """Two-cell rows as label/value, and columns of tables whose first row is a header of <th>."""
    for table in soup.find_all("table"):
        rows = [row.find_all(["td", "th"], recursive=False) for row in table.find_all("tr")]
        rows = [cells for cells in rows if cells]
        if len(rows) >= 2 and all(cell.name == "th" for cell in rows[0]) and len(rows[0]) >= 2:
            for column, header in enumerate(rows[0]):
                cells = [" ".join(_cell_lines(r[column])) for r in rows[1:] if len(r) == len(rows[0])]
                cells = [c for c in cells if c]
                if header.get_text(strip=True) and cells:
                    yield LabelledValue(header.get_text(" ", strip=True), cells[0], tuple(cells[1:]), "table")
            continue
        for cells in rows:
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
    """Read an email once into its searchable text and labelled values (text lines first, then tables).

    The text is parsers.email.message_text: the subject, then every text part, HTML as text.
    """
    text = message_text(msg)
    values = [*labelled_lines(text), *html_tables(msg)]
    return NoticeText(subject=" ".join(subject.split()), text=text, values=values)


def split_ids(lines: Iterable[str]) -> list[str]:
    """Circuit ids from the lines of a value: one per line or separated by , ; | tabs or wide gaps.

    An item with single spaces is split on them only when every word has a digit ("1-300 1-301" is two
    ids, "10G Wave 1234" is one).
    """
    ids: list[str] = []
    for line in lines:
        for item in _ITEM_SEPARATORS.split(_BULLET.sub("", line)):
            item = item.strip().strip(".")
            words = item.split()
            for circuit in (
                words if len(words) > 1 and all(any(c.isdigit() for c in w) for w in words) else [item]
            ):
                if circuit and circuit not in ids:
                    ids.append(circuit)
    return ids
