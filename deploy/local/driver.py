#!/usr/bin/env python3
"""Drives Folio through the local stack (deploy/local/stack.sh) as a person would, over HTTPS
through the load balancer, and runs the binary's commands with the stack's configuration:
steps 1 to 13 of deploy/local/e2e.sh (step 14, SIGTERM, is `stack.sh stop`).

    driver.py [STEP...]        all steps, or some on a running stack (`driver.py 1 10`; the
                               others build on the steps before them)

Reads the stack's settings from $STACK_DIR/stack.env (default target/local-stack/). Prints each
step and what it checked; on the first failure prints the step and the reason and exits 1.
Python standard library only, plus Pillow to make the test photo; `openssl` (the command) makes
and uses the SNS stand-in's keys.
"""

from __future__ import annotations

import base64
import datetime
import email
import email.policy
import email.utils
import hashlib
import html
import http.client
import http.cookiejar
import http.server
import io
import json
import os
import re
import secrets
import shlex
import shutil
import ssl
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Failed(Exception):
    """A check failed: the message says what was expected and what came instead."""


def check(condition: object, message: str) -> None:
    if not condition:
        raise Failed(message)


def info(message: str) -> None:
    print(f"    {message}", flush=True)


def eventually(what: str, probe, timeout: float = 30.0, interval: float = 0.25):
    """probe() until it returns something truthy, which is returned; Failed after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failed(f"{what}: not after {timeout:.0f} s")
        time.sleep(interval)


def load_env(path: Path) -> dict[str, str]:
    """The `export NAME=value` lines stack.sh wrote (shell-quoted)."""
    check(path.is_file(), f"{path} not found: is the stack running? (deploy/local/stack.sh start)")
    env = {}
    for line in path.read_text().splitlines():
        words = shlex.split(line, comments=True)
        if len(words) == 2 and words[0] == "export":
            name, _, value = words[1].partition("=")
            env[name] = value
    return env


STACK_DIR = Path(os.environ.get("STACK_DIR", ROOT / "target" / "local-stack")).resolve()
STACK = load_env(STACK_DIR / "stack.env")
BASE = STACK["FOLIO_BASE_URL"]
FOLIO = STACK["STACK_BIN"]
LOGS = STACK_DIR / "logs"


# --- the binary -------------------------------------------------------------------------------

def folio_env(**overrides: str) -> dict[str, str]:
    """The environment the stack's processes got (and nothing FOLIO_* from ours), plus overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLIO_")}
    env.update(STACK)
    env.update(overrides)
    return env


def folio(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [FOLIO, *args],
        input=stdin if stdin is not None else "",
        env=env or folio_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def show(result: subprocess.CompletedProcess) -> None:
    """What the command printed; its JSON log lines (stderr) only counted."""
    logs = 0
    for line in (result.stdout + result.stderr).splitlines():
        if line.startswith("{"):
            logs += 1
        else:
            info(f"| {line}")
    info(f"| (exit status {result.returncode}; {logs} JSON log line(s) on stderr)")


# --- the browser ------------------------------------------------------------------------------

class Response:
    def __init__(self, status: int, headers, body: bytes, url: str):
        self.status, self.headers, self.body, self.url = status, headers, body, url

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    def cookie(self, name: str) -> str | None:
        """The raw Set-Cookie header that sets `name`, attributes included."""
        for value in self.headers.get_all("Set-Cookie") or []:
            if value.startswith(f"{name}="):
                return value
        return None

    def __str__(self) -> str:
        return f"{self.status} from {self.url}"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # every hop is returned to the caller, which follows it and checks it


class _SourceAddressHTTPS(urllib.request.HTTPSHandler):
    """HTTPS from a chosen loopback address, to play a client at another IP (127.0.0.2…)."""

    def __init__(self, context: ssl.SSLContext, source: str):
        super().__init__(context=context)
        self.source = source

    def https_open(self, req):
        connection = partial(http.client.HTTPSConnection, source_address=(self.source, 0))
        return self.do_open(connection, req, context=self._context)


class Browser:
    """One visitor: a cookie jar, TLS checked against the stack's certificate, the Origin and
    Sec-Fetch-Site a browser sends with a form, and redirects followed one hop at a time."""

    def __init__(self, who: str, source: str = "127.0.0.1"):
        self.who = who
        self.jar = http.cookiejar.CookieJar()
        tls = ssl.create_default_context(cafile=STACK["STACK_CA_FILE"])
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            _SourceAddressHTTPS(tls, source),
            urllib.request.HTTPCookieProcessor(self.jar),
            _NoRedirect(),
        )

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> Response:
        url = path if "://" in path else BASE + path
        headers = {"User-Agent": f"folio-e2e ({self.who})", **(headers or {})}
        req = urllib.request.Request(url, data=body, method=method, headers=headers)
        try:
            with self.opener.open(req, timeout=30) as r:
                return Response(r.status, r.headers, r.read(), url)
        except urllib.error.HTTPError as err:  # any non-2xx, redirects included
            return Response(err.code, err.headers, err.read(), url)

    def get(self, path: str, expect: int = 200) -> Response:
        response = self.request("GET", path)
        for _ in range(5):
            if response.status not in (301, 302, 303, 307, 308):
                break
            response = self.request("GET", urllib.parse.urljoin(response.url, response.location))
        check(response.status == expect, f"GET {path}: expected {expect}, got {response}")
        return response

    def post(self, path: str, fields: dict, files: dict | None = None, csrf_from: str | None = None) -> Response:
        """POSTs a form the way a browser does after showing it: GETs `csrf_from` (the page with
        the form; default `path`), takes its CSRF token, and sends the fields url-encoded (or as
        multipart/form-data when `files` is given). The response is returned as is."""
        token = csrf_token(self.get(csrf_from or path).text)
        fields = {"csrf_token": token, **fields}
        if files is not None:
            body, content_type = multipart(fields, files)
        else:
            body, content_type = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(BASE))
        return self.request(
            "POST",
            path,
            body,
            {"Content-Type": content_type, "Origin": origin, "Sec-Fetch-Site": "same-origin"},
        )

    def sign_in(self, email_address: str, password: str) -> Response:
        response = self.post("/signin/", {"email": email_address, "password": password, "next": ""})
        check(
            response.status == 303 and response.location == "/",
            f"sign in as {email_address}: expected 303 to /, got {response} to {response.location!r}",
        )
        return response


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    check(found, "no csrf_token field in the form page")
    return html.unescape(found.group(1))


