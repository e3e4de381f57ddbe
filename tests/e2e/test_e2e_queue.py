"""`hover queue <stage> list|failed|retry|purge` through the binary on the emulator.

Messages are put in the dead-letter queues directly (as SQS does after `tries` failed receives);
the workers' event source mappings are switched off first, so the messages hover moves back stay
in their queues for the test to count."""
import json
import time

import pytest

PHP_JOB = 'O:20:"App\\Jobs\\SendInvoice":2:{s:5:"order";i:7;s:8:"password";s:7:"hunter2";}'


def manifest():
    return {
        "region": "us-east-1",
        "queue": {"default": {"tries": 3, "queues": ["default", "mails.fifo"]}},
    }


def laravel_job(n, secret="hunter2"):
    return json.dumps({
        "uuid": f"uuid-{n}",
        "displayName": "App\\Jobs\\SendInvoice",
        "job": "Illuminate\\Queue\\CallQueuedHandler@call",
        "attempts": 3,
        "data": {"commandName": "App\\Jobs\\SendInvoice", "command": PHP_JOB.replace("hunter2", secret)},
        "n": n,
    })


def deployed(stage):
    s = stage(manifest())
    s.register_image()
    s.apply()
    lam = s.aws.lambda_
    mappings = [m for m in lam.list_event_source_mappings()["EventSourceMappings"] if s.name in m["EventSourceArn"]]
    assert len(mappings) == 2, mappings
    for m in mappings:
        lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False)
    return s


def url(s, name):
    return s.aws.sqs.get_queue_url(QueueName=name)["QueueUrl"]


def names(s):
    return {
        "default": f"default-{s.name}",
        "default-dlq": f"default-{s.name}-dlq",
        "mails": f"mails-{s.name}.fifo",
        "mails-dlq": f"mails-{s.name}-dlq.fifo",
    }


