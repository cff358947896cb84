#!/usr/bin/env python3
"""Steady traffic through the local stack's load balancer, for the deploy and fault drills
(deploy/local/deploy-drill.sh, deploy/local/faults.sh): people who keep notes (signed in:
list, create, read, edit) and anonymous readers of the site (pages, the feed, now and then
the contact form), each on a keep-alive connection of its own from its own loopback address
(so each is its own client to the per-client limits, as real visitors are).

    traffic.py --report FILE [--people N] [--readers N] [--duration SECONDS] [--network N]

Runs until SIGTERM or SIGINT (or --duration), then writes FILE (JSON) and prints a summary.
Every request is counted once, as one of:
  ok          the answer expected (2xx, or the redirect the form gives)
  failed      a 5xx, a connection reset or refused, a timeout (10 s), or any other answer
  signed out  a signed-in person was sent to the sign-in page (the session was lost); they
              sign in again and go on
The report lists every failure (time, kind, request) and every acknowledged write (a note
whose creation answered 303, with its name), so a drill can check that none is lost.
Python standard library only. Reads the stack's settings from $STACK_DIR/stack.env.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import os
import re
import secrets
import shlex
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STACK_DIR = Path(os.environ.get("STACK_DIR", ROOT / "target" / "local-stack")).resolve()
TIMEOUT_SECS = 10.0
PASSWORD = "drill-" + secrets.token_hex(8)
# Each reader may send this many contact messages: under the form's limit per client (5/hour).
CONTACT_MESSAGES_PER_READER = 3


def stack_settings() -> dict[str, str]:
    """stack.env's variables (written with bash's printf %q, which shlex reads back)."""
    settings = {}
    for line in (STACK_DIR / "stack.env").read_text().splitlines():
        if line.startswith("export "):
            name, _, value = line[len("export "):].partition("=")
            settings[name] = "".join(shlex.split(value)) if value else ""
    return settings


class Tally:
    """What happened, shared by every client thread."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started = time.time()
        self.sent = 0
        self.ok = 0
        self.signed_out = 0
        self.failures: list[dict] = []
        self.writes: list[dict] = []

    def count(self, outcome: str, method: str, path: str, detail: str = "", who: str = "") -> None:
        with self.lock:
            self.sent += 1
            if outcome == "ok":
                self.ok += 1
                return
            event = {"at": round(time.time(), 3), "who": who, "request": f"{method} {path}", "detail": detail}
            if outcome == "signed out":
                self.signed_out += 1
                event["kind"] = "signed out"
            else:
                event["kind"] = "failed"
            self.failures.append(event)

    def acknowledged(self, who: str, name: str) -> None:
        with self.lock:
            self.writes.append({"at": round(time.time(), 3), "who": who, "note": name})

    def report(self) -> dict:
        with self.lock:
            failed = [f for f in self.failures if f["kind"] == "failed"]
            return {
                "started": self.started,
                "ended": time.time(),
                "sent": self.sent,
                "ok": self.ok,
                "failed": len(failed),
                "signed_out": self.signed_out,
                "acknowledged_writes": len(self.writes),
                "failures": self.failures,
                "writes": self.writes,
            }


class Unexpected(Exception):
    """An answer the traffic did not expect; it has been counted already."""


