"""Emails from the file system: .eml files, directories, mbox files, Maildir folders, and stdin ("-").

Used for one-off runs and for an MTA pipe. Messages are yielded one at a time (an mbox is indexed by a
line-by-line scan and read a message at a time), with their bytes untouched. Anything that cannot be read
is yielded as a RawMessage with ``error`` set, so it is reported rather than silently dropped.
"""

from __future__ import annotations

import mailbox
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import structlog

from ingestor.sources import RawMessage

log = structlog.get_logger(__name__)

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
STDIN = "-"


def iter_file_messages(paths: Iterable[str], max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[RawMessage]:
    """Every message in ``paths``, in order; directories are walked recursively in sorted order."""
    for path in paths:
        if path == STDIN:
            yield _read_stdin(max_bytes)
        else:
            yield from _iter_path(Path(path), max_bytes, seen_dirs=set(), explicit=True)


def _iter_path(path: Path, max_bytes: int, seen_dirs: set[str], explicit: bool) -> Iterator[RawMessage]:
    try:
        if path.is_dir():
            yield from _iter_directory(path, max_bytes, seen_dirs)
        elif not path.exists():
            yield _unreadable(path, "no such file or directory")
        elif not path.is_file():  # a FIFO or a device would block the read (or never end)
            yield from _not_regular(path, explicit)
        elif _starts_with_from_line(path):
            yield from _iter_mbox(path, max_bytes)
        else:
            yield _read_file(path, max_bytes)
    except OSError as exc:
        yield _unreadable(path, exc.strerror or str(exc))


def _iter_directory(directory: Path, max_bytes: int, seen_dirs: set[str]) -> Iterator[RawMessage]:
    if _is_maildir(directory):
        yield from _iter_maildir(directory, max_bytes)
        return
    real = os.path.realpath(directory)
    if real in seen_dirs:  # a symlink loop
        log.warning("directory_skipped", path=str(directory), reason="already visited (symlink loop?)")
        return
    seen_dirs.add(real)
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        yield from _iter_path(entry, max_bytes, seen_dirs, explicit=False)


def _not_regular(path: Path, explicit: bool) -> Iterator[RawMessage]:
    """Named on the command line: reported (a pipe goes in as ``-``); met in a directory: skipped."""
    if explicit:
        yield _unreadable(path, "not a regular file (a FIFO, socket or device); pipe it in as - instead")
    else:
        log.debug("file_skipped", path=str(path), reason="not a regular file")


def _is_maildir(directory: Path) -> bool:
    return (directory / "cur").is_dir() and (directory / "new").is_dir()


def _starts_with_from_line(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(5) == b"From "


def _read_file(path: Path, max_bytes: int) -> RawMessage:
    with path.open("rb") as file:
        size = os.fstat(file.fileno()).st_size
        if size > max_bytes:
            return _too_large(str(path), size, max_bytes)
        data = file.read(max_bytes + 1)  # bounded: the file may be growing, or not a regular file
    if len(data) > max_bytes:
        return _too_large(str(path), len(data), max_bytes)
    if not data:
        return _unreadable(path, "empty file")
    return RawMessage(data=data, source=str(path))


def _iter_mbox(path: Path, max_bytes: int) -> Iterator[RawMessage]:
    box = mailbox.mbox(path, create=False)
    try:
        for number, key in enumerate(box.iterkeys(), start=1):
            source = f"{path}#{number}"
            # get_file + bounded read gives the same bytes as get_bytes (on POSIX) without reading an
            # oversize message; the "From " separator line is not part of the message
            with box.get_file(key) as file:
                data = file.read(max_bytes + 1)
            if len(data) > max_bytes:
                yield _too_large(source, None, max_bytes)
            else:
                yield RawMessage(data=data, source=source)
    finally:
        box.close()


def _iter_maildir(directory: Path, max_bytes: int) -> Iterator[RawMessage]:
    box = mailbox.Maildir(directory, factory=None, create=False)
    # Maildir keys start with the delivery time, so sorting them is roughly arrival order
    for key in sorted(box.iterkeys()):
        source = f"{directory}#{key}"
        try:
            with box.get_file(key) as file:
                data = file.read(max_bytes + 1)
        except KeyError:  # removed by someone else since the listing
            yield RawMessage(data=b"", source=source, error=f"{source}: message disappeared while reading")
            continue
        except OSError as exc:
            yield RawMessage(data=b"", source=source, error=f"{source}: {exc.strerror or exc}")
            continue
        if len(data) > max_bytes:
            yield _too_large(source, None, max_bytes)
        else:
            yield RawMessage(data=data, source=source)


def _read_stdin(max_bytes: int) -> RawMessage:
    data = sys.stdin.buffer.read(max_bytes + 1)
    if len(data) > max_bytes:
        # drain the rest so the MTA writing to us does not get EPIPE and bounce the email
        while sys.stdin.buffer.read(1024 * 1024):
            pass
        return _too_large(STDIN, None, max_bytes)
    if not data:
        return RawMessage(data=b"", source=STDIN, error="stdin: no input")
    return RawMessage(data=data, source=STDIN)


def _unreadable(path: Path, reason: str) -> RawMessage:
    log.warning("message_unreadable", path=str(path), reason=reason)
    return RawMessage(data=b"", source=str(path), error=f"{path}: {reason}")


def _too_large(source: str, size: int | None, max_bytes: int) -> RawMessage:
    size_text = f"{size} bytes" if size is not None else f"over {max_bytes} bytes"
    log.warning("message_too_large", source=source, size=size, max_bytes=max_bytes)
    return RawMessage(
        data=b"",
        source=source,
        error=f"{source}: message too large ({size_text}; limit is {max_bytes} bytes)",
    )
