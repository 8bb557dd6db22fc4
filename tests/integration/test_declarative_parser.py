"""A declarative parser taken word for word from README.md parses a provider format the project has no
code for (one of our own making), and its notices land in the real NetBox."""

from __future__ import annotations

import json
import re
from email.message import EmailMessage

import pytest

from .helpers import REPO, netbox_event_state, run_cli, seed_providers, setup_netbox, write_config

pytestmark = pytest.mark.integration


def readme_definition() -> str:
    readme = (REPO / "README.md").read_text()
    match = re.search(r"<!-- declarative-example.*?-->\s*```toml\n(.*?)```", readme, flags=re.DOTALL)
    assert match, "README.md lost its declarative-parser example"
    return match.group(1)


def fabrikam_email(number: int, state: str, opens: str, closes: str, links: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Fabrikam Fiber Works Desk <works@fabrikam-fiber.example>"
    message["To"] = "noc@example.net"
    message["Subject"] = f"[FABRIKAM-MW] Works FBK-2027-0042 {state.lower()}"
    # Sent in the past: a Date later than the arrival (here: the parse, files have no INTERNALDATE) is
    # capped at it, and two emails parsed at once in two workers would then order by chance.
    message["Date"] = f"0{number} Nov 2026 10:00:00 +0100"
    message["Message-ID"] = f"<fbk-2027-0042-{number}@fabrikam-fiber.example>"
    message.set_content(
        "Hello,\n\nan update on works on your links.\n\n"
        "Works Ref ......: FBK-2027-0042\n"
        f"Works State ....: {state}\n"
        f"Window Opens ...: {opens}\n"
        f"Window Closes ..: {closes}\n"
        "Purpose ........: Replacement of an optical amplifier in Hamburg\n\n"
        f"Your links in this window: {links}\n\nFabrikam Fiber Works Desk\n"
    )
    return bytes(message)


def test_readme_definition_parses_and_ingests(netbox_api, stack, tmp_path):
    config = write_config(tmp_path / "config.toml", stack, extra=readme_definition())
    setup_netbox(config)
    seed_providers(netbox_api, {"fabrikam-fiber": {"FBK-LNK-1001", "FBK-LNK-1002", "FBK-LNK-1003"}})
    booked = tmp_path / "1-booked.eml"
    booked.write_bytes(
        fabrikam_email(4, "Booked", "15.01.2027 22:00", "16.01.2027 04:00", "FBK-LNK-1001, FBK-LNK-1002")
    )
    shifted = tmp_path / "2-shifted.eml"
    shifted.write_bytes(fabrikam_email(8, "Shifted", "22.01.2027 22:00", "23.01.2027 04:00", "FBK-LNK-1003"))

    parsed = run_cli(config, "parse", "--explain", str(booked))
    assert parsed.returncode == 0, parsed.stderr
    out = json.loads(parsed.stdout)
    assert [n["parser"] for n in out["notices"]] == ["declarative:fabrikam-works"]
    assert out["explain"][0]["fields"]["start"]["value"].startswith("2027-01-15T21:00")  # Berlin, CET

    run = run_cli(config, "replay", "--format", "json", str(booked), str(shifted))
    assert run.returncode == 0, run.stdout + run.stderr[-2000:]
    assert [r["outcome"] for r in run.json_lines()[:2]] == ["ingested", "ingested"]

    state = netbox_event_state(netbox_api, "maintenance", "fabrikam-fiber", "FBK-2027-0042")
    assert state["status"] == "RE-SCHEDULED"
    assert state["start"] == 1800651600  # 2027-01-22 22:00 Europe/Berlin = 21:00 UTC
    assert state["circuits"] == {"FBK-LNK-1001": "OUTAGE", "FBK-LNK-1002": "OUTAGE", "FBK-LNK-1003": "OUTAGE"}
    assert state["notifications"] == 2


def test_broken_definition_is_reported_at_start_naming_the_key(stack, tmp_path):
    broken = readme_definition().replace("date_formats = [", 'timezone_x = "x"\ndate_formats = [')
    config = write_config(tmp_path / "config.toml", stack, extra=broken)
    run = run_cli(config, "check")
    assert run.returncode == 2
    assert "parsers.0.timezone_x" in run.stderr
