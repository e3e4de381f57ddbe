#!/usr/bin/env python3
"""Quota simulator: an HTTP proxy in front of the emulator that enforces AWS's request-rate quotas.

    quota_proxy.py --upstream http://127.0.0.1:PORT [--port P] [--scale S] [--table FILE]

Every request is named ``service:Operation`` (the service from the SigV4 credential scope; the
operation from ``X-Amz-Target`` for JSON protocols, ``Action=`` for query protocols, and the
method and path for the REST ones: Lambda, API Gateway v2, CloudFront, S3), then drawn from the
token bucket of its quota family: a bucket holds ``burst`` requests and refills at ``per_second``
(both times ``--scale``), as in ``quota_table.json`` (hover's own table, written from
``src/live/quota.rs``). Beyond that the proxy answers the service's own throttling error in the
service's wire format, as AWS does, and the request never reaches the emulator. Operations the
table does not name pass unthrottled and are reported as unclassified.

    GET  /quota-proxy/stats  -> {"allowed": {op: n}, "throttled": {op: n}, "unclassified": {op: n},
                                 "families": {op: family}, "log": [[start, end, op, status], ...]}
    POST /quota-proxy/reset  -> the same, then every bucket full and every count zero

The ``log`` holds each request's start and end (seconds since the Unix epoch), for timing what a
client does after a given answer.

When it is ready it prints ``quota proxy listening on http://127.0.0.1:P`` on standard output.
"""
import argparse
import http
import http.client
import http.server
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = "/quota-proxy/"

# REST operations: (service, method, path pattern, required query key or None, operation).
_REST = [
    ("lambda", "GET", r"/2015-03-31/functions/[^/]+/?", None, "GetFunction"),
    ("lambda", "GET", r"/2015-03-31/functions/[^/]+/configuration/?", None, "GetFunctionConfiguration"),
    ("lambda", "PUT", r"/2015-03-31/functions/[^/]+/configuration/?", None, "UpdateFunctionConfiguration"),
    ("lambda", "PUT", r"/2015-03-31/functions/[^/]+/code/?", None, "UpdateFunctionCode"),
    ("lambda", "GET", r"/2015-03-31/functions/[^/]+/aliases/[^/]+/?", None, "GetAlias"),
    ("lambda", "PUT", r"/2015-03-31/functions/[^/]+/aliases/[^/]+/?", None, "UpdateAlias"),
    ("lambda", "GET", r"/2015-03-31/functions/[^/]+/aliases/?", None, "ListAliases"),
    ("lambda", "GET", r"/2015-03-31/functions/[^/]+/policy/?", None, "GetPolicy"),
    ("lambda", "GET", r"/2015-03-31/functions/[^/]+/versions/?", None, "ListVersionsByFunction"),
    ("lambda", "POST", r"/2015-03-31/functions/[^/]+/versions/?", None, "PublishVersion"),
    ("lambda", "POST", r"/2015-03-31/functions/[^/]+/invocations/?", None, "Invoke"),
    ("lambda", "DELETE", r"/2015-03-31/functions/[^/]+/?", None, "DeleteFunction"),
    ("lambda", "GET", r"/2015-03-31/functions/?", None, "ListFunctions"),
    ("lambda", "GET", r"/2016-08-19/account-settings/?", None, "GetAccountSettings"),
    ("lambda", "GET", r"/2015-03-31/event-source-mappings/?", None, "ListEventSourceMappings"),
    ("lambda", "GET", r"/2015-03-31/event-source-mappings/[^/]+/?", None, "GetEventSourceMapping"),
    ("lambda", "PUT", r"/2015-03-31/event-source-mappings/[^/]+/?", None, "UpdateEventSourceMapping"),
    ("lambda", "GET", r"/2019-09-30/functions/[^/]+/concurrency/?", None, "GetFunctionConcurrency"),
    ("lambda", "PUT", r"/2017-10-31/functions/[^/]+/concurrency/?", None, "PutFunctionConcurrency"),
    ("lambda", "DELETE", r"/2017-10-31/functions/[^/]+/concurrency/?", None, "DeleteFunctionConcurrency"),
    ("apigateway", "GET", r"/v2/apis/?", None, "GetApis"),
    ("apigateway", "GET", r"/v2/apis/[^/]+/?", None, "GetApi"),
    ("apigateway", "GET", r"/v2/apis/[^/]+/integrations/?", None, "GetIntegrations"),
    ("apigateway", "GET", r"/v2/apis/[^/]+/routes/?", None, "GetRoutes"),
    ("apigateway", "GET", r"/v2/apis/[^/]+/stages/?", None, "GetStages"),
    ("cloudfront", "GET", r"/2020-05-31/distribution/?", None, "ListDistributions"),
    ("cloudfront", "GET", r"/2020-05-31/distribution/[^/]+/?", None, "GetDistribution"),
    ("cloudfront", "GET", r"/2020-05-31/distribution/[^/]+/config/?", None, "GetDistributionConfig"),
    ("cloudfront", "PUT", r"/2020-05-31/distribution/[^/]+/config/?", None, "UpdateDistribution"),
    ("cloudfront", "GET", r"/2020-05-31/origin-access-control/?", None, "ListOriginAccessControls"),
    # S3, path style: /bucket and /bucket/key.
    ("s3", "GET", r"/[^/]+/?", "publicAccessBlock", "GetPublicAccessBlock"),
    ("s3", "PUT", r"/[^/]+/?", "publicAccessBlock", "PutPublicAccessBlock"),
    ("s3", "GET", r"/[^/]+/?", "policy", "GetBucketPolicy"),
    ("s3", "PUT", r"/[^/]+/?", "policy", "PutBucketPolicy"),
    ("s3", "GET", r"/[^/]+/?", "list-type", "ListObjectsV2"),
    ("s3", "GET", r"/[^/]+/?", "versions", "ListObjectVersions"),
    ("s3", "POST", r"/[^/]+/?", "delete", "DeleteObjects"),
    ("s3", "DELETE", r"/[^/]+/?", None, "DeleteBucket"),
    ("s3", "HEAD", r"/[^/]+/?", None, "HeadBucket"),
    ("s3", "PUT", r"/[^/]+/?", None, "CreateBucket"),
    ("s3", "GET", r"/[^/]+/?", None, "ListObjects"),
    ("s3", "HEAD", r"/[^/]+/.+", None, "HeadObject"),
    ("s3", "GET", r"/[^/]+/.+", None, "GetObject"),
    ("s3", "PUT", r"/[^/]+/.+", None, "PutObject"),
    ("s3", "DELETE", r"/[^/]+/.+", None, "DeleteObject"),
]
_REST = [(s, m, re.compile(p + r"$"), q, op) for s, m, p, q, op in _REST]

