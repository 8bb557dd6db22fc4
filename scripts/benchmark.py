"""Benchmark (not a test): replay the shared maintenance corpus into a fresh NetBox and print figures.

    .venv/bin/python scripts/benchmark.py [--repeat N]

Needs the dev stack (scripts/dev-stack up) and ../shared/corpus. Prints parse-only throughput, then
ingestion throughput into an empty NetBox, then a second pass (all duplicates), with NetBox requests
per email and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pynetbox  # noqa: E402

from ingestor.config import Config  # noqa: E402
from ingestor.logs import configure_logging  # noqa: E402
from ingestor.netbox.client import NetBoxGateway  # noqa: E402
from ingestor.netbox.setup import check_netbox  # noqa: E402
from ingestor.pipeline import Pipeline  # noqa: E402
from ingestor.sources.files import iter_file_messages  # noqa: E402
from parsers import parse_email  # noqa: E402
from tests.integration.helpers import (  # noqa: E402
    MAINTENANCE_CORPUS,
    corpus_manifest,
    maintenance_circuits,
    seed_providers,
)
from tests.stack import reset_stack, start_stack  # noqa: E402


def timed_pass(label: str, pipeline: Pipeline, files: list[str]) -> None:
    gateway = pipeline.gateway
    gateway.refresh()
    before = gateway.request_count
    outcomes: dict[str, int] = {}
    started = time.perf_counter()
    for message in iter_file_messages(files):
        report = pipeline.process(message)
        outcomes[str(report.outcome)] = outcomes.get(str(report.outcome), 0) + 1
    elapsed = time.perf_counter() - started
    requests = gateway.request_count - before
    print(
        f"{label:<28} {len(files)} emails in {elapsed:6.2f} s = {len(files) / elapsed:6.1f} emails/s, "
        f"{requests / len(files):5.1f} NetBox requests/email  {outcomes}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1, help="parse-only passes over the corpus")
    args = parser.parse_args()
    configure_logging("error", "console")

    manifest = corpus_manifest(MAINTENANCE_CORPUS)
    files = [str(MAINTENANCE_CORPUS / entry["file"]) for entry in manifest]
    raws = [Path(f).read_bytes() for f in files]

    started = time.perf_counter()
    for _ in range(args.repeat):
        for raw in raws:
            parse_email(raw)
    elapsed = time.perf_counter() - started
    count = len(raws) * args.repeat
    print(f"{'parse only':<28} {count} emails in {elapsed:6.2f} s = {count / elapsed:6.1f} emails/s")

    stack = start_stack()
    reset_stack()
    config = Config.model_validate(
        {"netbox": {"url": stack.netbox_url, "token": stack.netbox_token}, "state_dir": "/tmp/nis-benchmark"}
    )
    gateway = NetBoxGateway(config.netbox)
    check_netbox(gateway, create=True)
    seed_providers(pynetbox.api(stack.netbox_url, token=stack.netbox_token), maintenance_circuits(manifest))
    pipeline = Pipeline(config, gateway)
    timed_pass("ingest into empty NetBox", pipeline, files)
    timed_pass("same emails again", pipeline, files)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak memory (RSS)':<28} {peak:.0f} MiB")


if __name__ == "__main__":
    main()
