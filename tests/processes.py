"""Running the real ``manufactory`` console script as child processes in tests."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

MANUFACTORY = str(Path(sys.executable).parent / "manufactory")
TOKEN = re.compile(r"mf_[A-Za-z0-9_-]{20,}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(database_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANUFACTORY_")}
    if database_url:
        env["MANUFACTORY_DATABASE_URL"] = database_url
    return {**env, **extra}


def run_cli(*args: str, cwd: Path, database_url: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MANUFACTORY, *args],
        cwd=cwd,
        env=environment(database_url, **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


class Server:
    def __init__(self, process: subprocess.Popen[str], url: str, output: str) -> None:
        self.process = process
        self.url = url
        self.output = output  # what it printed before it was ready

    @property
    def printed_token(self) -> str | None:
        found = TOKEN.search(self.output)
        return found.group(0) if found else None


@contextmanager
def serving(cwd: Path, database_url: str | None = None, *args: str) -> Iterator[Server]:
    port = free_port()
    process = subprocess.Popen(
        [MANUFACTORY, "serve", "--port", str(port), *args],
        cwd=cwd,
        env=environment(database_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    output: list[str] = []
    try:
        deadline = time.monotonic() + 30
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise RuntimeError("server exited:\n" + "".join(output))
            output.append(line)
            if "Uvicorn running" in line:
                break
        httpx.get(f"{url}/health", timeout=5).raise_for_status()
        yield Server(process, url, "".join(output))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def projections_running(cwd: Path, database_url: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [MANUFACTORY, "projections", "run"],
        cwd=cwd,
        env=environment(database_url),
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