# What a browser sends for a file input left empty.
NO_FILE = {"image": ("", "application/octet-stream", b"")}


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    """multipart/form-data as a browser sends it; files: name -> (filename, type, bytes)."""
    boundary = f"----folio-e2e-{uuid.uuid4().hex}"
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content_type, data) in files.items():
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
        )
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def redirected(response: Response, path_pattern: str, what: str) -> re.Match:
    """The response is a 303 to a path matching `path_pattern`; returns the match."""
    found = re.fullmatch(path_pattern, response.location)
    check(response.status == 303 and found, f"{what}: expected 303 to {path_pattern}, got {response} to {response.location!r}")
    return found


# --- mail -------------------------------------------------------------------------------------

class Mailbox:
    """The messages the app sent, read where the stack's mail backend (STACK_MAIL) keeps them.
    The one place that knows how to read mail back: a new backend adds a reader here."""

    def __init__(self):
        self.mode = STACK["STACK_MAIL"]
        self.seen: set[str] = set()
        check(self.mode in ("smtp", "ses", "file"), f"STACK_MAIL={self.mode}: the driver cannot read this backend's mail")

    def _messages(self) -> list[tuple[str, list[str], email.message.EmailMessage]]:
        """(id, recipients, message) of every message so far, oldest first."""
        if self.mode in ("smtp", "file"):
            # smtp: the SMTP server's maildir, recipients from the envelope (Delivered-To);
            # file: the .eml files the app wrote itself, recipients from To:.
            found = []
            for path in sorted((STACK_DIR / "mail" / "new").glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name)):
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                header = "Delivered-To" if self.mode == "smtp" else "To"
                values = [str(v) for v in message.get_all(header, [])]
                recipients = [address.lower() for _, address in email.utils.getaddresses(values)]
                found.append((path.name, recipients, message))
            return found
        if self.mode == "ses":
            # What the SES v2 API (moto) was asked to send: the raw MIME message as the app built
            # it, recipients from the API call's destinations (the envelope).
            url = f"http://127.0.0.1:{STACK['STACK_SES_PORT']}/moto-api/data.json"
            with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=10) as r:
                data = json.load(r)
            found = []
            for sent in data.get("ses", {}).get("RawMessage", []):
                message = email.message_from_string(sent["raw_data"], policy=email.policy.default)
                recipients = [address.lower() for _, address in email.utils.getaddresses(sent["destinations"])]
                found.append((sent["id"], recipients, message))
            return found
        raise Failed(f"STACK_MAIL={self.mode}: no reader")

    def sent_to(self, to: str, subject_prefix: str) -> list[email.message.EmailMessage]:
        """Every message so far (read or not) delivered to `to` whose subject starts so."""
        return [
            message
            for _, recipients, message in self._messages()
            if to.lower() in recipients and str(message["Subject"]).startswith(subject_prefix)
        ]

    def wait_for(self, to: str, subject_prefix: str, timeout: float = 30.0) -> email.message.EmailMessage:
        """The first message not read before, delivered to `to`, whose subject starts so."""

        def probe():
            for name, recipients, message in self._messages():
                if name in self.seen:
                    continue
                if to.lower() in recipients and str(message["Subject"]).startswith(subject_prefix):
                    self.seen.add(name)
                    return message
            return None

        message = eventually(f"an email to {to} with subject {subject_prefix!r}", probe, timeout)
        info(f"mail: {message['Subject']!r} to {to} (from {message['From']})")
        return message


def text_of(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    check(part is not None, f"{message['Subject']!r}: no text/plain part")
    return part.get_content()


def link_in(message: email.message.EmailMessage, path_pattern: str) -> str:
    """The link in the message's text whose path matches; it must start with FOLIO_BASE_URL."""
    text = text_of(message)
    found = re.search(re.escape(BASE) + path_pattern, text)
    check(found, f"{message['Subject']!r}: no link {BASE}{path_pattern} in:\n{text}")
    return found.group(0)


# --- logs -------------------------------------------------------------------------------------

def json_lines(name: str) -> list[dict]:
    lines = []
    for line in (LOGS / f"{name}.log").read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            pass
    return lines


def served_requests(name: str) -> list[dict]:
    """The requests a web process answered (tower_http's 'finished processing request' lines),
    without the load balancer's health checks."""
    return [
        line
        for line in json_lines(name)
        if line.get("message") == "finished processing request"
        and line.get("span", {}).get("path") not in ("/readyz", "/healthz")
    ]


# --- the test photo ---------------------------------------------------------------------------

def photo(width: int = 1600, height: int = 1000) -> bytes:
    """A JPEG made here (gradients: big enough for both renditions, small to upload)."""
    from PIL import Image  # Pillow: the only package beyond the standard library

    image = Image.linear_gradient("L").resize((width, height))
    rgb = Image.merge("RGB", (image, image.rotate(90).resize((width, height)), Image.new("L", (width, height), 96)))
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=85)
    return out.getvalue()


# --- the steps --------------------------------------------------------------------------------

# People and values shared by the steps (the database is new on every stack start).
ADA = "ada@example.org"
ADA_PASSWORD = "a long first password"
ADA_NEW_PASSWORD = "a long second password, after the reset"
BEA = "bea@example.org"
STAFF = "staff@example.org"
STAFF_PASSWORD = "a long staff password"
READER = "reader@example.org"  # unsubscribes in step 6
KEEN_READER = "keen.reader@example.org"  # stays subscribed
GONE_READER = "gone.reader@example.org"  # SES reports a hard bounce for this one in step 8
# Each reader at their own address (a form post limit counts per client address).
READER_SOURCES = {READER: "127.0.0.1", KEEN_READER: "127.0.0.4", GONE_READER: "127.0.0.5"}
state: dict = {}
mailbox: Mailbox


def step_check() -> None:
    result = folio("check")
    show(result)
    check(result.returncode == 0, f"folio check exited with {result.returncode}")
    out = result.stdout
    check("database: reachable, 0 pending migration(s)" in out, "no 'database: reachable, 0 pending' line")
    check("email: usable" in out, "no 'email: usable' line")
    check("storage: usable" in out, "no 'storage: usable' line")
    check("cache: Redis reachable, can write and read" in out, "no 'cache: Redis reachable' line")
    # The worker's JSON lines that CloudWatch metric filters read (modules/observability): the
    # queue depth with its counts, and the heartbeat whose absence raises an alarm.
    worker = json_lines("worker")
    depth = [line for line in worker if line.get("message") == "queue depth"]
    check(depth and all(k in depth[0] for k in ("queued", "running", "failed")), "no 'queue depth' line with counts")
    check(any(line.get("message") == "worker alive" for line in worker), "no 'worker alive' heartbeat line")
    state["ran"] = {"check"}


