"""Image functions run for real on this machine (``HOVER_EMULATOR_RUNTIME=host``).

Owns: unpacking a function version's image from the local registry, the
containers (one process each, with its own Lambda Runtime API), the pool of
containers per function version, invocation (sync and async, timeouts, init
errors, crashes), and the containers' logs (a file per function under the
state dir and moto's CloudWatch Logs backend).

There is no container engine here. A "container" is the image's entry point
started as a host process in its own process group, with the image's root
unpacked into a directory (``<state>/images/<manifest digest>/rootfs``):

* the image: ImageUri ``<acct>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>``
  (or ``@sha256:...``) is read from the registry ``ecr_registry`` fronts
  (manifest, an index resolved to linux/amd64 or its first entry, the config,
  the layers as gzip or plain tarballs with whiteouts honoured), unpacked once
  per manifest digest;
* the process: Entrypoint + Cmd of the image config (or the function's
  ImageConfig), the first word resolved inside the unpacked root;
  ``LAMBDA_TASK_ROOT`` = root + the image's ``LAMBDA_TASK_ROOT`` (else its
  WorkingDir, else ``/var/task``), also the process's working directory;
  environment: the image's Env (paths not remapped), the function version's
  variables, then Lambda's own (``AWS_LAMBDA_FUNCTION_NAME``, ``..._VERSION``,
  ``..._MEMORY_SIZE``, ``AWS_REGION``, ``AWS_DEFAULT_REGION``,
  ``AWS_LAMBDA_LOG_GROUP_NAME``, ``AWS_LAMBDA_LOG_STREAM_NAME``, credentials
  ``test``/``test``, ``AWS_ENDPOINT_URL`` = this emulator,
  ``AWS_LAMBDA_RUNTIME_API`` = the container's Runtime API), ``HOVER_PHP`` and
  ``HOVER_PHP_FPM`` from the emulator's environment (default Debian's
  ``/usr/bin/php8.2`` and ``/usr/sbin/php-fpm8.2``);
* the Runtime API (2018-06-01): ``GET /runtime/invocation/next``,
  ``POST /runtime/invocation/{id}/response``, ``.../{id}/error``,
  ``POST /runtime/init/error``, on 127.0.0.1 with a port of its own;
* an invocation goes to an idle container of the function version, else a new
  container is started while the function has fewer than its reserved
  concurrency (else 10); beyond that it waits for one to be free (AWS would
  throttle a synchronous call);
* no answer by the deadline (the function's timeout) -> the container's
  process group is killed and the invocation answers Lambda's
  ``Task timed out after N.00 seconds``; an init error answers the runtime's
  errorType/errorMessage; a process that exits answers ``Runtime.ExitError``;
  a dead container is replaced by the next invocation;
* containers stop on ``/moto-api/reset``, when their function (version) is
  deleted, and when the server exits: the process group is killed, and so is
  any process that left it (e.g. a daemonized php-fpm) but still carries the
  container's ``HOVER_EMULATOR_CONTAINER`` marker in its environment;
* each stdout/stderr line goes to ``<state>/logs/<function>.log`` and to the
  log group ``/aws/lambda/<function>`` (created when missing), stream
  ``YYYY/MM/DD/[<version>]<container id>``, with Lambda's START, END and
  REPORT lines around each invocation.
"""
import gzip
import hashlib
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import tarfile
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

log = logging.getLogger("hover_compat.host_runtime")

DEFAULT_CONCURRENCY = 10
INIT_TIMEOUT = 10.0  # seconds a new container may take before its first /next counts against the deadline
MARKER = "HOVER_EMULATOR_CONTAINER"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Settings:
    enabled = False
    endpoint = "http://127.0.0.1:5000"
    state_dir = ""


SETTINGS = Settings()


def enabled() -> bool:
    return SETTINGS.enabled


