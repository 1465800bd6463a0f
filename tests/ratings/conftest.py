"""The ratings' shared test data: a live server over the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from settings import PROJECT_DIR
from tests.live_server import answers, free_port

SERVER_START_SECONDS = 30


def _stop(server: subprocess.Popen[bytes]) -> None:
    """The server and every worker it started (they share its process group)."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@pytest.fixture
def start_server(period: None, tmp_path: Path) -> Iterator[Callable[..., tuple[str, Path]]]:
    """``start_server(workers=1)``: (base URL, log file) of uvicorn serving the app over the
    test database, which holds the open period 2026-pj and its departments by then. The
    per-address brake on ratings is raised as for a load test unless ``ratings_per_hour`` says
    otherwise; each server has a var dir (secret key, stores) of its own."""
    started: list[subprocess.Popen[bytes]] = []

    def start(workers: int = 1, ratings_per_hour: int = 100_000, redis_url: str = "") -> tuple[str, Path]:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        log_path = tmp_path / f"uvicorn-{port}.log"
        # A var dir of its own: its rate-limit counts (file stores) are not left to the servers of
        # later tests, which keep the default limit. The database is the test database still.
        env = {**os.environ, "PINGYI_VAR_DIR": str(tmp_path / f"var-{port}"),
               "PINGYI_RATINGS_PER_HOUR": str(ratings_per_hour), "PINGYI_WORKERS": str(workers)}
        if redis_url:
            env["REDIS_URL"] = redis_url
        command = [
            sys.executable, "-m", "uvicorn", "app:create_app", "--factory", "--workers", str(workers),
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
        ]
        with log_path.open("wb") as log:
            server = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        started.append(server)
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not answers(f"{base_url}/healthz"):
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start (exit status {server.poll()}):\n"
                            + log_path.read_text(errors="replace"))
            time.sleep(0.1)
        return base_url, log_path

    yield start
    for server in started:
        _stop(server)