class Client:
    """One visitor: a keep-alive HTTPS connection from its own source address, and cookies."""

    def __init__(self, who: str, source: str, settings: dict[str, str], tally: Tally) -> None:
        self.who = who
        self.source = source
        self.tally = tally
        base = urllib.parse.urlsplit(settings["FOLIO_BASE_URL"])
        self.host, self.port = base.hostname, base.port or 443
        self.origin = f"{base.scheme}://{base.netloc}"
        self.tls = ssl.create_default_context(cafile=settings["STACK_CA_FILE"])
        self.conn: http.client.HTTPSConnection | None = None
        self.cookies: dict[str, str] = {}

    def _connection(self) -> http.client.HTTPSConnection:
        if self.conn is None:
            self.conn = http.client.HTTPSConnection(
                self.host, self.port, timeout=TIMEOUT_SECS, context=self.tls, source_address=(self.source, 0)
            )
        return self.conn

    def _remember_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            pair, _, attributes = header.partition(";")
            name, _, value = pair.strip().partition("=")
            if "max-age=0" in attributes.lower().replace(" ", ""):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    def send(self, method: str, path: str, form: dict | None = None,
             encoded: tuple[bytes, str] | None = None) -> tuple[int, dict, str] | None:
        """One request, with a url-encoded `form` or an `encoded` (body, content type) one; None
        when it failed at the connection (already counted)."""
        headers = {"User-Agent": f"folio-traffic ({self.who})"}
        if form is not None:
            encoded = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
        body = None
        if encoded is not None:
            body, content_type = encoded
            headers.update({"Content-Type": content_type, "Origin": self.origin, "Sec-Fetch-Site": "same-origin"})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn = self._connection()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (socket.timeout, TimeoutError) as err:
            return self._lost(method, path, f"timeout: {err}")
        except ConnectionRefusedError as err:
            return self._lost(method, path, f"refused: {err}")
        except (ConnectionError, http.client.HTTPException, ssl.SSLError, OSError) as err:
            return self._lost(method, path, f"connection: {type(err).__name__}: {err}")
        self._remember_cookies(response)
        if response.will_close:
            self._close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def _lost(self, method: str, path: str, detail: str) -> None:
        self._close()
        self.tally.count("failed", method, path, detail, self.who)
        return None

    def _close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def expect(self, method: str, path: str, statuses: tuple[int, ...], form: dict | None = None,
               signed_in: bool = False) -> tuple[int, dict, str]:
        """Sends, counts the outcome, and returns the answer when it was one of `statuses`."""
        answer = self.send(method, path, form)
        if answer is None:
            raise Unexpected
        status, headers, text = answer
        if signed_in and status in (302, 303) and headers.get("location", "").startswith("/signin/"):
            self.tally.count("signed out", method, path, f"{status} to {headers['location']}", self.who)
            raise SignedOut
        if status not in statuses:
            self.tally.count("failed", method, path, f"status {status}: {text[:120]!r}", self.who)
            raise Unexpected
        self.tally.count("ok", method, path)
        return answer

    def form_token(self, path: str, signed_in: bool = False) -> str:
        return self.form_page(path, signed_in)[0]

    def form_page(self, path: str, signed_in: bool = False) -> tuple[str, str]:
        """The form page at `path`: its CSRF token and its HTML."""
        _, _, text = self.expect("GET", path, (200,), signed_in=signed_in)
        found = re.search(r'name="csrf_token" value="([^"]+)"', text)
        if not found:
            self.tally.count("failed", "GET", path, "no csrf_token in the form", self.who)
            raise Unexpected
        return html.unescape(found.group(1)), text

    def post_form(self, path: str, fields: dict, statuses: tuple[int, ...], signed_in: bool = False):
        token = self.form_token(path, signed_in)
        return self.expect("POST", path, statuses, {"csrf_token": token, **fields}, signed_in)


class SignedOut(Exception):
    """The session was lost (counted); sign in again."""


def keep_notes(client: Client, email: str, stop: threading.Event, pause: float) -> None:
    """A person with an account: lists notes, writes one, reads and edits one, again and again."""
    client.post_form("/signup/", {"email": email, "password": PASSWORD, "repeat_password": PASSWORD}, (303,))
    sign_in(client, email)
    written = 0
    while not stop.is_set():
        try:
            _, _, listing = client.expect("GET", "/?order=-date", (200,), signed_in=True)
            written += 1
            name = f"{client.who} note {written}"
            client.post_form("/notes/create/", {"name": name, "text": f"Written under load, #{written}.", "pad": ""},
                             (303,), signed_in=True)
            client.tally.acknowledged(client.who, name)
            ids = re.findall(r'href="/notes/(\d+)/"', listing)
            if ids:
                note = ids[written % len(ids)]
                client.expect("GET", f"/notes/{note}/", (200,), signed_in=True)
                if written % 3 == 0:
                    edit_note(client, note, written)
        except SignedOut:
            sign_in(client, email)
        except Unexpected:
            time.sleep(0.2)  # counted; a short pause so an outage is not hammered
        stop.wait(pause)


