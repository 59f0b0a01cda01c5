"""Route dependencies resolved one after another, never in a task group, and given the
connection and other dependencies' values as they are.

Litestar resolves each batch of dependencies that do not depend on each other concurrently,
in an anyio task group: a task per dependency, its cancel scope and events. A command route
has such a batch on every request (its service, the user, ``If-Match``), and the task group
was about a sixth of the event loop's time per config update under load (py-spy, BENCHMARKS.md
"The command path"). Our dependencies never wait on I/O (the user comes from the
authentication middleware, services from the app's state, the rest from headers), so running
them concurrently wins nothing; in turn they cost one ``await`` each. The order within a batch
does not matter: its members do not depend on each other, which is how Litestar made the batch.

Litestar also passes each dependency's arguments through its signature model, a
``msgspec.convert`` per dependency and request, even when every argument is the request itself
(which it never validates) or another dependency's value (made by our code, not sent by the
client): about two fifths of the time spent resolving a command route's dependencies
(BENCHMARKS.md, "Ninth pass"). Such a dependency gets its arguments as they are; one that takes
anything else (a query or header parameter, the body) still goes through the signature model.
"""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import DependencyContainer, resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection
from litestar.constants import SKIP_VALIDATION_NAMES
from litestar.di import Dependency, Provide

_AS_IS: WeakKeyDictionary[type, tuple[str, ...] | None] = WeakKeyDictionary()


def arguments_as_is(provide: Provide) -> tuple[str, ...] | None:
    """The names of ``provide``'s arguments if each is the connection or another dependency's
    value (``NamedDependency``: nothing the client sent, so nothing to validate); None if any is
    something else, or if it is a generator (whose clean-up Litestar's own resolution arranges)."""
    model = provide.signature_model
    if model not in _AS_IS:
        fields = model._fields
        plain = not (provide.has_sync_generator_dependency or provide.has_async_generator_dependency)
        as_is = plain and all(
            name in SKIP_VALIDATION_NAMES or any(isinstance(mark, Dependency) for mark in field.metadata)
            for name, field in fields.items()
        )
        _AS_IS[model] = tuple(fields) if as_is else None
    return _AS_IS[model]


async def _resolve(
    dependency: DependencyContainer,
    connection: ASGIConnection[Any, Any, Any, Any],
    kwargs: dict[str, Any],
    cleanup_group: DependencyCleanupGroup,
) -> None:
    names = arguments_as_is(dependency.provide)
    if names is None:
        await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    else:
        kwargs[dependency.key] = await dependency.provide(**{name: kwargs[name] for name in names})


async def _resolve_in_turn(
    self: KwargsModel, connection: ASGIConnection[Any, Any, Any, Any], kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:
        for dependency in batch:
            await _resolve(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def resolve_dependencies_in_turn() -> None:
    """Install the in-turn resolution for every app of this process (idempotent)."""
    KwargsModel.resolve_dependencies = _resolve_in_turn  # type: ignore[method-assign]
