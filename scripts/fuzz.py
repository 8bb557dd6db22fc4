#!/usr/bin/env python3
"""Fuzz the parsing stage: mutations of the shared corpus plus a hostile set, through the parse workers.

Figures, not a test (a sized-down run is in tests/unit/test_fuzz.py): every input must end with an outcome
and a reason, nothing may raise in the daemon's process, no parse may outlast its limit (plus the grace of
killing and replacing a worker), the daemon's peak RSS stays under a bound, every parsed result stays
within the bounds on what reaches NetBox, and the pool recovers after its worker is killed mid-parse.

    make fuzz                                    # the full run (>= 2,000 inputs)
    .venv/bin/python scripts/fuzz.py --mutations 20 --big 0 --timeout 10
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import random
import resource
import signal
import sys
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from parsers.models import ParseStatus  # noqa: E402
from parsers.options import ParserOptions  # noqa: E402
from parsers.worker import ParseWorkerPool  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
MIB = 1024 * 1024
KILL_GRACE_SECONDS = 10.0  # a timed-out parse: the limit, then killing the worker (join) and replying

# -- the hostile set ------------------------------------------------------------------------------------


def email(headers: str, body: bytes, content_type: str = "text/plain; charset=utf-8") -> bytes:
    head = f"{headers}\nMIME-Version: 1.0\nContent-Type: {content_type}\n".lstrip("\n")
    return head.encode("utf-8", "surrogateescape") + b"\n" + body


BASE = (
    "From: NOC <noc@zayo.com>\nTo: noc@example.net\nSubject: Maintenance\n"
    "Date: Mon, 2 Mar 2026 10:00:00 +0000"
)


def nested_mime(depth: int, kind: str = "multipart/mixed") -> bytes:
    """``depth`` levels of multipart (or attached messages) around one text part."""
    inner = b"Content-Type: text/plain\n\nhello at the bottom\n"
    for level in range(depth, 0, -1):
        if kind == "message/rfc822":
            inner = b"Content-Type: message/rfc822\n\n" + inner
        else:
            boundary = f"b{level}".encode()
            inner = (
                b"Content-Type: multipart/mixed; boundary=" + boundary + b"\n\n--" + boundary + b"\n"
                + inner + b"\n--" + boundary + b"--\n"
            )  # fmt: skip
    return BASE.encode() + b"\nMIME-Version: 1.0\n" + inner


def ical(events: int = 1, **values: str) -> bytes:
    fields = {
        "DTSTART": "20260310T020000Z",
        "DTEND": "20260310T060000Z",
        "DTSTAMP": "20260301T000000Z",
        "SEQUENCE": "1",
        "X-MAINTNOTE-STATUS": "CONFIRMED",
        "X-MAINTNOTE-IMPACT": "OUTAGE",
        "X-MAINTNOTE-OBJECT-ID": "CID-1",
    } | values
    vevents = []
    for index in range(events):
        lines = [f"{key}:{value}" for key, value in fields.items()]
        lines += [f"UID:{index}", f"X-MAINTNOTE-MAINTENANCE-ID:WO-{index}", "X-MAINTNOTE-PROVIDER:acme"]
        lines += ["X-MAINTNOTE-ACCOUNT:ACC-1"]
        vevents.append("BEGIN:VEVENT\r\n" + "\r\n".join(lines) + "\r\nEND:VEVENT\r\n")
    calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:fuzz\r\n" + "".join(vevents) + "END:VCALENDAR\r\n"
    headers = BASE.replace("noc@zayo.com", "noc@acme.example")
    return email(headers, calendar.encode(), "text/calendar; charset=utf-8; method=REQUEST")


def zip_bomb(inflated: int, lie: bool = False) -> bytes:
    """An xlsx-named zip whose one member inflates to ``inflated`` zero bytes (declared smaller if lie)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * MIB
            for _ in range(inflated // MIB):
                member.write(chunk)
    data = buffer.getvalue()
    if lie:  # the central directory claims 1 KiB: a reader trusting it would be fooled
        data = data.replace(inflated.to_bytes(8, "little"), (1024).to_bytes(8, "little"))
    return data


def att_with_attachment(payload: bytes) -> bytes:
    encoded = base64.encodebytes(payload)
    body = (
        b"--xx\nContent-Type: text/plain\n\nSee the attached spreadsheet.\n--xx\n"
        b"Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name=m.xlsx\n"
        b"Content-Disposition: attachment; filename=m.xlsx\nContent-Transfer-Encoding: base64\n\n"
        + encoded + b"--xx--\n"
    )  # fmt: skip
    headers = BASE.replace("noc@zayo.com", "g31654@att.com").replace("Maintenance", "AT&T Maintenance")
    return email(headers, body, "multipart/mixed; boundary=xx")


def hostile(big: int) -> Iterator[tuple[str, bytes]]:
    """The classes the issue found, each a few ways; ``big`` 24–30 MB bodies."""
    for depth in (40, 60, 200, 1000, 3000):
        yield f"nested-multipart-{depth}", nested_mime(depth)
    for depth in (100, 1000):
        yield f"nested-rfc822-{depth}", nested_mime(depth, "message/rfc822")
    yield "from-without-at", email(BASE.replace("NOC <noc@zayo.com>", "x" * 2_000_000), b"hi")
    yield "from-many-at", email(BASE.replace("NOC <noc@zayo.com>", "a@" * 500_000), b"hi")
    yield "subject-100k-encoded-words", email(BASE.replace("Maintenance", "=?utf-8?q?a?= " * 100_000), b"x")
    yield "subject-1MB", email(BASE.replace("Maintenance", "M" * MIB), b"x")
    yield "ten-thousand-headers", email(BASE + "\n" + "X-Fuzz: 1\n" * 10_000, b"x")
    yield "header-line-5MB", email(BASE + "\nX-Long: " + "y" * (5 * MIB), b"x")
    for charset in ("base64", "hex", "undefined", "rot13", "zlib", "x-no-such"):
        subject = f"=?{charset}?Q?abc?= Maintenance"
        yield f"charset-{charset}", email(
            BASE.replace("Maintenance", subject).replace("NOC", f"=?{charset}?B?Tk9D?="),
            b"body text",
            f"text/plain; charset={charset}",
        )
    for date in ("Fri, 31 Dec 9999 23:59:59 -1200", "Mon, 1 Jan 99999999999999999999 00:00:00 +0000",
                 "Mon, 32 Foo 2026 99:99:99 +9999", "Sat, 1 Jan 2500 00:00:00 +0000", ""):  # fmt: skip
        yield f"date-{date[:16]!r}", email(BASE.replace("Mon, 2 Mar 2026 10:00:00 +0000", date), b"x")
    for name, html in html_bombs():
        yield name, email(BASE, html, "text/html; charset=utf-8")
    yield "ical-10000-events", ical(10_000)
    yield "ical-60-events", ical(60)
    yield "ical-year-9999", ical(DTSTART="99991231T235959Z", DTEND="99991231T235959Z")
    yield "ical-stamp-future", ical(DTSTAMP="29991231T000000Z")
    yield "ical-sequence-huge", ical(SEQUENCE="9" * 400)
    yield "ical-negative-window", ical(DTSTART="20260310T060000Z", DTEND="20200310T020000Z")
    garbage = {"DTSTART": "not-a-date", "SEQUENCE": "-x", "X-MAINTNOTE-STATUS": "EXPLODED"}
    yield "ical-garbage-values", ical(**garbage)
    yield "ical-huge-object-id", ical(**{"X-MAINTNOTE-OBJECT-ID": "C" * 2_000_000})
    yield "xlsx-bomb-1GB", att_with_attachment(zip_bomb(1024 * MIB))
    yield "xlsx-bomb-lying", att_with_attachment(zip_bomb(200 * MIB, lie=True))
    yield "xlsx-not-a-zip", att_with_attachment(os.urandom(50_000))
    yield "empty", b""
    yield "newline", b"\n"
    yield "nul-bytes", b"\0" * 100_000
    yield "random-binary", random.Random(7).randbytes(2 * MIB)
    yield "python-binary", Path(sys.executable).resolve().read_bytes()[: 8 * MIB]
    yield "headers-only", BASE.encode()
    yield "body-without-headers", b"\n\n" + b"just a body\n" * 1000
    for index in range(big):
        size = (24 + (index * 6) // max(1, big - 1)) * MIB
        yield from big_body(index, size)


def html_bombs() -> Iterator[tuple[str, bytes]]:
    yield "html-nested-div-100k", b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000
    yield "html-nested-pre-50k", b"<pre><b>" * 50_000 + b"x"
    yield "html-unclosed-200k", b"<p><span>t" * 200_000
    yield "html-table-200k-cells", b"<table><tr>" + b"<td>c</td>" * 200_000 + b"</tr></table>"
    yield "html-broken-tag-5MB", b"<a " + b"href=x " * 700_000
    yield "html-comment-bomb", b"<!--" * 500_000
    yield "html-entities-3MB", b"&amp;&#x41;&bogus;" * 170_000


def big_body(index: int, size: int) -> Iterator[tuple[str, bytes]]:
    """One email of ``size`` bytes, built with one copy (the runner's own memory is part of the figure)."""
    kind = ("plain", "html", "base64-attachment")[index % 3]
    if kind == "plain":
        yield f"big-{size // MIB}MB-plain", email(BASE, b"Maintenance window text line\n" * (size // 29))
    elif kind == "html":
        yield f"big-{size // MIB}MB-html", email(BASE, b"<p>row <b>x</b></p>\n" * (size // 20), "text/html")
    else:
        head = email(BASE, b"", "multipart/mixed; boundary=z")
        line = base64.encodebytes(os.urandom(57 * 1000))  # 1,000 lines of base64, repeated
        parts = [head, b"--z\nContent-Type: text/plain\n\nsee attachment\n--z\n"]
        parts += [b"Content-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"]
        parts += [line * (size // len(line)), b"--z--\n"]
        data = b"".join(parts)
        del parts
        yield f"big-{size // MIB}MB-attachment", data


# -- mutations of the corpus ----------------------------------------------------------------------------


def corpus_emails() -> list[tuple[str, bytes]]:
    return [(path.stem, path.read_bytes()) for path in sorted(CORPUS.rglob("*.eml"))]


def mutate(raw: bytes, rng: random.Random) -> tuple[str, bytes]:
    name = rng.choice(sorted(MUTATIONS))
    return name, MUTATIONS[name](raw, rng)


def _split(raw: bytes) -> tuple[bytes, bytes]:
    head, sep, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    return head, body if sep else b""


def _flip_bytes(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 50)):
        if data:
            data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def _truncate(raw: bytes, rng: random.Random) -> bytes:
    return raw[: rng.randrange(len(raw) + 1)]


def _drop_header(raw: bytes, rng: random.Random) -> bytes:
    head, body = _split(raw)
    wanted = rng.choice([b"subject:", b"date:", b"from:", b"message-id:", b"content-type:"])
    lines = [line for line in head.split(b"\n") if not line.lower().startswith(wanted)]
    return b"\n".join(lines) + b"\n\n" + body


def _set_header(name: bytes, values: list[bytes]):
    def mutate(raw: bytes, rng: random.Random) -> bytes:
        head, body = _split(raw)
        lines = [line for line in head.split(b"\n") if not line.lower().startswith(name.lower() + b":")]
        return name + b": " + rng.choice(values) + b"\n" + b"\n".join(lines) + b"\n\n" + body

    return mutate


def _future_date(raw: bytes, rng: random.Random) -> bytes:
    moment = datetime.now(UTC) + timedelta(days=rng.randint(2, 400_000))
    return _set_header(b"Date", [moment.strftime("%a, %d %b %Y %H:%M:%S +0000").encode()])(raw, rng)


def _duplicate_body(raw: bytes, rng: random.Random) -> bytes:
    head, body = _split(raw)
    return head + b"\n\n" + body * rng.randint(2, 200)


def _wrap_nested(raw: bytes, rng: random.Random) -> bytes:
    head, body = _split(raw)
    inner = raw
    for level in range(rng.randint(5, 60)):
        inner = b"Content-Type: multipart/mixed; boundary=w%d\n\n--w%d\n" % (level, level) + inner
        inner += b"\n--w%d--\n" % level
    keep = b"\n".join(line for line in head.split(b"\n") if not line.lower().startswith(b"content-"))
    return keep + b"\n" + inner


def _swap_charset(raw: bytes, rng: random.Random) -> bytes:
    charset = rng.choice([b"base64", b"hex", b"undefined", b"utf-16", b"x-unknown", b"cp037", b"utf-7"])
    return raw.replace(b"charset=", b"charset=" + charset + b"; x=", 3)


def _insert_garbage(raw: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(raw) + 1)
    choices = [b"\0" * 1000, b"=?utf-8?b?" * 500, b"<div>" * 5000, b"--" * 4000, rng.randbytes(4096)]
    garbage = rng.choice(choices)
    return raw[:at] + garbage + raw[at:]


def _strip_boundaries(raw: bytes, rng: random.Random) -> bytes:
    return raw.replace(b"boundary=", b"boundary=broken", 1)


MUTATIONS = {
    "flip-bytes": _flip_bytes,
    "truncate": _truncate,
    "drop-header": _drop_header,
    "encoded-subject": _set_header(b"Subject", [b"=?utf-8?q?Maintenance?= " * 2000, b"=?base64?B?x?="]),
    "odd-from": _set_header(b"From", [b"no at sign here " * 3000, b"<>", b"@", b"a@b@c@d", b"\xff\xfe@x"]),
    "odd-date": _set_header(b"Date", [b"Fri, 31 Dec 9999 23:59:59 -1200", b"yesterday", b"0", b""]),
    "future-date": _future_date,
    "duplicate-body": _duplicate_body,
    "wrap-nested": _wrap_nested,
    "swap-charset": _swap_charset,
    "insert-garbage": _insert_garbage,
    "strip-boundaries": _strip_boundaries,
}


def inputs(mutations_per_email: int, big: int, seed: int) -> Iterator[tuple[str, bytes]]:
    rng = random.Random(seed)
    yield from hostile(big)
    for stem, raw in corpus_emails():
        yield f"corpus-{stem}", raw
        for index in range(mutations_per_email):
            name, mutated = mutate(raw, rng)
            yield f"corpus-{stem}-{index}-{name}", mutated


# -- the run --------------------------------------------------------------------------------------------


@dataclass
class Figures:
    inputs: int = 0
    statuses: Counter = field(default_factory=Counter)  # by ParseStatus
    crashes: list[str] = field(default_factory=list)  # raised in the daemon's process, or no reason
    hangs: list[str] = field(default_factory=list)  # took longer than the limit plus the kill grace
    out_of_bounds: list[str] = field(default_factory=list)
    limited: Counter = field(default_factory=Counter)  # failures by limit (time, memory, worker death)
    reasons: Counter = field(default_factory=Counter)  # failure reasons, by their first words
    slowest: list[tuple[float, str]] = field(default_factory=list)
    kills: int = 0
    recovered_after_kill: int = 0
    restarts: int = 0
    seconds: float = 0.0
    peak_rss_mb: float = 0.0

    kill_attempts: int = 0

    @property
    def ok(self) -> bool:
        recovered = self.kills == self.kill_attempts == self.recovered_after_kill
        return recovered and not (self.crashes or self.hangs or self.out_of_bounds)


def check(name: str, result, options: ParserOptions, figures: Figures) -> None:
    """The promises every result keeps, whatever the input."""
    figures.statuses[result.status] += 1
    if result.status is not ParseStatus.PARSED and not result.reason:
        figures.crashes.append(f"{name}: {result.status} without a reason")
    latest = datetime.now(UTC) + timedelta(seconds=options.stamp_skew_seconds)
    if len(result.email.body.encode("utf-8", "surrogatepass")) > options.max_body_bytes:
        figures.out_of_bounds.append(f"{name}: body over {options.max_body_bytes} bytes")
    if len(result.notices) > options.max_notices:
        figures.out_of_bounds.append(f"{name}: {len(result.notices)} notices")
    if any(notice.stamp > latest for notice in result.notices) or result.email.received > latest:
        figures.out_of_bounds.append(f"{name}: stamp later than arrival + skew")
    if result.status is ParseStatus.FAILED:
        figures.reasons[" ".join(result.reason.split()[:6])] += 1
    limits = {"time": "took longer than", "memory": "needed more than", "died": "worker was"}
    for limit, wording in limits.items():
        if wording in result.reason:
            figures.limited[limit] += 1


def run(items, options: ParserOptions, kill_every: int = 0, out=None) -> Figures:
    """Parse every item through a worker pool. Before every ``kill_every``-th input a slow email is parsed
    and its worker killed mid-parse (SIGKILL from a timer): that email must fail naming the kill, and the
    input after it must parse as if nothing had happened."""
    figures = Figures()
    pool = ParseWorkerPool(options)
    started = time.monotonic()
    try:
        for index, (name, raw) in enumerate(items, 1):
            killed = bool(kill_every) and index % kill_every == 0 and _kill_mid_parse(pool, figures)
            elapsed, result = _parse_one(pool, raw)
            figures.inputs += 1
            figures.slowest = sorted([*figures.slowest, (elapsed, name)], reverse=True)[:5]
            if result is None:
                figures.crashes.append(f"{name}: raised in the daemon's process")
                continue
            if elapsed > options.timeout_seconds + KILL_GRACE_SECONDS:
                figures.hangs.append(f"{name}: {elapsed:.1f} s")
            if killed and "parse worker" not in result.reason:
                figures.recovered_after_kill += 1
            check(name, result, options, figures)
            if out and index % 100 == 0:
                print(f"  {index} inputs, {time.monotonic() - started:.0f} s", file=out, flush=True)
    finally:
        figures.restarts = pool.restarts
        pool.close()
    figures.seconds = time.monotonic() - started
    figures.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


SLOW_EMAIL = email(BASE, b"<div><p>slow <b>html</b></p></div>\n" * 200_000, "text/html")


def _kill_mid_parse(pool: ParseWorkerPool, figures: Figures) -> bool:
    """Kill the worker 0.5 s into a slow parse; True if that email failed saying its worker was killed."""
    timer = threading.Timer(0.5, _kill_worker, args=(pool,))
    timer.start()
    _, result = _parse_one(pool, SLOW_EMAIL)
    timer.cancel()
    killed = result is not None and "killed by signal 9" in result.reason
    figures.kill_attempts += 1
    figures.kills += killed
    return killed


def _parse_one(pool: ParseWorkerPool, raw: bytes):
    started = time.monotonic()
    try:
        result = pool.parse(raw, None)
    except Exception as exc:  # noqa: BLE001 - this is what the fuzz run counts as a crash
        print(f"CRASH: {type(exc).__name__}: {exc}", file=sys.stderr)
        result = None
    return time.monotonic() - started, result


def _kill_worker(pool: ParseWorkerPool) -> None:
    for worker in pool._workers:
        if worker.process is not None and worker.process.pid:
            try:
                os.kill(worker.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def report(figures: Figures, options: ParserOptions, rss_bound_mb: float) -> str:
    lines = [
        f"inputs: {figures.inputs} in {figures.seconds:.0f} s",
        "statuses: " + ", ".join(f"{key} {value}" for key, value in sorted(figures.statuses.items())),
        f"failed by a limit: {dict(figures.limited)} (timeout {options.timeout_seconds:g} s, "
        f"memory {options.memory_limit_mb} MiB)",
        f"crashes: {len(figures.crashes)}",
        f"hangs past the limit + {KILL_GRACE_SECONDS:g} s: {len(figures.hangs)}",
        f"bounds broken (body, notices, stamps): {len(figures.out_of_bounds)}",
        f"worker killed mid-parse: {figures.kills} (reason named the kill), next email parsed normally: "
        f"{figures.recovered_after_kill}",
        f"worker restarts: {figures.restarts}",
        f"peak RSS of the daemon's process: {figures.peak_rss_mb:.0f} MB (bound {rss_bound_mb:g} MB)",
        "slowest: " + ", ".join(f"{name} {seconds:.1f} s" for seconds, name in figures.slowest),
        "most frequent failure reasons: "
        + "; ".join(f"{reason}… ({count})" for reason, count in figures.reasons.most_common(6)),
    ]
    for problem in (figures.crashes + figures.hangs + figures.out_of_bounds)[:20]:
        lines.append(f"  PROBLEM {problem}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, default=22, help="mutations per corpus email")
    parser.add_argument("--big", type=int, default=6, help="24-30 MB emails in the hostile set")
    parser.add_argument("--timeout", type=float, default=30.0, help="[parsing] timeout_seconds")
    parser.add_argument("--memory-mb", type=int, default=1024, help="[parsing] memory_limit_mb")
    parser.add_argument("--kill-every", type=int, default=300, help="kill a worker mid-parse every N")
    parser.add_argument("--rss-bound-mb", type=float, default=400, help="fail if the daemon's RSS exceeds it")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"fuzz: corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    options = ParserOptions(timeout_seconds=args.timeout, memory_limit_mb=args.memory_mb)
    figures = run(inputs(args.mutations, args.big, args.seed), options, args.kill_every, out=sys.stderr)
    print(report(figures, options, args.rss_bound_mb))
    return 0 if figures.ok and figures.peak_rss_mb <= args.rss_bound_mb else 1


if __name__ == "__main__":
    sys.exit(main())
