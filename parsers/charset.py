"""Character-set detection for circuit-maintenance-parser and BeautifulSoup, answered fast when it can be.

Both libraries ask chardet (pure Python) for the encoding of every part they read: the library's include
and exclude filters (``provider.filter_check``) and BeautifulSoup's ``UnicodeDammit`` for each HTML part
without a ``<meta charset>``. On an HTML email of 28 KB with a few non-ASCII characters chardet runs all
its probers: 97% of the parse (~200 ms of ~210 ms for a Zayo notice, measured with cProfile).

Bytes that decode as UTF-8 are UTF-8 (ASCII included): text in another 8-bit encoding almost never
forms valid multi-byte UTF-8 sequences, and chardet itself answers UTF-8 for such input; for it the
answer comes from one C-level decode. Anything else still goes to chardet, so results differ from the
library's only where chardet would have guessed a wrong 8-bit encoding for valid UTF-8.

``install()`` points both libraries' detector at ``detect`` (module attributes they read at call time);
parsers.maintenance calls it once at import.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

import bs4.dammit
import chardet
import circuit_maintenance_parser.provider as cmp_provider


def detect(data: bytes | bytearray) -> Mapping[str, object]:
    """chardet's ``detect`` contract: ``{"encoding", "confidence", "language"}``."""
    if isinstance(data, bytes | bytearray):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return chardet.detect(data)
        return {"encoding": "ascii" if data.isascii() else "utf-8", "confidence": 1.0, "language": ""}
    return chardet.detect(data)


def install() -> None:
    """Both libraries call ``<module>.detect``: this module, whose ``detect`` is chardet's contract."""
    detector = sys.modules[__name__]
    cmp_provider.chardet = detector
    bs4.dammit.chardet_module = detector