def counts(s, name):
    a = s.aws.sqs.get_queue_attributes(QueueUrl=url(s, name), AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


def fill(s, name, n, fifo=False, groups=("g1", "g2")):
    sqs = s.aws.sqs
    for i in range(n):
        extra = {"MessageGroupId": groups[i % len(groups)], "MessageDeduplicationId": f"d-{i}"} if fifo else {}
        sqs.send_message(QueueUrl=url(s, name), MessageBody=laravel_job(i), **extra)


def drain(s, name, expect):
    """Every message of a queue, received and deleted (bodies in receive order)."""
    sqs, out, deadline = s.aws.sqs, [], time.time() + 20
    while len(out) < expect and time.time() < deadline:
        got = sqs.receive_message(QueueUrl=url(s, name), MaxNumberOfMessages=10,
                                  AttributeNames=["All"]).get("Messages", [])
        for m in got:
            out.append(m)
            sqs.delete_message(QueueUrl=url(s, name), ReceiptHandle=m["ReceiptHandle"])
    return out


def test_list_shows_every_queue_and_its_dead_letter_queue(stage):
    s = deployed(stage)
    n = names(s)
    fill(s, n["default"], 3)
    fill(s, n["default-dlq"], 2)
    r = s.hover("queue", s.key, "list", "--json")
    assert r.code == 0, r
    doc = json.loads(r.stdout)
    rows = {q["queue"]: q for q in doc["queues"]}
    assert set(rows) == {"default", "mails.fifo"}
    assert rows["default"]["messages"] == {"visible": 3, "in_flight": 0, "delayed": 0}
    assert rows["default"]["dead_letter_messages"]["visible"] == 2
    assert rows["mails.fifo"]["fifo"] is True and rows["mails.fifo"]["name"] == n["mails"]
    text = s.hover("queue", s.key, "list")
    assert text.code == 0, text
    line = next(l for l in text.stdout.splitlines() if l.startswith("default "))
    assert line.split()[:5] == ["default", "3", "0", "0", "2"], text.stdout


def test_failed_shows_the_jobs_masked_and_consumes_nothing(stage):
    s = deployed(stage)
    n = names(s)
    fill(s, n["default-dlq"], 3)
    r = s.hover("queue", s.key, "failed", "default")
    assert r.code == 0, r
    assert "App\\Jobs\\SendInvoice" in r.stdout and "3 message(s)" in r.stdout, r
    assert "hunter2" not in r.stdout, r
    assert "payload attempts 3" in r.stdout, r
    assert counts(s, n["default-dlq"]) == (3, 0), "a peek must leave every message visible"
    j = s.hover("queue", s.key, "failed", "--json")
    assert j.code == 0, j
    doc = json.loads(j.stdout)
    by_queue = {q["queue"]: q for q in doc["dead_letter_queues"]}
    msgs = by_queue["default"]["messages"]
    assert len(msgs) == 3 and by_queue["mails.fifo"]["messages"] == []
    assert all(m["job"] == "App\\Jobs\\SendInvoice" and "hunter2" not in m["excerpt"] for m in msgs)
    assert all(m["sent_ms"] and m["receive_count"] >= 1 for m in msgs)
    assert counts(s, n["default-dlq"]) == (3, 0)


def test_retry_moves_a_standard_dead_letter_queue_back_with_the_move_task(stage):
    s = deployed(stage)
    n = names(s)
    fill(s, n["default-dlq"], 5)
    r = s.hover("queue", s.key, "retry", "default", "--json")
    assert r.code == 0, r
    events = [json.loads(l) for l in r.stdout.splitlines()]
    assert events[0]["event"] == "started" and events[0]["method"] == "move-task", events
    assert events[-1]["event"] == "finished" and events[-1]["moved"] == 5, events
    assert counts(s, n["default-dlq"]) == (0, 0)
    bodies = sorted(json.loads(m["Body"])["n"] for m in drain(s, n["default"], 5))
    assert bodies == list(range(5))
    # --max is for FIFO queues: refused for a standard one, nothing moved.
    fill(s, n["default-dlq"], 1)
    refused = s.hover("queue", s.key, "retry", "default", "--max", "1")
    assert refused.code == 1 and "FIFO" in refused.stderr, refused
    assert counts(s, n["default-dlq"]) == (1, 0)


def test_retry_of_a_fifo_queue_keeps_groups_and_order_and_stops_at_max(stage):
    s = deployed(stage)
    n = names(s)
    fill(s, n["mails-dlq"], 6, fifo=True)
    r = s.hover("queue", s.key, "retry", "mails.fifo", "--max", "4")
    assert r.code == 0, r
    assert "4 message(s) moved back" in r.stdout, r
    assert counts(s, n["mails-dlq"]) == (2, 0)
    r = s.hover("queue", s.key, "retry", "mails.fifo")
    assert r.code == 0, r
    moved = drain(s, n["mails"], 6)
    assert sorted(json.loads(m["Body"])["n"] for m in moved) == list(range(6))
    by_group = {}
    for m in moved:
        by_group.setdefault(m["Attributes"]["MessageGroupId"], []).append(json.loads(m["Body"])["n"])
    assert by_group == {"g1": [0, 2, 4], "g2": [1, 3, 5]}, by_group
    assert counts(s, n["mails-dlq"]) == (0, 0)


FIFO_CALLS = ["ReceiveMessage", "SendMessage", "DeleteMessage", "GetQueueAttributes"]


@pytest.mark.parametrize("mode", ["reset_before", "reset_after"])
def test_retry_moves_each_message_exactly_once_when_a_connection_drops(stage, proxy, mode):
    s = deployed(stage)
    n = names(s)
    fill(s, n["mails-dlq"], 6, fifo=True)
    fill(s, n["default-dlq"], 4)
    for op in FIFO_CALLS + ["StartMessageMoveTask", "ListMessageMoveTasks"]:
        proxy.fail(op, mode, times=1)
    started = time.time()
    r = s.hover("queue", s.key, "retry", env={"AWS_ENDPOINT_URL": proxy.url})
    took = time.time() - started
    assert r.code == 0, r
    for op in FIFO_CALLS + ["StartMessageMoveTask", "ListMessageMoveTasks"]:
        assert mode in proxy.outcomes(op), (op, proxy.outcomes(op))
    fifo = [json.loads(m["Body"])["n"] for m in drain(s, n["mails"], 7)]
    standard = [json.loads(m["Body"])["n"] for m in drain(s, n["default"], 5)]
    assert sorted(fifo) == list(range(6)), f"FIFO messages not moved exactly once: {fifo}"
    assert sorted(standard) == list(range(4)), f"standard messages not moved exactly once: {standard}"
    assert counts(s, n["mails-dlq"]) == (0, 0) and counts(s, n["default-dlq"]) == (0, 0)
    print(f"retry of 10 messages with a dropped connection at each call ({mode}): {took:.1f}s")


def test_purge_needs_the_queue_name_typed(stage):
    s = deployed(stage)
    n = names(s)
    fill(s, n["default"], 2)
    fill(s, n["default-dlq"], 2)
    r = s.hover("queue", s.key, "purge", "default")
    assert r.code == 1 and "nothing was typed" in r.stderr, r
    r = s.hover("queue", s.key, "purge", "default", stdin_text="defaul\n")
    assert r.code == 1 and "Purge cancelled" in r.stderr, r
    assert counts(s, n["default"]) == (2, 0)
    r = s.hover("queue", s.key, "purge", "default", stdin_text="default\n")
    assert r.code == 0, r
    assert counts(s, n["default"]) == (0, 0) and counts(s, n["default-dlq"]) == (2, 0)
    r = s.hover("queue", s.key, "purge", "default", "--dead-letter", "--auto-approve")
    assert r.code == 0 and n["default-dlq"] in r.stdout, r
    assert counts(s, n["default-dlq"]) == (0, 0)


@pytest.mark.parametrize("args", [["failed", "nope"], ["retry", "nope"], ["purge", "nope", "--auto-approve"]])
def test_an_unknown_queue_is_refused_with_the_names_that_exist(stage, args):
    s = deployed(stage)
    n = names(s)
    fill(s, n["default-dlq"], 1)
    r = s.hover("queue", s.key, *args)
    assert r.code == 1, r
    assert "no queue `nope`" in r.stderr and "default, mails.fifo" in r.stderr, r
    assert counts(s, n["default-dlq"]) == (1, 0)
