"""An optional index of managers, for applications that want one place to find any job.

Job ids embed their manager's id (``"forge_1#42"``), so finding a job's manager is a parse
and a dict read: no per-job index to keep in step, no memory per job.
"""

from __future__ import annotations

import threading

from domain.crafting.errors import InvalidCommand
from domain.crafting.jobs import parse_job_id
from domain.crafting.manager import Manager


class ManagerRegistry:
    """Managers by id; thread-safe (the map is replaced on change, so reads take no lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._managers: dict[str, Manager] = {}

    def register(self, manager: Manager) -> None:
        """Track ``manager`` under its id; a second manager with the same id is refused."""
        with self._lock:
            if manager.id in self._managers:
                raise InvalidCommand(f"a manager {manager.id!r} is already registered", "manager_id")
            self._managers = {**self._managers, manager.id: manager}

    def unregister(self, manager_id: str) -> Manager | None:
        """Stop tracking a manager; return it (None if it was not tracked)."""
        with self._lock:
            managers = dict(self._managers)
            manager = managers.pop(manager_id, None)
            self._managers = managers
        return manager

    def get(self, manager_id: str) -> Manager | None:
        return self._managers.get(manager_id)

    def find_job_manager(self, job_id: str) -> Manager | None:
        """The registered manager running ``job_id``, or None (unknown manager, or the job finished)."""
        parsed = parse_job_id(job_id)
        if parsed is None:
            return None
        manager = self._managers.get(parsed[0])
        return manager if manager is not None and manager.has_job(job_id) else None

    def all_managers(self) -> list[Manager]:
        return list(self._managers.values())

    def __len__(self) -> int:
        return len(self._managers)
