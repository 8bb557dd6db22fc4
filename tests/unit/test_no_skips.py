"""NIS_NO_SKIPS=1 (set by .ci/run) turns every skip into a failure (tests/conftest.py): the corpus tests
skip without ../shared/corpus, and CI must not pass with them gone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIPPING = """
import pytest

def test_needs_the_corpus():
    pytest.skip("provider email corpus not found")
"""


def _run(tmp_path: Path, no_skips: str | None) -> subprocess.CompletedProcess:
    (tmp_path / "test_skipping.py").write_text(SKIPPING)
    env = {k: v for k, v in os.environ.items() if k != "NIS_NO_SKIPS"}
    if no_skips is not None:
        env["NIS_NO_SKIPS"] = no_skips
    command = [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-c", os.devnull,
               "--rootdir", str(tmp_path), str(tmp_path)]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_a_skip_fails_under_nis_no_skips(tmp_path):
    run = _run(tmp_path, "1")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "skipped under NIS_NO_SKIPS=1" in run.stdout and "corpus not found" in run.stdout


def test_a_skip_is_a_skip_without_it(tmp_path):
    run = _run(tmp_path, None)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 skipped" in run.stdout
