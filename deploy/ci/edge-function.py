#!/usr/bin/env python3
"""Builds, checks and tests the edge module's Lambda@Edge package.

  deploy/ci/edge-function.py          write modules/edge/files/failover-response.zip
  deploy/ci/edge-function.py --check  fail unless the committed zip is exactly what its sources
                                      build (platform-checks.sh), then run the handler's tests

There is no archive provider in the offline provider mirror, so the zip is committed. It is built
reproducibly (fixed order, timestamps and modes, stored without compression, so no zlib version
can change a byte), which is what lets the check compare bytes.
"""

import importlib.util
import io
import json
import os
import sys
import zipfile

FILES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "terraform", "modules", "edge", "files")
ZIP_PATH = os.path.join(FILES_DIR, "failover-response.zip")
SOURCES = ("failover.html", "failover_response.py")  # the handler reads failover.html beside it


def build():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name in sorted(SOURCES):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, whatever machine builds it
            with open(os.path.join(FILES_DIR, name), "rb") as source:
                archive.writestr(info, source.read())
    return buffer.getvalue()


def event(uri, status):
    return {"Records": [{"cf": {"request": {"uri": uri, "method": "GET"},
                                "response": {"status": status, "statusDescription": "x",
                                             "headers": {"x-origin": [{"key": "X-Origin", "value": "alb"}]}}}}]}


def test(package):
    """The handler as Lambda runs it: imported from the extracted package."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        zipfile.ZipFile(io.BytesIO(package)).extractall(tmp)
        spec = importlib.util.spec_from_file_location("failover_response", os.path.join(tmp, "failover_response.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    handler = module.handler
    html = open(os.path.join(FILES_DIR, "failover.html"), encoding="utf-8").read()
    checks = 0
    for status in ("502", "503", "504"):
        r = handler(event("/api/v1/notes", status), None)
        assert r["status"] == "503", r
        assert r["headers"]["content-type"][0]["value"] == "application/json", r
        assert json.loads(r["body"])["error"]["status"] == 503, r
        assert r["headers"]["retry-after"][0]["value"].isdigit() and r["headers"]["cache-control"][0]["value"] == "no-store", r
        for uri in ("/", "/notes/12", "/signin/", "/apiary", "/static/app.css"):
            r = handler(event(uri, status), None)
            assert r["status"] == "503" and r["body"] == html, (uri, r)
            assert r["headers"]["content-type"][0]["value"].startswith("text/html"), r
        checks += 2
    assert handler(event("/api", "503"), None)["headers"]["content-type"][0]["value"] == "application/json"
    for status in ("200", "302", "404", "500"):
        for uri in ("/api/v1/notes", "/"):
            r = handler(event(uri, status), None)
            assert r["status"] == status and "body" not in r and "x-origin" in r["headers"], r
            checks += 1
    return checks + 1


def main():
    package = build()
    if sys.argv[1:] == ["--check"]:
        with open(ZIP_PATH, "rb") as committed:
            if committed.read() != package:
                sys.exit(f"{ZIP_PATH} does not match its sources: run deploy/ci/edge-function.py and commit it")
        print(f"failover-response.zip matches {', '.join(SOURCES)}; handler: {test(package)} checks passed")
    elif not sys.argv[1:]:
        with open(ZIP_PATH, "wb") as out:
            out.write(package)
        print(f"wrote {ZIP_PATH} ({len(package)} bytes)")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
