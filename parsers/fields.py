"""Labelled values of a notice ("Ticket Number: TTN-1", a two-cell HTML table row), found without
provider-specific code.

One reading of an email, shared by the generic outage parser and the declarative parsers:

- text lines "Label: value", or "Label ....... value" with dot leaders and no colon; a value may go on
  over the following lines (a list of circuits under
  "Impacted Circuits:") until a blank line or the next "Label:" line;
- HTML tables: every row of two cells is a label and a value; a table whose first row is a header
  (parsers.tables: marked up as one, or cells that are column headings) gives its circuit column as the
  circuits, or, with no circuit column, each column as a label whose values are the cells below it;
- text tables (pipe, tab or fixed-width columns under a header row) the same way, and their lines are
  no "Label: value" lines.

Values below a reply's history marker (parsers.quotes) are marked ``quoted``: the readers take a notice's
fields from the news above it, and only its ticket id may come from the quote.

Labels are compared after normalisation (case, punctuation, plurals: "Affected service(s)" and
"AFFECTED SERVICES" are the same label); a zone in a label ("Start (UTC)", "Time of occurrence GMT") is
read as the zone of its value.
"""

from __future__ import annotations

import email.message
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from bs4 import BeautifulSoup, Tag

from parsers.email import decode_bytes, message_text
from parsers.labels import normalize_label
from parsers.quotes import is_forward, quoted_lines, quoted_tables
from parsers.tables import circuit_column, is_header, text_tables
from parsers.times import ABBREVIATIONS, FoundZone, find_timezone
from parsers.vocabulary import LABELS_BY_LANGUAGE

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
_DESCRIPTION = re.compile(r"(?<!\s)\s*\([^()]*\)")  # (?<!\s): linear on long blank runs
_PARENTHESES = re.compile(r"[(\[]([^()\[\]]+)[)\]]")
_PARENTHESES_WITH = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")
_TRAILING_ZONE = re.compile(r"(?<=\s)(" + "|".join(ABBREVIATIONS) + r")\s*$")
_SEPARATOR_CELL = frozenset({"", ":", "\uff1a", "-", "=", "|"})
_BULLET = re.compile(r"^\s*(?:[-*\u2022\u00b7]|\d+[.)])\s+")
_ITEM_SEPARATORS = re.compile(r"[,;|\t]|\s{2,}")


# Normalised label -> the language that writes it (the first listing it), for explain.
LABEL_LANGUAGES: dict[str, str] = {}
for _language, _fields in LABELS_BY_LANGUAGE.items():
    for _labels in _fields.values():
        for _label in _labels:
            LABEL_LANGUAGES.setdefault(normalize_label(_label), _language)
CIRCUITS_ROLE = "circuits"