def step_notes() -> None:
    ada = Browser("ada")
    response = ada.post("/signup/", {"email": ADA, "password": ADA_PASSWORD, "repeat_password": ADA_PASSWORD})
    redirected(response, "/signin/", "sign up")
    info(f"signed up {ADA}")
    response = ada.sign_in(ADA, ADA_PASSWORD)
    cookie = response.cookie("folio_session")
    check(cookie, f"sign in set no folio_session cookie: {response.headers.get_all('Set-Cookie')}")
    attributes = {a.strip().split("=")[0].lower(): a.strip() for a in cookie.split(";")[1:]}
    check("secure" in attributes, f"session cookie without Secure: {cookie}")
    check("httponly" in attributes, f"session cookie without HttpOnly: {cookie}")
    check(attributes.get("samesite", "").lower() == "samesite=lax", f"session cookie without SameSite=Lax: {cookie}")
    info("session cookie: " + "; ".join(["folio_session=…", *attributes.values()]))
    home = ada.get("/")
    hsts = home.headers.get("Strict-Transport-Security", "")
    check("max-age=" in hsts, f"no HSTS header over https: {dict(home.headers)}")
    info(f"Strict-Transport-Security: {hsts}")
    check(ADA in home.text, "the home page does not show who is signed in")

    pad = redirected(ada.post("/pads/create/", {"name": "Travel"}), r"/pads/(\d+)/", "create a pad").group(1)
    note_text = "Train to Lisbon at 07:12, platform 4"
    response = ada.post("/notes/create/", {"name": "Lisbon", "text": note_text, "pad": pad})
    redirected(response, f"/pads/{pad}/", "create a note")
    note = re.search(r'href="/notes/(\d+)/">Lisbon<', ada.get(f"/pads/{pad}/").text)
    check(note, "the new note is not listed in its pad")
    page = ada.get(f"/notes/{note.group(1)}/").text
    check(note_text in page and "Travel" in page, "the note page does not show the note's text and pad")
    info(f"pad {pad} 'Travel' and note {note.group(1)} 'Lisbon' created and read back")
    state["ada_pad"] = pad


def step_reset() -> None:
    visitor = Browser("ada, another device")
    redirected(visitor.post("/forgot-password/", {"email": ADA}), "/signin/", "forgot password")
    message = mailbox.wait_for(ADA, "Reset your Folio password")
    link = link_in(message, r"/forgot-password/[0-9a-f]{64}/")
    info(f"reset link: {link[:60]}…")
    response = visitor.post(link, {"new_password1": ADA_NEW_PASSWORD, "new_password2": ADA_NEW_PASSWORD})
    redirected(response, "/signin/", "set a new password")
    visitor.sign_in(ADA, ADA_NEW_PASSWORD)
    check(f"/pads/{state['ada_pad']}/" in visitor.get("/").text, "after the reset, Ada's pad is not listed")
    info("signed in with the new password; Ada's pad is there")
    old = Browser("someone with the old password").post("/signin/", {"email": ADA, "password": ADA_PASSWORD, "next": ""})
    check(old.status == 422 and "Wrong email or password" in old.text, f"old password after reset: {old}")
    info("the old password is refused (422)")
    check(visitor.get(link, expect=404), "a used reset link should be 404")
    info("the used link is refused (404)")


def step_staff() -> None:
    result = folio("admin", "create-user", "--email", STAFF, "--staff", stdin=STAFF_PASSWORD + "\n")
    show(result)
    check(result.returncode == 0, f"folio admin create-user exited with {result.returncode}")
    state["ran"].add("admin create-user")
    staff = Browser("staff")
    staff.sign_in(STAFF, STAFF_PASSWORD)
    staff.get("/admin/")
    info("signed in as staff; /admin/ answers 200")
    state["staff"] = staff


def image_objects(image_id: str) -> dict[str, Path]:
    prefix = STACK_DIR / "s3" / STACK["STACK_BUCKET"] / "media" / "images" / image_id
    return {p.name: p for p in prefix.glob("*") if p.is_file()}


def step_admin_images() -> None:
    staff: Browser = state["staff"]
    response = staff.post(
        "/admin/categories/add/",
        {"name": "Field notes", "slug": "", "summary": "Notes from the field", "position": "1"},
        files=NO_FILE,
    )
    category = redirected(response, r"/admin/categories/(\d+)/", "create a category").group(1)
    info(f"category {category} 'Field notes'")
    jpeg = photo()
    response = staff.post(
        "/admin/items/add/",
        {
            "title": "Morning at the harbour",
            "slug": "",
            "category": category,
            "summary": "Boats, nets and gulls",
            "body": "The *first* item, with a photo.",
            "status": "published",
        },
        files={"image": ("harbour.jpg", "image/jpeg", jpeg)},
    )
    item = redirected(response, r"/admin/items/(\d+)/", "create and publish an item").group(1)
    page = staff.get(f"/admin/items/{item}/").text
    check("status-published" in page, "the item is not published")
    found = re.search(r"images/([0-9a-f-]{36})/", page)
    check(found, "the item's admin page shows no image")
    image_id = found.group(1)
    info(f"item {item} published with a {len(jpeg) // 1024} KB JPEG: image {image_id}")
    state.update(category=category, image_id=image_id)

    wanted = ["original.jpg", "thumb.webp", "thumb.jpg", "display.webp", "display.jpg"]
    objects = eventually(
        "the worker's renditions in the S3 bucket",
        lambda: (lambda found: found if all(name in found for name in wanted) else None)(image_objects(image_id)),
        timeout=60,
    )
    for name in wanted:
        data = objects[name].read_bytes()
        kind = "webp" if data[:4] == b"RIFF" and data[8:12] == b"WEBP" else "jpeg" if data[:2] == b"\xff\xd8" else "?"
        check(kind == name.rsplit(".", 1)[1].replace("jpg", "jpeg"), f"{name} is not a {name.rsplit('.', 1)[1]}: {data[:12]!r}")
        info(f"s3://{STACK['STACK_BUCKET']}/media/images/{image_id}/{name}: {len(data):>7} bytes, {kind}")
    # The job writes the objects, then commits and logs "job done": the line may come a moment
    # after the objects (a busy machine once showed the objects before the line).
    def finished_jobs() -> list[dict]:
        return [line for line in json_lines("worker") if line.get("message") == "job done"]

    def rendition_logged() -> list[dict] | None:
        jobs = finished_jobs()
        return jobs if any(line.get("kind") == "make_renditions" for line in jobs) else None

    try:
        jobs = eventually("the worker's rendition job in its log", rendition_logged, timeout=30)
    except Failed:
        jobs = finished_jobs()
        check(False, f"the worker log has no rendition job: {[line.get('kind') for line in jobs]}")
    info("made by the worker process (its log: " + ", ".join(sorted({str(line.get('kind')) for line in jobs})) + ")")

    # A reader's view: the public page links the WebP rendition through a presigned S3 URL,
    # which the signature-checking S3 server must accept.
    anonymous = Browser("anonymous reader")
    public = anonymous.get(f"/site/items/field-notes/morning-at-the-harbour/").text
    webp = re.search(r'<source type="image/webp" srcset="([^"]+)"', public)
    check(webp, "the public page offers no WebP srcset")
    # The srcset lists "URL WIDTHw" candidates separated by commas; URLs contain no spaces.
    candidates = [c.strip().rsplit(" ", 1) for c in html.unescape(webp.group(1)).split(", ")]
    urls = [c[0] for c in candidates if len(c) == 2 and re.fullmatch(r"[0-9]+w", c[1])]
    base = [u for u in urls if f"images/{image_id}/display.webp" in u]
    check(len(urls) == len(candidates) and base, "the public page's srcset does not offer display.webp")
    url = base[0]
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=10) as r:
        data = r.read()
    check(data[8:12] == b"WEBP", "the picture's URL did not return a WebP")
    info(f"public page: display.webp via {url.split('?')[0]} (presigned, {len(data)} bytes)")


