# Fakes of the runtime tests and bench: the Lambda Runtime API, an AWS endpoint, runtime processes started on them.
import base64
import hashlib
import http.server
import json
import os
import queue
import signal
import socketserver
import subprocess
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PHP = os.environ.get("HOVER_PHP", "/usr/bin/php8.2")
PHP_FPM = os.environ.get("HOVER_PHP_FPM", "/usr/sbin/php-fpm8.2")


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a runtime killed mid-request resets its connection


class FakeRuntimeApi:
    """The Lambda Runtime API (2018-06-01) of one runtime process: events in, answers out."""

    def __init__(self):
        self.events = queue.Queue()
        self.answers = {}
        self.init_errors = []
        self.next_calls = []
        self.timing = {}  # request id -> [/next answer sent, answer received] (perf_counter)
        self.cond = threading.Condition()
        self.stopping = False
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *a):
                pass

            def _reply(self, status, body=b"", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != "/2018-06-01/runtime/invocation/next":
                    return self._reply(404)
                with api.cond:
                    api.next_calls.append(time.time())
                    api.cond.notify_all()
                while True:
                    if api.stopping:
                        return self._reply(500)
                    try:
                        rid, body, deadline = api.events.get(timeout=0.2)
                        break
                    except queue.Empty:
                        continue
                self._reply(200, body, {
                    "Lambda-Runtime-Aws-Request-Id": rid,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:123456789012:function:test",
                    "Lambda-Runtime-Trace-Id": "Root=1-0",
                    "Content-Type": "application/json",
                })
                api.timing[rid] = [time.perf_counter(), None]

            def do_POST(self):
                received = time.perf_counter()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path.split("/")
                if len(parts) == 6 and parts[4] in api.timing:
                    api.timing[parts[4]][1] = received
                with api.cond:
                    if self.path == "/2018-06-01/runtime/init/error":
                        api.init_errors.append((dict(self.headers), json.loads(body)))
                    elif len(parts) == 6 and parts[3] == "invocation" and parts[5] in ("response", "error"):
                        api.answers[parts[4]] = (parts[5], dict(self.headers), body)
                    else:
                        return self._reply(404)
                    api.cond.notify_all()
                self._reply(202, b'{"status":"OK"}', {"Content-Type": "application/json"})

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.address = "127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def invoke(self, event, timeout=10.0, wait=None, rid=None):
        """Queues an event with a deadline `timeout` s away; returns (kind, decoded answer)."""
        rid = rid or str(uuid.uuid4())
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        self.events.put((rid, body, int((time.time() + timeout) * 1000)))
        until = time.time() + (wait if wait is not None else timeout + 10)
        with self.cond:
            while rid not in self.answers:
                if self.init_errors:
                    raise AssertionError(f"the runtime failed its init: {self.init_errors[0][1]}")
                left = until - time.time()
                if left <= 0:
                    raise AssertionError(f"no answer to invocation {rid} within {wait or timeout + 10} s")
                self.cond.wait(left)
            kind, headers, answer = self.answers[rid]
        return kind, json.loads(answer)

    def wait_for(self, predicate, timeout=10.0):
        until = time.time() + timeout
        with self.cond:
            while not predicate():
                left = until - time.time()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True

    def close(self):
        self.stopping = True
        self.server.shutdown()
        self.server.server_close()


class FakeAws:
    """One endpoint answering KMS Decrypt, Lambda Invoke, SQS ChangeMessageVisibility and S3 GetObject
    (of `objects`: path -> body, ETag from its digest, `If-None-Match` honoured), recording every call."""

    KMS_PREFIX = b"FAKEKMS1"

    def __init__(self):
        self.calls = []
        self.fail = {}  # operation -> (status, json error)
        self.delay = {}  # operation -> seconds before answering
        self.lock = threading.Lock()
        self.objects = {}  # "/bucket/key" -> bytes
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *a):
                pass

            def do_GET(self):
                call = {"op": "GetObject", "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": b""}
                with fake.lock:
                    fake.calls.append(call)
                    data = fake.objects.get(self.path)
                etag = None if data is None else '"%s"' % hashlib.md5(data).hexdigest()
                if "GetObject" in fake.fail:
                    status, doc = fake.fail["GetObject"]
                    data = f"<Error><Code>{doc['__type']}</Code><Message>{doc['message']}</Message></Error>".encode()
                elif data is None:
                    status, data = 404, b"<Error><Code>NoSuchKey</Code></Error>"
                elif call["headers"].get("if-none-match") == etag:
                    status, data = 304, b""
                else:
                    status = 200
                self.send_response(status)
                if etag and status in (200, 304):
                    self.send_header("ETag", etag)
                if status != 304:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target = self.headers.get("X-Amz-Target", "")
                op = target.split(".")[-1] if target else ("Invoke" if "/invocations" in self.path else "?")
                call = {"op": op, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
                with fake.lock:
                    fake.calls.append(call)
                time.sleep(fake.delay.get(op, 0))
                status, answer = fake.answer(op, call)
                data = json.dumps(answer).encode()
                self.send_response(status)
                if status >= 300 and op == "Invoke":
                    self.send_header("x-amzn-ErrorType", answer.get("__type", "Error"))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, op, call):
        if op in self.fail:
            return self.fail[op]
        if op == "Decrypt":
            blob = base64.b64decode(json.loads(call["body"])["CiphertextBlob"])
            if not blob.startswith(self.KMS_PREFIX):
                return 400, {"__type": "InvalidCiphertextException", "message": "the ciphertext is not one of this key's"}
            return 200, {"Plaintext": base64.b64encode(blob[len(self.KMS_PREFIX):]).decode(), "KeyId": "arn:aws:kms:us-east-1:123456789012:key/fake"}
        if op == "Invoke":
            return 202, {}
        if op == "ChangeMessageVisibility":
            return 200, {}
        return 400, {"__type": "UnknownOperationException", "message": op}

    def of(self, op):
        with self.lock:
            return [c for c in self.calls if c["op"] == op]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class RuntimeProcess:
    """runtime/bootstrap started on a fake Runtime API, in its own process group (php-fpm and children included)."""

    def __init__(self, runtime_dir, task_root, function, env, log_path):
        self.api = FakeRuntimeApi()
        self.mark = uuid.uuid4().hex
        self.log_path = log_path
        full = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "AWS_LAMBDA_FUNCTION_NAME": function,
            "AWS_LAMBDA_FUNCTION_VERSION": "7",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "LAMBDA_TASK_ROOT": str(task_root),
            "HOVER_PHP": PHP,
            "HOVER_PHP_FPM": PHP_FPM,
            # php-fpm leaves the process group (setsid): every process is found again by this mark.
            "HOVER_TEST_MARK": self.mark,
        }
        full.update(env)
        self.log = open(log_path, "wb")
        self.started = time.time()
        self.proc = subprocess.Popen([str(Path(runtime_dir) / "bootstrap")], cwd=str(task_root), env=full,
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def invoke(self, event, timeout=10.0, wait=None, rid=None):
        return self.api.invoke(event, timeout, wait, rid)

    def output(self):
        if not self.log.closed:
            self.log.flush()
        return Path(self.log_path).read_text(errors="replace")

    def stop(self):
        if self.proc.returncode is not None and self.api.stopping:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
        for _ in range(3):
            for pid in marked(self.mark, self.proc.pid):
                for kill in (lambda: os.killpg(os.getpgid(pid), signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
                    try:
                        kill()
                    except (ProcessLookupError, PermissionError):
                        pass
            time.sleep(0.05)
        self.api.close()
        self.log.close()


def marked(mark, runtime_pid=None):
    """Live processes whose environment holds HOVER_TEST_MARK=mark, and the php-fpm of runtime_pid
    (php-fpm rewrites its environment area with its process title)."""
    found = []
    needle = f"HOVER_TEST_MARK={mark}".encode()
    fpm = f"/tmp/hover-fpm-{runtime_pid}/".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if runtime_pid and fpm in f.read():
                    found.append(int(entry))
                    continue
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(int(entry))
        except (OSError, IndexError):
            pass
    return found
