"""A local STAND-IN for the Microsoft Graph mail endpoints notices-ingestor uses (Graph is unreachable here).

127.0.0.1 only, https. It implements exactly these documented v1.0 endpoints, with the documented
request and response shapes (learn.microsoft.com/graph: message-delta, delta-query-messages,
outlook-get-mime-message, message-update, message-move, user-list-mailfolders, mailfolder-list-childfolders,
user-post-mailfolders, mailfolder-post-childfolders, mailfolder-get, mailfolder-list-messages, throttling):

    GET   /v1.0/users/{u}/mailFolders/{id | well-known name}
    GET   /v1.0/users/{u}/mailFolders                     ($top, @odata.nextLink)
    GET   /v1.0/users/{u}/mailFolders/{id}/childFolders   ($top, @odata.nextLink)
    POST  /v1.0/users/{u}/mailFolders                     {"displayName"} -> 201; 400 ErrorFolderExists
    POST  /v1.0/users/{u}/mailFolders/{id}/childFolders   (same)
    GET   /v1.0/users/{u}/mailFolders/{id}/messages/delta (changeType, $select, Prefer: odata.maxpagesize;
          @odata.nextLink with $skiptoken, @odata.deltaLink with $deltatoken; links use the documented
          mailFolders('{id}') form; an unknown token answers 410 syncStateNotFound)
    GET   /v1.0/users/{u}/mailFolders/{id}/messages       ($select, $top, @odata.nextLink with $skip)
    GET   /v1.0/users/{u}/messages/{id}/$value            the MIME bytes
    PATCH /v1.0/users/{u}/messages/{id}                   {"isRead", "categories"} -> 200 message
    POST  /v1.0/users/{u}/messages/{id}/move              {"destinationId"} -> 201 message with a new id

Every request needs ``Authorization: Bearer <JWT>`` signed by the token endpoint stand-in's key with
``aud`` https://graph.microsoft.com and the Mail.ReadWrite role, else 401 InvalidAuthenticationToken /
403 ErrorAccessDenied. ``throttle(n)`` makes the next n requests answer 429 with ``Retry-After``.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import jwt

from tests.oauth_standin import HttpsStandIn, server_url

WELL_KNOWN = {
    "inbox": "Inbox",
    "archive": "Archive",
    "deleteditems": "Deleted Items",
    "drafts": "Drafts",
    "junkemail": "Junk Email",
    "sentitems": "Sent Items",
}
MESSAGE_PROPERTIES = (
    "id",
    "categories",
    "isRead",
    "internetMessageId",
    "subject",
    "receivedDateTime",
    "parentFolderId",
)


@dataclass
class Folder:
    id: str
    displayName: str
    parentFolderId: str | None
    well_known: str | None = None

    def to_json(self, store: Mailbox) -> dict:
        messages = [m for m in store.messages.values() if m.folder == self.id]
        return {
            "id": self.id,
            "displayName": self.displayName,
            "parentFolderId": self.parentFolderId,
            "childFolderCount": sum(1 for f in store.folders.values() if f.parentFolderId == self.id),
            "unreadItemCount": sum(1 for m in messages if not m.isRead),
            "totalItemCount": len(messages),
        }


@dataclass
class Message:
    id: str
    folder: str
    mime: bytes
    subject: str = ""
    internetMessageId: str = ""
    isRead: bool = False
    categories: list[str] = field(default_factory=list)
    receivedDateTime: str = "2026-11-29T12:00:00Z"
    created_seq: int = 0  # position in the mailbox's change sequence when it appeared in its folder

    def to_json(self, select: list[str] | None = None) -> dict:
        full = {
            "@odata.type": "#microsoft.graph.message",
            "@odata.etag": f'W/"{self.created_seq}"',
            "id": self.id,
            "categories": list(self.categories),
            "isRead": self.isRead,
            "internetMessageId": self.internetMessageId,
            "subject": self.subject,
            "receivedDateTime": self.receivedDateTime,
            "parentFolderId": self.folder,
        }
        if select:
            keep = set(select) | {"id", "@odata.type", "@odata.etag"}
            return {k: v for k, v in full.items() if k in keep}
        return full


@dataclass
class Mailbox:
    folders: dict[str, Folder] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    seq: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        root = self.add_folder("Top of Information Store", None, "msgfolderroot")
        for name, display in WELL_KNOWN.items():
            self.add_folder(display, root.id, name)

    def add_folder(self, name: str, parent: str | None, well_known: str | None = None) -> Folder:
        folder = Folder(f"F{uuid.uuid4().hex}", name, parent, well_known)
        self.folders[folder.id] = folder
        return folder

    def folder(self, key: str) -> Folder | None:
        return self.folders.get(key) or next(
            (f for f in self.folders.values() if f.well_known == key.lower()), None
        )

    def deliver(self, mime: bytes, folder: str = "inbox") -> Message:
        subject = re.search(rb"^Subject: *(.*)$", mime, re.M | re.I)
        message_id = re.search(rb"^Message-ID: *(.*)$", mime, re.M | re.I)
        message = Message(
            f"M{uuid.uuid4().hex}",
            self.folder(folder).id,
            mime,
            subject=subject.group(1).decode(errors="replace").strip() if subject else "",
            internetMessageId=message_id.group(1).decode().strip() if message_id else "",
            created_seq=next(self.seq),
        )
        self.messages[message.id] = message
        return message

    def in_folder_named(self, name: str) -> list[Message]:
        """Messages in the top-level folder with this display name ("Inbox", "Processed")."""
        root = self.folder("msgfolderroot")
        ids = {f.id for f in self.folders.values() if f.parentFolderId == root.id and f.displayName == name}
        return [m for m in self.messages.values() if m.folder in ids]

    def in_folder(self, folder: str) -> list[Message]:
        target = self.folder(folder)
        return [m for m in self.messages.values() if target and m.folder == target.id]


class GraphError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(code)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


@dataclass
class GraphStandIn(HttpsStandIn):
    public_key: object  # verifies the bearer tokens (the token endpoint stand-in's key)
    cert_file: str
    key_file: str
    mailboxes: dict[str, Mailbox] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of each request
    retry_after: str = "1"
    _throttle: int = 0
    _tokens: dict[str, tuple] = field(default_factory=dict)  # token -> (seq seen, offset, $select)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def handler(self):
        return _Handler

    @property
    def url(self) -> str:
        return server_url(self._server) + "/v1.0"

    def mailbox(self, user: str) -> Mailbox:
        return self.mailboxes.setdefault(user.lower(), Mailbox())

    def throttle(self, count: int, retry_after: str = "1") -> None:
        self._throttle, self.retry_after = count, retry_after

    def expire_delta_tokens(self) -> None:
        self._tokens.clear()

    # -- request handling (called by the handler, under the lock) ---------------------------------------

    def handle(self, method: str, path: str, query: dict, headers, body: dict | None) -> tuple[int, object]:
        self.requests.append((method, path))
        if self._throttle > 0:
            self._throttle -= 1
            raise GraphError(429, "TooManyRequests", "Too many requests", {"Retry-After": self.retry_after})
        self._authorize(headers.get("Authorization", ""))
        match = re.fullmatch(r"/v1\.0/users/([^/]+)(/.*)", path)
        if not match:
            raise GraphError(400, "BadRequest", f"Resource not found for the segment '{path}'.")
        user, rest = unquote(match.group(1)), match.group(2)
        if user.lower() not in self.mailboxes:
            raise GraphError(404, "ErrorInvalidUser", f"The requested user '{user}' is invalid.")
        return _route(self, self.mailbox(user), method, rest, query, headers, body)

    def _authorize(self, header: str) -> None:
        if not header.startswith("Bearer "):
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
        try:
            claims = jwt.decode(
                header[7:], self.public_key, algorithms=["RS256"], audience="https://graph.microsoft.com"
            )
        except jwt.PyJWTError as exc:
            raise GraphError(
                401, "InvalidAuthenticationToken", f"Access token validation failure: {exc}"
            ) from None
        if claims.get("roles") != "Mail.ReadWrite":
            raise GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")

    def delta(self, store: Mailbox, folder: Folder, query: dict, headers) -> dict:
        page_size = int((re.search(r"odata\.maxpagesize=(\d+)", headers.get("Prefer", "")) or [0, 10])[1])
        if "$deltatoken" in query or "$skiptoken" in query:
            token = query.get("$deltatoken") or query.get("$skiptoken")
            if token not in self._tokens:
                raise GraphError(410, "syncStateNotFound", "The sync state is not found or has expired.")
            since, offset, select = self._tokens[token]
        else:
            if query.get("changeType", "created") != "created":
                raise GraphError(400, "BadRequest", "only changeType=created is implemented by the stand-in")
            since, offset, select = 0, 0, [s for s in query.get("$select", "").split(",") if s]
        new = sorted(
            (m for m in store.messages.values() if m.folder == folder.id and m.created_seq > since),
            key=lambda m: m.created_seq,
        )
        page = new[offset : offset + page_size]
        link = f"{self.url}/users/{store_user(self, store)}/mailFolders('{folder.id}')/messages/delta"
        body = {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(message)",
            "value": [m.to_json(select) for m in page],
        }
        token = uuid.uuid4().hex
        if offset + page_size < len(new):
            self._tokens[token] = (since, offset + page_size, select)
            body["@odata.nextLink"] = f"{link}?$skiptoken={token}"
        else:
            last = max([since] + [m.created_seq for m in new])
            self._tokens[token] = (last, 0, select)
            body["@odata.deltaLink"] = f"{link}?$deltatoken={token}"
        return body


def store_user(standin: GraphStandIn, store: Mailbox) -> str:
    return next(user for user, box in standin.mailboxes.items() if box is store)


def _folder_or_404(store: Mailbox, key: str) -> Folder:
    folder = store.folder(key)
    if folder is None:
        raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return folder


def _message(store: Mailbox, key: str) -> Message:
    if key not in store.messages:
        raise GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    return store.messages[key]


def _list_folders(standin: GraphStandIn, store: Mailbox, parent: Folder, path: str, query: dict) -> dict:
    children = [f for f in store.folders.values() if f.parentFolderId == parent.id]
    top, skip = int(query.get("$top", 10)), int(query.get("$skip", 0))
    body: dict = {"value": [f.to_json(store) for f in children[skip : skip + top]]}
    if skip + top < len(children):
        body["@odata.nextLink"] = (
            f"{standin.url}/users/{store_user(standin, store)}{path}?$top={top}&$skip={skip + top}"
        )
    return body


def _list_messages(standin: GraphStandIn, store: Mailbox, folder: Folder, path: str, query: dict) -> dict:
    """A folder's messages, newest first (Graph's default order), a page of $top at a time."""
    messages = sorted(store.in_folder(folder.id), key=lambda m: m.receivedDateTime, reverse=True)
    select = [s for s in query.get("$select", "").split(",") if s]
    top, skip = int(query.get("$top", 10)), int(query.get("$skip", 0))
    body: dict = {"value": [m.to_json(select) for m in messages[skip : skip + top]]}
    if skip + top < len(messages):
        body["@odata.nextLink"] = (
            f"{standin.url}/users/{store_user(standin, store)}{path}"
            f"?$select={','.join(select)}&$top={top}&$skip={skip + top}"
        )
    return body


def _create_folder(store: Mailbox, parent: Folder, body: dict | None) -> tuple[int, dict]:
    name = str((body or {}).get("displayName", "")).strip()
    if not name:
        raise GraphError(400, "ErrorInvalidRequest", "displayName is required.")
    if any(
        f.parentFolderId == parent.id and f.displayName.lower() == name.lower()
        for f in store.folders.values()
    ):
        raise GraphError(400, "ErrorFolderExists", "A folder with the specified name already exists.")
    return 201, store.add_folder(name, parent.id).to_json(store)


def _update_message(store: Mailbox, message: Message, body: dict | None) -> tuple[int, dict]:
    body = body or {}
    unknown = set(body) - {"isRead", "categories"}
    if unknown:
        raise GraphError(400, "ErrorInvalidProperty", f"stand-in: cannot update {sorted(unknown)}")
    if "isRead" in body:
        message.isRead = bool(body["isRead"])
    if "categories" in body:
        message.categories = [str(c) for c in body["categories"]]
    return 200, message.to_json()


def _move_message(store: Mailbox, message: Message, body: dict | None) -> tuple[int, dict]:
    destination = _folder_or_404(store, str((body or {}).get("destinationId", "")))
    del store.messages[message.id]  # a move creates a new copy (new id) and removes the original
    message.id, message.folder, message.created_seq = f"M{uuid.uuid4().hex}", destination.id, next(store.seq)
    store.messages[message.id] = message
    return 201, message.to_json()


def _route(
    standin: GraphStandIn, store: Mailbox, method: str, rest: str, query: dict, headers, body: dict | None
) -> tuple[int, object]:
    routes = [
        (
            "GET",
            r"/mailFolders",
            lambda m: (200, _list_folders(standin, store, store.folder("msgfolderroot"), rest, query)),
        ),
        ("POST", r"/mailFolders", lambda m: _create_folder(store, store.folder("msgfolderroot"), body)),
        (
            "GET",
            r"/mailFolders/([^/]+)/childFolders",
            lambda m: (200, _list_folders(standin, store, _folder_or_404(store, m[1]), rest, query)),
        ),
        (
            "POST",
            r"/mailFolders/([^/]+)/childFolders",
            lambda m: _create_folder(store, _folder_or_404(store, m[1]), body),
        ),
        (
            "GET",
            r"/mailFolders(?:/([^/(]+)|\('([^']+)'\))/messages/delta",
            lambda m: (200, standin.delta(store, _folder_or_404(store, m[1] or m[2]), query, headers)),
        ),
        (
            "GET",
            r"/mailFolders/([^/]+)/messages",
            lambda m: (200, _list_messages(standin, store, _folder_or_404(store, m[1]), rest, query)),
        ),
        ("GET", r"/mailFolders/([^/]+)", lambda m: (200, _folder_or_404(store, m[1]).to_json(store))),
        ("GET", r"/messages/([^/]+)/\$value", lambda m: (200, _message(store, m[1]).mime)),
        ("PATCH", r"/messages/([^/]+)", lambda m: _update_message(store, _message(store, m[1]), body)),
        ("POST", r"/messages/([^/]+)/move", lambda m: _move_message(store, _message(store, m[1]), body)),
    ]
    for verb, pattern, action in routes:
        match = re.fullmatch(pattern, rest)
        if verb == method and match:
            return action(match)
    raise GraphError(400, "BadRequest", f"stand-in: no such endpoint {method} {rest}")


class _Handler(BaseHTTPRequestHandler):
    owner: GraphStandIn

    def log_message(self, *args) -> None:
        pass

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
            with self.owner._lock:
                status, payload = self.owner.handle(
                    self.command, unquote(parts.path), query, self.headers, body
                )
            self._send(status, payload)
        except GraphError as exc:
            error = {"error": {"code": exc.code, "message": exc.message}}
            self._send(exc.status, error, exc.headers)
        except ValueError as exc:
            self._send(400, {"error": {"code": "BadRequest", "message": str(exc)}})

    do_GET = do_POST = do_PATCH = _serve

    def _send(self, status: int, payload: object, headers: dict | None = None) -> None:
        if isinstance(payload, bytes):
            data, kind = payload, "text/plain"  # $value: Graph labels the MIME stream text/plain
        else:
            data, kind = json.dumps(payload).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
