"""Tables read by their structure: which row is the header, and what each column holds.

Carriers list the circuits of an outage in tables with extra columns ("Service ID | Product | Bandwidth |
A-End | B-End"), in HTML (a header row in <th>, in bold, or plain cells) and in text (pipe-separated,
tab-separated, fixed-width columns under a header). A header row is recognised by its cells: marked up as
one, or all of them column headings of parsers.vocabulary.COLUMN_ROLES (and no digits, which values have).
The circuit ids are the column whose role is "circuit"; A-end, bandwidth and the other columns describe
them and are never read as ids, and a header cell is never a value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from parsers.labels import normalize_label
from parsers.vocabulary import COLUMN_ROLES

CIRCUIT = "circuit"
_ROLES: dict[str, str] = {}
for _role, _headings in COLUMN_ROLES.items():
    for _heading in _headings:
        _ROLES.setdefault(normalize_label(_heading), _role)
# The circuit headings in the order of preference: "Circuit ID" over "Service" when a table has both.
_CIRCUIT_PREFERENCE = {normalize_label(h): rank for rank, h in enumerate(reversed(COLUMN_ROLES[CIRCUIT]))}
# Share of a header row's cells that must be known headings (the rest: columns no table knows, "Notes").
_KNOWN_SHARE = 0.6
_SEPARATOR = re.compile(r"^[\s|+:=-]*-{3,}[\s|+:=-]*$")
_RUNS = re.compile(r"\S+(?: \S+)*")  # the cells of a fixed-width line: runs separated by two spaces or more


def column_role(heading: str) -> str | None:
    """The role of a column by its heading ("Service ID" -> "circuit", "A-End" -> "a_end"); None: unknown."""
    return _ROLES.get(normalize_label(heading))


def is_header(cells: Sequence[str], marked: bool = False) -> bool:
    """Whether a row is a table's header: two cells or more, marked up as a header (``marked``), or read by
    its words: a circuit heading among them, most of them known headings, and no digit in any."""
    cells = [cell for cell in cells if cell.strip()]
    if len(cells) < 2:
        return False
    if marked:
        return True
    if any(ch.isdigit() for cell in cells for ch in cell):
        return False
    roles = [column_role(cell) for cell in cells]
    known = sum(role is not None for role in roles)
    return CIRCUIT in roles and known >= max(2, math.ceil(_KNOWN_SHARE * len(cells)))


def circuit_column(headers: Sequence[str]) -> int | None:
    """The column holding the circuit ids: of the circuit headings, the one COLUMN_ROLES names first."""
    ranked = [
        (_CIRCUIT_PREFERENCE[normalize_label(h)], i)
        for i, h in enumerate(headers)
        if column_role(h) == CIRCUIT
    ]
    return max(ranked)[1] if ranked else None


@dataclass(frozen=True)
class TextTable:
    """A table in an email's text: its header cells, its rows and the lines it takes."""

    headers: list[str]
    rows: list[list[str]]
    lines: range


def split_cells(line: str) -> tuple[list[str], list[int] | None]:
    """The cells of a text table line, and their start columns when the table is fixed-width."""
    text = line.lstrip("> ")
    if "|" in text:
        return [cell.strip() for cell in text.strip().strip("|").split("|")], None
    if "\t" in text:
        return [cell.strip() for cell in text.split("\t") if cell.strip()], None
    runs = list(_RUNS.finditer(line))
    return [run[0] for run in runs], [run.start() for run in runs]


def _cut(line: str, starts: list[int]) -> list[str]:
    """A fixed-width row cut at its header's column starts."""
    bounds = [*starts[1:], None]
    return [line[start:end].strip() for start, end in zip(starts, bounds, strict=True)]


def _rows(lines: Sequence[str], start: int, headers: list[str], starts: list[int] | None) -> TextTable:
    """The rows under the header at ``start``, up to a blank line or a line that is no row of it."""
    rows, index = [], start + 1
    while index < len(lines) and lines[index].strip():
        line = lines[index]
        if not _SEPARATOR.match(line):
            row = _cut(line, starts) if starts else split_cells(line)[0]
            if len(row) != len(headers):
                break
            rows.append(row)
        index += 1
    return TextTable(headers, rows, range(start, index))


def text_tables(lines: Sequence[str]) -> list[TextTable]:
    """Every table of a text: a header row (is_header) and the rows below it. Linear in the lines."""
    tables, index = [], 0
    while index < len(lines):
        cells, starts = split_cells(lines[index])
        if len(cells) >= 2 and is_header(cells):
            table = _rows(lines, index, cells, starts)
            if table.rows:
                tables.append(table)
                index = table.lines.stop
                continue
        index += 1
    return tables
