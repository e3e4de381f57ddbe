# The queue role's parent side, with a stand-in worker: answers, ChangeMessageVisibility calls, timeouts, crashes.
import json
import shutil
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ARN = "arn:aws:sqs:us-east-1:123456789012:jobs-shop-dev"


def record(body, msg_id="m-1", receive_count=1, handle="handle-1"):
    return {
        "messageId": msg_id,
        "receiptHandle": handle,
        "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": str(receive_count), "SentTimestamp": "1523232000000"},
        "messageAttributes": {},
        "md5OfBody": "x",
        "eventSource": "aws:sqs",
        "eventSourceARN": ARN,
        "awsRegion": "us-east-1",
    }


@pytest.fixture(scope="module")
def queue_runtime_dir(sandbox):
    target = sandbox / "runtime-with-stand-in"
    if not target.exists():
        shutil.copytree(sandbox / "runtime", target)
        shutil.copy(HERE / "stand-in" / "queue-worker.php", target / "queue-worker.php")
    return target


@pytest.fixture(scope="module")
def journal(sandbox):
    return sandbox / "stand-in-journal.jsonl"


@pytest.fixture(scope="module")
def worker(runtimes, queue_runtime_dir, fake_aws, journal):
    return runtimes("shop-dev-queue", runtime_dir=queue_runtime_dir, env={
        "AWS_ENDPOINT_URL": fake_aws.url, "QUEUE_TRIES": "3", "QUEUE_BACKOFF": "5, 10",
        "STAND_IN_JOURNAL": str(journal),
    })


def visibility_calls(fake_aws, before):
    return [json.loads(c["body"]) for c in fake_aws.of("ChangeMessageVisibility")[before:]]


def answer(rt, event, timeout=10.0):
    kind, got = rt.invoke(event, timeout=timeout)
    assert kind == "response", got
    return got


def test_deleted(worker, fake_aws, journal):
    n = len(fake_aws.of("ChangeMessageVisibility"))
    assert answer(worker, {"Records": [record({"do": "delete"})]}) == {"batchItemFailures": []}
    assert visibility_calls(fake_aws, n) == []
    job = json.loads(journal.read_text().splitlines()[-1])
    assert job["op"] == "process" and job["tries"] == 3 and job["backoff"] == [5, 10]
    assert job["record"]["messageId"] == "m-1" and 7 < job["timeout"] < 9.1