def subscribe(address: str) -> None:
    """A reader subscribes and confirms from the emailed link."""
    source = READER_SOURCES[address]
    reader = Browser(address, source=source)
    redirected(reader.post("/site/subscribe/", {"email": address}), "/site/subscribe/", f"subscribe {address}")
    message = mailbox.wait_for(address, "Confirm your subscription")
    link = link_in(message, r"/site/subscribe/confirm/[0-9a-f]{64}/")
    redirected(reader.post(link, {}), "/site/", f"confirm the subscription of {address}")
    info(f"{address} subscribed (from {source}) and confirmed")


def publish(title: str, summary: str) -> str:
    """Staff publish an item (no image) in the category of step 5; returns its id."""
    staff: Browser = state["staff"]
    response = staff.post(
        "/admin/items/add/",
        {"title": title, "slug": "", "category": state["category"], "summary": summary,
         "body": f"{summary}.", "status": "published"},
        files=NO_FILE,
    )
    item = redirected(response, r"/admin/items/(\d+)/", f"publish {title!r}").group(1)
    info(f"published item {item} {title!r}")
    return item


def step_subscribers() -> None:
    for address in (READER, KEEN_READER, GONE_READER):
        subscribe(address)
    title = "Evening tide"
    publish(title, "High water at dusk")
    for address in (KEEN_READER, GONE_READER, READER):
        message = mailbox.wait_for(address, "New on ")
        check(title in str(message["Subject"]), f"notification subject {message['Subject']!r} lacks {title!r}")
    unsubscribe = str(message["List-Unsubscribe"] or "")
    check(re.fullmatch("<" + re.escape(BASE) + r"/site/unsubscribe/[0-9a-f]{64}/>", unsubscribe),
          f"List-Unsubscribe: {unsubscribe!r}")
    check(str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click",
          f"List-Unsubscribe-Post: {message['List-Unsubscribe-Post']!r}")
    info(f"List-Unsubscribe: {unsubscribe[:58]}…>")
    info(f"List-Unsubscribe-Post: {message['List-Unsubscribe-Post']}")
    # RFC 8058: the mail provider POSTs the one-click unsubscribe, without cookies or Origin.
    provider = Browser("mail provider")
    response = provider.request("POST", unsubscribe.strip("<>"), b"List-Unsubscribe=One-Click",
                                {"Content-Type": "application/x-www-form-urlencoded"})
    check(response.status == 200, f"one-click unsubscribe: {response}")
    info(f"one-click unsubscribe POST for {READER}: 200")


def step_scheduled() -> None:
    """Scheduled publishing as deployed: the web instance only queues a job for the time; the
    separate worker process publishes the item and sends the notification then, not before."""
    staff: Browser = state["staff"]
    title = "Spring tide"
    slug_path = "/site/items/field-notes/spring-tide/"
    at = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(seconds=5)
    response = staff.post(
        "/admin/items/add/",
        {"title": title, "slug": "", "category": state["category"], "summary": "Highest of the year",
         "body": "Due at the new moon.", "status": "scheduled", "publish_at": at.strftime("%Y-%m-%dT%H:%M:%S")},
        files=NO_FILE,
    )
    item = redirected(response, r"/admin/items/(\d+)/", f"schedule {title!r}").group(1)
    check("status-scheduled" in staff.get(f"/admin/items/{item}/").text, "the item is not shown as scheduled")
    anonymous = Browser("anonymous reader")
    status = anonymous.request("GET", slug_path).status
    check(status == 404, f"the scheduled item is public before its time: {status}")
    info(f"item {item} {title!r} scheduled for {at:%H:%M:%S} UTC; its public page: {status}")
    message = mailbox.wait_for(KEEN_READER, "New on ", timeout=40)
    arrived = datetime.datetime.now(datetime.timezone.utc)
    check(title in str(message["Subject"]), f"notification subject {message['Subject']!r} lacks {title!r}")
    check(arrived >= at, f"the notification arrived at {arrived:%H:%M:%S.%f}, before {at:%H:%M:%S}")
    status = anonymous.request("GET", slug_path).status
    check(status == 200, f"the item is not public after its time: {status}")
    jobs = [line for line in json_lines("worker") if line.get("message") == "job done"]
    check(any(line.get("kind") == "publish_scheduled" for line in jobs),
          "the worker log has no publish_scheduled job")
    info(f"published by the worker process; {KEEN_READER} notified "
         f"{(arrived - at).total_seconds():.1f} s after the scheduled time; public page: {status}")


# --- SES bounces through SNS ------------------------------------------------------------------

