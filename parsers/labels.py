"""The form labels and column headings are compared in (one place for parsers.fields and parsers.tables),
and the regular-expression alternation the vocabulary's word lists are matched as."""

from __future__ import annotations

import re
from collections.abc import Iterable


def alternation(words: Iterable[str]) -> str:
    """``words`` as a regex alternation, escaped, longest first (so "a las" is tried before "a")."""
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


def normalize_label(label: str) -> str:
    """The form labels are compared in: "Affected service(s):" -> "affected service"."""
    words = re.findall(r"[^\W_]+", label.casefold().replace("(s)", "s"))
    return " ".join(w[:-1] if len(w) > 2 and w.endswith("s") else w for w in words)
