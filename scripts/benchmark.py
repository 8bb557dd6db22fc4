"""Benchmark (not a test): ingest the shared corpus and generated loads into a fresh NetBox; print figures.

    .venv/bin/python scripts/benchmark.py                          # the shared corpus (make benchmark)
    .venv/bin/python scripts/benchmark.py --sizes 1000,5000,10000  # and generated loads (make benchmark-load)
    .venv/bin/python scripts/benchmark.py --sizes 200 --no-corpus  # CI-sized
    .venv/bin/python scripts/benchmark.py --one generated:1000     # one target, in this process

Needs the dev stack (scripts/dev-stack up) and, for the corpus, ../shared/corpus. Generated loads come from
scripts/generate_load.py (written once per size, seed and generator version under --load-dir). Each target
runs in a process of its own (``--one``), so the peak memory printed is that target's, not the sum of all.
Per target:

- parse only: emails/s of the parse workers alone (a sample of the target's emails), no NetBox;
- ingest into an empty NetBox (reset, then the providers and circuits seeded): emails/s, NetBox requests per
  email, outcomes; through ``Pipeline.process_batches`` in batches of --batch-size, as `replay` does;
- every event's state in NetBox (status, start, end, ETR, impacts) against the truth — the generator's
  manifest, or for the corpus the state its manifest implies (tests/integration/helpers.py) — and the number
  of mismatches;
- the same emails again: all duplicates, requests per email, and NetBox's object and changelog counts before
  and after, which must not move;
- peak RSS of this process (getrusage) and of the parse workers, which are separate processes (forked by
  multiprocessing's forkserver, which reaps them, so RUSAGE_CHILDREN never sees them): their own high-water
  marks (VmHWM) read from /proc before they stop.

The stack is shared: with --lock FILE each target holds that lock (flock) only while it uses NetBox.
Exit status 1 when any target's NetBox ends wrong or its second pass wrote something.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import generate_load as load  # noqa: E402  (scripts/ is on sys.path when this file runs)
import pynetbox  # noqa: E402

from ingestor.config import Config  # noqa: E402
from ingestor.logs import configure_logging  # noqa: E402
from ingestor.netbox import NetBoxGateway, check_netbox  # noqa: E402
from ingestor.pipeline import EmailReport, Pipeline, batches  # noqa: E402
from ingestor.progress import progress  # noqa: E402
from ingestor.sources import RawMessage  # noqa: E402
from ingestor.sources.files import iter_file_messages  # noqa: E402
from parsers.worker import ParseWorkerPool  # noqa: E402
from tests.integration.helpers import (  # noqa: E402
    MAINTENANCE_CORPUS,
    choice,
    corpus_manifest,
    expected_maintenances,
    maintenance_circuits,
    object_counts,
    seed_providers,
)
from tests.stack import reset_stack, start_stack  # noqa: E402

RESULT = "RESULT "  # a --one process's last line: its figures as JSON, for the summary table
PAGE = 1000  # NetBox's largest page: the verification reads every event in a few requests
MIB = 1024


# -- targets: the emails and the truth -----------------------------------------------------------------------


@dataclass
class Target:
    name: str
    files: list[str]
    events: list[dict]  # generate_load manifest entries (kind, provider, event_id, status, ... circuits)
    seed: Callable[[object], None]  # creates the providers and circuits its emails name (pynetbox api)


def corpus_target() -> Target:
    if not MAINTENANCE_CORPUS.is_dir():
        raise SystemExit(f"the shared corpus is not at {MAINTENANCE_CORPUS} (it lives in ../shared/corpus)")
    manifest = corpus_manifest(MAINTENANCE_CORPUS)
    events = [
        {"kind": "maintenance", "provider": e.provider, "event_id": e.name, "status": e.status,
         "start": e.start, "end": e.end, "etr": None, "circuits": e.circuits}
        for e in expected_maintenances(manifest).values()
    ]  # fmt: skip
    files = [str(MAINTENANCE_CORPUS / entry["file"]) for entry in manifest]
    return Target("corpus", files, events, lambda nb: seed_providers(nb, maintenance_circuits(manifest)))


def generated_target(count: int, seed: int, load_dir: Path) -> Target:
    folder = ensure_load(count, seed, load_dir)
    manifest = load.load_manifest(folder)
    files = sorted(str(path) for path in folder.glob("*.eml"))
    return Target(f"generated:{count}", files, manifest["events"], lambda nb: load.seed_netbox(nb, manifest))


def ensure_load(count: int, seed: int, load_dir: Path) -> Path:
    """The load of ``count`` emails for ``seed``, generated once per generator version (its source's hash
    names the folder) and moved into place whole, so an interrupted generation is never taken for one."""
    version = hashlib.sha1(Path(load.__file__).read_bytes()).hexdigest()[:10]
    folder = load_dir / f"{count}-seed{seed}-{version}"
    if (folder / load.MANIFEST).exists():
        return folder
    load_dir.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=load_dir))
    load.generate(partial, count, seed)
    partial.rename(folder)
    return folder


def target_for(name: str, args) -> Target:
    if name == "corpus":
        return corpus_target()
    kind, _, count = name.partition(":")
    if kind != "generated" or not count.isdigit():
        raise SystemExit(f"unknown target {name!r}: 'corpus' or 'generated:N'")
    return generated_target(int(count), args.seed, args.load_dir)


# -- passes --------------------------------------------------------------------------------------------------


@dataclass
class Pass:
    emails: int
    seconds: float
    requests: int
    outcomes: dict[str, int]

    @property
    def rate(self) -> float:
        return self.emails / self.seconds if self.seconds else 0.0

    @property
    def requests_per_email(self) -> float:
        return self.requests / self.emails if self.emails else 0.0

    def line(self, label: str, netbox: bool = True) -> str:
        requests = f"{self.requests_per_email:5.2f} NetBox requests/email  " if netbox else ""
        return (
            f"{label:<30} {self.emails} emails in {self.seconds:7.1f} s = {self.rate:6.2f} emails/s, "
            f"{requests}{dict(sorted(self.outcomes.items()))}"
        )


def reports(pipeline: Pipeline, messages: Iterable[RawMessage], batch_size: int) -> Iterator[EmailReport]:
    """The pipeline's reports, the way `replay` makes them: batches of ``batch_size``, the next one
    parsed while NetBox takes this one (Pipeline.process_batches)."""
    for batch in pipeline.process_batches(batches(messages, batch_size)):
        yield from batch.reports


def replay(pipeline: Pipeline, files: list[str], batch_size: int, label: str) -> Pass:
    pipeline.new_cycle()
    before = pipeline.netbox_requests
    outcomes: Counter[str] = Counter()
    started = time.perf_counter()
    messages = iter_file_messages(files)
    for report in progress(reports(pipeline, messages, batch_size), total=len(files), desc=label):
        outcomes[str(report.outcome)] += 1
    elapsed = time.perf_counter() - started
    return Pass(len(files), elapsed, pipeline.netbox_requests - before, dict(outcomes))


def parse_only(config: Config, files: list[str]) -> Pass:
    """The parse workers alone, as the pipeline uses them (its own pool, stopped before the NetBox passes so
    its worker does not count in theirs)."""
    pool = ParseWorkerPool(config.parser_options())
    outcomes: Counter[str] = Counter()
    try:
        pool.parse(Path(files[0]).read_bytes())  # start the worker: not an email's time
        started = time.perf_counter()
        for path in progress(files, desc="parse only"):
            outcomes[pool.parse(Path(path).read_bytes()).status] += 1
        elapsed = time.perf_counter() - started
    finally:
        pool.close()
    return Pass(len(files), elapsed, 0, dict(outcomes))


# -- NetBox as it ends ---------------------------------------------------------------------------------------


def netbox_states(nb) -> tuple[dict[tuple[str, str, str], dict], list[str]]:
    """Every event NetBox holds, as generate_load.state(), read a page of 1,000 at a time (a 10,000-email
    load has thousands of events: one lookup each would outlast the replay); and the (provider, name) keys
    held by more than one event."""
    providers = {row.id: row.slug for row in nb.circuits.providers.filter(limit=PAGE, ordering="id")}
    cids = {row.id: row.cid for row in nb.circuits.circuits.filter(limit=PAGE, ordering="id")}
    states: dict[tuple[str, str, str], dict] = {}
    twice = []
    for kind in ("maintenance", "outage"):
        impacts: dict[int, dict[str, str]] = {}
        # ordered by id: pages of an unordered listing overlap and skip rows
        impacts_of_kind = nb.plugins.notices.impact.filter(
            event_content_type=f"notices.{kind}", limit=PAGE, ordering="id"
        )
        for row in impacts_of_kind:
            cid = cids.get(row.target_object_id, f"#{row.target_object_id}")
            impacts.setdefault(row.event_object_id, {})[cid] = choice(row.impact)
        for row in getattr(nb.plugins.notices, kind).filter(limit=PAGE, ordering="id"):
            key = (kind, providers[row.provider.id], row.name)
            twice += [f"{'/'.join(key)}: more than one event"] if key in states else []
            etr = getattr(row, "estimated_time_to_repair", None)
            states[key] = load.state(choice(row.status), row.start, row.end, etr, impacts.get(row.id, {}))
    return states, twice


def mismatches(nb, target: Target) -> list[str]:
    states, twice = netbox_states(nb)
    return twice + load.state_mismatches(target.events, states)


# -- memory --------------------------------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the forkserver and the workers it forked), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def resident_kib(field_name: str = "VmRSS", pid: int | str = "self") -> int:
    """A /proc status figure of a process (VmRSS, or VmHWM: its peak), KiB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@contextmanager