def test_released_sets_visibility_to_the_delay(worker, fake_aws):
    n = len(fake_aws.of("ChangeMessageVisibility"))
    got = answer(worker, {"Records": [record({"do": "release", "delay": 7}, msg_id="m-2", handle="h-2")]})
    assert got == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    calls = fake_aws.of("ChangeMessageVisibility")[n:]
    assert [json.loads(c["body"]) for c in calls] == [
        {"QueueUrl": fake_aws.url + "/123456789012/jobs-shop-dev", "ReceiptHandle": "h-2", "VisibilityTimeout": 7}]
    h = calls[0]["headers"]
    assert h["x-amz-target"] == "AmazonSQS.ChangeMessageVisibility"
    assert h["content-type"] == "application/x-amz-json-1.0"
    assert h["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-east-1/sqs/aws4_request" in h["authorization"]


def test_failed_makes_the_message_visible_at_once(worker, fake_aws):
    n = len(fake_aws.of("ChangeMessageVisibility"))
    got = answer(worker, {"Records": [record({"do": "fail"}, msg_id="m-3", handle="h-3")]})
    assert got == {"batchItemFailures": [{"itemIdentifier": "m-3"}]}
    assert [(c["ReceiptHandle"], c["VisibilityTimeout"]) for c in visibility_calls(fake_aws, n)] == [("h-3", 0)]
    assert "queue message m-3 failed: RuntimeException: it broke" in worker.output()


def test_the_child_is_kept_between_jobs(worker, journal):
    answer(worker, {"Records": [record({"do": "delete"}, msg_id="k-1")]})
    answer(worker, {"Records": [record({"do": "delete"}, msg_id="k-2")]})
    pids = {json.loads(l)["record"]["messageId"]: json.loads(l)["pid"] for l in journal.read_text().splitlines()}
    assert pids["k-1"] == pids["k-2"]


def test_several_records_are_handled_one_by_one(worker, fake_aws):
    got = answer(worker, {"Records": [record({"do": "delete"}, msg_id="a"), record({"do": "release", "delay": 1}, msg_id="b"),
                                      record({"do": "delete"}, msg_id="c")]})
    assert got == {"batchItemFailures": [{"itemIdentifier": "b"}]}


@pytest.mark.parametrize("receive_count,expect", [(1, ("released", 5)), (2, ("released", 10)), (3, ("failed", 0))])
def test_timeout_kills_the_child_and_a_fresh_one_decides(worker, fake_aws, journal, receive_count, expect):
    n = len(fake_aws.of("ChangeMessageVisibility"))
    msg = f"slow-{receive_count}"
    started = time.time()
    got = answer(worker, {"Records": [record({"do": "sleep", "seconds": 30}, msg_id=msg, receive_count=receive_count,
                                             handle=f"h-{msg}")]}, timeout=2.5)
    took = time.time() - started
    assert got == {"batchItemFailures": [{"itemIdentifier": msg}]}
    assert took < 2.5, took
    assert [(c["ReceiptHandle"], c["VisibilityTimeout"]) for c in visibility_calls(fake_aws, n)] == [(f"h-{msg}", expect[1])]
    ops = [json.loads(l) for l in journal.read_text().splitlines() if json.loads(l)["record"]["messageId"] == msg]
    assert [o["op"] for o in ops] == ["process", "timed_out"]
    assert ops[0]["pid"] != ops[1]["pid"], "the timed-out child was not replaced"
    assert ops[1]["record"] == ops[0]["record"] and ops[1]["tries"] == 3
    assert f"queue message {msg}: the job was still running" in worker.output()
    # the next job is served by the fresh child
    assert answer(worker, {"Records": [record({"do": "delete"}, msg_id=f"after-{msg}")]}) == {"batchItemFailures": []}


def test_the_jobs_own_timeout_is_enforced(worker, fake_aws, journal):
    started = time.time()
    got = answer(worker, {"Records": [record({"do": "sleep", "seconds": 5, "timeout": 0.5}, msg_id="own-timeout")]}, timeout=10)
    assert time.time() - started < 3
    assert got == {"batchItemFailures": [{"itemIdentifier": "own-timeout"}]}
    ops = [json.loads(l)["op"] for l in journal.read_text().splitlines() if json.loads(l)["record"]["messageId"] == "own-timeout"]
    assert ops == ["process", "timed_out"]


def test_a_timed_out_op_without_answer_does_not_answer_the_next_job(worker, fake_aws, journal):
    n = len(fake_aws.of("ChangeMessageVisibility"))
    got = answer(worker, {"Records": [record({"do": "sleep", "seconds": 30, "slow_timed_out": 3}, msg_id="late")]}, timeout=2.5)
    assert got == {"batchItemFailures": [{"itemIdentifier": "late"}]}
    assert visibility_calls(fake_aws, n) == []
    # the next job is answered by its own answer, not by the late one
    got = answer(worker, {"Records": [record({"do": "release", "delay": 9}, msg_id="next", handle="h-next")]})
    assert got == {"batchItemFailures": [{"itemIdentifier": "next"}]}
    assert [(c["ReceiptHandle"], c["VisibilityTimeout"]) for c in visibility_calls(fake_aws, n)] == [("h-next", 9)]


def test_a_crashing_child_is_restarted(worker, fake_aws):
    n = len(fake_aws.of("ChangeMessageVisibility"))
    got = answer(worker, {"Records": [record({"do": "crash"}, msg_id="crash")]})
    assert got == {"batchItemFailures": [{"itemIdentifier": "crash"}]}
    assert visibility_calls(fake_aws, n) == []  # visible again after its visibility timeout
    assert "the queue worker ended with exit code 3 without answering" in worker.output()
    assert answer(worker, {"Records": [record({"do": "delete"}, msg_id="after-crash")]}) == {"batchItemFailures": []}


def test_lines_that_are_not_answers_are_skipped(worker):
    assert answer(worker, {"Records": [record({"do": "garbage"}, msg_id="garbage")]}) == {"batchItemFailures": []}


def test_child_output_reaches_the_log(worker):
    assert "job m-1 op process" in worker.output()


def test_sqs_errors_are_logged_with_code_and_message(worker, fake_aws):
    fake_aws.fail["ChangeMessageVisibility"] = (400, {"__type": "com.amazonaws.sqs#ReceiptHandleIsInvalid",
                                                     "message": "The receipt handle is not valid"})
    try:
        got = answer(worker, {"Records": [record({"do": "release", "delay": 3}, msg_id="bad-handle")]})
    finally:
        del fake_aws.fail["ChangeMessageVisibility"]
    assert got == {"batchItemFailures": [{"itemIdentifier": "bad-handle"}]}
    assert "ReceiptHandleIsInvalid: The receipt handle is not valid" in worker.output()


def test_not_an_sqs_event(worker):
    kind, got = worker.invoke({"hello": 1})
    assert kind == "error" and got["errorType"] == "Hover.UnsupportedEvent"