# Protocol of each service's throttling answer.
_QUERY = {"cloudformation", "iam", "sts"}
_REST_JSON = {"lambda", "apigateway"}


def signing_service(headers) -> str:
    auth = headers.get("Authorization") or ""
    m = re.search(r"Credential=[^/,\s]+/\d+/[^/]+/([^/]+)/aws4_request", auth)
    return m.group(1).lower() if m else "unknown"


def operation_name(service: str, method: str, path: str, query: str, headers, body: bytes) -> str:
    """The request's ``service:Operation`` (``service:METHOD /path`` when nothing matches)."""
    target = headers.get("X-Amz-Target")
    if target:
        return f"{service}:{target.rpartition('.')[2]}"
    params = urllib.parse.parse_qs(query, keep_blank_values=True)
    if "Action" in params:
        return f"{service}:{params['Action'][0]}"
    if (headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded") and body:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return f"{service}:{form['Action'][0]}"
    for svc, m, pattern, key, op in _REST:
        if svc == service and m == method and pattern.match(path) and (key is None or key in params):
            return f"{service}:{op}"
    return f"{service}:{method} {path}"


def throttling_answer(service: str, headers) -> tuple:
    """(status, headers, body) of the service's own throttling error."""
    if headers.get("X-Amz-Target"):
        content_type = headers.get("Content-Type") or "application/x-amz-json-1.1"
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"})
        return 400, {"Content-Type": content_type}, body.encode()
    if service in _REST_JSON:
        body = json.dumps({"message": "Rate exceeded", "Type": "User", "Reason": "CallerRateLimitExceeded"})
        return 429, {"Content-Type": "application/json", "x-amzn-ErrorType": "TooManyRequestsException"}, body.encode()
    if service == "s3":
        body = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
        return 503, {"Content-Type": "application/xml"}, body.encode()
    body = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
        "<Message>Rate exceeded</Message></Error><RequestId>quota-proxy</RequestId></ErrorResponse>"
    )
    return 400, {"Content-Type": "text/xml"}, body.encode()


