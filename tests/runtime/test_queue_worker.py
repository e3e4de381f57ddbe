"""The queue role's child (runtime/queue-worker.php) run directly: SQS records of jobs built by the
test application (tests/fixtures/laravel-app) go in on stdin, answers come back on file
descriptor 3, and the application's SQLite database shows what Laravel did."""
import json
import os
import select
import shutil
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "tests" / "fixtures" / "laravel-app"
WORKER = ROOT / "runtime" / "queue-worker.php"
PHP = os.environ.get("HOVER_PHP") or shutil.which("php8.2") or shutil.which("php")
ARN = "arn:aws:sqs:us-east-1:123456789012:fixture-default"

pytestmark = pytest.mark.skipif(
    PHP is None or not Path("/usr/share/php/Illuminate/autoload.php").is_file(),
    reason="needs PHP 8 and Debian's Laravel (php8.2-cli php8.2-sqlite3 php-laravel-framework)",
)


@pytest.fixture
def app_env(tmp_path):
    """The application's environment with its own storage and a migrated SQLite database."""
    storage = tmp_path / "storage"
    for sub in ("app/public", "framework/cache/data", "framework/sessions", "framework/views", "logs", "bootstrap/cache"):
        (storage / sub).mkdir(parents=True)
    db = tmp_path / "db.sqlite"
    db.touch()
    cache = storage / "bootstrap" / "cache"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "DB_", "QUEUE_", "SQS_"))}
    env.update({
        "LAMBDA_TASK_ROOT": str(APP),
        "APP_STORAGE": str(storage),
        "VIEW_COMPILED_PATH": str(storage / "framework" / "views"),
        "APP_SERVICES_CACHE": str(cache / "services.php"),
        "APP_PACKAGES_CACHE": str(cache / "packages.php"),
        "APP_CONFIG_CACHE": str(cache / "config.php"),
        "APP_ROUTES_CACHE": str(cache / "routes.php"),
        "APP_EVENTS_CACHE": str(cache / "events.php"),
        "LOG_CHANNEL": "stderr",
        "DB_DATABASE": str(db),
    })
    artisan(env, "migrate", "--force")
    env["TEST_DB"] = str(db)
    env["TEST_DIR"] = str(tmp_path)
    return env


def artisan(env, *args):
    done = subprocess.run([PHP, "artisan", *args], cwd=APP, env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, (args, done.stdout.decode(), done.stderr.decode())
    return done.stdout.decode()


def payload(env, job, *args):
    """The body Laravel's sqs connection would send for App\\Jobs\\<job>(*args)."""
    body = artisan(env, "fixture:payload", job, *[str(a) for a in args])
    assert json.loads(body)["displayName"] == f"App\\Jobs\\{job}"
    return body


def record(body, receive_count=1, message_id=None):
    """An SQS record as Lambda's event source mapping delivers it."""
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "AQEB" + uuid.uuid4().hex,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": str(int(time.time() * 1000)),
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
        },
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": ARN,
        "awsRegion": "us-east-1",
    }


def rows(env, sql, *params):
    with sqlite3.connect(env["TEST_DB"]) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(sql, params)]


def job_records(env, job):
    return rows(env, "select event, payload, attempt from job_records where job = ? order by id", job)


