"""Our own outage corpus (tests/corpus/outages): lifecycles in the styles of many carriers, each with the
state expected after every email. Shared by the unit tests, the integration tests and
scripts/outage-corpus-score."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus" / "outages"
# The second corpus (issue 17): carriers never seen before, other languages, quoted replies, named zones.
WORLD = Path(__file__).resolve().parent / "corpus" / "outages_world"


@dataclass(frozen=True)
class Lifecycle:
    folder: Path
    provider: str
    event_id: str
    style: str
    steps: list[dict]  # file, status, start, etr, end (ISO or None), circuits
    language: str = "en"

    @property
    def name(self) -> str:
        return self.folder.name

    def path(self, step: dict) -> Path:
        return self.folder / step["file"]


def lifecycles(corpus: Path = CORPUS) -> list[Lifecycle]:
    found = []
    for expected in sorted(corpus.glob("*/expected.json")):
        data = json.loads(expected.read_text())
        found.append(
            Lifecycle(
                expected.parent,
                data["provider"],
                data["event_id"],
                data["style"],
                data["steps"],
                data.get("language", "en"),
            )
        )
    return found


def when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def state_of(target) -> dict:
    """An ingestor.netbox.fold EventTarget in the terms of expected.json."""
    return {
        "status": target.status,
        "start": target.start,
        "etr": target.estimated_time_to_repair,
        "end": target.end,
        "circuits": sorted(target.circuits),
    }


def expected_state(step: dict) -> dict:
    return {
        "status": step["status"],
        "start": when(step["start"]),
        "etr": when(step["etr"]),
        "end": when(step["end"]),
        "circuits": sorted(step["circuits"]),
    }
