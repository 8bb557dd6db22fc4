"""ingestor.progress: a bar on a terminal, nothing at all anywhere else."""

from __future__ import annotations

import io

from ingestor.progress import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_not_a_terminal_gets_the_items_back_untouched() -> None:
    items = iter(range(3))
    stream = io.StringIO()
    assert progress(items, total=3, desc="replay", stream=stream) is items
    assert list(items) == [0, 1, 2]
    assert stream.getvalue() == ""


def test_a_closed_or_odd_stream_gets_no_bar() -> None:
    closed = io.StringIO()
    closed.close()
    items = [1, 2]
    assert progress(items, stream=closed) is items
    assert progress(items, stream=object()) is items


def test_a_terminal_gets_a_bar_and_every_item() -> None:
    stream = Terminal()
    assert list(progress(range(5), desc="replay", stream=stream)) == [0, 1, 2, 3, 4]
    drawn = stream.getvalue()
    assert "replay" in drawn and "5/5" in drawn and "email" in drawn


def test_a_generator_without_total_still_counts() -> None:
    stream = Terminal()
    assert sum(progress((n for n in range(4)), desc="replay", stream=stream)) == 6
    assert "4email" in stream.getvalue().replace(" ", "")