def ingest_memory(into: dict):
    """This process's peak resident set while the block runs (VmHWM, reset first through
    /proc/self/clear_refs), and its resident set when it starts: the pipeline's peak, apart from the
    benchmark's own later checks (reading every event back)."""
    into["start_mib"] = resident_kib() / MIB
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        into["start_mib"] = 0.0  # cannot reset: the peak below is the process's lifetime peak
    yield
    into["peak_mib"] = resident_kib("VmHWM") / MIB


@dataclass
class Memory:
    self_mib: float
    workers_mib: list[float] = field(default_factory=list)  # each process below this one, largest first
    ingest_mib: float = 0.0  # peak during the first pass (ingest_memory)
    ingest_start_mib: float = 0.0

    @classmethod
    def now(cls) -> Memory:
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MIB  # KiB on Linux
        below = sorted((resident_kib("VmHWM", pid) / MIB for pid in descendants(os.getpid())), reverse=True)
        return cls(own, [peak for peak in below if peak])

    def line(self) -> str:
        workers = ", ".join(f"{peak:.0f}" for peak in self.workers_mib) or "none"
        return (
            f"{'peak RSS':<30} this process {self.self_mib:.0f} MiB (during the ingest pass "
            f"{self.ingest_mib:.0f} MiB, {self.ingest_start_mib:.0f} MiB at its start); its parse workers "
            f"and forkserver (VmHWM, MiB): {workers}"
        )