def openssl(*args: str, stdin: bytes = b"") -> bytes:
    result = subprocess.run(["openssl", *args], input=stdin, capture_output=True, timeout=60)
    check(result.returncode == 0, f"openssl {' '.join(args[:2])}: {result.stderr.decode(errors='replace')[-400:]}")
    return result.stdout


def sns_timestamp() -> str:
    """Now, as SNS writes it: 2026-11-29T19:00:00.000Z."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class FakeSns:
    """Amazon SNS as the app meets it: a signing key whose self-signed certificate is served over
    plain http on 127.0.0.1:$STACK_SNS_PORT (FOLIO_SNS_CERT_HOST; http is allowed for a loopback
    host only), messages built and signed as SNS does (SignatureVersion 2: RSA with SHA-256 over
    "name\nvalue\n" of the signed fields), and the SubscribeURL it answers. Use it in `with`."""

    def __init__(self):
        self.host = f"127.0.0.1:{STACK['STACK_SNS_PORT']}"
        check(STACK.get("FOLIO_SNS_CERT_HOST") == self.host,
              f"FOLIO_SNS_CERT_HOST is {STACK.get('FOLIO_SNS_CERT_HOST')!r}, not this SNS stand-in ({self.host})")
        self.topic = STACK["FOLIO_SES_TOPIC_ARN"]
        self.dir = STACK_DIR / "sns"  # its keys and certificate, kept for reading until the next run
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir()
        self.key = self.dir / "key.pem"
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=sns.local.test",
                "-keyout", str(self.key), "-out", str(self.dir / "cert.pem"))
        self.cert = (self.dir / "cert.pem").read_bytes()
        # Someone else's key, for forgeries.
        self.forger_key = self.dir / "forger.pem"
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(self.forger_key))
        # A new name per run: the web processes cache a certificate by its URL for an hour.
        self.cert_path = f"/SimpleNotificationService-{secrets.token_hex(16)}.pem"
        self.requests: list[str] = []  # the paths GET by the app, in order
        sns = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                sns.requests.append(self.path)
                if self.path == sns.cert_path:
                    self._answer(200, "application/x-x509-ca-cert", sns.cert)
                elif urllib.parse.urlsplit(self.path).path == "/confirm":
                    self._answer(200, "text/xml", b"<ConfirmSubscriptionResponse/>")
                else:
                    self._answer(404, "text/plain", b"not found")

            def _answer(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", int(STACK["STACK_SNS_PORT"])), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="sns-certs", daemon=True)

    def __enter__(self) -> "FakeSns":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def cert_url(self) -> str:
        return f"http://{self.host}{self.cert_path}"

    def _signed(self, fields: dict, signed: list[str], key: Path) -> bytes:
        to_sign = "".join(f"{name}\n{fields[name]}\n" for name in signed)
        signature = base64.b64encode(openssl("dgst", "-sha256", "-sign", str(key), stdin=to_sign.encode())).decode()
        return json.dumps({**fields, "SignatureVersion": "2", "Signature": signature,
                           "SigningCertURL": self.cert_url()}, indent=2).encode()

    def notification(self, message: dict, key: Path | None = None, topic: str | None = None) -> bytes:
        """A Notification carrying `message` (an SES event) as JSON text; no Subject, as SES sends."""
        fields = {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": topic or self.topic,
            "Message": json.dumps(message),
            "Timestamp": sns_timestamp(),
            "UnsubscribeURL": f"http://{self.host}/?Action=Unsubscribe&SubscriptionArn={self.topic}:{uuid.uuid4()}",
        }
        return self._signed(fields, ["Message", "MessageId", "Timestamp", "TopicArn", "Type"], key or self.key)

    def subscription_confirmation(self, token: str) -> bytes:
        fields = {
            "Type": "SubscriptionConfirmation",
            "MessageId": str(uuid.uuid4()),
            "Token": token,
            "TopicArn": self.topic,
            "Message": f"You have chosen to subscribe to the topic {self.topic}.\n"
                       "To confirm the subscription, visit the SubscribeURL included in this message.",
            "SubscribeURL": f"http://{self.host}/confirm?token={token}",
            "Timestamp": sns_timestamp(),
        }
        return self._signed(fields, ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
                            self.key)

    def post(self, body: bytes, kind: str = "Notification") -> Response:
        """POSTs to /hooks/ses over https through the load balancer, with SNS's headers."""
        return Browser("Amazon SNS").request("POST", "/hooks/ses", body, {
            "Content-Type": "text/plain; charset=UTF-8",
            "User-Agent": "Amazon Simple Notification Service Agent",
            "x-amz-sns-message-type": kind,
            "x-amz-sns-topic-arn": self.topic,
        })


def ses_bounce(address: str) -> dict:
    """The SES event a permanent bounce of `address` publishes (event publishing, as a
    configuration set's SNS destination sends it)."""
    at = sns_timestamp()
    return {
        "eventType": "Bounce",
        "bounce": {
            "feedbackId": f"0100{secrets.token_hex(16)}-000000",
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": "5.1.1",
                                   "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
            "timestamp": at,
            "reportingMTA": "dsn; a8-1.smtp-out.amazonses.com",
        },
        "mail": {
            "timestamp": at,
            "source": STACK.get("FOLIO_EMAIL_FROM", ""),
            "sendingAccountId": "123456789012",
            "messageId": f"0100{secrets.token_hex(16)}-000000",
            "destination": [address],
            "headersTruncated": False,
            "tags": {"ses:configuration-set": ["folio-local"]},
        },
    }


def mail_column(address: str) -> str:
    """The Mail column of `address`'s row in the admin's subscriber list ('—' or why not)."""
    page = state["staff"].get("/admin/subscribers/?q=" + urllib.parse.quote(address)).text
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
                 for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        # The Mail column comes two after the Email column (a selection box may come first).
        if address in cells and cells.index(address) + 2 < len(cells):
            return cells[cells.index(address) + 2]
    raise Failed(f"{address} is not in /admin/subscribers/")


def hook_refusals() -> list[str]:
    """The reasons the web processes logged for refusing SNS messages, so far, oldest first."""
    lines = [
        line
        for name in ("web1", "web2")
        for line in json_lines(name)
        if line.get("message") == "SES hook: message refused"
    ]
    return [str(line.get("error")) for line in sorted(lines, key=lambda line: line.get("timestamp", ""))]


