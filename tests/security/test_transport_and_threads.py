"""Loud TLS downgrades, a CA bundle the environment cannot replace, capped answers, bounded metric
labels, and threads that never die silently."""

from __future__ import annotations

import json
import threading
import types

import pytest
import requests

from ingestor import logs, metrics
from ingestor.config import Config, NetBoxConfig, transport_warnings
from ingestor.http import HttpSession, ResponseTooLarge
from ingestor.sources import imap_idle
from tests.security.standins import http_standin, huge_answer


def _config(**netbox) -> Config:
    return Config.model_validate({"netbox": {"url": "https://nb.example.net", "token": "t0ken", **netbox}})


def test_http_to_another_host_is_refused_unless_allowed() -> None:
    with pytest.raises(ValueError, match="clear text"):
        _config(url="http://nb.example.net")
    assert transport_warnings(_config(url="http://nb.example.net", allow_insecure=True))
    assert transport_warnings(_config(url="http://127.0.0.1:8000"))  # allowed, still said
    assert transport_warnings(_config(verify_tls=False))
    assert transport_warnings(_config()) == []


def test_requests_ca_bundle_cannot_override_the_config(monkeypatch, tmp_path) -> None:
    """REQUESTS_CA_BUNDLE naming a file that does not exist would break every request if it won."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/nonexistent/ca.pem")
    sent = []
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("not sent anywhere\n")

    class Recorder(HttpSession):
        def send(self, request, **kwargs):
            sent.append(kwargs["verify"])
            raise requests.ConnectionError("not sent")

    for session in (Recorder(), Recorder(ca_file=str(ca_file)), Recorder(verify=False)):
        with pytest.raises(requests.ConnectionError):
            session.get("https://127.0.0.1:9/")
    assert "/nonexistent/ca.pem" not in sent
    assert sent[1:] == [str(ca_file), False]


def test_answers_are_capped_while_read() -> None:
    with http_standin(huge_answer(2 * 1024 * 1024)) as url:
        with pytest.raises(ResponseTooLarge):
            HttpSession(max_bytes=1024 * 1024).get(url)
        assert len(HttpSession(max_bytes=4 * 1024 * 1024).get(url).content) == 2 * 1024 * 1024


def test_netbox_session_uses_the_configured_cap() -> None:
    from ingestor.netbox.client import NetBoxGateway

    gateway = NetBoxGateway(NetBoxConfig(url="https://nb.example.net", token="t0ken", max_response_mb=3))
    assert gateway.session.max_bytes == 3 * 1024 * 1024


def test_provider_label_only_for_known_providers() -> None:
    metrics.set_known_providers_source(lambda: frozenset({"zayo"}))
    try:
        assert metrics.provider_label("zayo") == "zayo"
        assert metrics.provider_label("spam-domain-4711") == "other"
        assert metrics.provider_label(None) == "unknown"
    finally:
        metrics.set_known_providers_source(lambda: frozenset())


def test_a_crashing_thread_is_one_json_log_event(capsys) -> None:
    logs.configure_logging("info", "json")
    thread = threading.Thread(target=lambda: 1 / 0, name="doomed")
    thread.start()
    thread.join()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    crash = [line for line in lines if line.get("event") == "thread_crashed"]
    assert crash and crash[0]["thread"] == "doomed" and "ZeroDivisionError" in crash[0]["exception"]


def test_the_idle_watcher_survives_an_unexpected_error(monkeypatch, capsys) -> None:
    """A bug or library surprise in an IDLE session is logged and retried, not the watcher's end."""
    logs.configure_logging("info", "json")
    stopping = threading.Event()
    sessions = []

    def session(self) -> bool:
        sessions.append(1)
        if len(sessions) == 3:
            stopping.set()
        raise KeyError("surprise")

    monkeypatch.setattr(imap_idle.IdleWatcher, "_session", session)
    monkeypatch.setattr(imap_idle, "IDLE_BACKOFF_FIRST_SECONDS", 0.0)
    mailbox = types.SimpleNamespace(name="noc")
    watcher = imap_idle.IdleWatcher(mailbox, open_mailbox=None, stopping=stopping, on_news=None)
    watcher.run()
    assert len(sessions) == 3  # it went on after each error
    events = [
        json.loads(line)["event"] for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    assert events.count("imap_idle_crashed") == 3
