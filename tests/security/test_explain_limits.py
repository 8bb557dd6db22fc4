"""`parse --explain` works its explanation out in the parse worker, under the worker's time and memory
limits (it used to run in the command's own process, without them: 48 s with timeout_seconds = 5)."""

from __future__ import annotations

import json

from ingestor import cli
from tests.security.cases import OUTAGE


def test_explain_runs_in_the_worker_not_in_the_command(monkeypatch, capsys) -> None:
    import parsers.outage

    def in_this_process(*_args, **_kwargs):
        raise AssertionError("explain ran in the command's own process")

    monkeypatch.setattr(parsers.outage, "explain", in_this_process)  # the worker has its own copy
    monkeypatch.setenv("NOTICES_INGESTOR_CONFIG", "/nonexistent/config.toml")
    assert cli.main(["parse", "--explain", str(OUTAGE)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "parsed" and out["explain"]  # the outage reader's report came back
