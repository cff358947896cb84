#!/usr/bin/env python3
"""Connection exhaustion against the release binary: what once made it stop answering.

Before the connection limits, connections that sent nothing, half a request head, or nothing
after a response stayed open for as long as the client liked; about 20,000 of them (the open
file limit) and `/healthz` stopped answering for everyone ("accept error: Too many open
files"). This starts the binary on SQLite with production's settings (FOLIO_IDLE_TIMEOUT_SECS
and FOLIO_HEADER_READ_TIMEOUT_SECS can be lowered to keep a run short), then:

  1. sends half a request head on FLOOD_HALF connections (200), then opens silent ones up to
     the cap plus 2,000 (within this process's open-file limit): those over the cap must be
     answered 503 at once, and the server must not run out of file descriptors;
  2. the half-sent heads must be closed within the header-read timeout, the silent ones
     within the idle timeout (each plus a margin);
  3. checks /healthz answers 200 again once the flood has been closed, and that the server
     logged no accept error and never stopped.

Prints its figures; exits 1 on a failed check.

    FLOOD_BIN=target/release/folio deploy/local/connection-flood.py
"""

from __future__ import annotations

import asyncio
import collections
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sqlite_server import fail, serving  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("FLOOD_BIN", str(ROOT / "target" / "release" / "folio"))
IDLE = int(os.environ.get("FOLIO_IDLE_TIMEOUT_SECS", "75"))
HEADER = int(os.environ.get("FOLIO_HEADER_READ_TIMEOUT_SECS", "10"))
CAP = int(os.environ.get("FOLIO_MAX_CONNECTIONS", "10000"))
HALF = int(os.environ.get("FLOOD_HALF", "200"))
# Slack for a busy machine on top of each timeout.
MARGIN = 10




def raise_open_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


async def health(port: int) -> str:
    """The status line of GET /healthz on a new connection, or what went wrong."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
        writer.write(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        line = await asyncio.wait_for(reader.readline(), 5)
        writer.close()
        return line.decode(errors="replace").strip() or "closed without an answer"
    except (OSError, asyncio.TimeoutError) as err:
        return f"no answer ({type(err).__name__}: {err})"


class Held:
    """One flood connection: when it was answered or closed, and what it got."""

    def __init__(self) -> None:
        self.writer: asyncio.StreamWriter | None = None
        self.first_line = ""
        self.closed_after: float | None = None

    async def open(self, port: int, send: bytes) -> None:
        started = time.monotonic()
        try:
            reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
            if send:
                self.writer.write(send)
            self.first_line = (await reader.readline()).decode(errors="replace").strip()
            await reader.read()
        except OSError as err:
            self.first_line = f"error: {err}"
        self.closed_after = time.monotonic() - started


async def flood(port: int, count: int, send: bytes) -> tuple[list[Held], list[asyncio.Task]]:
    held = [Held() for _ in range(count)]
    tasks = []
    for i, connection in enumerate(held):
        tasks.append(asyncio.create_task(connection.open(port, send)))
        # In steps the server's listen backlog (1,024) absorbs: a faster burst overflows it,
        # and the kernel then leaves connections the client believes open but the server never
        # sees (nothing a server could answer or close).
        if i % 200 == 199:
            await asyncio.sleep(0.1)
    return held, tasks


def summary(held: list[Held]) -> str:
    refused = sum(1 for h in held if h.first_line.startswith("HTTP/1.1 503"))
    closed = [h.closed_after for h in held if h.closed_after is not None and not h.first_line]
    errors = sum(1 for h in held if h.first_line.startswith("error"))
    text = f"{len(held)} opened, {refused} answered 503, {errors} failed to connect"
    if closed:
        closed.sort()
        text += f"; {len(closed)} closed silently after {closed[0]:.1f} to {closed[-1]:.1f} s"
    return text


async def run(port: int, server: subprocess.Popen, log: Path) -> None:
    limit = raise_open_file_limit()
    silent = min(CAP + 2000, limit - HALF - 200)
    print(f"server: cap {CAP}, idle timeout {IDLE} s, header-read timeout {HEADER} s; "
          f"this client: open-file limit {limit}", flush=True)
    print(f"healthz before: {await health(port)}", flush=True)

    started = time.monotonic()
    half_held, half_tasks = await flood(port, HALF, b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
    silent_held, silent_tasks = await flood(port, silent, b"")
    await asyncio.sleep(3)
    at_full = await health(port)
    print(f"{HALF} half-sent heads and {silent} silent connections opened in "
          f"{time.monotonic() - started:.1f} s; healthz meanwhile: {at_full}", flush=True)
    over = HALF + silent - CAP
    refused = 0
    for _ in range(100):
        refused = sum(1 for h in silent_held if h.first_line.startswith("HTTP/1.1 503"))
        if refused >= over:
            break
        await asyncio.sleep(0.1)
    print(f"answered 503 (over the cap): {refused} of {max(over, 0)}, "
          f"{time.monotonic() - started:.1f} s after the flood began", flush=True)
    if over > 0 and refused < over:
        kinds = collections.Counter(h.first_line[:40] if h.closed_after is not None else "open"
                                    for h in silent_held)
        fail(f"only {refused} of the {over} connections over the cap were answered 503: {dict(kinds)}")
    if server.poll() is not None:
        fail("the server stopped")

    await asyncio.wait_for(asyncio.gather(*half_tasks), HEADER + MARGIN + 30)
    print(f"half-sent heads: {summary(half_held)}", flush=True)
    late = [h for h in half_held if not h.first_line and h.closed_after > HEADER + MARGIN]
    if late:
        fail(f"{len(late)} half-sent heads outlived the header-read timeout by more than {MARGIN} s")

    try:
        await asyncio.wait_for(asyncio.gather(*silent_tasks), IDLE + MARGIN)
    except asyncio.TimeoutError:
        still = sum(1 for h in silent_held if h.closed_after is None)
        fail(f"{still} silent connections still open {IDLE + MARGIN} s after the idle timeout")
    print(f"silent connections: {summary(silent_held)}", flush=True)
    late = [h.closed_after for h in silent_held if not h.first_line and h.closed_after > IDLE + MARGIN]
    if late:
        fail(f"{len(late)} silent connections outlived the idle timeout by more than {MARGIN} s")
    after = await health(port)
    print(f"healthz after: {after} ({time.monotonic() - started:.1f} s after the flood began)",
          flush=True)
    if not after.startswith("HTTP/1.1 200"):
        fail(f"/healthz answered {after!r} after the flood")
    text = log.read_text(errors="replace")
    if "Too many open files" in text or "accept failed" in text:
        fail("the server ran out of file descriptors: " + text[-500:])
    if server.poll() is not None:
        fail("the server stopped")
    print("connection flood: passed", flush=True)


def main() -> None:
    with serving(BIN, log_level="info") as server:
        asyncio.run(run(server.port, server.process, server.log))


if __name__ == "__main__":
    sys.exit(main())
