"""One HTTP session shape for NetBox, the token endpoints and Microsoft Graph: TLS settings that really
apply, a timeout on every request and a cap on every answer.

requests lets ``REQUESTS_CA_BUNDLE`` (and ``CURL_CA_BUNDLE``) override ``Session.verify`` — and even a
per-request ``verify=True`` (psf/requests#3829) — and msal and google-auth take a session, not a CA path.
So each request carries its CA bundle as a path (the configured ``ca_file``, else requests' own certifi
bundle) or ``False`` when the config says ``verify_tls = false``: the environment can no longer change
what the config says. Proxy variables (``HTTPS_PROXY``, ``NO_PROXY``) are still honoured.

An answer larger than ``max_bytes`` is refused while it is read (``ResponseTooLarge``, a
``requests.RequestException``, so callers treat it as the failed request it is): a broken or hostile
server cannot make the daemon hold gigabytes.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.utils import DEFAULT_CA_BUNDLE_PATH

MIB = 1024 * 1024
CHUNK = 64 * 1024


class ResponseTooLarge(requests.RequestException):
    """The server's answer was larger than this session accepts."""


class HttpSession(requests.Session):
    def __init__(
        self,
        *,
        ca_file: str | None = None,
        verify: bool = True,
        timeout: float = 30.0,
        max_bytes: int = 16 * MIB,
    ):
        super().__init__()
        self._verify: str | bool = (ca_file or DEFAULT_CA_BUNDLE_PATH) if verify else False
        self._timeout = timeout
        self.max_bytes = max_bytes

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        if kwargs.get("verify") in (None, True):
            kwargs["verify"] = self._verify
        if kwargs.get("stream"):  # the caller reads the body itself, and bounds it
            return super().request(method, url, *args, **kwargs)
        kwargs["stream"] = True  # read here, bounded
        response = super().request(method, url, *args, **kwargs)
        read_capped(response, self.max_bytes)
        return response


def read_capped(response: requests.Response, limit: int) -> None:
    """Read the body (decoded) into the response, or raise ResponseTooLarge past ``limit`` bytes."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        response.close()
        raise ResponseTooLarge(f"answer of {declared} bytes refused (limit {limit})", response=response)
    body = bytearray()
    try:
        for chunk in response.iter_content(CHUNK):
            body += chunk
            if len(body) > limit:
                raise ResponseTooLarge(f"answer over {limit} bytes refused", response=response)
    finally:
        response.close()
    response._content = bytes(body)  # what requests itself does when it reads the body


def json_object(response: requests.Response) -> dict:
    """The response's JSON object, or {} when the body is not one (an HTML error page, empty)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
