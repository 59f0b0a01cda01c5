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
(which it never validates) or the value of another dependency the route provides (made by our
code, not sent by the client): about two fifths of the time spent resolving a command route's dependencies
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
from litestar.di import Provide

_NAMES: WeakKeyDictionary[type, tuple[str, ...] | None] = WeakKeyDictionary()


def _plain_arguments(provide: Provide) -> tuple[str, ...] | None:
    """The names of ``provide``'s arguments; None for a generator (whose clean-up Litestar's own
    resolution arranges)."""
    model = provide.signature_model
    if model not in _NAMES:
        generator = provide.has_sync_generator_dependency or provide.has_async_generator_dependency
        _NAMES[model] = None if generator else tuple(model._fields)
    return _NAMES[model]


def arguments_as_is(dependency: DependencyContainer) -> tuple[str, ...] | None:
    """The names of the dependency's arguments if each is the connection or the value of a
    dependency this route provides (nothing the client sent, so nothing to validate); None if
    any is something else. An argument no layer provides is a parameter the client sends, also
    when it is marked ``NamedDependency``: Litestar then reads it from the query, and validates it."""
    names = _plain_arguments(dependency.provide)
    if names is None:
        return None
    provided = {sub.key for sub in dependency.dependencies}
    return names if all(name in SKIP_VALIDATION_NAMES or name in provided for name in names) else None


async def _resolve(
    dependency: DependencyContainer,
    connection: ASGIConnection[Any, Any, Any, Any],
    kwargs: dict[str, Any],
    cleanup_group: DependencyCleanupGroup,
) -> None:
    names = arguments_as_is(dependency)
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
