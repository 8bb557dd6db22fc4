"""Our outage corpora, through the whole parsing stage and the fold: after every email of every lifecycle
the folded state is the expected one, and the emails in reverse order end in the same final state.

tests/corpus/outages is the first corpus; tests/corpus/outages_world (issue 17) holds carriers never
seen before: other languages, circuit tables with extra columns, replies quoting the first notice, named
zones (README "Outages" has the floor measured on it before the reader learnt these)."""

from __future__ import annotations

import pytest

from ingestor.netbox.fold import fold
from parsers import ParserOptions, parse_email
from parsers.models import Notice
from tests.corpus.outages_world.generate import CARRIERS, zone_names
from tests.outage_corpus import WORLD, Lifecycle, expected_state, lifecycles, state_of

FIRST = lifecycles()
SECOND = lifecycles(WORLD)


LIFECYCLES = [pytest.param(life, id=life.name) for life in FIRST + SECOND]


def parse(life: Lifecycle, step: dict) -> Notice:
    result = parse_email(life.path(step).read_bytes(), ParserOptions())
    assert result.status == "parsed", f"{life.name}/{step['file']}: {result.reason}"
    [notice] = result.notices
    assert (notice.kind, notice.parser) == ("outage", "outage:generic")
    assert (notice.provider, notice.event_id) == (life.provider, life.event_id), step["file"]
    return notice


def test_the_corpus_is_as_large_as_promised() -> None:
    assert len(FIRST) >= 30
    assert sum(len(life.steps) for life in FIRST) >= 90
    assert len({life.style for life in FIRST}) >= 12


def test_the_second_corpus_is_as_large_as_issue_17_asks() -> None:
    used = {life.style for life in SECOND}
    carriers = [CARRIERS[style] for style in used]
    assert len(SECOND) >= 40
    assert sum(len(life.steps) for life in SECOND) >= 120
    assert len({c.sender.rpartition("@")[2] for c in carriers}) >= 20
    assert len({life.language for life in SECOND} - {"en"}) >= 6
    assert len([life for life in SECOND if life.language != "en"]) >= 6
    html_tables = [life for life in SECOND if CARRIERS[life.style].circuits == "html-table"]
    assert sum(len(life.steps) for life in html_tables) >= 10
    replies = [life for life in SECOND if CARRIERS[life.style].quote]
    assert sum(len(life.steps) - 1 for life in replies) >= 10
    assert not {life.style for life in SECOND} & {life.style for life in FIRST}
    assert len(zone_names()) >= 15


def test_a_time_the_second_corpus_writes_without_a_zone_is_warned_about() -> None:
    """Never silently: the carriers that write no zone get the Date-offset warning on every dated notice,
    the others never."""
    for life in SECOND:
        zoneless = CARRIERS[life.style].date_format in ("local-time", "nl-uur")
        for step in life.steps:
            notice = parse(life, step)
            warned = any("no zone stated" in warning for warning in notice.warnings)
            dated = any((notice.start, notice.end, notice.estimated_time_to_repair))
            assert warned == (zoneless and dated), f"{life.name}/{step['file']}: {notice.warnings}"


@pytest.mark.parametrize("life", LIFECYCLES)
def test_each_lifecycle_is_right_after_every_email(life: Lifecycle) -> None:
    notices: list[Notice] = []
    for step in life.steps:
        notices.append(parse(life, step))
        assert state_of(fold(notices)) == expected_state(step), f"{life.name}/{step['file']}"


@pytest.mark.parametrize("life", LIFECYCLES)
def test_reverse_order_ends_in_the_same_state(life: Lifecycle) -> None:
    notices = [parse(life, step) for step in reversed(life.steps)]
    assert state_of(fold(notices)) == expected_state(life.steps[-1])
