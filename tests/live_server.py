"""Helpers for tests that drive a real uvicorn on 127.0.0.1 (browser, concurrency and crash tests)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
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


class Network:
    """The network between a test's browser and the live server: a TCP relay on a port of its own
    that a test can cut and join again.

    Cut, the relay closes every connection and refuses new ones, as a tablet out of coverage
    would see: whatever in the browser makes a request (a page, a script, the service worker, a
    request the browser's offline emulation misses) gets a network error, and nothing reaches
    the server."""

    def __init__(self, server_url: str) -> None:
        self._server = ("127.0.0.1", int(server_url.rsplit(":", 1)[1]))
        self.port = free_port()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.join()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def join(self) -> None:
        """The network is back: connections are accepted and relayed again."""
        with self._lock:
            if self._listener is not None:
                return
            self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def cut(self) -> None:
        """No network: open connections are closed and new ones refused, until ``join()``."""
        with self._lock:
            listener, self._listener = self._listener, None
            connections, self._open = self._open, set()
        if listener is not None:
            self._close(listener)
        for connection in connections:
            self._close(connection)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                browser_side, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server_side = socket.create_connection(self._server)
            except OSError:
                self._close(browser_side)
                continue
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    self._close(browser_side)
                    self._close(server_side)
                    return
                self._open |= {browser_side, server_side}
            for source, sink in ((browser_side, server_side), (server_side, browser_side)):
                threading.Thread(target=self._relay, args=(source, sink), daemon=True).start()

    def _relay(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open -= {source, sink}
            self._close(source)
            self._close(sink)

    @staticmethod
    def _close(connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
        connection.close()
