#!/usr/bin/env python3
"""Runs schemathesis against the JSON API of the running local stack (see api-contract.sh).

    api_contract.py REPORT_DIR

Two people make a read and write token each in Settings, as a person would: a staff member
(made by `folio admin create-user --staff`, as an operator does), so the site's staff operations
are exercised too, and a person who signed up through the pages. Schemathesis then runs every
phase (examples, coverage, fuzzing, stateful) with every check on /api/openapi.json,
authenticated as the staff member; the second person's note must be untouched at the end (no
request of the first reached it). Prints schemathesis' summary and
exits with its status (non-zero on any failure).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import traffic

EXAMPLES = int(os.environ.get("API_CONTRACT_EXAMPLES", "40"))


def create_staff(settings: dict[str, str], email: str) -> None:
    """`folio admin create-user --staff` with the stack's configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOLIO_")}
    env.update(settings)
    result = subprocess.run([settings["STACK_BIN"], "admin", "create-user", "--email", email, "--staff"],
                            input=traffic.PASSWORD + "\n", env=env, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise SystemExit(f"folio admin create-user failed ({result.returncode}): {result.stderr[-2000:]}")


def person_with_token(settings: dict[str, str], tally: traffic.Tally, email: str,
                      staff: bool = False) -> tuple[traffic.Client, str]:
    client = traffic.Client(email, "127.0.0.1", settings, tally)
    if staff:
        create_staff(settings, email)
    else:
        client.post_form("/signup/", {"email": email, "password": traffic.PASSWORD,
                                      "repeat_password": traffic.PASSWORD}, (303,))
    traffic.sign_in(client, email)
    _, _, page = client.post_form("/settings/tokens/", {"name": "api contract", "scope": "write", "expires": "7"},
                                  (201,), signed_in=True)
    found = re.search(r"folio_pat_[0-9a-f]{64}", page)
    if not found:
        raise SystemExit("the token page showed no token")
    return client, found.group(0)


def png(width: int, height: int) -> bytes:
    import io
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(out, "PNG")
    return out.getvalue()


def api(settings: dict[str, str], token: str, method: str, path: str, body: dict | bytes | None = None) -> tuple[int, dict]:
    """One API request with `token`, outside schemathesis: set-up and the final check. A bytes
    body is sent as an image upload (multipart/form-data, part `image`)."""
    import http.client
    import ssl
    import urllib.parse
    base = urllib.parse.urlsplit(settings["FOLIO_BASE_URL"])
    conn = http.client.HTTPSConnection(base.hostname, base.port, timeout=10,
                                       context=ssl.create_default_context(cafile=settings["STACK_CA_FILE"]))
    headers = {"Authorization": f"Bearer {token}"}
    payload = None
    if isinstance(body, bytes):
        boundary = "folio-contract-boundary"
        payload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
                   "Content-Type: image/png\r\n\r\n").encode() + body + f"\r\n--{boundary}--\r\n".encode()
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    text = response.read()
    conn.close()
    return response.status, (json.loads(text) if text else {})


def main(report_dir: str) -> int:
    settings = traffic.stack_settings()
    tally = traffic.Tally()
    _, token = person_with_token(settings, tally, "fuzzer@example.org", staff=True)
    _, other_token = person_with_token(settings, tally, "bystander@example.org")
    status, other_note = api(settings, other_token, "POST", "/api/v1/notes",
                             {"name": "Not yours", "text": "Schemathesis must not reach this."})
    if status != 201:
        raise SystemExit(f"could not create the bystander's note: {status} {other_note}")
    # Something to read, change and delete from the start (the stateful phase makes its own).
    status, pad = api(settings, token, "POST", "/api/v1/pads", {"name": "Fuzzed pad"})
    if status != 201:
        raise SystemExit(f"could not create a pad: {status} {pad}")
    status, category = api(settings, token, "POST", "/api/v1/categories", {"name": "Fuzzed category"})
    if status != 201:
        raise SystemExit(f"could not create a category: {status} {category}")
    status, item = api(settings, token, "POST", "/api/v1/items",
                       {"title": "Fuzzed item", "category_id": category["id"], "summary": "To fuzz"})
    if status != 201:
        raise SystemExit(f"could not create an item: {status} {item}")
    # An image through the API into the stack's S3, as the admin panel stores one.
    status, pictured = api(settings, token, "PUT", f"/api/v1/items/{item['id']}/image", png(320, 200))
    if status != 200 or not pictured.get("image"):
        raise SystemExit(f"could not upload an item's image: {status} {pictured}")
    print(f"uploaded an item's image through the API: {pictured['image']['width']}x{pictured['image']['height']}",
          flush=True)

    reports = Path(report_dir)
    reports.mkdir(parents=True, exist_ok=True)
    venv_bin = Path(sys.executable).parent
    command = [
        str(venv_bin / "schemathesis"), "--config-file", str(traffic.ROOT / "deploy" / "local" / "schemathesis.toml"),
        "run", f"{settings['FOLIO_BASE_URL']}/api/openapi.json",
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(EXAMPLES),
        "--header", f"Authorization: Bearer {token}",
        "--tls-verify", settings["STACK_CA_FILE"],
        "--request-timeout", "10",
        "--report", "junit", "--report-dir", str(reports),
        "--no-color",
    ]
    print("$ " + " ".join("Authorization: Bearer folio_pat_…" if part.startswith("Authorization:") else part
                          for part in command), flush=True)
    result = subprocess.run(command, cwd=reports)

    status, seen = api(settings, other_token, "GET", f"/api/v1/notes/{other_note['id']}")
    if status != 200 or seen.get("text") != other_note["text"]:
        print(f"the bystander's note changed or went: {status} {seen}")
        return 1
    print("the bystander's note is untouched")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
