"""Fixtures: boto3 clients on the emulator named by AWS_ENDPOINT_URL, and a
second emulator without the compatibility layer (plain moto) for the tests
that show each mend corrects a real moto behaviour."""
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import botocore.config
import pytest

HERE = Path(__file__).resolve().parent
LOCALSTACK = HERE.parent
REGION = "us-east-1"

sys.path.insert(0, str(HERE))


def make_clients(endpoint: str):
    config = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=60)
    session = boto3.session.Session(
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
        region_name=REGION,
    )
    cache: dict = {}

    def client(service: str):
        if service not in cache:
            cache[service] = session.client(service, endpoint_url=endpoint, config=config)
        return cache[service]

    client.endpoint = endpoint  # type: ignore[attr-defined]
    return client


@pytest.fixture(scope="session")
def endpoint() -> str:
    url = os.environ.get("AWS_ENDPOINT_URL")
    if not url:
        pytest.exit("AWS_ENDPOINT_URL is not set: run the suite through localstack/run", returncode=2)
    return url


@pytest.fixture(scope="session")
def aws(endpoint):
    return make_clients(endpoint)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def plain_aws(tmp_path_factory):
    """moto 5.2.5 without hover_compat, on its own port; stopped at the end."""
    port = _free_port()
    log = tmp_path_factory.mktemp("plain") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(LOCALSTACK / "server.py"), str(port), "--plain"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    try:
        clients = make_clients(f"http://127.0.0.1:{port}")
        deadline = time.time() + 30
        while True:
            try:
                clients("cloudformation").list_stacks()
                break
            except Exception:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"plain moto did not start: {log.read_text()[-2000:]}")
                time.sleep(0.2)
        yield clients
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def stack_name(request) -> str:
    base = "".join(c if c.isalnum() else "-" for c in request.node.name)[:60].strip("-")
    return f"t-{base}-{uuid.uuid4().hex[:8]}"


# -- the runtime stand-in's endpoints and the local registry --------------------


def http_json(endpoint: str, method: str, path: str, body=None):
    """(status, parsed JSON) of a request to the emulator's own endpoints."""
    import json
    import urllib.error
    import urllib.request

    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    req = urllib.request.Request(endpoint.rstrip("/") + path, method=method, data=data,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class RuntimeControl:
    """The runtime stand-in's rules and record (/hover-compat/lambda/...)."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint

    def rule(self, function: str, match: str = "", exit_code: int = 0, output: str = "", error=None, **extra) -> dict:
        status, body = http_json(self.endpoint, "POST", "/hover-compat/lambda/responses", {
            "function": function, "match": match, "exit_code": exit_code, "output": output, "error": error, **extra})
        assert status == 200, body
        return body

    def reset(self) -> dict:
        status, body = http_json(self.endpoint, "POST", "/hover-compat/lambda/reset")
        assert status == 200, body
        return body

    def invocations(self, function=None) -> list:
        path = "/hover-compat/lambda/invocations" + (f"?function={function}" if function else "")
        status, body = http_json(self.endpoint, "GET", path)
        assert status == 200, body
        return body


@pytest.fixture
def runtime(endpoint):
    status, _ = http_json(endpoint, "GET", "/hover-compat/lambda/invocations")
    if status != 200:
        pytest.skip(f"no runtime stand-in on {endpoint}")
    status, mode = http_json(endpoint, "GET", "/hover-compat/lambda/mode")
    if status == 200 and mode.get("mode") == "host":
        pytest.skip("the emulator runs functions for real (HOVER_EMULATOR_RUNTIME=host): no stand-in answers")
    control = RuntimeControl(endpoint)
    control.reset()
    yield control
    control.reset()


@pytest.fixture(scope="session")
def registry_address() -> str:
    address = os.environ.get("HOVER_REGISTRY")
    if not address:
        pytest.skip("HOVER_REGISTRY is not set: no local registry (start the emulator with localstack/start or run)")
    return address


@pytest.fixture(scope="session")
def buildah(tmp_path_factory):
    """buildah on storage of its own (vfs, chroot isolation), with its own auth file."""
    import shutil

    if not shutil.which("buildah"):
        pytest.fail("buildah is not installed: run localstack/install-tools")
    root = tmp_path_factory.mktemp("buildah")
    env = {**os.environ, "STORAGE_DRIVER": "vfs", "BUILDAH_ISOLATION": "chroot",
           "REGISTRY_AUTH_FILE": str(root / "auth.json")}

    def run(*args, input=None, check=True):
        cmd = ["buildah", "--root", str(root / "storage"), "--runroot", str(root / "run"), *args]
        result = subprocess.run(cmd, input=input, capture_output=True, env=env)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
        return result

    yield run
    run("rm", "--all", check=False)
    shutil.rmtree(root, ignore_errors=True)


# -- host mode (HOVER_EMULATOR_RUNTIME=host) ------------------------------------


class HostEmulator:
    """An emulator that runs image functions for real: its endpoint, clients, registry and state dir."""

    def __init__(self, endpoint: str, registry: str, state):
        self.endpoint = endpoint
        self.registry = registry
        self.state = Path(state) if state else None
        self.aws = make_clients(endpoint)

    def get(self, path: str):
        return http_json(self.endpoint, "GET", path)[1]

    def post(self, path: str, body=None):
        return http_json(self.endpoint, "POST", path, body)

    def containers(self, function=None) -> list:
        return [c for c in self.get("/hover-compat/lambda/containers") if function is None or c["function"] == function]


@pytest.fixture(scope="session")
def host(endpoint, tmp_path_factory):
    """The emulator in host mode: the one of AWS_ENDPOINT_URL when it runs in host mode
    (``HOVER_EMULATOR_RUNTIME=host localstack/run ...``), else one started here with
    ``localstack/start`` (its own registry and state dir) and stopped at the end."""
    status, mode = http_json(endpoint, "GET", "/hover-compat/lambda/mode")
    if status == 200 and mode.get("mode") == "host" and os.environ.get("HOVER_REGISTRY"):
        yield HostEmulator(endpoint, os.environ["HOVER_REGISTRY"], os.environ.get("HOVER_EMULATOR_STATE"))
        return
    state = tmp_path_factory.mktemp("host-emulator")
    env = {**os.environ, "HOVER_EMULATOR_RUNTIME": "host", "HOVER_EMULATOR_STATE": str(state)}
    for name in ("HOVER_EMULATOR_PORT", "HOVER_REGISTRY_PORT"):
        env.pop(name, None)
    out = subprocess.run([str(LOCALSTACK / "start")], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.fail(f"localstack/start in host mode failed: {out.stderr[-3000:]}")
    exported = dict(line[len("export "):].split("=", 1) for line in out.stdout.splitlines() if line.startswith("export "))
    try:
        yield HostEmulator(exported["AWS_ENDPOINT_URL"], exported["HOVER_REGISTRY"], exported["HOVER_EMULATOR_STATE"])
    finally:
        subprocess.run([str(LOCALSTACK / "stop"), str(state)], env=env, capture_output=True)
