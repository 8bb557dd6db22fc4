"""parsers.charset: the fast answer is chardet's answer for UTF-8 and ASCII, chardet itself otherwise."""

import bs4.dammit
import chardet
import circuit_maintenance_parser.provider as cmp_provider

import parsers.maintenance  # noqa: F401 - installs the detector, as a parse worker does
from parsers import charset

UTF8_HTML = "<p>Maintenance window\u00a0: 02:00\u201306:00 UTC \u2014 Z\u00fcrich</p>".encode() * 50
LATIN1 = "Wartung f\u00fcr M\u00fcnchen und \u00c4gypten, sch\u00f6ne Gr\u00fc\u00dfe".encode("latin-1")


def test_valid_utf8_is_utf8_as_chardet_says():
    assert chardet.detect(UTF8_HTML)["encoding"] == "utf-8"
    assert charset.detect(UTF8_HTML)["encoding"] == "utf-8"


def test_ascii_is_ascii():
    assert charset.detect(b"plain text")["encoding"] == chardet.detect(b"plain text")["encoding"] == "ascii"


def test_other_encodings_go_to_chardet():
    assert charset.detect(LATIN1) == chardet.detect(LATIN1)
    assert charset.detect(LATIN1)["encoding"] != "utf-8"


def test_both_libraries_use_it():
    assert cmp_provider.chardet.detect is charset.detect
    assert bs4.dammit.chardet_module.detect is charset.detect
    soup = bs4.BeautifulSoup(UTF8_HTML, features="lxml")
    assert "Z\u00fcrich" in soup.get_text()