# -- one target ----------------------------------------------------------------------------------------------


@contextmanager
def stack_lock(path: str | None):
    """Hold ``path`` with flock(2) — the lock `flock FILE command` takes — for the time NetBox is in use."""
    if not path:
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def fresh_pipeline(target: Target, workers: int) -> tuple[Pipeline, object]:
    """A pipeline on an empty NetBox (reset, custom fields set up, the target's circuits seeded)."""
    stack = start_stack()
    reset_stack()
    config = Config.model_validate({
        "netbox": {"url": stack.netbox_url, "token": stack.netbox_token},
        "state_dir": "/tmp/nis-benchmark",
        "parsing": {"workers": workers},
    })  # fmt: skip
    gateway = NetBoxGateway(config.netbox)
    check_netbox(gateway, create=True)
    nb = pynetbox.api(stack.netbox_url, token=stack.netbox_token)
    target.seed(nb)
    return Pipeline(config, gateway), nb


def run_one(name: str, args) -> int:
    target = target_for(name, args)
    mode = f"process_batches, {args.batch_size} a batch"
    print(f"== {target.name}: {len(target.files)} emails, {len(target.events)} events; pipeline: {mode}")
    sample = target.files[: args.parse_sample] * args.repeat
    parsed = parse_only(Config.model_validate({"netbox": {"url": "http://127.0.0.1", "token": "x"}}), sample)
    print(parsed.line("parse only (workers, no NetBox)", netbox=False))
    with stack_lock(args.lock):
        pipeline, nb = fresh_pipeline(target, args.workers)
        try:
            ingest: dict = {}
            with ingest_memory(ingest):
                first = replay(pipeline, target.files, args.batch_size, "ingest into empty NetBox")
            print(first.line("ingest into empty NetBox"))
            wrong = mismatches(nb, target)
            print(f"{'events as the truth says':<30} {len(target.events)} events, {len(wrong)} mismatches")
            for problem in wrong[: args.show]:
                print(f"    {problem}")
            before = object_counts(nb)
            again = replay(pipeline, target.files, args.batch_size, "same emails again")
            after = object_counts(nb)
            written = {key: after[key] - count for key, count in before.items() if after[key] != count}
            print(again.line("same emails again"))
            print(
                f"{'written by the second pass':<30} {written or 'nothing'} (NetBox objects then: {before})"
            )
            memory = Memory.now()
            memory.ingest_mib, memory.ingest_start_mib = ingest["peak_mib"], ingest["start_mib"]
        finally:
            pipeline.close()
    print(memory.line())
    result = {"target": target.name, "events": len(target.events), "parse": asdict(parsed),
              "first": asdict(first), "again": asdict(again), "mismatches": len(wrong), "written": written,
              "memory": asdict(memory), "mode": mode}  # fmt: skip
    print(RESULT + json.dumps(result), flush=True)
    return 1 if wrong or written else 0


