"""The app of one process of ``manufactory serve --workers N``.

Uvicorn's supervisor hands each process it spawns this module's ``worker_app`` (pickled), so
the module is kept light: unpickling it imports it before the process answers the
supervisor's health pings, and a process that takes longer than the ping timeout to import
the whole app (a loaded machine easily does) would be killed and spawned again, forever.
The app is imported when uvicorn calls the factory, once the pings are answered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litestar import Litestar


def worker_app(run_projections: bool) -> Litestar:
    """A system of its own (connections and threads do not cross processes), opened without
    migrating (the supervisor did, once, before spawning) and closed when the process stops."""
    from application.system import Manufactory
    from interfaces.http.app import create_app
    from projections.collector import freeze_start_up_heap

    system = Manufactory.open(migrate_schema=False)
    app = create_app(system, run_projections=run_projections)
    app.on_shutdown.append(system.close)  # after the duties stopped
    freeze_start_up_heap()
    return app