def refused(sns: FakeSns, what: str, body: bytes, status: int, reason: str) -> None:
    """POSTs `body`; expects `status` and the app's log naming `reason`."""
    before = len(hook_refusals())
    response = sns.post(body)
    check(response.status == status, f"{what}: expected {status}, got {response}: {response.text[:200]!r}")
    logged = eventually(f"the web log's reason for refusing the {what}",
                        lambda: hook_refusals()[before:], timeout=10)
    check(any(reason in r for r in logged), f"{what}: refused, but the log says {logged!r}, not {reason!r}")
    info(f"{what}: {status} ({logged[-1]})")


def step_ses_bounce() -> None:
    shown = mail_column(GONE_READER)
    check(shown == "—", f"before any bounce, {GONE_READER}'s Mail column in the admin list is {shown!r}")
    with FakeSns() as sns:
        info(f"SNS stand-in: certificate at {sns.cert_url()}, topic {sns.topic}")
        bounce = ses_bounce(GONE_READER)
        # Refused, and nothing changes: forged (another key, our certificate's URL), foreign (a
        # topic of someone else's account, validly signed), and not an SNS message at all.
        refused(sns, "forged bounce", sns.notification(bounce, key=sns.forger_key), 403, "signature does not verify")
        refused(sns, "bounce from a foreign topic", sns.notification(
            bounce, topic="arn:aws:sns:us-east-1:210987654321:someone-elses-topic"), 403, "topic not accepted")
        refused(sns, "malformed message", b"{\"Type\": \"Notification\"", 400, "malformed")
        check(any(path == sns.cert_path for path in sns.requests), "the app never fetched the signing certificate")
        shown = mail_column(GONE_READER)
        check(shown == "—", f"after the refused messages, {GONE_READER}'s Mail column is {shown!r}")
        info(f"{GONE_READER} is not suppressed (admin list: Mail —)")

        response = sns.post(sns.notification(bounce))
        check(response.status == 200, f"the genuine bounce: expected 200, got {response}: {response.text[:200]!r}")
        info("genuine bounce, signed with the certificate's key: 200")
        shown = mail_column(GONE_READER)
        check(shown == "bounced: General bounce", f"after the bounce, {GONE_READER}'s Mail column is {shown!r}")
        other = mail_column(KEEN_READER)
        check(other == "—", f"after {GONE_READER}'s bounce, {KEEN_READER}'s Mail column is {other!r}")
        info(f"/admin/subscribers/: {GONE_READER} '{shown}'; {KEEN_READER} '—'")

        token = secrets.token_hex(64)
        confirmations = len([p for p in sns.requests if p.startswith("/confirm")])
        response = sns.post(sns.subscription_confirmation(token), kind="SubscriptionConfirmation")
        check(response.status == 200, f"SubscriptionConfirmation: expected 200, got {response}: "
              f"{response.text[:200]!r}")
        visits = [p for p in sns.requests if p.startswith("/confirm")][confirmations:]
        check(visits == [f"/confirm?token={token}"], f"the SubscribeURL was not visited once as sent: {visits!r}")
        info("SubscriptionConfirmation: 200, and the app GET its SubscribeURL")

    # No more mail to the bounced address: a new item reaches the other reader only.
    title = "Night crossing"
    publish(title, "The last ferry")
    mailbox.wait_for(KEEN_READER, f"New on Folio: {title}")

    def held_back():
        return [line for line in json_lines("worker")
                if str(line.get("message", "")).startswith("email not sent: the address is suppressed")
                and title in str(line.get("subject", ""))]

    line = eventually("the worker's 'email not sent: the address is suppressed' line", held_back, timeout=20)[0]
    info(f"worker: {line['message']} (suppression {line.get('suppression')}, {line.get('detail')})")
    time.sleep(2)  # a message wrongly sent despite the log line would be in the mailbox by now
    sent = [m for m in mailbox.sent_to(GONE_READER, "New on ") if title in str(m["Subject"])]
    check(not sent, f"{GONE_READER} was suppressed but still got {[str(m['Subject']) for m in sent]}")
    check(not [m for m in mailbox.sent_to(READER, "New on ") if title in str(m["Subject"])],
          f"{READER} unsubscribed in step 6 but got the notification of {title!r}")
    info(f"{GONE_READER} (bounced) and {READER} (unsubscribed) got no notification of {title!r}")


def step_client_address() -> None:
    # Both instances answered the people above (round robin), seen in their own logs.
    counts = {}
    for name in ("web1", "web2"):
        requests = served_requests(name)
        counts[name] = len(requests)
        check(requests, f"{name} served no request through the load balancer")
    info("requests served (health checks aside): " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    # One request followed from haproxy's log (which records the app's X-Request-Id) into an app log.
    ids = re.findall(r"\{([0-9a-f-]{36})\}", (LOGS / "haproxy.log").read_text())
    check(ids, "haproxy's log shows no X-Request-Id")
    logged = {line.get("span", {}).get("request_id") for name in ("web1", "web2") for line in served_requests(name)}
    followed = [i for i in ids if i in logged]
    check(followed, "no request id from haproxy's log is in an app log")
    info(f"{len(followed)} request ids in haproxy's log found in the apps' logs, e.g. {followed[-1]}")

    # The client address behind the proxy: the app reads X-Forwarded-For one hop from the right
    # (FOLIO_TRUSTED_PROXY_HOPS=1), the entry haproxy adds. Every process sees haproxy
    # (127.0.0.1) as its peer, so only that header tells clients apart. Form posts are rate
    # limited per client: a client at 127.0.0.2 runs out although it forges a new
    # X-Forwarded-For each time, and then a client at 127.0.0.3 is still served.
    busy = Browser("busy client", source="127.0.0.2")
    statuses = []
    for n in range(30):
        token = csrf_token(busy.get("/site/subscribe/").text)
        response = busy.request(
            "POST", "/site/subscribe/",
            urllib.parse.urlencode({"csrf_token": token, "email": f"busy{n}@example.org"}).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Origin": BASE, "Sec-Fetch-Site": "same-origin",
             "X-Forwarded-For": f"203.0.113.{n + 1}"},
        )
        statuses.append(response.status)
        if response.status == 429:
            break
    check(statuses[-1] == 429, f"{len(statuses)} subscribe posts from 127.0.0.2 (each with a forged X-Forwarded-For) were never limited: {statuses}")
    check(set(statuses[:-1]) <= {303}, f"unexpected answers to the subscribe posts: {statuses}")
    # Round robin spread the posts over web1 and web2; the limit (5 an hour) is counted in
    # Redis, so together they allow what one would.
    check(len(statuses) - 1 == 5, f"expected 5 posts accepted across both instances, got {len(statuses) - 1}: {statuses}")
    retry_after = int(response.headers.get("Retry-After", "0"))
    check(0 < retry_after <= 3600, f"the 429 has no usable Retry-After: {response.headers.get('Retry-After')!r}")
    info(f"client 127.0.0.2: 5 posts accepted across web1 and web2, then 429 with Retry-After {retry_after} s (forged X-Forwarded-For ignored)")
    other = Browser("other client", source="127.0.0.3")
    response = other.post("/site/subscribe/", {"email": "other@example.org"})
    check(response.status == 303, f"then a post from another client (127.0.0.3) was refused: {response}")
    info("client 127.0.0.3: accepted (the app tells clients apart by X-Forwarded-For)")