class Buckets:
    """One token bucket per quota family, and what the proxy let through or refused."""

    def __init__(self, table: dict, scale: float):
        self.table = table
        self.scale = scale
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> dict:
        with self.lock:
            snapshot = self._snapshot() if hasattr(self, "allowed") else {}
            now = time.monotonic()
            self.state = {
                name: [max(1.0, f["burst"] * self.scale), now] for name, f in self.table["families"].items()
            }
            self.allowed, self.throttled, self.unclassified = Counter(), Counter(), Counter()
            self.log = []
            return snapshot

    def take(self, op: str) -> bool:
        """Whether a request of ``op`` is within its quota now (the token is taken if so)."""
        family = self.table["operations"].get(op)
        with self.lock:
            if family is None:
                self.unclassified[op] += 1
                return True
            f = self.table["families"][family]
            rate, capacity = f["per_second"] * self.scale, max(1.0, f["burst"] * self.scale)
            tokens, last = self.state[family]
            now = time.monotonic()
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self.state[family] = [tokens - 1.0, now]
                self.allowed[op] += 1
                return True
            self.state[family] = [tokens, now]
            self.throttled[op] += 1
            return False

    def record(self, start: float, end: float, op: str, status: int) -> None:
        with self.lock:
            self.log.append([round(start, 4), round(end, 4), op, status])

    def _snapshot(self) -> dict:
        ops = set(self.allowed) | set(self.throttled)
        return {
            "allowed": dict(sorted(self.allowed.items())),
            "throttled": dict(sorted(self.throttled.items())),
            "unclassified": dict(sorted(self.unclassified.items())),
            "families": {op: self.table["operations"][op] for op in sorted(ops)},
            "log": list(self.log),
        }

    def snapshot(self) -> dict:
        with self.lock:
            return self._snapshot()


def make_handler(upstream: str, buckets: Buckets):
    parsed = urllib.parse.urlsplit(upstream)
    local = threading.local()

    def connection() -> http.client.HTTPConnection:
        if getattr(local, "conn", None) is None:
            local.conn = http.client.HTTPConnection(parsed.hostname, parsed.port or 80, timeout=120)
            local.conn.connect()
            local.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return local.conn

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _body(self) -> bytes:
            if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length > 0 else b""

        def setup(self) -> None:
            super().setup()
            # Answers go out whole at once: no Nagle delay between a header and a body segment.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _send(self, status: int, headers: dict, body: bytes) -> None:
            reason = http.HTTPStatus(status).phrase if status in http.HTTPStatus._value2member_map_ else ""
            lines = [f"HTTP/1.1 {status} {reason}"]
            lines += [f"{k}: {v}" for k, v in headers.items()]
            lines.append(f"Content-Length: {len(body)}")
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
            self.wfile.write(head if self.command == "HEAD" else head + body)
            self.wfile.flush()

        def _handle(self) -> None:
            start = time.time()
            body = self._body()
            path, _, query = self.path.partition("?")
            if path.startswith(PREFIX):
                if path == PREFIX + "stats" and self.command == "GET":
                    answer = buckets.snapshot()
                elif path == PREFIX + "reset" and self.command == "POST":
                    answer = buckets.reset()
                else:
                    return self._send(404, {"Content-Type": "application/json"}, b'{"message":"not found"}')
                return self._send(200, {"Content-Type": "application/json"}, json.dumps(answer).encode())
            service = signing_service(self.headers)
            op = operation_name(service, self.command, urllib.parse.unquote(path), query, self.headers, body)
            if not buckets.take(op):
                status, headers, payload = throttling_answer(service, self.headers)
                self._send(status, headers, payload)
                buckets.record(start, time.time(), op, status)
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("transfer-encoding", "connection")}
            headers["Content-Length"] = str(len(body))
            for attempt in range(2):
                try:
                    conn = connection()
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    payload = resp.read()
                    break
                except (http.client.HTTPException, OSError):
                    local.conn = None
                    if attempt:
                        raise
            out = {k: v for k, v in resp.getheaders() if k.lower() not in ("transfer-encoding", "connection", "content-length")}
            self._send(resp.status, out, payload)
            buckets.record(start, time.time(), op, resp.status)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _handle

    return Handler


def main() -> int:
    parser = argparse.ArgumentParser(description="AWS request-rate quotas in front of the emulator")
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--scale", type=float, default=1.0, help="share of every quota (default 1)")
    parser.add_argument("--table", default=os.path.join(HERE, "quota_table.json"))
    args = parser.parse_args()
    with open(args.table) as f:
        table = json.load(f)
    buckets = Buckets(table, args.scale)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args.upstream, buckets))
    server.daemon_threads = True
    print(f"quota proxy listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
