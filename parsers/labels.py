"""The form labels and column headings are compared in (one place for parsers.fields and parsers.tables)."""

from __future__ import annotations

import re


def normalize_label(label: str) -> str:
    """The form labels are compared in: "Affected service(s):" -> "affected service"."""
    words = re.findall(r"[^\W_]+", label.casefold().replace("(s)", "s"))
    return " ".join(w[:-1] if len(w) > 2 and w.endswith("s") else w for w in words)