def direct_home_status(port: str, cookie: str) -> int:
    """GET / straight from one web process (not through haproxy) with a session cookie."""
    connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=5)
    connection.request("GET", "/", headers={"Cookie": f"folio_session={cookie}", "X-Forwarded-Proto": "https"})
    status = connection.getresponse().status
    connection.close()
    return status


def step_shared_sessions() -> None:
    # A session made through the load balancer is known to both web processes (it lives in
    # Redis; each serves it from memory after the first read), and signing out through the load
    # balancer ends it on both within a second: the one that served the sign-out deletes it, the
    # other hears of it on the Redis channel.
    bea = Browser("bea")
    redirected(bea.post("/signup/", {"email": BEA, "password": ADA_PASSWORD, "repeat_password": ADA_PASSWORD}),
               "/signin/", "sign up")
    bea.sign_in(BEA, ADA_PASSWORD)
    cookie = next((c.value for c in bea.jar if c.name == "folio_session"), None)
    check(cookie, "no session cookie after signing in")
    ports = STACK["STACK_WEB_PORTS"].split()
    for _ in range(2):  # the second read is served from each process's memory
        statuses = {port: direct_home_status(port, cookie) for port in ports}
        check(set(statuses.values()) == {200}, f"the session is not known to every web process: {statuses}")
    info(f"one session, signed in on web {ports[0]} and {ports[1]} alike")
    # The header's "Sign out" button: a POST with the page's form token.
    response = bea.post("/signout/", {}, csrf_from="/")
    check(response.status in (302, 303), f"sign out: {response}")
    started = time.monotonic()
    eventually("both web processes refuse the ended session",
               lambda: all(direct_home_status(port, cookie) == 302 for port in ports), timeout=1.0, interval=0.01)
    info(f"signed out through haproxy; both web processes refused the old cookie after {(time.monotonic() - started) * 1000:.0f} ms")
    # Settings -> Sessions: a laptop ends the phone's session by its handle (a digest of the
    # cookie, never the cookie), and both web processes refuse the phone at once.
    laptop, phone = Browser("bea's laptop"), Browser("bea's phone")
    laptop.sign_in(BEA, ADA_PASSWORD)
    phone.sign_in(BEA, ADA_PASSWORD)
    phone_cookie = next(c.value for c in phone.jar if c.name == "folio_session")
    listed = laptop.get("/settings/sessions/").text
    handles = re.findall(r'name="session" value="([0-9a-f]{16})"', listed)
    check(len(handles) == 2, f"the sessions page lists {len(handles)} sessions, expected 2")
    check(phone_cookie not in listed, "the sessions page shows a session cookie")
    phone_handle = hashlib.sha256(phone_cookie.encode()).hexdigest()[:16]
    check(phone_handle in handles, "the phone's session is not on the laptop's list")
    response = laptop.post("/settings/sessions/end/", {"session": phone_handle}, csrf_from="/settings/sessions/")
    redirected(response, "/settings/sessions/", "end the phone's session")
    eventually("both web processes refuse the phone's ended session",
               lambda: all(direct_home_status(port, phone_cookie) == 302 for port in ports), timeout=1.0, interval=0.01)
    laptop_cookie = next(c.value for c in laptop.jar if c.name == "folio_session")
    check(all(direct_home_status(port, laptop_cookie) == 200 for port in ports),
          "ending the phone's session signed the laptop out")
    info("Settings -> Sessions listed 2 browsers; ending the phone's refused it on both web processes")


def commands_in_help(*args: str) -> list[str]:
    result = folio(*args, "--help")
    check(result.returncode == 0, f"folio {' '.join(args)} --help exited with {result.returncode}")
    section = result.stdout.split("Commands:", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in section.splitlines() if line.strip() and line.split()[0] != "help"]


# Every table `folio backup` carries (crates/folio/tests/backup.rs fails when one is missing).
TABLES = ["users", "pads", "notes", "sessions", "password_resets", "api_tokens", "categories", "items",
          "images", "subscribers", "deliveries", "contact_messages", "email_suppressions", "jobs", "audit_log"]


def psql(url: str, query: str) -> str:
    result = subprocess.run(["psql", url, "-qAtX", "-c", query], capture_output=True, text=True, timeout=60)
    check(result.returncode == 0, f"psql {query!r}: {result.stderr.strip()}")
    return result.stdout.strip()


def objects_under(prefix: str) -> dict[str, str]:
    """Relative path -> SHA-256 of every object under `prefix` in the stack's bucket."""
    root = STACK_DIR / "s3" / STACK["STACK_BUCKET"] / prefix
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")}