@dataclass(frozen=True)
class LabelledValue:
    label: str  # as written, without the colon
    value: str  # on the label's line / in the value cell (first line)
    following: tuple[str, ...] = ()  # the value's further lines (a list of circuits)
    where: str = "text"  # "text" line or "table" row, for explain output
    quoted: bool = False  # below a reply marker or ">"-quoted: an earlier notice of the thread
    role: str | None = None  # a table column read by its role ("circuits"), not by its heading as a label

    @property
    def lines(self) -> list[str]:
        """The value's non-empty lines."""
        return [line.strip() for line in (self.value, *self.following) if line.strip()]

    @property
    def full_text(self) -> str:
        return " ".join(self.lines)

    @property
    def language(self) -> str | None:
        """The language of the label, when a table of parsers.vocabulary knows it."""
        return next((LABEL_LANGUAGES[key] for key in sorted(self.keys()) if key in LABEL_LANGUAGES), None)

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
    text: str  # the subject, then every text part (HTML as text)
    news: str = ""  # the text without the quoted history (or all of it, for a forward): what patterns search
    values: list[LabelledValue] = field(default_factory=list)
    _by_key: tuple[dict[str, LabelledValue], dict[str, LabelledValue]] | None = field(
        default=None, repr=False, compare=False
    )
    _indexed: int = field(default=0, repr=False, compare=False)

    def find(self, labels: Sequence[str], quoted: bool = False) -> LabelledValue | None:
        """The first value under any of ``labels``, in the order of ``labels``, then of the email, in the
        news only: what a reply quotes is an earlier notice's. With ``quoted`` (the ticket id, which a
        thread shares), the quote answers when the news does not. Values with no text do not count."""
        keys = [normalize_label(label) for label in labels]
        for index in self._index()[: 2 if quoted else 1]:
            found = next((index[key] for key in keys if key in index), None)
            if found is not None:
                return found
        return None

    def find_role(self, role: str) -> LabelledValue | None:
        """The first table column of the news read by ``role`` ("circuits")."""
        return next((v for v in self.values if v.role == role and not v.quoted and v.lines), None)

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
                if not value.lines or value.role is not None:
                    continue
                for key in value.keys():
                    self._by_key[value.quoted].setdefault(key, value)
            self._indexed = len(self.values)
        return self._by_key

    def label_names(self, quoted: bool = False) -> list[str]:
        """Every label seen once, in email order (to help an admin write a definition), in the news, or
        with ``quoted`` in the history a reply quotes (which the readers skip)."""
        seen: dict[str, str] = {}
        for value in self.values:
            if value.quoted == quoted:
                seen.setdefault(normalize_label(value.label), value.label)
        return list(seen.values())


def clean_label(label: str) -> str:
    """A label as written, without emphasis, colon and leader dots ("Works Ref ......" -> "Works Ref")."""
    return label.strip().lstrip("*").rstrip(" *.:_\u2026\uff1a").strip()


def _label_match(line: str) -> re.Match[str] | None:
    match = _LABEL_LINE.match(line)
    return match if match and len(match["label"].split()) <= _MAX_LABEL_WORDS else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def labelled_lines(text: str, tables: frozenset[int] = frozenset()) -> Iterator[LabelledValue]:
    """Every "Label: value" (or "Label ..... value") line of a text, with the lines that continue its
    value; the lines of text tables (``tables``, their line numbers) are neither labels nor values. Each
    line is matched once and read forward only up to the next label, so a long email is read in linear
    time."""
    lines = text.splitlines()
    matches = [None if index in tables else _label_match(line) for index, line in enumerate(lines)]
    quoted = quoted_lines(lines)
    for index, match in enumerate(matches):
        if match is None:
            continue
        value = match["value"].strip()
        nxt = index + 1
        if not value and nxt < len(lines) and not lines[nxt].strip():
            nxt += 1  # "Affected services:", a blank line, then the list
        following: list[str] = []
        while nxt < len(lines) and lines[nxt].strip() and matches[nxt] is None and nxt not in tables:
            # An empty value takes the lines below it; a stated one only lines indented under it.
            if value and _indent(lines[nxt]) <= _indent(lines[index]):
                break
            following.append(lines[nxt].strip())
            nxt += 1
        label = clean_label(match["label"])
        yield LabelledValue(label, value.strip(" *"), tuple(following), "text", quoted[index])


def gap_lines(text: str, tables: frozenset[int] = frozenset()) -> Iterator[LabelledValue]:
    """Every "Label<tab or wide gap>value" line of a text (no colon, no dot leaders), not in a table."""
    lines = text.splitlines()
    for index, (line, quoted) in enumerate(zip(lines, quoted_lines(lines), strict=True)):
        match = None if index in tables else _GAP_LINE.match(line)
        if match and len(match["label"].split()) <= _MAX_LABEL_WORDS:
            label = clean_label(match["label"])
            yield LabelledValue(label, match["value"].strip(), (), "text, no colon", quoted)


