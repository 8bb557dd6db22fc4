"""Figures, not a test: the bad-input table (tests/security/cases.py) as the closing note shows it.

Runs every row's command line once and prints, per row: the command, the exit code it ended with (and the
one it should), the first line of its output, and whether any output held a traceback or a secret.
    .venv/bin/python scripts/bad_input_table.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.security.cases import CASES, run  # noqa: E402
from tests.security.test_bad_input import leaked  # noqa: E402


def main() -> int:
    print("| case | command | exit (expected) | first line (check: first PROBLEM) | traceback | secret |")
    print("|---|---|---|---|---|---|")
    bad = 0
    for case in CASES:
        with tempfile.TemporaryDirectory() as directory:
            outcome = run(case, Path(directory))
        traceback = "Traceback" in outcome.output
        secrets = leaked(outcome.output)
        bad += outcome.exit_code != case.expected or traceback or bool(secrets)
        code = "hung" if outcome.exit_code is None else outcome.exit_code
        first = outcome.key_line.strip().replace("|", "\\|")[:200]
        print(
            f"| {case.name} | `{outcome.command}` | {code} ({case.expected}) | `{first}` | "
            f"{'yes' if traceback else 'no'} | {', '.join(secrets) or 'none'} |",
            flush=True,
        )
    print(f"\n{len(CASES)} cases, {bad} wrong")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
