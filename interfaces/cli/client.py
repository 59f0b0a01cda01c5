"""A small HTTP client for CLI commands that act as a user through the server
(``MANUFACTORY_URL``, ``MANUFACTORY_TOKEN``).

Every command (POST, PUT, PATCH, DELETE) carries an ``Idempotency-Key`` of its own; when the
connection fails or the server is briefly unavailable, the command is sent again with the
same key, so the server applies it at most once and a retry of an applied command gets its
original answer.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx

COMMAND_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ATTEMPTS = 3
RETRY_DELAY_SEC = 0.5
RETRIED_STATUSES = frozenset({502, 503, 504})


class CliError(Exception):
    """Shown to the user as one line, with a non-zero exit."""


class ApiClient:
    def __init__(
        self, base_url: str | None = None, token: str | None = None, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.base_url = (base_url or os.environ.get("MANUFACTORY_URL") or "http://127.0.0.1:8000").rstrip("/")
        token = token or os.environ.get("MANUFACTORY_TOKEN")
        if not token:
            raise CliError("set MANUFACTORY_TOKEN to your API token (see `manufactory users create`)")
        self._http = httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30, transport=transport
        )

    def request(self, method: str, path: str, json: Any = None) -> Any:
        """Send a request (a command with an Idempotency-Key, retried with it) and return the
        answer's JSON, or raise a one-line CliError."""
        headers = {"Idempotency-Key": str(uuid.uuid4())} if method.upper() in COMMAND_METHODS else {}
        attempt = 1
        while True:
            try:
                response = self._http.request(method, path, json=json, headers=headers)
            except httpx.TransportError as error:  # not connected, or the answer was lost
                if attempt == ATTEMPTS:
                    raise CliError(f"cannot reach the server at {self.base_url}: {error}") from None
            except httpx.HTTPError as error:
                raise CliError(f"cannot reach the server at {self.base_url}: {error}") from None
            else:
                if response.status_code not in RETRIED_STATUSES or attempt == ATTEMPTS:
                    return _checked(response)
            time.sleep(RETRY_DELAY_SEC * attempt)
            attempt += 1

    def stream(self, path: str) -> Iterator[tuple[str, str]]:
        """Yield (event, data) pairs of a Server-Sent Events stream."""
        try:
            with self._http.stream("GET", path, timeout=httpx.Timeout(30, read=None)) as response:
                if response.status_code >= 400:
                    response.read()
                    _checked(response)
                event, data = "message", []
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif not line and data:
                        yield event, "\n".join(data)
                        event, data = "message", []
        except httpx.HTTPError as error:
            raise CliError(f"lost the stream from {self.base_url}: {error}") from None


def _checked(response: httpx.Response) -> Any:
    if response.status_code < 400:
        return response.json()
    try:
        body = response.json()
        field = f" ({body['field']})" if body.get("field") else ""
        message = f"{body.get('error', 'error')}{field}: {body.get('detail', '')}"
    except (ValueError, AttributeError):
        message = response.text[:200]
    raise CliError(f"{response.status_code} {message}")
