"""Parse workers: the whole parse of one email in a separate process, under a wall-clock and a memory limit.

The parsing libraries cannot be interrupted: a thread given up on at a timeout keeps spinning (a deep MIME
tree, a zip bomb) and leaks a core for good in a long-running daemon. A process can be killed. Each worker
is reused across emails (forked by a forkserver that has the parsers imported and their reference data
loaded, parsers.preload, so a replacement starts in milliseconds) and runs with RLIMIT_AS set; when an
email exceeds either limit, or the worker dies, the worker is killed and replaced and that email fails
with a reason naming the limit. The daemon itself only
moves the email's bytes to a worker and a small ParseResult back, so its own memory stays bounded.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import queue
import resource
import signal
import threading
import weakref
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from parsers.egress import offline
from parsers.email import header_meta
from parsers.logs import LIBRARY_LOGGER, RecordCollector
from parsers.models import ParseResult, ParseStatus
from parsers.options import ParserOptions

logger = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 120.0  # importing and warming up a worker; not counted against any email
MIB = 1024 * 1024

_pools: weakref.WeakSet[ParseWorkerPool] = weakref.WeakSet()


class WorkerLost(Exception):
    """The worker was killed (over a limit) or died; the message is the email's failure reason."""


class ParserUnavailable(RuntimeError):
    """No worker could be started: not the email's fault, so it is left to be tried again later."""


class ParseWorkerPool:
    """``options.workers`` parse workers; ``parse()`` may be called from several threads at once.

    ``restarts`` counts workers killed or lost and replaced, for the metrics.
    """

    def __init__(self, options: ParserOptions):
        self.options = options
        self.restarts = 0
        self._counter_lock = threading.Lock()
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._workers = [_Worker(options) for _ in range(max(1, options.workers))]
        for worker in self._workers:
            self._idle.put(worker)
        _pools.add(self)
        weakref.finalize(self, _stop_all, list(self._workers))

    def warm_up(self) -> None:
        """Start the workers now, in the background: the first emails then do not wait the second or
        two a worker takes to start (a replay of a few dozen emails would). A start that fails here is
        tried again, and reported, by the first parse."""

        def start_all() -> None:
            taken = [self._idle.get() for _ in self._workers]  # parses wait for them meanwhile
            try:
                for worker in taken:
                    if not worker.started:
                        worker.start()
            except Exception as exc:  # noqa: BLE001 - the first parse reports it
                logger.info("parse worker warm-up failed: %s", exc)
            finally:
                for worker in taken:
                    self._idle.put(worker)

        threading.Thread(target=start_all, name="parse-warm-up", daemon=True).start()

    def parse(self, raw: bytes, arrived: datetime | None = None) -> ParseResult:
        """The email's ParseResult; a failed one naming the limit when the worker had to be killed."""
        return self.explain(raw, arrived, explain=False)[0]

    def explain(
        self, raw: bytes, arrived: datetime | None = None, *, explain: bool = True
    ) -> tuple[ParseResult, list[dict] | None]:
        """The ParseResult and, with ``explain``, what each declarative parser and the outage reader
        extract (``parse --explain``) — worked out in the worker too, under the same limits."""
        worker = self._idle.get()
        try:
            if worker.started and not worker.alive:  # died while idle (killed from outside)
                self._replace(worker, "parse worker found dead while idle")
            result, records, explanation = worker.parse(raw, arrived, explain)
        except WorkerLost as lost:
            self._replace(worker, str(lost))
            return ParseResult(email=header_meta(raw), status=ParseStatus.FAILED, reason=str(lost)), None
        finally:
            self._idle.put(worker)
        _log_again(records)
        if worker.exhausted:  # it hit its memory limit and exits: start afresh for the next email
            self._replace(worker, result.reason)
        return result, explanation

    def close(self) -> None:
        _stop_all(self._workers)

    @property
    def library_providers(self) -> frozenset[str]:
        """The provider names circuit-maintenance-parser knows, as a started worker reported them (the
        daemon never imports the library itself); empty until a worker has started."""
        return next((w.provider_names for w in self._workers if w.provider_names), frozenset())

    def _replace(self, worker: _Worker, why: str) -> None:
        worker.stop()
        with self._counter_lock:
            self.restarts += 1
        logger.warning("parse worker replaced: %s", why)


