"""Helpers for tests that drive a real uvicorn on 127.0.0.1 (browser, concurrency and crash tests)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from settings import PROJECT_DIR

SERVER_START_SECONDS = 30
SERVER_STOP_SECONDS = 15


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    """Whether the server answers 200 at ``url`` yet."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


class ServerDidNotStart(Exception):
    """The server exited, or did not answer /healthz in time; the message carries its log."""


@dataclass
class LiveServer:
    """uvicorn serving the app on a fixed free port of 127.0.0.1, in a process group of its own,
    so that it can be stopped, or killed outright, together with any workers, and started again
    on the same port (as a machine that lost power and came back would be).

    ``env`` is the whole environment of the server: the database (DATABASE_URL) and the var dir
    (PINGYI_VAR_DIR: secret key and file stores) stay the same across restarts. The log of every
    start is appended to ``log_path``."""

    env: dict[str, str]
    log_path: Path
    workers: int = 1
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = SERVER_START_SECONDS) -> None:
        """Starts the server and returns once it answers /healthz."""
        command = [
            sys.executable, "-m", "uvicorn", "app:create_app", "--factory", "--workers", str(self.workers),
            "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning", "--no-access-log",
        ]
        env = {**self.env, "PINGYI_WORKERS": str(self.workers)}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not answers(f"{self.base_url}/healthz"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                status = self.process.poll()
                self.stop()
                raise ServerDidNotStart(f"the server did not start (exit status {status}):\n{self.log()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL to every process of the server: no shutdown, no flushing, nothing finished."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        """A normal stop (SIGTERM), then SIGKILL for whatever is still running after a while."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        else:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=SERVER_STOP_SECONDS)
        self.kill()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"

    def error_lines(self) -> list[str]:
        return [line for line in self.log().splitlines() if "Traceback" in line or "Error" in line]
