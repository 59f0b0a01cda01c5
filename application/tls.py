"""One TLS context for the process's outbound HTTPS: ESI, the SSO, webhooks.

Making a context loads the trusted roots (certifi's, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``),
about 25 ms each time, and every system opened (a server, each CLI command, each test) made
one per HTTP client. A context may be shared by clients and threads; one is kept for each
setting of those two variables.
"""

from __future__ import annotations

import functools
import os
import ssl

import httpx


def tls_context() -> ssl.SSLContext:
    return _context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.cache
def _context(_cert_file: str | None, _cert_dir: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context()  # which reads the two variables itself