def step_backup_restore() -> None:
    """An online backup of the running stack (PostgreSQL as the app role, media in S3), then a
    restore into a new database and an empty prefix of the bucket, as the database owner."""
    archive = STACK_DIR / "backup.tar.gz"
    result = folio("backup", "-o", str(archive))
    show(result)
    check(result.returncode == 0, f"folio backup exited with {result.returncode}")
    target_db = f"{STACK['FOLIO_DATABASE_URL'].rsplit('/', 1)[1]}_restored"
    owner = STACK["STACK_PG_URL"]
    psql(f"{owner}/postgres", f'create database "{target_db}"')
    try:
        storage = STACK["FOLIO_STORAGE_URL"].replace(f"/{STACK['STACK_BUCKET']}/media?", f"/{STACK['STACK_BUCKET']}/restored?")
        result = folio("restore", str(archive), env=folio_env(FOLIO_DATABASE_URL=f"{owner}/{target_db}",
                                                              FOLIO_STORAGE_URL=storage))
        show(result)
        check(result.returncode == 0, f"folio restore exited with {result.returncode}")
        source_db = STACK["FOLIO_DATABASE_URL"].rsplit("/", 1)[1]
        differ = []
        for table in TABLES:
            before = psql(f"{owner}/{source_db}", f"select count(*) from {table}")
            after = psql(f"{owner}/{target_db}", f"select count(*) from {table}")
            if before != after:
                differ.append(f"{table}: {before} -> {after}")
        # Rows written after the snapshot (the worker, sessions) may differ: the archive's own
        # manifest is the reference, and every table must match it.
        manifest = json.loads(tarfile.open(archive).extractfile("manifest.json").read())
        restored = {t["name"]: psql(f"{owner}/{target_db}", f"select count(*) from {t['name']}")
                    for t in manifest["tables"]}
        check(all(str(t["rows"]) == restored[t["name"]] for t in manifest["tables"]),
              f"restored rows equal the manifest's counts: {restored}")
        check(set(restored) == set(TABLES), f"the archive has every table: {sorted(restored)}")
        info("rows per table restored: " + ", ".join(f"{name} {n}" for name, n in restored.items()))
        if differ:
            info(f"(changed in the source since the snapshot: {', '.join(differ)})")
        source, copy = objects_under("media"), objects_under("restored")
        check(copy and copy == source, f"the restored objects are the source's, byte for byte "
                                       f"({len(copy)} of {len(source)})")
        info(f"{len(copy)} media objects restored into the S3 prefix 'restored', identical to the source's")
        state["ran"].update({"backup", "restore"})
    finally:
        psql(f"{owner}/postgres", f'drop database if exists "{target_db}" with (force)')


def step_every_command() -> None:
    ran = set(state.get("ran", set()))
    if (STACK_DIR / "run" / "migrate.status").read_text().strip() == "0":
        ran.add("migrate")  # stack.sh start runs it before any process starts
    if served_requests("web1") and served_requests("web2"):
        ran.add("serve")
    if any(line.get("message") == "job done" for line in json_lines("worker")):
        ran.add("worker")
    commands = commands_in_help()
    for command in commands:
        subcommands = commands_in_help(command) if command == "admin" else []
        for full in [f"{command} {s}" for s in subcommands] or [command]:
            check(full in ran, f"`folio {full}` (listed by --help) was not run by this test")
            info(f"folio {full}: ran")


# Each: the variable, and values that must be refused at start with one line naming it.
BAD_VALUES = {
    "FOLIO_DATABASE_URL": ["mongodb://127.0.0.1/folio", "127.0.0.1:5432/folio"],
    "FOLIO_DATABASE_AUTH": ["kerberos", "IAM "],
    "FOLIO_EMAIL_URL": ["gopher://127.0.0.1", "smtp://", "smtp://127.0.0.1:notaport", "smtps://:465"],
    "FOLIO_STORAGE_URL": ["ftp://bucket/media", "s3://", "media"],
    "FOLIO_BASE_URL": ["127.0.0.1:61443", "https://", "ftp://example.org"],
    "FOLIO_MEDIA_BASE_URL": ["cdn.example.org/media", "https://cdn.example.org/media?v=1"],
    "FOLIO_CACHE_URL": ["memcached://127.0.0.1", "redis://", "redis://127.0.0.1:61479/not-a-number"],
    "FOLIO_CACHE_PREFIX": ["folio prod", ""],
}


def step_bad_values() -> None:
    problems = []
    for variable, values in BAD_VALUES.items():
        for value in values:
            result = folio("check", env=folio_env(**{variable: value}))
            lines = (result.stdout + result.stderr).splitlines()
            verdict = "ok"
            if result.returncode in (101, 134) or any("panicked" in line for line in lines):
                verdict = f"PANIC (exit {result.returncode})"
            elif result.returncode != 2:
                verdict = f"exit {result.returncode}, expected 2"
            elif len(lines) != 1 or not lines[0].startswith(f"error: {variable}"):
                verdict = f"expected one line 'error: {variable}…'"
            first = lines[0] if lines else "(no output)"
            info(f"{variable}={value!r}: {verdict}: {first[:110]}")
            if verdict != "ok":
                problems.append(f"{variable}={value!r}: {verdict}\n" + "\n".join(f"      | {l}" for l in lines[:8]))
    check(not problems, "bad values not refused cleanly:\n  " + "\n  ".join(problems))


STEPS = [
    ("folio check passes with the stack's configuration", step_check),
    ("sign up, sign in (cookie flags, HSTS), a pad and a note", step_notes),
    ("forgot password: the link arrives by mail, a new password works", step_reset),
    ("folio admin create-user --staff, then sign in as staff", step_staff),
    ("admin: category, item with a JPEG, published; the worker's renditions in S3", step_admin_images),
    ("readers subscribe and confirm; a new item's notification arrives; one-click unsubscribe", step_subscribers),
    ("scheduled publishing: the worker publishes and notifies at the set time, not before", step_scheduled),
    ("SES bounce through SNS: forged ones refused, a signed one suppresses the address", step_ses_bounce),
    ("client address through the proxy; both web instances served; limits shared", step_client_address),
    ("one session on both web processes (Redis); a sign-out, or ending it from Settings -> Sessions, ends it on both within 1 s", step_shared_sessions),
    ("folio backup of the running stack, restored into a new database and an empty S3 prefix", step_backup_restore),
    ("every command of the binary ran in this configuration", step_every_command),
    ("bad *_URL values: one 'error: VARIABLE' line and exit 2, never a panic", step_bad_values),
]


def main(argv: list[str]) -> int:
    global mailbox
    mailbox = Mailbox()
    only = {int(a) for a in argv}
    print(f"driver: mail mode STACK_MAIL={mailbox.mode} ({STACK['FOLIO_EMAIL_URL']})", flush=True)
    for number, (title, run) in enumerate(STEPS, start=1):
        if only and number not in only:
            continue
        print(f"\n==> {number}. {title}", flush=True)
        started = time.monotonic()
        try:
            run()
        except Failed as err:
            print(f"\nE2E STEP {number} FAILED (STACK_MAIL={mailbox.mode}): {title}\n  {err}", flush=True)
            return 1
        except Exception as err:  # a crash of the driver itself is a failure of the step too
            print(f"\nE2E STEP {number} FAILED (STACK_MAIL={mailbox.mode}): {title}\n  {type(err).__name__}: {err}",
                  flush=True)
            raise
        print(f"    ok ({time.monotonic() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
