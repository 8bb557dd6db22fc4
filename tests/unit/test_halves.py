"""ingestor.halves.isolate: the split-in-halves loop the pipeline (by email) and the writer (by event)
share."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from ingestor.halves import isolate


def run(members: list[int], bad: set[int]) -> tuple[list[tuple[int, str]], list[list[int]]]:
    """Isolate the ``bad`` members of ``members``, which failed together; returns what failed alone and
    every part attempted, in order."""
    tried: list[list[int]] = []
    alone: list[tuple[int, str]] = []

    def attempt(part: Sequence[int]) -> str | None:
        tried.append(list(part))
        return f"fails:{sorted(bad & set(part))}" if bad & set(part) else None

    isolate(members, f"fails:{sorted(bad)}", attempt, lambda member, why: alone.append((member, why)))
    return alone, tried


def test_one_member_is_alone_without_another_attempt():
    assert run([7], {7}) == ([(7, "fails:[7]")], [])


def test_halves_that_succeed_are_not_split_again():
    alone, tried = run(list(range(8)), {5})
    assert alone == [(5, "fails:[5]")]
    assert tried == [[0, 1, 2, 3], [4, 5, 6, 7], [4, 5], [4], [5], [6, 7]]  # depth first


@pytest.mark.parametrize("bad", [set(), {0}, {4}, {0, 9}, {1, 2, 3}, set(range(10))])
def test_exactly_the_bad_members_fail_alone_each_with_its_own_failure(bad):
    alone, _tried = run(list(range(10)), bad)
    assert alone == [(member, f"fails:[{member}]") for member in sorted(bad)]


def test_an_odd_count_splits_with_the_smaller_half_first():
    _alone, tried = run([1, 2, 3], {3})
    assert tried[:2] == [[1], [2, 3]]


def test_an_exception_from_an_attempt_ends_the_whole():
    def attempt(part: Sequence[int]) -> str | None:
        raise RuntimeError("down")

    with pytest.raises(RuntimeError):
        isolate([1, 2], "x", attempt, lambda member, why: None)
