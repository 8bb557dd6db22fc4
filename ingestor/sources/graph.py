"""Emails from a user or shared mailbox's folder through Microsoft Graph (``kind = "graph"``).

The same surface as ImapMailbox: a context manager per poll, ``fetch_new()`` yielding RawMessage, and
``dispose(message, actions)``. New mail is found with a delta query on the folder (``changeType=created``,
so our own updates — categories, isRead — do not bring a message back); the raw MIME comes from
``/messages/{id}/$value``, so the same parsers run as for IMAP. The delta link of a round is saved in
``state_dir`` only once every message of that round has been disposed of: a poll that stops early (NetBox
down, SIGTERM) reads the same messages again next time, and NetBox's idempotency catches repeats.

Dispositions: ``move:Folder`` moves the message (the folder, a path like ``Processed/2026`` under the
mailbox root, is created when missing), ``keyword:X`` adds the category X, ``seen`` sets isRead.
Throttling (429, 503) waits as long as Retry-After says; a 401 gets one freshly fetched token.

The failed folder (``sources.FailedFolder``, for ``ingestor.triage``): ``list_folder`` lists a folder's
messages (``/mailFolders/{id}/messages``) and reads each one's MIME as ``fetch_new`` does;
``move_back`` takes off the categories that would make ``fetch_new`` skip a message (and those the
failed disposition added), then moves it into the folder read. A move makes a new message there (a new
id), which the next delta round lists as created, whatever delta link was saved.
Documented endpoints only; the stand-in in tests/graph_standin.py implements exactly these.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal, overload
from urllib.parse import quote, urlsplit

import requests
import structlog

from ingestor.disposition import (
    Action,
    AddKeyword,
    MarkSeen,
    Move,
    done_keywords,
    format_action,
    retry_keywords,
)
from ingestor.http import HttpSession, json_object
from ingestor.retry_after import parse_retry_after
from ingestor.sources import FolderEmail, RawMessage
from ingestor.sources.errors import GraphError, GraphLoginError, MailboxConnectError, MailboxLoginError
from ingestor.sources.oauth import TokenCache, TokenError, token_cache_for
from ingestor.state import StateFile, StateStore, typed

if TYPE_CHECKING:
    from ingestor.config import GraphMailboxConfig

log = structlog.get_logger(__name__)

# mailFolder well-known names (mailFolder resource type) usable in place of an id
WELL_KNOWN_FOLDERS = frozenset(
    {
        "archive",
        "clutter",
        "conflicts",
        "conversationhistory",
        "deleteditems",
        "drafts",
        "inbox",
        "junkemail",
        "localfailures",
        "msgfolderroot",
        "outbox",
        "recoverableitemsdeletions",
        "scheduled",
        "searchfolders",
        "sentitems",
        "serverfailures",
        "syncissues",
    }
)
DELTA_SELECT = "id,categories,isRead,internetMessageId,subject,receivedDateTime"
LIST_SELECT = "id,categories,receivedDateTime"
# a delta link Graph no longer knows: 410 Gone, or a 40X with one of these codes
RESYNC_CODES = frozenset({"syncStateNotFound", "syncStateInvalid", "resyncRequired"})
THROTTLED = frozenset({429, 503, 504})
DOWNLOAD_CHUNK = 64 * 1024
# one answer of the API (a delta page of 1,000 items, a folder listing); messages stream, bounded apart
PAGE_MAX_BYTES = 16 * 1024 * 1024

# the position of a Graph mailbox, owned by this module (lost: the next round reads the whole folder)
DELTA_FILE = StateFile("graph")


@dataclass(frozen=True)
class DeltaState:
    folder_id: str | None = None
    delta_link: str | None = None  # opaque URL from Graph; None: the next round reads the whole folder


def load_delta(store: StateStore, mailbox: str) -> DeltaState:
    """The saved Graph position of ``mailbox``; an empty one (read everything) if none is usable."""
    return store.read(DELTA_FILE, mailbox, _decode_delta, DeltaState())


def save_delta(store: StateStore, mailbox: str, state: DeltaState) -> None:
    store.write(DELTA_FILE, mailbox, asdict(state))


def _decode_delta(raw: dict) -> DeltaState:
    return DeltaState(typed(raw["folder_id"], str), typed(raw["delta_link"], str))


class GraphApi:
    """Bearer-authenticated requests to one Graph base URL; throttling and a stale token handled here."""

    def __init__(
        self,
        config: GraphMailboxConfig,
        tokens: TokenCache,
        session: requests.Session,
        where: str,
        sleep=time.sleep,
    ):
        self.config = config
        self.tokens = tokens
        self.session = session
        self.where = where
        self.sleep = sleep
        self._origin = _origin(config.graph_url)

    def url(self, path_or_link: str) -> str:
        """A path below graph_url, or a nextLink/deltaLink, which must stay on Graph's own origin."""
        if not path_or_link.startswith(("https://", "http://")):
            return self.config.graph_url + path_or_link
        if _origin(path_or_link) != self._origin:  # never send the token anywhere else
            raise GraphError(f"{self.where}: Graph returned a link to another host: {path_or_link}", 0)
        return path_or_link

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        url, refreshed, attempt = self.url(path), False, 0
        while True:
            response = self._send(method, url, **kwargs)
            if response.status_code == 401 and not refreshed:
                log.warning("graph_token_refused", where=self.where, action="fetching a fresh token once")
                self.tokens.invalidate()
                refreshed = True
                continue
            if response.status_code in THROTTLED and attempt < self.config.retries:
                attempt += 1
                self._wait(response, attempt)
                continue
            return response

    def json(self, method: str, path: str, *, expect: tuple[int, ...] = (200,), **kwargs) -> dict:
        response = self.request(method, path, **kwargs)
        if response.status_code not in expect:
            raise self.error(response, f"{method} {path.split('?')[0]}")
        return json_object(response)

    def error(self, response: requests.Response, doing: str) -> GraphError:
        error = json_object(response).get("error") or {}
        code, message = str(error.get("code", "")), str(error.get("message", ""))
        text = f"{self.where}: {doing} failed: HTTP {response.status_code} {code}: {message}".rstrip(": ")
        if response.status_code in (401, 403):
            return GraphLoginError(text, response.status_code, code)
        return GraphError(text, response.status_code, code)

    def _send(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            token = self.tokens.token()
        except TokenError as exc:
            error = MailboxConnectError if exc.transient else MailboxLoginError
            raise error(f"{self.where}: no OAuth2 token: {exc}") from None
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        try:
            return self.session.request(method, url, headers=headers, **kwargs)
        except requests.RequestException as exc:
            raise MailboxConnectError(f"{self.where}: {method} failed: {type(exc).__name__}") from None

    def _wait(self, response: requests.Response, attempt: int) -> None:
        wait = parse_retry_after(response.headers.get("Retry-After"))
        if wait is None:
            wait = min(2.0**attempt, self.config.max_retry_after_seconds)
        if wait > self.config.max_retry_after_seconds:
            raise GraphError(
                f"{self.where}: throttled for {wait:.0f} s (more than max_retry_after_seconds)",
                response.status_code,
                "TooManyRequests",
            )
        log.info(
            "graph_throttled",
            where=self.where,
            status=response.status_code,
            wait_seconds=wait,
            attempt=attempt,
        )
        self.sleep(wait)


class GraphMailbox:
    """One session on one configured Graph mailbox folder (see the module docstring)."""

    def __init__(self, config: GraphMailboxConfig, state_store: StateStore, *, sleep=time.sleep):
        self.config = config
        self._store = state_store
        self._sleep = sleep
        # categories that mark a message handled and left in place (keywords, as IMAP calls them)
        self._done_categories = frozenset(done_keywords(config.dispositions().values()))
        # what a message moved back from the failed folder loses, so fetch_new does not skip it
        self._retry_categories = frozenset(retry_keywords(config.on_failed, config.dispositions().values()))
        self._api: GraphApi | None = None
        self._user_path = f"/users/{quote(config.user, safe='@')}"
        self._folder_id: str | None = None
        self._total_items = 0
        self._state = DeltaState()
        self._known_folders: dict[str, str] = {}
        self._fetched: dict[str, dict] = {}  # RawMessage.source -> the delta item (id, categories)
        self._listed: dict[str, dict] = {}  # FolderEmail.handle -> the item list_folder read
        self._pending: set[str] = set()  # ids of this round not disposed of yet
        self._round_link: str | None = None  # delta link to save once the round is disposed of
        self._log = log.bind(mailbox=config.name)

    # -- session ------------------------------------------------------------------------------------------

    def __enter__(self) -> GraphMailbox:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> None:
        cfg = self.config
        assert cfg.oauth2 is not None  # the config model guarantees it
        session = HttpSession(
            ca_file=cfg.tls_ca_file,
            verify=cfg.verify_tls,
            timeout=cfg.timeout_seconds,
            max_bytes=PAGE_MAX_BYTES,
        )
        try:
            tokens = token_cache_for(cfg.oauth2, kind="graph", subject=cfg.user)
        except TokenError as exc:
            raise MailboxLoginError(f"{self._where()}: OAuth2 configuration unusable: {exc}") from None
        self._api = GraphApi(cfg, tokens, session, self._where(), self._sleep)
        try:
            folder = self._resolve_folder(cfg.folder)
        except BaseException:
            self.close()
            raise
        self._folder_id, self._total_items = folder["id"], int(folder.get("totalItemCount") or 0)
        saved = load_delta(self._store, cfg.name)
        if saved.folder_id != self._folder_id:
            if saved.folder_id is not None:
                self._log.warning("graph_folder_changed", folder=cfg.folder)
            saved = DeltaState(folder_id=self._folder_id)
        self._state = saved

    def close(self) -> None:
        if self._api is not None:
            api, self._api = self._api, None
            api.session.close()

    @property
    def reconnect_attempts(self) -> int:
        """0: GraphApi retries each request itself (throttling, a stale token); no new session."""
        return 0

    def describe(self) -> str:
        cfg = self.config
        oauth = cfg.oauth2.provider if cfg.oauth2 else "?"
        position = "delta link kept" if self._state.delta_link else "no delta link yet (reads all)"
        return (
            f"graph {cfg.graph_url} mailbox {cfg.user} by oauth2 ({oauth}), folder {cfg.folder}: "
            f"{self._total_items} messages, {position}"
        )

    # -- reading ------------------------------------------------------------------------------------------

    def fetch_new(self) -> Iterator[RawMessage]:
        """Messages created in the folder since the last completed round (all of them the first time)."""
        items, delta_link = self._delta_round()
        items = [item for item in items if not self._done_categories & set(item.get("categories") or ())]
        self._log.info("graph_new_messages", count=len(items), folder=self.config.folder)
        self._round_link = delta_link
        self._pending = {item["id"] for item in items}  # the round counts as read once all are disposed of
        if not items:
            self._save_position()
        for item in items:
            message = self._download(item, self.config.folder)
            if message is None:  # gone by the time it was downloaded
                self._done(item["id"])
                continue
            self._fetched[message.source] = item
            yield message

    def _delta_round(self) -> tuple[list[dict], str]:
        start = self._state.delta_link
        try:
            return self._pages(start or self._initial_delta())
        except GraphError as exc:
            if start is None or not (exc.status == 410 or exc.code in RESYNC_CODES):
                raise
            self._log.warning("graph_delta_link_expired", code=exc.code, action="reading the whole folder")
            return self._pages(self._initial_delta())

    def _initial_delta(self) -> str:
        return (
            f"{self._user_path}/mailFolders/{self._folder_id}/messages/delta"
            f"?changeType=created&$select={DELTA_SELECT}"
        )

    def _pages(self, url: str) -> tuple[list[dict], str]:
        items: list[dict] = []
        prefer = {"Prefer": f"odata.maxpagesize={self.config.page_size}"}
        while True:
            page = self._api_().json("GET", url, headers=prefer)
            items += [item for item in page.get("value", []) if "@removed" not in item]
            if page.get("@odata.nextLink"):
                url = page["@odata.nextLink"]
            elif page.get("@odata.deltaLink"):
                return items, page["@odata.deltaLink"]
            else:
                raise GraphError(f"{self._where()}: delta page without nextLink or deltaLink", 200)

    def _download(self, item: dict, folder: str) -> RawMessage | None:
        """The MIME of message ``item`` of ``folder``; None when it is gone."""
        source = self._source(item["id"], folder)
        limit = self.config.max_message_bytes
        response = self._api_().request("GET", f"{self._user_path}/messages/{item['id']}/$value", stream=True)
        with response:
            if response.status_code == 404:
                self._log.info("graph_message_gone", id=item["id"])  # moved or deleted by someone else
                return None
            if response.status_code != 200:
                raise self._api_().error(response, f"GET message {item['id']} $value")
            data = bytearray()
            for chunk in response.iter_content(DOWNLOAD_CHUNK):
                data += chunk
                if len(data) > limit:
                    self._log.warning("graph_message_too_large", id=item["id"], max_bytes=limit)
                    return RawMessage(
                        data=b"",
                        source=source,
                        mailbox=self.config.name,
                        error=f"{source}: message too large (over {limit} bytes)",
                    )
        return RawMessage(data=bytes(data), source=source, mailbox=self.config.name)

    def _source(self, message_id: str, folder: str) -> str:
        return f"graph://{self.config.user}/{folder};id={message_id}"

    # -- disposing ----------------------------------------------------------------------------------------

    def dispose(self, message: RawMessage, actions: Sequence[Action]) -> None:
        """Apply ``actions``; once every message of the round is disposed of, save the delta link."""
        item = self._fetched.get(message.source)
        if item is None or message.mailbox != self.config.name:
            raise ValueError(f"{message.source} was not fetched from mailbox {self.config.name}")
        path = f"{self._user_path}/messages/{item['id']}"
        changes = _patch_for(item, actions)
        if changes:
            self._api_().json("PATCH", path, json=changes)
        for action in actions:
            if isinstance(action, Move):
                folder_id = self._folder_at(action.folder, create=True)
                self._api_().json("POST", f"{path}/move", json={"destinationId": folder_id}, expect=(201,))
        del self._fetched[message.source]
        self._done(item["id"])
        self._log.info("graph_message_disposed", id=item["id"], actions=[format_action(a) for a in actions])

    def release(self, message: RawMessage) -> None:
        """Leave a message to be tried again: it stays in the folder, and this round's delta link is not
        saved, so the next round reads it again. (Graph has no atomic claim: run one instance per mailbox.)"""
        if self._fetched.pop(message.source, None) is not None:
            self._round_link = None
            self._log.info("graph_message_left", source=message.source)

    def release_all(self) -> int:
        """Nothing is claimed in Graph: what was not disposed of is read again by the next round."""
        self._round_link = None
        return 0

    def _done(self, message_id: str) -> None:
        self._pending.discard(message_id)
        if not self._pending:
            self._save_position()

    def _save_position(self) -> None:
        if self._round_link is None:
            return
        self._state = DeltaState(folder_id=self._folder_id, delta_link=self._round_link)
        save_delta(self._store, self.config.name, self._state)
        self._round_link = None

    # -- the failed folder (sources.FailedFolder) ---------------------------------------------------------

    def list_folder(self, folder: str) -> Iterator[FolderEmail]:
        """The messages of ``folder`` (a path under the mailbox root), oldest first, each read as
        ``fetch_new`` reads it; nothing when the folder does not exist."""
        folder_id = self._folder_at(folder, create=False)
        if folder_id is None:
            return
        items = self._listing(f"{self._user_path}/mailFolders/{folder_id}/messages")
        for item in sorted(items, key=lambda item: str(item.get("receivedDateTime") or "")):
            message = self._download(item, folder)
            if message is not None:
                self._listed[item["id"]] = item
                yield FolderEmail(item["id"], message)

    def _listing(self, path: str) -> list[dict]:
        url: str | None = f"{path}?$select={LIST_SELECT}&$top={self.config.page_size}"
        items: list[dict] = []
        while url:
            page = self._api_().json("GET", url)
            items += page.get("value", [])
            url = page.get("@odata.nextLink")
        return items

    def move_back(self, folder: str, handles: Sequence[str]) -> list[str]:
        """Move the messages ``handles`` (ids ``list_folder`` gave in this session) into the folder
        read, without the categories that would make ``fetch_new`` skip them. Returns the ids moved."""
        moved = []
        for handle in handles:
            item = self._listed.pop(handle, None)
            if item is not None and self._move_back_one(item):
                moved.append(handle)
        self._log.info("graph_messages_moved_back", folder=folder, count=len(moved))
        return moved

    def _move_back_one(self, item: dict) -> bool:
        path = f"{self._user_path}/messages/{item['id']}"
        categories = list(item.get("categories") or [])
        kept = [category for category in categories if category not in self._retry_categories]
        try:
            if kept != categories:
                self._api_().json("PATCH", path, json={"categories": kept})
            self._api_().json("POST", f"{path}/move", json={"destinationId": self._folder_id}, expect=(201,))
        except GraphError as exc:
            if exc.status != 404:
                raise
            self._log.info("graph_message_gone", id=item["id"])  # moved or deleted by someone else
            return False
        return True

    # -- folders ------------------------------------------------------------------------------------------

    def _resolve_folder(self, path: str) -> dict:
        """The folder at ``path`` ("inbox", "Inbox/Providers"); its first part may be a well-known name."""
        first, *rest = [part for part in path.split("/") if part]
        folder: dict | None
        if first.lower() in WELL_KNOWN_FOLDERS:
            folder = self._api_().json("GET", f"{self._user_path}/mailFolders/{first.lower()}")
        else:
            folder = self._child(None, first)
        for part in rest:
            if folder is None:
                break
            folder = self._child(folder["id"], part)
        if folder is None:
            raise GraphError(f"{self._where()}: folder {path!r} not found", 404, "ErrorFolderNotFound")
        return folder

    @overload
    def _folder_at(self, path: str, *, create: Literal[True]) -> str: ...

    @overload
    def _folder_at(self, path: str, *, create: bool) -> str | None: ...

    def _folder_at(self, path: str, *, create: bool) -> str | None:
        """The id of the folder at ``path`` under the mailbox root, creating the missing parts when
        ``create`` (else None when a part is missing)."""
        if path in self._known_folders:
            return self._known_folders[path]
        parent: str | None = None
        for part in [p for p in path.split("/") if p]:
            folder = self._child(parent, part)
            if folder is None and not create:
                return None
            parent = (folder or self._create(parent, part))["id"]
        assert parent is not None
        self._known_folders[path] = parent
        return parent

    def _children_path(self, parent: str | None) -> str:
        if parent is None:
            return f"{self._user_path}/mailFolders"
        return f"{self._user_path}/mailFolders/{parent}/childFolders"

    def _child(self, parent: str | None, name: str) -> dict | None:
        url: str | None = f"{self._children_path(parent)}?$top=100&$select=id,displayName,totalItemCount"
        while url:
            page = self._api_().json("GET", url)
            for folder in page.get("value", []):
                if str(folder.get("displayName", "")).lower() == name.lower():
                    return folder
            url = page.get("@odata.nextLink")
        return None

    def _create(self, parent: str | None, name: str) -> dict:
        response = self._api_().request("POST", self._children_path(parent), json={"displayName": name})
        if response.status_code == 201:
            self._log.info("graph_folder_created", folder=name)
            return json_object(response)
        error = self._api_().error(response, f"create folder {name!r}")
        if error.code == "ErrorFolderExists":  # created concurrently
            existing = self._child(parent, name)
            if existing is not None:
                return existing
        raise error

    # -- helpers ------------------------------------------------------------------------------------------

    def _api_(self) -> GraphApi:
        if self._api is None:
            raise RuntimeError("GraphMailbox is not open: use it as a context manager")
        return self._api

    def _where(self) -> str:
        return f"mailbox {self.config.name} (graph {self.config.user})"


def _patch_for(item: dict, actions: Sequence[Action]) -> dict:
    """The PATCH body for the keyword and seen actions: categories replace the list, so merge."""
    changes: dict = {}
    categories = list(item.get("categories") or [])
    for action in actions:
        if isinstance(action, AddKeyword) and action.name not in categories:
            categories.append(action.name)
            changes["categories"] = categories
        elif isinstance(action, MarkSeen) and not item.get("isRead"):
            changes["isRead"] = True
    return changes


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()
