"""Command line: `notices-ingestor run|replay|parse|check|failed|retry|migrate-records`.

Exit codes: 0 all good; 1 some email failed (or a mailbox/NetBox could not be used); 2 usage or
configuration error.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import structlog

from ingestor import redact
from ingestor.config import (
    Config,
    ConfigError,
    config_path,
    load_config,
    read_toml,
    transport_warnings,
    validate_config,
)
from ingestor.logs import configure_logging
from ingestor.outcome import Outcome
from ingestor.triage import failed_folder_of
from parsers.models import ParseStatus
from parsers.options import ParserOptions

if TYPE_CHECKING:  # the commands import NetBox's client when they need it
    from ingestor.config import AnyMailboxConfig
    from ingestor.netbox import NetBoxGateway

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """The command's arguments cannot be used (exit 2); the message says which and why."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="notices-ingestor",
        description="Ingest provider maintenance and outage emails into NetBox (netbox-notices plugin).",
    )
    parser.add_argument(
        "-c",
        "--config",
        help="config file (default: $NOTICES_INGESTOR_CONFIG, then /etc/notices-ingestor/config.toml)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="the daemon: poll every mailbox on its interval")
    run.add_argument("--once", action="store_true", help="poll every mailbox once, then exit")

    replay = commands.add_parser("replay", help="ingest .eml files, directories, mbox, Maildir or - (stdin)")
    replay.add_argument("--dry-run", action="store_true", help="read NetBox and plan, write nothing")
    replay.add_argument("--format", choices=("text", "json"), default="text")
    replay.add_argument(
        "--batch-size", type=int, metavar="N", help="emails per NetBox batch (default: batch_size, 100)"
    )
    replay.add_argument("paths", nargs="+", metavar="PATH")

    parse = commands.add_parser("parse", help="print the parsed notices as JSON (no NetBox needed)")
    parse.add_argument(
        "--explain",
        action="store_true",
        help="show what each [[parsers]] definition and the generic outage reader extract",
    )
    parse.add_argument("paths", nargs="+", metavar="PATH")

    check = commands.add_parser("check", help="validate config, reach NetBox and each mailbox")
    check.add_argument("--setup", action="store_true", help="create the tag the daemon needs")

    relink = commands.add_parser(
        "relink",
        help="link circuits added to NetBox since the emails that named them (each poll does it too)",
    )
    relink.add_argument("--format", choices=["text", "json"], default="text")
    failed = commands.add_parser(
        "failed", help="list the emails in each mailbox's failed folder (on_failed), with why they failed"
    )
    failed.add_argument("--mailbox", metavar="NAME", help="only this mailbox")
    failed.add_argument("--format", choices=("text", "json"), default="text")

    retry = commands.add_parser(
        "retry", help="move emails of the failed folder back into the mailbox's folder for the next poll"
    )
    retry.add_argument("--mailbox", metavar="NAME", help="only this mailbox (needed with handles)")
    retry.add_argument("--all", action="store_true", help="every email of the failed folder")
    retry.add_argument(
        "handles",
        nargs="*",
        metavar="HANDLE",
        help="an email as `failed` names it: UIDVALIDITY:UID or the UID (IMAP), the message id (Graph)",
    )

    migrate = commands.add_parser(
        "migrate-records",
        help="move email records of versions before 0.5 from custom fields into journal entries",
    )
    migrate.add_argument(
        "--delete-fields",
        action="store_true",
        help="then delete those custom fields (their JSON leaves the timeline)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Every output of the process goes through the redaction (ingestor.redact) from here on; a
    configuration error is one line per key and exit 2, never a traceback."""
    redact.install()
    args = build_parser().parse_args(argv)
    try:
        if args.command == "parse":
            configure_logging("warning", "auto")
            return cmd_parse(args)
        config = load_config(config_path(args.config))
    except ConfigError as exc:
        print(f"notices-ingestor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(config.logging.level, config.logging.format)
    for problem in transport_warnings(config):  # loud, every start: nobody reads a config twice
        structlog.get_logger(__name__).warning("insecure_transport", problem=problem)
    handler = {
        "run": cmd_run,
        "replay": cmd_replay,
        "check": cmd_check,
        "relink": cmd_relink,
        "failed": cmd_failed,
        "retry": cmd_retry,
        "migrate-records": cmd_migrate,
    }[args.command]
    try:
        return handler(args, config)
    except UsageError as exc:
        print(f"notices-ingestor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001 - a bug: one line first, its traceback in the log's event
        print(f"notices-ingestor: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        structlog.get_logger(__name__).error("command_crashed", command=args.command, exc_info=True)
        return EXIT_FAILED


def _gateway(config: Config):
    from ingestor.netbox import NetBoxGateway

    return NetBoxGateway(config.netbox)


def _pipeline(config: Config, dry_run: bool = False):
    from ingestor.pipeline import Pipeline

    return Pipeline(config, _gateway(config), dry_run=dry_run)


def cmd_run(args, config: Config) -> int:
    from ingestor.daemon import Daemon

    if not config.mailboxes:
        print("notices-ingestor: no [[mailboxes]] in the configuration", file=sys.stderr)
        return EXIT_USAGE
    daemon = Daemon(config, _pipeline(config))
    if args.once:
        results = daemon.run_once()
        unfinished = any(r.error or r.failed or r.count(Outcome.DEFERRED) for r in results)
        return EXIT_FAILED if unfinished else EXIT_OK
    from ingestor.service import StartupError

    try:
        daemon.run_forever()
    except StartupError as exc:  # the service cannot run as configured (issue 8)
        print(f"notices-ingestor: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_replay(args, config: Config) -> int:
    from ingestor.pipeline import batches
    from ingestor.progress import progress
    from ingestor.sources.files import iter_file_messages

    if args.batch_size is not None and args.batch_size < 1:
        print("notices-ingestor: --batch-size must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    pipeline = _pipeline(config, dry_run=args.dry_run)
    counts: Counter[Outcome] = Counter()
    chunks = batches(iter_file_messages(args.paths), args.batch_size or config.batch_size)
    reports = (report for batch in pipeline.process_batches(chunks) for report in batch.reports)
    for report in progress(reports, desc="replay"):  # a bar on stderr when it is a terminal
        counts[report.outcome] += 1
        _print_report(report, args.format)
    summary = {o.value: counts[o] for o in Outcome}
    summary["total"] = sum(counts.values())
    summary["netbox_requests"] = pipeline.netbox_requests
    summary["dry_run"] = args.dry_run
    if args.format == "json":
        print(json.dumps({"summary": summary}))
    else:
        print("summary: " + ", ".join(f"{key} {value}" for key, value in summary.items()))
    unfinished = counts[Outcome.FAILED] or counts[Outcome.DEFERRED]
    return EXIT_FAILED if unfinished else EXIT_OK


def _print_report(report, output: str) -> None:
    if output == "json":
        print(json.dumps(report.as_dict()), flush=True)
        return
    events = ", ".join(f"{e.kind} {e.name} (#{e.id})" for e in report.events)
    detail = report.reason or events
    print(f"{report.outcome:<9} {report.source}  {report.message_id or ''}  {detail}", flush=True)


def _lenient_parser_options(args) -> ParserOptions:
    """`parse` needs no NetBox: take only the parsing sections of a config file, when there is one."""
    path = config_path(args.config)
    if not path.exists():
        if args.config:
            raise ConfigError(f"{path}: configuration file not found")
        return ParserOptions()
    data = read_toml(path)
    subset = {key: data[key] for key in ("providers", "parsing", "parsers") if key in data}
    return validate_config(
        path, {"netbox": {"url": "http://127.0.0.1", "token": "unused"}, **subset}
    ).parser_options()


def cmd_parse(args) -> int:
    from ingestor.sources.files import iter_file_messages
    from parsers.worker import ParseWorkerPool

    options = _lenient_parser_options(args)
    pool = ParseWorkerPool(options)  # the same limits as the daemon's
    failed = False
    for message in iter_file_messages(args.paths):
        if message.error:
            unreadable = {"source": message.source, "status": ParseStatus.FAILED, "reason": message.error}
            print(json.dumps(unreadable))
            failed = True
            continue
        result, explanation = pool.explain(message.data, message.received, explain=args.explain)
        out = {"source": message.source, **result.model_dump(mode="json", exclude={"email": {"body"}})}
        if args.explain:
            out["explain"] = explanation
        failed |= result.status is ParseStatus.FAILED
        print(json.dumps(out, indent=2))
    pool.close()
    return EXIT_FAILED if failed else EXIT_OK


def cmd_check(args, config: Config) -> int:
    from ingestor.netbox import NetBoxRejected, NetBoxUnavailable, check_netbox
    from ingestor.sources import mailbox_source
    from ingestor.state import StateStore

    ok = True
    print(f"config: ok ({len(config.mailboxes)} mailboxes, {len(config.parsers)} parser definitions)")
    for problem in transport_warnings(config):
        print(f"config: WARNING: {problem}")
    try:
        gateway = _gateway(config)
        report = check_netbox(gateway, create=args.setup)
        versions = f"version {report.netbox_version}, notices plugin {report.plugin_version}"
        print(f"netbox: {config.netbox.url} {versions}")
        for item in report.created:
            print(f"netbox: created {item}")
        for note in report.notes:
            print(f"netbox: note: {note}")
        for problem in report.problems:
            print(f"netbox: PROBLEM: {problem}")
        ok &= report.ok
        for line in _sender_lines(config, gateway):
            print(f"netbox: {line}")
    except (NetBoxUnavailable, NetBoxRejected) as exc:
        print(f"netbox: PROBLEM: {config.netbox.url}: {exc}")
        ok = False
    state = StateStore(config.state_dir)
    for mailbox in config.mailboxes:
        try:
            with mailbox_source(mailbox, state, config.instance_name) as imap:
                print(f"mailbox {mailbox.name}: ok ({imap.describe()})")
        except Exception as exc:  # noqa: BLE001 - report every mailbox, whatever went wrong
            print(f"mailbox {mailbox.name}: PROBLEM: {exc}")
            ok = False
    return EXIT_OK if ok else EXIT_FAILED


def _sender_lines(config: Config, gateway: NetBoxGateway) -> list[str]:
    """How each configured sender ([providers] and [[parsers]] senders) and each sender NetBox has
    notifications of resolves to a NetBox provider (README, "Providers")."""
    from ingestor.netbox import seen_senders, sender_lines
    from parsers.detect import known_providers

    options = config.parser_options()
    senders: dict[str, str | None] = {s: d.provider for d in config.parsers for s in d.senders}
    senders |= {s.lower(): name for name, p in config.providers.items() for s in p.senders}
    for sender in seen_senders(gateway):
        senders.setdefault(sender, next(iter(known_providers(sender, options)), None))
    return sender_lines(gateway, senders, config.netbox_provider_slug)


def cmd_relink(args, config: Config) -> int:
    """What the daemon does at each poll, once: the open events that await circuits NetBox did not have
    (tag notices-unmatched-circuits) matched again; prints what was linked."""
    from ingestor.netbox import Catalog, NetBoxRejected, NetBoxUnavailable, relink

    try:
        result = relink(Catalog(_gateway(config)), datetime.now(UTC))
    except (NetBoxUnavailable, NetBoxRejected) as exc:
        print(f"netbox: PROBLEM: {config.netbox.url}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    lines = [
        {"kind": key.kind, "event": key.name, "linked": cids} for key, cids in sorted(result.linked.items())
    ]
    lines += [
        {"kind": key.kind, "event": key.name, "failed": why} for key, why in sorted(result.failed.items())
    ]
    for line in lines:
        if args.format == "json":
            print(json.dumps(line))
        else:
            what = f"linked {', '.join(line['linked'])}" if "linked" in line else f"FAILED: {line['failed']}"
            print(f"{line['kind']} {line['event']}: {what}")
    summary = {"awaiting": result.looked_at, "linked": sum(len(c) for c in result.linked.values()),
               "over": len(result.over), "failed": len(result.failed)}  # fmt: skip
    print(json.dumps({"summary": summary}) if args.format == "json" else f"summary: {summary}")
    return EXIT_FAILED if result.failed else EXIT_OK


def _mailboxes(config: Config, name: str | None) -> list[AnyMailboxConfig]:
    """The mailboxes a command works on: all of them, or the one ``--mailbox`` names."""
    if not config.mailboxes:
        raise UsageError("no [[mailboxes]] in the configuration")
    chosen = [mailbox for mailbox in config.mailboxes if name in (None, mailbox.name)]
    if not chosen:
        names = ", ".join(mailbox.name for mailbox in config.mailboxes)
        raise UsageError(f"--mailbox {name}: no such mailbox (configured: {names})")
    return chosen


def _no_failed_folder(mailbox: AnyMailboxConfig) -> str:
    return f"mailbox {mailbox.name}: on_failed moves no email into a folder: nothing to list or retry"


def cmd_failed(args, config: Config) -> int:
    """``failed``: each email of the failed folders, a block (text) or an object a line (json); what is
    said of a mailbox as a whole goes to stderr with json, so stdout stays one object a line."""
    from ingestor.sources.errors import MailboxError

    say = print if args.format == "text" else functools.partial(print, file=sys.stderr)
    ok = True
    for mailbox in _mailboxes(config, args.mailbox):
        try:
            count = _print_failed(config, mailbox, args.format)
        except MailboxError as exc:
            say(f"mailbox {mailbox.name}: PROBLEM: {exc}")
            ok = False
            continue
        if count is None:
            say(_no_failed_folder(mailbox))
        else:
            say(f"mailbox {mailbox.name}: {count} emails in folder {failed_folder_of(mailbox)!r}")
    return EXIT_OK if ok else EXIT_FAILED


def _print_failed(config: Config, mailbox: AnyMailboxConfig, output: str) -> int | None:
    """Print the failed emails of ``mailbox``; how many (None: it has no failed folder)."""
    from ingestor.sources import failed_folder
    from ingestor.state import StateStore
    from ingestor.triage import list_failed

    if failed_folder_of(mailbox) is None:
        return None
    state = StateStore(config.state_dir)
    count = 0
    with failed_folder(mailbox, state, config.instance_name) as box:
        for email in list_failed(box, mailbox, state):
            count += 1
            print(json.dumps(email.as_dict()) if output == "json" else email.as_text() + "\n", flush=True)
    return count


def cmd_retry(args, config: Config) -> int:
    """``retry``: move the named emails (or ``--all``) of the failed folder back into the folder read."""
    from ingestor.sources.errors import MailboxError

    if args.all == bool(args.handles):
        raise UsageError("retry: name the emails (HANDLE, as `failed` prints it) or give --all")
    mailboxes = _mailboxes(config, args.mailbox)
    if args.handles and len(mailboxes) > 1:
        raise UsageError("retry: handles name emails of one mailbox: say which with --mailbox NAME")
    ok = True
    for mailbox in mailboxes:
        if failed_folder_of(mailbox) is None and args.handles:
            raise UsageError(_no_failed_folder(mailbox))
        if failed_folder_of(mailbox) is None:
            print(_no_failed_folder(mailbox))
            continue
        try:
            ok &= _retry_mailbox(config, mailbox, args.handles or None)
        except MailboxError as exc:
            print(f"mailbox {mailbox.name}: PROBLEM: {exc}")
            ok = False
    return EXIT_OK if ok else EXIT_FAILED


def _retry_mailbox(config: Config, mailbox: AnyMailboxConfig, handles: list[str] | None) -> bool:
    """Retry in one mailbox and print what moved; False when a chosen email was gone meanwhile."""
    from ingestor.sources import failed_folder
    from ingestor.state import StateStore
    from ingestor.triage import UnknownEmails, retry_failed

    state = StateStore(config.state_dir)
    with failed_folder(mailbox, state, config.instance_name) as box:
        try:
            moved, missed = retry_failed(box, mailbox, state, handles)
        except UnknownEmails as exc:
            raise UsageError(str(exc)) from None
    into = f"back into {mailbox.folder!r}"
    for email in moved:
        print(f"mailbox {mailbox.name}: moved {email.handle} {into}: {email.headers.subject}")
    for email in missed:
        print(f"mailbox {mailbox.name}: NOT moved {email.handle}: it left the failed folder meanwhile")
    print(f"mailbox {mailbox.name}: {len(moved)} emails moved back; the next poll reads them")
    return not missed


def cmd_migrate(args, config: Config) -> int:
    from ingestor.netbox import NetBoxRejected, NetBoxUnavailable, migrate_legacy_records

    try:
        report = migrate_legacy_records(_gateway(config), delete_fields=args.delete_fields)
    except (NetBoxUnavailable, NetBoxRejected) as exc:
        print(f"netbox: PROBLEM: {config.netbox.url}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if not report.legacy_fields:
        print("nothing to migrate: NetBox has none of the custom fields of versions before 0.5")
        return EXIT_OK
    print(
        f"custom fields {', '.join(report.legacy_fields)}: {report.notifications} notifications hold a "
        f"record; {report.moved} moved into journal entries now, {report.already} were there already"
    )
    if report.deleted_fields:
        print(f"deleted custom fields: {', '.join(report.deleted_fields)}")
    else:
        print("run again with --delete-fields to delete them (every record they hold is in the journal now)")
    return EXIT_OK
