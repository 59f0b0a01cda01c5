"""Where a webhook may post, checked on the addresses its host resolves to, not on its name.

A name proves nothing: ``hooks.example.com`` may resolve to 127.0.0.1, 10.0.0.5 or
169.254.169.254 (the cloud metadata service), and may resolve to a public address when
checked and to a private one a second later (DNS rebinding). So a webhook's host is resolved
when it is registered (a name that does not resolve, or resolves to an address
``domain.notifications.webhooks.refusal`` refuses, is a 422 naming ``url``), and again each
time a delivery connects: inside the connection itself, ``PinnedBackend.connect_tcp``
resolves, checks every address and opens the socket to one of the addresses it checked, so
nothing resolves the name a second time. The HTTP request keeps the name: the ``Host``
header, TLS's SNI and the certificate's check are the name's, as without the pin. Every
address must pass (a name resolving to a public and a private address is refused), since
which one a connection would have used is not up to us. This is how the SSRF guards of other
httpx clients do it: httpx offers no argument for a network backend, so the transport's
connection pool is rebuilt around this one, with the same TLS context.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from application.tls import tls_context
from domain.errors import RuleViolation
from domain.notifications.webhooks import IPAddress, checked_url, refusal

DEFAULT_PORTS = {"http": 80, "https": 443}

Resolve = Callable[[str, int], list[IPAddress]]


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the name ``host`` resolves to, in the system resolver's order."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]  # no IPv6 zone
    return list(dict.fromkeys(addresses))


class HostUnresolvable(Exception):
    """The name resolves to no address (just now: DNS may answer later)."""


class TargetRefused(Exception):
    """The host resolves to an address no webhook may reach. Its text names the address, never
    the URL (a Discord URL carries its token)."""


class WebhookTargets:
    """The policy of where webhooks may post (``allow_private``: MANUFACTORY_WEBHOOK_ALLOW_PRIVATE)
    and the resolver it is checked on."""

    def __init__(self, allow_private: bool, resolver: Resolve = resolve) -> None:
        self.allow_private = allow_private
        self.resolver = resolver

    def addresses(self, host: str, port: int) -> list[IPAddress]:
        """The addresses to connect to for ``host``, each one allowed; else HostUnresolvable
        or TargetRefused."""
        try:
            addresses = [ipaddress.ip_address(host)]  # a literal address is itself
        except ValueError:
            addresses = self._resolved(host, port)
        for address in addresses:
            refused = refusal(address, allow_private=self.allow_private)
            if refused is not None:
                raise TargetRefused(f"the host resolves to {address}, {refused}")
        return addresses

    def _resolved(self, host: str, port: int) -> list[IPAddress]:
        try:
            addresses = self.resolver(host, port)
        except (OSError, UnicodeError) as error:  # socket.gaierror is an OSError
            raise HostUnresolvable(f"the host does not resolve ({error})") from None
        if not addresses:
            raise HostUnresolvable("the host resolves to no address")
        return addresses

    def check_url(self, url: str) -> None:
        """At registration: the URL's form (``checked_url``), then what its host resolves to."""
        parts = urlsplit(checked_url(url))
        host = parts.hostname or ""
        try:
            self.addresses(host, parts.port or DEFAULT_PORTS[parts.scheme])
        except (HostUnresolvable, TargetRefused) as error:
            raise RuleViolation(f"url: {error}", "url") from None

    def transport(self) -> httpx.HTTPTransport:
        """An httpx transport whose every connection is pinned to checked addresses (a client
        given a transport takes no proxy from the environment: a proxy would resolve the name
        itself)."""
        context = tls_context()
        transport = httpx.HTTPTransport(verify=context)
        transport._pool.close()
        transport._pool = httpcore.ConnectionPool(ssl_context=context, network_backend=PinnedBackend(self))
        return transport


class PinnedBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, connecting only to addresses ``targets`` checked just now."""

    def __init__(self, targets: WebhookTargets) -> None:
        self.targets = targets
        self.sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self.targets.addresses(host, port)
        except HostUnresolvable as error:
            raise httpcore.ConnectError(str(error)) from None  # retried like a refused connection
        connect = functools.partial(
            self.sockets.connect_tcp,
            port=port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )
        *others, last = addresses
        for address in others:  # as socket.create_connection tries a name's addresses in turn
            try:
                return connect(str(address))
            except httpcore.ConnectError:
                continue
        return connect(str(last))

    def sleep(self, seconds: float) -> None:
        self.sockets.sleep(seconds)
