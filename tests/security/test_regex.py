"""The regexes that were super-linear on crafted values (extract._HAS_DATE: a 60 KB value took 27.8 s;
times._PARENTHESIS and fields._DESCRIPTION: quadratic on long blank runs) end on 200 KB values — which
would take minutes if they were still quadratic — and still find what they found before."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from parsers import extract, fields, times

SIZE = 200_000
HANG = 60  # seconds: not a timing, a hang guard (linear: well under a second here)


def test_crafted_values_do_not_hang() -> None:
    code = (
        "from parsers import extract, fields, times\n"
        f"n = {SIZE}\n"
        "extract._HAS_DATE.search('a' * n)\n"
        "times._PARENTHESIS.sub('', ' ' * n + 'x')\n"
        "times._PARENTHESIS.sub('', 'a' + '\\t ' * (n // 2) + 'x')\n"
        "fields._DESCRIPTION.sub('', ' ' * n + 'x')\n"
        "print('done')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=HANG)
    assert done.stdout.strip() == "done", done.stderr


# the patterns as they were, to compare with on ordinary values
BEFORE = {
    "has_date": re.compile(
        r"\d{4}|\d{1,2}[./-]\d{1,2}[./-]\d{2}|[A-Za-z]{3,}\.? \d{1,2}\b|\b\d{1,2}[ -][A-Za-z]{3,}"
    ),
    "parenthesis": re.compile(r"\s*[(\[]([^()\[\]]*)[)\]]"),
    "description": re.compile(r"\s*\([^()]*\)"),
}
AFTER = {"has_date": extract._HAS_DATE, "parenthesis": times._PARENTHESIS, "description": fields._DESCRIPTION}
VALUES = [
    "Thursday March 5",
    "xxMar 5",
    "14:00 UTC",
    "05/03/2026 14:00",
    "2026-03-05",
    "3-Mar-2026",
    "TBD",
    "14:05 EST  (19:05 UTC) x",
    "OGYX/1//ZYO (Chicago - Dallas)",
    "a (b) [c]  (d)",
    " (x)",
    "(y) z",
    "Start [CET]:  05.03.2026",
    "no brackets at all",
    "\t (tab) \n (newline)",
]


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_the_linear_forms_match_as_before(name: str) -> None:
    before, after = BEFORE[name], AFTER[name]
    for value in VALUES:
        assert [m.span() for m in after.finditer(value)] == [m.span() for m in before.finditer(value)], value
        assert after.sub("|", value) == before.sub("|", value), value
