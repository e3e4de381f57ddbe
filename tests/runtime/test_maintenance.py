# Maintenance mode in the runtime: the stage's state read from S3 (signed, conditional, at most once per TTL),
# put into Laravel with `artisan down`/`up` by the http and cli roles, and queue messages handed back while down.
import base64
import json
import time

import pytest

from test_queue import queue_runtime_dir, record  # noqa: F401

BUCKET = "shop-dev-assets"
PATH = f"/{BUCKET}/hover/maintenance.json"


def state(**options):
    return json.dumps({"format": "hover-maintenance/1", "down": True, "since": "2026-01-02T03:04:05Z", **options}).encode()


@pytest.fixture
def storage(tmp_path):
    (tmp_path / "storage" / "framework").mkdir(parents=True)
    return tmp_path / "storage"


@pytest.fixture
def env(fake_aws, storage):
    fake_aws.objects.pop(PATH, None)
    yield {"AWS_ENDPOINT_URL": fake_aws.url, "HOVER_MAINTENANCE_BUCKET": BUCKET, "HOVER_MAINTENANCE_TTL": "0.5",
           "APP_STORAGE": str(storage)}
    fake_aws.objects.pop(PATH, None)
    fake_aws.fail.pop("GetObject", None)


def get(rt, path="/"):
    kind, answer = rt.invoke({"rawPath": path, "rawQueryString": "", "headers": {"host": "x"},
                              "requestContext": {"http": {"method": "GET", "sourceIp": "1.2.3.4"}}})
    assert kind == "response", answer
    return answer


def reads(fake_aws):
    return [c for c in fake_aws.of("GetObject") if c["path"] == PATH]


def test_http_goes_down_with_the_stage_options_and_up_again(runtime, fake_aws, env, storage):
    rt = runtime("shop-dev-http", env=env)
    assert get(rt)["statusCode"] == 200
    fake_aws.objects[PATH] = state(secret="let-me-in", retry=60)
    time.sleep(0.6)
    answer = get(rt)
    assert answer["statusCode"] == 503, answer
    assert json.loads((storage / "framework" / "down").read_text()) == [
        "down", "--secret=let-me-in", "--retry=60", "--no-interaction"]
    # New options: Laravel's down file is written anew (its `down` alone would keep the old one).
    fake_aws.objects[PATH] = state(retry=30, render="errors::503")
    time.sleep(0.6)
    assert get(rt)["statusCode"] == 503
    assert json.loads((storage / "framework" / "down").read_text()) == [
        "down", "--retry=30", "--render=errors::503", "--no-interaction"]
    del fake_aws.objects[PATH]
    time.sleep(0.6)
    assert get(rt)["statusCode"] == 200
    assert not (storage / "framework" / "down").exists()
    assert "the stage is up here (`artisan up`" in rt.output()


def test_the_state_is_read_signed_conditionally_and_at_most_once_per_ttl(runtime, fake_aws, env):
    fake_aws.objects[PATH] = state()
    rt = runtime("shop-dev-http", env={**env, "HOVER_MAINTENANCE_TTL": "30"})
    before = len(reads(fake_aws))
    for _ in range(4):
        assert get(rt)["statusCode"] == 503
    got = reads(fake_aws)[before:]
    assert len(got) == 1, got  # one read for four requests within the TTL
    headers = got[0]["headers"]
    assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), headers
    assert "/us-east-1/s3/aws4_request" in headers["authorization"], headers
    assert headers["x-amz-content-sha256"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert "if-none-match" not in headers


def test_an_unchanged_state_is_answered_304_and_kept(runtime, fake_aws, env, storage):
    fake_aws.objects[PATH] = state(retry=5)
    rt = runtime("shop-dev-http", env=env)
    assert get(rt)["statusCode"] == 503
    time.sleep(0.6)
    before = len(reads(fake_aws))
    assert get(rt)["statusCode"] == 503
    again = reads(fake_aws)[before:]
    assert len(again) == 1 and again[0]["headers"]["if-none-match"].startswith('"'), again
    assert rt.output().count("the stage is down here") == 1  # artisan down ran once


def test_an_unreadable_state_keeps_the_last_one_and_is_logged_once(runtime, fake_aws, env):
    fake_aws.objects[PATH] = state()
    rt = runtime("shop-dev-http", env=env)
    assert get(rt)["statusCode"] == 503
    fake_aws.fail["GetObject"] = (403, {"__type": "AccessDenied", "message": "no s3:GetObject"})
    for _ in range(3):
        time.sleep(0.6)
        assert get(rt)["statusCode"] == 503
    out = rt.output()
    assert out.count("maintenance: cannot read s3://shop-dev-assets/hover/maintenance.json") == 1, out
    assert "AccessDenied" in out and "the stage stays down here until it can" in out


def test_without_a_bucket_nothing_is_read(runtime, fake_aws, env):
    fake_aws.objects[PATH] = state()
    before = len(reads(fake_aws))
    rt = runtime("shop-dev-http", env={k: v for k, v in env.items() if k != "HOVER_MAINTENANCE_BUCKET"})
    assert get(rt)["statusCode"] == 200
    assert len(reads(fake_aws)) == before


def test_cli_commands_run_in_the_stage_state(runtime, fake_aws, env, storage):
    fake_aws.objects[PATH] = state(secret="s")
    rt = runtime("shop-dev-cli", env=env)
    kind, answer = rt.invoke({"command": "schedule:run"})
    assert kind == "response" and answer["exit_code"] == 0, answer
    # Laravel's scheduler sees the down file (and skips its tasks, as with `artisan down`).
    assert (storage / "framework" / "down").exists()
    assert json.loads(base64.b64decode(answer["output"]).decode().splitlines()[0]) == ["schedule:run", "--no-interaction"]
    del fake_aws.objects[PATH]
    time.sleep(0.6)
    kind, answer = rt.invoke({"command": "schedule:run"})
    assert not (storage / "framework" / "down").exists()


def test_queue_messages_are_handed_back_unprocessed_while_down(runtime, queue_runtime_dir, fake_aws, env, tmp_path):
    journal = tmp_path / "journal.jsonl"
    rt = runtime("shop-dev-queue", runtime_dir=queue_runtime_dir, env={
        **env, "QUEUE_TRIES": "3", "STAND_IN_JOURNAL": str(journal)})
    fake_aws.objects[PATH] = state()
    before = len(fake_aws.of("ChangeMessageVisibility"))
    kind, answer = rt.invoke({"Records": [record({"do": "delete"}, msg_id="m-down", handle="h-down")]})
    assert kind == "response", answer
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-down"}]}
    calls = [json.loads(c["body"]) for c in fake_aws.of("ChangeMessageVisibility")[before:]]
    assert calls == [{"QueueUrl": f"{fake_aws.url}/123456789012/jobs-shop-dev", "ReceiptHandle": "h-down",
                      "VisibilityTimeout": 60}], calls
    assert not journal.exists() or "m-down" not in journal.read_text()  # no job ran
    del fake_aws.objects[PATH]
    time.sleep(0.6)
    kind, answer = rt.invoke({"Records": [record({"do": "delete"}, msg_id="m-up")]})
    assert answer == {"batchItemFailures": []}, answer
