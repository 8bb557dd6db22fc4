"""Every row of the bad-input table (cases.py) as the real command line: the exit code it must end with,
one clear first line, no traceback, no hang, and no secret in any output, in any form."""

from __future__ import annotations

import pytest

from ingestor.redact import forms_of
from tests.security.cases import CASES, MARKER, SECRETS, Case, run


def leaked(output: str) -> list[str]:
    """Which of the known secrets show up in ``output``, in any form ingestor.redact knows of, or as a
    fragment (each holds MARKER, which no output has any other reason to contain)."""
    found = [secret for secret in SECRETS if any(form in output for form in forms_of(secret))]
    return found + ([f"a fragment with {MARKER!r}"] if MARKER in output and not found else [])


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_ends_clearly_without_secrets(case: Case, tmp_path) -> None:
    outcome = run(case, tmp_path)
    assert outcome.exit_code is not None, f"hung: {outcome.output[-2000:]}"
    assert "Traceback" not in outcome.output, outcome.output[-3000:]
    assert leaked(outcome.output) == [], outcome.output[-3000:]
    assert outcome.exit_code == case.expected, outcome.output[-3000:]
    assert outcome.first_line.strip(), outcome.output


def test_the_leak_check_finds_each_form() -> None:
    """The check above can fail: each secret, written raw, URL-encoded or base64, is found."""
    import base64
    from urllib.parse import quote

    for secret in SECRETS:
        assert leaked(f"x {secret} y") == [secret]
        assert leaked(f"x {secret[1:]} y") != []  # a fragment (with the marker)
        assert leaked(quote(secret, safe="")) == [secret]
        assert leaked(base64.b64encode(b"user=x\x01auth=Bearer " + secret.encode()).decode()) == [secret]
