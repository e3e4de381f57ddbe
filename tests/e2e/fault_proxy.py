"""A fault proxy in front of the emulator: forwards every request, and for a named operation fails
the next N calls the way a flaky network or a strained service would:

- `reset_before`: the connection is dropped before the request reaches the emulator;
- `reset_after`: the request reaches the emulator (the write happens), then the connection is
  dropped before the answer;
- `status`: an HTTP error is answered instead (e.g. 500, or 400 with a throttling body);
- `delay`: the answer comes after a pause.

A rule given `after=OPERATION` applies only once that operation has been called; `path=TEXT` only
to requests whose path holds TEXT (one function's alias, one bucket's objects); `skip=N` lets the
first N requests it matches through. The operation `*` matches every request (with `path`).

Operations are named as AWS names them: from `X-Amz-Target` (JSON protocols), `Action=` (query
protocols such as CloudFormation), or the path for the REST routes the tests need (Lambda
`Invoke`, `GetAlias`, `UpdateAlias`). Listens on 127.0.0.1.
"""
import http.client
import http.server
import socket
import struct
import threading
import time
import urllib.parse


def operation_of(headers, path, body, method="GET"):
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    if body and b"Action=" in body:
        params = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in params:
            return params["Action"][0]
    route = urllib.parse.urlparse(path).path
    if route.endswith("/invocations") and "/functions/" in route:
        return "Invoke"  # Lambda's REST route
    if "/functions/" in route and "/aliases/" in route:
        return {"PUT": "UpdateAlias", "GET": "GetAlias", "DELETE": "DeleteAlias"}.get(method)
    query = urllib.parse.urlparse(path).query
    params = urllib.parse.parse_qs(query)
    if "Action" in params:
        return params["Action"][0]
    return None


class FaultProxy:
    def __init__(self, upstream):
        parsed = urllib.parse.urlparse(upstream)
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port
        self.rules = []  # dicts: operation, mode, times, status, body, seconds
        self.seen = []  # (operation, outcome)
        self.called = set()
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                op = operation_of(self.headers, self.path, body, self.command)
                rule = proxy._take(op, self.path)
                mode = rule["mode"] if rule else None
                if mode == "reset_before":
                    proxy._record(op, "reset_before")
                    return self._reset()
                if mode == "status":
                    proxy._record(op, f"status {rule['status']}")
                    payload = (rule.get("body") or "").encode()
                    self.send_response(rule["status"])
                    self.send_header("Content-Type", rule.get("content_type", "text/xml"))
                    for k, v in (rule.get("headers") or {}).items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                if mode == "reset_after":
                    proxy._record(op, "reset_after")
                    return self._reset()
                if mode == "delay":
                    time.sleep(rule.get("seconds", 1))
                proxy._record(op, "forwarded")
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _reset(self):
                # An abortive close (RST), as a dropped connection looks to the client.
                self.close_connection = True
                try:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                except OSError:
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def fail(self, operation, mode, times=1, **extra):
        with self.lock:
            self.rules.append({"operation": operation, "mode": mode, "times": times, **extra})

    def clear(self):
        with self.lock:
            self.rules.clear()

    def outcomes(self, operation):
        with self.lock:
            return [o for op, o in self.seen if op == operation]

    def _take(self, op, path=""):
        with self.lock:
            self.called.add(op)
            for rule in self.rules:
                armed = rule.get("after") is None or rule["after"] in self.called
                matches = rule["operation"] in (op, "*") and rule.get("path", "") in path
                if armed and matches and rule["times"] > 0:
                    if rule.get("skip", 0) > 0:
                        rule["skip"] -= 1
                        continue
                    rule["times"] -= 1
                    return dict(rule)
        return None

    def _record(self, op, outcome):
        with self.lock:
            self.seen.append((op, outcome))