def _cell_lines(cell: Tag) -> list[str]:
    return [" ".join(line.split()) for line in cell.get_text("\n").splitlines() if line.strip()]


def _marked_header(cells: list[Tag]) -> bool:
    """A header row by its markup: all <th>, or (three cells or more) all bold text."""
    if all(cell.name == "th" for cell in cells):
        return True
    return len(cells) >= 3 and all(_all_bold(cell) for cell in cells)


def _all_bold(cell: Tag) -> bool:
    style = str(cell.get("style") or "").replace(" ", "").lower()
    if "font-weight:bold" in style or "font-weight:700" in style:
        return True
    bold = cell.find(["b", "strong"])
    return bold is not None and bold.get_text(strip=True) == cell.get_text(strip=True) != ""


def column_values(
    headers: Sequence[str], rows: Sequence[Sequence[str]], where: str, quoted: bool
) -> Iterator[LabelledValue]:
    """A table with a header row, read by column: its circuit column as the circuits (the other columns
    describe those circuits and are no values), else every column as a label over its cells."""
    rows = [row for row in rows if len(row) == len(headers)]
    circuit = circuit_column(headers)
    for column, header in enumerate(headers):
        if circuit is not None and column != circuit:
            continue
        cells = [row[column] for row in rows if row[column]]
        if header and cells:
            where_read = f"{where}, column {header!r}" + (" (circuit ids)" if circuit is not None else "")
            role = CIRCUITS_ROLE if circuit is not None else None
            yield LabelledValue(header, cells[0], tuple(cells[1:]), where_read, quoted, role)


def _direct_rows(table: Tag) -> list[list[Tag]]:
    """The rows of a table itself, not those of the tables nested in its cells."""
    rows = [row for row in table.find_all("tr") if row.find_parent("table") is table]
    cells = [row.find_all(["td", "th"], recursive=False) for row in rows]
    return [row for row in cells if row]


def table_values(soup: BeautifulSoup) -> Iterator[LabelledValue]:
    """Two-cell rows as label/value, and the columns of tables whose first row is a header."""
    quoted_ids = quoted_tables(soup)
    for table in soup.find_all("table"):
        rows, quoted = _direct_rows(table), id(table) in quoted_ids
        texts = [[" ".join(_cell_lines(cell)) for cell in row] for row in rows]
        if len(rows) >= 2 and is_header(texts[0], _marked_header(rows[0])):
            yield from column_values(texts[0], texts[1:], "table", quoted)
            continue
        for cells in rows:
            yield from _row_value(cells, quoted)


def _row_value(cells: list[Tag], quoted: bool) -> Iterator[LabelledValue]:
    """A row of two cells as a label and its value; a separator cell between them ("Ticket | : | 123")
    is no value, and a row of any other width is none."""
    cells = [c for c in cells if c.get_text(strip=True) not in _SEPARATOR_CELL]
    if len(cells) != 2:
        return
    label = clean_label(" ".join(cells[0].get_text(" ").split()))
    if label and len(label) <= 60:
        lines = _cell_lines(cells[1])
        yield LabelledValue(label, lines[0] if lines else "", tuple(lines[1:]), "table", quoted)


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
    lines = text.splitlines()
    quoted = quoted_lines(lines)
    tables = text_tables(lines)
    in_tables = frozenset(index for table in tables for index in table.lines)
    values = [
        *html_tables(msg),
        *(v for t in tables for v in column_values(t.headers, t.rows, "text table", quoted[t.lines.start])),
        *labelled_lines(text, in_tables),
        *gap_lines(text, in_tables),
    ]
    news = "\n".join(line for line, old in zip(lines, quoted, strict=True) if not old)
    if is_forward(subject, lines) and all(value.quoted for value in values if value.language):
        values = [replace(value, quoted=False) for value in values]  # the forwarded message is the notice
        news = text
    return NoticeText(subject=" ".join(subject.split()), text=text, values=values, news=news)


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