class Child:
    """queue-worker.php with its answers on file descriptor 3 and its output in a log file."""

    def __init__(self, env):
        self.log_path = Path(env["TEST_DIR"]) / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.log = open(self.log_path, "wb")
        read, write = os.pipe()

        def answers_on_fd3():
            if write == 3:
                os.set_inheritable(3, True)
            else:
                os.dup2(write, 3)

        self.proc = subprocess.Popen([PHP, str(WORKER)], cwd=APP, env=env, stdin=subprocess.PIPE,
                                     stdout=self.log, stderr=subprocess.STDOUT, close_fds=False,
                                     preexec_fn=answers_on_fd3)
        os.close(write)
        self.answers = os.fdopen(read, "rb")
        self.buffer = b""

    def send(self, op, rec, tries=3, backoff=(), timeout=10.0):
        line = json.dumps({"op": op, "record": rec, "tries": tries, "backoff": list(backoff), "timeout": timeout})
        self.send_raw(line)

    def send_raw(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def answer(self, wait=30.0):
        deadline = time.monotonic() + wait
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            assert left > 0, f"no answer on fd 3 within {wait} s; log:\n{self.output()}"
            ready, _, _ = select.select([self.answers], [], [], left)
            if ready:
                chunk = os.read(self.answers.fileno(), 65536)
                assert chunk, f"the worker closed fd 3 (exit {self.proc.poll()}); log:\n{self.output()}"
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def run(self, op, rec, **kw):
        self.send(op, rec, **kw)
        return self.answer()

    def output(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def kill(self):
        self.proc.kill()
        self.proc.wait(10)

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.answers.close()
        self.log.close()


@pytest.fixture
def child(app_env):
    children = []

    def start():
        c = Child(app_env)
        children.append(c)
        return c

    yield start
    for c in children:
        c.close()


def test_a_job_is_processed_and_deleted(app_env, child):
    worker = child()
    rec = record(payload(app_env, "RecordJob", "hello queue"), message_id="m-processed")
    assert worker.run("process", rec, tries=3, backoff=[5]) == {"result": "deleted"}
    assert job_records(app_env, "RecordJob") == [{"event": "handled", "payload": "hello queue", "attempt": 1}]
    # the same child takes the next one: it is long-lived
    assert worker.run("process", record(payload(app_env, "RecordJob", "again"), 2)) == {"result": "deleted"}
    assert [r["attempt"] for r in job_records(app_env, "RecordJob")] == [1, 2]
    log = worker.output()
    assert "Processed: App\\Jobs\\RecordJob (message m-processed, attempt 1" in log, log
    assert rows(app_env, "select * from failed_jobs") == []


def test_a_failing_job_is_released_with_backoff_then_failed_after_its_tries(app_env, child):
    worker = child()
    body = payload(app_env, "AlwaysFails", "tries")
    assert worker.run("process", record(body, 1), tries=3, backoff=[5, 10]) == {"result": "released", "delay": 5}
    assert worker.run("process", record(body, 2), tries=3, backoff=[5, 10]) == {"result": "released", "delay": 10}
    answer = worker.run("process", record(body, 3, message_id="m-last"), tries=3, backoff=[5, 10])
    assert answer["result"] == "failed", answer
    assert answer["error"] == "RuntimeException: AlwaysFails fails on purpose (attempt 3)"
    assert [(r["event"], r["payload"], r["attempt"]) for r in job_records(app_env, "AlwaysFails")] == [
        ("attempt", "tries", 1),
        ("attempt", "tries", 2),
        ("attempt", "tries", 3),
        # failed() runs on a fresh copy of the job, as in Laravel (its attempts() says 1)
        ("failed", "RuntimeException: AlwaysFails fails on purpose (attempt 3)", 1),
    ]
    failed = rows(app_env, "select uuid, connection, queue, payload, exception from failed_jobs")
    assert len(failed) == 1
    assert failed[0]["uuid"] == json.loads(body)["uuid"]
    assert (failed[0]["connection"], failed[0]["queue"], failed[0]["payload"]) == ("sqs", "fixture-default", body)
    assert "AlwaysFails fails on purpose (attempt 3)" in failed[0]["exception"]
    log = worker.output()
    assert "Released: App\\Jobs\\AlwaysFails (message" in log and "visible again in 10 s" in log, log
    assert "Failed: App\\Jobs\\AlwaysFails (message m-last, attempt 3" in log, log


def test_the_backoff_list_repeats_its_last_value_and_an_empty_one_means_now(app_env, child):
    worker = child()
    body = payload(app_env, "AlwaysFails")
    assert worker.run("process", record(body, 4), tries=0, backoff=[1, 2]) == {"result": "released", "delay": 2}
    assert worker.run("process", record(body, 1), tries=5, backoff=[]) == {"result": "released", "delay": 0}


def test_the_jobs_own_tries_and_backoff_win(app_env, child):
    worker = child()
    body = payload(app_env, "AlwaysFails", "own", 2, 7)  # $tries = 2, $backoff = 7
    assert worker.run("process", record(body, 1), tries=5, backoff=[1]) == {"result": "released", "delay": 7}
    assert worker.run("process", record(body, 2), tries=5, backoff=[1])["result"] == "failed"
    assert [r["event"] for r in job_records(app_env, "AlwaysFails")] == ["attempt", "attempt", "failed"]


def test_a_message_received_more_often_than_the_tries_fails_without_running(app_env, child):
    worker = child()
    body = payload(app_env, "RecordJob", "late")
    answer = worker.run("process", record(body, 4), tries=3)
    assert answer["result"] == "failed"
    assert answer["error"].startswith("Illuminate\\Queue\\MaxAttemptsExceededException: App\\Jobs\\RecordJob has been attempted too many times")
    assert job_records(app_env, "RecordJob") == []
    assert len(rows(app_env, "select uuid from failed_jobs")) == 1


def test_a_timed_out_job_is_released_then_failed_on_its_last_try(app_env, child):
    body = payload(app_env, "SlowJob", 60)
    first = child()
    first.send("process", record(body, 1), tries=3, backoff=[4], timeout=1.0)
    deadline = time.monotonic() + 20
    while not job_records(app_env, "SlowJob"):
        assert time.monotonic() < deadline, first.output()
        time.sleep(0.1)
    first.kill()  # what the runtime does at the job's deadline

    second = child()
    assert second.run("timed_out", record(body, 1), tries=3, backoff=[4]) == {"result": "released", "delay": 4}
    assert rows(app_env, "select * from failed_jobs") == []
    # the next attempt does not sleep and succeeds
    assert second.run("process", record(body, 2), tries=3, backoff=[4]) == {"result": "deleted"}
    assert [(r["event"], r["attempt"]) for r in job_records(app_env, "SlowJob")] == [("attempt", 1), ("attempt", 2), ("done", 2)]

    answer = second.run("timed_out", record(body, 3), tries=3, backoff=[4])
    assert answer == {"result": "failed", "error": "Illuminate\\Queue\\MaxAttemptsExceededException: App\\Jobs\\SlowJob has timed out."}
    assert job_records(app_env, "SlowJob")[-1]["event"] == "failed"
    failed = rows(app_env, "select uuid, queue, exception from failed_jobs")
    assert [(f["uuid"], f["queue"]) for f in failed] == [(json.loads(body)["uuid"], "fixture-default")]
    assert "SlowJob has timed out." in failed[0]["exception"]


def test_malformed_input_is_answered_and_the_child_goes_on(app_env, child):
    worker = child()
    answer = worker.run("process", record("this is not json", message_id="m-bad"))
    assert answer["result"] == "failed"
    assert answer["error"].startswith("UnexpectedValueException: the body of SQS message m-bad is not a Laravel queue job payload")
    assert worker.run("process", record('{"data": {}}'))["result"] == "failed"

    worker.send_raw("{not json")
    assert worker.answer()["result"] == "failed"
    worker.send_raw('{"op": "dance"}')
    assert "unknown request" in worker.answer()["error"]

    assert worker.run("process", record(payload(app_env, "RecordJob", "after"))) == {"result": "deleted"}
    assert worker.proc.poll() is None
    assert rows(app_env, "select * from failed_jobs") == []


def test_without_fd3_the_child_says_so(app_env):
    done = subprocess.run([PHP, str(WORKER)], cwd=APP, env=app_env, input=b"", capture_output=True, timeout=30)
    assert done.returncode == 2
    assert b"file descriptor 3 is not open" in done.stderr
