"""The bad-input table: every hostile or broken input the security review listed (and more), each run
as the real command line (``python -m ingestor ...`` in a subprocess) with known secrets in its config.

Each row says what it feeds in and which exit code it must end with: 2 for a configuration error, 1 for
bad input or an unusable server, 0 where the input is fine. tests/security/test_bad_input.py runs every
row and checks: that exit code, one clear first line, no traceback, no hang (a timeout), and none of the
secrets — in any of the forms ingestor.redact knows — anywhere in stdout or stderr (the JSON log
included). ``scripts/bad_input_table.py`` prints the same rows as a table (command, exit, first line).
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.security import standins

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "nbt_S3cretKey.Zq9xW7vT5rP3nL1mQ"
PASSWORD = 'pa"ss\\w0rd S3cret-imap'
CLIENT_SECRET = "cl1ent+S3cret/&=xyz"
REFRESH_TOKEN = "r3fresh-S3cret-T0ken"
URL_PASSWORD = "urlP4ss-S3cret"
SECRETS = (TOKEN, PASSWORD, CLIENT_SECRET, REFRESH_TOKEN, URL_PASSWORD)
MARKER = "S3cret"  # in every secret above: any fragment of one that reaches an output shows it
TIMEOUT = 90  # seconds: a row that has not ended by then hangs (a FIFO read, an endless retry)

Build = Callable[[Path, contextlib.ExitStack], list[str]]


@dataclass
class Case:
    name: str
    expected: int
    build: Build  # writes the row's files under a directory, starts its stand-ins; returns the arguments
    env: dict[str, str] = field(default_factory=dict)
    tty: bool = False  # stdout is a terminal (control characters must be escaped there)


@dataclass
class Outcome:
    command: str
    exit_code: int | None  # None: it hung and was killed
    output: str  # stdout then stderr

    @property
    def first_line(self) -> str:
        return next((line for line in self.output.splitlines() if line.strip()), "")

    @property
    def key_line(self) -> str:
        """The line that names the problem: a mailbox's PROBLEM, else check's first PROBLEM, else (for
        parse's indented JSON) the source line, else the first line."""
        lines = self.output.splitlines()
        problems = [line for line in lines if "PROBLEM" in line]
        mailbox = [line for line in problems if line.startswith("mailbox")]
        if mailbox or problems:
            return (mailbox or problems)[0]
        if self.first_line.strip() == "{":
            return next((line for line in lines if '"source"' in line), self.first_line)
        return self.first_line


def config(
    directory: Path, netbox_url: str = "http://127.0.0.1:9", extra: str = "", netbox: str = ""
) -> Path:
    """A config with the NetBox token in a token_file, a JSON log, fast failures; ``extra`` appended."""
    token_file = directory / "token"
    token_file.write_text(TOKEN + "\n")
    path = directory / "config.toml"
    path.write_text(
        f'state_dir = "{directory / "state"}"\n'
        f'[netbox]\nurl = "{netbox_url}"\ntoken_file = "{token_file}"\nretries = 0\n'
        f"{netbox or 'timeout_seconds = 5'}\n"
        '[logging]\nformat = "json"\nlevel = "debug"\n'
        "[parsing]\nworkers = 1\n"
        f"{extra}\n"
    )
    return path


OUTAGE = ROOT / "scripts/demo/emails/03-northwind-outage-investigating.eml"  # parsed with no config


def email(directory: Path, name: str = "email.eml", message_id: str | None = None) -> Path:
    """An outage notice the generic reader parses (so replay goes on to NetBox), its Message-ID replaced."""
    data = OUTAGE.read_bytes()
    if message_id is not None:
        data = data.replace(b"<demo-northwind-88213-1@northwind-fiber.example>", message_id.encode())
    path = directory / name
    path.write_bytes(data)
    return path


def fifo(directory: Path, name: str = "fifo") -> Path:
    path = directory / name
    os.mkfifo(path)
    return path


def _cfg(extra: str = "", netbox: str = "", command: tuple[str, ...] = ("check",)) -> Build:
    def build(directory: Path, _stack: contextlib.ExitStack) -> list[str]:
        return ["-c", str(config(directory, extra=extra, netbox=netbox)), *command]

    return build


def _with_netbox(answer: standins.Answer, *command: str, userinfo: bool = False) -> Build:
    def build(directory: Path, stack: contextlib.ExitStack) -> list[str]:
        url = stack.enter_context(standins.http_standin(answer))
        if userinfo:
            url = url.replace("http://", f"http://noc:{URL_PASSWORD}@")
        args = [a.replace("{email}", str(email(directory))) for a in command]
        return ["-c", str(config(directory, url)), *args]

    return build


def _token_file_second_line(directory: Path, _stack: contextlib.ExitStack) -> list[str]:
    path = config(directory)
    (directory / "token").write_text(TOKEN + "\nsecond line\n")
    return ["-c", str(path), "check"]


def _token_with_cr(directory: Path, _stack: contextlib.ExitStack) -> list[str]:
    path = config(directory)
    (directory / "token").write_text(TOKEN + "\r" + TOKEN[:4])
    return ["-c", str(path), "check"]


def _http_netbox(directory: Path, _stack: contextlib.ExitStack) -> list[str]:
    return ["-c", str(config(directory, "http://netbox.example.net")), "check"]


def _missing_ca_file(directory: Path, _stack: contextlib.ExitStack) -> list[str]:
    return ["-c", str(config(directory, netbox=f'ca_file = "{directory / "no-such-ca.pem"}"')), "check"]


def _fifo_ca_file(directory: Path, _stack: contextlib.ExitStack) -> list[str]:
    return ["-c", str(config(directory, netbox=f'ca_file = "{fifo(directory)}"')), "check"]


def _fifo_config(directory: Path, _stack: contextlib.ExitStack) -> list[str]:
    return ["-c", str(fifo(directory, "config.toml")), "check"]


def _fifo_input(command: str) -> Build:
    def build(directory: Path, _stack: contextlib.ExitStack) -> list[str]:
        return ["-c", str(config(directory)), command, str(fifo(directory, "input.eml"))]

    return build


def _non_utf8_name(directory: Path, _stack: contextlib.ExitStack) -> list[str]:
    path = email(directory, os.fsdecode(b"notice-\xff\xfe.eml"))  # surrogateescape: the bytes as they are
    return ["-c", str(config(directory)), "parse", str(path)]


def _control_message_id(directory: Path, _stack: contextlib.ExitStack) -> list[str]:
    path = email(directory, message_id="<a\x1b]0;owned\x07\x1b[2J@example.net>")
    return ["-c", str(config(directory)), "replay", str(path)]


def _oauth_mailbox(token_url: str, port: int = 9) -> str:
    return (
        f'[[mailboxes]]\nname = "noc"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "plain"\n'
        f'username = "noc@example.net"\nauth = "oauth2"\n[mailboxes.oauth2]\nprovider = "generic"\n'
        f'token_url = "{token_url}"\nclient_id = "ingestor"\nclient_secret = "{CLIENT_SECRET}"\n'
        f'refresh_token = "{REFRESH_TOKEN}"\nclient_auth = "post"\n'
    )


def _token_endpoint(answer: standins.Answer) -> Build:
    def build(directory: Path, stack: contextlib.ExitStack) -> list[str]:
        url = stack.enter_context(standins.http_standin(answer))
        port = stack.enter_context(standins.imap_standin())
        return ["-c", str(config(directory, extra=_oauth_mailbox(url + "/token", port))), "check"]

    return build


def _imap_echo(directory: Path, stack: contextlib.ExitStack) -> list[str]:
    port = stack.enter_context(standins.imap_standin())
    password = PASSWORD.replace("\\", "\\\\").replace('"', '\\"')
    mailbox = (
        f'[[mailboxes]]\nname = "noc"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "plain"\n'
        f'username = "noc"\npassword = "{password}"\n'
    )
    return ["-c", str(config(directory, extra=mailbox)), "check"]


def _oauth_echo(handler) -> tuple[int, dict[str, str], bytes]:
    code, headers, body = standins.echo_request(handler)
    detail = json.loads(body)["detail"]
    return code, headers, json.dumps({"error": "invalid_request", "error_description": detail}).encode()


NAN_INTERVAL = """[[mailboxes]]
name = "a"
host = "h"
port = 993
username = "u"
password = "p4ss"
interval_seconds = nan
"""
HTTP_GRAPH = """[[mailboxes]]
name = "g"
kind = "graph"
user = "noc@example.net"
graph_url = "http://graph.example.net/v1.0"
[mailboxes.oauth2]
provider = "generic"
token_url = "https://127.0.0.1:9/t"
client_id = "c"
client_secret = "s3cr"
"""


CASES: list[Case] = [
    Case("token_file with a second line", 2, _token_file_second_line),
    Case("token with a \\r inside", 2, _token_with_cr),
    Case(
        "[parsing] value is a secret string (parse)",
        2,
        _cfg(f'timeout_seconds = "{REFRESH_TOKEN}"', command=("parse", "-")),
    ),
    Case("timeout_seconds = inf", 2, _cfg(netbox="timeout_seconds = inf")),
    Case("timeout_seconds = 1e300", 2, _cfg(netbox="timeout_seconds = 1e300")),
    Case("retry_backoff_seconds = 1e9", 2, _cfg(netbox="retry_backoff_seconds = 1e9")),
    Case("memory_limit_mb = 10**9 (parse)", 2, _cfg("memory_limit_mb = 1000000000", command=("parse", "-"))),
    Case(
        "interval_seconds = nan",
        2,
        _cfg(NAN_INTERVAL),
    ),
    Case("missing ca_file", 2, _missing_ca_file),
    Case("ca_file is a FIFO", 2, _fifo_ca_file),
    Case("config file is a FIFO", 2, _fifo_config),
    Case("http:// NetBox on another host", 2, _http_netbox),
    Case(
        "http:// graph_url on another host",
        2,
        _cfg(HTTP_GRAPH),
    ),
    Case("check: non-JSON OPTIONS answer", 1, _with_netbox(standins.netbox_with_html_options, "check")),
    Case("check: NetBox echoes the Authorization header", 1, _with_netbox(standins.echo_request, "check")),
    Case(
        "check: URL userinfo in [netbox] url", 1, _with_netbox(standins.echo_request, "check", userinfo=True)
    ),
    Case(
        "replay --format json: NetBox echoes the request",
        1,
        _with_netbox(standins.echo_request, "replay", "--format", "json", "{email}"),
    ),
    Case("check: token endpoint echoes its form", 1, _token_endpoint(_oauth_echo)),
    Case("check: token endpoint answers 4 MiB", 1, _token_endpoint(standins.huge_answer(4 * 1024 * 1024))),
    Case("check: IMAP server quotes the LOGIN back", 1, _imap_echo),
    Case("parse: a FIFO as the path", 1, _fifo_input("parse")),
    Case("replay: a FIFO as the path", 1, _fifo_input("replay")),
    Case(
        "parse: non-UTF-8 file name, ASCII stdout",
        0,
        _non_utf8_name,
        env={"PYTHONIOENCODING": "ascii:strict"},
    ),
    Case("replay: control characters in a Message-ID, on a terminal", 1, _control_message_id, tty=True),
]


def run(case: Case, directory: Path) -> Outcome:
    """Run the row's command line; stdout and stderr as text (stdout through a pty when ``tty``)."""
    with contextlib.ExitStack() as stack:
        args = case.build(directory, stack)
        argv = [sys.executable, "-m", "ingestor", *args]
        env = {**os.environ, "PYTHONPATH": str(ROOT), **case.env}
        env.pop("NETBOX_TOKEN", None)
        shown = "notices-ingestor " + " ".join(a if "/" not in a else Path(a).name for a in args)
        if case.tty:
            return _run_on_tty(argv, env, shown)
        try:
            done = subprocess.run(
                argv, env=env, cwd=directory, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired as hung:
            return Outcome(shown, None, _text(hung.stdout) + _text(hung.stderr))
        return Outcome(shown, done.returncode, _text(done.stdout) + _text(done.stderr))


def _run_on_tty(argv: list[str], env: dict[str, str], shown: str) -> Outcome:
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        argv, env=env, stdout=follower, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    os.close(follower)
    chunks = []
    with contextlib.suppress(OSError):  # EIO once the child has closed its end
        while chunk := os.read(leader, 65536):
            chunks.append(chunk)
    os.close(leader)
    try:
        stderr = process.communicate(timeout=TIMEOUT)[1]
    except subprocess.TimeoutExpired:
        process.kill()
        return Outcome(shown, None, _text(b"".join(chunks)))
    return Outcome(shown, process.returncode, _text(b"".join(chunks)) + _text(stderr))


def _text(data: bytes | str | None) -> str:
    if isinstance(data, str):
        return data
    return (data or b"").decode("utf-8", "backslashreplace")