class _Worker:
    """One worker process and its pipe; started on first use, so a pool costs nothing until it parses."""

    def __init__(self, options: ParserOptions):
        self.options = options
        self.process: multiprocessing.process.BaseProcess | None = None
        self.conn: Connection | None = None
        self.exhausted = False
        self.provider_names: frozenset[str] = frozenset()

    @property
    def started(self) -> bool:
        return self.process is not None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def start(self) -> None:
        self._start()

    def parse(
        self, raw: bytes, arrived: datetime | None, explain: bool = False
    ) -> tuple[ParseResult, list, Any]:
        conn = self.conn if self.conn is not None else self._start()  # set and cleared with the process
        limit = self.options.timeout_seconds
        try:
            conn.send((arrived, explain))
            conn.send_bytes(raw)  # bytes as they are: no pickled copy of a 25 MB email
            if not conn.poll(limit):
                raise WorkerLost(
                    f"parse took longer than {limit:g} s, the limit ([parsing] timeout_seconds); "
                    "its worker process was killed"
                )
            kind, result, records, explanation = conn.recv()
        except (EOFError, OSError) as exc:
            raise WorkerLost(self._death_reason()) from exc
        if kind == "memory":
            self.exhausted = True
            reason = self._memory_reason()
            result = ParseResult(email=header_meta(raw), status=ParseStatus.FAILED, reason=reason)
        return result, records, explanation

    def stop(self) -> None:
        """Kill the process (it may be spinning) and forget it; the next parse starts a fresh one."""
        if self.conn is not None:
            self.conn.close()
        if self.process is not None:
            self.process.kill()
            self.process.join(10)
        self.process, self.conn, self.exhausted = None, None, False

    def _start(self) -> Connection:
        """Start the worker process; returns our end of its pipe once it said it is ready."""
        context = _context()
        parent_end, child_end = context.Pipe()
        process = context.Process(
            target=serve, args=(child_end, self.options), name="notices-ingestor-parse", daemon=True
        )
        process.start()
        child_end.close()
        self.process, self.conn = process, parent_end
        try:
            hello = parent_end.recv() if parent_end.poll(START_TIMEOUT_SECONDS) else None
        except (EOFError, OSError):
            hello = None
        if isinstance(hello, tuple) and hello[0] == "ready":
            self.provider_names = frozenset(hello[1])
            return parent_end
        self.stop()
        raise ParserUnavailable(f"parse worker did not start within {START_TIMEOUT_SECONDS:g} s")

    def _death_reason(self) -> str:
        code = self.process.exitcode if self.process is not None else None
        if code is None and self.process is not None:
            self.process.join(1)
            code = self.process.exitcode
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited ({code})"
        return (
            f"parse worker {how} while parsing the email (over the memory limit of "
            f"{self.options.memory_limit_mb} MiB, [parsing] memory_limit_mb, or killed from outside)"
        )

    def _memory_reason(self) -> str:
        return (
            f"parse needed more than {self.options.memory_limit_mb} MiB, the memory limit "
            "([parsing] memory_limit_mb); its worker process was replaced"
        )


def _context():
    """forkserver: workers fork from a clean process with the parsers imported (not from the daemon, whose
    threads and sockets a fork would copy); the forkserver is started once per daemon."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["parsers.worker", "parsers.preload"])
    return context


def _log_again(records: list[tuple[str, int, str]]) -> None:
    """The worker's log records (one line each) into the daemon's logging."""
    for name, level, line in records:
        logging.getLogger(name).log(level, "%s", line)


def _stop_all(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.stop()


@atexit.register
def _stop_pools() -> None:
    # Before multiprocessing's own exit handler, which would wait for workers that outlive a SIGTERM.
    for pool in list(_pools):
        pool.close()


# -- in the worker process ------------------------------------------------------------------------------

_busy = False
_stopping = False


def serve(conn: Connection, options: ParserOptions) -> None:
    """The worker's loop: an arrival time and the email's bytes in, ("result"|"memory", result, log) out."""
    _set_up(options)
    from parsers.detect import provider_index

    try:
        conn.send(("ready", provider_index().names))
    except OSError:  # the daemon closed the pool before this worker was up (a short command's exit)
        return
    while not _stopping:
        try:
            arrived, explain = conn.recv()
            raw = conn.recv_bytes()
        except (EOFError, OSError):  # the daemon closed the pipe or is gone
            return
        reply = _parse(raw, arrived, options, explain)
        del raw
        conn.send(reply)
        if reply[0] == "memory":
            return  # a process that ran out of memory once is not trusted with the next email


def _parse(raw: bytes, arrived: datetime | None, options: ParserOptions, explain: bool) -> tuple:
    global _busy
    _busy = True
    from parsers.parse import parse_email  # imported by the forkserver already (parsers.preload)

    explanation = None
    try:
        result = parse_email(raw, options, arrived)
        explanation = explain_email(raw, options) if explain else None
        kind = "result"
    except MemoryError:
        result, kind = None, "memory"
    finally:
        _busy = False
    return kind, result, _collector.take(), explanation


def explain_email(raw: bytes, options: ParserOptions) -> list[dict]:
    """What each declarative definition, then the generic outage reader, extracts from the email."""
    from parsers.declarative import explain
    from parsers.email import email_meta, read_message
    from parsers.outage import explain as explain_outage

    msg = read_message(raw)
    meta = email_meta(msg, raw)
    reports = [explain(definition, msg, meta, options) for definition in options.parsers]
    return [*reports, explain_outage(msg, meta, options)]


_collector = RecordCollector()


def _set_up(options: ParserOptions) -> None:
    limit = options.memory_limit_mb * MIB
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # SIGINT (Ctrl-C) is the daemon's to handle; SIGTERM (systemd stopping the unit) lets the email in hand
    # finish, so the daemon can record its outcome before it stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_sigterm)
    root = logging.getLogger()
    root.handlers[:] = [_collector]
    root.setLevel(logging.WARNING)
    # As in the daemon (ingestor.logs): the library warns about every filter that does not match.
    logging.getLogger(LIBRARY_LOGGER).setLevel(logging.ERROR)
    from parsers.maintenance import load_reference_data

    load_reference_data()  # already loaded by the forkserver (parsers.preload); here should that have failed
    offline()  # no network from email content (parsers.egress)


def _on_sigterm(signum, frame) -> None:
    global _stopping
    if not _busy:
        os._exit(0)
    _stopping = True