def edit_note(client: Client, note: str, written: int) -> None:
    """Changes a note's text, keeping its name: names are how a drill finds every note that
    was acknowledged."""
    path = f"/notes/{note}/edit/"
    token, form = client.form_page(path, signed_in=True)
    name = re.search(r'name="name" value="([^"]*)"', form)
    if not name:
        client.tally.count("failed", "GET", path, "no name field in the form", client.who)
        raise Unexpected
    client.expect("POST", path, (303,), {"csrf_token": token, "name": html.unescape(name.group(1)),
                                         "text": f"Edited under load, #{written}.", "pad": ""}, True)


def sign_in(client: Client, email: str) -> None:
    for _ in range(100):
        try:
            client.post_form("/signin/", {"email": email, "password": PASSWORD, "next": ""}, (303,))
            return
        except Unexpected:
            time.sleep(0.5)
    raise RuntimeError(f"{client.who} could not sign in")


def read_site(client: Client, stop: threading.Event, pause: float) -> None:
    """An anonymous reader: the site's pages and feed, and a few contact messages."""
    rounds = 0
    messages = 0
    while not stop.is_set():
        rounds += 1
        try:
            for path in ("/site/", "/site/items/", "/site/feed.xml", "/signin/"):
                client.expect("GET", path, (200,))
            if rounds % 40 == 0 and messages < CONTACT_MESSAGES_PER_READER:
                messages += 1
                client.post_form("/site/contact/", {"name": "Reader", "email": f"{client.who}@example.org",
                                                    "subject": "Hello", "message": f"Message {messages}."}, (303,))
        except Unexpected:
            time.sleep(0.2)
        stop.wait(pause)


def run(args: argparse.Namespace) -> dict:
    settings = stack_settings()
    tally = Tally()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    run_id = secrets.token_hex(3)
    threads = []
    # Sources 127.<network>.<people: 10, readers: 20>.n: every visitor its own client address,
    # and each run on a stack its own network, since the per-client limits outlive a run.
    for n in range(1, args.people + 1):
        client = Client(f"person{n}", f"127.{args.network}.10.{n}", settings, tally)
        email = f"person{n}-{run_id}@example.org"
        threads.append(threading.Thread(target=guarded, args=(keep_notes, client, email, stop, args.pause), daemon=True))
    for n in range(1, args.readers + 1):
        client = Client(f"reader{n}", f"127.{args.network}.20.{n}", settings, tally)
        threads.append(threading.Thread(target=guarded, args=(read_site, client, stop, args.pause), daemon=True))
    for thread in threads:
        thread.start()
    deadline = time.time() + args.duration if args.duration else None
    while not stop.is_set() and (deadline is None or time.time() < deadline):
        stop.wait(0.2)
    stop.set()
    for thread in threads:
        thread.join(timeout=TIMEOUT_SECS + 5)
    return tally.report()


def guarded(target, client: Client, *rest) -> None:
    try:
        target(client, *rest)
    except Unexpected:
        pass  # a setup request failed; it is counted, and this visitor stops
    except Exception as err:  # noqa: BLE001 - a broken client must show, not vanish
        client.tally.count("failed", "-", "-", f"stopped: {type(err).__name__}: {err}", client.who)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", required=True, type=Path)
    parser.add_argument("--people", type=int, default=6)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--pause", type=float, default=0.02, help="seconds between a visitor's rounds")
    parser.add_argument("--duration", type=float, default=0, help="seconds (0: until SIGTERM/SIGINT)")
    parser.add_argument("--network", type=int, default=0, choices=range(0, 256),
                        help="the second byte of the visitors' loopback addresses (127.N.x.y)")
    args = parser.parse_args(argv)
    report = run(args)
    args.report.write_text(json.dumps(report, indent=1))
    seconds = report["ended"] - report["started"]
    print(f"[traffic] {report['sent']} requests in {seconds:.1f} s ({report['sent'] / max(seconds, 0.001):.0f}/s): "
          f"{report['ok']} ok, {report['failed']} failed, {report['signed_out']} signed out; "
          f"{report['acknowledged_writes']} notes acknowledged")
    for failure in report["failures"][:5]:
        print(f"[traffic]   {time.strftime('%H:%M:%S', time.localtime(failure['at']))} {failure['kind']}: "
              f"{failure['request']}: {failure['detail']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
