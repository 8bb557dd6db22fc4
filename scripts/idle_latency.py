"""Benchmark (not a test): how long new mail takes to reach NetBox with IMAP IDLE.

    .venv/bin/python scripts/idle_latency.py [--emails 20] [--interval 600]

Needs the dev stack (scripts/dev-stack up; this resets its NetBox and mailboxes). Starts the daemon
with a long safety-net interval, delivers EMAILS outage notices to the INBOX 1-4 s apart, and prints,
per email and in all, the time from delivery (APPEND) to NetBox holding its EventNotification:
p50 / p95 / max.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pynetbox  # noqa: E402
from imapclient import IMAPClient  # noqa: E402

from tests.integration.helpers import seed_providers, setup_netbox, write_config  # noqa: E402
from tests.live import CIRCUITS, LiveDaemon, notification_arrival, outage_email  # noqa: E402
from tests.stack import reset_stack, start_stack  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def arrival_latency(nb, message_id: str, appended_at: float) -> float:
    """Seconds from the APPEND to NetBox's creation time of the email's EventNotification (same clock)."""
    if notification_arrival(nb, message_id, timeout=120) is None:
        return float("inf")
    [row] = nb.plugins.notices.eventnotification.filter(cf_ingestor_message_id=message_id)
    created = datetime.fromisoformat(row.created.replace("Z", "+00:00")).timestamp()
    return created - appended_at


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=20)
    parser.add_argument("--interval", type=int, default=600)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    stack = start_stack()
    reset_stack()
    nb = pynetbox.api(stack.netbox_url, token=stack.netbox_token)
    workdir = Path(tempfile.mkdtemp(prefix="idle-latency-"))
    config = write_config(workdir / "config.toml", stack, mailbox_user="noc")
    config.write_text(
        config.read_text().replace("interval_seconds = 5", f"interval_seconds = {args.interval}")
    )
    setup_netbox(config)
    seed_providers(nb, CIRCUITS)
    daemon = LiveDaemon(config, workdir / "daemon.log")
    daemon.wait_for("imap_idle_started")
    daemon.wait_for("poll_done")
    client = IMAPClient(stack.imap_host, port=stack.imaps_port, ssl=True, ssl_context=stack.ssl_context())
    client.login("noc", stack.imap_users["noc"])
    rng = random.Random(args.seed)
    sent: list[tuple[str, float]] = []
    try:
        for n in range(args.emails):
            message_id, raw = outage_email(f"NW-LAT-{n:03d}")
            client.append("INBOX", raw)
            sent.append((message_id, time.time()))
            time.sleep(rng.uniform(1, 4))
        latencies = [arrival_latency(nb, message_id, at) for message_id, at in sent]
    finally:
        client.logout()
        daemon.stop()
    written = {e["message_id"]: e for e in daemon.events("email_processed")}
    print(f"emails delivered: {len(sent)}, reached NetBox: {sum(1 for x in latencies if x != float('inf'))}")
    print(f"interval_seconds: {args.interval} (safety net); log: {daemon.log}")
    print(f"outcomes: {sorted({e['outcome'] for e in written.values()})}")
    for (message_id, _), latency in zip(sent, latencies, strict=True):
        print(f"  {message_id}: {latency:.2f} s")
    finite = [x for x in latencies if x != float("inf")]
    print(
        f"latency delivery -> EventNotification: p50 {statistics.median(finite):.2f} s, "
        f"p95 {percentile(finite, 0.95):.2f} s, max {max(finite):.2f} s"
    )
    return 0 if len(finite) == len(sent) else 1


if __name__ == "__main__":
    sys.exit(main())
