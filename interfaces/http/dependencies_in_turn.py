"""Route dependencies resolved one after another, never in a task group.

Litestar resolves each batch of dependencies that do not depend on each other concurrently,
in an anyio task group: a task per dependency, its cancel scope and events. A command route
has such a batch on every request (its service, the user, ``If-Match``), and the task group
was about a sixth of the event loop's time per config update under load (py-spy, BENCHMARKS.md
"The command path"). Our dependencies never wait on I/O (the user comes from the
authentication middleware, services from the app's state, the rest from headers), so running
them concurrently wins nothing; in turn they cost one ``await`` each. The order within a batch
does not matter: its members do not depend on each other, which is how Litestar made the batch.
"""

from __future__ import annotations

from typing import Any

from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection


async def _resolve_in_turn(
    self: KwargsModel, connection: ASGIConnection[Any, Any, Any, Any], kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def resolve_dependencies_in_turn() -> None:
    """Install the in-turn resolution for every app of this process (idempotent)."""
    KwargsModel.resolve_dependencies = _resolve_in_turn  # type: ignore[method-assign]
