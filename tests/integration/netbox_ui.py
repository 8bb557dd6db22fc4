"""NetBox's web UI for tests: log in as a user, fetch a page, read the notices plugin's event timeline.

The event pages (/plugins/notices/maintenance/<id>/, /plugins/notices/outages/<id>/) render the
plugin's "Event Timeline" card (netbox-notices 1.3.0, templates/notices/maintenance.html and
outage.html) as

    <ul class="timeline">
      <li class="timeline-event"> <svg icon>
        <div class="card timeline-event-card"> ...
          <h4 class="mb-1">TITLE</h4> <div class="text-secondary mb-2">by USER</div>
          <div class="text-secondary">TIME</div>
          <div class="text-secondary"> <div><strong>DISPLAY NAME:</strong> OLD → NEW</div> ... </div>

``parse_timeline`` reads that back into ``TimelineItem``s (newest first, as the page shows them), with
the stdlib's HTML parser, which also undoes Django's escaping (``&#x27;`` is ``'`` again).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import requests

ARROW = " → "
_SPACE = re.compile(r"\s+")
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

EVENT_PATHS = {"maintenance": "maintenance", "outage": "outages"}  # the plugin's urls.py


class LoginFailed(AssertionError):
    """NetBox did not accept the credentials (or the login form changed)."""


@dataclass
class Change:
    """One "Display Name: old → new" line of a timeline item."""

    name: str
    old: str
    new: str

    @property
    def text(self) -> str:
        return f"{self.name}: {self.old}{ARROW}{self.new}"


@dataclass
class TimelineItem:
    title: str
    user: str = ""
    time: str = ""
    changes: list[Change] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Everything the item shows, one line each: title, then its changes."""
        return "\n".join([self.title, *(c.text for c in self.changes)])


def _collapse(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _change(label: str, rest: str) -> Change:
    old, _, new = _collapse(rest).partition(ARROW.strip())
    return Change(_collapse(label).removesuffix(":"), old.strip(), new.strip())


class _TimelineParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.items: list[TimelineItem] = []
        self._lists = 0  # depth of <ul> inside the timeline list (0: outside it)
        self._in_title = False
        self._divs: list[dict] = []  # open <div>s inside the current item: classes, text, strong text

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "ul" and (self._lists or "timeline" in classes):
            self._lists += 1
        elif not self._lists:
            return
        elif tag == "li" and "timeline-event" in classes:
            self.items.append(TimelineItem(title=""))
            self._divs = []
        elif tag == "h4" and self.items:
            self._in_title = True
        elif tag == "div" and self.items:
            self._divs.append({"classes": classes, "text": [], "label": None})
        elif tag == "strong" and self._divs:
            self._divs[-1]["label"] = []

    def handle_endtag(self, tag):
        if not self._lists:
            return
        if tag == "ul":
            self._lists -= 1
        elif tag == "h4":
            self._in_title = False
        elif tag == "strong" and self._divs and self._divs[-1]["label"] is not None:
            self._divs[-1]["label"] = "".join(self._divs[-1]["label"])
        elif tag == "div" and self._divs:
            self._close_div(self._divs.pop())

    def _close_div(self, div: dict) -> None:
        item, text = self.items[-1], _collapse("".join(div["text"]))
        if isinstance(div["label"], str):
            item.changes.append(_change(div["label"], "".join(div["text"])))
        elif "text-secondary" in div["classes"] and text:
            if "mb-2" in div["classes"]:
                item.user = text.removeprefix("by ")
            else:
                item.time = text

    def handle_data(self, data):
        if not self._lists or not self.items:
            return
        if self._in_title:
            self.items[-1].title = _collapse(self.items[-1].title + data)
        elif self._divs:
            div = self._divs[-1]
            if isinstance(div["label"], list):
                div["label"].append(data)
            else:
                div["text"].append(data)


def parse_timeline(html: str) -> list[TimelineItem]:
    """The items of the page's event timeline, newest first; [] when it shows "No changes recorded"."""
    parser = _TimelineParser()
    parser.feed(html)
    parser.close()
    return parser.items


def format_timeline(items: list[TimelineItem]) -> str:
    lines = []
    for item in items:
        lines.append(f"* {item.title}  [{item.time}, by {item.user}]")
        lines += [f"    {_shorten(c.text)}" for c in item.changes]
    return "\n".join(lines)


def _shorten(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def login(base_url: str, username: str, password: str, timeout: float = 30) -> requests.Session:
    """A session logged in to NetBox's web UI through its login form (csrftoken cookie + form POST)."""
    session = requests.Session()
    url = f"{base_url.rstrip('/')}/login/"
    form = session.get(url, timeout=timeout)
    form.raise_for_status()
    token = session.cookies.get("csrftoken")
    if token is None:
        found = _CSRF_INPUT.search(form.text)
        token = found.group(1) if found else ""
    answer = session.post(
        url,
        data={"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/"},
        headers={"Referer": url},
        timeout=timeout,
    )
    if answer.status_code >= 400 or "sessionid" not in session.cookies:
        raise LoginFailed(f"login as {username} refused: HTTP {answer.status_code} at {answer.url}")
    return session


def event_page(session: requests.Session, base_url: str, kind: str, event_id: int, timeout: float = 60):
    """GET the plugin's page of a maintenance or outage (the response; a redirect to /login/ is followed)."""
    return session.get(
        f"{base_url.rstrip('/')}/plugins/notices/{EVENT_PATHS[kind]}/{event_id}/", timeout=timeout
    )
