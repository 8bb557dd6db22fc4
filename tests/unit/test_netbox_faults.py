"""The one fault classifier: what is retried (transient) and what fails the email (rejected)."""

from __future__ import annotations

import json

import pynetbox
import pytest
import requests

from ingestor.netbox.faults import (
    Fault,
    NetBoxRejected,
    NetBoxUnavailable,
    as_netbox_error,
    classify,
    describe,
    retry_after,
)


def request_error(status: int, body: dict | str = "", headers: dict | None = None) -> pynetbox.RequestError:
    response = answer(status, (json.dumps(body) if isinstance(body, dict) else body).encode())
    response.headers.update(headers or {})
    return pynetbox.RequestError(response)


def answer(status: int, content: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = content
    response.request = requests.Request("POST", "https://nb.invalid/api/plugins/notices/impact/").prepare()
    response.url = response.request.url
    return response


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_statuses(status):
    assert classify(request_error(status, "<h1>Server Error</h1>")) is Fault.TRANSIENT


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 413])
def test_other_4xx_are_rejections_with_netboxs_message(status):
    exc = request_error(status, {"end": ["End must be after start"]})
    assert classify(exc) is Fault.REJECTED
    error = as_netbox_error(exc)
    assert isinstance(error, NetBoxRejected)
    assert str(error) == f'HTTP {status}: {{"end": ["End must be after start"]}}'


@pytest.mark.parametrize(
    "exc",
    [
        requests.ConnectionError("refused"),
        requests.ReadTimeout("held past the timeout"),
        requests.ConnectTimeout("no answer"),
        requests.exceptions.ChunkedEncodingError("connection broken mid-body"),
        ConnectionResetError(104, "reset by peer"),
        TimeoutError("timed out"),
        json.JSONDecodeError("Expecting value", "<html>", 0),
    ],
)
def test_network_faults_are_transient_wherever_they_are_raised(exc):
    assert classify(exc) is Fault.TRANSIENT
    assert isinstance(as_netbox_error(exc), NetBoxUnavailable)


def test_a_non_json_answer_from_a_proxy_is_transient():
    assert classify(pynetbox.ContentError(answer(200, b"<html>maintenance page</html>"))) is Fault.TRANSIENT


@pytest.mark.parametrize("exc", [KeyError("id"), ValueError("bad"), AttributeError("x")])
def test_our_own_bugs_are_not_netbox_faults(exc):
    assert classify(exc) is None
    assert as_netbox_error(exc) is None


def test_retry_after_in_seconds_or_as_a_date_is_honoured():
    """One parser for NetBox and Graph (ingestor.retry_after): a date counts from now, a past one is 0."""
    assert retry_after(request_error(429, "", {"Retry-After": "7"})) == 7.0
    assert retry_after(request_error(429, "", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_after(request_error(429, "", {"Retry-After": "Thu, 01 Jan 2099 00:00:00 GMT"})) > 3600
    assert retry_after(request_error(429, "", {"Retry-After": "soon"})) is None
    assert retry_after(request_error(503)) is None
    assert retry_after(requests.ConnectionError()) is None


def test_describe_is_one_bounded_line():
    text = describe(requests.ConnectionError("x" * 2000))
    assert text.startswith("ConnectionError: ") and len(text) == 500
