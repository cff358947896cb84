#!/usr/bin/env python3
"""Faults on the local production-like stack (deploy/local/stack.sh), each under load, each
printing what it checked and its figures. The stack gets a PostgreSQL server of its own (a
private cluster on 127.0.0.1:$FAULTS_PG_PORT, initdb'd for the run), so that restarting it
touches nothing else on the machine.

    deploy/local/faults.py [s3] [redis] [postgres] [worker]     (default: all, in this order)

  s3        the S3 server is stopped, then staff save an item with an image: the form comes back
            with a clear message, and no item, image row or object is left; with S3 back, the
            same save works.
  redis     Redis is restarted (a planned restart: SHUTDOWN SAVE, 5 s down, started again on its
            data) under traffic: anonymous pages never fail, signed-in requests are refused with
            503 only while it is down, nobody is signed out, and service is back within 2 s.
  postgres  PostgreSQL is stopped for 10 s under write traffic: every write the app
            acknowledged is in the database afterwards, /readyz answers 503 while it is down,
            the app serves again within 2 s of its return, and no failure is a 500.
  worker    the worker is killed with SIGKILL in the middle of a 10,000-subscriber fan-out and
            started again: the SMTP server receives no address twice; deliveries left `sending`
            (their fate unknown) are listed on the item's admin page, and staff resend them on
            purpose, after which every subscriber has the email.

Settings: STACK_* as for stack.sh (STACK_BIN, STACK_DIR, ports); FAULTS_PG_PORT (61432).
Exits 1 on the first failed check, after stopping everything it started.
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import traffic  # noqa: E402  (the drills' traffic and HTTP client)

ROOT = Path(__file__).resolve().parents[2]
STACK_SH = str(ROOT / "deploy" / "local" / "stack.sh")
STACK_DIR = traffic.STACK_DIR
PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "61432"))
STAFF = "staff@faults.test"
STAFF_PASSWORD = "faults-" + os.urandom(8).hex()
SUBSCRIBERS = 10_000
# haproxy takes an instance back after 2 good checks 1 s apart (stack.sh: inter 1s rise 2).
PROXY_RISE_SECS = 2


class Failed(Exception):
    pass


def say(message: str) -> None:
    print(f"[faults] {message}", flush=True)


def check(condition: object, message: str) -> None:
    if not condition:
        raise Failed(message)
    say(f"  ok: {message}")


def stack(*args: str) -> str:
    result = subprocess.run([STACK_SH, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise Failed(f"stack.sh {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


# --- a PostgreSQL of the stack's own ----------------------------------------------------------

class Postgres:
    """A private cluster: initdb into a temporary directory, pg_ctl to start and stop it. As
    root, it runs as the `postgres` user (the server refuses to run as root)."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        if not bins:
            raise Failed("no PostgreSQL server binaries under /usr/lib/postgresql")
        self.bin = bins[-1]
        self.dir = Path(tempfile.mkdtemp(prefix="folio-faults-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.url = f"postgres://postgres@127.0.0.1:{PG_PORT}"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise Failed(f"{' '.join(args[:2])}: {result.stdout}{result.stderr}")

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o",
                  f"-p {PG_PORT} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=on", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def ready(self) -> bool:
        return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(PG_PORT)]).returncode == 0

    def remove(self) -> None:
        if self.ready():
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def sql(query: str) -> str:
    """A query on the stack's database, as its owner."""
    database = (STACK_DIR / "run" / "database").read_text().strip()
    result = subprocess.run(["psql", f"postgres://postgres@127.0.0.1:{PG_PORT}/{database}", "-qAtX", "-c", query],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise Failed(f"psql: {result.stderr}")
    return result.stdout.strip()


# --- helpers ------------------------------------------------------------------------------------

def settings() -> dict[str, str]:
    return traffic.stack_settings()


def staff_client() -> traffic.Client:
    """Staff, signed in on a new connection (one left idle past the proxy's client timeout
    would be closed under the next request)."""
    client = traffic.Client("staff", "127.0.30.1", settings(), traffic.Tally())
    client.post_form("/signin/", {"email": STAFF, "password": STAFF_PASSWORD, "next": ""}, (303,))
    return client


def staff_page(staff: traffic.Client, path: str) -> str:
    """A page staff open, which must answer 200."""
    try:
        return staff.expect("GET", path, (200,))[2]
    except traffic.Unexpected:
        raise Failed(f"GET {path}: {staff.tally.failures[-1]['detail']}") from None


def run_traffic(name: str, network: int, people: int = 6, readers: int = 3) -> subprocess.Popen:
    """traffic.py in the background; `network`: its visitors' addresses are 127.<network>.x.y,
    so each run's visitors are new to the per-client limits (which outlive a run)."""
    report = STACK_DIR / f"faults-{name}.json"
    report.unlink(missing_ok=True)
    return subprocess.Popen([sys.executable, str(ROOT / "deploy" / "local" / "traffic.py"), "--report", str(report),
                             "--people", str(people), "--readers", str(readers), "--network", str(network)])


def stop_traffic(process: subprocess.Popen, name: str) -> dict:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    return json.loads((STACK_DIR / f"faults-{name}.json").read_text())


class Probe:
    """Polls one web instance's /readyz directly (not through haproxy) every 100 ms, in a
    thread, keeping (time, status)."""

    def __init__(self, port: str) -> None:
        self.url = f"http://127.0.0.1:{port}/readyz"
        self.seen: list[tuple[float, int]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while not self.stopping.is_set():
            try:
                with opener.open(self.url, timeout=2) as response:
                    status = response.status
            except urllib.error.HTTPError as err:
                status = err.code
            except OSError:
                status = 0
            # When the answer came: a probe sent while the database is down may wait for it
            # (up to /readyz's 800 ms) and answer 200 once it is back.
            self.seen.append((time.time(), status))
            self.stopping.wait(0.1)

    def stop(self) -> list[tuple[float, int]]:
        self.stopping.set()
        self.thread.join()
        return self.seen


def first_after(times: list[float], moment: float) -> float | None:
    later = [t for t in times if t >= moment]
    return min(later) if later else None


def clock(moment: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(moment)) + f".{int(moment * 10) % 10}"


# --- the faults -----------------------------------------------------------------------------

def jpeg() -> bytes:
    from PIL import Image  # from the stack's venv, which runs this script

    out = io.BytesIO()
    Image.new("RGB", (1200, 800), (40, 90, 160)).save(out, "JPEG", quality=85)
    return out.getvalue()


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = f"----folio-faults-{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content_type, data) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# What a browser sends for a file input left empty.
NO_FILE = ("", "application/octet-stream", b"")


def post_multipart(staff: traffic.Client, path: str, fields: dict, files: dict) -> tuple[int, dict, str]:
    """Posts the form at `path` as a browser does with a file input: its CSRF token first."""
    token = staff.form_token(path)
    answer = staff.send("POST", path, encoded=multipart({"csrf_token": token, **fields}, files))
    if answer is None:
        raise Failed(f"POST {path}: {staff.tally.failures[-1]['detail']}")
    return answer


def save_item(staff: traffic.Client, category: str, title: str, image: bytes | None, status: str = "draft"):
    """Posts the admin's add-item form; returns (status, headers, body)."""
    fields = {"title": title, "slug": "", "category": category, "summary": f"{title}.", "body": f"{title}.",
              "status": status}
    return post_multipart(staff, "/admin/items/add/", fields, {"image": ("photo.jpg", "image/jpeg", image) if image
                                                                 else NO_FILE})


def objects_in_bucket() -> int:
    bucket = STACK_DIR / "s3" / settings()["STACK_BUCKET"]
    return sum(1 for p in bucket.rglob("*") if p.is_file() and not p.name.startswith("."))


def fault_s3(category: str) -> None:
    say("== s3: the S3 server stopped while staff save an item with an image")
    staff = staff_client()
    items, images, objects = sql("select count(*) from items"), sql("select count(*) from images"), objects_in_bucket()
    say(stack("end", "s3").strip())
    started = time.time()
    status, _, body = save_item(staff, category, "Saved while S3 was down", jpeg())
    took = time.time() - started
    say(f"  the save answered {status} in {took:.2f} s")
    check(status == 422, f"the form came back (422), not a 5xx: {status}")
    check("The image could not be stored" in body, "the image field says the image could not be stored")
    check('value="Saved while S3 was down"' in body, "the typed title is kept in the form")
    check((sql("select count(*) from items"), sql("select count(*) from images"), objects_in_bucket())
          == (items, images, objects), f"nothing half-stored: {items} items, {images} image rows, {objects} objects as before")
    say(stack("run", "s3").strip().splitlines()[-1])
    status, headers, _ = save_item(staff, category, "Saved once S3 was back", jpeg())
    check(status == 303, f"with S3 back the same save works (303 to {headers.get('location')})")
    check(objects_in_bucket() > objects, f"the image is in the bucket ({objects_in_bucket() - objects} new object(s))")


def fault_redis() -> None:
    say("== redis: a planned Redis restart (SHUTDOWN SAVE, 5 s down) under traffic")
    load = run_traffic("redis", network=1)
    time.sleep(5)
    env = {**os.environ, "REDISCLI_AUTH": settings()["FOLIO_CACHE_URL"].split(":")[2].split("@")[0]}
    port = settings()["STACK_REDIS_PORT"]
    down = time.time()
    subprocess.run(["redis-cli", "-p", port, "shutdown", "save"], env=env, capture_output=True)
    time.sleep(5)
    say(stack("run", "redis").strip().splitlines()[-1])
    back = time.time()
    time.sleep(8)
    report = stop_traffic(load, "redis")
    failures = [f for f in report["failures"] if f["kind"] == "failed"]
    say(f"  traffic: {report['sent']} requests, {report['ok']} ok, {report['failed']} failed, "
        f"{report['signed_out']} signed out; Redis down {clock(down)} to {clock(back)}")
    reader_failures = [f for f in failures if f["who"].startswith("reader")]
    check(not reader_failures, f"anonymous site pages never failed ({len(reader_failures)} failures)")
    outside = [f for f in failures if not (down - 0.5 <= f["at"] <= back + 2)]
    check(not outside, f"every failure fell while Redis was down, or within 2 s of its return: {outside[:3]}")
    not_503 = [f for f in failures if not f["detail"].startswith("status 503")]
    check(not not_503, f"every refusal was a 503 with nothing changed ({len(failures)} of them): {not_503[:3]}")
    check(report["signed_out"] == 0, "nobody was signed out (sessions came back with Redis's data)")
    ok_after = [w["at"] for w in report["writes"]]
    first = first_after(ok_after, back)
    check(first is not None and first - back <= 2, f"the first note written after Redis returned: "
          f"{(first - back) if first else float('nan'):.2f} s after")


def fault_postgres(pg: Postgres) -> None:
    say("== postgres: PostgreSQL stopped for 10 s under write traffic")
    load = run_traffic("postgres", network=2)
    web1 = settings()["STACK_WEB_PORTS"].split()[0]
    probe = Probe(web1)
    time.sleep(5)
    stopping = time.time()
    pg.stop()  # a fast shutdown: returns once the server is down (it takes a moment under load)
    down = time.time()
    time.sleep(10)
    restarting = time.time()
    pg.start()
    back = time.time()
    time.sleep(8)
    report = stop_traffic(load, "postgres")
    readiness = probe.stop()
    say(f"  traffic: {report['sent']} requests, {report['ok']} ok, {report['failed']} failed, "
        f"{report['signed_out']} signed out, {report['acknowledged_writes']} notes acknowledged; "
        f"PostgreSQL stopping from {clock(stopping)}, down {clock(down)} to {clock(back)}")
    # Up to `restarting`: the server may accept connections before `pg_ctl start` returns.
    during = [status for at, status in readiness if down <= at <= restarting]
    check(during and all(status == 503 for status in during),
          f"/readyz answered 503 while the database was down ({len(during)} probes: {sorted(set(during))})")
    ready_again = first_after([at for at, status in readiness if status == 200], back)
    check(ready_again is not None and ready_again - back <= 2,
          f"/readyz 200 again {(ready_again - back) if ready_again else float('nan'):.2f} s after the database returned")
    # Through haproxy, writes wait for it to see two good checks a second apart as well.
    first_write = first_after([w["at"] for w in report["writes"]], back)
    check(first_write is not None and first_write - back <= 2 + PROXY_RISE_SECS,
          f"first acknowledged write through haproxy {(first_write - back) if first_write else float('nan'):.2f} s "
          f"after the database returned (allowed: 2 s + haproxy's {PROXY_RISE_SECS} s to see the app ready)")
    failures = [f for f in report["failures"] if f["kind"] == "failed"]
    outside = [f for f in failures if not (stopping <= f["at"] <= back + 2)]
    check(not outside, f"every failure fell in the outage or within 2 s of its end: {outside[:3]}")
    server_errors = [f for f in failures if f["detail"].startswith("status 500")]
    kinds = sorted({f["detail"][:10] for f in failures})
    check(not server_errors, f"no 500 among the {len(failures)} refused requests (kinds: {kinds})")
    names = [w["note"] for w in report["writes"]]
    stored = set(sql("select name from notes").splitlines())
    lost = [name for name in names if name not in stored]
    check(not lost, f"all {len(names)} acknowledged notes are in the database ({len(lost)} lost: {lost[:3]})")
    check(report["signed_out"] == 0, "nobody was signed out")


def smtp_messages(subject: str) -> dict[str, int]:
    """How many messages with `subject` each address received at the SMTP server."""
    received: dict[str, int] = {}
    for path in (STACK_DIR / "mail" / "new").glob("*"):
        with path.open("rb") as f:
            head = email.message_from_binary_file(f, policy=email.policy.default, _class=email.message.EmailMessage)
        if str(head["Subject"] or "") != subject:
            continue
        for address in head.get_all("Delivered-To", []):
            received[str(address).lower()] = received.get(str(address).lower(), 0) + 1
    return received


def delivery_states(item: str) -> dict[str, int]:
    rows = sql(f"select state, count(*) from deliveries where item_id = {int(item)} group by state")
    return {state: int(n) for state, n in (line.split("|") for line in rows.splitlines() if line)}


def settled_states(item: str) -> dict[str, int] | None:
    """The item's delivery states once no job is queued or running and none is pending; else
    None. The jobs are asked first: a delivery changes state only inside a running job, so states
    read after the jobs were seen idle are final. (Read the other way round, a job could finish
    between the two reads, and deliveries it had in flight would still be counted as sending.)"""
    if sql("select count(*) from jobs where state in ('queued', 'running')") != "0":
        return None
    states = delivery_states(item)
    return states if states.get("pending", 0) == 0 else None


def wait_for(what: str, probe, timeout: float, interval: float = 0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    raise Failed(f"timed out after {timeout:.0f} s waiting for {what}")


def fault_worker(category: str) -> None:
    say(f"== worker: SIGKILL in the middle of a {SUBSCRIBERS:,}-subscriber fan-out")
    sql(f"insert into subscribers (email, token, confirmed, created_at, confirmed_at) "
        f"select 'reader' || i || '@fanout.test', md5('t' || i || random()) || md5(random()::text), true, now(), now() "
        f"from generate_series(1, {SUBSCRIBERS}) as i")
    staff = staff_client()
    title = "Fan-out under a crash"
    status, headers, _ = save_item(staff, category, title, None, status="published")
    check(status == 303, "staff published an item")
    item = re.fullmatch(r"/admin/items/(\d+)/", headers["location"]).group(1)
    subject = wait_for("the first notification at the SMTP server",
                       lambda: next((s for s in {str(m) for m in subjects()} if title in s), None), 60)
    wait_for("2,000 notifications sent", lambda: delivery_states(item).get("sent", 0) >= 2000, 120, 0.1)
    pid = (STACK_DIR / "run" / "worker.pid").read_text().strip()
    os.kill(int(pid), signal.SIGKILL)
    killed = time.time()
    at_kill = delivery_states(item)
    say(f"  SIGKILL to the worker (pid {pid}) at {clock(killed)}: deliveries {at_kill}")
    stack("run", "worker")
    say("  worker started again; the killed worker's jobs come back when their lease (60 s) runs out")
    finished = wait_for("every delivery settled (none pending)", lambda: settled_states(item), 300, 1)
    took = time.time() - killed
    received = smtp_messages(subject)
    duplicates = {address: n for address, n in received.items() if n > 1}
    say(f"  settled {took:.0f} s after the kill: deliveries {finished}; the SMTP server received "
        f"{sum(received.values()):,} messages for {len(received):,} addresses")
    check(not duplicates, f"no address received the notification twice ({len(duplicates)} did)")
    sending = finished.get("sending", 0)
    check(finished.get("sent", 0) + sending + finished.get("failed", 0) == SUBSCRIBERS,
          f"every subscriber has a delivery: {finished}")
    check(finished.get("sent", 0) <= len(received) <= finished.get("sent", 0) + sending,
          "what the SMTP server received is what was marked sent, plus some of those in doubt")
    staff = staff_client()
    page = staff_page(staff, f"/admin/items/{item}/")
    shown = re.findall(r"<li>([a-z]+: \d+)</li>", page)
    check(f"sending: {sending}" in page,
          f"the item's admin page shows {sending} deliveries left sending (it lists {shown}; "
          f"the database now has {delivery_states(item)})")
    if sending == 0:
        say("  (the kill fell between two sends: no delivery was left in doubt this time)")
        return
    stuck_after = wait_for("the deliveries in doubt to be listed as stuck",
                           lambda: "Send them again" in staff_page(staff, f"/admin/items/{item}/"), 200, 2)
    staff = staff_client()
    check(stuck_after, "the admin lists the deliveries in doubt with a button to send them again")
    token = staff.form_token(f"/admin/items/{item}/")
    status, headers, _ = staff.expect("POST", f"/admin/items/{item}/deliveries/resend/", (303,),
                                      {"csrf_token": token})
    say(f"  staff resent the {sending} deliveries in doubt on purpose")
    final = wait_for("the resent deliveries sent",
                     lambda: (lambda s: s if s.get("sending", 0) == 0 and s.get("pending", 0) == 0 else None)(
                         delivery_states(item)), 120, 1)
    received = smtp_messages(subject)
    check(len(received) == SUBSCRIBERS, f"every subscriber received the notification: {len(received):,} addresses; {final}")
    twice = sum(1 for n in received.values() if n > 1)
    check(twice <= sending, f"only deliveries in doubt may have gone twice, as staff were warned ({twice} did)")


def subjects() -> list[str]:
    found = []
    for path in (STACK_DIR / "mail" / "new").glob("*"):
        with path.open("rb") as f:
            found.append(str(email.message_from_binary_file(f, policy=email.policy.default)["Subject"]))
    return found


# --- the run ----------------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    chosen = argv or ["s3", "redis", "postgres", "worker"]
    unknown = set(chosen) - {"s3", "redis", "postgres", "worker"}
    if unknown:
        print(f"unknown fault(s): {' '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    pg = Postgres()
    started = False
    try:
        pg.create()
        say(f"PostgreSQL of the run's own on 127.0.0.1:{PG_PORT} ({pg.dir})")
        os.environ["STACK_PG_URL"] = pg.url
        started = True
        print(stack("start"), end="")
        result = subprocess.run([traffic.stack_settings()["STACK_BIN"], "admin", "create-user", "--email", STAFF,
                                 "--staff"], input=STAFF_PASSWORD + "\n", capture_output=True, text=True,
                                env={**{k: v for k, v in os.environ.items() if not k.startswith("FOLIO_")},
                                     **settings()})
        if result.returncode != 0:
            raise Failed(f"folio admin create-user: {result.stderr}")
        staff = staff_client()
        status, headers, _ = post_multipart(staff, "/admin/categories/add/",
                                            {"name": "Faults", "slug": "", "summary": "Faults."}, {"image": NO_FILE})
        category = re.fullmatch(r"/admin/categories/(\d+)/", headers.get("location", ""))
        if status != 303 or not category:
            raise Failed(f"could not create a category: {status}")
        timings = []
        for fault in chosen:
            began = time.time()
            {"s3": lambda: fault_s3(category.group(1)), "redis": fault_redis, "postgres": lambda: fault_postgres(pg),
             "worker": lambda: fault_worker(category.group(1))}[fault]()
            timings.append(f"{fault} {time.time() - began:.0f} s")
        say(f"all faults survived ({', '.join(timings)})")
        return 0
    except (Failed, traffic.Unexpected) as failure:
        say(f"FAILED: {failure or 'an unexpected answer'}")
        if started:
            print(subprocess.run([STACK_SH, "logs", "20"], capture_output=True, text=True).stdout)
        return 1
    finally:
        if started:
            print(subprocess.run([STACK_SH, "stop"], capture_output=True, text=True).stdout, end="")
        pg.remove()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