# -- all targets, each in its own process --------------------------------------------------------------------


def run_all(args) -> int:
    targets = (["corpus"] if args.corpus else []) + [f"generated:{n}" for n in args.sizes]
    for count in args.sizes:  # generated here, so the targets' own processes measure only the replay
        ensure_load(count, args.seed, args.load_dir)
    results, status = [], 0
    for name in targets:
        code, result = run_child(name, args)
        status = max(status, code)
        results += [result] if result else []
    print_summary(results)
    return status


def run_child(name: str, args) -> tuple[int, dict | None]:
    """``--one NAME`` in a fresh interpreter; its output passes through, its RESULT line is kept."""
    command = [sys.executable, __file__, "--one", name, *passed_on(args)]
    result = None
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1) as child:
        for line in child.stdout:
            if line.startswith(RESULT):
                result = json.loads(line[len(RESULT) :])
            else:
                print(line, end="", flush=True)
    return child.returncode, result


def passed_on(args) -> list[str]:
    options = ["--seed", str(args.seed), "--load-dir", str(args.load_dir), "--batch-size",
               str(args.batch_size), "--workers", str(args.workers), "--parse-sample", str(args.parse_sample),
               "--repeat", str(args.repeat), "--show", str(args.show)]  # fmt: skip
    return options + (["--lock", args.lock] if args.lock else [])


def print_summary(results: list[dict]) -> None:
    columns = ("emails", "parse/s", "ingest/s", "req/email", "dup req/email", "mismatches", "dup wrote",
               "RSS MiB", "ingest RSS", "workers MiB")  # fmt: skip
    widths = [max(len(column), 7) for column in columns]
    print(f"\n{'target':<18}" + "".join(f" {c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    for r in results:
        values = (
            r["first"]["emails"], f"{rate(r['parse']):.1f}", f"{rate(r['first']):.2f}",
            f"{per_email(r['first']):.2f}", f"{per_email(r['again']):.2f}", r["mismatches"],
            sum(r["written"].values()), f"{r['memory']['self_mib']:.0f}",
            f"{r['memory']['ingest_mib']:.0f}", f"{max(r['memory']['workers_mib'], default=0):.0f}",
        )  # fmt: skip
        print(f"{r['target']:<18}" + "".join(f" {v:>{w}}" for v, w in zip(values, widths, strict=True)))


def rate(figures: dict) -> float:
    return figures["emails"] / figures["seconds"] if figures["seconds"] else 0.0


def per_email(figures: dict) -> float:
    return figures["requests"] / figures["emails"] if figures["emails"] else 0.0


def sizes(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=sizes, default=[], help="generated loads, e.g. 1000,5000,10000")
    parser.add_argument("--no-corpus", dest="corpus", action="store_false", help="skip the shared corpus")
    parser.add_argument("--one", metavar="TARGET", help="run one target here: corpus or generated:N")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--load-dir", type=Path, default=Path(tempfile.gettempdir()) / "nis-benchmark-loads")
    parser.add_argument("--batch-size", type=int, default=100, help="emails per process_batch call")
    parser.add_argument("--workers", type=int, default=1, help="[parsing] workers of the pipeline")
    parser.add_argument("--parse-sample", type=int, default=500, help="emails in the parse-only pass")
    parser.add_argument("--repeat", type=int, default=1, help="parse-only passes over that sample")
    parser.add_argument("--show", type=int, default=10, help="mismatches printed per target")
    parser.add_argument("--lock", help="flock this file while a target uses NetBox (/tmp/nis-stack.lock)")
    args = parser.parse_args()
    # dateutil warns for each zone abbreviation it leaves to our own tables; the parse workers (started
    # later, from this environment) would print it for every such email.
    os.environ.setdefault("PYTHONWARNINGS", "ignore:tzname")
    configure_logging("error", "console")
    # Library records too (the date rules warn on every ambiguous date): thousands would drown the figures.
    logging.getLogger().setLevel(logging.ERROR)
    if args.one:
        return run_one(args.one, args)
    return run_all(args)


if __name__ == "__main__":
    sys.exit(main())