def configure(endpoint: str, state_dir: Optional[str] = None) -> None:
    """Called by server.py: the emulator's own URL and state dir; host mode from the environment."""
    mode = os.environ.get("HOVER_EMULATOR_RUNTIME", "").strip()
    if mode not in ("", "host", "stand-in"):
        raise SystemExit(f"HOVER_EMULATOR_RUNTIME={mode!r}: expected 'host' (run image functions) or unset (the stand-in)")
    SETTINGS.enabled = mode == "host"
    SETTINGS.endpoint = endpoint
    if not state_dir:
        import tempfile

        state_dir = tempfile.mkdtemp(prefix="hover-emulator-")
    SETTINGS.state_dir = state_dir
    if SETTINGS.enabled:
        os.makedirs(os.path.join(state_dir, "images"), exist_ok=True)
        os.makedirs(os.path.join(state_dir, "logs"), exist_ok=True)


class FunctionError(Exception):
    """An invocation that ends as a function error (payload = Lambda's error document)."""

    def __init__(self, error_type: str, message: str, body: Optional[bytes] = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.body = body if body is not None else json.dumps(
            {"errorType": error_type, "errorMessage": message}).encode()


# --------------------------------------------------------------------------
# images


class ImageError(Exception):
    pass


def parse_image_uri(uri: str) -> tuple:
    """``<acct>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`` or ``...@sha256:..`` -> (repo, reference)."""
    rest = uri.split("/", 1)[1] if "/" in uri and ("." in uri.split("/", 1)[0] or ":" in uri.split("/", 1)[0]) else uri
    if "@" in rest:
        repo, ref = rest.split("@", 1)
    elif ":" in rest.rsplit("/", 1)[-1]:
        repo, ref = rest.rsplit(":", 1)
    else:
        repo, ref = rest, "latest"
    return repo, ref


_image_locks: dict = {}
_image_locks_lock = threading.Lock()


def _image_lock(key: str) -> threading.Lock:
    with _image_locks_lock:
        return _image_locks.setdefault(key, threading.Lock())


class Image:
    def __init__(self, digest: str, root: str, config: dict) -> None:
        self.digest = digest
        self.root = root
        self.config = config  # the image config's "config" (Entrypoint, Cmd, Env, WorkingDir)


def pull(uri: str) -> Image:
    """The unpacked image named by ``uri`` (cached under the state dir by manifest digest)."""
    from . import ecr_registry

    registry = ecr_registry.REGISTRY
    if registry is None:
        raise ImageError("no local registry (HOVER_REGISTRY is not set): the emulator cannot read images")
    repo, ref = parse_image_uri(uri)
    got = registry.manifest(repo, ref)
    if got is None:
        raise ImageError(f"image {uri}: {repo}:{ref} is not in the local registry")
    text, media_type, digest = got
    manifest = json.loads(text)
    if manifest.get("manifests"):  # an index: linux/amd64, else the first
        entries = manifest["manifests"]
        chosen = next((m for m in entries if (m.get("platform") or {}).get("architecture") == "amd64"
                       and (m.get("platform") or {}).get("os") == "linux"), entries[0])
        got = registry.manifest(repo, chosen["digest"])
        if got is None:
            raise ImageError(f"image {uri}: manifest {chosen['digest']} of its index is missing")
        text, media_type, digest = got
        manifest = json.loads(text)
    digest = digest or "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    base = os.path.join(SETTINGS.state_dir, "images", digest.replace(":", "-"))
    root = os.path.join(base, "rootfs")
    with _image_lock(digest):
        config_path = os.path.join(base, "config.json")
        if not os.path.exists(config_path):
            tmp = base + ".partial-" + uuid.uuid4().hex[:8]
            try:
                os.makedirs(os.path.join(tmp, "rootfs"))
                config = json.loads(_blob(registry, repo, manifest["config"]["digest"]))
                for layer in manifest.get("layers") or []:
                    _apply_layer(os.path.join(tmp, "rootfs"), _blob(registry, repo, layer["digest"]),
                                 layer.get("mediaType", ""))
                with open(os.path.join(tmp, "config.json"), "w") as f:
                    json.dump(config, f)
                shutil.rmtree(base, ignore_errors=True)
                os.rename(tmp, base)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        with open(config_path) as f:
            config = json.load(f)
    return Image(digest, root, config.get("config") or {})


def _blob(registry, repo: str, digest: str) -> bytes:
    status, _, body = registry.request("GET", f"/v2/{repo}/blobs/{digest}")
    if status != 200:
        raise ImageError(f"registry: GET /v2/{repo}/blobs/{digest} answered {status}")
    return body


def _inside(root: str, name: str) -> str:
    """``name`` (a path of the image) as a path under ``root``, never outside it."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    clean = []
    for p in parts:
        if p == "..":
            if clean:
                clean.pop()
        else:
            clean.append(p)
    return os.path.join(root, *clean)


def _remove(path: str) -> None:
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)


def _apply_layer(root: str, data: bytes, media_type: str) -> None:
    if "zstd" in media_type:
        raise ImageError(f"layer media type {media_type} is not supported (gzip or plain tar only)")
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
        members = tar.getmembers()
        # Whiteouts first: they delete what lower layers put there.
        for m in members:
            head, base = os.path.split(m.name)
            if base == ".wh..wh..opq":
                target = _inside(root, head)
                if os.path.isdir(target):
                    for child in os.listdir(target):
                        _remove(os.path.join(target, child))
            elif base.startswith(".wh."):
                _remove(_inside(root, os.path.join(head, base[4:])))
        for m in members:
            base = os.path.basename(m.name)
            if base.startswith(".wh."):
                continue
            target = _inside(root, m.name)
            if m.isdir():
                if os.path.lexists(target) and not os.path.isdir(target):
                    _remove(target)
                os.makedirs(target, exist_ok=True)
                os.chmod(target, m.mode & 0o7777 or 0o755)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if os.path.lexists(target):
                _remove(target)
            if m.issym():
                os.symlink(m.linkname, target)
            elif m.islnk():
                source = _inside(root, m.linkname)
                if os.path.lexists(source):
                    os.link(source, target, follow_symlinks=False)
            elif m.isfile():
                src = tar.extractfile(m)
                with open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
                os.chmod(target, m.mode & 0o7777)
            # devices, fifos: not needed by an application image


def resolve_in_root(root: str, path: str, cwd: str = "/") -> str:
    """A path of the image (absolute, or relative to ``cwd``) -> the host path, following
    symbolic links inside the unpacked root."""
    if not path.startswith("/"):
        path = cwd.rstrip("/") + "/" + path
    parts = [p for p in path.split("/") if p]
    resolved: list = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == ".":
            continue
        if part == "..":
            if resolved:
                resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, part)
        if os.path.islink(candidate):
            hops += 1
            if hops > 40:
                raise ImageError(f"too many symbolic links resolving {path} in the image")
            link = os.readlink(candidate)
            if link.startswith("/"):
                resolved = []
            parts = [p for p in link.split("/") if p] + parts
            continue
        resolved.append(part)
    return os.path.join(root, *resolved)


# --------------------------------------------------------------------------
# invocations and containers


class Invocation:
    def __init__(self, payload: bytes, function_arn: str, timeout: float) -> None:
        self.request_id = str(uuid.uuid4())
        self.payload = payload
        self.function_arn = function_arn
        self.timeout = timeout
        self.deadline: Optional[float] = None  # set when the runtime takes it
        self.started: Optional[float] = None
        self.done = threading.Event()
        self.result: Optional[bytes] = None
        self.error: Optional[FunctionError] = None

    def finish(self, result: Optional[bytes] = None, error: Optional[FunctionError] = None) -> bool:
        if self.done.is_set():
            return False
        self.result, self.error = result, error
        self.done.set()
        return True


class Container:
    def __init__(self, pool: "Pool", signature: str) -> None:
        self.pool = pool
        self.signature = signature
        self.id = uuid.uuid4().hex
        self.state = "starting"
        self.invocations = 0
        self.started_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.created = time.time()
        self.proc: Optional[subprocess.Popen] = None
        self.server: Optional[ThreadingHTTPServer] = None
        self.cond = threading.Condition()
        self.current: Optional[Invocation] = None  # assigned, not yet answered
        self.handed = False  # the runtime took `current` through /next
        self.init_error: Optional[FunctionError] = None
        self.stopped = False
        self.initialised = False
        # Every process the container's process started, as (pid, start time): daemons that left
        # its process group and session (php-fpm calls setsid) are found through their parents
        # while the container lives, and stopped with it.
        self.family: set = set()
        day = datetime.now(timezone.utc).strftime("%Y/%m/%d")
        self.log_stream = f"{day}/[{pool.version}]{self.id}"

    # -- lifecycle ----------------------------------------------------------

    def start(self, fn: Any, image: Image) -> None:
        self.server = _runtime_api_server(self)
        threading.Thread(target=self.server.serve_forever, name=f"runtime-api-{self.id[:8]}", daemon=True).start()
        api = f"127.0.0.1:{self.server.server_address[1]}"
        config = image.config
        ic = getattr(fn, "image_config", None)
        entry = list(getattr(ic, "entry_point", None) or config.get("Entrypoint") or [])
        cmd = list(getattr(ic, "cmd", None) or config.get("Cmd") or [])
        workdir = getattr(ic, "working_directory", None) or config.get("WorkingDir") or "/var/task"
        argv = entry + cmd
        if not argv:
            raise FunctionError("Runtime.InvalidEntrypoint", "the image has no Entrypoint or Cmd")
        image_env = {}
        for item in config.get("Env") or []:
            k, _, v = item.partition("=")
            image_env[k] = v
        task_root_in_image = image_env.get("LAMBDA_TASK_ROOT") or workdir
        task_root = resolve_in_root(image.root, task_root_in_image)
        exe = resolve_in_root(image.root, argv[0], workdir)
        if not os.path.isfile(exe):
            raise FunctionError("Runtime.InvalidEntrypoint", f"the entry point {argv[0]} is not a file in the image")
        if not os.access(exe, os.X_OK):
            raise FunctionError("Runtime.InvalidEntrypoint", f"the entry point {argv[0]} is not executable")
        argv[0] = exe
        env = {"PATH": DEFAULT_PATH, "LANG": "en_US.UTF-8", "TZ": ":UTC"}
        env.update(image_env)
        env.update({str(k): str(v) for k, v in (fn.environment_vars or {}).items()})
        region = fn.region
        env.update({
            "LAMBDA_TASK_ROOT": task_root,
            "LAMBDA_RUNTIME_DIR": task_root,
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": str(fn.version),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(fn.timeout),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{fn.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_ENDPOINT_URL": SETTINGS.endpoint,
            "AWS_LAMBDA_RUNTIME_API": api,
            "HOVER_PHP": os.environ.get("HOVER_PHP") or "/usr/bin/php8.2",
            "HOVER_PHP_FPM": os.environ.get("HOVER_PHP_FPM") or "/usr/sbin/php-fpm8.2",
            MARKER: self.id,
        })
        env.pop("AWS_SESSION_TOKEN", None)
        cwd = task_root if os.path.isdir(task_root) else image.root
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=True)
        for stream in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=self._pump, args=(stream,), daemon=True).start()
        threading.Thread(target=self._watch, daemon=True).start()

    def _pump(self, stream) -> None:
        for raw in iter(stream.readline, b""):
            LOGS.line(self, raw.decode("utf-8", "replace").rstrip("\n"))
        stream.close()

    def _watch(self) -> None:
        """The process exited: the current invocation (if any) is a function error."""
        code = self.proc.wait()
        _kill_family(self.family)
        with self.cond:
            if not self.stopped:
                self.state = "dead"
            current = self.current
            self.cond.notify_all()
        if current is not None:
            what = f"signal: {_signal_name(-code)}" if code < 0 else f"exit status {code}"
            if self.init_error is not None:
                current.finish(error=self.init_error)
            else:
                current.finish(error=FunctionError(
                    "Runtime.ExitError", f"RequestId: {current.request_id} Error: Runtime exited with error: {what}"))
        self.pool.container_gone(self)

    def stop(self) -> None:
        with self.cond:
            if self.stopped:
                return
            self.stopped = True
            self.state = "stopped"
            self.cond.notify_all()
        if self.proc is not None:
            self.family |= _descendants(self.proc.pid)
            _kill_group(self.proc.pid)
            _kill_family(self.family)
            _kill_marked(self.id)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log.warning("container %s (pid %s) did not exit after SIGKILL", self.id, self.proc.pid)
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def alive(self) -> bool:
        return not self.stopped and self.proc is not None and self.proc.poll() is None

    def describe(self) -> dict:
        return {"function": self.pool.function_name, "version": self.pool.version, "region": self.pool.region,
                "id": self.id, "pid": self.proc.pid if self.proc else None, "state": self.state,
                "invocations": self.invocations, "started_at": self.started_at}

    # -- one invocation -----------------------------------------------------

    def run(self, inv: Invocation, memory: int) -> None:
        """Hand ``inv`` to the runtime and wait for its answer, the deadline or the process's end."""
        with self.cond:
            self.current, self.handed = inv, False
            self.invocations += 1
            self.cond.notify_all()
        assigned = time.time()
        LOGS.line(self, f"START RequestId: {inv.request_id} Version: {self.pool.version}", raw=True)
        init_deadline = assigned + INIT_TIMEOUT + inv.timeout
        exited = None
        while not inv.done.wait(0.05):
            now = time.time()
            deadline = inv.deadline if inv.deadline is not None else init_deadline
            if now >= deadline:
                if inv.finish(error=FunctionError(
                        "Sandbox.Timedout",
                        f"RequestId: {inv.request_id} Error: Task timed out after {inv.timeout:.2f} seconds")):
                    LOGS.line(self, f"{_iso_now()} {inv.request_id} Task timed out after {inv.timeout:.2f} seconds", raw=True)
                    self.stop()
                break
            code = self.proc.poll()
            if code is not None:
                exited = exited or now
                if now - exited > 0.3:  # _watch did not see it (the process died before it was handed one)
                    what = f"signal: {_signal_name(-code)}" if code < 0 else f"exit status {code}"
                    inv.finish(error=self.init_error or FunctionError(
                        "Runtime.ExitError", f"RequestId: {inv.request_id} Error: Runtime exited with error: {what}"))
        started = inv.started or assigned
        duration = (time.time() - started) * 1000
        LOGS.line(self, f"END RequestId: {inv.request_id}", raw=True)
        init = ""
        if not self.initialised and inv.started:
            init = f"\tInit Duration: {(inv.started - self.created) * 1000:.2f} ms"
        self.initialised = True
        LOGS.line(self, f"REPORT RequestId: {inv.request_id}\tDuration: {duration:.2f} ms\t"
                        f"Billed Duration: {max(1, int(duration + 0.999))} ms\tMemory Size: {memory} MB\t"
                        f"Max Memory Used: {_rss_mb(self.proc.pid)} MB{init}\t", raw=True)
        if self.alive():
            self.family |= _descendants(self.proc.pid)
        with self.cond:
            if self.current is inv:
                self.current = None
            if not self.stopped and self.alive() and self.state != "dead":
                self.state = "idle"
            self.cond.notify_all()

    # -- the Runtime API's side ---------------------------------------------

    def next_invocation(self) -> Optional[Invocation]:
        with self.cond:
            if self.state == "starting" and self.current is None:
                self.state = "idle"
                self.cond.notify_all()
                self.pool.notify()
            while not self.stopped and (self.current is None or self.handed):
                self.cond.wait(1.0)
            if self.stopped:
                return None
            inv = self.current
            self.handed = True
            self.state = "busy"
            inv.started = time.time()
            inv.deadline = inv.started + inv.timeout
            return inv

    def answer(self, request_id: str, body: bytes, error_type: Optional[str]) -> bool:
        with self.cond:
            inv = self.current
        if inv is None or inv.request_id != request_id:
            return False
        if error_type is not None:
            return inv.finish(error=FunctionError(error_type, "", body or b"{}"))
        return inv.finish(result=body)

    def init_failed(self, body: bytes, error_type: Optional[str]) -> None:
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            doc = {}
        etype = error_type or (doc.get("errorType") if isinstance(doc, dict) else None) or "Runtime.Unknown"
        message = (doc.get("errorMessage") if isinstance(doc, dict) else None) or "init error"
        self.init_error = FunctionError(etype, message, json.dumps({"errorType": etype, "errorMessage": message}).encode())
        with self.cond:
            inv = self.current
        if inv is not None:
            inv.finish(error=self.init_error)
        threading.Thread(target=self.stop, daemon=True).start()


def _runtime_api_server(container: Container) -> ThreadingHTTPServer:
    prefix = "/2018-06-01/runtime"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # noqa: A003 - quiet
            return

        def _reply(self, status: int, body: bytes = b"", headers: Optional[dict] = None) -> None:
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length > 0 else b""

        def do_GET(self):  # noqa: N802
            if self.path != prefix + "/invocation/next":
                return self._reply(404, b'{"errorMessage": "unknown path", "errorType": "InvalidRequest"}')
            inv = container.next_invocation()
            if inv is None:
                return self._reply(410, b'{"errorMessage": "container stopped", "errorType": "Stopped"}')
            self._reply(200, inv.payload, {
                "Lambda-Runtime-Aws-Request-Id": inv.request_id,
                "Lambda-Runtime-Deadline-Ms": str(int(inv.deadline * 1000)),
                "Lambda-Runtime-Invoked-Function-Arn": inv.function_arn,
                "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0",
            })

        def do_POST(self):  # noqa: N802
            body = self._body()
            path = self.path
            if path == prefix + "/init/error":
                container.init_failed(body, self.headers.get("Lambda-Runtime-Function-Error-Type"))
                return self._reply(202, b'{"status": "OK"}')
            if path.startswith(prefix + "/invocation/"):
                rest = path[len(prefix + "/invocation/"):]
                request_id, _, what = rest.partition("/")
                if what in ("response", "error"):
                    error_type = None
                    if what == "error":
                        error_type = self.headers.get("Lambda-Runtime-Function-Error-Type") or "Unhandled"
                    if container.answer(request_id, body, error_type):
                        return self._reply(202, b'{"status": "OK"}')
                    return self._reply(400, json.dumps({"errorMessage": f"invocation {request_id} is not in progress",
                                                        "errorType": "InvalidRequestID"}).encode())
            self._reply(404, b'{"errorMessage": "unknown path", "errorType": "InvalidRequest"}')

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


class Pool:
    """The containers of one function version."""

    def __init__(self, manager: "Manager", key: tuple) -> None:
        self.manager = manager
        self.key = key
        self.account, self.region, self.function_name, self.version = key
        self.containers: list = []

    def notify(self) -> None:
        with self.manager.cond:
            self.manager.cond.notify_all()

    def container_gone(self, container: Container) -> None:
        with self.manager.cond:
            if container in self.containers:
                self.containers.remove(container)
            self.manager.cond.notify_all()


class Manager:
    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.pools: dict = {}
        self.closed = False

    def _pool(self, key: tuple) -> Pool:
        if key not in self.pools:
            self.pools[key] = Pool(self, key)
        return self.pools[key]

    def _count(self, account: str, region: str, name: str) -> int:
        return sum(len(p.containers) for k, p in self.pools.items() if k[:3] == (account, region, name))

    def invoke(self, fn: Any, payload: bytes, invoked_arn: str, limit: int) -> bytes:
        """Run one invocation of function version ``fn``; raises FunctionError on a function error."""
        signature = _signature(fn)
        key = (fn.account_id, fn.region, fn.function_name, str(fn.version))
        container = None
        while container is None:
            with self.cond:
                if self.closed:
                    raise FunctionError("Runtime.Stopped", "the emulator is stopping")
                pool = self._pool(key)
                for c in list(pool.containers):
                    if c.state == "idle" and c.current is None and c.alive():
                        if c.signature != signature:
                            pool.containers.remove(c)
                            threading.Thread(target=c.stop, daemon=True).start()
                            continue
                        container = c
                        c.state = "busy"
                        break
                if container is None:
                    if self._count(*key[:3]) >= limit:
                        victim = self._idle_elsewhere(key)
                        if victim is None:
                            self.cond.wait(0.2)
                            continue
                        self.pools[victim.pool.key].containers.remove(victim)
                        threading.Thread(target=victim.stop, daemon=True).start()
                    container = Container(pool, signature)
                    pool.containers.append(container)
                    fresh = True
                else:
                    fresh = False
            if fresh:
                try:
                    image = pull(fn.code.get("ImageUri", ""))
                    container.start(fn, image)
                except Exception as e:
                    container.stop()
                    pool.container_gone(container)
                    if isinstance(e, FunctionError):
                        raise
                    raise FunctionError("Runtime.ImageError", f"could not start the image {fn.code.get('ImageUri')}: {e}")
        inv = Invocation(payload, invoked_arn, float(fn.timeout or 3))
        container.run(inv, int(fn.memory_size or 128))
        if inv.error is not None:
            raise inv.error
        return inv.result or b""

    def _idle_elsewhere(self, key: tuple) -> Optional[Container]:
        for k, p in self.pools.items():
            if k[:3] == key[:3] and k != key:
                for c in p.containers:
                    if c.state == "idle" and c.current is None:
                        return c
        return None

    def containers(self) -> list:
        with self.cond:
            return [c.describe() for p in self.pools.values() for c in p.containers]

    def stop(self, account: Optional[str] = None, region: Optional[str] = None,
             name: Optional[str] = None, version: Optional[str] = None) -> int:
        with self.cond:
            victims = []
            for k, p in self.pools.items():
                if account is not None and k[:3] != (account, region, name):
                    continue
                if version is not None and k[3] != version:
                    continue
                victims.extend(p.containers)
                p.containers = []
            self.cond.notify_all()
        threads = [threading.Thread(target=c.stop) for c in victims]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return len(victims)


MANAGER = Manager()


def stop_function(name: str, region: Optional[str] = None) -> int:
    """Stops every container of function ``name`` (every version, in ``region`` or in every
    region); how many were stopped."""
    with MANAGER.cond:
        keys = {k[:3] for k in MANAGER.pools if k[2] == name and (region is None or k[1] == region)}
    return sum(MANAGER.stop(account, reg, fn) for account, reg, fn in keys)


def _signature(fn: Any) -> str:
    ic = getattr(fn, "image_config", None)
    data = {"uri": (fn.code or {}).get("ImageUri"), "env": fn.environment_vars or {}, "mem": fn.memory_size,
            "timeout": fn.timeout, "ic": [getattr(ic, "entry_point", None), getattr(ic, "cmd", None),
                                          getattr(ic, "working_directory", None)]}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _stat(pid: int) -> Optional[tuple]:
    """(parent pid, start time) of ``pid`` from /proc, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()  # after "pid (comm) "
    return int(fields[1]), int(fields[19])


def _descendants(pid: int) -> set:
    """Every living descendant of ``pid`` as (pid, start time), whatever its group or session."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st is not None:
                parents[int(entry)] = st
    found, frontier = set(), {pid}
    while frontier:
        children = {p for p, (ppid, _) in parents.items() if ppid in frontier}
        found |= {(p, parents[p][1]) for p in children}
        frontier = children
    return found


def _kill_family(family: set) -> None:
    """Kills each recorded descendant (and its group) that is still the same process."""
    for pid, started in list(family):
        st = _stat(pid)
        if st is None or st[1] != started:
            continue  # gone, or the pid now belongs to another process
        try:
            group = os.getpgid(pid)
            if group != os.getpgrp():
                os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _kill_marked(container_id: str) -> None:
    """Kill processes that left the container's process group (daemons) but carry its marker."""
    needle = f"{MARKER}={container_id}".encode()
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    os.kill(int(entry), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name.replace("SIG", "").lower().replace("kill", "killed")
    except ValueError:
        return str(num)


def _rss_mb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return max(1, int(line.split()[1]) // 1024)
    except OSError:
        pass
    return 1


def _iso_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# --------------------------------------------------------------------------
# logs


class Logs:
    def __init__(self) -> None:
        self.lock = threading.Lock()

    def line(self, container: Container, text: str, raw: bool = False) -> None:  # noqa: ARG002
        pool = container.pool
        now = time.time()
        with self.lock:
            try:
                path = os.path.join(SETTINGS.state_dir, "logs", f"{pool.function_name}.log")
                with open(path, "a", encoding="utf-8") as f:
                    f.write(f"{_iso_now()} [{pool.version}]{container.id[:8]} {text}\n")
            except OSError as e:
                log.warning("could not write the log of %s: %s", pool.function_name, e)
            try:
                from moto.logs.models import logs_backends

                backend = logs_backends[pool.account][pool.region]
                group = f"/aws/lambda/{pool.function_name}"
                backend.ensure_log_group(group)
                backend.ensure_log_stream(group, container.log_stream)
                backend.put_log_events(group, container.log_stream, [{"timestamp": int(now * 1000), "message": text}])
            except Exception as e:  # noqa: BLE001 - logging must never break an invocation
                log.warning("could not put a log event of %s: %s", pool.function_name, e)


LOGS = Logs()


# --------------------------------------------------------------------------
# the moto side


def lambda_backend(account: str, region: str):
    from moto.awslambda.models import lambda_backends

    return lambda_backends[account][region]


def concurrency_limit(backend: Any, name: str) -> int:
    try:
        latest = backend.get_function(name)
        reserved = latest.reserved_concurrency
        if reserved is not None and str(reserved) != "":
            return max(1, int(reserved))
    except Exception:  # noqa: BLE001
        pass
    return DEFAULT_CONCURRENCY


def invoke(backend: Any, function_name: str, qualifier: Optional[str], payload: bytes) -> tuple:
    """Synchronous invocation of an image function: (payload bytes, function error type or None)."""
    from .lambda_runtime import RUNTIME, split_function_name

    fn = backend.get_function(function_name, qualifier)
    name, named_qualifier = split_function_name(str(function_name))
    invoked = named_qualifier or qualifier
    invoked_arn = f"arn:aws:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}" + (f":{invoked}" if invoked else "")
    RUNTIME.record(fn.function_name, invoked, payload)
    try:
        return MANAGER.invoke(fn, payload or b"{}", invoked_arn, concurrency_limit(backend, fn.function_name)), None
    except FunctionError as e:
        return e.body, "Unhandled"


def invoke_async(backend: Any, function_name: str, qualifier: Optional[str], payload: bytes) -> None:
    backend.get_function(function_name, qualifier)  # 404 now for a missing function

    def run() -> None:
        try:
            invoke(backend, function_name, qualifier, payload)
        except Exception as e:  # noqa: BLE001
            log.warning("asynchronous invocation of %s failed: %s", function_name, e)

    threading.Thread(target=run, name=f"async-{function_name}", daemon=True).start()


def install() -> None:
    """Stop containers of deleted functions and versions."""
    from moto.awslambda.models import LambdaBackend

    if getattr(LambdaBackend.delete_function, "_hover_host", False):
        return
    original = LambdaBackend.delete_function

    def delete_function(self, function_name, qualifier=None):
        from .lambda_runtime import split_function_name

        name, named = split_function_name(str(function_name))
        result = original(self, function_name, qualifier)
        if SETTINGS.enabled:
            MANAGER.stop(self.account_id, self.region_name, name, named or qualifier)
        return result

    delete_function._hover_host = True  # type: ignore[attr-defined]
    LambdaBackend.delete_function = delete_function


def reset() -> None:
    MANAGER.stop()


def shutdown() -> None:
    with MANAGER.cond:
        MANAGER.closed = True
    MANAGER.stop()

