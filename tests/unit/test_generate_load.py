"""scripts/generate_load.py, the benchmark's load: every email of a 1,000-email load parses (through
parsers.parse_email, as the daemon's workers do) to a notice of the event the manifest files it under, and
each event's notices fold to the state the manifest promises — the truth the benchmark holds NetBox to.
Also: a wrong truth is caught, the same seed writes the same bytes, every named circuit is seeded."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from ingestor.netbox.fold import fold
from parsers import ParserOptions, parse_email
from parsers.models import ParseResult
from scripts import generate_load as gen

LOAD_SIZE = 1000


def parse_file(path: Path) -> ParseResult:
    return parse_email(path.read_bytes(), ParserOptions())


@pytest.fixture(scope="module")
def load(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("load")
    gen.generate(out, LOAD_SIZE, seed=7)
    return out, gen.load_manifest(out)


@pytest.fixture(scope="module")
def parsed(load) -> dict[str, ParseResult]:
    """Every email's ParseResult by file name (parsed on every core: a thousand emails take ~20 s on one)."""
    out, _ = load
    names = sorted(path.name for path in out.glob("*.eml"))
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = pool.map(parse_file, [out / name for name in names], chunksize=20)
        return dict(zip(names, results, strict=True))


def folded_states(manifest: dict, parsed: dict[str, ParseResult]) -> dict[tuple[str, str, str], dict]:
    """Each manifest event's emails folded as the NetBox stage folds them (ingestor.netbox.fold)."""
    states = {}
    for entry in manifest["events"]:
        notices = [notice for name in entry["emails"] for notice in parsed[name].notices]
        target = fold(notices)
        states[gen.event_key(entry)] = gen.state(
            target.status, target.start, target.end, target.estimated_time_to_repair, target.circuits
        )
    return states


def test_the_load_is_as_asked(load) -> None:
    out, manifest = load
    files = sorted(path.name for path in out.glob("*.eml"))
    listed = sorted(name for entry in manifest["events"] for name in entry["emails"])
    assert len(files) == LOAD_SIZE and listed == files
    formats = {entry["format"] for entry in manifest["events"]}
    assert {fmt.name for fmt in gen.MAINTENANCE_FORMATS} <= formats
    assert len({f for f in formats if f.startswith("outage-")}) >= 15
    finals = {entry["status"] for entry in manifest["events"] if entry["kind"] == "maintenance"}
    assert {"COMPLETED", "CANCELLED"} <= finals


def test_every_email_parses_to_one_notice_of_its_event(load, parsed) -> None:
    _, manifest = load
    wrong = []
    for entry in manifest["events"]:
        for name in entry["emails"]:
            result = parsed[name]
            keys = [(notice.kind, notice.provider, notice.event_id) for notice in result.notices]
            if result.status != "parsed" or keys != [gen.event_key(entry)]:
                wrong.append(f"{name}: {result.status} {result.reason} {keys}")
    assert wrong == []


def test_each_event_folds_to_its_truth(load, parsed) -> None:
    _, manifest = load
    assert gen.state_mismatches(manifest["events"], folded_states(manifest, parsed)) == []


def test_a_wrong_truth_is_caught(load, parsed) -> None:
    _, manifest = load
    events = [dict(entry) for entry in manifest["events"][:3]]
    events[0]["status"] = "TENTATIVE"
    events[1]["circuits"] = {**events[1]["circuits"], "NOT-A-CIRCUIT": "OUTAGE"}
    events[2]["start"] = "1999-01-01T00:00:00+00:00"
    problems = gen.state_mismatches(events, folded_states(manifest, parsed))
    assert [p.split(": ", 1)[1].split(" ", 1)[0] for p in problems] == ["status", "circuits", "start"]


def test_every_named_circuit_is_seeded(load) -> None:
    _, manifest = load
    seeded = gen.manifest_circuits(manifest)
    missing = [
        (entry["provider"], cid)
        for entry in manifest["events"]
        for cid in entry["circuits"]
        if cid not in seeded[entry["provider"]]
    ]
    assert missing == []


def test_the_same_seed_writes_the_same_bytes(tmp_path) -> None:
    def written(folder: Path, seed: int) -> dict[str, bytes]:
        gen.generate(folder, 60, seed=seed)
        return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}

    first = written(tmp_path / "a", 3)
    assert written(tmp_path / "b", 3) == first
    assert written(tmp_path / "c", 4) != first
