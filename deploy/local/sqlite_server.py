"""The release binary serving on SQLite in a directory of its own, with production's settings
otherwise: what deploy/local/connection-flood.py and disk-fill.py probe. Python standard
library only."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def fail(message: str) -> None:
    print(f"FAILED: {message}", flush=True)
    raise SystemExit(1)


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    database: Path
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(port: int) -> bool:
    try:
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        probe.request("GET", "/healthz")
        return probe.getresponse().status == 200
    except OSError:
        return False


@contextlib.contextmanager
def serving(binary: str, log_level: str = "warn") -> Iterator[Server]:
    """`folio serve` on a fresh SQLite database, ready; stopped (SIGTERM) on the way out."""
    if not os.access(binary, os.X_OK):
        fail(f"{binary} is missing: cargo build --release --locked --features aws -p folio")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="folio-probe-") as tmp:
        database = Path(tmp) / "folio.db"
        log = Path(tmp) / "serve.log"
        env = {
            **os.environ,
            "FOLIO_LISTEN": f"127.0.0.1:{port}",
            "FOLIO_BASE_URL": f"http://127.0.0.1:{port}",
            "FOLIO_DATABASE_URL": f"sqlite://{database}?mode=rwc",
            "FOLIO_SECRET_KEY": os.urandom(64).hex(),
            "FOLIO_EMAIL_URL": f"file://{tmp}/mail",
            "FOLIO_STORAGE_URL": f"file://{tmp}/media",
            "FOLIO_LOG": log_level,
        }
        with open(log, "w") as out:
            process = subprocess.Popen([binary, "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            for _ in range(100):
                if _healthy(port):
                    break
                if process.poll() is not None:
                    break
                time.sleep(0.1)
            else:
                fail("the server did not become ready: " + log.read_text()[-500:])
            if process.poll() is not None:
                fail("the server stopped at start: " + log.read_text()[-500:])
            yield Server(process, port, database, log)
        finally:
            process.terminate()
            process.wait(30)
