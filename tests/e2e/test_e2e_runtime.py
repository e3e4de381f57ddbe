"""hover's runtime end to end: a real Laravel application (tests/fixtures/laravel-app, on Debian's
Laravel and PHP) built with the runtime hover carries, deployed by the hover binary to an emulator
that runs each function's image for real (`HOVER_EMULATOR_RUNTIME=host`), then driven the way
AWS drives it: HTTP through the HTTP API, commands through the CLI function, jobs through the
queues' mappings, the scheduler and the warmer through their rules.

The tests of this module share one deployed stage and run in order: the last ones redeploy it."""
import base64
import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import Aws, Stage

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "laravel-app"
PHP = os.environ.get("HOVER_PHP", "/usr/bin/php8.2")


# -- the emulator, in host mode ---------------------------------------------------------------


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """An emulator of its own that runs functions for real; stopped (with every process it
    started) at the end of the module."""
    if not os.environ.get("HOVER_EMULATOR_VENV"):
        pytest.skip("run through localstack/run (it installs the emulator)")
    if not Path(PHP).exists():
        pytest.fail(f"{PHP} is missing: localstack/install-tools installs Debian's PHP")
    state = tmp_path_factory.mktemp("host-emulator")
    env = {**os.environ, "HOVER_EMULATOR_RUNTIME": "host", "HOVER_EMULATOR_STATE": str(state)}
    env.pop("AWS_ENDPOINT_URL", None)
    out = subprocess.run([str(ROOT / "localstack" / "start")], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    exports = dict(line.removeprefix("export ").split("=", 1) for line in out.stdout.splitlines()
                   if line.startswith("export "))
    try:
        yield exports["AWS_ENDPOINT_URL"]
    finally:
        subprocess.run([str(ROOT / "localstack" / "stop"), str(state)], capture_output=True, timeout=60)


def call(endpoint, path, body=None, method=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{endpoint}{path}", data=data, method=method or ("POST" if data else "GET"),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value), as received
        self.body = body

    def header(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"{self.status} {self.headers}\n{self.body[:2000]!r}"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http(endpoint, api_id, path, method="GET", body=None, headers=None, timeout=60):
    """A plain HTTP request to the stage's HTTP API through the emulator."""
    req = urllib.request.Request(f"{endpoint}/hover-compat/http/{api_id}{path}", data=body, method=method,
                                 headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=timeout) as resp:
            return Response(resp.status, resp.headers.items(), resp.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers.items(), e.read())


def wait_for(what, check, timeout=60, interval=0.3):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out waiting for {what} (last: {last!r})")


# -- the deployed stage ------------------------------------------------------------------------


def manifest(db):
    return {
        "region": "us-east-1",
        "environment": {
            "APP_ENV": "production",
            "APP_DEBUG": "false",
            "APP_KEY": "base64:" + base64.b64encode(b"k" * 32).decode(),
            "DB_CONNECTION": "sqlite",
            "DB_DATABASE": str(db),
            "SHARED_NAME": "from-the-manifest",
        },
        "http": {"memory": 512, "timeout": 4, "warm": 3},
        "cli": {"memory": 512, "timeout": 20},
        "queue": {
            "jobs": {"memory": 512, "timeout": 4, "tries": 3, "backoff": "1, 2", "queues": ["jobs"]},
        },
        "deploy-commands": ["migrate --force"],
    }


class Deployed:
    """The stage, its API id and helpers over it."""

    def __init__(self, stage, endpoint, db):
        self.stage = stage
        self.endpoint = endpoint
        self.db = db
        self.env = {"AWS_ENDPOINT_URL": endpoint}

    def hover(self, *args):
        return self.stage.hover(*args, env=self.env)

    def deploy(self, *args, ok=True):
        r = self.hover("deploy", self.stage.key, "--auto-approve", *args)
        if ok:
            assert r.code == 0, r
            assert "Deploy complete!" in r.stdout, r
        return r

    @property
    def aws(self):
        return self.stage.aws

    @property
    def api_id(self):
        apis = self.aws.apigatewayv2.get_apis()["Items"]
        return next(a["ApiId"] for a in apis if a["Name"] == f"{self.stage.name}-api")

    def get(self, path, **kwargs):
        return http(self.endpoint, self.api_id, path, **kwargs)

    def rows(self, sql, *params):
        with sqlite3.connect(self.db) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute(sql, params)]

    def live(self, function):
        return self.aws.lambda_.get_alias(FunctionName=function, Name="live")["FunctionVersion"]

    def queue_url(self, name):
        return self.aws.sqs.get_queue_url(QueueName=f"{name}-{self.stage.name}")["QueueUrl"]

    def payload(self, job, *args):
        """A queue payload for the fixture's job, built by Laravel itself (on the host's PHP)."""
        cache = self.db.parent / "storage" / "bootstrap" / "cache"
        cache.mkdir(parents=True, exist_ok=True)
        # Laravel's caches go beside the test's storage, never into the fixture's own directory.
        env = {**os.environ, "APP_STORAGE": str(self.db.parent / "storage"), "DB_DATABASE": str(self.db),
               "APP_SERVICES_CACHE": str(cache / "services.php"), "APP_PACKAGES_CACHE": str(cache / "packages.php"),
               "DB_CONNECTION": "sqlite", "LOG_CHANNEL": "stderr",
               "APP_KEY": "base64:" + base64.b64encode(b"k" * 32).decode()}
        for sub in ("framework/cache/data", "framework/views", "framework/sessions", "logs", "app"):
            (self.db.parent / "storage" / sub).mkdir(parents=True, exist_ok=True)
        out = subprocess.run([PHP, "artisan", "fixture:payload", job, *args], cwd=FIXTURE, env=env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    def containers(self, function, version=None):
        found = call(self.endpoint, "/hover-compat/lambda/containers")
        return [c for c in found if c["function"] == function and (version is None or str(c["version"]) == str(version))]


@pytest.fixture(scope="module")
def deployed(host, hover_bin, tmp_path_factory):
    root = tmp_path_factory.mktemp("runtime-stage")
    db = root / "db" / "app.sqlite"
    db.parent.mkdir()
    db.touch()
    made = {}

    def factory(region="us-east-1"):
        if region not in made:
            made[region] = Aws(host, region)
        return made[region]

    s = Stage(hover_bin, factory, manifest(db), root, os.environ.get("HOVER_TEMPLATE_DIR"))
    shutil.copytree(FIXTURE, s.dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("out"))
    (s.dir / ".hover" / f"{s.key}-secrets.plain.env").write_text(
        "# the stage's secrets\nSECRET_TOKEN=\"s3cr3t value\"\nSHARED_NAME=from-the-secrets\n")
    d = Deployed(s, host, db)
    r = d.hover("secret", "encrypt", "--stage", s.key)
    assert r.code == 0, r
    d.built = d.deploy("--build-id", "r1")
    try:
        yield d
    finally:
        s.destroy()


# -- the build -----------------------------------------------------------------------------------


def test_the_build_carries_the_runtime_and_names_its_builder(deployed):
    facts = json.loads((deployed.stage.dir / ".hover" / "out" / "r1" / "runtime" / "build.json").read_text())
    assert facts["build_id"] == "r1" and facts["name"] == deployed.stage.name, facts
    assert os.access(deployed.stage.dir / ".hover" / "out" / "r1" / "runtime" / "bootstrap", os.X_OK)
    out = deployed.built.stdout
    assert "with " in out and "buildah" in out, out[:2000]
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "version", "--format", "{{.Server.Version}}"], capture_output=True,
                                 timeout=20).returncode != 0:
        # A docker command without an engine is passed over, and the build says why.
        assert "docker passed over: its engine does not answer" in out, out[:2000]


# -- deploy commands ---------------------------------------------------------------------------


def test_the_deploy_migrated_the_database_for_real(deployed):
    tables = {r["name"] for r in deployed.rows("select name from sqlite_master where type = 'table'")}
    assert {"migrations", "failed_jobs"} <= tables, tables
    migrations = deployed.rows("select migration from migrations")
    assert migrations, "no migration was recorded"


# -- HTTP --------------------------------------------------------------------------------------


def test_a_page(deployed):
    r = deployed.get("/")
    assert r.status == 200, r
    assert r.header("content-type")[0].startswith("text/html"), r
    assert b"<html" in r.body.lower(), r


def test_the_request_reaches_laravel_exactly(deployed):
    r = deployed.get("/echo?a[]=1&a[]=2&b=%20&c=d%26e", headers={
        "X-Custom": "one",
        "Cookie": "first=1; second=two%20words",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "app.example.com",
        "User-Agent": "hover-e2e",
    })
    assert r.status == 200, r
    seen = r.json()
    # The query string exactly as sent (Laravel's getQueryString() normalises its own copy).
    assert seen["query_string"] == "a[]=1&a[]=2&b=%20&c=d%26e", seen
    assert seen["request_uri"] == "/echo?a[]=1&a[]=2&b=%20&c=d%26e", seen
    assert "content-type" not in seen["headers"], seen  # no body, no type
    assert seen["query"] == {"a": ["1", "2"], "b": " ", "c": "d&e"}, seen
    assert seen["headers"]["x-custom"] == ["one"], seen
    assert seen["headers"]["user-agent"] == ["hover-e2e"], seen
    assert seen["cookies"] == {"first": "1", "second": "two words"}, seen
    # The viewer, as the trusted proxy (CloudFront) tells it.
    assert seen["ip"] == "203.0.113.7", seen
    assert seen["secure"] is True, seen
    assert seen["host"] == "app.example.com", seen


def test_the_client_ip_without_a_proxy_is_the_source_ip(deployed):
    seen = deployed.get("/echo").json()
    assert seen["remote_addr"] == "127.0.0.1", seen
    assert seen["ip"] == "127.0.0.1", seen
    # API Gateway itself is HTTPS, and says so.
    assert seen["secure"] is True, seen


def test_a_posted_form_and_a_binary_upload(deployed):
    r = deployed.get("/form", method="POST", body=b"name=Ada+Lovelace&tags%5B%5D=x&tags%5B%5D=y",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200, r
    assert r.json()["fields"] == {"name": "Ada Lovelace", "tags": ["x", "y"]}, r
    blob = bytes(range(256)) * 64 + b"\x00\xff\xfe"
    r = deployed.get("/upload", method="POST", body=blob, headers={"Content-Type": "application/octet-stream"})
    assert r.status == 200, r
    seen = r.json()
    assert (seen["source"], seen["sha256"], seen["size"]) == ("body", hashlib.sha256(blob).hexdigest(), len(blob)), r


def test_a_binary_download_is_byte_for_byte(deployed):
    r = deployed.get("/image.png")
    assert r.status == 200, r
    assert r.header("content-type") == ["image/png"], r
    assert r.body == (FIXTURE / "resources" / "fixture" / "image.png").read_bytes()


def test_every_set_cookie_arrives(deployed):
    r = deployed.get("/cookies")
    assert r.status == 200, r
    cookies = r.header("set-cookie")
    names = sorted(c.split("=", 1)[0] for c in cookies)
    assert names == ["first", "second"], cookies
    assert any(c.startswith("second=two%20words") and "httponly" in c.lower() for c in cookies), cookies


def test_laravel_answers_404_500_and_redirects(deployed):
    r = deployed.get("/missing")
    assert r.status == 404, r
    assert b"Not Found" in r.body, r
    r = deployed.get("/boom")
    assert r.status == 500, r
    assert b"Server Error" in r.body, r
    r = deployed.get("/redirect")
    assert r.status == 302, r
    assert r.header("location")[0].endswith("/echo?from=redirect"), r


def test_a_request_over_the_deadline_fails_clearly_and_the_next_is_served(deployed):
    started = time.time()
    r = deployed.get("/slow?seconds=20")
    elapsed = time.time() - started
    assert r.status in (500, 502, 503, 504), r
    assert elapsed < 10, elapsed
    log = logs(deployed, f"{deployed.stage.name}-http")
    assert "/slow" in log and "timeout" in log.lower(), log[-3000:]
    r = deployed.get("/echo?after=1")
    assert r.status == 200, r
    assert r.json()["query"] == {"after": "1"}


def logs(deployed, function):
    group = f"/aws/lambda/{function}"
    events = deployed.aws.logs.filter_log_events(logGroupName=group).get("events", [])
    return "\n".join(e["message"] for e in events)


# -- commands ----------------------------------------------------------------------------------


def test_command_run_prints_laravel_output_and_exits_with_its_code(deployed):
    r = deployed.hover("command", "run", "--stage", deployed.stage.key, "fixture:exit 3 plain")
    assert r.code == 3, r
    assert "plain" in r.stdout, r


def test_a_command_string_reaches_artisan_as_arguments_only(deployed, tmp_path):
    marker = tmp_path / "ran"
    command = f"fixture:exit 0 'two words' \"double $HOME\" ';' 'touch {marker}' '$(touch {marker})' `id`"
    r = deployed.hover("command", "run", "--stage", deployed.stage.key, command)
    assert r.code == 0, r
    lines = r.stdout.strip().splitlines()
    assert lines == ["two words", "double $HOME", ";", f"touch {marker}", f"$(touch {marker})", "`id`"], r.stdout
    assert not marker.exists()


# -- queues ------------------------------------------------------------------------------------


def test_a_job_is_processed(deployed):
    token = uuid.uuid4().hex
    deployed.aws.sqs.send_message(QueueUrl=deployed.queue_url("jobs"), MessageBody=deployed.payload("RecordJob", token))
    wait_for("the job's row", lambda: deployed.rows(
        "select * from job_records where job = 'RecordJob' and event = 'handled' and payload = ?", token))


def test_a_job_that_always_fails_is_tried_with_backoff_then_failed_and_dead_lettered(deployed):
    token = uuid.uuid4().hex
    deployed.aws.sqs.send_message(QueueUrl=deployed.queue_url("jobs"), MessageBody=deployed.payload("AlwaysFails", token))
    wait_for("the failed job", lambda: deployed.rows("select * from failed_jobs where payload like ?", f"%{token}%"),
             timeout=90)
    attempts = deployed.rows("select attempt, at from job_records where job = 'AlwaysFails' and event = 'attempt'"
                             " and payload = ? order by id", token)
    assert [a["attempt"] for a in attempts] == [1, 2, 3], attempts
    at = [datetime.datetime.strptime(a["at"], "%Y-%m-%d %H:%M:%S.%f") for a in attempts]
    gaps = [(at[i + 1] - at[i]).total_seconds() for i in range(2)]
    assert gaps[0] >= 1 and gaps[1] >= 2, gaps  # QUEUE_BACKOFF "1, 2"
    failed = deployed.rows("select * from failed_jobs where payload like ?", f"%{token}%")
    assert len(failed) == 1 and "AlwaysFails fails on purpose (attempt 3)" in failed[0]["exception"], failed
    # The job's failed() ran once: its row follows the last attempt.
    after = deployed.rows("select * from job_records where job = 'AlwaysFails' and event = 'failed' and id > ?",
                          deployed.rows("select max(id) as id from job_records where payload = ?", token)[0]["id"])
    assert len(after) == 1, after
    dlq = deployed.queue_url("jobs") + "-dlq"

    def in_dlq():
        got = deployed.aws.sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [m for m in got.get("Messages", []) if token in m["Body"]]

    wait_for("the message in the dead-letter queue", in_dlq, timeout=30)


def test_a_job_over_its_timeout_is_released_and_retried(deployed):
    # The job sleeps 10 s on its first attempt; the worker's timeout is 4 s.
    deployed.aws.sqs.send_message(QueueUrl=deployed.queue_url("jobs"), MessageBody=deployed.payload("SlowJob", "10"))
    wait_for("the slow job's success", lambda: deployed.rows(
        "select * from job_records where job = 'SlowJob' and event = 'done'"), timeout=90)
    events = deployed.rows("select event, attempt from job_records where job = 'SlowJob' order by id")
    assert [(e["event"], e["attempt"]) for e in events] == [("attempt", 1), ("attempt", 2), ("done", 2)], events
    # The worker kept serving: another job after it is processed.
    test_a_job_is_processed(deployed)


# -- rules -------------------------------------------------------------------------------------


def test_firing_the_scheduler_runs_the_scheduled_task(deployed):
    before = len(deployed.rows("select * from schedule_runs"))
    fired = call(deployed.endpoint, "/hover-compat/events/fire", {"rule": f"{deployed.stage.name}-scheduler"})
    assert fired, fired
    wait_for("the scheduled task's row", lambda: len(deployed.rows("select * from schedule_runs")) > before)


def test_firing_the_warmer_leaves_exactly_the_asked_containers_warm(deployed):
    fn = f"{deployed.stage.name}-http"
    version = deployed.live(fn)
    call(deployed.endpoint, "/hover-compat/lambda/containers/stop", {"function": fn})
    assert deployed.containers(fn) == []
    call(deployed.endpoint, "/hover-compat/events/fire", {"rule": f"{deployed.stage.name}-warmer"})
    wait_for("three warm containers", lambda: len([c for c in deployed.containers(fn, version) if c["state"] == "idle"]) == 3)
    time.sleep(1.0)
    warm = deployed.containers(fn, version)
    assert len(warm) == 3, warm
    assert all(c["state"] == "idle" and c["invocations"] == 1 for c in warm), warm


# -- secrets -----------------------------------------------------------------------------------


def test_a_secret_is_an_environment_variable_and_the_manifest_wins(deployed):
    seen = deployed.get("/env/SECRET_TOKEN").json()
    assert (seen["getenv"], seen["env"]) == ("s3cr3t value", "s3cr3t value"), seen
    seen = deployed.get("/env/SHARED_NAME").json()
    assert (seen["getenv"], seen["env"]) == ("from-the-manifest", "from-the-manifest"), seen


def test_a_secret_in_the_original_format_is_read(deployed):
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    kms = deployed.aws.kms
    key_id = kms.describe_key(KeyId=f"alias/{deployed.stage.name}-secrets-key")["KeyMetadata"]["KeyId"]
    hex_key = os.urandom(16).hex().encode()  # 32 ASCII hex characters: the AES-256 key itself
    blob = kms.encrypt(KeyId=key_id, Plaintext=hex_key)["CiphertextBlob"]
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    plain = padder.update(b"ORIGINAL_SECRET=from-the-original\n") + padder.finalize()
    enc = Cipher(algorithms.AES(hex_key), modes.CBC(iv)).encryptor()
    cipher = enc.update(plain) + enc.finalize()
    path = deployed.stage.dir / ".hover" / f"{deployed.stage.key}-secrets.env"
    path.write_text(f"{cipher.hex()}------{blob.hex()}------{iv.hex()}")
    deployed.deploy("--build-id", "r2")
    seen = deployed.get("/env/ORIGINAL_SECRET").json()
    assert (seen["getenv"], seen["env"]) == ("from-the-original", "from-the-original"), seen


def versions(deployed, fn):
    listed = deployed.aws.lambda_.list_versions_by_function(FunctionName=fn)["Versions"]
    return sorted(int(v["Version"]) for v in listed if v["Version"] != "$LATEST")


def test_a_secrets_file_whose_data_key_kms_refuses_stops_the_deploy_before_it_builds(deployed):
    fn = f"{deployed.stage.name}-http"
    before, published = deployed.live(fn), versions(deployed, fn)
    path = deployed.stage.dir / ".hover" / f"{deployed.stage.key}-secrets.env"
    text = path.read_text()
    cipher, blob, iv = text.split("------")
    path.write_text(f"{cipher}------{blob[:-8]}00000000------{iv}")
    try:
        r = deployed.deploy("--build-id", "r3", ok=False)
        assert r.code != 0, r
        assert "secrets" in r.stderr, r
        assert "==> Build" not in r.stdout, r
        assert deployed.live(fn) == before and versions(deployed, fn) == published
    finally:
        path.write_text(text)


def test_a_secrets_file_that_does_not_decrypt_fails_init_clearly_and_traffic_stays(deployed):
    """Its data key decrypts (hover's check before the build passes), its ciphertext does not: the
    new version's runtime refuses it at init, naming the file and never a value."""
    fn = f"{deployed.stage.name}-http"
    before, published = deployed.live(fn), versions(deployed, fn)
    path = deployed.stage.dir / ".hover" / f"{deployed.stage.key}-secrets.env"
    text = path.read_text()
    cipher, blob, iv = text.split("------")
    path.write_text(f"{cipher[:-2]}------{blob}------{iv}")  # one byte short of a whole block
    try:
        r = deployed.deploy("--build-id", "r3b", ok=False)
        assert r.code != 0, r
        assert "Deploy commands" in r.stdout, r
        out = r.stdout + r.stderr
        assert ".hover/secrets.env" in out and "does not decrypt" in out, out[-3000:]
        assert deployed.live(fn) == before
        newest = versions(deployed, fn)[-1]
        assert newest not in published
        answer = deployed.aws.lambda_.invoke(FunctionName=fn, Qualifier=str(newest), Payload=b'{"warmer_ping": true}')
        assert answer.get("FunctionError"), answer
        error = json.loads(answer["Payload"].read())
        assert error["errorType"] == "Hover.SecretsError", error
        assert ".hover/secrets.env" in error["errorMessage"] and "does not decrypt" in error["errorMessage"], error
        assert "from-the-original" not in json.dumps(error), error
        assert deployed.get("/env/ORIGINAL_SECRET").json()["getenv"] == "from-the-original"
    finally:
        path.write_text(text)


# -- deploy commands that fail -----------------------------------------------------------------


def test_a_failing_migration_stops_the_deploy_with_laravel_message_and_traffic_stays(deployed):
    fn = f"{deployed.stage.name}-http"
    before = {f: deployed.live(f) for f in (fn, f"{deployed.stage.name}-cli")}
    broken = deployed.stage.dir / "database" / "migrations" / "2030_01_01_000000_broken.php"
    broken.write_text(
        "<?php\n"
        "use Illuminate\\Database\\Migrations\\Migration;\n"
        "use Illuminate\\Support\\Facades\\DB;\n"
        "return new class extends Migration {\n"
        "    public function up() { DB::statement('ALTER TABLE no_such_table ADD COLUMN x INTEGER'); }\n"
        "};\n")
    try:
        r = deployed.deploy("--build-id", "r4", ok=False)
        assert r.code != 0, r
        assert "Deploy commands" in r.stdout, r
        # Laravel's own message, from the CLI function.
        assert "no such table: no_such_table" in (r.stdout + r.stderr), r
        assert {f: deployed.live(f) for f in before} == before
        assert deployed.get("/echo").status == 200
        assert not deployed.rows("select * from migrations where migration like '%broken%'")
    finally:
        broken.unlink()
