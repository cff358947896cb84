"""Lambda@Edge, origin response, on the CloudFront behaviours that reach the ALB (edge module).

When the origin fails (502, 503, 504; CloudFront also runs origin-response functions on the
errors it generates itself when the origin cannot be reached or times out), the viewer gets a
503 that fits the client: API clients (paths under /api/) a JSON body, everything else the
failover page (failover.html, packaged beside this file; the same file CloudFront's custom
error responses serve from S3). Every other response passes through untouched.

CloudFront's custom error responses are per distribution, not per path, and CloudFront Functions
do not run on origin responses, so this is the one place that knows the request's path and sees
the origin's error. Built into failover-response.zip by deploy/ci/edge-function.py.
"""

import json
import os

FAILOVER_STATUSES = frozenset(("502", "503", "504"))
RETRY_AFTER_SECONDS = "30"

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "failover.html"), encoding="utf-8") as page:
    FAILOVER_HTML = page.read()

API_BODY = json.dumps(
    {"error": {"status": 503, "code": "service_unavailable",
               "message": "Folio is briefly unavailable. Please retry shortly."}},
    separators=(",", ":"),
)


def is_api(uri):
    return uri == "/api" or uri.startswith("/api/")


def handler(event, _context):
    cf = event["Records"][0]["cf"]
    response = cf["response"]
    if str(response.get("status")) not in FAILOVER_STATUSES:
        return response
    api = is_api(cf["request"]["uri"])
    response["status"] = "503"
    response["statusDescription"] = "Service Unavailable"
    # The origin's headers describe the origin's error body, which is replaced; a failover
    # response must not be stored by browsers or shared caches.
    response["headers"] = {
        "content-type": [{"key": "Content-Type",
                          "value": "application/json" if api else "text/html; charset=utf-8"}],
        "cache-control": [{"key": "Cache-Control", "value": "no-store"}],
        "retry-after": [{"key": "Retry-After", "value": RETRY_AFTER_SECONDS}],
    }
    response["bodyEncoding"] = "text"
    response["body"] = API_BODY if api else FAILOVER_HTML
    return response
