#!/usr/bin/env python3
"""One free account trying to fill the disk, against the release binary: the reproduction of
issue 20's finding (8 connections posting 262,144-character notes for 10 s once wrote 7,432
notes, and the SQLite file grew to 1.9 GB plus 2 GB of write-ahead log).

Starts the binary on SQLite with production's settings (a fresh directory), signs up one
account through the pages, then posts the largest note the form accepts from FILL_CONNECTIONS
(8) connections for FILL_SECONDS (10). Prints what the server answered, how many notes it
stored and how large the database grew. Exits 1 if the account stored more than its write rate
allows (FOLIO_WRITE_RATE_LIMIT a minute, 120 by default, plus one window's worth of slack) or
any answer was a 5xx.

    FILL_BIN=target/release/folio deploy/local/disk-fill.py
"""

from __future__ import annotations

import collections
import html
import http.client
import os
import re
import sqlite3
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sqlite_server import fail, serving  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("FILL_BIN", str(ROOT / "target" / "release" / "folio"))
CONNECTIONS = int(os.environ.get("FILL_CONNECTIONS", "8"))
SECONDS = float(os.environ.get("FILL_SECONDS", "10"))
WRITE_RATE = int(os.environ.get("FOLIO_WRITE_RATE_LIMIT", "120"))
TEXT = "x" * 262_144  # NoteText::MAX_CHARS
PASSWORD = "a long enough password"



class Browser:
    """One connection with the account's cookies."""

    def __init__(self, port: int, cookies: dict[str, str]) -> None:
        self.port = port
        self.cookies = cookies
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers.update({
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"http://127.0.0.1:{self.port}",
                "Sec-Fetch-Site": "same-origin",
            })
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.partition(";")[0].strip().partition("=")
            self.cookies[name] = value
        if response.will_close:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return response.status, dict(response.getheaders()), text

    def token(self, path: str) -> str:
        status, _, text = self.send("GET", path)
        found = re.search(r'name="csrf_token" value="([^"]+)"', text)
        if status != 200 or not found:
            fail(f"GET {path}: {status}, no form")
        return html.unescape(found.group(1))

    def post(self, path: str, fields: dict) -> int:
        return self.send("POST", path, {"csrf_token": self.token(path), **fields})[0]



def fill(port: int, cookies: dict[str, str], token: str, until: float, answers: collections.Counter,
         lock: threading.Lock) -> None:
    browser = Browser(port, dict(cookies))
    sent = 0
    while time.monotonic() < until:
        sent += 1
        try:
            status = browser.send("POST", "/notes/create/",
                                  {"csrf_token": token, "name": f"filler {threading.get_ident()} {sent}", "text": TEXT})[0]
        except (OSError, http.client.HTTPException) as err:
            status = type(err).__name__
        with lock:
            answers[status] += 1


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main() -> None:
    with serving(BIN) as server:
        port, database = server.port, server.database
        visitor = Browser(port, {})
        email = "filler@example.org"
        status = visitor.post("/signup/", {"email": email, "password": PASSWORD, "repeat_password": PASSWORD})
        if status != 303:
            fail(f"sign-up answered {status}")
        if visitor.post("/signin/", {"email": email, "password": PASSWORD, "next": ""}) != 303:
            fail("sign-in failed")
        token = visitor.token("/notes/create/")
        before = size(database)
        answers: collections.Counter = collections.Counter()
        lock = threading.Lock()
        until = time.monotonic() + SECONDS
        threads = [threading.Thread(target=fill, args=(port, visitor.cookies, token, until, answers, lock))
                   for _ in range(CONNECTIONS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with sqlite3.connect(database) as db:
            stored = db.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(text)), 0) FROM notes").fetchone()
        grown = size(database) - before
        print(f"{CONNECTIONS} connections posting {len(TEXT):,}-character notes for {SECONDS:.0f} s: "
              f"answers {dict(answers)}", flush=True)
        print(f"stored: {stored[0]} notes, {stored[1] / 1e6:.1f} MB of text; the database grew "
              f"{grown / 1e6:.1f} MB (file and WAL)", flush=True)
        if any(isinstance(s, int) and s >= 500 for s in answers):
            fail("an answer was a 5xx")
        allowed = WRITE_RATE * (int(SECONDS // 60) + 2)
        if stored[0] > allowed:
            fail(f"{stored[0]} notes stored, over the {allowed} the write rate allows")
        print("disk fill: passed", flush=True)

if __name__ == "__main__":
    sys.exit(main())
