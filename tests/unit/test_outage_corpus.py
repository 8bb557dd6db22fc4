"""Our outage corpus (tests/corpus/outages), through the whole parsing stage and the fold: after every
email of every lifecycle the folded state is the expected one, and the emails in reverse order end in the
same final state."""

from __future__ import annotations

import pytest

from ingestor.netbox.fold import fold
from parsers import ParserOptions, parse_email
from parsers.models import Notice
from tests.outage_corpus import Lifecycle, expected_state, lifecycles, state_of

LIFECYCLES = lifecycles()


def parse(life: Lifecycle, step: dict) -> Notice:
    result = parse_email(life.path(step).read_bytes(), ParserOptions())
    assert result.status == "parsed", f"{life.name}/{step['file']}: {result.reason}"
    [notice] = result.notices
    assert (notice.kind, notice.parser) == ("outage", "outage:generic")
    assert (notice.provider, notice.event_id) == (life.provider, life.event_id), step["file"]
    return notice


def test_the_corpus_is_as_large_as_promised() -> None:
    assert len(LIFECYCLES) >= 30
    assert sum(len(life.steps) for life in LIFECYCLES) >= 90
    assert len({life.style for life in LIFECYCLES}) >= 12


@pytest.mark.parametrize("life", LIFECYCLES, ids=lambda life: life.name)
def test_each_lifecycle_is_right_after_every_email(life: Lifecycle) -> None:
    notices: list[Notice] = []
    for step in life.steps:
        notices.append(parse(life, step))
        assert state_of(fold(notices)) == expected_state(step), f"{life.name}/{step['file']}"


@pytest.mark.parametrize("life", LIFECYCLES, ids=lambda life: life.name)
def test_reverse_order_ends_in_the_same_state(life: Lifecycle) -> None:
    notices = [parse(life, step) for step in reversed(life.steps)]
    assert state_of(fold(notices)) == expected_state(life.steps[-1])
