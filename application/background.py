"""Start and stop of the services that loop in a thread beside the server (auto-production,
the crafting ticker, the economics updater)."""

from __future__ import annotations

import threading
from typing import ClassVar


class Background:
    """A service whose ``run_until_stopped`` loops until ``self._stop`` is set; ``start`` runs
    it in a daemon thread and ``stop`` ends it and waits for the thread."""

    thread_name: ClassVar[str]
    join_timeout_sec: ClassVar[float] = 10.0
    _stop: threading.Event
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_until_stopped, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.join_timeout_sec)
            self._thread = None

    def run_until_stopped(self) -> None:
        raise NotImplementedError
