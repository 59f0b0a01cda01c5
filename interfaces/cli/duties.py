"""Background duties run in the foreground: ``manufactory projections run``, ``auto-production
run`` and ``economics run``.

Each takes part in the duty election (``application.duties``) as a server process does, for
its one duty: it runs the duty while it holds it and stands by while another process (a
server, or another runner) holds it, taking over when that one stops or dies. So starting a
runner next to servers that run the same duty never runs it twice, and a second runner is a
warm standby. On PostgreSQL the lock is an advisory lock, on SQLite a file beside the database;
in memory there is nobody to elect against, and it runs at once.
"""

from __future__ import annotations

import time

import click

from application.system import Manufactory

LOOK_SEC = 0.2  # how often the runner looks whether it holds its duty, to say when that changes


def run_elected(system: Manufactory, duty: str, running: str) -> None:
    """Run ``duty`` while this process holds it, saying ``running`` when it starts to and when
    it stands by instead, until Ctrl-C."""
    election = system.duty_election(only=duty)
    election.start()
    try:
        held: bool | None = None
        while True:
            holds = duty in election.held
            if holds != held:
                click.echo(f"{running}; Ctrl-C to stop" if holds else f"{duty}: another process runs it; standing by")
                held = holds
            time.sleep(LOOK_SEC)
    except KeyboardInterrupt:
        pass
    finally:
        election.stop()
